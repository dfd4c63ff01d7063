"""A labelled image set as arrays: what the vision lessons train on, whatever its source.

The generated shapes (:mod:`visualizer.data.shapes`), Ogawa's hymenoptera ants/bees and a user's image folder
(:mod:`visualizer.data.image_folder`) all arrive as one :class:`LabelledImages`, so a lesson never asks where
its images came from.  Qt-free and torch-free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelledImages:
    """Images with one class label each, and the object's mask where it is known.

    images: (N, 3, S, S) float32 in [0, 1] (RGB, channels first, square);
    labels: (N,) int64 in [0, len(class_names));
    class_names: one name per class, in label order;
    masks: (N, S, S) bool, True on the object's pixels, or None where unknown (photographs);
    source: a short description for the UI ("generated shapes, seed 0", "hymenoptera", a folder path).

    Raises ValueError from the constructor when shapes, dtypes or ranges disagree."""

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    masks: np.ndarray | None = None
    source: str = ""

    def __post_init__(self) -> None:
        x, y = self.images, self.labels
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3]:
            raise ValueError(f"images must be (N, 3, S, S), got {x.shape}")
        if x.dtype != np.float32:
            raise ValueError(f"images must be float32, got {x.dtype}")
        if y.shape != (len(x),) or y.dtype != np.int64:
            raise ValueError(f"labels must be int64 of shape ({len(x)},), got {y.dtype} {y.shape}")
        if len(y) and (y.min() < 0 or y.max() >= len(self.class_names)):
            raise ValueError(f"labels must lie in [0, {len(self.class_names)})")
        if self.masks is not None and (self.masks.shape != (len(x),) + x.shape[2:] or self.masks.dtype != bool):
            raise ValueError(f"masks must be bool of shape {(len(x),) + x.shape[2:]}, got {self.masks.dtype} "
                             f"{self.masks.shape}")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def size(self) -> int:
        """Image side S in pixels."""
        return int(self.images.shape[-1])

    def subset(self, idx: np.ndarray) -> "LabelledImages":
        """The images at ``idx`` (an index array or boolean mask), as a new set."""
        return LabelledImages(self.images[idx], self.labels[idx], self.class_names,
                              None if self.masks is None else self.masks[idx], self.source)
