"""Judging an anomaly detector from its scores (NumPy, Qt-free): precision, recall and F1 at a threshold, the
area under the ROC curve, and the data of the lesson's two score plots (the search curve, the histograms)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SearchCurveData:
    """The ``search_curve`` plot kind: scores over the steps of the latent search (not training steps).

    steps: (S,) int; residual, discrimination, score: (S,) float (L_R, L_D and A = (1 − λ)L_R + λL_D)."""

    steps: np.ndarray
    residual: np.ndarray
    discrimination: np.ndarray
    score: np.ndarray
    title: str = ""

    def table(self) -> tuple[list[str], list[list]]:
        return (["search_step", "residual_loss", "discrimination_loss", "anomaly_score"],
                [[int(s), float(r), float(d), float(a)] for s, r, d, a in
                 zip(self.steps, self.residual, self.discrimination, self.score)])


@dataclass
class ScoreHistogramData:
    """The ``score_histograms`` plot kind: anomaly scores of normal and anomalous test images with a threshold.

    normal, anomalous: (N₀,), (N₁,) scores (empty before the test set is scored); threshold: flag score >
    threshold; precision, recall, f1, auc: at that threshold (NaN when not scored); step: the training step the
    scores belong to; status: one line on what is shown or running."""

    normal: np.ndarray
    anomalous: np.ndarray
    threshold: float
    precision: float = float("nan")
    recall: float = float("nan")
    f1: float = float("nan")
    auc: float = float("nan")
    best_threshold: float = float("nan")
    step: int = -1
    status: str = ""

    def table(self) -> tuple[list[str], list[list]]:
        rows = [["normal", float(s)] for s in self.normal] + [["anomalous", float(s)] for s in self.anomalous]
        rows.append(["threshold", float(self.threshold)])
        return ["group", "anomaly_score"], rows


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
