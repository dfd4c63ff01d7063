"""The playground's pictures over the plane: the decision map and every neuron's output map, from one forward
pass of the classifier over a grid of points (Qt-free).

Smilkov & Carter, *TensorFlow Playground* (2016): the output and each hidden neuron drawn as a heatmap over
the input plane.  Forward passes outside training run in chunks of CHUNK rows (see :func:`forward_chunks`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.playground import data as points_data
from visualizer.core.plotdata import ImageData, NetworkData, PlotData, ScatterData

GRID = 80               # decision map resolution (GRID x GRID)
NODE_GRID = 20          # per-neuron map resolution, sampled from the same grid
CHUNK = 1024            # rows per forward pass outside training; see forward_chunks
BINARY_COLORMAP = "playground"  # the UI's orange (class 0) - grey (P = 0.5) - blue (class 1), as the points
MULTICLASS_COLORMAP = "classes{k}"   # one band per class in the class colours (the UI's banded map)


def _fit_unit_range(maps: np.ndarray) -> np.ndarray:
    """Divide each map (n, H, W) by its largest |value| when that exceeds 1, so all lie in [-1, 1]."""
    with np.errstate(invalid="ignore"):              # a diverged network's NaN maps stay NaN
        peak = np.abs(maps).reshape(len(maps), -1).max(axis=1) if len(maps) else np.zeros(0)
        scale = np.where(peak > 1.0, peak, 1.0)
        return (maps / scale[:, None, None]).astype(np.float32)


@dataclass
class PlaneGrid:
    """The GRID x GRID points the maps are drawn on: ``extent`` (x0, x1, y0, y1); ``x`` (GRID², F) their
    standardized features, row 0 at the smallest x₂; ``node_idx`` (NODE_GRID²,) the rows the per-neuron
    maps sample."""

    extent: tuple[float, float, float, float]
    x: np.ndarray
    node_idx: np.ndarray

    @classmethod
    def around(cls, points: np.ndarray, synthetic: bool, feature_names, standardize) -> "PlaneGrid":
        """The grid around ``points`` (N, 2) with a margin (the synthetic sets: at least [-6, 6]²)."""
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = np.maximum(0.1 * (hi - lo), 0.5)
        lo, hi = lo - pad, hi + pad
        if synthetic:                                    # the synthetic sets live in [-6, 6]²
            lo, hi = np.minimum(lo, -6.0), np.maximum(hi, 6.0)
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
        grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)                       # (G², 2), row 0 = y min
        sub = np.round(np.linspace(0, GRID - 1, NODE_GRID)).astype(np.int64)
        return cls((float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])),
                   standardize(points_data.feature_matrix(grid_points, feature_names)),
                   (sub[:, None] * GRID + sub[None, :]).ravel())


def evaluate_chunks(model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The classifier's mean loss and accuracy over (x, y), computed in chunks of CHUNK rows."""
    loss = acc = 0.0
    for i in range(0, len(y), CHUNK):
        part = model.evaluate(x[i:i + CHUNK], y[i:i + CHUNK])
        w = len(y[i:i + CHUNK]) / len(y)
        loss += w * part["loss"]
        acc += w * part["acc"]
    return {"loss": loss, "acc": acc}


def forward_chunks(model, x: np.ndarray) -> list[np.ndarray]:
    """``hidden_outputs`` over x (N, F) in chunks of CHUNK rows, concatenated.

    Why chunks: on the 2-core machine OpenBLAS multithreads a float32 product of 2,048 x 16 by
    16 x 16 or more, and waking its threads between training steps cost 8-12 ms per product,
    against 0.02 ms for 1,024 rows (measured); chunking keeps the 80 x 80 grid at a few ms."""
    parts = [model.hidden_outputs(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)]
    return [np.concatenate(layer) for layer in zip(*parts)]


def plane_views(model, grid: PlaneGrid, points: points_data.PointSet, feature_names, overlay: ScatterData
                ) -> dict[str, PlotData]:
    """``decision``: ImageData (GRID, GRID), row 0 at the bottom, over ``grid.extent``.  Two classes: the
    value is P(class 1) in [0, 1] on a diverging map (0.5 = white = the boundary).  K >= 3 classes:
    the value is k + 0.05 + 0.9·c for the predicted class k, with confidence
    c = (p_max - 1/K) / (1 - 1/K) in [0, 1], levels (0, K): class k owns the colour band [k, k+1] and
    moves from the band's start (c = 0, a toss-up) to its end (c = 1, certain).

    ``network``: NetworkData with per-node maps (n, NODE_GRID, NODE_GRID), row 0 at the bottom,
    in [-1, 1]: inputs are the standardized features, hidden nodes their activations, each divided
    by its largest |value| if that exceeds 1; outputs show 2p - 1 (p = the class probability, so
    0 = undecided).  All from one forward pass over the grid."""
    outputs = forward_chunks(model, grid.x)                     # hidden (G², H_l) ..., output prob
    prob = np.asarray(outputs[-1], dtype=np.float64)
    k = points.n_classes
    if k == 2:
        p1 = prob[:, -1]
        image = p1.reshape(GRID, GRID).astype(np.float32)
        decision = ImageData(image, grid.extent, (0.0, 1.0), BINARY_COLORMAP, overlay,
                             "x₁", "x₂", f"P(class {points.class_names[1]})")
        out_maps = (2.0 * p1 - 1.0)[:, None]                     # (G², 1)
    else:
        pred = prob.argmax(axis=1)
        conf = (prob.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
        image = (pred + 0.05 + 0.9 * np.clip(conf, 0.0, 1.0)).reshape(GRID, GRID).astype(np.float32)
        decision = ImageData(image, grid.extent, (0.0, float(k)), MULTICLASS_COLORMAP.format(k=k), overlay,
                             "x₁", "x₂", "predicted class + confidence")
        out_maps = 2.0 * prob - 1.0                              # (G², K)

    def maps(a: np.ndarray) -> np.ndarray:                       # (G², n) -> (n, NODE_GRID, NODE_GRID)
        sub = np.asarray(a, dtype=np.float64)[grid.node_idx]
        return sub.T.reshape(-1, NODE_GRID, NODE_GRID)

    node_images = [_fit_unit_range(maps(grid.x))]
    node_images += [_fit_unit_range(maps(h)) for h in outputs[:-1]]
    node_images.append(maps(out_maps).astype(np.float32))
    hidden_sizes = [h.shape[1] for h in outputs[:-1]]
    n_out = 1 if k == 2 else k
    labels = [[label for name, label in points_data.FEATURES if name in feature_names]]
    labels += [[f"h{l}.{j + 1}" for j in range(n)] for l, n in enumerate(hidden_sizes, start=1)]
    labels.append([f"P({points.class_names[1]})"] if k == 2 else [f"P({c})" for c in points.class_names])
    network = NetworkData([len(feature_names)] + hidden_sizes + [n_out],
                          [np.array(w, dtype=np.float64) for w in model.weights()],
                          node_images, labels, (-1.0, 1.0))
    return {"decision": decision, "network": network}
