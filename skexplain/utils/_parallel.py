"""How many joblib workers a call will really use."""
from joblib import effective_n_jobs

__all__ = ["n_workers"]


def n_workers(n_jobs):
    """Workers for ``n_jobs``: 1 for None or 1 (no dispatch at all), else joblib's count.

    joblib's count honours ``joblib.parallel_config`` (e.g. a Dask backend).
    """
    return 1 if n_jobs in (None, 1) else effective_n_jobs(n_jobs)
