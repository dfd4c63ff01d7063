"""The autoencoder lesson's snapshot pictures, built from codes and reconstructions (Qt-free, NumPy only):
input vs reconstruction, the latent map (the code, or its PCA), the code histogram, the retrieval grid and
the precision of each code length.  Salakhutdinov & Hinton, *Semantic hashing* (2009), fig. 6-7."""
from __future__ import annotations

import itertools

import numpy as np

from lessons.autoencoder import hashing
from visualizer.core.plotdata import BarsData, ImageGridData, ScatterData

PREFIX_BITS = (4, 8, 16, 32)
RELEVANT_COLOR = "#188038"
IRRELEVANT_COLOR = "#d93025"
QUERY_COLOR = "#1a73e8"


def reconstruction_grid(clean: np.ndarray, shown: np.ndarray | None, recon: np.ndarray,
                        labels: np.ndarray) -> ImageGridData:
    """Rows of 8×8 tiles: clean images (K, 64), the corrupted inputs (K, 64) when denoising (``shown``
    not None) and the reconstructions (K, 64), captioned "input 3" (with the digit), "noisy" and
    "output"."""
    rows = [clean, recon] if shown is None else [clean, shown, recon]
    captions = [f"input {int(y)}" for y in labels]
    if shown is not None:
        captions += ["noisy"] * len(clean)
    captions += ["output"] * len(clean)
    images = np.concatenate(rows).reshape(-1, 8, 8).astype(np.float32)
    return ImageGridData(images, captions, (0.0, 1.0), "gray", ncols=len(clean))


def latent_map(val_codes: np.ndarray, labels: np.ndarray, class_names, binary: bool) -> ScatterData:
    """The codes (M, C) of the validation images coloured by digit: the code itself when it is 2-D and
    real-valued, else its projection on the first two principal components; the title says which."""
    c = val_codes.shape[1]
    kind = "binary-code activations" if binary else "code"
    if c == 2 and not binary:
        pts, xl, yl = val_codes, "code 1", "code 2"
        title = "Latent space: the 2-D code of each validation image"
    else:
        pts, share = hashing.pca_2d(val_codes)
        xl, yl = f"PC 1 ({100 * share[0]:.0f}% of variance)", f"PC 2 ({100 * share[1]:.0f}%)"
        title = f"Latent space: PCA of the {c}-D {kind} (first two components)"
    return ScatterData(pts.astype(np.float64), labels.copy(), None, class_names, xl, yl, title=title)


def code_histogram(val_codes: np.ndarray, binary: bool) -> BarsData:
    """Share of the code activations (M, C) in 10 bins over [0, 1] (binary codes) or their range."""
    if binary:
        lo, hi = 0.0, 1.0
    else:
        lo, hi = float(val_codes.min()), float(val_codes.max())
        if not hi > lo:
            hi = lo + 1.0
    counts, edges = np.histogram(val_codes, bins=10, range=(lo, hi))
    labels = [f"{(a + b) / 2:.2g}" for a, b in itertools.pairwise(edges)]
    return BarsData(labels, counts / max(1, val_codes.size), y_label="share of activations")


def retrieval_grid(query: np.ndarray, database: np.ndarray, dist: np.ndarray, near: np.ndarray,
                   relevant: np.ndarray, binary: bool) -> ImageGridData:
    """The query image (64,) then its nearest database images ``database[near]``, captioned with the
    distance ``dist[near]`` and coloured by ``relevant`` (bool per shown neighbour)."""
    images = np.concatenate([query[None], database[near]]).reshape(-1, 8, 8)
    fmt = "d={:.0f}" if binary else "d={:.2g}"
    captions = ["query"] + [fmt.format(dist[i]) for i in near]
    colors = [QUERY_COLOR] + [RELEVANT_COLOR if r else IRRELEVANT_COLOR for r in relevant]
    return ImageGridData(images.astype(np.float32), captions, (0.0, 1.0), "gray", ncols=6,
                         caption_colors=colors)


def precision_bars(labels: list[str], values: list[float]) -> BarsData:
    """Precision@10 per retrieval method (pixels, each code length, chance) as bars."""
    return BarsData(labels, np.array(values, dtype=np.float64), y_label="precision@10")
