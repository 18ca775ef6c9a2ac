"""Testing tools for explainers: check_explainer, sanity checks, metrics."""
