"""Internal utilities (validation, batching, docstrings)."""
