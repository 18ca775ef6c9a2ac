"""A clone of an explainer that explains another model (with its layers renamed).

The sanity checks explain copies of the user's model (re-initialised or
retrained), and ``check_explainer`` explains a trained copy when it builds
its own toy problem.  An explainer may hold, besides ``model``, parameters
that are *submodules* of that model (``GradCAM(net, layer=net.features[3])``,
``CAM(..., fc=net.fc)``): set on a copy of the model they would still point
into the original.  :func:`clone_with_model` is the one place that swaps the
model: such a parameter becomes the submodule's dotted name, which the
explainer resolves in the new model at fit.  Torch is imported only when the
old model is a torch module.
"""
from sklearn.base import clone

from ..adapters import is_torch_module

__all__ = ["clone_with_model", "explained_model", "submodule_params"]


def _is_explainer(obj):
    return hasattr(obj, "get_params") and hasattr(obj, "explain")


def explained_model(explainer):
    """The model ``explainer`` explains, through wrappers such as SmoothGrad.

    ``SmoothGrad(IntegratedGradients(net)).model`` is an explainer; the model
    the checks copy, randomize or retrain is ``net``.

    Parameters
    ----------
    explainer : BaseExplainer

    Returns
    -------
    object
    """
    model = explainer.model
    while _is_explainer(model):
        model = model.model
    return model


def submodule_params(explainer):
    """``{parameter: dotted name}`` for parameters that are submodules of the model.

    Parameters
    ----------
    explainer : BaseExplainer

    Returns
    -------
    dict of str to str
        Empty unless ``explainer.model`` is a torch module; a submodule reached
        under several names gets the first one ``named_modules`` lists (as
        :func:`~skexplain.adapters._torch_layers.resolve_layer` finds it).
    """
    model = explainer.model
    if not is_torch_module(model):
        return {}
    import torch

    from ..adapters._torch_layers import resolve_layer

    names = {}
    for key, value in explainer.get_params(deep=False).items():
        if key == "model" or not isinstance(value, torch.nn.Module):
            continue
        try:
            names[key] = resolve_layer(model, value, name=key)[0]
        except ValueError:  # not part of the model: left as it is
            continue
    return names


def clone_with_model(explainer, model):
    """A clone of ``explainer`` explaining ``model`` (an unfitted copy; neither is changed).

    Parameters that are submodules of the explainer's current model are
    replaced by their dotted names (see :func:`submodule_params`), so that
    the clone uses the same layers of ``model``, typically a copy of the
    current model (randomized, retrained or trained on a toy problem).
    An explainer wrapping another (``SmoothGrad(IntegratedGradients(net))``)
    keeps wrapping a clone of it, which explains ``model``.

    Parameters
    ----------
    explainer : BaseExplainer
    model : object
        The model the clone explains.

    Returns
    -------
    BaseExplainer

    Examples
    --------
    >>> import copy
    >>> import torch
    >>> from skexplain import Saliency
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    >>> copied = clone_with_model(Saliency(net), copy.deepcopy(net))
    >>> copied.model is net
    False
    """
    if _is_explainer(explainer.model):
        # a wrapper (SmoothGrad around IntegratedGradients): the wrapped explainer
        # explains the new model, the wrapper keeps wrapping it
        return clone(explainer).set_params(model=clone_with_model(explainer.model, model))
    renamed = {} if model is explainer.model else submodule_params(explainer)
    return clone(explainer).set_params(model=model, **renamed)
