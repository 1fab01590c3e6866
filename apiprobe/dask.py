"""Logs on a Dask cluster (being written)."""
