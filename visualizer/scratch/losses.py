"""Losses of the NumPy engine, each fused with its output non-linearity where that is stabler.

``forward`` returns the mean loss over the batch as a Python float and caches what ``backward``
needs; ``backward(dout=1.0)`` returns the gradient with respect to the first input (logits or
predictions).  Sources: Saitoh, *Deep Learning from Scratch*, sections 4.2 and 5.6.3 (softmax with
cross-entropy); Goodfellow, Bengio & Courville, *Deep Learning*, section 6.2.2.
"""
from __future__ import annotations

import numpy as np

from visualizer.scratch.layers import sigmoid


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax.  logits: (N, K) -> probabilities (N, K), same dtype; max-subtracted, no overflow."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    e /= e.sum(axis=1, keepdims=True)
    return e


def _check_labels(y: np.ndarray, n: int, k: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {y.shape}")
    if y.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must lie in [0, {k - 1}], got values from {y.min()} to {y.max()}")
    return y


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, computed from logits.  logits: (N, K), y: (N,) int -> mean loss.

    loss = mean_i( logsumexp(z_i) - z_i[y_i] ); d loss / d z = (softmax(z) - onehot(y)) / N.
    Matches ``torch.nn.functional.cross_entropy`` (reduction "mean").  Raises ValueError for labels
    outside [0, K) or of the wrong shape."""

    def __init__(self) -> None:
        self._probs: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        n, k = logits.shape
        y = _check_labels(y, n, k)
        rows = np.arange(n)
        z = logits - logits.max(axis=1, keepdims=True)   # (N, K), max 0 per row
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)                 # (N, 1), >= 1
        loss = np.mean(np.log(s[:, 0]) - z[rows, y])
        e /= s                                           # softmax probabilities (N, K)
        self._probs, self._y = e, y
        return float(loss)

    @property
    def probs(self) -> np.ndarray:
        """Softmax probabilities (N, K) from the last forward."""
        return self._probs

    def backward(self, dout: float = 1.0) -> np.ndarray:
        n = self._probs.shape[0]
        dz = self._probs.copy()
        dz[np.arange(n), self._y] -= 1
        dz *= dz.dtype.type(dout / n)
        return dz                                        # (N, K)


class SigmoidBinaryCrossEntropy:
    """Sigmoid followed by binary cross-entropy, from logits.  logits: (N,) or (N, 1), y: (N,) in {0, 1}.

    loss = mean( max(z, 0) - z y + log(1 + exp(-|z|)) ) (no overflow); d loss / d z = (sigmoid(z) - y) / N.
    Matches ``torch.nn.functional.binary_cross_entropy_with_logits``.  Raises ValueError for bad shapes
    or targets outside [0, 1]."""

    def __init__(self) -> None:
        self._p: np.ndarray | None = None
        self._t: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        z = logits.reshape(-1)                           # (N,)
        n = z.shape[0]
        if logits.ndim not in (1, 2) or (logits.ndim == 2 and logits.shape[1] != 1):
            raise ValueError(f"binary logits must have shape (N,) or (N, 1), got {logits.shape}")
        y = np.asarray(y)
        if y.shape != (n,):
            raise ValueError(f"targets must have shape ({n},), got {y.shape}")
        if n and (y.min() < 0 or y.max() > 1):
            raise ValueError(f"binary targets must lie in [0, 1], got values from {y.min()} to {y.max()}")
        t = y.astype(z.dtype, copy=False)
        loss = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
        self._p, self._t, self._shape = sigmoid(z), t, logits.shape
        return float(loss)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        dz = self._p - self._t
        dz *= dz.dtype.type(dout / dz.shape[0])
        return dz.reshape(self._shape)


class MSE:
    """Mean squared error over all elements.  pred, target: (N, ...) same shape -> mean((pred - target)^2).

    d loss / d pred = 2 (pred - target) / pred.size; matches ``torch.nn.functional.mse_loss``.
    Raises ValueError if the shapes differ."""

    def __init__(self) -> None:
        self._diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        target = np.asarray(target, dtype=pred.dtype)
        if target.shape != pred.shape:
            raise ValueError(f"prediction {pred.shape} and target {target.shape} shapes differ")
        self._diff = pred - target
        return float(np.mean(self._diff * self._diff))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        d = self._diff
        return d * d.dtype.type(2.0 * dout / d.size)
