"""SmoothGrad around another gradient explainer (as captum's ``NoiseTunnel``).

The wrapped explainer's ``_attribute`` runs on chunks of noisy copies with its
own engine (its hooks, its ``batch_size``), the explained output of each copy
being the one resolved at the original row.  Only explainers whose values for
a row depend on that row alone (not on the other rows explained with it, nor
on random draws) can be averaged this way independently of the chunking.
"""
from ..base import BaseExplainer
from ._base import GradientMixin

__all__ = ["check_wrappable", "explain_noisy"]


def check_wrappable(explainer, output):
    """Refuse explainers SmoothGrad cannot average correctly (raises TypeError/ValueError)."""
    from ._cam_base import LayerMapMixin

    name = type(explainer).__name__
    if not isinstance(explainer, GradientMixin):
        raise TypeError(
            f"SmoothGrad wraps gradient explainers (Saliency, GradientXInput, GuidedBackprop, "
            f"IntegratedGradients, DeepLIFT); got the {name} explainer as model. Pass it a "
            "torch module or one of those explainers.")
    if isinstance(explainer, LayerMapMixin):
        raise TypeError(
            f"SmoothGrad cannot wrap {name}: it averages attributions to the input, and "
            f"{name} returns maps of a layer chosen at fit.")
    if explainer.get_params(deep=False).get("layer") is not None:
        raise TypeError(
            f"SmoothGrad cannot wrap {name} with layer={explainer.layer!r}: it adds noise to "
            "the inputs and averages attributions to the inputs, whereas that explainer "
            "attributes to the layer's output (token ids cannot take noise either). Wrap "
            f"{name} without layer=.")
    if "random_state" in explainer.get_params(deep=False):
        raise TypeError(
            f"SmoothGrad cannot wrap {name}: {name} draws its own random numbers per row "
            "position among the rows explained together, so its average over noisy copies "
            "would depend on how they are chunked (batch_size). Wrap a deterministic "
            "explainer (Saliency, IntegratedGradients, DeepLIFT, ...).")
    if output != "auto":
        raise ValueError(
            f"SmoothGrad got output={output!r} with a wrapped {name}: the wrapped explainer "
            f"chooses the model's output; set {name}(..., output={output!r}) instead.")
    if not isinstance(explainer, BaseExplainer):  # pragma: no cover - mixin misuse
        raise TypeError(f"SmoothGrad cannot wrap {name}: it is not a skexplain explainer.")


def explain_noisy(explainer, n_points, step, noisy, targets, add, baselines=None):
    """Attributions of a fitted ``explainer`` at noisy copies, in chunks.

    Parameters
    ----------
    explainer : fitted gradient explainer
    n_points : int
        Number of noisy copies, enumerated (row, sample) row-major.
    step : int
        Noisy copies per call of the explainer.
    noisy : callable
        ``noisy(start, stop) -> (points, rows)``: the copies and their rows.
    targets : LongTensor of shape (n_rows,)
        Output column explained at each row.
    add : callable
        ``add(start, values)`` receives the attributions of each chunk.
    baselines : Tensor of shape (n_rows, \\*input_shape), default=None
        Per-row references: a noisy copy of row i keeps reference i.
    """
    engine = explainer._engine()  # its own hooks (DeepLIFT, GuidedBackprop)
    for start in range(0, n_points, step):
        stop = min(start + step, n_points)
        points, rows = noisy(start, stop)
        outputs = engine.outputs(points) if explainer._needs_outputs else None
        extra = {} if baselines is None else {"baselines": baselines[rows]}
        result = explainer._attribute(engine, points, targets[rows], outputs, **extra)
        add(start, result["values"])
