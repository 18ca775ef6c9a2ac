"""Attribution to a layer's output (``layer=``) for the path and gradient explainers.

With ``layer`` set, IntegratedGradients, ExpectedGradients, Saliency,
GradientXInput and DeepLIFT attribute the target output to the *output* of a
submodule (its activations) instead of the model's input: the backward pass
stops at the layer (its output is a leaf of the graph, see
:func:`~skexplain.adapters._torch_layers.capture_output`), and the path
methods move along the straight line between the references' and the row's
activations, the layer's output being replaced by the path point in each
forward pass (the model itself still receives the row's input, as captum's
``LayerIntegratedGradients``).  This is how models whose input has no
gradient (token ids entering an ``nn.Embedding``) are explained with gradients.

This module does not import torch at import time.
"""
import numpy as np

from ..utils._param_validation import StrOptions
from ._cam_base import LayerMapMixin

__all__ = ["LAYER_ATTRIBUTES", "LAYER_CONSTRAINTS", "LAYER_DOC", "LayerMixin"]

LAYER_CONSTRAINTS = {
    "layer": "no_validation",  # a submodule or its dotted name: resolve_layer checks it
    "layer_reduce": [StrOptions({"sum"}), None],
}

LAYER_DOC = """
        layer : torch.nn.Module, str or None, default=None
            Attribute to this layer's output instead of the model's input: a
            submodule of the model or its dotted name (``"embedding"``,
            ``"encoder.0"``), called once per forward pass and returning one
            floating tensor.  The values then have the shape of the layer's
            output per row (``(n, T, E)`` for an embedding of ``T`` tokens of
            ``E`` dimensions).  Needed when the input has no gradient (token
            ids: pass the ``nn.Embedding``).  Completeness (where claimed)
            holds at the layer: the values sum to ``f(x)`` minus the model
            with the layer's output set to the reference's, which is
            ``f(reference)`` when every path from the input to the output goes
            through the layer (an embedding; otherwise ``Explanation.delta``
            shows the part the layer does not carry).  None: the input.
        layer_reduce : {None, "sum"}, default=None
            ``"sum"`` sums the layer attributions over the last axis of the
            layer's output (the embedding dimension): one value per token,
            the Explanation then having the token ids' shape and data.  The
            sums keep completeness.  Only with ``layer``.
        """


LAYER_ATTRIBUTES = """
        layer_ : str or None
            Dotted name of the layer attributed to (None: the input).
        layer_shape_ : tuple
            Shape of one row's attributions: the layer output's (summed over
            its last axis with ``layer_reduce="sum"``), or the input's.
        """


class LayerMixin:
    """``layer=``/``layer_reduce=`` for a gradient explainer (put before GradientMixin).

    At fit the layer is resolved and run once on a background row (so a
    misspelt name or a layer the forward pass never calls is refused at fit);
    ``layer_`` holds its dotted name (None without a layer) and
    ``layer_shape_`` the shape of one row's attributions.
    """

    _module_params = ("layer",)
    # clone shares the model and the layer (a deep copy would not be a submodule)
    __sklearn_clone__ = LayerMapMixin.__sklearn_clone__

    def _make_model(self, background):
        from ..adapters._torch_layers import layer_output, resolve_layer

        model = super()._make_model(background)
        self.layer_, self.layer_shape_ = None, tuple(background.shape[1:])
        if self.layer is None:
            if self.layer_reduce is not None:
                raise ValueError(f"layer_reduce={self.layer_reduce!r} sums attributions to a "
                                 "layer; it needs layer= (e.g. the nn.Embedding); got layer=None.")
            return model
        from ..utils._inputs import take_arg_rows

        name, sub = resolve_layer(model.module, self.layer)
        args = take_arg_rows(getattr(self, "_fit_forward_args", None), slice(0, 1))
        acts = layer_output(model.module, sub, model.to_tensor(background[:1]), layer_name=name,
                            forward=lambda t: model.forward(t, args))
        if not acts.is_floating_point():
            raise ValueError(f"layer={name!r} returns {acts.dtype} values, which have no "
                             "gradient; choose a layer with a floating output (e.g. the "
                             "nn.Embedding after the token ids).")
        shape = tuple(acts.shape[1:])
        if self.layer_reduce == "sum":
            if len(shape) < 2:
                raise ValueError(
                    f"layer_reduce='sum' sums over the last axis of the layer's output and "
                    f"needs at least two axes per row (tokens x dimensions); layer {name!r} "
                    f"returns shape {tuple(acts.shape)}.")
            shape = shape[:-1]
        self.layer_, self.layer_shape_ = name, shape
        return model

    def _check_integer_inputs(self, model):
        if self.layer is None:
            super()._check_integer_inputs(model)

    def _engine(self, forward_args=None):
        if self.layer_ is None:
            return super()._engine(forward_args)
        from ..adapters._torch_layers import resolve_layer
        from ._engine import GradientEngine

        # The backward pass stops at the layer: its output is the leaf differentiated.
        return GradientEngine(self.model_, batch_size=self.batch_size, hooks=self._hooks(),
                              layer=resolve_layer(self.model_.module, self.layer_),
                              input_grads=False, forward_args=forward_args)

    def _reduce(self, values):
        """Layer attributions (or activations) summed as ``layer_reduce`` asks."""
        return values.sum(-1) if self.layer_ is not None and self.layer_reduce else values

    def _layer_entries(self, activations):
        """Explanation entries of a layer attribution: its data and metadata."""
        if self.layer_ is None:
            return {}
        same = self.layer_shape_ == tuple(self.feature_shape_)
        # summed to the input's shape (one value per token): the data is the input
        data = None if same and self.layer_reduce else self._reduce(activations)
        return {"data": data, "layer": self.layer_, "layer_reduce": self.layer_reduce}

    def _attributed_names(self, names):
        if self.layer_ is None or (self.layer_shape_ == tuple(self.feature_shape_)
                                   and self.layer_reduce):
            return super()._attributed_names(names)
        return np.asarray([f"{self.layer_}_{i}" for i in range(int(np.prod(self.layer_shape_)))],
                          dtype=object)

    def _activations(self, engine, x, rows=None):
        """The layer's output on the points ``x``, without gradients, in chunks.

        ``rows``: the explained row of each point, whose forward arguments it
        gets (None: the rows ``x`` themselves, or shared arguments only).
        """
        import torch

        from ..adapters._torch_layers import layer_output
        from ..utils._inputs import has_row_args

        name, sub = engine.layer
        step = engine.chunk_size(x[0].numel())
        if rows is None and has_row_args(engine.forward_args):
            rows = engine.arange(0, x.shape[0])

        def forward(i):
            args = engine.row_args(None if rows is None else rows[i:i + step])
            return lambda t: self.model_.forward(t, args)

        return torch.cat([layer_output(self.model_.module, sub, x[i:i + step], layer_name=name,
                                       forward=forward(i))
                          for i in range(0, x.shape[0], step)])

    def _reference_activations(self, engine, refs, n):
        """The layer's output on the references, and how a pair indexes it.

        With per-row forward arguments the references' activations depend on
        the explained row (its mask), so there is one set per row: returns
        ``(acts of shape (n * m, ...), index)`` with ``index(rows, ref) =
        rows * m + ref``; otherwise ``(acts of shape (m, ...), None)``.
        """
        from ..utils._inputs import has_row_args

        if not has_row_args(engine.forward_args):
            return self._activations(engine, refs), None
        m = refs.shape[0]
        rows = engine.arange(0, n).repeat_interleave(m)
        acts = self._activations(engine, refs.repeat(n, *([1] * (refs.dim() - 1))), rows)
        return acts, lambda r, ref: r * m + ref
