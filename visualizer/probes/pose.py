"""Multi-person pose from confidence maps and part affinity fields (Qt-free, NumPy; pycocotools for OKS AP).

Cao, Simon, Wei & Sheikh, *Realtime multi-person 2D pose estimation using part affinity fields* (CVPR 2017),
sec. 2.2-2.4, and Ogawa, *PyTorch advanced deep learning* ch. 4 (``decode_pose``):

- :func:`pose_targets`: the ground truth the network regresses: a Gaussian confidence map per keypoint (the
  maximum over people, eq. 7), a background channel (1 − the maximum over keypoints), and for each limb a
  unit vector field pointing from one joint to the other on the pixels within ``limb_width`` of the limb,
  averaged where limbs of several people overlap (eq. 8-9);
- :func:`find_peaks`: keypoint candidates, the local maxima of each confidence map above a threshold (a 3×3
  max-pooling comparison), refined to sub-cell precision by the centroid of their 3×3 neighbourhood;
- :func:`assemble`: the greedy bipartite limb assembly (eq. 10-14): each candidate connection is scored by
  the line integral of the PAF along it (sampled at ``n_samples`` points), connections are taken greedily by
  score per limb type (each candidate used once), then limbs sharing a joint are merged into people;
- :func:`pck`: the share of labelled keypoints predicted within ``alpha`` × the person's size, with size the
  longer side of the person's keypoint bounding box (PCK of Yang & Ramanan, TPAMI 2013, α = 0.2), each true
  person matched to at most one predicted person (Hungarian assignment on correct keypoints);
- :func:`oks_ap`: COCO's OKS-based AP of the same predictions by pycocotools' COCOeval (18 → 17 keypoints:
  OpenPose's neck is not a COCO keypoint).

Coordinates are image pixels (x right, y down, pixel (r, c) covers [c, c+1) × [r, r+1)); map cell (r, c) of a
map with output stride s covers [c·s, (c+1)·s) × [r·s, (r+1)·s), its centre at ((c + ½)s, (r + ½)s).
"""
from __future__ import annotations

import contextlib
import io
from typing import Sequence

import numpy as np

from visualizer.data.scenes import KEYPOINTS, LIMBS

# OpenPose's 18 keypoints -> COCO's 17 (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
COCO_FROM_OPENPOSE = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)


def cell_centres(map_size: int, stride: int) -> np.ndarray:
    """(h,) float32 image coordinates of the centres of a map's cells along one axis: (i + ½)·stride."""
    return ((np.arange(map_size, dtype=np.float32) + 0.5) * stride).astype(np.float32)


def pose_targets(people: Sequence[np.ndarray], size: int, stride: int, sigma: float, limb_width: float,
                 limbs: Sequence[tuple[int, int]] = LIMBS) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth maps for a batch of N images of side ``size`` px, on the map grid of output ``stride``.

    people: N arrays (p_i, K, 3) float (x, y, v) in pixels, v > 0 where labelled (visible or occluded; a
    keypoint with v = 0 draws nothing, a limb needs both ends); sigma: the Gaussian's standard deviation in
    pixels; limb_width: pixels from the limb's axis within which its PAF is set (and as far beyond either
    joint along the axis, as Cao et al.'s code does, so a limb shorter than a map cell still gets a field).
    Returns heat (N, K + 1, h, w) float32 (channel K: background, 1 − max over keypoints) and paf
    (N, 2L, h, w) float32 (channels 2l, 2l + 1: x and y of limb l's unit vector, averaged over the people
    whose limb l covers the cell), h = w = size // stride.  Raises ValueError for sigma or limb_width <= 0,
    or a ``size`` the stride does not divide."""
    if sigma <= 0 or limb_width <= 0:
        raise ValueError(f"sigma ({sigma}) and limb_width ({limb_width}) must be positive")
    if size % stride:
        raise ValueError(f"the stride {stride} must divide the image size {size}")
    n, h = len(people), size // stride
    k_count = people[0].shape[1] if n and len(people[0]) else len(KEYPOINTS)
    limbs = np.asarray(limbs, dtype=np.int64).reshape(-1, 2)                            # (L, 2)
    heat = np.zeros((n, k_count + 1, h, h), np.float32)
    paf = np.zeros((n, 2 * len(limbs), h, h), np.float32)
    counts = [len(p) for p in people]
    if sum(counts):
        kp = np.concatenate([np.asarray(p, np.float32).reshape(-1, k_count, 3) for p in people if len(p)])
        img = np.repeat(np.arange(n), counts)                                           # (P,)
        c = cell_centres(h, stride)
        gx, gy = c[None, None, None, :], c[None, None, :, None]                       # (1, 1, 1, w), (1, 1, h, 1)
        x, y, v = (kp[..., i][:, :, None, None] for i in range(3))                    # (P, K, 1, 1)
        g = np.exp(-((gx - x) ** 2 + (gy - y) ** 2) / (2.0 * sigma ** 2)) * (v > 0)   # (P, K, h, w)
        np.maximum.at(heat, img, np.concatenate([g, np.zeros_like(g[:, :1])], axis=1))
        if len(limbs):
            a, b = kp[:, limbs[:, 0]], kp[:, limbs[:, 1]]                              # (P, L, 3) each
            d = b[..., :2] - a[..., :2]                                                # (P, L, 2)
            length = np.linalg.norm(d, axis=-1)                                        # (P, L)
            ok = (a[..., 2] > 0) & (b[..., 2] > 0) & (length > 1e-6)
            u = d / np.maximum(length, 1e-6)[..., None]                                # (P, L, 2) unit
            ux, uy = u[..., 0][..., None, None], u[..., 1][..., None, None]          # (P, L, 1, 1)
            px = gx - a[..., 0][..., None, None]                                      # (P, L, 1, w)
            py = gy - a[..., 1][..., None, None]                                      # (P, L, h, 1)
            along = px * ux + py * uy                                                  # (P, L, h, w)
            across = np.abs(px * uy - py * ux)
            on = ((along >= -limb_width) & (along <= length[..., None, None] + limb_width) & (across <= limb_width)
                  & ok[..., None, None]).astype(np.float32)                            # (P, L, h, w)
            vec = np.stack([on * ux, on * uy], axis=2).reshape(len(kp), -1, h, h)     # (P, 2L, h, w)
            total = np.zeros_like(paf)
            np.add.at(total, img, vec)
            hits = np.zeros((n, len(limbs), h, h), np.float32)
            np.add.at(hits, img, on)
            paf = total / np.maximum(np.repeat(hits, 2, axis=1), 1.0)
    heat[:, k_count] = 1.0 - heat[:, :k_count].max(axis=1)
    return heat, paf.astype(np.float32)


def find_peaks(heat: np.ndarray, threshold: float, stride: int, max_peaks: int | None = None) -> list[np.ndarray]:
    """Keypoint candidates of one image: heat (K', h, w) float confidence maps (the first K' channels are
    searched; pass the 18 keypoint channels, not the background).  A peak is a cell >= its 8 neighbours
    (3×3 max pooling; of equal neighbours only the first in raster order) and > ``threshold``; its position is refined by the centroid of its 3×3 neighbourhood
    (values clipped at 0).  Returns K' arrays (n_k, 3) float32 (x, y, score) in image pixels, score the
    peak's value, strongest first, at most ``max_peaks`` each (None: all; an untrained network's noise has
    many, and the assembly's cost grows with their square)."""
    heat = np.asarray(heat, np.float32)
    k, h, w = heat.shape
    pad = np.pad(heat, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    shifts = [pad[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    neigh = np.stack(shifts)                                                           # (9, K, h, w)
    # ties (a joint exactly between two cells) keep one peak: strictly above the neighbours before it in
    # raster order, at least as high as those after it
    is_peak = ((heat > neigh[:4].max(axis=0)) & (heat >= neigh[5:].max(axis=0)) & (heat > threshold))
    wts = np.clip(np.where(np.isfinite(neigh), neigh, 0.0), 0.0, None)                # (9, K, h, w)
    offs = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], np.float32)  # (9, 2)
    norm = np.maximum(wts.sum(axis=0), 1e-12)
    oy = np.tensordot(offs[:, 0], wts, axes=1) / norm                                  # (K, h, w)
    ox = np.tensordot(offs[:, 1], wts, axes=1) / norm
    out = []
    for j in range(k):
        r, c = np.nonzero(is_peak[j])
        s = heat[j, r, c]
        x = (c + 0.5 + ox[j, r, c]) * stride
        y = (r + 0.5 + oy[j, r, c]) * stride
        order = np.argsort(-s, kind="stable")[:max_peaks]
        out.append(np.stack([x, y, s], axis=1)[order].astype(np.float32).reshape(-1, 3))
    return out


def _sample(field: np.ndarray, x: np.ndarray, y: np.ndarray, stride: int) -> np.ndarray:
    """Bilinear sample of field (C, h, w) at image points x, y (same shape S) -> (C,) + S, values at cell
    centres, clamped at the border."""
    _, h, w = field.shape
    u = np.clip(x / stride - 0.5, 0.0, w - 1.0)
    v = np.clip(y / stride - 0.5, 0.0, h - 1.0)
    c0, r0 = np.floor(u).astype(int), np.floor(v).astype(int)
    c1, r1 = np.minimum(c0 + 1, w - 1), np.minimum(r0 + 1, h - 1)
    fu, fv = u - c0, v - r0
    return (field[:, r0, c0] * (1 - fu) * (1 - fv) + field[:, r0, c1] * fu * (1 - fv)
            + field[:, r1, c0] * (1 - fu) * fv + field[:, r1, c1] * fu * fv)


def limb_scores(pa: np.ndarray, pb: np.ndarray, paf_xy: np.ndarray, stride: int, image_size: int,
                n_samples: int = 10, threshold: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Line-integral scores of every candidate connection between joints pa (na, ≥2) and pb (nb, ≥2) (x, y
    in pixels) through one limb's PAF paf_xy (2, h, w) (Cao et al. eq. 10, sampled at ``n_samples`` points).
    Returns score (na, nb): the mean of PAF · unit(pb − pa) along the segment plus the length prior
    min(½·image_size / length − 1, 0) (Cao et al.'s code: long connections are penalized), and inliers
    (na, nb): the share of samples whose dot product exceeds ``threshold``."""
    d = pb[None, :, :2] - pa[:, None, :2]                                              # (na, nb, 2)
    length = np.linalg.norm(d, axis=-1)                                                # (na, nb)
    u = d / np.maximum(length, 1e-6)[..., None]
    t = np.linspace(0.0, 1.0, n_samples, dtype=np.float32)                             # (n,)
    xs = pa[:, None, None, 0] + t * d[..., 0, None]                                    # (na, nb, n)
    ys = pa[:, None, None, 1] + t * d[..., 1, None]
    vec = _sample(paf_xy, xs, ys, stride)                                              # (2, na, nb, n)
    dots = vec[0] * u[..., 0, None] + vec[1] * u[..., 1, None]                         # (na, nb, n)
    prior = np.minimum(0.5 * image_size / np.maximum(length, 1e-6) - 1.0, 0.0)
    return dots.mean(axis=-1) + prior, (dots > threshold).mean(axis=-1)


def _seed_limbs(limbs: np.ndarray) -> np.ndarray:
    """(L,) bool: limbs that may start a new person, those that join a joint not reached by earlier limbs
    in the list (OpenPose's two extra ear-shoulder limbs only confirm joints already found)."""
    seen: set[int] = set()
    out = np.zeros(len(limbs), bool)
    for i, (a, b) in enumerate(limbs):
        out[i] = not (a in seen and b in seen)
        seen.update((int(a), int(b)))
    return out


def assemble(peaks: Sequence[np.ndarray], paf: np.ndarray, stride: int, image_size: int,
             score_threshold: float = 0.05, limbs: Sequence[tuple[int, int]] = LIMBS, n_samples: int = 10,
             inlier_share: float = 0.8, min_parts: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Greedy bipartite limb assembly of one image (Cao et al. sec. 2.4).

    peaks: K arrays (n_k, 3) from :func:`find_peaks`; paf: (2L, h, w) the predicted part affinity fields.
    For each limb (a, b), candidate connections between the peaks of a and of b are scored with
    :func:`limb_scores`; a connection is kept when its score is >= ``score_threshold`` and at least
    ``inlier_share`` of its samples exceed it; kept connections are taken greedily by descending score, each
    peak at most once per limb.  Connections sharing a peak are then merged into people (two partial people
    joined by a limb merge when they claim no keypoint twice); people with fewer than ``min_parts`` keypoints
    are dropped.  Returns people (P, K, 3) float32 (x, y, score; score 0 where a keypoint was not found) and
    their scores (P,) float32 (the mean of their peak and connection scores), best first."""
    limbs = np.asarray(limbs, dtype=np.int64).reshape(-1, 2)
    k = len(peaks)
    seeds = _seed_limbs(limbs)
    persons: list[np.ndarray] = []                       # each (K,) int: peak index per keypoint, -1 none
    totals: list[float] = []
    for li, (a, b) in enumerate(limbs):
        pa, pb = peaks[a], peaks[b]
        if not len(pa) or not len(pb):
            continue
        score, inl = limb_scores(pa, pb, paf[2 * li:2 * li + 2], stride, image_size, n_samples,
                                 score_threshold)
        ok = (score >= score_threshold) & (inl >= inlier_share)
        ia, ib = np.nonzero(ok)
        order = np.argsort(-score[ia, ib], kind="stable")
        used_a, used_b = set(), set()
        for i, j in zip(ia[order], ib[order]):
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            s = float(score[i, j])
            found = [p for p, per in enumerate(persons) if per[a] == i or per[b] == j]
            if len(found) == 2:
                p, q = found
                if not np.any((persons[p] >= 0) & (persons[q] >= 0)):
                    persons[p] = np.maximum(persons[p], persons[q])
                    totals[p] += totals[q] + s
                    del persons[q], totals[q]
                    continue
                found = [p]
            if len(found) == 1:
                per = persons[found[0]]
                for part, idx in ((a, i), (b, j)):
                    if per[part] < 0:
                        per[part] = idx
                        totals[found[0]] += float(peaks[part][idx, 2])
                totals[found[0]] += s
            elif seeds[li]:
                per = np.full(k, -1, np.int64)
                per[a], per[b] = i, j
                persons.append(per)
                totals.append(float(pa[i, 2] + pb[j, 2]) + s)
    people, scores = [], []
    for per, tot in zip(persons, totals):
        n_parts = int((per >= 0).sum())
        if n_parts < min_parts:
            continue
        kp = np.zeros((k, 3), np.float32)
        for part in np.nonzero(per >= 0)[0]:
            kp[part] = peaks[part][per[part]]
        people.append(kp)
        scores.append(tot / (2 * n_parts - 1))           # parts + (parts − 1) tree connections
    if not people:
        return np.zeros((0, k, 3), np.float32), np.zeros(0, np.float32)
    order = np.argsort(-np.asarray(scores), kind="stable")
    return np.stack(people)[order], np.asarray(scores, np.float32)[order]


def person_size(gt: np.ndarray) -> np.ndarray:
    """(G,) the longer side of each person's keypoint bounding box (labelled keypoints, v > 0): PCK's
    normalizer (Yang & Ramanan 2013).  gt: (G, K, 3).  A person with no labelled keypoint gets 0."""
    gt = np.asarray(gt, np.float32).reshape(-1, *np.shape(gt)[-2:])
    lab = gt[..., 2] > 0
    big = np.where(lab[..., None], gt[..., :2], np.nan)
    with np.errstate(invalid="ignore"), warnings_off():
        span = np.nanmax(big, axis=1) - np.nanmin(big, axis=1)                         # (G, 2)
    return np.nan_to_num(span.max(axis=1), nan=0.0).astype(np.float32)


@contextlib.contextmanager
def warnings_off():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def pck_counts(pred: np.ndarray, gt: np.ndarray, alpha: float = 0.2) -> tuple[int, int, np.ndarray]:
    """PCK@alpha counts of one image.  pred (P, K, 3) (x, y, score; score > 0: predicted), gt (G, K, 3)
    (x, y, v; v > 0: labelled).  A predicted keypoint is correct when it lies within alpha × the true
    person's size (:func:`person_size`) of the true one; each true person is matched to at most one predicted
    person, maximizing the correct keypoints (scipy's linear_sum_assignment).
    Returns (correct, labelled, match (G,) int: the matched predicted person or −1)."""
    from scipy.optimize import linear_sum_assignment

    gt = np.asarray(gt, np.float32).reshape(-1, *np.shape(gt)[-2:]) if len(gt) else np.zeros((0, 1, 3))
    labelled = gt[..., 2] > 0                                                          # (G, K)
    total = int(labelled.sum())
    match = np.full(len(gt), -1, np.int64)
    if not len(pred) or not len(gt):
        return 0, total, match
    pred = np.asarray(pred, np.float32)
    dist = np.linalg.norm(gt[:, None, :, :2] - pred[None, :, :, :2], axis=-1)          # (G, P, K)
    thr = alpha * person_size(gt)                                                      # (G,)
    hit = (dist <= thr[:, None, None]) & labelled[:, None, :] & (pred[None, :, :, 2] > 0)
    correct = hit.sum(axis=-1)                                                         # (G, P)
    rows, cols = linear_sum_assignment(-correct)
    keep = correct[rows, cols] > 0
    match[rows[keep]] = cols[keep]
    return int(correct[rows, cols].sum()), total, match


def pck(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray], alpha: float = 0.2) -> float:
    """PCK@alpha over a set of images: correct keypoints / labelled keypoints (:func:`pck_counts` per image);
    NaN when nothing is labelled.  Raises ValueError when the lists differ in length."""
    if len(preds) != len(gts):
        raise ValueError(f"{len(preds)} predictions for {len(gts)} images")
    c = t = 0
    for p, g in zip(preds, gts):
        ci, ti, _ = pck_counts(p, g, alpha)
        c, t = c + ci, t + ti
    return c / t if t else float("nan")


def oks_ap(preds: Sequence[np.ndarray], scores: Sequence[np.ndarray], gts: Sequence[np.ndarray],
           areas: Sequence[np.ndarray] | None = None) -> dict[str, float]:
    """COCO keypoint AP (OKS, averaged over thresholds 0.50:0.95) and AP at OKS 0.5, by pycocotools' COCOeval
    on the same predictions :func:`pck` scores.  preds: per image (P, 18, 3) (x, y, score), scores: per image
    (P,), gts: per image (G, 18, 3) (x, y, v), areas: per image (G,) the people's pixel areas (default: the
    keypoint box's area).  OpenPose's 18 keypoints are mapped to COCO's 17 (the neck dropped).  Returns
    {"ap": ..., "ap50": ...}; NaN when no image has a labelled person.  Raises ValueError when the lists
    differ in length."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not len(preds) == len(scores) == len(gts):
        raise ValueError(f"{len(preds)} predictions, {len(scores)} score lists for {len(gts)} images")
    cmap = list(COCO_FROM_OPENPOSE)
    images, anns, dets = [], [], []
    for i, gt in enumerate(gts):
        images.append({"id": i + 1, "width": 1, "height": 1})
        gt = np.asarray(gt, np.float32).reshape(-1, len(KEYPOINTS), 3)
        for g, person in enumerate(gt):
            kp = person[cmap].copy()
            kp[kp[:, 2] <= 0] = 0.0
            lab = kp[:, 2] > 0
            if not lab.any():
                continue
            x0, y0 = kp[lab, :2].min(axis=0)
            x1, y1 = kp[lab, :2].max(axis=0)
            area = float(areas[i][g]) if areas is not None else float(max(x1 - x0, 1) * max(y1 - y0, 1))
            vis = np.where(lab, 2.0, 0.0)
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 1, "iscrowd": 0, "area": area,
                         "bbox": [float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
                         "num_keypoints": int(lab.sum()),
                         "keypoints": np.stack([kp[:, 0], kp[:, 1], vis], 1).ravel().tolist()})
        for person, s in zip(np.asarray(preds[i], np.float32).reshape(-1, len(KEYPOINTS), 3), scores[i]):
            kp = person[cmap]
            vis = (kp[:, 2] > 0).astype(np.float32)
            dets.append({"image_id": i + 1, "category_id": 1, "score": float(s),
                         "keypoints": np.stack([kp[:, 0], kp[:, 1], vis], 1).ravel().tolist()})
    if not anns:
        return {"ap": float("nan"), "ap50": float("nan")}
    if not dets:
        return {"ap": 0.0, "ap50": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": images, "annotations": anns,
                        "categories": [{"id": 1, "name": "person", "keypoints": [KEYPOINTS[j] for j in cmap],
                                        "skeleton": []}]}
        coco.createIndex()
        res = coco.loadRes(dets)
        ev = COCOeval(coco, res, "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    ap, ap50 = (max(float(v), 0.0) for v in ev.stats[:2])         # −1: no ground truth in range
    return {"ap": ap, "ap50": ap50}
