"""Per-layer gradient norms over training, kept as a bounded history and drawn as one heatmap (Qt-free).

Each record is the vector (‖∂L/∂W₁‖, …, ‖∂L/∂W_L‖) of one step.  When the buffer is full every second
record is dropped and the recording stride doubles, so the image always spans the whole run (as
``lessons/mlp_digits/histograms.py`` does for histograms).  The image is x = step, y = layer,
colour = log₁₀ of the norm: vanishing gradients are a dark band at the bottom (the first layers),
exploding ones a bright band.
"""
from __future__ import annotations

import math

import numpy as np

from visualizer.core.plotdata import ImageData

FLOOR = -12.0            # log10 of a zero norm is drawn as this (ReLU units that never fire)
SPAN = 12.0              # the colour levels span at most this many decades


class GradientNormHistory:
    """Bounded history of per-layer gradient norms: capacity records of n_layers values each.

    capacity must be even and >= 2; raises ValueError otherwise."""

    def __init__(self, n_layers: int, capacity: int = 300) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 2, got {capacity}")
        self.n_layers = int(n_layers)
        self.capacity = capacity
        self.stride = 1
        self._norms = np.zeros((capacity, self.n_layers), dtype=np.float64)   # (capacity, L)
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def due(self, step: int) -> bool:
        """True if a record should be taken at this step."""
        return step % self.stride == 0

    def record(self, step: int, norms: np.ndarray) -> None:
        """Store norms (L,) measured at ``step``."""
        if self._n == self.capacity:
            self.stride *= 2
            keep = np.flatnonzero(self._steps % self.stride == 0)
            if len(keep) == 0 or len(keep) == self.capacity:
                keep = np.arange(0, self.capacity, 2)
            self._norms[: len(keep)] = self._norms[keep]
            self._steps[: len(keep)] = self._steps[keep]
            self._n = len(keep)
        self._norms[self._n] = norms
        self._steps[self._n] = step
        self._n += 1

    @property
    def steps(self) -> np.ndarray:
        """Steps of the kept records, oldest first: (n,) int64."""
        return self._steps[: self._n].copy()

    def log_norms(self) -> np.ndarray:
        """log₁₀ of the kept norms, (n, L) float64; zeros become FLOOR, NaN stays NaN."""
        v = self._norms[: self._n]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log10(v)
        out[v == 0] = FLOOR
        return np.maximum(out, FLOOR, where=~np.isnan(out), out=out)

    def image(self) -> ImageData:
        """ImageData (L, n) float32: row l - 1 = weight layer l (row 0 at the bottom = first layer),
        column = record; extent (first step, last step, 1, L); levels whole decades around the data,
        at most SPAN wide; colormap viridis."""
        if self._n == 0:
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
        steps = self._steps[: self._n]
        x1 = float(steps[-1]) if self._n > 1 else float(steps[0]) + 1.0
        return ImageData(logs.T.astype(np.float32), (float(steps[0]), x1, 1.0, float(self.n_layers)),
                         (float(lo), float(hi)), "viridis", x_label="step", y_label="layer (1 = input side)",
                         colorbar_label="log₁₀ ‖∂L/∂W‖")
