"""NumPy helpers of the ``vae`` lesson (torch-free): the Gaussian KL term, the latent grid over the prior's
quantiles and its mosaic, bilinear upscaling of the digits, and the posterior-collapse detector.

The KL term and the grid follow Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014),
appendix B (the closed-form KL) and figure 4 (the learned manifold over the inverse CDF of the prior).
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

ACTIVE_KL = 0.02            # nats: a latent dimension whose KL stays below this carries (almost) no information


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


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Interpolation weights A (n_out, n_in) of bilinear resizing along one axis (pixel centres aligned,
    like ``align_corners=False``): a resized image is A_h @ img @ A_wᵀ."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5                # source coordinate of each output pixel
    centres = np.clip(centres, 0.0, n_in - 1.0)
    lo = np.floor(centres).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = centres - lo
    a = np.zeros((n_out, n_in))
    a[np.arange(n_out), lo] += 1.0 - frac
    a[np.arange(n_out), hi] += frac
    return a


def upscale(x: np.ndarray, shape: tuple[int, int], size: int) -> np.ndarray:
    """Bilinear upscaling of flattened images: x (N, H·W) -> (N, size·size), same dtype, still in [0, 1]."""
    h, w = shape
    ah, aw = bilinear_matrix(h, size), bilinear_matrix(w, size)
    imgs = x.reshape(-1, h, w).astype(np.float64)
    out = np.einsum("ih,nhw,jw->nij", ah, imgs, aw)                         # (N, size, size)
    return np.clip(out, 0.0, 1.0).reshape(len(x), size * size).astype(x.dtype)


class CollapseDetector:
    """Posterior collapse: every latent dimension's KL stays near 0 (q(z|x) ≈ p(z), the code carries no
    information about x) for ``patience`` consecutive training steps.

    Feed it the mean KL per dimension (J,) of each window of ``steps`` training steps; ``update`` returns
    True once when collapse is first detected, and again only after the KL has recovered in between.
    Steps before ``warmup`` do not count (the untrained encoder starts at KL ≈ 0)."""

    def __init__(self, threshold: float = ACTIVE_KL, patience: int = 300, warmup: int = 100) -> None:
        self.threshold = threshold      # nats per dimension
        self.patience = patience
        self.warmup = warmup
        self.step = 0
        self.run = 0                    # consecutive steps with every dimension below the threshold
        self.reported = False

    def update(self, kl_per_dim: np.ndarray, steps: int = 1) -> bool:
        self.step += steps
        if self.step <= self.warmup:
            return False
        if float(np.max(kl_per_dim)) < self.threshold:
            self.run += steps
        else:
            self.run = 0
            self.reported = False
        if self.run >= self.patience and not self.reported:
            self.reported = True
            return True
        return False

    @property
    def collapsed(self) -> bool:
        return self.run >= self.patience
