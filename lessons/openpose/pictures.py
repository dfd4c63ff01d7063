"""The pictures of the ``openpose`` lesson from one held-out scene's stage outputs (Qt-free, NumPy)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.plotdata import AnnotatedImageData, ImageGridData
from visualizer.data.scenes import KEYPOINTS, LIMBS
from visualizer.probes.pose import assemble, find_peaks, pck_counts

PAF_MIN = 0.1          # arrows are drawn where the PAF is at least this long
ARROW = 1.2            # arrow length in map cells for a unit PAF vector
MAX_ARROWS = 24        # arrows per side of the map at most (larger maps: every k-th cell)
MAX_PEAKS = 12         # joint candidates kept per keypoint (the strongest): bounds the assembly's work


@dataclass
class Decoded:
    """One scene's decoding: image (S, S, 3) in [0, 1], stages: T pairs (heat (19, h, w), paf (38, h, w)),
    targets (heat, paf), truth (G, 18, 3), peaks (18 arrays (n, 3)), people (P, 18, 3), scores (P,),
    stride."""

    image: np.ndarray
    stages: list
    targets: tuple
    truth: np.ndarray
    peaks: list
    people: np.ndarray
    scores: np.ndarray
    stride: int


def people_of(heat: np.ndarray, paf: np.ndarray, stride: int, image_size: int, peak_threshold: float,
              paf_threshold: float) -> tuple[list, np.ndarray, np.ndarray]:
    """Peaks (18 arrays (n, 3)), people (P, 18, 3) and their scores (P,) of one image's maps heat (19, h, w)
    and paf (38, h, w) (:func:`visualizer.probes.pose.find_peaks`, :func:`assemble`)."""
    peaks = find_peaks(heat[:len(KEYPOINTS)], peak_threshold, stride, MAX_PEAKS)
    people, scores = assemble(peaks, paf, stride, image_size, paf_threshold)
    return peaks, people, scores


def decode(image, stages, targets, truth, stride, peak_threshold, paf_threshold) -> Decoded:
    """One scene: image (3, S, S), its stage outputs, targets and true people, decoded from the last stage."""
    peaks, people, scores = people_of(*stages[-1], stride, image.shape[1], peak_threshold, paf_threshold)
    return Decoded(np.ascontiguousarray(image.transpose(1, 2, 0)), stages, targets, truth, peaks, people,
                   scores, stride)


def _truth_boxes(truth: np.ndarray) -> np.ndarray:
    """(G, 4) keypoint boxes of the true people, widened by 2 px."""
    out = []
    for person in truth:
        lab = person[:, 2] > 0
        if lab.any():
            (x0, y0), (x1, y1) = person[lab, :2].min(0), person[lab, :2].max(0)
            out.append((x0 - 2, y0 - 2, x1 + 2, y1 + 2))
    return np.asarray(out, np.float32).reshape(-1, 4)


def skeletons(d: Decoded, peak_threshold: float, paf_threshold: float) -> AnnotatedImageData:
    """Assembled people as limbs (one colour per person), every peak as a point, true people as dotted boxes."""
    segs, seg_cls = [], []
    for p, person in enumerate(d.people):
        for a, b in LIMBS:
            if person[a, 2] > 0 and person[b, 2] > 0:
                segs.append((person[a, :2], person[b, :2]))
                seg_cls.append(p + 2)
    pts = [pk[:, :2] for pk in d.peaks if len(pk)]
    pts = np.concatenate(pts).astype(np.float32) if pts else np.zeros((0, 2), np.float32)
    labels = [f"{KEYPOINTS[k]} {s:.2f}" for k, pk in enumerate(d.peaks) for s in pk[:, 2]]
    boxes = _truth_boxes(d.truth)
    correct, total, _ = pck_counts(d.people, d.truth)
    n = len(d.people)
    names = ["peak", "true person"] + [f"person {i + 1}" for i in range(n)]   # people: colours 2, 3, …
    caption = (f"{n} {'person' if n == 1 else 'people'} found ({len(d.truth)} true); PCK@0.2 here "
               f"{correct}/{total}; peaks > {peak_threshold:.2f}, limbs kept at PAF score ≥ {paf_threshold:.2f}")
    return AnnotatedImageData(
        d.image, boxes=boxes, box_classes=np.full(len(boxes), 1), box_labels=["true"] * len(boxes),
        box_styles=["dotted"] * len(boxes), points=pts, point_classes=np.zeros(len(pts), np.int64),
        point_labels=labels, segments=np.asarray(segs, np.float32).reshape(-1, 2, 2),
        segment_classes=np.asarray(seg_cls, np.int64), class_names=names, caption=caption)


def confidence(d: Decoded, k: int) -> AnnotatedImageData:
    """The last stage's confidence map of keypoint k as heat over the image, true joints and peaks."""
    heat = d.stages[-1][0][k]
    true_pts = d.truth[d.truth[:, k, 2] > 0][:, k, :2] if len(d.truth) else np.zeros((0, 2))
    peaks = d.peaks[k][:, :2]
    pts = np.concatenate([true_pts, peaks]).astype(np.float32).reshape(-1, 2)
    cls = np.r_[np.zeros(len(true_pts)), np.ones(len(peaks))].astype(np.int64)
    labels = [f"true {KEYPOINTS[k]}"] * len(true_pts) + [f"peak {s:.2f}" for s in d.peaks[k][:, 2]]
    return AnnotatedImageData(d.image, heat=np.clip(heat, 0.0, 1.0).astype(np.float32), heat_label="confidence",
                              points=pts, point_classes=cls, point_labels=labels,
                              class_names=("true joint", "peak"),
                              caption=f"{KEYPOINTS[k].replace('_', ' ')}: max {float(heat.max()):.2f}, "
                                      f"{len(peaks)} peak(s)")


def paf_arrows(d: Decoded, limb: int) -> AnnotatedImageData:
    """The last stage's PAF of one limb as arrows from each map cell's centre (every k-th cell on maps wider
    than MAX_ARROWS; a unit vector: ARROW × k cells long, longer vectors drawn as unit ones), where it is at
    least PAF_MIN long; the true limbs as segments; heat: its length."""
    paf = d.stages[-1][1][2 * limb:2 * limb + 2]                                        # (2, h, w)
    mag = np.hypot(paf[0], paf[1])
    every = max(1, -(-mag.shape[0] // MAX_ARROWS))            # a 46×46 map: every 2nd cell
    on = mag >= PAF_MIN
    on &= ((np.arange(mag.shape[0])[:, None] % every == 0) & (np.arange(mag.shape[1])[None] % every == 0))
    r, c = np.nonzero(on)
    s = d.stride
    scale = ARROW * s * every / np.maximum(mag[r, c], 1.0)     # longer than 1 (untrained): drawn as 1
    arrows = np.stack([(c + 0.5) * s, (r + 0.5) * s, scale * paf[0, r, c], scale * paf[1, r, c]], 1)
    a, b = LIMBS[limb]
    true = [(p[a, :2], p[b, :2]) for p in d.truth if p[a, 2] > 0 and p[b, 2] > 0]
    return AnnotatedImageData(
        d.image, heat=np.clip(mag, 0.0, 1.0).astype(np.float32), heat_label="|PAF|", heat_alpha=0.35,
        arrows=arrows.astype(np.float32).reshape(-1, 4), arrow_classes=np.zeros(len(arrows), np.int64),
        segments=np.asarray(true, np.float32).reshape(-1, 2, 2), segment_classes=np.ones(len(true), np.int64),
        segment_width=1.5, class_names=("predicted PAF", "true limb"),
        caption=f"{KEYPOINTS[a].replace('_', ' ')} → {KEYPOINTS[b].replace('_', ' ')}: "
                f"{int((mag >= PAF_MIN).sum())} cells with |PAF| ≥ {PAF_MIN}")


def stage_grid(d: Decoded, k: int, limb: int) -> ImageGridData:
    """Row 1: keypoint k's map at stages 1..T and its target; row 2: the limb's PAF length likewise."""
    heat_t, paf_t = d.targets
    heats = [h[k] for h, _ in d.stages] + [heat_t[k]]
    mags = [np.hypot(p[2 * limb], p[2 * limb + 1]) for _, p in d.stages]
    mags.append(np.hypot(paf_t[2 * limb], paf_t[2 * limb + 1]))
    n = len(d.stages)
    caps = [f"stage {t + 1}" for t in range(n)] + ["target"]
    top = [f"{KEYPOINTS[k].replace('_', ' ')} / {caps[0]}"] + caps[1:]          # " / ": two caption lines
    bottom = [f"|PAF| / {caps[0]}"] + caps[1:]
    return ImageGridData(np.clip(np.stack(heats + mags), 0.0, 1.0).astype(np.float32),
                         top + bottom, (0.0, 1.0), "inferno", ncols=n + 1)


def all_maps(d: Decoded) -> ImageGridData:
    """The last stage's 19 confidence maps."""
    heat = np.clip(d.stages[-1][0], 0.0, 1.0).astype(np.float32)
    names = [k.replace("_", " ") for k in KEYPOINTS] + ["background"]
    return ImageGridData(heat, names[:len(heat)], (0.0, 1.0), "inferno", ncols=5)

