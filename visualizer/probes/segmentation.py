"""Readouts of a semantic segmentation model (Qt-free, torch-free): the pixel confusion matrix, IoU per class and
mIoU, masks drawn over their image, and the pyramid pooling branches' evidence for one class as tiles.

IoU of class k = TP / (TP + FP + FN) over every pixel of a set of images (not averaged per image); mIoU is the mean
over the classes that occur in the truth or the prediction, the PASCAL VOC measure (Everingham et al. 2010) that
the PSPNet paper reports (Zhao et al. 2017) and that ``torchmetrics.classification.MulticlassJaccardIndex``
computes with ``average=None``; pixels labelled ``ignore_index`` (void) count nowhere.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from visualizer.core.plotdata import AnnotatedImageData, ImageGridData, MatrixData

VOID = -1


def confusion_counts(pred: np.ndarray, target: np.ndarray, n_classes: int, ignore_index: int = VOID) -> np.ndarray:
    """Pixel confusion matrix (n_classes, n_classes) int64: rows true class, columns predicted class.

    pred, target: integer arrays of the same shape (any, e.g. (N, H, W)); target pixels equal to ``ignore_index``
    are skipped.  Raises ValueError when the shapes differ or a label is outside [0, n_classes)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} must have the same shape")
    keep = target != ignore_index
    p, t = pred[keep].astype(np.int64), target[keep].astype(np.int64)
    for name, a in (("prediction", p), ("target", t)):
        if a.size and (a.min() < 0 or a.max() >= n_classes):
            raise ValueError(f"{name} holds class ids outside [0, {n_classes}): {int(a.min())}..{int(a.max())}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU (K,) float64 of each class from a confusion matrix (K, K): TP / (TP + FP + FN); NaN for a class that
    is in neither the truth nor the prediction."""
    cm = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.where(union > 0, union, 1.0), np.nan)


def mean_iou(confusion: np.ndarray) -> float:
    """mIoU: the mean of :func:`iou_per_class` over the classes present (NaN when none is)."""
    iou = iou_per_class(confusion)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def confusion_matrix_data(confusion: np.ndarray, names: Sequence[str]) -> MatrixData:
    """The confusion matrix as shares of each true class's pixels (rows sum to 1; a class with no pixels: 0),
    for a heat map with its numbers.  names: (K,) class names, background first."""
    cm = np.asarray(confusion, dtype=np.float64)
    rows = cm.sum(1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    return MatrixData(share, list(names), list(names), row_title="true class", col_title="predicted class",
                      fmt="{:.2f}", levels=(0.0, 1.0))


def mask_overlay(image: np.ndarray, mask: np.ndarray, class_names: Sequence[str], caption: str,
                 alpha: float = 0.45) -> AnnotatedImageData:
    """An image (3, H, W) or (H, W, 3) float in [0, 1] with a class mask (H, W) int (0 background, k >= 1 the
    class ``class_names[k - 1]``, -1 void) drawn over it.  class_names: the object classes, background excluded."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[0] == 3 and img.shape[-1] != 3:
        img = img.transpose(1, 2, 0)
    return AnnotatedImageData(np.ascontiguousarray(np.clip(img, 0.0, 1.0)),
                              mask=np.asarray(mask, dtype=np.int64), mask_alpha=alpha,
                              class_names=tuple(class_names), caption=caption)


def branch_tiles(maps: Sequence[np.ndarray], captions: Sequence[str], ncols: int = 0) -> ImageGridData:
    """Tiles of signed maps (one (h, w) per pyramid level, resized to the largest by nearest neighbour) on a
    diverging colour map symmetric about 0, one caption each, ``ncols`` per row (0: all in one row).  Raises
    ValueError for no maps or a caption count that does not match."""
    if not maps or len(maps) != len(captions):
        raise ValueError(f"{len(maps)} maps for {len(captions)} captions")
    h = max(m.shape[0] for m in maps)
    w = max(m.shape[1] for m in maps)
    tiles = np.stack([upsample_nearest(np.asarray(m, np.float32), h, w) for m in maps])     # (n, h, w)
    top = float(np.nanmax(np.abs(tiles))) if np.isfinite(tiles).any() else 0.0
    top = top if top > 0 else 1.0
    return ImageGridData(tiles, list(captions), (-top, top), colormap="RdBu_r", ncols=ncols or len(maps))


def upsample_nearest(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour resize of (h0, w0) to (h, w): each output pixel takes the input pixel under its
    centre, so a b x b pooled map shows its b x b cells."""
    rows = np.minimum((np.arange(h) + 0.5) * a.shape[0] / h, a.shape[0] - 1).astype(np.int64)
    cols = np.minimum((np.arange(w) + 0.5) * a.shape[1] / w, a.shape[1] - 1).astype(np.int64)
    return a[rows][:, cols]


def object_consistency(pred: np.ndarray, instance_masks: np.ndarray, instance_images: np.ndarray) -> float:
    """The share of object pixels that carry their object's most frequent predicted label: 1 when every object
    is painted in one class (right or wrong), lower when parts of one object get different classes, the failure
    without global context (Zhao et al. 2017, fig. 2).  pred: (N, H, W) int; instance_masks: (M, H, W) bool
    visible pixels; instance_images: (M,) image index of each instance.  NaN without instances."""
    total = agree = 0
    for m, i in zip(instance_masks, instance_images):
        labels = pred[i][m]
        if labels.size:
            agree += np.bincount(labels.astype(np.int64)).max()
            total += labels.size
    return agree / total if total else float("nan")
