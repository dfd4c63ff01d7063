"""What the lesson looks inside: the network the learner chose and the images it is shown (Qt-free; torch only
inside the functions).

Networks: the small VGG pretrained on the generated shapes (always there, offline), the network the learner
fine-tuned in ``transfer_learning`` or the CNN trained in ``cnn_scratch`` (both from the model shelf,
``visualizer.core.model_shelf``), and torchvision's VGG-16 with ImageNet weights when they are in torch's cache
(``visualizer.data.vgg_weights``).  Images: the generated shapes with their object masks, the digits for the
digit CNN, or a file of the learner's own (read with scikit-image).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.errors import LessonConfigError

SMALL_VGG = "small VGG (pretrained on shapes)"
TRANSFER = "transfer_learning: your fine-tuned network"
CNN_SCRATCH = "cnn_scratch: your CNN"
VGG16 = "VGG-16 ImageNet"
MODELS = (SMALL_VGG, TRANSFER, CNN_SCRATCH, VGG16)
VALIDATION, UNSEEN, USER_FILE = "validation images", "shapes of unseen classes", "your image file"
IMAGE_SETS = (VALIDATION, UNSEEN, USER_FILE)
N_IMAGES = 48                 # validation images offered (image_index 0..N_IMAGES-1)
VGG16_SIDE = 224


@dataclass
class Images:
    """images (N, C, S, S) float32 in [0, 1]; labels (N,) int64 (-1: unknown); masks (N, S, S) bool or None;
    class_names: the names the labels stand for; source: a line saying where they come from."""

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray | None
    class_names: tuple[str, ...]
    source: str


def load_subject(choice: str, seed: int, context):
    """The chosen network as a ``visualizer.models.inspect_torch.Inspected``, plus a line about it.  Raises
    LessonConfigError with a clear message when a shelf model is missing or damaged or VGG-16's weights are
    absent (the session then keeps the previous model)."""
    from visualizer.models import inspect_torch as it

    if choice == SMALL_VGG:
        from visualizer.data.shapes import SOURCE_CLASSES
        from visualizer.models.shapes_pretrained import load_source_model
        model, info = load_source_model(
            progress=lambda done, total: context.progress("Pretraining the small VGG on the shapes", done / total))
        return (it.from_vgg_features(model, SOURCE_CLASSES, 32, choice),
                f"small VGG pretrained on 8 shape classes (val acc {info.get('val_acc', float('nan')):.2f}, "
                f"{info.get('origin', '')})")
    if choice == VGG16:
        from visualizer.data import vgg_weights
        if not vgg_weights.vgg_weights_present("vgg16"):
            raise LessonConfigError("VGG-16's ImageNet weights are not on this computer yet: open the lesson "
                                    "transfer_learning and choose VGG-16 there to download them once (528 MB).")
        model = vgg_weights.load_vgg("vgg16", download=False)
        from torchvision.models import VGG16_Weights
        names = tuple(VGG16_Weights.IMAGENET1K_V1.meta["categories"])      # shipped with torchvision, offline
        return (it.from_vgg_features(model, names, VGG16_SIDE, choice, mean=vgg_weights.IMAGENET_MEAN,
                                     std=vgg_weights.IMAGENET_STD), "VGG-16 with ImageNet weights (torchvision)")
    return _from_shelf(choice)


def _from_shelf(choice: str):
    from visualizer.core import model_shelf
    from visualizer.core.checkpoint import CheckpointError
    from visualizer.models import inspect_torch as it

    lesson_id = "transfer_learning" if choice == TRANSFER else "cnn_scratch"
    try:
        shelved = model_shelf.load(lesson_id)
        if shelved.kind == "small_vgg":
            from visualizer.models.small_vgg_torch import small_vgg_from_shelf
            model = small_vgg_from_shelf(shelved)
            side = int(shelved.config.get("image_size", 32))
            inspected = it.from_vgg_features(model, shelved.class_names, side, choice)
        elif shelved.kind == "cnn":
            net = it.cnn_from_shelf(shelved)
            side = int(shelved.config["input_shape"][-1])
            inspected = it.from_torch_cnn(net, shelved.class_names, side, choice)
        else:
            raise ValueError(f"a model of kind {shelved.kind!r}, which this lesson cannot open")
    except CheckpointError as exc:
        raise LessonConfigError(f"{exc} The previous model is kept.") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise LessonConfigError(f"The model {lesson_id} published cannot be opened ({exc}); train it again "
                                "there. The previous model is kept.") from None
    acc = shelved.metrics.get("val_acc")
    return inspected, (f"{lesson_id}'s network at step {shelved.step}"
                       + (f" (val acc {acc:.2f})" if acc is not None else ""))


def load_images(which: str, path: str, inspected, seed: int) -> Images:
    """The images shown to ``inspected`` at its input size and channel count.  Raises LessonConfigError for a
    set this network cannot use or a file that cannot be read as an image."""
    side, c = inspected.image_size, inspected.channels
    if which == USER_FILE:
        return _user_image(path, side, c)
    if c == 1:                                                       # the digit CNN
        if which == UNSEEN:
            raise LessonConfigError("The digit CNN knows only digits: choose 'validation images' or your own file.")
        from visualizer.data.digits import load_digits_split
        split = load_digits_split(0.2, seed)
        digits = split.val_images()[:N_IMAGES].astype(np.float32)              # (N, 1, 8, 8)
        if side != digits.shape[-1]:                                     # a CNN trained on MNIST's 28 px
            digits = np.clip(_resize(digits, side), 0, 1)
        return Images(digits, split.y_val[:N_IMAGES], None, split.class_names, split.name)
    from visualizer.data.shapes import SOURCE_CLASSES, TARGET_CLASSES, generate_shapes
    known = set(inspected.class_names)
    own = TARGET_CLASSES if known == set(TARGET_CLASSES) else SOURCE_CLASSES
    classes = own if which == VALIDATION else (SOURCE_CLASSES if own is TARGET_CLASSES else TARGET_CLASSES)
    data = generate_shapes(classes, N_IMAGES // len(classes) + 1, size=min(side, 128), seed=seed + 10_000)
    data = data.subset(np.arange(N_IMAGES))
    images = data.images
    if side != images.shape[-1]:                                     # VGG-16: enlarge the shapes
        images = _resize(images, side)
    masks = data.masks if data.masks is not None and data.masks.shape[-1] == side else None
    labels = np.array([inspected.class_names.index(data.class_names[k]) if data.class_names[k] in known else -1
                       for k in data.labels])
    return Images(images.astype(np.float32), labels, masks, inspected.class_names,
                  f"generated shapes ({', '.join(classes)}), unseen by training: seed {seed + 10_000}")


def _resize(images: np.ndarray, side: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F
    return F.interpolate(torch.as_tensor(images), size=(side, side), mode="bilinear",
                         align_corners=False).numpy()


def _user_image(path: str, side: int, channels: int) -> Images:
    """One image file as (1, C, side, side) in [0, 1] (``visualizer.data.image_folder.read_image``: grayscale, RGBA,
    16-bit and huge images are converted); C = 1 averages the colours."""
    import os

    from visualizer.data.image_folder import read_image

    if not path.strip():
        raise LessonConfigError("Choose an image file (PNG, JPEG, ...) under 'Image file'.")
    p = os.path.expanduser(path.strip())
    try:
        x = read_image(p, side)                                          # (3, side, side)
    except (OSError, ValueError) as exc:
        raise LessonConfigError(f"Cannot read {os.path.basename(p)} as an image ({exc}). The previous image "
                                "is kept.") from None
    x = x.mean(axis=0, keepdims=True) if channels == 1 else x
    return Images(x.astype(np.float32)[None], np.array([-1]), None, (), f"your image {os.path.basename(p)}")
