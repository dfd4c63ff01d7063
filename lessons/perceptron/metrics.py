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


SATURATED_LOSS = -np.log(1e-10)    # 23.0: a row whose true class gets a probability below 1e-10 is saturated
SATURATED_SHARE = 0.5              # the notice comes when saturated rows carry at least this share of the loss


def sample_losses(task: str, logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cross-entropy of every row (N,) float64 from logits (N, K) (binary: (N, 1) or (N,)) and class ids y (N,),
    numerically stable (log-sum-exp, softplus), so a logit of 1e9 gives a loss of about 1e9, not inf."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    if task == "binary":
        z = z.reshape(-1)
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    top = z.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return lse - z[np.arange(len(y)), y]


def saturation_notice(task: str, logits: np.ndarray, y: np.ndarray, split: str = "validation") -> str | None:
    """A message when the mean cross-entropy of (logits, y) is dominated by saturated rows: rows whose true class
    gets a probability below 1e-10 (loss above ``SATURATED_LOSS``) that carry ``SATURATED_SHARE`` or more of the
    total.  None otherwise, and for regression."""
    if task == "regression" or not len(y):
        return None
    loss = sample_losses(task, logits, y)
    total = float(loss.sum())
    hot = loss > SATURATED_LOSS
    if not hot.any() or not np.isfinite(total) or loss[hot].sum() < SATURATED_SHARE * total:
        return None
    return (f"The {split} loss ({total / len(loss):.3g}) is dominated by saturated rows: {int(hot.sum())} of "
            f"{len(loss)} rows are confidently wrong (their true class gets a probability below 1e-10; loss up "
            f"to {loss.max():.3g} each) and carry {loss[hot].sum() / total:.0%} of it. Cross-entropy grows with "
            "the size of the logits, so such rows swamp the mean (code that clips the log at 1e-10, as the book's "
            "does, counts at most 23 per row). Turn on 'Standardize features' or lower the learning rate, and "
            "press Reset (R).")


class SaturationWatch:
    """Tells ``notice`` once (per lesson build) when :func:`saturation_notice` finds the loss dominated by
    saturated rows.  ``check(task, x (N, D), y (N,), W (D, K), b (K,))`` computes the logits in float64."""

    def __init__(self, notice) -> None:
        self.notice = notice
        self.told = False

    def check(self, task: str, x: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray) -> None:
        if self.told:
            return
        message = saturation_notice(task, np.asarray(x, dtype=np.float64) @ W + b, y)
        if message:
            self.notice(message)
            self.told = True
