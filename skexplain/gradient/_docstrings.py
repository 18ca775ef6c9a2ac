"""Docstring entries shared by the gradient explainers (see ``fill_doc``).

An explainer whose entry says more than these (Saliency's ``model``,
DeepLIFT's ``background_``, ...) keeps its own text in its docstring.
"""
from ..utils._docstring import fill_doc

__all__ = ["fill_gradient_doc"]

_SNIPPETS = {
    "model": """
        model : torch.nn.Module or fitted MLP/linear scikit-learn model
            Never modified.
        """,
    # For the explainers that hook modules during a call.
    "model_hooked": """
        model : torch.nn.Module or fitted MLP/linear scikit-learn model
            Never modified (hooks are removed after each call).
        """,
    "output": """
        output : "auto" or int, default="auto"
            Restrict the model to one output column.
        """,
    "attributes": """
        model_ : TorchModel
        background_ : ndarray of shape (n_background, \\*input_shape)
        expected_value_ : float or ndarray of shape (n_outputs,)
        feature_shape_ : tuple
        n_features_in_ : int
        """,
    # The end of the Attributes of the explainers that describe model_ or
    # background_ (or have attributes of their own).
    "attributes_end": """
        expected_value_ : float or ndarray of shape (n_outputs,)
            Background mean of each output: the ``base_values``.
        feature_shape_ : tuple
        n_features_in_ : int
        """,
}


def fill_gradient_doc(batch_unit, **extra):
    """``fill_doc`` with the shared snippets and the ``batch_size`` entry.

    Parameters
    ----------
    batch_unit : str
        What one forward+backward pass holds ``batch_size`` of, as the start
        of a sentence: "Rows", "Noisy copies", ...
    **extra : str
        More snippets, for entries a few explainers share.

    Returns
    -------
    decorator : callable
        Fills ``%(model)s``, ``%(model_hooked)s``, ``%(output)s``,
        ``%(batch_size)s``, ``%(attributes)s``, ``%(attributes_end)s`` and
        those of ``extra``.
    """
    batch_size = f"""
        batch_size : int, default=None
            {batch_unit} per forward+backward pass.
            None: at most 2**24 input elements per pass on the CPU and 2**28 on
            a GPU, where a pass that runs out of memory is split.  Results do
            not depend on it.
        """
    return fill_doc(**_SNIPPETS, batch_size=batch_size, **extra)
