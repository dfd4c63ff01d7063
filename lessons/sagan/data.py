"""Digits for the GAN lessons: scikit-learn's embedded 8×8 digits upscaled to 16×16 in [−1, 1].  NumPy only.

Bilinear upscaling uses the half-pixel convention of ``torch.nn.functional.interpolate(mode="bilinear",
align_corners=False)``, written as two small interpolation matrices so no torch is needed to load data.
"""
from __future__ import annotations

import numpy as np

import gzip
import importlib.util
from pathlib import Path


def linear_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Matrix A (n_out, n_in) with ``y = A @ x`` the linear interpolation of x (half-pixel centres, clamped at
    the borders, as PyTorch's ``align_corners=False``)."""
    A = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    for i in range(n_out):
        src = max((i + 0.5) * scale - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        t = src - i0
        A[i, i0] += 1.0 - t
        A[i, i1] += t
    return A


def upscale(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upscaling of square images: (N, H, H) -> (N, size, size), same dtype."""
    A = linear_resize_matrix(images.shape[-1], size)
    out = np.einsum("ij,njk,lk->nil", A, images.astype(np.float64), A)
    return out.astype(images.dtype)


def load_digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits read straight from its ``digits.csv.gz`` (importing scikit-learn costs
    seconds): x (1797, 64) float32 in [0, 1], y (1797,) int64.  Raises FileNotFoundError without scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-learn is not installed: its bundled digits are needed")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return data[:, :-1] / 16.0, data[:, -1].astype(np.int64)


def stratified_split(y: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): ``val_fraction`` of every class held out, drawn with ``seed``."""
    rng = np.random.default_rng([seed, 16])
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(val_fraction * len(idx)))
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def digits_16(seed: int = 0, size: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The embedded digits as GAN data: x_train (N, 1, size, size) float32 in [−1, 1], y_train (N,) int64,
    x_val (M, 1, size, size), y_val (M,).  The split is stratified by class (80/20) with ``seed``."""
    x, y = load_digits_raw()
    tr, va = stratified_split(y, 0.2, seed)
    out = []
    for part in (x[tr], x[va]):
        img = upscale(part.reshape(-1, 8, 8).astype(np.float32), size)             # (N, size, size) in [0, 1]
        out.append(np.ascontiguousarray((img * 2.0 - 1.0)[:, None], dtype=np.float32))
    return out[0], y[tr], out[1], y[va]
