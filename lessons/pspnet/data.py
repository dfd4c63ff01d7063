"""The ``pspnet`` lesson's scenes (Qt-free, torch-free): generated scenes with large objects, where a window
inside an object sees only its texture and the class is decided by the object's outline: context matters.

The small variant trains on 64 px scenes; PSPNet-50 reads 475 px inputs (Ogawa ch. 3), drawn at the generator's
largest size (256 px) and resized by the lesson on the device.
"""
from __future__ import annotations

from dataclasses import dataclass

from lessons.pspnet.specs import CLASSES, N_VAL
from visualizer.core.errors import LessonConfigError

SIZES = {"small": 64, "pspnet50": 475}          # the network's input side
DRAW = {"small": 64, "pspnet50": 256}           # the side the scenes are drawn at
BOOK_SCENES = (16, 4)                           # PSPNet-50: training and held-out scenes (a few seconds each)
MIN_SCALE = 0.25


@dataclass
class SegmentationData:
    """train, val: :class:`visualizer.data.scenes.Scenes` (images (N, 3, s, s) float32 in [0, 1], class masks
    (N, s, s) int64, 0 background, k + 1 for CLASSES[k]); size: the network's input side (the lesson resizes when
    it differs from s); note: one line on what is used."""

    train: object
    val: object
    size: int
    note: str


def build_data(hp, context) -> SegmentationData:
    """Generated training and held-out scenes for ``hp`` (variant, train_scenes, max_scale, seed).  Raises
    LessonConfigError when the generator refuses the settings."""
    from visualizer.data.scenes import scene_sets

    variant = hp["variant"]
    n_train, n_val = (hp["train_scenes"], N_VAL) if variant == "small" else BOOK_SCENES
    context.progress(f"Drawing {n_train + n_val} scenes", None)
    try:
        train, val = scene_sets(n_train, n_val, DRAW[variant], hp["seed"], min_scale=MIN_SCALE,
                                max_scale=hp["max_scale"], classes=CLASSES)
    except ValueError as exc:
        raise LessonConfigError(f"The scene generator refused these settings: {exc}") from exc
    context.progress(f"Drawing {n_train + n_val} scenes", 1.0)
    note = (f"{n_train} generated training scenes and {n_val} held-out ones ({DRAW[variant]} px"
            + (f", resized to {SIZES[variant]} px" if DRAW[variant] != SIZES[variant] else "")
            + f"; objects {MIN_SCALE:g} to {hp['max_scale']:g} of the image side).")
    return SegmentationData(train, val, SIZES[variant], note)
