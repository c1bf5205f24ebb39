"""Demo content: fictional company websites, a campaign, contacts and sample replies (see README.md)."""
