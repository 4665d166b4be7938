"""Data profiling, quality and drift monitoring."""
