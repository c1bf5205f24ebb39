"""The evaluation harness: datasets, suites, scorers, reports and the regression gate (docs/evals.md)."""
