"""Placing text labels so that none covers another (Qt-free): boxes in screen pixels in, chosen boxes out.

Greedy, as map labelling usually is: labels in priority order (the query word, its neighbours, then the
rest) each try a few positions around their point (right, left, above, below, then the diagonals) and keep
the first whose box overlaps no box already placed, no obstacle (a legend) and stays inside the plot; a
label with no free position is left out (the view shows it on hover).  Used by ``visualizer.ui.plots.word_map``.
Pixel coordinates have y pointing down, as on screen.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

Box = tuple[float, float, float, float]          # (left, top, right, bottom) in pixels
GAP_PX = 3.0                                     # from the point to the nearest edge of its label
CORNERS = ("top-right", "top-left", "bottom-right", "bottom-left")


def candidate_boxes(x: float, y: float, w: float, h: float, gap: float = GAP_PX) -> np.ndarray:
    """(8, 4) boxes of a w × h label around the point (x, y), in the order they are tried: right, left,
    above, below, then above right, below right, above left, below left."""
    right, left = (x + gap, x + gap + w), (x - gap - w, x - gap)
    centre = (x - w / 2, x + w / 2)
    middle, above, below = (y - h / 2, y + h / 2), (y - gap - h, y - gap), (y + gap, y + gap + h)
    spans = [(right, middle), (left, middle), (centre, above), (centre, below),
             (right, above), (right, below), (left, above), (left, below)]
    return np.array([(sx[0], sy[0], sx[1], sy[1]) for sx, sy in spans], dtype=np.float64)


def overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) bool: box a[i] and box b[j] share some area (touching edges do not count)."""
    a, b = np.asarray(a, dtype=np.float64).reshape(-1, 4), np.asarray(b, dtype=np.float64).reshape(-1, 4)
    return ((a[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < a[:, None, 2])
            & (a[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < a[:, None, 3]))


def place_labels(anchors: np.ndarray, sizes: np.ndarray, order: Sequence[int] | None = None,
                 bounds: Box | None = None, obstacles: Sequence[Box] = (), gap: float = GAP_PX) -> dict[int, Box]:
    """The labels that fit, and where: {index: box}.  anchors (N, 2) points in pixels; sizes (N, 2) the
    labels' (width, height) in pixels; order: indices by priority, highest first (default 0, 1, …; indices
    left out are not placed); bounds: the area every box must lie inside (labels of points outside it
    are not placed); obstacles: boxes no label may overlap.  Deterministic; no two returned boxes overlap."""
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    sizes = np.asarray(sizes, dtype=np.float64).reshape(-1, 2)
    order = range(len(anchors)) if order is None else order
    taken = np.empty((len(anchors) + len(obstacles), 4))
    n = len(obstacles)
    if n:
        taken[:n] = np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)
    placed: dict[int, Box] = {}
    for i in order:
        i = int(i)
        x, y = anchors[i]
        if i in placed or not (np.isfinite(x) and np.isfinite(y)):
            continue
        if bounds is not None and not (bounds[0] <= x <= bounds[2] and bounds[1] <= y <= bounds[3]):
            continue
        boxes = candidate_boxes(x, y, sizes[i, 0], sizes[i, 1], gap)
        free = np.ones(len(boxes), dtype=bool)
        if bounds is not None:
            free &= ((boxes[:, 0] >= bounds[0]) & (boxes[:, 1] >= bounds[1])
                     & (boxes[:, 2] <= bounds[2]) & (boxes[:, 3] <= bounds[3]))
        if n:
            free &= ~overlaps(boxes, taken[:n]).any(axis=1)
        if free.any():
            box = boxes[int(free.argmax())]
            taken[n] = box
            n += 1
            placed[i] = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    return placed


def corner_box(corner: str, bounds: Box, w: float, h: float, margin: float = 5.0) -> Box:
    """The w × h box in ``corner`` (one of CORNERS) of ``bounds``, ``margin`` pixels in from its edges."""
    left = bounds[0] + margin if corner.endswith("left") else bounds[2] - margin - w
    top = bounds[1] + margin if corner.startswith("top") else bounds[3] - margin - h
    return (left, top, left + w, top + h)


def emptiest_corner(points: np.ndarray, bounds: Box, w: float, h: float, margin: float = 5.0) -> str:
    """The corner of ``bounds`` (one of CORNERS) where a w × h box (a legend) covers the fewest of
    ``points`` (N, 2) in pixels, counting points within 12 px of the box (their labels stick out); ties go
    to the earlier corner in CORNERS."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    counts = []
    for corner in CORNERS:
        l, t, r, b = corner_box(corner, bounds, w, h, margin)
        pad = 12.0
        inside = ((points[:, 0] > l - pad) & (points[:, 0] < r + pad)
                  & (points[:, 1] > t - pad) & (points[:, 1] < b + pad))
        counts.append(int(inside.sum()))
    return CORNERS[int(np.argmin(counts))]
