"""Judging an anomaly detector from its scores (NumPy, Qt-free): precision, recall and F1 at a threshold, and
the area under the ROC curve."""
from __future__ import annotations

import numpy as np


def precision_recall_f1(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Flag score > threshold as anomalous.  scores (N,), is_anomaly (N,) bool.  Precision = TP / (TP + FP)
    (1 when nothing is flagged), recall = TP / (TP + FN), F1 their harmonic mean."""
    flagged = np.asarray(scores) > threshold
    truth = np.asarray(is_anomaly, dtype=bool)
    tp = int(np.sum(flagged & truth))
    fp = int(np.sum(flagged & ~truth))
    fn = int(np.sum(~flagged & truth))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def roc_auc(scores: np.ndarray, is_anomaly: np.ndarray) -> float:
    """Probability that a random anomalous image scores above a random normal one (ties count ½): the area
    under the ROC curve (Mann–Whitney U / (n₊ n₋)).  NaN if a class is missing."""
    s = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(is_anomaly, dtype=bool)
    pos, neg = s[truth], s[~truth]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def best_f1_threshold(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[float, float]:
    """The threshold (midway between neighbouring scores) with the highest F1, and that F1."""
    s = np.sort(np.unique(scores))
    candidates = np.concatenate([[s[0] - 1e-6], (s[:-1] + s[1:]) / 2]) if len(s) > 1 else s
    best = max(((precision_recall_f1(scores, is_anomaly, t)[2], t) for t in candidates), default=(0.0, 0.0))
    return float(best[1]), float(best[0])
