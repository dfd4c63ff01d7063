"""The autoencoder lesson's data: the digits in epoch-shuffled mini-batches and the denoising corruption.

Vincent et al., "Extracting and composing robust features with denoising autoencoders", ICML 2008:
masking noise (each pixel set to 0 with probability p) and additive Gaussian noise.  Qt-free, NumPy only.
"""
from __future__ import annotations

import numpy as np


class EpochBatches:
    """Indices of mini-batches: slices of a permutation of ``n`` items, redrawn from ``rng`` each epoch.
    The first permutation is drawn at construction."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.order = rng.permutation(n)                                   # (n,) int64
        self.pos = 0

    def next(self, batch_size: int) -> np.ndarray:
        """Indices (B,) of the next mini-batch (shorter at the end of an epoch)."""
        if self.pos >= len(self.order):
            self.order = self.rng.permutation(len(self.order))
            self.pos = 0
        idx = self.order[self.pos:self.pos + batch_size]
        self.pos += len(idx)
        return idx


def corrupt(x: np.ndarray, u: np.ndarray, eps: np.ndarray, kind: str, level: float) -> np.ndarray:
    """The denoising corruption of images x (N, 64) float32 given uniform draws u and normal draws eps (N, 64):
    ``masking`` zeroes the pixels with u < level; ``gaussian`` adds level·eps and clips to [0, 1].
    Returns (N, 64) float32."""
    level = np.float32(level)
    if kind == "masking":
        return np.where(u < level, np.float32(0), x).astype(np.float32)
    return np.clip(x + level * eps, 0.0, 1.0).astype(np.float32)


def training_inputs(rng: np.random.Generator, target: np.ndarray, *, denoising: bool, kind: str, level: float,
                    code_noise: float, code: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(inputs, clean targets, code noise) of a batch of images target (B, 64) float32: inputs (B, 64)
    corrupted when ``denoising``, targets always clean, code noise (B, code) 𝒩(0, code_noise²) float32
    when ``code`` is given (binary codes) and code_noise > 0, else None.  Draws from ``rng`` in this order
    (uniform, normal, code noise), so both engines see the same numbers."""
    x_in = target
    if denoising:
        u = rng.random(target.shape, dtype=np.float32)
        eps = rng.standard_normal(target.shape, dtype=np.float32)
        x_in = corrupt(target, u, eps, kind, level)
    noise = None
    if code is not None and code_noise > 0:
        noise = (code_noise * rng.standard_normal((len(target), code))).astype(np.float32)
    return x_in, target, noise
