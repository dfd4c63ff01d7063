"""Layers of the NumPy engine: Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Dropout, BatchNorm1d.

API (Saitoh, *Deep Learning from Scratch*, ch. 5 "Backpropagation"): each layer holds parallel lists
``params`` and ``grads`` (empty for parameter-free layers); ``forward(x)`` caches what ``backward``
needs; ``backward(dout)`` writes the parameter gradients in place (so lists held by a model or an
optimizer stay valid) and returns ``dx``, the gradient of the loss with respect to ``x``.  ``train``
switches Dropout and BatchNorm between training and evaluation behaviour.  All arrays keep the dtype
of the layer's parameters / input (float32 by default, float64 for gradient checks).
"""
from __future__ import annotations

import numpy as np


class Layer:
    """Base class: a parameter-free layer in training mode.  Subclasses override forward/backward."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.train = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Linear(Layer):
    """Fully connected layer y = x W + b.  x: (N, D) -> y: (N, H).

    ``b=None`` makes a layer without bias (``params = [W]``), used before BatchNorm, which cancels a bias.
    ``input_grad = False`` skips computing dx (backward then returns None): a model sets it on its
    first layer, whose input is data, as PyTorch autograd does for inputs without requires_grad."""

    def __init__(self, W: np.ndarray, b: np.ndarray | None) -> None:
        super().__init__()
        if W.ndim != 2 or (b is not None and (b.shape != (W.shape[1],) or W.dtype != b.dtype)):
            raise ValueError(f"Linear needs W: (D, H) and b: (H,) of one dtype, got W {W.shape} {W.dtype}, "
                             f"b {None if b is None else (b.shape, b.dtype)}")
        self.params = [W] if b is None else [W, b]     # W: (D, H), b: (H,)
        self.grads = [np.zeros_like(p) for p in self.params]
        self.input_grad = True
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        out = x @ self.params[0]                   # (N, H)
        if len(self.params) == 2:
            out += self.params[1]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        np.matmul(self._x.T, dout, out=self.grads[0])   # (D, H)
        if len(self.grads) == 2:
            np.sum(dout, axis=0, out=self.grads[1])     # (H,)
        if not self.input_grad:
            return None
        return dout @ self.params[0].T             # (N, D)


class ReLU(Layer):
    """Rectified linear unit y = max(x, 0), elementwise.  x: (N, ...) -> y: same shape.

    The gradient at x = 0 is taken as 0, as in PyTorch.  Source: Nair & Hinton, ICML 2010."""

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._mask = x > 0                         # (N, ...) bool
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._mask


class LeakyReLU(Layer):
    """Leaky ReLU y = x if x > 0 else slope * x.  x: (N, ...) -> y: same shape.

    Default slope 0.01 as ``torch.nn.LeakyReLU``.  Source: Maas, Hannun & Ng, ICML 2013 workshop."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._mask = x > 0
        return np.where(self._mask, x, x * x.dtype.type(self.slope))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self._mask, dout, dout * dout.dtype.type(self.slope))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)) without overflow for large |x|.  Same shape and dtype as x."""
    e = np.exp(-np.abs(x))                         # in (0, 1], never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Layer):
    """Logistic sigmoid y = 1 / (1 + exp(-x)); dy/dx = y (1 - y).  x: (N, ...) -> y: same shape."""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = sigmoid(x)
        return self._y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self._y
        return dout * y * (1 - y)


class Tanh(Layer):
    """Hyperbolic tangent y = tanh(x); dy/dx = 1 - y^2.  x: (N, ...) -> y: same shape."""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = np.tanh(x)
        return self._y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self._y
        return dout * (1 - y * y)


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability p and scale survivors by 1/(1-p);
    identity in evaluation.  x: (N, ...) -> y: same shape.

    The mask is drawn from ``rng`` (a ``numpy.random.Generator``), so a seed reproduces a run.
    Source: Srivastava et al., JMLR 15 (2014); Saitoh section 6.4.3.  Raises ValueError unless 0 <= p < 1."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = rng
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.train or self.p == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.p
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
        u = self.rng.random(x.shape, dtype=dtype)
        self._mask = (u >= self.p).astype(x.dtype)
        self._mask *= x.dtype.type(1.0 / keep)    # (N, ...): 0 or 1/(1-p)
        return x * self._mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return dout
        return dout * self._mask


class BatchNorm1d(Layer):
    """Batch normalisation over the batch axis.  x: (N, D) -> y: (N, D).

    Training: y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch mean and biased batch
    variance; running averages updated as in ``torch.nn.BatchNorm1d`` (momentum 0.1, the running
    variance uses the unbiased batch variance).  Evaluation: the running statistics are used.
    Source: Ioffe & Szegedy, ICML 2015; Saitoh section 6.3.
    Raises ValueError in training mode for a batch of one sample (its variance is undefined)."""

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.params = [gamma, beta]                # gamma, beta: (D,)
        self.grads = [np.zeros_like(gamma), np.zeros_like(beta)]
        self.running_mean = np.zeros_like(gamma)   # (D,)
        self.running_var = np.ones_like(gamma)     # (D,)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        gamma, beta = self.params
        if not self.train:
            inv_std = 1 / np.sqrt(self.running_var + x.dtype.type(self.eps))
            return (x - self.running_mean) * (gamma * inv_std) + beta
        n = x.shape[0]
        if n < 2:
            raise ValueError("batch normalisation needs at least 2 samples per training batch, got 1")
        mean = x.mean(axis=0)                      # (D,)
        xc = x - mean                              # (N, D)
        var = np.mean(xc * xc, axis=0)             # (D,) biased
        inv_std = 1 / np.sqrt(var + x.dtype.type(self.eps))
        xhat = xc * inv_std                        # (N, D)
        m = self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += (m * n / (n - 1)) * var
        self._xhat, self._inv_std = xhat, inv_std
        return xhat * gamma + beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        gamma, _ = self.params
        xhat, inv_std = self._xhat, self._inv_std
        n = dout.shape[0]
        np.sum(dout * xhat, axis=0, out=self.grads[0])   # (D,)
        np.sum(dout, axis=0, out=self.grads[1])          # (D,)
        # dx = gamma / (N sigma) * (N dout - sum(dout) - xhat * sum(dout * xhat))
        dx = n * dout - self.grads[1] - xhat * self.grads[0]
        dx *= gamma * inv_std / n
        return dx                                  # (N, D)
