"""The residual block of the NumPy engine: y = x + F(x) with F = Linear -> [BatchNorm1d] -> activation -> Linear.

He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, section 3.1-3.2: a
block learns the *residual* F(x) = H(x) - x of the mapping H it should represent, and the identity
shortcut adds x back.  Backward, the shortcut adds the incoming gradient unchanged:

    ∂L/∂x = ∂L/∂y · (I + ∂F/∂x)

so however small ∂F/∂x becomes, the gradient reaching earlier layers keeps the term ∂L/∂y.  The block
follows the layer API of ``visualizer.scratch.layers`` (Saitoh, *Deep Learning from Scratch*, ch. 5):
parallel ``params`` / ``grads`` lists (the inner layers' arrays, so an optimizer updates them in place),
``forward`` caches, ``backward`` fills ``grads`` and returns dx.  Qt-free.
"""
from __future__ import annotations

import numpy as np

from visualizer.scratch.layers import BatchNorm1d, Layer, Linear


class ResidualBlock(Layer):
    """Identity-shortcut block y = x + F(x), F(x) = W₂ act(BN(x W₁ [+ b₁])) + b₂.  x: (N, D) -> y: (N, D).

    W1, W2: (D, D) weights; b1: (D,) or None (None when ``batchnorm`` is given: BN's mean subtraction
    cancels a bias, Ioffe & Szegedy 2015 §3.2); b2: (D,); batchnorm: an optional ``BatchNorm1d`` over D
    features; activation: an activation layer (ReLU, Sigmoid, Tanh, ...) or None for a linear F.
    ``params`` = [W1, (b1), (gamma, beta), W2, b2], ``grads`` parallel to it.  ``hidden`` is the last
    forward's activation output act(...) (N, D), the block's hidden layer (for activation histograms).
    Raises ValueError when the weights are not square of one size D and one dtype."""

    def __init__(self, W1: np.ndarray, b1: np.ndarray | None, W2: np.ndarray, b2: np.ndarray,
                 activation: Layer | None, batchnorm: BatchNorm1d | None = None) -> None:
        super().__init__()
        d = W1.shape[0]
        if W1.shape != (d, d) or W2.shape != (d, d) or W1.dtype != W2.dtype:
            raise ValueError(f"a residual block needs square weights W1, W2: (D, D) of one dtype so that "
                             f"x + F(x) is defined, got W1 {W1.shape} {W1.dtype}, W2 {W2.shape} {W2.dtype}")
        self.linear1 = Linear(W1, b1)
        self.batchnorm = batchnorm
        self.activation = activation
        self.linear2 = Linear(W2, b2)
        self.inner: list[Layer] = [self.linear1] + ([batchnorm] if batchnorm is not None else []) \
            + ([activation] if activation is not None else []) + [self.linear2]
        self.params = [p for layer in self.inner for p in layer.params]
        self.grads = [g for layer in self.inner for g in layer.grads]
        self.hidden: np.ndarray | None = None

    @property
    def train(self) -> bool:
        """Training mode (BatchNorm uses batch statistics) or evaluation mode; set on every inner layer."""
        return self._train

    @train.setter
    def train(self, value: bool) -> None:
        self._train = bool(value)
        for layer in getattr(self, "inner", ()):
            layer.train = self._train

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = self.linear1.forward(x)                 # (N, D)
        if self.batchnorm is not None:
            h = self.batchnorm.forward(h)
        if self.activation is not None:
            h = self.activation.forward(h)
        self.hidden = h                             # (N, D) act output
        return x + self.linear2.forward(h)          # (N, D)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        d = self.linear2.backward(dout)             # (N, D) through F, last layer first
        if self.activation is not None:
            d = self.activation.backward(d)
        if self.batchnorm is not None:
            d = self.batchnorm.backward(d)
        d = self.linear1.backward(d)
        return dout + d                             # (N, D): the shortcut adds dout unchanged
