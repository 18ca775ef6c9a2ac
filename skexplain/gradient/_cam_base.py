"""What CAM, GradCAM and GuidedGradCAM share: image inputs, layer parameters, upsampling.

This module does not import torch at import time.
"""
import numpy as np
from sklearn.base import clone

from ..utils._param_validation import StrOptions
from ._base import GRADIENT_CONSTRAINTS, check_finite_background
from ._docstrings import fill_gradient_doc

__all__ = ["CAM_CONSTRAINTS", "LayerMapMixin", "fill_cam_doc", "grad_cam_maps",
           "several_inputs_error"]

CAM_CONSTRAINTS = {
    **GRADIENT_CONSTRAINTS,
    "layer": "no_validation",  # a submodule or its dotted name: resolve_layer checks it
    "upsample": [StrOptions({"bilinear", "nearest"})],
}

_CAM_PARAMS = """
        layer : torch.nn.Module, str or None, default=None
            The convolutional layer or block whose output (a feature map of
            shape (n, K, \\*spatial) with the input's number of spatial axes)
            is mapped: a submodule of the model or its dotted name
            (``"layer4"``, ``"features.7"``).  It must be called once per
            forward pass.  None: chosen at fit by forward passes on the
            background -- the feature map (more than one spatial position)
            computed last from the last Conv1d/2d/3d returning one, by a
            module called once whose output the model's output uses: in a
            plain ``Sequential`` the ReLU (or pooling) after the last
            convolution, in a ResNet the last residual stage.  On a
            conv -> global average pooling -> linear network this is the map
            :class:`~skexplain.CAM` uses.
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
_INPUTS = """
        One image input only: a model whose ``forward`` also takes other
        inputs (tabular features, a mask) gets them with
        ``additional_forward_args`` on ``fit`` and ``explain`` (per-row tensors
        follow their row, into the forward pass that finds the layer too);
        several attributed inputs (a tuple ``X``) are refused, since the map
        lives on one image.  See the user guide on several inputs.
        """
# fill_doc snippets of the CAM explainers (with the gradient ones)
fill_cam_doc = fill_gradient_doc(batch_unit="Rows", layer=_CAM_PARAMS, upsample=_UPSAMPLE,
                                 shapes=_SHAPES, inputs=_INPUTS)


class LayerMapMixin:
    """Image inputs, a layer chosen at fit, and maps upsampled to the input.

    Put before ``GradientMixin``.  Subclasses set ``layer_`` in ``_fit`` and
    return the maps at layer resolution to :meth:`_map_result`.
    """

    # Submodules passed as parameters are parts of the model: clone shares them
    # (a deep copy would no longer be a submodule of the model).
    _module_params = ("layer",)

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        shared = {k: params.pop(k) for k in ("model", *self._module_params)}
        model = shared.pop("model")
        return type(self)(model, **shared, **{k: clone(v, safe=False) for k, v in params.items()})

    def _make_model(self, background):
        from ._cam_layers import check_image_shape

        # several inputs first (the packed background is tabular), then NaN, as for every
        # gradient explainer; then the shape, before the adapter runs a conv model on
        # tabular rows and blames the model
        if self.input_spec_ is not None:
            raise several_inputs_error(type(self).__name__)
        check_finite_background(background, type(self).__name__)
        check_image_shape(np.shape(background)[1:], type(self).__name__)
        return super()._make_model(background)

    def _example_rows(self):
        """``(x, args)``: a few background rows as a tensor and their
        ``additional_forward_args``, for the forward pass that finds layers (call
        during fit)."""
        from ..utils._inputs import take_arg_rows

        rows = slice(0, 2)
        args = take_arg_rows(getattr(self, "_fit_forward_args", None), rows)
        return self.model_.to_tensor(self.background_[rows]), args

    def _fit_conv_layer(self):
        from ._cam_layers import check_conv_layer, find_conv_layer

        (x, args), owner = self._example_rows(), type(self).__name__
        module = self.model_.module
        if self.layer is None:
            self.layer_ = find_conv_layer(module, x, owner, args)
        else:
            self.layer_ = check_conv_layer(module, self.layer, x, owner, args)[0]

    def _map_result(self, x, maps, targets, values=None):
        """The explainer's result: ``values`` default to the upsampled maps broadcast
        over the channel axis; ``extras["layer_map"]`` keeps ``maps``."""
        from ._cam_layers import upsample

        if values is None:
            up = upsample(maps, x.shape[2:], self.upsample)
            values = up[:, None].expand(x.shape).contiguous()
        return {"values": values, "targets": targets, "extras": {"layer_map": maps},
                "layer": self.layer_, "upsample": self.upsample}


def several_inputs_error(owner):
    """The TypeError of the CAM family fitted on several inputs: why, and what to do."""
    return TypeError(
        f"{owner} does not take several inputs (a tuple X): its map is defined on one "
        "image input (n, C, *spatial), the one feeding the convolutional layer, and the "
        "other inputs would have no map. Explain the image with the other inputs passed "
        "as additional_forward_args (per-row tensors follow their row): "
        f"{owner}(model).fit(images_bg, additional_forward_args=(table_bg,)) then "
        "explain(images, additional_forward_args=(table,)). If the image is not the first "
        "argument of forward, wrap the model so that it is:\n"
        "    class ImageFirst(torch.nn.Module):\n"
        "        def __init__(self, model): super().__init__(); self.model = model\n"
        "        def forward(self, image, table): return self.model(table, image)\n"
        "(its layer names gain the prefix 'model.'). To attribute to every input, use "
        "Saliency, IntegratedGradients or DeepLIFT.")


def grad_cam_maps(model, layer_name, x, targets, *, batch_size=None, relu=True,
                  forward_args=None):
    """Grad-CAM maps at the layer's resolution, from one pass per chunk of rows.

    Parameters
    ----------
    model : TorchModel
    layer_name : str
        Dotted name of the layer (a feature map (n, K, \\*spatial)).
    x : Tensor of shape (n, C, \\*input_spatial)
    targets : LongTensor of shape (n,) or None
        Output columns; None takes each row's predicted class in the pass.
    batch_size : int, default=None
    relu : bool, default=True
    forward_args : tuple or None, default=None
        ``additional_forward_args`` of the rows of ``x`` (checked).

    Returns
    -------
    maps : Tensor of shape (n, \\*spatial)
        ``sum_k alpha_k A^k`` with ``alpha_k`` the spatial mean of
        ``d y_c / d A^k`` (ReLU applied when ``relu``).
    targets : LongTensor of shape (n,)
    """
    import torch

    from ..adapters._torch_layers import resolve_layer
    from ._engine import Batch, GradientEngine

    # The backward pass stops at the layer (its output is a leaf): no input gradient.
    engine = GradientEngine(model, batch_size=batch_size, input_grads=False,
                            layer=resolve_layer(model.module, layer_name),
                            forward_args=forward_args)
    maps, used = [], []

    def make(start, stop, _hooks):
        return Batch(x[start:stop], None if targets is None else targets[start:stop],
                     rows=torch.arange(start, stop, device=x.device))

    def consume(result):
        alpha = result.layer_grads.flatten(2).mean(2)  # (rows, K)
        maps.append(torch.einsum("nk,nk...->n...", alpha, result.activations))
        used.append(result.targets)

    engine.run(x.shape[0], x[0].numel(), make, consume)
    maps = maps[0] if len(maps) == 1 else torch.cat(maps)
    return (maps.clamp_(min=0) if relu else maps), torch.cat(used)
