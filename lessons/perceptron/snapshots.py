"""The perceptron lesson's pictures: the weight bars, the decision map on two features and the validation
results (a confusion matrix, or predicted against true values), built from the model's predictions (Qt-free).

Each function takes the lesson (its ``model``, ``table``, ``split``, ``task`` and view settings) and returns
NumPy-only plot data.  Yoon, *Python raw-coding deep learning*, ch. 1-3.
"""
from __future__ import annotations

import numpy as np

from lessons.perceptron.metrics import classes, confusion_matrix
from visualizer.core.plotdata import BarsData, ImageData, MatrixData, ScatterData

GRID = 60                 # decision-map resolution (GRID x GRID)
MAX_NAMED_BARS = 10       # more features: the weight bars are labelled 1..D instead of by name


def sample_rows(n: int, most: int, seed: int) -> np.ndarray:
    """Sorted indices of the rows drawn over the decision map: all n, or ``most`` of them drawn from ``seed``."""
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, most, replace=False))


def weights_bars(lesson) -> BarsData:
    W, b = lesson.model.weights()                                          # (D, K), (K,)
    k = lesson.weight_class
    names = list(lesson.table.feature_names)
    if len(names) > MAX_NAMED_BARS:                 # names would overlap: number them as the map's controls do
        names = [str(i + 1) for i in range(len(names))]
    if lesson.task == "multiclass":
        label = f"weight of {lesson.table.class_names[k]} (bias {b[k]:.3g})"
    else:
        label = f"weight (bias {b[0]:.3g})"
    return BarsData(names, W[:, k].copy(), label)

def _axis_grid(lesson, j: int) -> np.ndarray:
    v = lesson.table.x[:, j]
    lo, hi = float(v.min()), float(v.max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    return np.linspace(lo - pad, hi + pad, GRID)

def decision_map(lesson) -> ImageData:
    """ImageData (GRID, GRID), row 0 at the bottom: the model's output over two raw features, the
    other features at their training mean.  Binary: P(positive) in [0, 1]; multiclass: predicted
    class k + 0.05 + 0.9·confidence on levels (0, K) (as in the playground); regression: ŷ."""
    ix, iy = lesson.axes
    gx, gy = _axis_grid(lesson, ix), _axis_grid(lesson, iy)
    raw = np.tile(lesson._raw_mean, (GRID * GRID, 1))                      # (G², D)
    mx, my = np.meshgrid(gx, gy)                                         # row 0 = smallest y
    raw[:, ix] = mx.ravel()
    raw[:, iy] = my.ravel()
    out = lesson.model.predict(lesson.split.transform(raw))                  # (G², K)
    names = lesson.table.feature_names
    rows = lesson._point_rows
    groups = np.where(np.isin(rows, lesson.split.val_idx), "val", "train")
    points = np.stack([lesson.table.x[rows, ix], lesson.table.x[rows, iy]], axis=1)
    extent = (float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1]))
    if lesson.task == "regression":
        y_train = lesson.table.y[lesson.split.train_idx]
        med = float(np.median(y_train))
        half = float(max(np.percentile(y_train, 98) - med, med - np.percentile(y_train, 2))) or 1.0
        labels = (lesson.table.y[rows] >= med).astype(np.int64)
        classes = (f"below the median ({med:.4g})", f"median ({med:.4g}) or above")    # no '<': legends are HTML
        overlay = ScatterData(points, labels, groups, classes, names[ix], names[iy])
        image = out[:, 0].reshape(GRID, GRID).astype(np.float32)
        return ImageData(image, extent, (med - half, med + half), "playground", overlay, names[ix], names[iy],
                         f"predicted {lesson.table.target_name}")
    overlay = ScatterData(points, lesson.table.y[rows].copy(), groups, lesson.table.class_names, names[ix], names[iy])
    if lesson.task == "binary":
        image = out[:, 0].reshape(GRID, GRID).astype(np.float32)
        return ImageData(image, extent, (0.0, 1.0), "playground", overlay, names[ix], names[iy],
                         f"P({lesson.table.class_names[1]})")
    k = out.shape[1]
    conf = (out.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    image = (out.argmax(axis=1) + 0.05 + 0.9 * np.clip(conf, 0.0, 1.0)).reshape(GRID, GRID).astype(np.float32)
    return ImageData(image, extent, (0.0, float(k)), f"classes{k}", overlay, names[ix], names[iy],
                     "predicted class + confidence")

def results(lesson) -> MatrixData | ScatterData:
    s = lesson.split
    if lesson.task == "regression":
        pred_t = lesson.model.predict(s.x_train)[:, 0]
        pred_v = lesson.model.predict(s.x_val)[:, 0]
        true = np.concatenate([s.y_train, s.y_val]).astype(np.float64)
        pred = np.concatenate([pred_t, pred_v])
        groups = np.array(["train"] * len(pred_t) + ["val"] * len(pred_v))
        return ScatterData(np.stack([true, pred], axis=1), np.zeros(len(true), dtype=np.int64), groups,
                           ("rows",), f"true {lesson.table.target_name}", "predicted")
    k = lesson.table.n_classes
    cm = confusion_matrix(s.y_val, classes(lesson.task, lesson.model.predict(s.x_val)), k).astype(np.float64)
    names = list(lesson.table.class_names)
    return MatrixData(cm, names, names, row_title="true", col_title="predicted", colormap="blues")
