"""Scorers: pure functions from (expected, produced) to counts and metrics, no I/O."""
