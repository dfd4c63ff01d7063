"""The train/validation split that image-classification lessons train on.  Qt-free."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DataSplit:
    """Flattened images with integer labels, split into training and validation sets.

    x_train: (N, D) float32 or float64 in [0, 1], D = C * H * W; y_train: (N,) int64 class ids;
    x_val: (M, D); y_val: (M,); image_shape: (H, W) to turn a row back into an image (row 0 at the
    top); class_names: one per class id; name: what the user is told the data set is; channels: C,
    1 for grey levels, 3 for colour images whose rows hold the R, G and B planes one after the other
    (see :meth:`train_images`).  Raises ValueError if the arrays do not have these shapes."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    channels: int = 1

    def __post_init__(self) -> None:
        h, w = self.image_shape
        d = self.channels * h * w
        for x, y, part in ((self.x_train, self.y_train, "training"), (self.x_val, self.y_val, "validation")):
            if x.ndim != 2 or x.shape[1] != d:
                raise ValueError(f"{part} images must have shape (N, {d}), got {x.shape}")
            if y.shape != (x.shape[0],):
                raise ValueError(f"{part} labels must have shape ({x.shape[0]},), got {y.shape}")

    @property
    def n_features(self) -> int:
        """D = C * H * W, the number of values per image."""
        return int(self.x_train.shape[1])

    def train_images(self) -> np.ndarray:
        """The training images as (N, C, H, W), a view of ``x_train``."""
        return self.x_train.reshape(-1, self.channels, *self.image_shape)

    def val_images(self) -> np.ndarray:
        """The validation images as (M, C, H, W), a view of ``x_val``."""
        return self.x_val.reshape(-1, self.channels, *self.image_shape)

    @property
    def n_classes(self) -> int:
        """K, the number of classes."""
        return len(self.class_names)


def subset_indices(n_train: int, n_test: int, max_train: int | None, val_fraction: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random subsets of a data set that comes as official training and test parts.

    Returns (train_idx, val_idx), sorted int64 index arrays: ``max_train`` of the ``n_train``
    training images (all if None), and as many of the ``n_test`` test images as make up
    ``val_fraction`` of the two subsets together (at least 1, at most ``n_test``)."""
    rng = np.random.default_rng(seed)
    n_tr = n_train if max_train is None else min(int(max_train), n_train)
    train_idx = np.sort(rng.permutation(n_train)[:n_tr])
    n_val = min(n_test, max(1, round(n_tr * val_fraction / (1.0 - val_fraction))))
    val_idx = np.sort(rng.permutation(n_test)[:n_val])
    return train_idx, val_idx
