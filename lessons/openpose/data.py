"""The scenes of the ``openpose`` lesson: generated stick figures among shapes (Qt-free, NumPy).

The small network trains on 64 px scenes (:func:`visualizer.data.scenes.scene_sets`, half the objects people,
up to three objects).  The book's network takes 368 px: the generator draws at most 256 px, so its scenes are
drawn at 184 px and enlarged twice (pixel repetition; keypoints scaled by 2), a few of them, enough for a step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.data.scenes import Scenes, scene_sets

SMALL_SIZE = 64
BOOK_SIZE = 368
BOOK_TRAIN, BOOK_VAL = 16, 8
SCENE_KW = {"person_share": 0.5, "max_objects": 3}


@dataclass
class PoseData:
    """train_images (N, 3, S, S) float32 in [0, 1], train_people: N arrays (p, 18, 3) (x, y, v) in pixels;
    the same for the held-out val_*; size: S; source: one line for the UI."""

    train_images: np.ndarray
    train_people: list
    val_images: np.ndarray
    val_people: list
    size: int
    source: str


def _people(s: Scenes, scale: float = 1.0) -> list:
    out = []
    for i in range(len(s)):
        p = s.people_of(i).copy()
        p[..., :2] *= scale
        out.append(p)
    return out


def load_scenes(variant: str, n_train: int, n_val: int, seed: int) -> PoseData:
    """Training and held-out scenes for ``variant`` ("small": n_train and n_val at 64 px; "openpose":
    BOOK_TRAIN and BOOK_VAL at 368 px)."""
    if variant == "openpose":
        train, val = scene_sets(BOOK_TRAIN, BOOK_VAL, BOOK_SIZE // 2, seed, **SCENE_KW)
        up = lambda x: np.repeat(np.repeat(x, 2, axis=2), 2, axis=3)                    # noqa: E731
        return PoseData(up(train.images), _people(train, 2.0), up(val.images), _people(val, 2.0), BOOK_SIZE,
                        f"{BOOK_TRAIN} generated scenes at {BOOK_SIZE // 2} px enlarged to {BOOK_SIZE} px")
    train, val = scene_sets(n_train, n_val, SMALL_SIZE, seed, **SCENE_KW)
    return PoseData(train.images, _people(train), val.images, _people(val), SMALL_SIZE,
                    f"{n_train} generated scenes at {SMALL_SIZE} px, {n_val} held out")
