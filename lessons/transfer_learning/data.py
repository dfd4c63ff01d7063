"""Data and the pretrained network of the ``transfer_learning`` lesson, for each setup (Qt-free).

- shapes (offline, the default): :func:`visualizer.data.shapes.target_sets`, four shapes the source model never
  saw, and :func:`visualizer.models.shapes_pretrained.load_source_model`, a small VGG pretrained on eight others;
- ants/bees: Ogawa's hymenoptera (``visualizer.data.image_folder.fetch_hymenoptera``) and torchvision's VGG-16
  with ImageNet weights (``visualizer.data.vgg_weights.load_vgg``), Ogawa's ch. 1 setup;
- a user's folder in ImageFolder layout, with VGG-16.

Every download goes through :func:`visualizer.data.fallback.load_with_fallback`: offline, the lesson falls back to
the shapes (or, for a folder that loaded, to the small VGG at 32 px) and says so.  torch is imported inside the
functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lessons.transfer_learning.specs import ANTS_BEES, FOLDER, SHAPES
from visualizer.core.errors import LessonConfigError
from visualizer.data.fallback import load_with_fallback
from visualizer.data.labelled_images import LabelledImages

VAL_PER_CLASS = 80


@dataclass
class Setup:
    """train, val: the target images; net: the pretrained network (its old head still on); kind: "small_vgg"
    or "vgg16"; mean, std: (3,) float32 input normalization the lesson applies before ``net.features`` (VGG-16:
    ImageNet's statistics; the small VGG: its own centring, 0.5 and 0.25); size: the image side fed to the network;
    note: one line for the UI on what is used."""

    train: LabelledImages
    val: LabelledImages
    net: Any
    kind: str
    mean: np.ndarray
    std: np.ndarray
    size: int
    note: str


def shapes_setup(train_per_class: int, seed: int, context) -> Setup:
    """The offline default: target shapes (32 px) and the small VGG pretrained on the source shapes."""
    from visualizer.data.shapes import target_sets
    from visualizer.models.shapes_pretrained import load_source_model

    train, val = target_sets(train_per_class, VAL_PER_CLASS, 32, seed)
    net, info = load_source_model(progress=lambda d, t: context.progress("Pretraining the small VGG on the "
                                                                         "source shapes", d / max(t, 1)))
    acc = info.get("val_acc", float("nan"))
    return Setup(train, val, net, "small_vgg", *small_vgg_centring(), 32,
                 f"Small VGG pretrained on 8 source shapes ({info.get('origin', 'shipped')}, source accuracy "
                 f"{acc:.2f}) → {len(train.class_names)} target shapes, {train_per_class} training images each.")


def small_vgg_centring() -> tuple[np.ndarray, np.ndarray]:
    """The small VGG's input centring ((x − 0.5) / 0.25, ``PIXEL_MEAN``/``PIXEL_STD``) as (3,) mean and std."""
    from visualizer.models.small_vgg_torch import PIXEL_MEAN, PIXEL_STD
    return np.full(3, PIXEL_MEAN, np.float32), np.full(3, PIXEL_STD, np.float32)


def _folder_root(path: str) -> Path:
    """The ImageFolder root for a typed folder or a chosen image inside root/<class>/ or root/train/<class>/."""
    p = Path(path).expanduser()
    if p.is_file():
        p = p.parent.parent
        if p.name in ("train", "val"):
            p = p.parent
    return p


def image_size(device: str) -> int:
    """VGG-16's input side: Ogawa's 224 on CUDA, 112 on the CPU (the convolutional base is size-agnostic)."""
    return 224 if device == "cuda" else 112


def load_images(setup: str, folder: str, size: int, seed: int, context) -> tuple[LabelledImages, LabelledImages]:
    """Hymenoptera (downloaded once) or the user's folder at ``size`` px.  Raises DownloadError (hymenoptera
    offline) or LessonConfigError (a folder that is missing, has one class, no images)."""
    from visualizer.data import image_folder

    if setup == ANTS_BEES:
        root = image_folder.fetch_hymenoptera(progress=context.progress)
    else:
        if not folder.strip():
            raise LessonConfigError("Choose an image folder (one sub-folder per class) for this setup.")
        root = _folder_root(folder)
    try:
        train, val, skipped = image_folder.load_image_folder(root, size, seed=seed)
    except ValueError as exc:                                      # ImageFolderError is a ValueError
        raise LessonConfigError(str(exc)) from exc
    if skipped:
        context.notice(f"{len(skipped)} file(s) could not be read and were skipped: {', '.join(skipped[:3])}"
                       + (" …" if len(skipped) > 3 else ""))
    return train, val


def resized(images: LabelledImages, size: int) -> LabelledImages:
    """The same images at ``size`` px (bilinear), for the small VGG when VGG-16 is unavailable."""
    from visualizer.data.images import resize_bilinear

    n, c, s, _ = images.images.shape
    x = resize_bilinear(images.images.reshape(n * c, s, s), size, clip=(0.0, 1.0), dtype=np.float32)
    return LabelledImages(x.reshape(n, c, size, size), images.labels, images.class_names, None, images.source)


def build_setup(hp, context) -> Setup:
    """The Setup that ``hp["setup"]`` names, falling back (with a notice) when a download fails.
    Raises LessonConfigError for a folder that cannot be used."""
    setup, seed = hp["setup"], hp["seed"]
    shapes = lambda: shapes_setup(hp["train_per_class"], seed, context)            # noqa: E731
    if setup == SHAPES:
        return shapes()
    size = image_size(hp["device"])
    if setup == ANTS_BEES:
        images = load_with_fallback(context, lambda: load_images(setup, "", size, seed, context), lambda: None,
                                    what="the hymenoptera ants/bees images", instead="the generated shapes",
                                    param="setup")
        if images is None:
            return shapes()
    else:
        images = load_images(setup, hp["image_folder"], size, seed, context)
    train, val = images

    def vgg16() -> Setup:
        from visualizer.data.vgg_weights import IMAGENET_MEAN, IMAGENET_STD, load_vgg
        net = load_vgg("vgg16", download=True, progress=context.progress)
        return Setup(train, val, net, "vgg16", np.asarray(IMAGENET_MEAN, np.float32),
                     np.asarray(IMAGENET_STD, np.float32), size,
                     f"VGG-16 with ImageNet weights → {', '.join(train.class_names)} ({len(train)} training, "
                     f"{len(val)} validation images, {size} px).")

    def small() -> Setup:
        base = shapes_setup(hp["train_per_class"], seed, context)
        t, v = resized(train, 32), resized(val, 32)
        return Setup(t, v, base.net, "small_vgg", base.mean, base.std, 32,
                     f"Small VGG pretrained on shapes → {', '.join(t.class_names)} at 32 px (VGG-16 unavailable).")

    return load_with_fallback(context, vgg16, small, what="VGG-16's ImageNet weights",
                              instead="the small VGG pretrained on shapes, images at 32 px")
