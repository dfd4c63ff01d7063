"""NumPy helpers of the ``vae`` lesson (torch-free): the Gaussian KL term, the latent grid over the prior's
quantiles and its mosaic.  (The posterior-collapse detector is ``visualizer.probes.vae_health``; the
bilinear upscaling of the digits is ``visualizer.data.images.resize_bilinear``.)

The KL term and the grid follow Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014),
appendix B (the closed-form KL) and figure 4 (the learned manifold over the inverse CDF of the prior).
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np


def gaussian_kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(𝒩(μ, σ²) ‖ 𝒩(0, 1)) per latent dimension, in nats: ½ (μ² + σ² − log σ² − 1).

    mu, logvar: (N, J) float (logvar = log σ²) -> (N, J) float64, ≥ 0.  Kingma & Welling (2014), app. B."""
    mu = np.asarray(mu, dtype=np.float64)
    logvar = np.asarray(logvar, dtype=np.float64)
    return 0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1.0)


def grid_quantiles(n: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """The n probabilities p (n,) evenly spaced in [low, high] at which the latent grid is decoded."""
    if n < 2:
        raise ValueError(f"a latent grid needs at least 2 points per axis, got {n}")
    return np.linspace(low, high, n)


def grid_latents(n: int, latent_dim: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """Latent codes of an n×n grid over the prior's quantiles: z (n·n, J) float32.

    z₁ = Φ⁻¹(p_col), z₂ = Φ⁻¹(p_row) with row 0 at the *top* (the largest z₂), as the mosaic is drawn;
    the other J − 2 dimensions are 0 (the prior's median).  Raises ValueError for J < 2."""
    if latent_dim < 2:
        raise ValueError(f"the latent grid varies two dimensions; the latent space has {latent_dim}")
    inv = NormalDist().inv_cdf
    z = np.array([inv(float(p)) for p in grid_quantiles(n, low, high)])          # (n,)
    z1, z2 = np.meshgrid(z, z[::-1])                                               # (n, n) each, row 0 at top
    out = np.zeros((n * n, latent_dim), dtype=np.float32)
    out[:, 0] = z1.ravel()
    out[:, 1] = z2.ravel()
    return out


def mosaic(tiles: np.ndarray, n: int, gap: int = 0) -> np.ndarray:
    """n×n tiles (n·n, H, W), row-major with row 0 at the top -> one image (n·H + (n−1)·gap, n·W + (n−1)·gap),
    row 0 at the top, float32, with ``gap`` NaN pixels (drawn transparent) between neighbouring tiles."""
    nn, h, w = tiles.shape
    if nn != n * n:
        raise ValueError(f"expected {n * n} tiles for a {n}×{n} grid, got {nn}")
    out = np.full((n, h + gap, n, w + gap), np.nan, dtype=np.float32)
    out[:, :h, :, :w] = tiles.reshape(n, n, h, w).transpose(0, 2, 1, 3)
    return out.reshape(n * (h + gap), n * (w + gap))[:n * (h + gap) - gap, :n * (w + gap) - gap]


def mosaic_extent(n: int, tile_px: int, gap: int = 0, low: float = 0.05,
                  high: float = 0.95) -> tuple[float, float]:
    """Centres of the first and last pixel column of a :func:`mosaic` (n tiles of tile_px pixels, ``gap``
    between them) in quantile units, so that each tile's centre lies at its grid quantile (the ImageData
    extent convention)."""
    dp = (high - low) / (n - 1)
    s = dp / (tile_px + gap)                        # quantile units per pixel
    first = low - s * (tile_px - 1) / 2             # centre of pixel 0
    return first, first + s * (n * (tile_px + gap) - gap - 1)
