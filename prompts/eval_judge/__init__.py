"""Prompt versions (package marker so setuptools ships the .md files)."""
