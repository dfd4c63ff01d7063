"""How far a generator's samples on the plane are from the real ones, estimated from samples (Qt-free,
engine-free; the GAN lab ``gan_2d`` reads them every evaluation).

* :func:`histogram_divergences`: the plug-in estimator of the Jensen–Shannon divergence and of
  KL(P_real ‖ Q_fake) on a smoothed 2-D histogram (40 × 40 bins over EXTENT, a Gaussian kernel of one
  bin, a floor of 1e-6 per bin before renormalising): partition estimators of this kind are studied
  by Wang, Kulkarni & Verdú, IEEE Trans. Inf. Theory 51 (2005).  The estimate of two samples of the
  *same* distribution is not 0 (finite samples): :func:`noise_floor` measures it for the target.
* :func:`coverage`: Naeem et al., "Reliable fidelity and diversity metrics for generative models",
  ICML 2020: the share of real points that have a fake point inside their k-nearest-neighbour ball
  (low when the generator drops modes).
* :func:`spread_ratio`: √(tr Cov fake / tr Cov real), ≪ 1 when the fakes collapse to a small region.
"""
from __future__ import annotations

import numpy as np

EXTENT = (-2.0, 2.0, -2.0, 2.0)          # default (x_min, x_max, y_min, y_max) of the histograms
BINS = 40
FLOOR = 1e-6
_KERNEL = np.exp(-0.5 * np.arange(-2, 3) ** 2)
_KERNEL /= _KERNEL.sum()                           # (5,) Gaussian, σ = 1 bin


def smoothed_histogram(points: np.ndarray, bins: int = BINS,
                       extent: tuple[float, float, float, float] = EXTENT) -> np.ndarray:
    """A probability table (bins, bins) float64 of ``points`` (N, 2) over ``extent`` (x_min, x_max, y_min,
    y_max): counts (points outside go to the border bins), blurred by a Gaussian of one bin, floored at FLOOR,
    summing to 1."""
    x0, x1, y0, y1 = extent
    p = np.asarray(points, dtype=np.float64)
    ix = np.clip(((p[:, 0] - x0) / (x1 - x0) * bins).astype(np.int64), 0, bins - 1)
    iy = np.clip(((p[:, 1] - y0) / (y1 - y0) * bins).astype(np.int64), 0, bins - 1)
    h = np.bincount(iy * bins + ix, minlength=bins * bins).reshape(bins, bins).astype(np.float64)
    padded = np.pad(h, 2)
    h = sum(_KERNEL[k] * padded[:, k:k + bins] for k in range(5))            # blur along x
    h = sum(_KERNEL[k] * h[k:k + bins, :] for k in range(5))                  # blur along y
    h = h / max(h.sum(), 1e-300) + FLOOR
    return h / h.sum()


def histogram_divergences(real: np.ndarray, fake: np.ndarray,
                          extent: tuple[float, float, float, float] = EXTENT) -> tuple[float, float]:
    """(JS divergence in bits, in [0, 1]; KL(real ‖ fake) in nats) of two samples (N, 2), (M, 2) on
    histograms over ``extent``.  Non-finite fake points count as outside the plane (border bins)."""
    fake = np.nan_to_num(np.asarray(fake, dtype=np.float64), nan=1e9, posinf=1e9, neginf=-1e9)
    p, q = smoothed_histogram(real, extent=extent), smoothed_histogram(fake, extent=extent)
    m = 0.5 * (p + q)
    js = 0.5 * np.sum(p * np.log2(p / m)) + 0.5 * np.sum(q * np.log2(q / m))
    kl = np.sum(p * np.log(p / q))
    return float(max(js, 0.0)), float(max(kl, 0.0))


def noise_floor(sample_a: np.ndarray, sample_b: np.ndarray,
                extent: tuple[float, float, float, float] = EXTENT) -> float:
    """The JS estimate (bits) between two independent samples (N, 2) of one distribution: what 'learned' reads as."""
    return histogram_divergences(sample_a, sample_b, extent)[0]


def knn_radii(real: np.ndarray, k: int = 5) -> np.ndarray:
    """Squared distance (N,) from each real point (N, 2) to its k-th nearest real neighbour."""
    real = np.asarray(real, dtype=np.float64)
    rr = np.sum((real[:, None, :] - real[None, :, :]) ** 2, axis=-1)          # (N, N)
    return np.partition(rr, k, axis=1)[:, k]                                  # self is the 0th


def coverage(real: np.ndarray, fake: np.ndarray, k: int = 5, radii: np.ndarray | None = None) -> float:
    """Naeem et al. (2020) coverage in [0, 1]: real (N, 2), fake (M, 2); O(N·M) distances.
    radii: :func:`knn_radii` of ``real`` when already known (the real sample is fixed)."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.nan_to_num(np.asarray(fake, dtype=np.float64), nan=1e9, posinf=1e9, neginf=-1e9)
    radius = knn_radii(real, k) if radii is None else radii
    rf = np.sum((real[:, None, :] - fake[None, :, :]) ** 2, axis=-1)          # (N, M)
    return float(np.mean(rf.min(axis=1) <= radius))


def spread_ratio(real: np.ndarray, fake: np.ndarray) -> float:
    """√(tr Cov(fake) / tr Cov(real)); inf/NaN fakes give NaN."""
    vr = float(np.sum(np.var(real, axis=0)))
    vf = float(np.sum(np.var(fake, axis=0)))
    return float(np.sqrt(vf / vr)) if vr > 0 else float("nan")
