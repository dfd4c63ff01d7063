"""Activation histograms of every hidden layer, side by side in one image (Saitoh, *Deep Learning from
Scratch*, §6.2, fig. 6-10: sigmoid activations pile up at 0 and 1 with σ = 1 weights and collapse to one
value with σ = 0.01; Xavier keeps them spread).  Qt-free."""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import ImageData

BINS = 41                 # activation histogram bins (odd: 0.5 and 0 fall mid-bin)
SHARE_FLOOR = -3.0        # log10 share of an empty histogram bin


def activation_image(acts: list[np.ndarray], activation: str) -> ImageData:
    """Histograms of each hidden layer's activations ``acts`` [(P, H)] * n_hidden: image (BINS, n_hidden)
    float32 of log10(share of values per bin), floor SHARE_FLOOR; row 0 = lowest values.  The range is
    [0, 1] for sigmoid, [-1, 1] for tanh, [0, max(1, 99th percentile)] for ReLU; values outside it (and
    NaN, ±Inf) land in the edge bins."""
    if activation == "sigmoid":
        lo, hi = 0.0, 1.0
    elif activation == "tanh":
        lo, hi = -1.0, 1.0
    else:
        finite = np.concatenate([a[np.isfinite(a)] for a in acts])
        lo, hi = 0.0, max(1.0, float(np.quantile(finite, 0.99)) if finite.size else 1.0)
    edges = np.linspace(lo, hi, BINS + 1)
    image = np.empty((BINS, len(acts)), dtype=np.float64)
    for j, a in enumerate(acts):
        v = np.clip(np.nan_to_num(a.ravel(), nan=lo, posinf=hi, neginf=lo), lo, hi)
        counts = np.histogram(v, bins=edges)[0]
        share = counts / max(1, v.size)
        with np.errstate(divide="ignore"):
            image[:, j] = np.maximum(np.log10(share), SHARE_FLOOR)
    half = (hi - lo) / BINS / 2
    return ImageData(image.astype(np.float32), (1.0, float(len(acts)), lo + half, hi - half),
                     (SHARE_FLOOR, 0.0), "viridis", x_label="hidden layer", y_label=f"{activation} output",
                     colorbar_label="log₁₀ share of values")
