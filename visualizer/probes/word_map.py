"""Word maps (Qt-free): word vectors drawn as labelled points, the plot data
:class:`visualizer.core.plotdata.WordMapData` drawn by ``visualizer.ui.plots.word_map``.

Projections of (V, H) vectors to the plane: PCA in 2-D, PCA in 3-D seen from an azimuth and an elevation
(orthographic, :func:`view_3d`), or t-SNE (van der Maaten & Hinton 2008, scikit-learn's exact method, cached
by :class:`Projector`); word classes of the generated corpus as colours.  Used by the word_vectors (SVD
coordinates) and word2vec (embedding projector) lessons.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from visualizer.core.plotdata import WordMapData

MAX_MAP_WORDS = 150                      # every word is a point; labels that fit are drawn, the rest on hover
CLASS_NAMES = ("noun", "verb", "adjective", "determiner", "preposition", "pronoun", "other")
PROJECTIONS = ("pca", "pca3d", "tsne")


def class_indices(words: Sequence[str], word_classes: Mapping[str, str]) -> np.ndarray:
    """(V,) int64 index into CLASS_NAMES of every word's class (``word_classes``: word -> class name, as
    ``visualizer.data.corpus.word_classes`` gives); classes not in CLASS_NAMES and unknown words are
    "other"."""
    idx = {c: i for i, c in enumerate(CLASS_NAMES)}
    other = len(CLASS_NAMES) - 1
    return np.array([idx.get(word_classes.get(w, "other"), other) for w in words], dtype=np.int64)


def word_map(ids: np.ndarray, points: np.ndarray, words: Sequence[str], classes: np.ndarray | None,
             chosen: Sequence[int], x_label: str = "", y_label: str = "", **view_3d_data) -> WordMapData:
    """The map of the words ``ids`` (N,) at ``points`` (N, 2): words[ids], their classes (``classes`` (V,)
    indices into CLASS_NAMES, or None: one class "word"), the ``chosen`` word ids that are on the map
    highlighted in that order (the query first).  ``view_3d_data``: depth, points3d, angles of a 3-D view."""
    ids = np.asarray(ids, dtype=np.int64)
    pos = {int(w): j for j, w in enumerate(ids)}
    highlight = [pos[int(i)] for i in chosen if int(i) in pos]
    if classes is None:
        cls, names = np.zeros(ids.size, dtype=np.int64), ("word",)
    else:
        cls, names = np.asarray(classes)[ids].copy(), CLASS_NAMES
    return WordMapData(points, [words[int(i)] for i in ids], cls, names, highlight, x_label, y_label,
                       **view_3d_data)


def pca(x: np.ndarray, k: int = 2) -> np.ndarray:
    """The rows of x (N, H) on their k principal axes: (N, k) float64, signs fixed (each axis's largest
    |loading| positive); columns beyond the rank of x are 0.  By SVD of the centred rows."""
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    axes = vt[:k]                                           # (k, H)
    axes = axes * np.sign(axes[np.arange(axes.shape[0]), np.abs(axes).argmax(axis=1)])[:, None]
    out = np.zeros((x.shape[0], k))
    out[:, :axes.shape[0]] = xc @ axes.T
    return out


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


class Projector:
    """Word vectors onto the plane for a word map, by one of PROJECTIONS: ``pca`` (2-D), ``pca3d`` (3-D seen
    from (azimuth, elevation)) or ``tsne`` (non-linear, 2-D).  t-SNE costs 0.2-0.5 s for 150 words, so its
    layout is cached and recomputed only when the words change or ``tsne_every`` steps have passed, starting
    from the previous layout so that the picture moves smoothly.  Imports scikit-learn only for t-SNE."""

    def __init__(self, tsne_every: int = 300) -> None:
        self.tsne_every = int(tsne_every)
        self._tsne: tuple[int, np.ndarray, np.ndarray] | None = None      # (step, word ids, layout)

    def reset(self) -> None:
        """Forget the cached t-SNE layout (new weights)."""
        self._tsne = None

    def project(self, vectors: np.ndarray, ids: np.ndarray, method: str, step: int,
                angles: tuple[float, float] = (0.0, 0.0)) -> dict:
        """The rows ``ids`` (N,) of ``vectors`` (V, H) projected: a dict of :func:`word_map`'s keywords
        (points (N, 2), x_label, y_label, and for ``pca3d`` depth (N,), points3d (N, 3), angles).
        Raises ValueError for an unknown method."""
        x = vectors[ids].astype(np.float64)
        if method == "tsne":
            return {"points": self._tsne_layout(x, ids, step), "x_label": "t-SNE 1", "y_label": "t-SNE 2"}
        if method == "pca3d":
            cloud = pca(x, 3)
            pts, depth = view_3d(cloud, *angles)
            return {"points": pts, "x_label": view_3d_label(*angles), "y_label": "", "depth": depth,
                    "points3d": cloud, "angles": tuple(angles)}
        if method == "pca":
            return {"points": pca(x, 2), "x_label": "PC 1", "y_label": "PC 2"}
        raise ValueError(f"unknown projection {method!r}; use one of {', '.join(PROJECTIONS)}")

    def _tsne_layout(self, x: np.ndarray, ids: np.ndarray, step: int) -> np.ndarray:
        cached = self._tsne
        same_words = cached is not None and np.array_equal(cached[1], ids)
        if same_words and step - cached[0] < self.tsne_every:
            return cached[2]
        from sklearn.manifold import TSNE
        perplexity = float(min(30.0, max(2.0, (len(ids) - 1) / 3)))
        # exact: faster than Barnes-Hut at N <= 300; 250 of the 500 iterations are the early exaggeration
        layout = TSNE(2, perplexity=perplexity, init=cached[2] if same_words else "pca", random_state=0,
                      max_iter=500, method="exact", metric="cosine").fit_transform(x)
        self._tsne = (step, np.array(ids, copy=True), layout)
        return layout
