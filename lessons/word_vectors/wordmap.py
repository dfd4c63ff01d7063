"""Word map helpers (Qt-free): how many words a map shows, and a 3-D cloud seen from one direction.  The plot
data is :class:`visualizer.core.plotdata.WordMapData` (re-exported here), drawn by
``visualizer.ui.plots.word_map.WordMapView``."""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import WordMapData  # noqa: F401  (the lessons build it from here)

MAX_MAP_WORDS = 150


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
