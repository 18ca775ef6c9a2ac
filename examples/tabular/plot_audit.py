"""
=====================================
Auditing a model: ``skexplain.audit``
=====================================

:func:`skexplain.audit` is the main job in one call: it explains a sample of
rows, measures global importance with a bootstrap interval, checks the
explanations (data-randomization sanity check, agreement with a second
explainer, additivity) and writes findings in plain words.  The
:class:`~skexplain.AuditReport` renders as a table (``to_frame``), JSON
(``to_json``) or one self-contained HTML page (``to_html``).
"""

# %%
# A Pipeline with a string column
# -------------------------------
# The diabetes data with ``sex`` as a string: the one-hot encoding happens
# inside the Pipeline, and attributions land on the raw columns.
import tempfile
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import skexplain

X, y = load_diabetes(return_X_y=True, as_frame=True)
X = X.assign(sex=np.where(X["sex"] > 0, "male", "female"))
model = make_pipeline(
    ColumnTransformer([("onehot", OneHotEncoder(), ["sex"])], remainder="passthrough"),
    GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0)).fit(X, y)

# %%
# Audit it
# --------
# A small audit: 40 rows explained against 20 background rows.  With 10
# features ``explainer="auto"`` picks ExactShapley and says why.
report = skexplain.audit(model, X, y, n_rows=40, n_background=20, top=4)
print(report.explainer_reason)

# %%
# Global importance, with a 95% bootstrap interval over the explained rows:
report.to_frame().round(3)

# %%
# The findings, each computed from the numbers of the report:
for finding in report.findings:
    print(f"[{finding['severity']}] {finding['text']}")

# %%
# One self-contained HTML file: figures embedded as PNG, no script, nothing
# fetched from the network.  Open it in a browser or attach it to a ticket.
path = report.to_html(Path(tempfile.mkdtemp()) / "audit.html")
print(path.name, f"{path.stat().st_size / 1e3:.0f} kB")
