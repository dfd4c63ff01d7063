"""Gradient norm of every weight layer: the per-step readout and its bounded history as a heatmap (Qt-free).

:func:`layer_norms` turns a model's weight gradients into one Euclidean (Frobenius) norm per layer, on
either engine: NumPy arrays give Python floats, PyTorch tensors give 0-d float64 tensors left on their
device (a lesson adds them to its trainer's device-side metric window, so no step copies to the host).

:class:`GradientNormHistory` keeps the vector (‖∂L/∂W₁‖, …, ‖∂L/∂W_L‖) of recorded steps in a
:class:`~visualizer.probes.snapshot_history.SnapshotHistory` (full: every second record dropped, the
stride doubled), so the image always spans the whole run.  The image is x = step, y = layer,
colour = log₁₀ of the norm: vanishing gradients are a dark band at the bottom (the first layers),
exploding ones a bright band (Glorot & Bengio, AISTATS 2010; Goodfellow, Bengio & Courville, *Deep
Learning*, 8.2.5).  Used by the lessons playground (per-layer norm curves) and deep_nets (the heatmap).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from visualizer.core.plotdata import ImageData
from visualizer.probes.snapshot_history import SnapshotHistory

FLOOR = -12.0            # log10 of a zero norm is drawn as this (ReLU units that never fire)
SPAN = 12.0              # the colour levels span at most this many decades


def layer_norms(grads: Sequence[Any]) -> list:
    """‖g‖₂ over all entries of each gradient, computed in float64.

    grads: one array per layer, any shapes: NumPy arrays (-> Python floats, ``np.linalg.norm`` of the
    float64 copy) or PyTorch tensors (-> 0-d float64 tensors on the tensor's device, no host copy).
    A tensor whose ``.grad`` was never filled should be passed as zeros by the caller."""
    out = []
    for g in grads:
        if isinstance(g, np.ndarray):
            out.append(float(np.linalg.norm(g.astype(np.float64, copy=False))))
        else:                                  # a torch tensor: reduce on its device
            out.append(g.detach().double().norm())
    return out


class GradientNormHistory:
    """Bounded history of per-layer gradient norms: capacity records of n_layers values each.

    capacity must be even and >= 2; raises ValueError otherwise."""

    def __init__(self, n_layers: int, capacity: int = 300) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 2, got {capacity}")
        self.n_layers = int(n_layers)
        self.capacity = capacity
        self._records = SnapshotHistory(capacity, self.n_layers, np.float64)   # (capacity, L)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def stride(self) -> int:
        """Steps between records now (doubles on every compaction)."""
        return self._records.stride

    def due(self, step: int) -> bool:
        """True if a record should be taken at this step (see ``SnapshotHistory.due``)."""
        return self._records.due(step)

    def record(self, step: int, norms: np.ndarray) -> None:
        """Store norms (L,) measured at ``step``."""
        self._records.record(step, norms)

    @property
    def steps(self) -> np.ndarray:
        """Steps of the kept records, oldest first: (n,) int64."""
        return self._records.steps

    def log_norms(self) -> np.ndarray:
        """log₁₀ of the kept norms, (n, L) float64; zeros become FLOOR, NaN stays NaN."""
        v = self._records.rows
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log10(v)
        out[v == 0] = FLOOR
        return np.maximum(out, FLOOR, where=~np.isnan(out), out=out)

    def image(self) -> ImageData:
        """ImageData (L, n) float32: row l - 1 = weight layer l (row 0 at the bottom = first layer),
        column = record; extent (first step, last step, 1, L); levels whole decades around the data,
        at most SPAN wide; colormap viridis."""
        if len(self) == 0:
            img = np.full((self.n_layers, 1), FLOOR, np.float32)
            return ImageData(img, (0.0, 1.0, 1.0, float(self.n_layers)), (FLOOR, 0.0), "viridis",
                             x_label="step", y_label="layer", colorbar_label="log₁₀ ‖∂L/∂W‖")
        logs = self.log_norms()                                  # (n, L)
        finite = logs[np.isfinite(logs)]
        if finite.size:
            hi = math.ceil(float(finite.max()))
            lo = max(math.floor(float(finite.min())), hi - SPAN)
            if hi <= lo:
                hi = lo + 1
        else:
            lo, hi = FLOOR, 0.0
        x0, x1 = self._records.extent_x()
        return ImageData(logs.T.astype(np.float32), (x0, x1, 1.0, float(self.n_layers)),
                         (float(lo), float(hi)), "viridis", x_label="step", y_label="layer (1 = input side)",
                         colorbar_label="log₁₀ ‖∂L/∂W‖")
