"""A small CNN with global average pooling, trained on scikit-learn's 8x8 digits.

The image explainers' tests share it: ``conv-relu-conv-relu-maxpool-conv-relu-
global average pool-linear`` is the architecture CAM needs, and it reaches
about 98% training accuracy in a few seconds on two CPU cores.  The gallery
examples in ``examples/images/`` write the same dozen lines out, so that each
stays a script a reader can copy.  torch is imported inside the functions:
importing this module needs only numpy and scikit-learn.
"""
import numpy as np

__all__ = ["digits_cnn", "digits_images", "memorize", "train_digits_cnn", "trained_digits_cnn"]


def digits_images():
    """``(X, y)``: the 1797 digits as float32 images of shape (1, 8, 8) in [0, 1].

    Examples
    --------
    >>> X, y = digits_images()
    >>> X.shape, X.dtype, float(X.max()), y[:3]
    ((1797, 1, 8, 8), dtype('float32'), 1.0, array([0, 1, 2]))
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32), y


def digits_cnn(random_state=0):
    """An untrained ``nn.Sequential``: 3 conv layers, global average pooling, linear.

    Layer names: ``"0"``, ``"2"``, ``"5"`` are the convolutions (``"5"`` at
    4x4; its ReLU ``"6"``, whose spatial mean is the classifier's input, is
    the default layer of CAM and Grad-CAM), ``"7"`` the ``AdaptiveAvgPool2d(1)``,
    ``"9"`` the ``Linear(32, 10)`` classifier.  The weights are drawn from a
    generator seeded by ``random_state``; the global RNG is left as it was.
    """
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def _tensors(X, y):
    import torch

    return (torch.as_tensor(np.asarray(X), dtype=torch.float32),
            torch.as_tensor(np.asarray(y), dtype=torch.long))


def train_digits_cnn(model, X, y, *, epochs=4, batch_size=32, learning_rate=0.01,
                     random_state=0):
    """Train ``model`` in place by mini-batch Adam with a one-cycle learning rate.

    Returns the model, in eval mode.  The one-cycle schedule (warm up, then
    anneal) ends every run near a minimum: with a constant rate the last
    epochs' accuracy jumps by several points from one seed to the next.
    """
    import torch
    from torch import nn

    X, y = _tensors(X, y)
    order = torch.Generator().manual_seed(random_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    n_batches = -(-len(X) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate,
                                                   total_steps=epochs * n_batches)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=order).split(batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            optimizer.step()
            schedule.step()
    return model.eval()


def memorize(model, X, y, *, min_accuracy=0.95, max_steps=1000, learning_rate=0.01):
    """Train ``model`` in place by full-batch Adam until it fits ``(X, y)``.

    The data randomization test (Adebayo et al., 2018) compares explanations
    with those of a model that has *memorised* permuted labels; stopping
    earlier would compare with a half-trained model.  Training accuracy is
    checked every 25 steps.

    Raises
    ------
    RuntimeError
        When the training accuracy is still below ``min_accuracy`` after
        ``max_steps`` steps.
    """
    import torch
    from torch import nn

    X, y = _tensors(X, y)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    accuracy = 0.0
    for step in range(1, max_steps + 1):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
        if step % 25 == 0:
            with torch.no_grad():
                accuracy = float((model(X).argmax(1) == y).float().mean())
            if accuracy >= min_accuracy:
                return model.eval()
    raise RuntimeError(f"memorize: training accuracy {accuracy:.3f} after {max_steps} steps "
                       f"is below min_accuracy={min_accuracy}; give more steps or fewer rows.")


def trained_digits_cnn(random_state=0):
    """``(model, X, y, accuracy)``: :func:`digits_cnn` trained on every digit."""
    import torch

    X, y = digits_images()
    model = train_digits_cnn(digits_cnn(random_state), X, y, random_state=random_state)
    with torch.no_grad():
        accuracy = float((model(torch.as_tensor(X)).argmax(1).numpy() == y).mean())
    return model, X, y, accuracy
