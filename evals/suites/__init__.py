"""The three evaluation suites: replies (classifier cascade), research (profiles), drafts (writer)."""
