"""The racers: one optimizer on a 2-element parameter θ = (x, y), on either engine.

A racer holds θ, the gradient at θ, and its optimizer; ``advance()`` applies one update from the
gradient at the current point, then evaluates f and ∇f at the new point (kept for the next step and
for the arrows).  The NumPy racer uses the scratch engine's optimizers
(``visualizer/scratch/optimizers.py``) and the surface's analytic gradient; the torch racer uses
``torch.optim`` on a float64 tensor and autograd through the same formula.  Both give the same
trajectory to round-off.  Qt-free; torch is imported only by :class:`TorchRacer`.

Sources: Saitoh, *Deep Learning from Scratch*, 6.1; Sutskever et al., ICML 2013 (momentum,
Nesterov); Duchi et al., JMLR 2011 (AdaGrad); Tieleman & Hinton, lecture 6.5 (RMSProp); Kingma & Ba,
ICLR 2015 (Adam).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lessons.optimizers.surfaces import Surface
from visualizer.scratch import optimizers as scratch

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
          "rmsprop": "RMSProp", "adam": "Adam"}
ADAPTIVE = ("adagrad", "rmsprop", "adam")
ADAGRAD_EPS, RMSPROP_EPS, ADAM_EPS = 1e-10, 1e-8, 1e-8     # torch.optim's defaults


@dataclass
class Hyper:
    """The hyperparameters of one racer: lr, β (momentum, Nesterov), ρ (RMSProp), β₁, β₂ (Adam)."""

    lr: float
    momentum: float = 0.9
    rho: float = 0.99
    beta1: float = 0.9
    beta2: float = 0.999


class Racer:
    """One optimizer's run from ``start`` (2,) on ``surface``.

    Attributes: ``position`` (2,) float64 θ, ``grad`` (2,) ∇f(θ), ``value`` f(θ), ``update`` (2,) the
    last Δθ, ``steps`` updates made.  Subclasses implement the engine."""

    def __init__(self, name: str, surface: Surface, start: np.ndarray, hyper: Hyper) -> None:
        if name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
        self.name = name
        self.surface = surface
        self.hyper = hyper
        self.steps = 0
        self.update = np.zeros(2)
        self.value = float("nan")
        self.grad = np.zeros(2)

    @property
    def position(self) -> np.ndarray:
        raise NotImplementedError

    def advance(self) -> None:
        """One update θ ← θ + Δθ from ∇f(θ), then f and ∇f at the new θ."""
        raise NotImplementedError

    def set_hyper(self, hyper: Hyper) -> None:
        """Change hyperparameters between steps (as a torch param group is changed)."""
        raise NotImplementedError

    def second_moment(self) -> np.ndarray | None:
        """The adaptive denominator's estimate of E[g²] per coordinate, bias-corrected for Adam:
        AdaGrad h = Σg², RMSProp s, Adam v̂ = v/(1 − β₂ᵗ).  (2,) float64, or None for SGD/momentum."""
        raise NotImplementedError

    def adaptive_scale(self) -> np.ndarray | None:
        """The per-coordinate step multiplier lr/(√v + ε) of an adaptive method, (2,), or None."""
        v = self.second_moment()
        if v is None:
            return None
        eps = {"adagrad": ADAGRAD_EPS, "rmsprop": RMSPROP_EPS, "adam": ADAM_EPS}[self.name]
        return self.hyper.lr / (np.sqrt(v) + eps)

    def state(self) -> dict[str, np.ndarray]:
        """Position, step count and optimizer buffers in an engine-neutral form (checkpoints)."""
        raise NotImplementedError

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state`.  Raises KeyError or ValueError for a missing or misshapen array."""
        raise NotImplementedError


class NumpyRacer(Racer):
    """A racer on the scratch engine: θ (2,) float64 updated in place by a scratch optimizer from the
    surface's analytic gradient."""

    def __init__(self, name: str, surface: Surface, start: np.ndarray, hyper: Hyper) -> None:
        super().__init__(name, surface, start, hyper)
        self.p = np.array(start, dtype=np.float64)          # θ: (2,)
        self.g = np.zeros(2)                                # ∇f(θ), read by the optimizer
        self.opt = self._make(hyper)
        self._evaluate()

    def _make(self, h: Hyper) -> scratch.Optimizer:
        params, grads = [self.p], [self.g]
        if self.name == "sgd":
            return scratch.SGD(params, grads, h.lr)
        if self.name == "momentum":
            return scratch.Momentum(params, grads, h.lr, h.momentum)
        if self.name == "nesterov":
            return scratch.Nesterov(params, grads, h.lr, h.momentum)
        if self.name == "adagrad":
            return scratch.AdaGrad(params, grads, h.lr, eps=ADAGRAD_EPS)
        if self.name == "rmsprop":
            return scratch.RMSProp(params, grads, h.lr, alpha=h.rho, eps=RMSPROP_EPS)
        return scratch.Adam(params, grads, h.lr, betas=(h.beta1, h.beta2), eps=ADAM_EPS)

    def _evaluate(self) -> None:
        f, g = self.surface.value_and_grad(self.p)
        self.value = f
        self.g[...] = g
        self.grad = self.g.copy()

    @property
    def position(self) -> np.ndarray:
        return self.p.copy()

    def advance(self) -> None:
        before = self.p.copy()
        self.opt.step()
        self.update = self.p - before
        self.steps += 1
        if np.all(np.isfinite(self.p)):
            self._evaluate()
        else:
            self.value = float("nan")

    def set_hyper(self, h: Hyper) -> None:
        self.hyper = h
        self.opt.lr = h.lr
        if isinstance(self.opt, scratch.Momentum):
            self.opt.momentum = h.momentum
        elif isinstance(self.opt, scratch.RMSProp):
            self.opt.alpha = h.rho
        elif isinstance(self.opt, scratch.Adam):
            self.opt.beta1, self.opt.beta2 = h.beta1, h.beta2

    def second_moment(self) -> np.ndarray | None:
        o = self.opt
        if isinstance(o, scratch.AdaGrad):
            return o._h[0].copy()
        if isinstance(o, scratch.RMSProp):
            return o._s[0].copy()
        if isinstance(o, scratch.Adam):
            return o._v[0] / (1.0 - o.beta2 ** max(o.t, 1))
        return None

    def state(self) -> dict[str, np.ndarray]:
        o = self.opt
        out = {"position": self.p.copy(), "steps": np.array(self.steps)}
        if isinstance(o, scratch.Momentum):
            out["velocity"] = np.zeros(0) if o._v[0] is None else o._v[0].copy()
        elif isinstance(o, scratch.AdaGrad):
            out["sum_sq"] = o._h[0].copy()
        elif isinstance(o, scratch.RMSProp):
            out["square_avg"] = o._s[0].copy()
        elif isinstance(o, scratch.Adam):
            out["exp_avg"], out["exp_avg_sq"] = o._m[0].copy(), o._v[0].copy()
            out["adam_t"] = np.array(o.t)
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        o = self.opt
        self.p[...] = _vec(state["position"])
        self.steps = int(state["steps"])
        if isinstance(o, scratch.Momentum):
            v = np.asarray(state["velocity"], dtype=np.float64)
            o._v[0] = None if v.size == 0 else _vec(v)
        elif isinstance(o, scratch.AdaGrad):
            o._h[0][...] = _vec(state["sum_sq"])
        elif isinstance(o, scratch.RMSProp):
            o._s[0][...] = _vec(state["square_avg"])
        elif isinstance(o, scratch.Adam):
            o._m[0][...] = _vec(state["exp_avg"])
            o._v[0][...] = _vec(state["exp_avg_sq"])
            o.t = int(state["adam_t"])
        self.update = np.zeros(2)
        self._evaluate()


def _vec(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.shape != (2,):
        raise ValueError(f"expected a (2,) array, got shape {a.shape}")
    return a


class TorchRacer(Racer):
    """A racer on PyTorch: θ a float64 tensor (2,) with ``requires_grad``, ``torch.optim`` updates,
    and ∇f from autograd through the surface's ``torch_value``.  device: a ``torch.device``."""

    def __init__(self, name: str, surface: Surface, start: np.ndarray, hyper: Hyper, device=None) -> None:
        import torch

        super().__init__(name, surface, start, hyper)
        self.torch = torch
        self.p = torch.tensor(np.asarray(start, dtype=np.float64), dtype=torch.float64, device=device,
                              requires_grad=True)
        self.opt = self._make(hyper)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._evaluate()
        finally:
            torch.set_num_threads(threads)

    def _make(self, h: Hyper):
        optim = self.torch.optim
        params = [self.p]
        if self.name == "sgd":
            return optim.SGD(params, lr=h.lr)
        if self.name in ("momentum", "nesterov"):
            # built with momentum 0.9 (torch refuses Nesterov with 0), then set: with momentum 0 torch's
            # SGD neither uses nor updates the buffer, like the scratch Momentum
            opt = optim.SGD(params, lr=h.lr, momentum=0.9, nesterov=self.name == "nesterov")
            opt.param_groups[0]["momentum"] = h.momentum
            return opt
        if self.name == "adagrad":
            return optim.Adagrad(params, lr=h.lr, eps=ADAGRAD_EPS)
        if self.name == "rmsprop":
            return optim.RMSprop(params, lr=h.lr, alpha=h.rho, eps=RMSPROP_EPS)
        return optim.Adam(params, lr=h.lr, betas=(h.beta1, h.beta2), eps=ADAM_EPS)

    def _evaluate(self) -> None:
        self.opt.zero_grad(set_to_none=True)
        f = self.surface.torch_value(self.p)
        f.backward()
        self.value = float(f.detach())
        self.grad = self.p.grad.detach().cpu().numpy().astype(np.float64)

    @property
    def position(self) -> np.ndarray:
        return self.p.detach().cpu().numpy().astype(np.float64)

    def advance(self) -> None:
        torch = self.torch
        threads = torch.get_num_threads()
        # Two parameters and a few hundred data points: intra-op threads only add overhead (on a busy
        # 2-core machine a (300, 2) @ (2, 16) product took 46 ms with 2 threads, 0.01 ms with 1).
        # Set per call, not globally, so other lessons in this process keep their threads.
        torch.set_num_threads(1)
        try:
            before = self.position
            self.opt.step()
            after = self.position
            self.update = after - before
            self.steps += 1
            if np.all(np.isfinite(after)):
                self._evaluate()
            else:
                self.value = float("nan")
        finally:
            torch.set_num_threads(threads)

    def set_hyper(self, h: Hyper) -> None:
        self.hyper = h
        group = self.opt.param_groups[0]
        group["lr"] = h.lr
        if self.name in ("momentum", "nesterov"):
            group["momentum"] = h.momentum
        elif self.name == "rmsprop":
            group["alpha"] = h.rho
        elif self.name == "adam":
            group["betas"] = (h.beta1, h.beta2)

    def _buffer(self, key: str) -> np.ndarray | None:
        t = self.opt.state.get(self.p, {}).get(key)
        return None if t is None else t.detach().cpu().numpy().astype(np.float64)

    def _step_count(self) -> int:
        t = self.opt.state.get(self.p, {}).get("step")
        return 0 if t is None else int(float(t))

    def second_moment(self) -> np.ndarray | None:
        if self.name == "adagrad":
            return self._buffer("sum")
        if self.name == "rmsprop":
            return self._buffer("square_avg")
        if self.name == "adam":
            v = self._buffer("exp_avg_sq")
            beta2 = self.opt.param_groups[0]["betas"][1]
            return None if v is None else v / (1.0 - beta2 ** max(self._step_count(), 1))
        return None

    def state(self) -> dict[str, np.ndarray]:
        out = {"position": self.position, "steps": np.array(self.steps)}
        if self.name in ("momentum", "nesterov"):
            v = self._buffer("momentum_buffer")
            out["velocity"] = np.zeros(0) if v is None else v
        elif self.name == "adagrad":
            out["sum_sq"] = self._buffer("sum")
        elif self.name == "rmsprop":
            v = self._buffer("square_avg")
            out["square_avg"] = np.zeros(2) if v is None else v
        elif self.name == "adam":
            m, v = self._buffer("exp_avg"), self._buffer("exp_avg_sq")
            out["exp_avg"] = np.zeros(2) if m is None else m
            out["exp_avg_sq"] = np.zeros(2) if v is None else v
            out["adam_t"] = np.array(self._step_count())
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        torch = self.torch
        dev = self.p.device

        def tensor(a) -> "torch.Tensor":
            return torch.tensor(_vec(a), dtype=torch.float64, device=dev)

        with torch.no_grad():
            self.p.copy_(tensor(state["position"]))
        self.steps = int(state["steps"])
        st = self.opt.state[self.p]
        if self.name in ("momentum", "nesterov"):
            v = np.asarray(state["velocity"])
            if v.size == 0:
                st.pop("momentum_buffer", None)
            else:
                st["momentum_buffer"] = tensor(v)
        elif self.name == "adagrad":
            st["sum"] = tensor(state["sum_sq"])
            st["step"] = torch.tensor(float(self.steps))
        elif self.name == "rmsprop":
            st["square_avg"] = tensor(state["square_avg"])
            st["step"] = torch.tensor(float(self.steps))
        elif self.name == "adam":
            t = int(state["adam_t"])
            st["exp_avg"], st["exp_avg_sq"] = tensor(state["exp_avg"]), tensor(state["exp_avg_sq"])
            st["step"] = torch.tensor(float(t))
        self.update = np.zeros(2)
        self._evaluate()


def make_racer(engine: str, name: str, surface: Surface, start: np.ndarray, hyper: Hyper, device=None) -> Racer:
    """A racer for ``engine`` ("numpy" or "torch").  Raises ValueError for an unknown engine or name."""
    if engine == "numpy":
        return NumpyRacer(name, surface, start, hyper)
    if engine == "torch":
        return TorchRacer(name, surface, start, hyper, device)
    raise ValueError(f"unknown engine {engine!r}")


def finite_and_bounded(p: np.ndarray, value: float, limit: float) -> bool:
    """False if θ or f is NaN/Inf or |θ| exceeds ``limit``: the racer has diverged."""
    return bool(np.all(np.isfinite(p)) and math.isfinite(value) and float(np.max(np.abs(p))) <= limit)
