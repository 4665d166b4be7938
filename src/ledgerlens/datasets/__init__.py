"""Synthetic French bank and bundled reference data (brands, curated merchants, vocabularies)."""
