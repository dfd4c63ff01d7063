"""One MLP classifier trained in one floating-point precision on the NumPy scratch layers (:class:`NumpyRun`);
its PyTorch twin (CPU or CUDA) is ``net_torch.TorchRun``.  Qt-free; torch is imported only when a PyTorch
configuration is built (:func:`make_run`).

Every run starts from the same float64 weights (rounded once to its own precision), sees the same
mini-batches and applies plain SGD, w ← w − η·g, so the runs differ only in their arithmetic.  Half
precision (float16, bfloat16) optionally trains with *loss scaling* (the gradient of the loss is
multiplied by S before backpropagation and the weight gradients divided by S before the update) and
with float32 *master weights* (mixed precision: the forward and backward passes run in half precision
on a rounded copy of float32 weights, which receive the update).  Source: Micikevicius et al., "Mixed
Precision Training", ICLR 2018; Saitoh, *Deep Learning from Scratch 2*, section 1.5.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from visualizer.scratch.layers import Linear, ReLU
from visualizer.scratch.losses import SoftmaxCrossEntropy

HALF = ("float16", "bfloat16")


@dataclass(frozen=True)
class PrecisionConfig:
    """One configuration: ``key`` names its metrics (``loss_<key>``, ``val_acc_<key>``); ``label`` is
    its table row, ``short`` its bar label; engine "numpy" | "torch"; dtype "float64" | "float32" |
    "float16" | "bfloat16" (torch only); device "cpu" | "cuda" (torch only)."""

    key: str
    label: str
    short: str
    engine: str
    dtype: str
    device: str = "cpu"

    @property
    def half(self) -> bool:
        return self.dtype in HALF

    @property
    def row(self) -> str:
        """A compact name for table rows: "NumPy f16", "Torch CPU bf16", "Torch CUDA f32"."""
        dt = {"float64": "f64", "float32": "f32", "float16": "f16", "bfloat16": "bf16"}[self.dtype]
        return f"NumPy {dt}" if self.engine == "numpy" else f"Torch {self.device.upper()} {dt}"


@dataclass
class StepResult:
    """What one training step reports: the mean cross-entropy of the batch (unscaled, before the
    update) and ``finite``: False if the loss or a gradient overflowed to inf/NaN (the update was then
    skipped and the weights are the last good ones)."""

    loss: float
    finite: bool


def initial_weights(sizes: Sequence[int], seed: int) -> list[np.ndarray]:
    """He-normal float64 weights and zero biases for layer widths ``sizes`` (inputs first):
    [W0 (D0, D1), b0 (D1,), W1, b1, ...], drawn from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    out = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        out.append(rng.normal(0.0, np.sqrt(2.0 / d_in), size=(d_in, d_out)))   # (D_in, D_out)
        out.append(np.zeros(d_out))                                            # (D_out,)
    return out


class NumpyRun:
    """The MLP on the NumPy scratch layers (Linear, ReLU, softmax cross-entropy) in ``config.dtype``.

    params64: initial float64 [W0, b0, W1, b1, ...]; x_train (N, D), x_val (M, D) float64 in [0, 1];
    y_train (N,), y_val (M,) int64.  In float16 *every* operation runs in half precision (NumPy has no
    float16 matrix kernel in BLAS, so its matmul is slow); ``master=True`` keeps float32 master weights.
    Raises ValueError for a dtype NumPy does not have (bfloat16)."""

    def __init__(self, config: PrecisionConfig, params64: Sequence[np.ndarray], x_train: np.ndarray,
                 y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, master: bool = False) -> None:
        if config.dtype not in ("float64", "float32", "float16"):
            raise ValueError(f"NumPy has no {config.dtype}: choose float64, float32 or float16")
        self.config = config
        self.dtype = np.dtype(config.dtype)
        self.x_train = np.ascontiguousarray(x_train, dtype=self.dtype)         # (N, D)
        self.y_train = np.asarray(y_train)
        self.x_val = np.ascontiguousarray(x_val, dtype=self.dtype)             # (M, D)
        self.y_val = np.asarray(y_val)
        self.layers = []
        self.linears: list[Linear] = []
        n_layers = len(params64) // 2
        for i in range(n_layers):
            lin = Linear(params64[2 * i].astype(self.dtype), params64[2 * i + 1].astype(self.dtype))
            self.layers.append(lin)
            self.linears.append(lin)
            if i < n_layers - 1:
                self.layers.append(ReLU())
        self.linears[0].input_grad = False
        self.params = [p for lin in self.linears for p in lin.params]
        self.grads = [g for lin in self.linears for g in lin.grads]
        self.loss_fn = SoftmaxCrossEntropy()
        self.master: list[np.ndarray] | None = None
        self.set_master(master)
        self._grad_scale = 1.0                     # the factor still in self.grads (loss scale or 1)

    def set_master(self, on: bool) -> None:
        """Keep float32 master weights (half precision only; ignored otherwise)."""
        if on and self.dtype == np.float16:
            if self.master is None:
                self.master = [p.astype(np.float32) for p in self.params]
        else:
            self.master = None

    def _forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x                                   # logits (N, K)

    def step(self, idx: np.ndarray, lr: float, loss_scale: float = 1.0) -> StepResult:
        """One SGD step on the batch ``idx`` (B,) of training rows.  ``loss_scale`` S applies to half
        precision only: dL/dz is multiplied by S, the weight gradients divided by S."""
        scale = float(loss_scale) if self.dtype == np.float16 else 1.0
        x, y = self.x_train[idx], self.y_train[idx]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            logits = self._forward(x)
            loss = self.loss_fn.forward(logits, y)
            d = self.loss_fn.backward(scale)       # S · (softmax − onehot) / B, in the run's dtype
            for layer in reversed(self.layers):
                d = layer.backward(d)
            finite = bool(np.isfinite(loss)) and all(bool(np.isfinite(g).all()) for g in self.grads)
            if not finite:
                self._grad_scale = scale
                return StepResult(loss, False)
            if self.master is not None:           # mixed precision: unscale and update in float32
                inv = np.float32(1.0 / scale)
                eta = np.float32(lr)
                for m, p, g in zip(self.master, self.params, self.grads):
                    m -= eta * (g.astype(np.float32) * inv)
                    p[...] = m                     # round the master weights to float16
                self._grad_scale = scale
            else:
                t = self.dtype.type
                for p, g in zip(self.params, self.grads):
                    if scale != 1.0:
                        g *= t(1.0 / scale)        # unscale in the run's precision
                    p -= t(lr) * g
                self._grad_scale = 1.0
        return StepResult(loss, True)

    def accuracy(self) -> float:
        """Share of validation images classified correctly, in [0, 1]."""
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            logits = self._forward(self.x_val)
        return float(np.mean(np.argmax(logits, axis=1) == self.y_val))

    def params64(self) -> list[np.ndarray]:
        """Float64 copies of the weights being trained (the master weights when there are any)."""
        src = self.master if self.master is not None else self.params
        return [p.astype(np.float64) for p in src]

    def load_params64(self, values: Sequence[np.ndarray]) -> None:
        """Set the weights (and master weights) from float64 arrays of the same shapes."""
        for p, v in zip(self.params, values):
            p[...] = v
        if self.master is not None:
            for m, v in zip(self.master, values):
                m[...] = v

    def lost_update_fraction(self, lr: float) -> float:
        """Swamping: the share of weights with a non-zero gradient whose update w − η·g (with the last
        gradient) rounds back to w in the precision of the weights being updated; 0 before a step."""
        target = self.master if self.master is not None else self.params
        hit = total = 0
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            for w, g in zip(target, self.grads):
                g = g.astype(w.dtype) * w.dtype.type(1.0 / self._grad_scale) if self._grad_scale != 1.0 \
                    else g.astype(w.dtype, copy=False)
                nz = g != 0
                new = w - w.dtype.type(lr) * g
                hit += int(np.count_nonzero((new == w) & nz))
                total += int(np.count_nonzero(nz))
        return hit / total if total else 0.0


def make_run(config: PrecisionConfig, params64: Sequence[np.ndarray], x_train: np.ndarray, y_train: np.ndarray,
             x_val: np.ndarray, y_val: np.ndarray, master: bool = False):
    """A :class:`NumpyRun` or a ``net_torch.TorchRun`` for ``config`` (see their errors; ImportError without
    PyTorch)."""
    if config.engine == "numpy":
        return NumpyRun(config, params64, x_train, y_train, x_val, y_val, master)
    from lessons.precision_speed.net_torch import TorchRun     # lazy: importing torch takes seconds
    return TorchRun(config, params64, x_train, y_train, x_val, y_val, master)
