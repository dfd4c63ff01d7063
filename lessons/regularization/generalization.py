"""What the regularization lesson measures at each evaluation: the generalization gap, the weight norm, the
share of near-zero weights, and the "now vs best" summary table (Qt-free).

Chollet, *Deep Learning with Python* 2e, ch. 5; Goodfellow, Bengio & Courville, *Deep Learning*, 7.1 (norm
penalties: L2 shrinks ‖W‖, L1 makes weights exactly 0) and 7.8 (early stopping keeps the best evaluation).
"""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import TableData
from visualizer.data.split import DataSplit
from visualizer.models.classifier import Classifier

SPARSE_EPS = 0.01               # |w| below this counts as "near zero" for the sparsity curve


def measure(model: Classifier, data: DataSplit) -> dict[str, float]:
    """Validation and whole-training-set metrics of the current weights (evaluation mode): val_loss,
    val_acc, gap_acc = train acc − val acc, gap_loss = val loss − train loss, weight_norm = √Σw² over all
    weight matrices, sparsity = share of weights with |w| < SPARSE_EPS; and, private (leading "_"), the
    whole training set's _train_loss and _train_acc.  Python floats."""
    val = model.evaluate(data.x_val, data.y_val)
    tr = model.evaluate(data.x_train, data.y_train)
    weights = model.weights()
    n = sum(w.size for w in weights)
    norm = float(np.sqrt(sum(float(np.vdot(w, w)) for w in weights)))
    near_zero = sum(int(np.count_nonzero(np.abs(w) < SPARSE_EPS)) for w in weights)
    return {"val_loss": float(val["loss"]), "val_acc": float(val["acc"]),
            "gap_acc": float(tr["acc"] - val["acc"]), "gap_loss": float(val["loss"] - tr["loss"]),
            "weight_norm": norm, "sparsity": near_zero / n,
            "_train_loss": float(tr["loss"]), "_train_acc": float(tr["acc"])}


def public(m: dict[str, float]) -> dict[str, float]:
    """The metrics of :func:`measure` without the private ones (the curves the session records)."""
    return {k: v for k, v in m.items() if not k.startswith("_")}


def summary_matrix(last: dict[str, float] | None, step: int, best: dict[str, float] | None,
                   best_step: int) -> TableData:
    """Rows "now (step s)" and "best val loss (step b)" of (train acc, val acc, gap) from two
    :func:`measure` results (a row is left out while its result is None; one NaN row before any)."""
    rows, labels = [], []
    for tag, m, at in (("now", last, step), ("best val loss", best, best_step)):
        if m is not None:
            rows.append([m["_train_acc"], m["val_acc"], m["gap_acc"]])
            labels.append(f"{tag} (step {at})")
    values = np.array(rows, dtype=np.float64) if rows else np.full((1, 3), np.nan)
    return TableData(values, labels or ["not evaluated yet"], ["train acc", "val acc", "gap"], "weights",
                     fmt="{:.3f}", units=("share", "share", "share"))
