"""``CAM``: class activation maps of conv -> global average pooling -> linear networks."""
from ..base import BaseExplainer
from ._base import GradientMixin
from ._cam_base import CAM_CONSTRAINTS, LayerMapMixin, fill_cam_doc

__all__ = ["CAM"]


@fill_cam_doc
class CAM(LayerMapMixin, GradientMixin, BaseExplainer):
    """Class activation mapping for conv -> global average pooling -> linear networks.

    Zhou et al. (2016): when a network ends with feature maps ``A^k``
    (k = 1..K), their global average ``a_k = mean_ij A^k_ij`` and a linear
    classifier ``y_c = sum_k w_ck a_k + b_c``, the class activation map is::

        M_c = sum_k w_ck * A^k

    so that ``y_c = mean_ij M_c[i, j] + b_c``: the map splits the score over
    the positions.  It is signed (no ReLU), needs one forward pass and no
    gradient.  It is Grad-CAM up to a positive factor: ``GradCAM(relu=False)``
    gives ``M_c / Z`` and ``GradCAM()`` gives ``ReLU(M_c) / Z`` (Z positions).

    %(shapes)s

    %(inputs)s

    When to use: global-average-pooling networks (ResNets, ...), when a map
    exactly tied to the score is wanted; :class:`GradCAM` works for any
    convolutional network and layer.

    The layers are found at fit by one forward pass on the background:
    ``fc`` is the ``nn.Linear`` whose output is the model's output, and
    ``layer`` the feature map whose spatial mean is ``fc``'s input (checked
    numerically, so ``AdaptiveAvgPool2d(1)`` + ``Flatten`` and a functional
    ``x.mean((2, 3))`` both qualify).  A model without global average pooling
    there, or with several candidates, gets a clear error.  captum has no
    CAM.

    No axiom is claimed.

    Parameters
    ----------
    model : torch.nn.Module
        A network on inputs of shape (n, C, \\*spatial) with 1 to 3 spatial
        axes; never modified (a hook lives only during each call).
    layer : torch.nn.Module, str or None, default=None
        The feature map (n, K, \\*spatial) that the global average pooling
        reduces: a submodule or its dotted name, called once per forward pass.
        None: the module whose output's spatial mean is ``fc``'s input (the
        outermost of nested ones returning the same map).
    fc : torch.nn.Module, str or None, default=None
        The ``nn.Linear`` classifier whose rows are the model's outputs.
        None: the ``nn.Linear`` whose output is the model's output.
    %(upsample)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    layer_ : str
        Dotted name of the feature-map layer used.
    fc_ : str
        Dotted name of the classifier used.
    %(attributes)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import CAM
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> nn = torch.nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    ...                       nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
    ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    >>> X = torch.randn(5, 1, 8, 8)
    >>> explainer = CAM(model).fit(X)
    >>> explainer.layer_, explainer.fc_
    ('4', '7')
    >>> expl = explainer.explain(X, target=0)
    >>> expl.values.shape, expl.extras["layer_map"].shape
    ((5, 1, 8, 8), (5, 4, 4))
    >>> score = model(X)[:, 0] - model[7].bias[0]  # the map's mean is the score
    >>> bool(torch.allclose(torch.as_tensor(expl.extras["layer_map"]).mean((1, 2)),
    ...                     score.double(), atol=1e-6))
    True
    """

    _parameter_constraints: dict = {**CAM_CONSTRAINTS, "fc": "no_validation"}
    _module_params = ("layer", "fc")

    def __init__(self, model, *, layer=None, fc=None, upsample="bilinear", output="auto",
                 batch_size=None):
        self.model = model
        self.layer = layer
        self.fc = fc
        self.upsample = upsample
        self.output = output
        self.batch_size = batch_size

    def _fit(self, background):
        from ._cam_layers import find_cam_layers

        x, args = self._example_rows()
        self.layer_, self.fc_ = find_cam_layers(self.model_.module, x, layer=self.layer,
                                                fc=self.fc, args=args)

    def _attribute(self, engine, x, targets, outputs):
        import torch

        from ..adapters._torch import eval_mode
        from ..adapters._torch_layers import capture_output, resolve_layer
        from ._engine import _CHUNK_ELEMENTS

        module = self.model_.module
        name, layer = resolve_layer(module, self.layer_)
        weight = resolve_layer(module, self.fc_)[1].weight.detach()
        # forward-only passes: the engine's conservative budget for them on every device
        step = self.batch_size or max(1, _CHUNK_ELEMENTS["cpu"] // max(x[0].numel(), 1))
        maps, used = [], []
        # Forward only: the map is a weighted sum of the layer's output.
        with torch.no_grad(), eval_mode(module), capture_output(layer, name) as capture:
            for start in range(0, x.shape[0], step):
                out = engine._forward(x[start:start + step],  # with each row's arguments
                                      engine.arange(start, start + step, x.shape[0]))
                acts = capture.take()
                cols = out.argmax(1) if targets is None else targets[start:start + step]
                maps.append(torch.einsum("nk,nk...->n...", weight[cols].to(acts.dtype), acts))
                used.append(cols)
        return self._map_result(x, torch.cat(maps), torch.cat(used))
