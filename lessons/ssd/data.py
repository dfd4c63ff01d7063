"""The ``ssd`` lesson's data: generated scenes as padded detection targets (NumPy; Qt-free, torch-free).

Boxes are normalized corners (x0, y0, x1, y1) in [0, 1]; each image's boxes are padded to the set's largest
count with label -1.  SSD300 gets 150-pixel scenes scaled up 2x (the generator draws at most 256 px)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.data.scenes import Scenes, scene_sets

N_VAL = 200                  # held-out scenes of the small variant
N_VAL_300 = 4                # SSD300 on the CPU: a few
TRAIN_300 = 64               # at most this many training scenes for SSD300 (300 px images are large)


@dataclass
class DetectionSet:
    """images (N, 3, S, S) float32 in [0, 1]; boxes (N, M, 4) float32 normalized corners (zeros where padded);
    labels (N, M) int64 class index, -1 where padded; class_names; source: a line for the UI."""

    images: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        return self.images.shape[-1]

    def truth(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Image i's ground truth: (boxes (m, 4) in pixels, labels (m,))."""
        keep = self.labels[i] >= 0
        return self.boxes[i][keep] * self.size, self.labels[i][keep]


def to_detection_set(scenes: Scenes, scale: int = 1) -> DetectionSet:
    """Pad the scenes' boxes per image; ``scale`` > 1 repeats pixels to enlarge images (and boxes) that much."""
    n = len(scenes)
    counts = np.bincount(scenes.box_image, minlength=n)
    m = max(1, int(counts.max()) if n else 1)
    boxes = np.zeros((n, m, 4), np.float32)
    labels = np.full((n, m), -1, np.int64)
    slot = np.arange(len(scenes.box_image)) - np.concatenate([[0], np.cumsum(counts)])[scenes.box_image]
    boxes[scenes.box_image, slot] = scenes.boxes / scenes.size
    labels[scenes.box_image, slot] = scenes.box_labels
    images = scenes.images
    if scale > 1:
        images = images.repeat(scale, axis=2).repeat(scale, axis=3)
    return DetectionSet(np.ascontiguousarray(images, dtype=np.float32), boxes, labels, tuple(scenes.class_names),
                        scenes.source if scale == 1 else f"{scenes.source}, scaled {scale}x")


def build_sets(variant: str, n_train: int, seed: int) -> tuple[DetectionSet, DetectionSet]:
    """Training and held-out sets for ``variant`` ("small": 64 px; "ssd300": 150 px scenes shown at 300 px)."""
    if variant == "ssd300":
        train, val = scene_sets(min(n_train, TRAIN_300), N_VAL_300, 150, seed)
        return to_detection_set(train, 2), to_detection_set(val, 2)
    train, val = scene_sets(n_train, N_VAL, 64, seed)
    return to_detection_set(train), to_detection_set(val)
