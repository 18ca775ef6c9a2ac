"""Class activation maps of convolutional networks: ``CAM``, ``GradCAM``, ``GuidedGradCAM``."""
from ..base import BaseExplainer
from ._base import GradientMixin
from ._cam_base import CAM_CONSTRAINTS, LayerMapMixin, grad_cam_maps
from ._docstrings import fill_gradient_doc


__all__ = ["CAM", "GradCAM", "GuidedGradCAM"]

_CAM_PARAMS = """
        layer : torch.nn.Module, str or None, default=None
            The convolutional layer or block whose output (a feature map of
            shape (n, K, \\*spatial) with the input's number of spatial axes)
            is mapped: a submodule of the model or its dotted name
            (``"layer4"``, ``"features.7"``).  It must be called once per
            forward pass.  None: chosen at fit by one forward pass on the
            background -- the last module to finish that is (or contains) a
            Conv1d/2d/3d and returns such a feature map with more than one
            spatial position (in a ResNet the last residual stage, in a plain
            ``Sequential`` the last convolution).
        """
_UPSAMPLE = """
        upsample : {"bilinear", "nearest"}, default="bilinear"
            How the layer-resolution map is resized to the input's spatial
            size: ``"bilinear"`` is linear interpolation along each spatial
            axis (linear, bilinear or trilinear for 1, 2 or 3 axes) with
            ``align_corners=False``, as ``torch.nn.functional.interpolate``
            and captum's ``LayerAttribution.interpolate``.
        """
_SHAPES = """
        ``Explanation.values`` have the input's shape (n, C, \\*spatial): the
        map upsampled to the input's spatial size and repeated over the channel
        axis, so that plots, sanity checks and ``transform`` work as for the
        other gradient explainers.  ``extras["layer_map"]`` is the map at the
        layer's resolution, shape (n, \\*layer_spatial); ``metadata`` has
        ``"layer"`` (dotted name) and ``"upsample"``.
        """


_fill_cam_doc = fill_gradient_doc(batch_unit="Rows", layer=_CAM_PARAMS, upsample=_UPSAMPLE,
                                  shapes=_SHAPES)


@_fill_cam_doc
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
    >>> explainer.layer_
    '3'
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
                                   batch_size=self.batch_size, relu=self.relu)
        return self._map_result(x, maps, used)


@_fill_cam_doc
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

    When to use: a sharp, class-discriminative picture.  Like guided
    backprop, and unlike Grad-CAM, it is largely insensitive to randomising
    the model's weights (Adebayo et al., 2018): read it as a visualisation,
    not as evidence of what the model relies on.

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
                                   batch_size=self.batch_size)
        guided, _ = plain_gradients(engine, x, used)  # ``engine`` has the guided hooks
        up = upsample(maps, x.shape[2:], self.upsample)
        return self._map_result(x, maps, used, values=guided.mul_(up[:, None]))


@_fill_cam_doc
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

        self.layer_, self.fc_ = find_cam_layers(self.model_.module, self._example_rows(),
                                                layer=self.layer, fc=self.fc)

    def _attribute(self, engine, x, targets, outputs):
        import torch

        from ..adapters._torch import eval_mode
        from ..adapters._torch_layers import capture_output, resolve_layer

        module = self.model_.module
        name, layer = resolve_layer(module, self.layer_)
        weight = resolve_layer(module, self.fc_)[1].weight.detach()
        step = engine.chunk_size(x[0].numel())
        maps, used = [], []
        # Forward only: the map is a weighted sum of the layer's output.
        with torch.no_grad(), eval_mode(module), capture_output(layer, name) as capture:
            for start in range(0, x.shape[0], step):
                out = engine._forward(x[start:start + step])
                acts = capture.take()
                cols = out.argmax(1) if targets is None else targets[start:start + step]
                maps.append(torch.einsum("nk,nk...->n...", weight[cols].to(acts.dtype), acts))
                used.append(cols)
        return self._map_result(x, torch.cat(maps), torch.cat(used))
