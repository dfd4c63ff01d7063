"""The ``ssd`` lesson's data: generated scenes (the default), Pascal VOC 2007 (downloaded once) or a folder in VOC
layout, as padded detection targets (NumPy; Qt-free, torch-free).

Boxes are normalized corners (x0, y0, x1, y1) in [0, 1]; each image's boxes are padded to the set's largest
count with label -1.  SSD300 gets 150-pixel scenes scaled up 2x (the generator draws at most 256 px)."""
from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import numpy as np

from visualizer.core.errors import LessonConfigError
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


def scene_detection_sets(variant: str, n_train: int, seed: int) -> tuple[DetectionSet, DetectionSet]:
    """Generated training and held-out sets for ``variant`` ("small": 64 px; "ssd300": 150 px scenes shown at
    300 px)."""
    if variant == "ssd300":
        train, val = scene_sets(min(n_train, TRAIN_300), N_VAL_300, 150, seed)
        return to_detection_set(train, 2), to_detection_set(val, 2)
    train, val = scene_sets(n_train, N_VAL, 64, seed)
    return to_detection_set(train), to_detection_set(val)


def voc_detection_sets(root, variant: str, n_train: int, context) -> tuple[DetectionSet, DetectionSet]:
    """A folder in VOC layout (``load_voc``, split trainval, difficult objects left out) at the variant's size:
    the first images train, the last fifth (at most 200) are held out.  The files the reader skipped or
    changed are told through ``context.notice`` (the first five, each naming its file).  Raises
    LessonConfigError when the folder is no VOC folder or holds fewer than 2 valid images."""
    from visualizer.data.voc import load_voc

    size = 300 if variant == "ssd300" else 64
    n_val = N_VAL_300 if variant == "ssd300" else N_VAL
    n_train = min(n_train, TRAIN_300) if variant == "ssd300" else n_train
    try:
        scenes, skipped = load_voc(root, size, max_images=n_train + n_val)
    except ValueError as e:                      # VocFormatError: no VOC folder, no split file, nothing valid
        raise LessonConfigError(f"VOC folder: {e}") from None
    if skipped:
        context.notice(f"VOC: {len(skipped)} problem(s) in {root}; the run goes on with the valid images. "
                       + " ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else ""))
    n = len(scenes)
    if n < 2:
        raise LessonConfigError(f"VOC folder {root}: {n} valid image(s); at least 2 are needed (train + held out)")
    n_val = min(n_val, max(1, n // 5))
    idx = np.arange(n)
    return (to_detection_set(scenes.subset(idx[:n - n_val])), to_detection_set(scenes.subset(idx[n - n_val:])))


def build_sets(hp, context) -> tuple[DetectionSet, DetectionSet]:
    """The sets the settings ask for: generated scenes, VOC2007 (downloaded once; offline: the scenes, said
    so) or the user's VOC folder (LessonConfigError when it cannot be read)."""
    from lessons.ssd.specs import VOC_DOWNLOAD, VOC_FOLDER

    variant, n_train, seed = hp["variant"], hp["train_scenes"], hp["seed"]
    if hp["dataset"] == VOC_FOLDER:
        if not hp["voc_folder"]:
            raise LessonConfigError("Choose a VOC folder (the VOC<year> folder with JPEGImages/ and Annotations/).")
        return voc_detection_sets(Path(hp["voc_folder"]).expanduser(), variant, n_train, context)
    if hp["dataset"] == VOC_DOWNLOAD:
        from visualizer.data.fallback import load_with_fallback
        from visualizer.data.voc import fetch_voc

        def primary():
            root = fetch_voc("2007", progress=lambda message, fraction=None: context.progress(message, fraction))
            return voc_detection_sets(root, variant, n_train, context)
        return load_with_fallback(context, primary, lambda: scene_detection_sets(variant, n_train, seed),
                                  what="Pascal VOC 2007", instead="generated scenes", param="dataset")
    return scene_detection_sets(variant, n_train, seed)
