"""Optimizers of the NumPy engine, with update rules that match ``torch.optim`` step for step.

Each optimizer holds the model's parallel lists ``params`` and ``grads`` (arrays updated in place)
and its hyperparameters as plain attributes (``lr``, ``momentum``, ...), which may be changed between
steps exactly like a ``torch.optim`` param group.  ``step()`` applies one update from the current
gradients.  Weight decay is not part of the optimizer here: ``regularization.py`` adds it to the
gradients first, which is what ``torch.optim``'s ``weight_decay`` does.

Sources: Saitoh, *Deep Learning from Scratch*, section 6.1; Sutskever et al., ICML 2013 (momentum
and Nesterov, in PyTorch's formulation); Duchi, Hazan & Singer, JMLR 12 (2011) (AdaGrad); Tieleman &
Hinton, COURSERA lecture 6.5 (2012) (RMSProp); Kingma & Ba, ICLR 2015 (Adam).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


class Optimizer:
    """Base class.  params, grads: parallel lists of arrays of equal shapes; lr: learning rate > 0.

    Raises ValueError for mismatched lists or a non-positive or non-finite learning rate."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float) -> None:
        if len(params) != len(grads) or any(p.shape != g.shape for p, g in zip(params, grads)):
            raise ValueError("params and grads must be parallel lists of arrays with equal shapes")
        self.params = list(params)
        self.grads = list(grads)
        self.lr = lr

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"learning rate must be a positive number, got {value}")
        self._lr = float(value)

    def step(self) -> None:
        raise NotImplementedError

    # Buffers that are scratch space, not state.
    _SCRATCH = frozenset({"params", "grads", "_buf"})

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The optimizer's state (moments, velocities, the step count ``t``) as name -> NumPy copy, e.g.
        ``{"_m.0": (D, H) array, "t": array(12)}``; {} for plain SGD."""
        out: dict[str, np.ndarray] = {}
        for attr, value in vars(self).items():
            if attr in self._SCRATCH:
                continue
            if isinstance(value, list) and value and all(isinstance(a, np.ndarray) for a in value):
                out.update({f"{attr}.{i}": a.copy() for i, a in enumerate(value)})
            elif attr == "t":
                out["t"] = np.array(value, dtype=np.int64)
        return out

    def load_state_arrays(self, state: dict[str, np.ndarray]) -> None:
        """Assign what :meth:`state_arrays` gave (already validated, e.g. by ``check_state``), in place."""
        for key, value in state.items():
            if key == "t":
                self.t = int(value)
                continue
            attr, _, i = key.rpartition(".")
            getattr(self, attr)[int(i)][...] = value


class SGD(Optimizer):
    """Stochastic gradient descent: w -= lr * g  (``torch.optim.SGD`` without momentum)."""

    def step(self) -> None:
        for p, g in zip(self.params, self.grads):
            p -= p.dtype.type(self.lr) * g


class Momentum(Optimizer):
    """Heavy-ball momentum as ``torch.optim.SGD(momentum=mu)``: v = mu v + g (v = g on the first step);
    w -= lr v.  With ``nesterov`` (``torch.optim.SGD(nesterov=True)``): w -= lr (g + mu v).

    ``momentum`` may change between steps; while it is 0 the velocity is neither used nor updated,
    as in PyTorch.  Raises ValueError for momentum outside [0, 1)."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float,
                 momentum: float = 0.9, nesterov: bool = False) -> None:
        super().__init__(params, grads, lr)
        self.momentum = momentum
        self.nesterov = nesterov
        # Velocity per parameter, zeros at the start: the first step gives v = mu 0 + g = g exactly (torch's
        # "v = g on the first step"), and a checkpoint holds the same arrays before and after that step.
        self._v: list[np.ndarray] = [np.zeros_like(p) for p in self.params]

    @property
    def momentum(self) -> float:
        return self._momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        if not (0.0 <= value < 1.0):
            raise ValueError(f"momentum must be in [0, 1), got {value}")
        self._momentum = float(value)

    def step(self) -> None:
        mu = self.momentum
        for i, (p, g) in enumerate(zip(self.params, self.grads)):
            lr = p.dtype.type(self.lr)
            if mu == 0.0:
                p -= lr * g
                continue
            v = self._v[i]
            if v is None:
                v = self._v[i] = g.copy()
            else:
                v *= p.dtype.type(mu)
                v += g
            if self.nesterov:
                p -= lr * (g + p.dtype.type(mu) * v)
            else:
                p -= lr * v


class Nesterov(Momentum):
    """Nesterov momentum as ``torch.optim.SGD(momentum=mu, nesterov=True)``: v = mu v + g; w -= lr (g + mu v)."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float,
                 momentum: float = 0.9) -> None:
        super().__init__(params, grads, lr, momentum, nesterov=True)


class AdaGrad(Optimizer):
    """AdaGrad as ``torch.optim.Adagrad``: h += g^2; w -= lr g / (sqrt(h) + eps), eps = 1e-10."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float,
                 eps: float = 1e-10) -> None:
        super().__init__(params, grads, lr)
        self.eps = float(eps)
        self._h = [np.zeros_like(p) for p in self.params]      # sum of squared gradients
        self._buf = [np.empty_like(p) for p in self.params]

    def step(self) -> None:
        for p, g, h, buf in zip(self.params, self.grads, self._h, self._buf):
            h += g * g
            np.sqrt(h, out=buf)
            buf += p.dtype.type(self.eps)
            np.divide(g, buf, out=buf)
            buf *= p.dtype.type(self.lr)
            p -= buf


class RMSProp(Optimizer):
    """RMSProp as ``torch.optim.RMSprop`` (not centred, no momentum):
    s = alpha s + (1 - alpha) g^2; w -= lr g / (sqrt(s) + eps), alpha = 0.99, eps = 1e-8."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float,
                 alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(params, grads, lr)
        self.alpha = float(alpha)
        self.eps = float(eps)
        self._s = [np.zeros_like(p) for p in self.params]      # running mean of squared gradients
        self._buf = [np.empty_like(p) for p in self.params]

    def step(self) -> None:
        for p, g, s, buf in zip(self.params, self.grads, self._s, self._buf):
            t = p.dtype.type
            s *= t(self.alpha)
            np.multiply(g, g, out=buf)
            buf *= t(1.0 - self.alpha)
            s += buf
            np.sqrt(s, out=buf)
            buf += t(self.eps)
            np.divide(g, buf, out=buf)
            buf *= t(self.lr)
            p -= buf


class Adam(Optimizer):
    """Adam as ``torch.optim.Adam`` (bias-corrected, not AMSGrad):
    m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; t += 1;
    w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), b1 = 0.9, b2 = 0.999, eps = 1e-8."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, grads, lr)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = float(eps)
        self.t = 0
        self._m = [np.zeros_like(p) for p in self.params]      # first moment
        self._v = [np.zeros_like(p) for p in self.params]      # second moment
        self._buf = [np.empty_like(p) for p in self.params]

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1 - b1 ** self.t)
        bc2_sqrt = math.sqrt(1 - b2 ** self.t)
        for p, g, m, v, buf in zip(self.params, self.grads, self._m, self._v, self._buf):
            t = p.dtype.type
            np.subtract(g, m, out=buf)             # m += (1 - b1)(g - m), PyTorch's lerp
            buf *= t(1 - b1)
            m += buf
            v *= t(b2)
            np.multiply(g, g, out=buf)
            buf *= t(1 - b2)
            v += buf
            np.sqrt(v, out=buf)                    # denominator sqrt(v) / sqrt(1 - b2^t) + eps
            buf /= t(bc2_sqrt)
            buf += t(self.eps)
            np.divide(m, buf, out=buf)
            buf *= t(step_size)
            p -= buf


class SparseAdam(Optimizer):
    """Lazy Adam as ``torch.optim.SparseAdam``: a step touches only the rows (along axis 0) that had a
    gradient in this batch, e.g. the embedding rows looked up; the moments of the other rows neither
    decay nor move them.  For the looked-up rows R of a parameter, with g its (dense) gradient:

        m[R] = b1 m[R] + (1 - b1) g[R];  v[R] = b2 v[R] + (1 - b2) g[R]^2;  t += 1 (every step)
        w[R] -= lr sqrt(1 - b2^t) / (1 - b1^t) * m[R] / (sqrt(v[R]) + eps)

    (torch's SparseAdam formula: eps is added to sqrt(v) before the bias correction, unlike Adam).  Cost
    O(|R| · row size) instead of several passes over the whole (V, H) matrix: the right optimizer for
    word2vec's embeddings (Mikolov et al.'s C code updates only the rows a window uses, too).

    ``step(rows)``: rows[i] is a 1-D int array of the row ids of params[i] to update (duplicates are
    merged), or None for every row whose gradient is not all zero (a dense scan).  Raises ValueError for
    a rows list of the wrong length or ids outside the parameter's rows."""

    def __init__(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, grads, lr)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = float(eps)
        self.t = 0
        self._m = [np.zeros_like(p) for p in self.params]      # first moment
        self._v = [np.zeros_like(p) for p in self.params]      # second moment

    def step(self, rows: Sequence[np.ndarray | None] | None = None) -> None:
        if rows is None:
            rows = [None] * len(self.params)
        if len(rows) != len(self.params):
            raise ValueError(f"step() needs one rows array per parameter ({len(self.params)}), got {len(rows)}")
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v, r in zip(self.params, self.grads, self._m, self._v, rows):
            if r is None:
                r = np.flatnonzero(np.any(g.reshape(g.shape[0], -1) != 0, axis=1))
            else:
                r = np.unique(np.asarray(r).reshape(-1))
                if r.size and (r[0] < 0 or r[-1] >= p.shape[0]):
                    raise ValueError(f"row ids must lie in [0, {p.shape[0] - 1}], got {r[0]} to {r[-1]}")
            if r.size == 0:
                continue
            t = p.dtype.type
            gr = g[r]                                      # (R, ...) gradient rows
            mr = m[r]
            mr += t(1 - b1) * (gr - mr)                    # torch: old += (1 - b) (new - old)
            vr = v[r]
            vr += t(1 - b2) * (gr * gr - vr)
            m[r] = mr
            v[r] = vr
            p[r] -= t(step_size) * (mr / (np.sqrt(vr) + t(self.eps)))


OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def make_optimizer(name: str, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float,
                   momentum: float = 0.9) -> Optimizer:
    """An optimizer by name (one of OPTIMIZERS); ``momentum`` is used by "momentum" and "nesterov" only.

    Raises ValueError for an unknown name or invalid hyperparameters."""
    if name == "sgd":
        return SGD(params, grads, lr)
    if name == "momentum":
        return Momentum(params, grads, lr, momentum)
    if name == "nesterov":
        return Nesterov(params, grads, lr, momentum)
    if name == "adagrad":
        return AdaGrad(params, grads, lr)
    if name == "rmsprop":
        return RMSProp(params, grads, lr)
    if name == "adam":
        return Adam(params, grads, lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
