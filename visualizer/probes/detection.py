"""Object-detection readouts (Qt-free, NumPy only): average precision at IoU 0.5 per class with its
precision-recall curve (COCO's 101-point interpolation, as ``torchmetrics.detection.MeanAveragePrecision`` with
``iou_thresholds=[0.5]`` computes it; a test checks the two agree), and AnnotatedImageData pictures of an SSD's
default boxes, its matching, its detections and ground truth against predictions (Liu et al. 2016; Ogawa,
*PyTorch advanced deep learning* ch. 2).

Boxes here are pixels (x0, y0, x1, y1) unless a name says normalized.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from visualizer.core.plotdata import AnnotatedImageData, ScatterData

RECALL_POINTS = np.linspace(0.0, 1.0, 101)           # COCO's recall thresholds


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of corner boxes a (M, 4) and b (N, 4) -> (M, N) float64 (0 where a box has no area)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@dataclass
class APResult:
    """Average precision per class: ap (K,) float64 (NaN for a class without ground truth), precision (K, 101)
    at the recall thresholds :data:`RECALL_POINTS` (0 beyond the highest recall reached), gt_count (K,)."""

    ap: np.ndarray
    precision: np.ndarray
    gt_count: np.ndarray

    @property
    def map(self) -> float:
        """Mean over the classes that have ground truth (NaN if none has)."""
        ok = ~np.isnan(self.ap)
        return float(self.ap[ok].mean()) if ok.any() else float("nan")


def average_precision(preds: Sequence[dict], targets: Sequence[dict], num_classes: int, iou_threshold: float = 0.5,
                      max_detections: int = 100) -> APResult:
    """AP per class at one IoU threshold, COCO style (pycocotools' evaluateImg/accumulate, area "all").

    preds: per image {"boxes": (n, 4), "scores": (n,), "labels": (n,) int}; targets: per image {"boxes": (m, 4),
    "labels": (m,)}.  Per image and class the ``max_detections`` best-scoring detections (over all classes,
    as COCO's maxDets) are matched greedily in score order, each to the unmatched ground truth of highest IoU
    >= threshold; over all images the detections sorted by score give the precision-recall curve, made
    monotone and read at 101 recall points.  Raises ValueError when the lists differ in length."""
    if len(preds) != len(targets):
        raise ValueError(f"{len(preds)} prediction entries for {len(targets)} images")
    scores_k: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
    tp_k: list[list[np.ndarray]] = [[] for _ in range(num_classes)]
    gt_count = np.zeros(num_classes, np.int64)
    for p, t in zip(preds, targets):
        pb, ps, pl = (np.asarray(p[k]) for k in ("boxes", "scores", "labels"))
        tb, tl = np.asarray(t["boxes"]).reshape(-1, 4), np.asarray(t["labels"]).reshape(-1)
        pb = pb.reshape(-1, 4)
        for k in range(num_classes):
            g = tb[tl == k]
            gt_count[k] += len(g)
            sel = np.flatnonzero(pl == k)
            if not len(sel):
                continue
            sel = sel[np.argsort(-ps[sel], kind="mergesort")][:max_detections]
            iou = box_iou(pb[sel], g)                                      # (d, g)
            taken = np.zeros(len(g), bool)
            tp = np.zeros(len(sel), bool)
            for d in range(len(sel)):
                if not len(g):
                    break
                cand = np.where(taken, -1.0, iou[d])
                j = int(np.argmax(cand))
                if cand[j] >= iou_threshold:
                    taken[j] = True
                    tp[d] = True
            scores_k[k].append(ps[sel])
            tp_k[k].append(tp)
    ap = np.full(num_classes, np.nan)
    precision = np.zeros((num_classes, len(RECALL_POINTS)))
    for k in range(num_classes):
        if gt_count[k] == 0:
            continue
        if not scores_k[k]:
            ap[k] = 0.0
            continue
        s, tp = np.concatenate(scores_k[k]), np.concatenate(tp_k[k])
        order = np.argsort(-s, kind="mergesort")
        tp = tp[order]
        ctp, cfp = np.cumsum(tp), np.cumsum(~tp)
        rc = ctp / gt_count[k]
        pr = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
        pr = np.maximum.accumulate(pr[::-1])[::-1]                          # monotone from the right
        idx = np.searchsorted(rc, RECALL_POINTS, side="left")
        q = np.where(idx < len(pr), pr[np.minimum(idx, len(pr) - 1)], 0.0)
        precision[k] = q
        ap[k] = q.mean()
    return APResult(ap, precision, gt_count)


def pr_curves(result: APResult, class_names: Sequence[str]) -> ScatterData:
    """Precision against recall of every class with ground truth, as points coloured by class (101 per class)."""
    pts, labels = [], []
    for k, name in enumerate(class_names):
        if result.gt_count[k] == 0:
            continue
        reached = result.precision[k] > 0
        pts.append(np.stack([RECALL_POINTS[reached], result.precision[k][reached]], 1))
        labels.append(np.full(int(reached.sum()), k))
    points = np.concatenate(pts) if pts else np.zeros((0, 2))
    return ScatterData(points.astype(np.float32), np.concatenate(labels) if labels else np.zeros(0, np.int64),
                       class_names=list(class_names), x_label="recall", y_label="precision",
                       title=f"Precision-recall at IoU 0.5 (mAP {result.map:.3f})")


# ---- pictures ------------------------------------------------------------------------------------------------
def _hwc(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image, np.float32)
    return np.ascontiguousarray(img.transpose(1, 2, 0)) if img.ndim == 3 and img.shape[0] == 3 else img


def centre_to_pixels(boxes: np.ndarray, size: int) -> np.ndarray:
    """(n, 4) normalized (cx, cy, w, h) -> (n, 4) pixel corners for an image of side ``size``."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1) * size


def default_boxes_picture(image: np.ndarray, boxes: np.ndarray, shapes: Sequence[str],
                          caption: str) -> AnnotatedImageData:
    """The default boxes of one cell over an image: image (3, S, S) or (S, S, 3); boxes (k, 4) normalized
    (cx, cy, w, h); shapes: k names ("1", "1'", "2", "1/2"...) written on the boxes."""
    img = _hwc(image)
    px = centre_to_pixels(boxes, img.shape[0])
    return AnnotatedImageData(img, boxes=px, box_classes=np.arange(len(px)), box_labels=[f"ratio {s}" for s in shapes],
                              box_styles=["solid"] * len(px), class_names=[f"ratio {s}" for s in shapes],
                              points=((px[:1, :2] + px[:1, 2:]) / 2), caption=caption)


def matching_picture(image: np.ndarray, gt_boxes: np.ndarray, gt_labels: np.ndarray, priors: np.ndarray,
                     positive: np.ndarray, negative: np.ndarray, overlap: np.ndarray, class_names: Sequence[str],
                     max_negatives: int = 20) -> AnnotatedImageData:
    """The matching of one image: ground truth solid (class colours), positive default boxes dashed in their
    ground truth's colour with their IoU, hard negatives dotted in a colour of their own, named "hard negative"
    in the legend (the first ``max_negatives``: pass them hardest first).

    gt_boxes (m, 4) pixels, gt_labels (m,); priors (P, 4) normalized centre form; positive (P,) int class ids
    (0: background), negative (P,) bool, overlap (P,) best IoU with a ground truth."""
    img = _hwc(image)
    size = img.shape[0]
    pos = np.flatnonzero(positive > 0)
    neg = np.flatnonzero(negative)[:max_negatives]
    boxes = np.concatenate([np.asarray(gt_boxes, np.float32).reshape(-1, 4), centre_to_pixels(priors[pos], size),
                            centre_to_pixels(priors[neg], size)])
    classes = np.concatenate([gt_labels, positive[pos] - 1, np.full(len(neg), len(class_names))]).astype(np.int64)
    labels = ([class_names[int(c)] for c in gt_labels] + [f"{overlap[i]:.2f}" for i in pos] + [""] * len(neg))
    styles = ["solid"] * len(gt_labels) + ["dashed"] * len(pos) + ["dotted"] * len(neg)
    cap = (f"{len(pos)} positives (dashed, IoU written), {int(np.sum(negative))} hard negatives "
           f"({len(neg)} drawn dotted), {len(gt_labels)} ground truth boxes (solid)")
    return AnnotatedImageData(img, boxes=boxes, box_classes=classes, box_labels=labels, box_styles=styles,
                              class_names=[*class_names, "hard negative"], caption=cap)


def detections_picture(image: np.ndarray, boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                       class_names: Sequence[str], caption: str, style: str = "dashed") -> AnnotatedImageData:
    """Detections (n, 4) pixels with their class and confidence written on them, drawn ``style``."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    return AnnotatedImageData(_hwc(image), boxes=b, box_classes=np.asarray(labels, np.int64),
                              box_labels=[f"{class_names[int(c)]} {s:.2f}" for c, s in zip(labels, scores)],
                              box_styles=[style] * len(b), class_names=list(class_names), caption=caption)


def truth_vs_predictions(image: np.ndarray, gt_boxes: np.ndarray, gt_labels: np.ndarray, boxes: np.ndarray,
                         scores: np.ndarray, labels: np.ndarray, class_names: Sequence[str]) -> AnnotatedImageData:
    """Ground truth (solid, class name) against predictions (dashed), each prediction labelled with its IoU with
    the best-overlapping ground truth of its class ("IoU 0.83"; "IoU 0.00" for a false alarm)."""
    gt = np.asarray(gt_boxes, np.float32).reshape(-1, 4)
    pb = np.asarray(boxes, np.float32).reshape(-1, 4)
    iou = box_iou(pb, gt)
    same = np.asarray(labels)[:, None] == np.asarray(gt_labels)[None, :]
    best = np.where(same, iou, 0.0).max(1) if len(gt) else np.zeros(len(pb))
    text = [class_names[int(c)] for c in gt_labels] + [f"IoU {v:.2f}" for v in best]
    hits = int(np.sum(best >= 0.5))
    cap = f"ground truth solid, predictions dashed with their IoU: {hits} of {len(pb)} predictions at IoU >= 0.5"
    return AnnotatedImageData(_hwc(image), boxes=np.concatenate([gt, pb]),
                              box_classes=np.concatenate([gt_labels, labels]).astype(np.int64), box_labels=text,
                              box_styles=["solid"] * len(gt) + ["dashed"] * len(pb), class_names=list(class_names),
                              caption=cap)


def nearest_default_boxes(image: np.ndarray, box: Sequence[float], priors: np.ndarray, k: int = 5
                          ) -> tuple[AnnotatedImageData, np.ndarray, np.ndarray]:
    """The ``k`` default boxes of highest IoU with a drawn box (pixels x0, y0, x1, y1), IoU written on each.
    Returns (picture, indices (k,), ious (k,)).  Raises ValueError for a box without area."""
    img = _hwc(image)
    b = np.asarray(box, np.float64).reshape(1, 4)
    if not (b[0, 2] > b[0, 0] and b[0, 3] > b[0, 1]):
        raise ValueError(f"a box needs x1 > x0 and y1 > y0, got {tuple(float(v) for v in b[0])}")
    px = centre_to_pixels(priors, img.shape[0])
    iou = box_iou(b, px)[0]
    top = np.argsort(-iou, kind="mergesort")[:k]
    boxes = np.concatenate([b.astype(np.float32), px[top]])
    labels = ["your box"] + [f"IoU {iou[i]:.2f}" for i in top]
    pic = AnnotatedImageData(img, boxes=boxes, box_classes=np.array([0] + [1] * len(top)),
                             box_labels=labels, box_styles=["solid"] + ["dashed"] * len(top),
                             class_names=["your box", "nearest default boxes"],
                             caption=f"the {len(top)} default boxes nearest your box; best IoU {iou[top[0]]:.2f}")
    return pic, top, iou[top]


__all__ = ["APResult", "RECALL_POINTS", "average_precision", "box_iou", "centre_to_pixels", "default_boxes_picture",
           "detections_picture", "matching_picture", "nearest_default_boxes", "pr_curves", "truth_vs_predictions"]
