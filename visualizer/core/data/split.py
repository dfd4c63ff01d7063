"""The train/validation split that image-classification lessons train on.  Qt-free."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DataSplit:
    """Flattened images with integer labels, split into training and validation sets.

    x_train: (N, D) float32 or float64 in [0, 1], D = H * W; y_train: (N,) int64 class ids;
    x_val: (M, D); y_val: (M,); image_shape: (H, W) to turn a row back into an image (row 0 at the
    top); class_names: one per class id; name: what the user is told the data set is."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        h, w = self.image_shape
        for x, y, part in ((self.x_train, self.y_train, "training"), (self.x_val, self.y_val, "validation")):
            if x.ndim != 2 or x.shape[1] != h * w:
                raise ValueError(f"{part} images must have shape (N, {h * w}), got {x.shape}")
            if y.shape != (x.shape[0],):
                raise ValueError(f"{part} labels must have shape ({x.shape[0]},), got {y.shape}")

    @property
    def n_features(self) -> int:
        """D, the number of pixels per image."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """K, the number of classes."""
        return len(self.class_names)
