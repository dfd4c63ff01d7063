"""Training images for the GAN lessons (Qt-free, torch-free).

The embedded scikit-learn 8×8 digits upscaled with bilinear interpolation to 16×16 (or 32×32), or MNIST's
28×28 digits padded to 32×32 (resized to 16×16 when that size is chosen), scaled to [−1, 1] to match the
generator's tanh output (Radford et al. 2016, sec. 4; Ogawa ch. 5.1 normalizes MNIST the same way).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


def bilinear_resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear interpolation of (N, H, W) images to (N, size, size), pixel centres aligned like
    ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``.  Returns float32."""
    n, h, w = images.shape

    def axis(src: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = (np.arange(size) + 0.5) * (src / size) - 0.5           # (size,) source coordinates
        pos = np.clip(pos, 0.0, src - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, src - 1)
        return lo, hi, (pos - lo).astype(np.float32)

    r0, r1, fr = axis(h)
    c0, c1, fc = axis(w)
    x = images.astype(np.float32)
    rows = x[:, r0, :] * (1 - fr)[None, :, None] + x[:, r1, :] * fr[None, :, None]      # (N, size, W)
    return rows[:, :, c0] * (1 - fc)[None, None, :] + rows[:, :, c1] * fc[None, None, :]  # (N, size, size)


def digits_images(image_size: int = 16) -> GanImages:
    """All 1,797 embedded 8×8 digits (scikit-learn) upscaled to ``image_size`` and scaled to [−1, 1]:
    images (1797, 1, S, S) float32, labels (1797,) int64."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.data / 16.0).reshape(-1, 8, 8)                          # (N, 8, 8) in [0, 1]
    up = np.clip(bilinear_resize(x, image_size), 0.0, 1.0)
    return GanImages(f"8×8 digits (scikit-learn, embedded) upscaled to {image_size}×{image_size}",
                     (up * 2.0 - 1.0)[:, None].astype(np.float32), bunch.target.astype(np.int64))


def mnist_images(image_size: int = 32, max_train: int = 10_000, seed: int = 0, progress=None) -> GanImages:
    """MNIST training digits (downloaded once and cached): 28×28 padded with 2 pixels to 32×32, or resized
    to 16×16; scaled to [−1, 1].  Raises DownloadError / DataFormatError like ``load_idx_split``."""
    from visualizer.data.mnist import load_idx_split

    split = load_idx_split("mnist", 0.2, seed, "float32", max_train, progress=progress)
    x = split.x_train.reshape(-1, 28, 28)                              # (N, 28, 28) in [0, 1]
    if image_size == 32:
        x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    else:
        x = np.clip(bilinear_resize(x, image_size), 0.0, 1.0)
    return GanImages(f"MNIST ({len(x):,} training digits, {image_size}×{image_size})",
                     (x * 2.0 - 1.0)[:, None].astype(np.float32), split.y_train)


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of rows of x (N, D) (N ≥ 2)."""
    x = x.reshape(len(x), -1).astype(np.float64)
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    n = len(x)
    return float(np.sqrt(d2)[~np.eye(n, dtype=bool)].mean())
