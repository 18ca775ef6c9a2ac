"""The embedded demo of ``skexplain audit``: a fitted Pipeline on bundled data.

The default dataset is scikit-learn's diabetes data with ``sex`` turned into
a *string* column ("male"/"female"; which code is which sex is not documented
with the data, so the names are illustrative), so the Pipeline one-hot encodes it inside
a ColumnTransformer and every attribution lands on a raw column, as it would
for a real table.
"""
import numpy as np

DATASETS = {
    "diabetes": "diabetes progression (regression, 442 patients, 'sex' as a string column)",
    "breast_cancer": "breast cancer diagnosis (binary classification, 569 samples)",
    "wine": "wine cultivar (3-class classification, 178 samples)",
    "iris": "iris species (3-class classification, 150 samples)",
}


def demo_data(dataset="diabetes"):
    """The bundled dataset as a DataFrame and a target Series.

    Parameters
    ----------
    dataset : {"diabetes", "breast_cancer", "wine", "iris"}, default="diabetes"
        Which scikit-learn dataset; diabetes gets ``sex`` as strings.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_features)
    y : pandas.Series of shape (n_samples,)

    Examples
    --------
    >>> from skexplain.audit._demo import demo_data
    >>> X, y = demo_data()
    >>> X.shape, sorted(X["sex"].unique())
    ((442, 10), ['female', 'male'])
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {dataset!r}")
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{dataset}")(as_frame=True)
    X, y = bunch.frame.drop(columns=bunch.target.name), bunch.target
    if dataset == "diabetes":
        # the scaled sex column has two values; the data does not document which is
        # which, so these names are illustrative (they make the column a string one)
        X = X.assign(sex=np.where(X["sex"] > 0, "male", "female"))
    return X, y


def demo_model(X, y, task="regression"):
    """A fitted gradient-boosting Pipeline that one-hot encodes string columns.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    task : {"regression", "classification"}, default="regression"

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        ``ColumnTransformer(OneHotEncoder on string columns, passthrough)``
        followed by a ``GradientBoostingRegressor`` or ``...Classifier``
        (100 trees of depth 3, ``random_state=0``), fitted on ``X, y``.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification'; got {task!r}")
    strings = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
    est = GradientBoostingRegressor if task == "regression" else GradientBoostingClassifier
    steps = [est(n_estimators=100, max_depth=3, random_state=0)]
    if strings:
        steps.insert(0, ColumnTransformer(
            [("onehot", OneHotEncoder(handle_unknown="ignore"), strings)],
            remainder="passthrough", verbose_feature_names_out=False))
    return make_pipeline(*steps).fit(X, y)


def load_demo(dataset="diabetes"):
    """``(model, X, y)``: the demo Pipeline fitted on a bundled dataset.

    Parameters
    ----------
    dataset : {"diabetes", "breast_cancer", "wine", "iris"}, default="diabetes"
        diabetes is a regression (with a string ``sex`` column); the others
        are classifications.

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Fitted on all of ``X, y`` (see :func:`demo_model`).
    X : pandas.DataFrame of shape (n_samples, n_features)
    y : pandas.Series of shape (n_samples,)

    Examples
    --------
    >>> from skexplain.audit._demo import load_demo
    >>> model, X, y = load_demo()
    >>> model.predict(X.iloc[:2]).shape
    (2,)
    """
    X, y = demo_data(dataset)
    task = "regression" if dataset == "diabetes" else "classification"
    return demo_model(X, y, task), X, y
