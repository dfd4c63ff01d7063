"""Metrics of the single-layer perceptron, computed in NumPy float64 from the outputs of either engine.

Regression: MSE, MAE, the coefficient of determination R² and Yoon's "accuracy" for regression
(*Python raw-coding deep learning*, ch. 1): 1 − mean(|ŷ − y| / |y|), here called the *mean
relative-error accuracy*.  Classification: accuracy, precision, recall and F1 (binary: of the
positive class 1; multiclass: macro averages over all K classes, a class never predicted having
precision 0), and the confusion matrix (rows: true class, columns: predicted).  The definitions
match ``sklearn.metrics`` (``zero_division=0``, ``labels=range(K)``).
"""
from __future__ import annotations

import numpy as np


def regression_metrics(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """pred, y: (N,) -> {"mse", "mae", "r2", "rel_acc"} as Python floats.

    r2 = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (0 when y is constant); rel_acc = 1 − mean(|ŷ − y| / |y|) over the
    rows with y ≠ 0 (0 if there are none), which is Yoon's regression accuracy."""
    pred = np.asarray(pred, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    err = pred - y
    ss_tot = float(((y - y.mean()) ** 2).sum())
    nz = y != 0
    rel = float(np.mean(np.abs(err[nz]) / np.abs(y[nz]))) if nz.any() else 1.0
    return {"mse": float(np.mean(err * err)), "mae": float(np.mean(np.abs(err))),
            "r2": 1.0 - float((err * err).sum()) / ss_tot if ss_tot > 0 else 0.0,
            "rel_acc": 1.0 - rel}


def confusion_matrix(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Counts (K, K) int64: row = true class, column = predicted class.  y, pred: (N,) ints in [0, K)."""
    return np.bincount(np.asarray(y) * k + np.asarray(pred), minlength=k * k).reshape(k, k)


def classification_metrics(pred: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    """pred, y: (N,) class ids in [0, K) -> {"acc", "precision", "recall", "f1"} as Python floats.

    K = 2: precision, recall and F1 of the positive class 1.  K > 2: their unweighted (macro) means
    over the K classes.  A ratio whose denominator is 0 counts as 0; F1 = 2 TP / (2 TP + FP + FN)."""
    cm = confusion_matrix(y, pred, k).astype(np.float64)
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(k), where=actual > 0)
    denom = predicted + actual                                     # 2 TP + FP + FN
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    if k == 2:
        p, r, f = precision[1], recall[1], f1[1]
    else:
        p, r, f = precision.mean(), recall.mean(), f1.mean()
    return {"acc": float(tp.sum() / max(len(y), 1)), "precision": float(p), "recall": float(r), "f1": float(f)}


def classes(task: str, out: np.ndarray) -> np.ndarray:
    """Predicted class ids (N,) from outputs (N, K): P(class 1) > 0.5 for "binary", argmax otherwise."""
    if task == "binary":
        return (out[:, 0] > 0.5).astype(np.int64)
    return out.argmax(axis=1)


def scores(task: str, out: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    """Metrics of outputs (N, K) against targets (N,): :func:`regression_metrics` of column 0 for
    "regression", else :func:`classification_metrics` of :func:`classes` over ``k`` classes."""
    if task == "regression":
        return regression_metrics(out[:, 0], y)
    return classification_metrics(classes(task, out), y, k)
