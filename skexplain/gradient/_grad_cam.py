"""``GradCAM`` and ``GuidedGradCAM``: gradient-weighted class activation maps."""
from ..base import BaseExplainer
from ._base import GradientMixin
from ._cam_base import CAM_CONSTRAINTS, LayerMapMixin, fill_cam_doc, grad_cam_maps

__all__ = ["GradCAM", "GuidedGradCAM"]


@fill_cam_doc
class GradCAM(LayerMapMixin, GradientMixin, BaseExplainer):
    """Grad-CAM: where a convolutional layer sees the target class (Selvaraju et al., 2017).

    With ``A^k`` the layer's K feature maps (Z spatial positions each) and
    ``y_c`` the target's pre-softmax score (the model's output column:
    explain logits, not probabilities), Grad-CAM weights each map by its
    mean gradient::

        alpha_k = (1 / Z) * sum_ij  d y_c / d A^k_ij
        L_c     = ReLU(sum_k alpha_k * A^k)

    (``relu=False`` keeps the signed sum).  One forward+backward pass per
    chunk of rows; the backward pass stops at the layer.  On a network
    conv -> global average pooling -> linear, ``d y_c / d A^k_ij = w_ck / Z``,
    so ``L_c = ReLU(M_c) / Z`` with ``M_c`` the :class:`CAM` map.

    %(shapes)s

    %(inputs)s

    When to use: a coarse, class-discriminative map for any convolutional
    network (its resolution is the layer's); the deeper the layer, the more
    semantic and the coarser the map.  :class:`CAM` is the special case of
    global-average-pooling networks and needs no gradient;
    :class:`GuidedGradCAM` adds pixel-level detail.  Adebayo et al. (2018)
    found Grad-CAM sensitive to randomising the model's weights, unlike
    guided backpropagation.

    Differences with captum: ``LayerGradCam(model, layer).attribute(x,
    target)`` defaults to ``relu_attributions=False`` and returns the map at
    the layer's resolution, shape (n, 1, \\*layer_spatial).  This class equals
    ``relu_attributions=True`` followed by
    ``LayerAttribution.interpolate(map, x.shape[2:], interpolate_mode="bilinear")``,
    and ``extras["layer_map"]`` equals captum's map before upsampling.

    No axiom is claimed (the map lives on the layer, not on the input
    features).

    Parameters
    ----------
    model : torch.nn.Module
        A network on inputs of shape (n, C, \\*spatial) with 1 to 3 spatial
        axes; never modified (a hook lives only during each call).
    %(layer)s
    relu : bool, default=True
        Apply the ReLU of Grad-CAM (only the evidence *for* the class);
        False keeps the signed map.
    %(upsample)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    layer_ : str
        Dotted name of the layer used.
    %(attributes)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import GradCAM
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> nn = torch.nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    ...                       nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
    ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    >>> X = torch.randn(5, 1, 8, 8)
    >>> explainer = GradCAM(model).fit(X)
    >>> explainer.layer_  # the ReLU after the last convolution
    '4'
    >>> expl = explainer.explain(X, target=2)
    >>> expl.values.shape, expl.extras["layer_map"].shape
    ((5, 1, 8, 8), (5, 4, 4))
    >>> bool((expl.values >= 0).all())
    True
    """

    _parameter_constraints: dict = {**CAM_CONSTRAINTS, "relu": ["boolean"]}

    def __init__(self, model, *, layer=None, relu=True, upsample="bilinear", output="auto",
                 batch_size=None):
        self.model = model
        self.layer = layer
        self.relu = relu
        self.upsample = upsample
        self.output = output
        self.batch_size = batch_size

    def _fit(self, background):
        self._fit_conv_layer()

    def _attribute(self, engine, x, targets, outputs):
        maps, used = grad_cam_maps(self.model_, self.layer_, x, targets,
                                   batch_size=self.batch_size, relu=self.relu,
                                   forward_args=engine.forward_args)
        return self._map_result(x, maps, used)


@fill_cam_doc
class GuidedGradCAM(LayerMapMixin, GradientMixin, BaseExplainer):
    """Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM map.

    ``values = GuidedBackprop(x) * upsample(L_c)`` (Selvaraju et al., 2017),
    with ``L_c = ReLU(sum_k alpha_k A^k)`` the :class:`GradCAM` map of the
    layer: pixel-level detail (from guided backprop) restricted to the
    regions that Grad-CAM finds class-discriminative.  Two passes: Grad-CAM
    from the plain gradient of the target's pre-softmax score, then guided
    backpropagation (the backward pass through every ``nn.ReLU`` module keeps
    positive gradients where the ReLU's input was positive; see
    :class:`GuidedBackprop`, whose limits apply: only ``nn.ReLU`` modules are
    guided, and a model without one triggers a warning).

    ``Explanation.values`` have the input's shape (n, C, \\*spatial) (guided
    backprop's values per channel times the map); ``extras["layer_map"]`` is
    the Grad-CAM map at the layer's resolution, shape (n, \\*layer_spatial);
    ``metadata`` has ``"layer"`` and ``"upsample"``.

    %(inputs)s

    When to use: a sharp, class-discriminative picture.  Adebayo et al.
    (2018) found it, like guided backprop, largely insensitive to randomising
    an Inception network's weights: read it as a visualisation, not as
    evidence of what the model relies on.  On a small network whose Grad-CAM
    mask is as coarse as the image's strokes (the digits CNN of
    ``examples/images/plot_sanity_checks.py``) the mask moves under
    randomization and the product moves with it: run the sanity checks on
    your own model.

    Differences with captum: ``GuidedGradCam(model, layer).attribute(x,
    target)`` computes the same product but upsamples with
    ``interpolate_mode="nearest"`` by default, where the paper (and this
    class by default) use bilinear interpolation: ``upsample="nearest"``
    gives captum's values.

    No axiom is claimed.

    Parameters
    ----------
    model : torch.nn.Module
        A network on inputs of shape (n, C, \\*spatial) with 1 to 3 spatial
        axes; never modified (hooks live only during each call).
    %(layer)s
    %(upsample)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    layer_ : str
        Dotted name of the layer used.
    %(attributes)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import GuidedGradCAM
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> nn = torch.nn
    >>> model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    ...                       nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
    ...                       nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    >>> X = torch.randn(5, 3, 8, 8)
    >>> expl = GuidedGradCAM(model).fit(X).explain(X)
    >>> expl.values.shape, expl.extras["layer_map"].shape
    ((5, 3, 8, 8), (5, 4, 4))
    """

    _parameter_constraints: dict = {**CAM_CONSTRAINTS}

    def __init__(self, model, *, layer=None, upsample="bilinear", output="auto",
                 batch_size=None):
        self.model = model
        self.layer = layer
        self.upsample = upsample
        self.output = output
        self.batch_size = batch_size

    def _hooks(self):
        from ._hooks import guided_relu

        return guided_relu

    def _fit(self, background):
        self._fit_conv_layer()

    def _attribute(self, engine, x, targets, outputs):
        from ._cam_layers import upsample
        from ._guided_backprop import warn_unguided
        from ._saliency import plain_gradients

        warn_unguided(self.model_.module, type(self).__name__)
        # Grad-CAM from plain gradients (its own engine, without the guided hooks)
        maps, used = grad_cam_maps(self.model_, self.layer_, x, targets,
                                   batch_size=self.batch_size, forward_args=engine.forward_args)
        guided = plain_gradients(engine, x, used)[0]  # ``engine`` has the guided hooks
        up = upsample(maps, x.shape[2:], self.upsample)
        return self._map_result(x, maps, used, values=guided.mul_(up[:, None]))
