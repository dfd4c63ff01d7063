"""The embedded default data set: scikit-learn's bundled 8×8 handwritten digits.

1,797 images of the digits 0-9 (UCI "Optical Recognition of Handwritten Digits", Alpaydin & Kaynak
1998), 4-bit grey levels 0-16 that are scaled here to [0, 1], split into training and validation
sets stratified by class with a seed.  No network needed.  Qt-free.

:func:`read_digits` is the one reader: it reads scikit-learn's bundled ``digits.csv.gz`` directly, because
importing scikit-learn costs seconds.  :func:`load_digits_split` (flattened rows, split with scikit-learn) and
:func:`digit_images` (image-shaped, optionally upscaled, for the generative lessons) and
:func:`load_digit_images_split` (those images split by class without scikit-learn) are built on it.
"""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from visualizer.data.images import resize_bilinear
from visualizer.data.split import DataSplit

DIGIT_NAMES = tuple(str(d) for d in range(10))
N_DIGITS = 1797


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits from scikit-learn's bundled ``digits.csv.gz``, without importing scikit-learn:
    x (1797, 64) float32 in [0, 1] (grey levels 0-16 divided by 16, exact), y (1797,) int64, in the file's order
    (the order of ``sklearn.datasets.load_digits``).  Raises FileNotFoundError without scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-learn is not installed: its bundled digits are needed")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float32)             # (1797, 65): pixels, label
    return data[:, :-1] / 16.0, data[:, -1].astype(np.int64)


def digit_images(size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The digits as images: (1797, size, size) float32 in [0, 1] (row 0 at the top), upscaled from 8×8 with
    :func:`visualizer.data.images.resize_bilinear` (PyTorch's ``align_corners=False`` centres) when size != 8,
    and labels (1797,) int64.  Raises ValueError for size < 1."""
    x, y = read_digits()
    images = x.reshape(-1, 8, 8)                                           # (N, 8, 8)
    if size != 8:
        images = resize_bilinear(images, size, clip=(0.0, 1.0), dtype=np.float32)   # (N, size, size)
    return np.ascontiguousarray(images, dtype=np.float32), y


def stratified_indices(y: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted index arrays (train, val) holding out round(val_fraction · n_c) of every class c, drawn with
    ``numpy.random.default_rng([seed, 16])`` (the split the GAN lessons have always used; no scikit-learn)."""
    rng = np.random.default_rng([seed, 16])
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(val_fraction * len(idx)))
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def load_digits_split(val_fraction: float = 0.2, seed: int = 0, dtype: str = "float32") -> DataSplit:
    """The 8×8 digits as a stratified, seeded split: x (N, 64) of ``dtype`` in [0, 1], y (N,) int64.

    val_fraction: share of the 1,797 images held out for validation, in (0, 1).  The same seed
    gives the same split.  Raises ValueError if val_fraction leaves fewer than one image per class
    on either side."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, got {val_fraction:g}")
    x, y = read_digits()                               # (1797, 64) in [0, 1], (1797,)
    x = x.astype(dtype)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=val_fraction, random_state=seed, stratify=y)
    return DataSplit("8×8 digits (scikit-learn, embedded)", np.ascontiguousarray(x_tr), y_tr,
                     np.ascontiguousarray(x_va), y_va, (8, 8), DIGIT_NAMES)


def load_digit_images_split(size: int = 16, val_fraction: float = 0.2, seed: int = 0) -> DataSplit:
    """The digits upscaled to size×size (:func:`digit_images`), split by :func:`stratified_indices`: x rows
    (N, size²) float32 in [0, 1] (``train_images()`` gives (N, 1, size, size)), y int64.  The same seed gives
    the same split.  Raises ValueError if val_fraction is not in (0, 1)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, got {val_fraction:g}")
    images, y = digit_images(size)                                         # (1797, size, size)
    train, val = stratified_indices(y, val_fraction, seed)
    x = images.reshape(len(images), -1)                                    # (1797, size²)
    return DataSplit(f"8×8 digits (scikit-learn, embedded) upscaled to {size}×{size}", x[train], y[train],
                     x[val], y[val], (size, size), DIGIT_NAMES)
