"""The scenes of the ``openpose`` lesson (Qt-free, NumPy).

- generated (default, offline): stick figures among shapes (:func:`visualizer.data.scenes.scene_sets`, half the
  objects people, up to three objects per scene);
- COCO 2017 val person keypoints (:func:`visualizer.data.coco_keypoints.fetch_coco_keypoints`, about 1 GB
  once), through :func:`visualizer.data.fallback.load_with_fallback`: offline, the generated scenes, said so;
- a COCO ``person_keypoints_*.json`` of the user's with its image folder.

The small network takes 64 px, the book's 368 px.  The generator draws at most 256 px, so the book's generated
scenes are drawn at 184 px and enlarged twice (pixel repetition; keypoints scaled by 2), a few of them.  COCO
photos are resized to the network's side; their crowd regions and people without keypoints are "void": the
loss ignores them (Cao et al. mask unannotated people out), as ``void`` says.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.fallback import load_with_fallback
from visualizer.data.scenes import Scenes, scene_sets

SMALL_SIZE = 64
BOOK_SIZE = 368
BOOK_TRAIN, BOOK_VAL = 16, 8
SCENE_KW = {"person_share": 0.5, "max_objects": 3}
GENERATED, COCO_VAL, COCO_FILE = "generated scenes", "COCO 2017 val (download)", "COCO JSON file"
DATASETS = (GENERATED, COCO_VAL, COCO_FILE)


@dataclass
class PoseData:
    """train_images (N, 3, S, S) float32 in [0, 1], train_people: N arrays (p, 18, 3) (x, y, v) in pixels,
    train_void: (N, S, S) bool pixels the loss ignores, or None; the same for the held-out val_*; size: S;
    source: one line for the UI."""

    train_images: np.ndarray
    train_people: list
    train_void: np.ndarray | None
    val_images: np.ndarray
    val_people: list
    val_void: np.ndarray | None
    size: int
    source: str


def _people(s: Scenes, scale: float = 1.0) -> list:
    out = []
    for i in range(len(s)):
        p = s.people_of(i).copy()
        p[..., :2] *= scale
        out.append(p)
    return out


def _void(s: Scenes) -> np.ndarray:
    """(N, S, S) bool: crowd regions (class mask −1) and the pixels of people without a labelled keypoint."""
    void = s.class_masks < 0
    unlabelled = s.keypoints[:, :, 2].max(axis=1) <= 0
    for j in np.nonzero(unlabelled)[0]:
        void[s.box_image[j]] |= s.instance_masks[j]
    return void


@lru_cache(maxsize=1)
def load_scenes(variant: str, n_train: int, n_val: int, seed: int) -> PoseData:
    """Generated training and held-out scenes for ``variant`` ("small": n_train and n_val at 64 px;
    "openpose": BOOK_TRAIN and BOOK_VAL at 368 px).  The last set is kept (a Reset with the same data
    settings does not draw them again; callers must not change the arrays)."""
    if variant == "openpose":
        train, val = scene_sets(BOOK_TRAIN, BOOK_VAL, BOOK_SIZE // 2, seed, **SCENE_KW)
        up = lambda x: np.repeat(np.repeat(x, 2, axis=2), 2, axis=3)                    # noqa: E731
        return PoseData(up(train.images), _people(train, 2.0), None, up(val.images), _people(val, 2.0), None,
                        BOOK_SIZE, f"{BOOK_TRAIN} generated scenes at {BOOK_SIZE // 2} px enlarged to {BOOK_SIZE} px")
    train, val = scene_sets(n_train, n_val, SMALL_SIZE, seed, **SCENE_KW)
    crowded = np.argsort([-len(val.people_of(i)) for i in range(len(val))], kind="stable")
    val = val.subset(crowded)                  # scenes with most people first: image 0 shows the assembly
    return PoseData(train.images, _people(train), None, val.images, _people(val), None, SMALL_SIZE,
                    f"{n_train} generated scenes at {SMALL_SIZE} px, {n_val} held out")


def split_coco(scenes: Scenes, n_val: int, source: str) -> PoseData:
    """The first n_val images held out (at most a fifth), the rest for training.  Raises LessonConfigError
    with fewer than 2 images."""
    if len(scenes) < 2:
        raise LessonConfigError(f"{source} holds {len(scenes)} usable image(s) with people; at least 2 are needed "
                                "(one to train on, one held out).")
    v = max(1, min(n_val, len(scenes) // 5))
    val, train = scenes.subset(np.arange(v)), scenes.subset(np.arange(v, len(scenes)))
    return PoseData(train.images, _people(train), _void(train), val.images, _people(val), _void(val),
                    scenes.size, f"{source}: {len(train)} images to train on, {v} held out, {scenes.size} px")


def load_coco(json_path, image_dir, size: int, max_images: int, n_val: int, context, source: str) -> PoseData:
    """A COCO person keypoints JSON and its images at ``size`` px (bad entries are skipped and named in a
    notice).  Raises LessonConfigError for a file that cannot be read as a whole."""
    from visualizer.data.coco_keypoints import CocoFormatError, load_coco_keypoints

    context.progress(f"Reading {Path(json_path).name}", None)
    try:
        scenes, skipped = load_coco_keypoints(json_path, image_dir, size, max_images=max_images)
    except CocoFormatError as exc:
        raise LessonConfigError(str(exc)) from exc
    if skipped:
        context.notice(f"{len(skipped)} COCO entr{'y was' if len(skipped) == 1 else 'ies were'} skipped: "
                       + "; ".join(skipped[:3]) + (" …" if len(skipped) > 3 else ""))
    return split_coco(scenes, n_val, source)


def load_data(hp, n_val: int, context) -> PoseData:
    """The PoseData ``hp["dataset"]`` names at the size ``hp["variant"]`` takes."""
    variant, seed = hp["variant"], hp["seed"]
    book = variant == "openpose"
    size = BOOK_SIZE if book else SMALL_SIZE
    cap = (BOOK_TRAIN + BOOK_VAL) if book else hp["train_images"] + n_val
    generated = lambda: load_scenes(variant, hp["train_images"], n_val, seed)             # noqa: E731
    if hp["dataset"] == COCO_VAL:
        from visualizer.data.coco_keypoints import VAL_IMAGE_DIR, VAL_KEYPOINTS_JSON, fetch_coco_keypoints

        def coco() -> PoseData:
            root = fetch_coco_keypoints(progress=context.progress)
            return load_coco(root / VAL_KEYPOINTS_JSON, root / VAL_IMAGE_DIR, size, cap, n_val, context,
                             "COCO 2017 val")
        return load_with_fallback(context, coco, generated, what="COCO 2017's person keypoints",
                                  instead="the generated scenes", param="dataset")
    if hp["dataset"] == COCO_FILE:
        json_path, images = hp["coco_json"].strip(), hp["coco_images"].strip()
        if not json_path or not images:
            raise LessonConfigError("Choose a COCO person_keypoints JSON file and an image of its image folder.")
        image_dir = Path(images).expanduser()
        image_dir = image_dir.parent if image_dir.is_file() else image_dir
        return load_coco(Path(json_path).expanduser(), image_dir, size, cap, n_val, context, Path(json_path).name)
    return generated()
