"""Report writers: JSON (machine), Markdown (summary), HTML (charts and failing cases)."""
