"""Test configuration shared by tests/ and the doctests in skexplain/."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
