"""The thin graph nodes: load from the store, call an agent (agents.nodes), persist, route."""
