"""Token ids outside an ``nn.Embedding``'s range, named before torch's bare error.

torch reports an id outside ``[0, num_embeddings)`` as ``IndexError: index
out of range in self``, deep inside the forward pass of a batch of hybrids
or of interpolation points.  :func:`find_id_embedding` learns, once, which
embedding receives the model's input tensor itself; :func:`check_token_ids`
then checks the user's rows (X or the background) against its size.  A
module that embeds a slice or a function of its input is not checked (its
own error stands): only ids known to go straight into the table are judged.
"""
import numpy as np

__all__ = ["check_token_ids", "find_id_embedding"]

_SHOWN = 10  # ids and rows named in a message


class _Found(Exception):
    """Stops the probing forward pass at the embedding (nothing after it runs)."""


def find_id_embedding(module, x, call=None):
    """``(name, num_embeddings)`` of the first embedding called on ``x`` itself, or None.

    Runs ``module`` on ``x`` (an int64 tensor, one row) with temporary
    forward pre-hooks on its ``nn.Embedding``/``nn.EmbeddingBag`` submodules,
    stopped at the first one whose input *is* ``x``; the hooks are removed
    before returning.  A module failing before any such embedding gives None.
    ``call``: runs the module with ``x`` among its arguments (other inputs,
    ``additional_forward_args``); default ``module(x)``.
    """
    import torch

    from ._torch import eval_mode
    from ._torch_layers import thread_owned  # imports torch: not at module level

    def hook_for(name):
        def hook(mod, args):
            if args and args[0] is x:
                raise _Found(name, int(mod.num_embeddings))
        return thread_owned(hook)

    kinds = (torch.nn.Embedding, torch.nn.EmbeddingBag)
    handles = [sub.register_forward_pre_hook(hook_for(name))
               for name, sub in module.named_modules() if isinstance(sub, kinds)]
    if not handles:
        return None
    try:
        with torch.no_grad(), eval_mode(module):
            module(x) if call is None else call()
    except _Found as found:
        return found.args
    except Exception:  # the module's own error is reported by the call that needs it
        return None
    finally:
        for handle in handles:
            handle.remove()
    return None


def check_token_ids(X, embedding, name, who):
    """Raise ``ValueError`` naming the ids of ``X`` outside ``[0, num_embeddings)``.

    Parameters
    ----------
    X : ndarray, DataFrame or tensor of shape (n, \\*input_shape)
    embedding : tuple (str, int)
        The embedding's dotted name and ``num_embeddings``.
    name : str
        What ``X`` is for the user ("X", "background").
    who : str
        The model, as in other messages.
    """
    import torch

    emb_name, size = embedding
    if torch.is_tensor(X):
        t = X.detach()
        if t.is_complex() or t.dtype == torch.bool:
            return
        bad = (t < 0) | (t >= size)
        if not bool(bad.any()):
            return
        ids, bad = t.cpu().numpy(), bad.cpu().numpy()
    else:
        ids = np.asarray(X)
        if ids.dtype.kind not in "iuf":  # floats: whole numbers passed on as ids
            return
        bad = (ids < 0) | (ids >= size)
        if not bad.any():
            return
    values = np.unique(ids[bad])
    rows = np.flatnonzero(bad.reshape(len(ids), -1).any(axis=1))
    raise ValueError(
        f"{name} holds token ids outside [0, {size}), the range of the nn.Embedding "
        f"{emb_name!r} of {who} (num_embeddings={size}): {_listed(values)} in rows "
        f"{_listed(rows)}. Map unknown tokens to an id of the vocabulary (e.g. an "
        "<unk> or padding id).")


def _listed(a):
    more = f" and {len(a) - _SHOWN} more" if len(a) > _SHOWN else ""
    return f"{a[:_SHOWN].tolist()}{more}"
