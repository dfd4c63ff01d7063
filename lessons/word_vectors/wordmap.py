"""The data of a word map plot (kind ``"word_map"``): words drawn as text at 2-D points.  Qt-free; the view
is ``view.WordMapView``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

MAX_MAP_WORDS = 150


@dataclass
class WordMapData:
    """Words at points: points (N, 2) float, words (N,) str, classes (N,) int indices into class_names
    (colours); highlight: indices of points drawn emphasized (the query word first, then its
    neighbours).  N ≤ 150 (the view draws every label).  depth: (N,) float or None, for a 3-D cloud seen
    from one direction (:func:`view_3d`): larger is nearer the viewer; the view draws nearer words larger
    and on top.  points3d: (N, 3) float, the cloud itself, and angles: (azimuth, elevation) in degrees that
    gave points and depth; with both, the view can turn the cloud while the user drags."""

    points: np.ndarray
    words: Sequence[str]
    classes: np.ndarray
    class_names: Sequence[str] = ()
    highlight: Sequence[int] = field(default_factory=list)
    x_label: str = ""
    y_label: str = ""
    depth: np.ndarray | None = None
    points3d: np.ndarray | None = None
    angles: tuple[float, float] | None = None

    def table(self) -> tuple[list[str], list[list]]:
        rows = []
        hl = set(int(i) for i in self.highlight)
        for i, w in enumerate(self.words):
            cls = self.class_names[int(self.classes[i])] if len(self.class_names) else ""
            row = [str(w), float(self.points[i, 0]), float(self.points[i, 1]), cls, int(i in hl)]
            if self.depth is not None:
                row.append(float(self.depth[i]))
            rows.append(row)
        header = ["word", "x", "y", "class", "highlighted"]
        return (header + ["depth"] if self.depth is not None else header), rows


def view_3d(points: np.ndarray, azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray]:
    """A 3-D point cloud seen from a direction, by orthographic projection: points (N, 3) float →
    (screen (N, 2), depth (N,)), depth positive towards the viewer.

    The cloud turns by ``azimuth`` degrees about its second axis (vertical on screen), then tilts by
    ``elevation`` degrees about the screen's horizontal axis; at azimuth = elevation = 0 the screen shows
    axes 1 and 2 and depth is axis 3.  Raises ValueError unless points is (N, 3)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"view_3d needs points of shape (N, 3), got {points.shape}")
    a, e = np.radians(azimuth), np.radians(elevation)
    x, y, z = points.T
    x1, z1 = x * np.cos(a) + z * np.sin(a), -x * np.sin(a) + z * np.cos(a)      # turn about the vertical
    y2, z2 = y * np.cos(e) - z1 * np.sin(e), y * np.sin(e) + z1 * np.cos(e)     # tilt towards the viewer
    return np.column_stack([x1, y2]), z2


def view_3d_label(azimuth: float, elevation: float) -> str:
    """The axis caption of a 3-D view (angles in degrees)."""
    return f"PC 1–3 seen from azimuth {azimuth:.0f}°, elevation {elevation:.0f}°"
