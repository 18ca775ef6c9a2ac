"""Quadrature rules on [0, 1] and path integrals of gradients.

``quadrature`` gives the nodes and weights used by IntegratedGradients;
``integrate_paths`` evaluates, through the :class:`GradientEngine`, sums of the
form ``sum_p w_p (x[row_p] - ref_p) * grad f(ref_p + alpha_p (x[row_p] - ref_p))``
which cover IntegratedGradients (a fixed grid of alphas per background row) and
ExpectedGradients (random background rows and alphas).
"""
import numpy as np

__all__ = ["QUADRATURE_METHODS", "quadrature", "integrate_paths"]

QUADRATURE_METHODS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle",
                      "riemann_trapezoid")


def quadrature(method, n_steps):
    """Nodes and weights of a quadrature rule on [0, 1].

    Parameters
    ----------
    method : {"gausslegendre", "riemann_left", "riemann_right", "riemann_middle", \
"riemann_trapezoid"}
        ``"gausslegendre"``: Gauss-Legendre nodes ``(1 + xi) / 2`` and weights
        ``w / 2`` (exact for polynomials of degree ``2 n_steps - 1``).
        ``"riemann_left"``/``"riemann_right"``/``"riemann_middle"``: nodes
        ``k/n``, ``(k+1)/n``, ``(k+1/2)/n`` with weight ``1/n``.
        ``"riemann_trapezoid"``: nodes ``linspace(0, 1, n)`` with weights
        ``h/2, h, ..., h, h/2``, ``h = 1/(n-1)``; they sum to one (captum's
        sum to ``(n-1)/n``, which shrinks attributions by that factor).
    n_steps : int
        Number of nodes (at least 2 for the trapezoid rule).

    Returns
    -------
    alphas : ndarray of shape (n_steps,)
    weights : ndarray of shape (n_steps,)
        They sum to one, so constant gradients are integrated exactly.

    Examples
    --------
    >>> from skexplain.gradient._paths import quadrature
    >>> quadrature("riemann_trapezoid", 3)
    (array([0. , 0.5, 1. ]), array([0.25, 0.5 , 0.25]))
    """
    n = int(n_steps)
    k = np.arange(n, dtype=float)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return 0.5 * (nodes + 1.0), 0.5 * weights
    if method == "riemann_trapezoid":
        if n < 2:
            raise ValueError(f"method='riemann_trapezoid' needs n_steps >= 2; got {n}.")
        weights = np.full(n, 1.0 / (n - 1))
        weights[[0, -1]] /= 2.0
        return np.linspace(0.0, 1.0, n), weights
    offsets = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}
    if method not in offsets:
        raise ValueError(f"method must be one of {QUADRATURE_METHODS}; got {method!r}.")
    return (k + offsets[method]) / n, np.full(n, 1.0 / n)


def integrate_paths(engine, x, refs, targets, pairs, *, pairs_per_row, alphas,
                    step_weights, pair_weights, second_moment=False, inputs=None,
                    reduce=None):
    """Path integrals of gradients, summed per explained row.

    The work is a list of *pairs* (an explained row and a reference row),
    each with ``S`` points ``ref + alpha_k (x - ref)`` on the straight path;
    row ``i`` gets ``sum_p pair_weights_p (x_i - ref_p) * sum_k
    step_weights_k grad f_t(ref_p + alpha_pk (x_i - ref_p))`` over its pairs.
    Points are enumerated pair by pair, so chunks hold whole pairs (or part of
    one pair when ``batch_size < S``) and the reduction over steps is one
    batched product per chunk.

    Parameters
    ----------
    engine : GradientEngine
    x : Tensor of shape (n, \\*input_shape)
        Explained rows, on the engine's device.
    refs : Tensor of shape (m, \\*input_shape)
        Reference (background) rows.
    targets : LongTensor of shape (n,)
        Output column explained for each row.
    pairs : callable
        ``pairs(p0, p1) -> (rows, ref_index)``: LongTensors of shape (p1 - p0,)
        for the pairs ``p0..p1-1`` of a fixed enumeration in which each row
        owns ``pairs_per_row`` consecutive pairs.
    pairs_per_row : int
    alphas : callable
        ``alphas(p0, p1) -> Tensor of shape (p1 - p0, S)``, the path positions.
    step_weights : Tensor of shape (S,)
    pair_weights : callable
        ``pair_weights(p0, p1, ref_index) -> Tensor of shape (p1 - p0,)``.
    second_moment : bool, default=False
        Also return ``sum_p (pair_weights_p c_p)**2`` where ``c_p`` is a pair's
        contribution (with one step per pair: the standard error of a mean of
        equally weighted samples).
    inputs : Tensor of shape (n, \\*input_shape), default=None
        Paths at a layer (the engine has a ``layer``): ``x`` and ``refs`` are
        then the layer's outputs on the rows and references, each pass runs
        the model on ``inputs[row]`` with the layer's output replaced by the
        path point, and the gradients are taken there.
    reduce : callable, default=None
        Applied to each pair's contribution before it is summed (and squared):
        ``layer_reduce="sum"``'s sum over the last axis.

    Returns
    -------
    total : Tensor of shape (n, \\*input_shape), or as ``reduce`` returns
    squares : Tensor like ``total`` or None
    """
    import torch

    from ._engine import Batch, sum_rows

    reduce = reduce or (lambda t: t)
    total = torch.zeros_like(reduce(x))
    squares = torch.zeros_like(total) if second_moment else None
    S, feature_dims = step_weights.shape[0], (1,) * (x.dim() - 1)

    def make(start, stop, _hooks):
        p0, k0 = divmod(start, S)
        p1 = p0 + max(1, (stop - start) // S)  # whole pairs, or part of pair p0
        rows, ref_index = pairs(p0, p1)
        ref = refs[ref_index]
        diff = x[rows] - ref
        a = alphas(p0, p1)[:, k0:k0 + stop - start]
        points = torch.addcmul(ref[:, None], a.view(a.shape + feature_dims), diff[:, None])
        sel = targets[rows].repeat_interleave(a.shape[1])
        if inputs is None:
            return Batch(points.flatten(0, 1), sel, aux=(p0, p1, k0, ref_index, diff),
                         rows=rows.repeat_interleave(a.shape[1]))
        # the row's own input, the layer's output moved along the path
        point_rows = rows.repeat_interleave(a.shape[1])
        return Batch(inputs[point_rows], sel, aux=(p0, p1, k0, ref_index, diff),
                     layer_values=points.flatten(0, 1), rows=point_rows)

    def consume(result):
        (p0, p1, k0, ref_index, diff) = result.batch.aux
        grads = result.grads if inputs is None else result.layer_grads
        w = step_weights[k0:k0 + grads.shape[0] // (p1 - p0)]
        # sum_k w_k grad_k (one batched product), times (x - ref): a pair's contribution
        summed = torch.matmul(w, grads.reshape(p1 - p0, w.shape[0], -1)).view_as(diff)
        contrib = reduce(summed.mul_(diff).mul_(pair_weights(p0, p1, ref_index).view(
            (-1,) + feature_dims)))
        sum_rows(total, contrib, p0, pairs_per_row)
        if squares is not None:
            sum_rows(squares, contrib.square_(), p0, pairs_per_row)

    n_points = x.shape[0] * pairs_per_row * S
    engine.run(n_points, x[0].numel(), make, consume, group=S)
    return total, squares
