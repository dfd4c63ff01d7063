"""Training images for the ``dcgan`` lesson (Qt-free, torch-free).

The embedded scikit-learn 8×8 digits upscaled with bilinear interpolation to 16×16 (or 32×32), or MNIST's
28×28 digits padded to 32×32 (resized to 16×16 when that size is chosen), scaled to [−1, 1] to match the
generator's tanh output (Radford et al. 2016, sec. 4; Ogawa ch. 5.1 normalizes MNIST the same way).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.data.digits import digit_images
from visualizer.data.fallback import load_with_fallback
from visualizer.data.images import resize_bilinear


@dataclass(frozen=True)
class GanImages:
    """images: (N, 1, S, S) float32 in [−1, 1] (row 0 at the top); labels: (N,) int64 digit classes; name: what
    the user is told the data set is."""

    name: str
    images: np.ndarray
    labels: np.ndarray

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])


def digits_images(image_size: int = 16) -> GanImages:
    """All 1,797 embedded 8×8 digits upscaled (``visualizer.data.digits.digit_images``) to ``image_size`` and
    scaled to [−1, 1]: images (1797, 1, S, S) float32, labels (1797,) int64."""
    up, labels = digit_images(image_size)                              # (N, S, S) in [0, 1]
    return GanImages(f"8×8 digits (scikit-learn, embedded) upscaled to {image_size}×{image_size}",
                     (up * 2.0 - 1.0)[:, None].astype(np.float32), labels)


def mnist_images(image_size: int = 32, max_train: int = 10_000, seed: int = 0, progress=None) -> GanImages:
    """MNIST training digits (downloaded once and cached): 28×28 padded with 2 pixels to 32×32, or resized
    to 16×16; scaled to [−1, 1].  Raises DownloadError / DataFormatError like ``load_idx_split``."""
    from visualizer.data.mnist import load_idx_split

    split = load_idx_split("mnist", 0.2, seed, "float32", max_train, progress=progress)
    x = split.x_train.reshape(-1, 28, 28)                              # (N, 28, 28) in [0, 1]
    if image_size == 32:
        x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    else:
        x = resize_bilinear(x, image_size, clip=(0.0, 1.0), dtype=np.float32)
    return GanImages(f"MNIST ({len(x):,} training digits, {image_size}×{image_size})",
                     (x * 2.0 - 1.0)[:, None].astype(np.float32), split.y_train)


def load_images(context, dataset: str, image_size: int, seed: int) -> GanImages:
    """The lesson's data set: "digits", or "mnist" with the embedded digits (and a notice through ``context``,
    a LessonContext) when MNIST cannot be downloaded or read."""
    digits = lambda: digits_images(image_size)                         # noqa: E731
    if dataset != "mnist":
        return digits()
    return load_with_fallback(context, lambda: mnist_images(image_size, 10_000, seed, progress=context.progress),
                              digits, what="MNIST",
                              instead=f"the embedded 8×8 digits upscaled to {image_size}×{image_size}")
