"""visualizer.probes.divergence: histogram JS/KL estimates, their noise floor, coverage and spread on
samples of the plane."""
import numpy as np

from visualizer.probes import divergence


def ring(n, rng):
    """n points (n, 2) of 8 Gaussians (σ = 0.08) on a circle of radius 1.4."""
    angle = rng.integers(0, 8, n) * np.pi / 4
    return np.stack([1.4 * np.cos(angle), 1.4 * np.sin(angle)], axis=1) + 0.08 * rng.standard_normal((n, 2))


def test_divergence_estimates():
    rng = np.random.default_rng(1)
    a, b = ring(2000, rng), ring(2000, rng)
    assert divergence.noise_floor(a, b) < 0.02
    far = a + 3.0
    js, kl = divergence.histogram_divergences(a, far)
    assert js > 0.9 and kl > 5
    assert divergence.coverage(a[:300], b[:300]) > 0.9
    assert divergence.coverage(a[:300], np.zeros((300, 2))) == 0.0
    js_nan, _ = divergence.histogram_divergences(a, np.full((10, 2), np.nan))
    assert np.isfinite(js_nan)
    assert divergence.spread_ratio(a, 0.5 * a) == 0.5 * divergence.spread_ratio(a, a) == 0.5
