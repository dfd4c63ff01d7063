"""Gradient norms per layer (visualizer.probes.gradient_norms): the same numbers from NumPy arrays and torch
tensors, and the bounded heatmap history."""
import numpy as np
import pytest

from visualizer.probes.gradient_norms import FLOOR, GradientNormHistory, layer_norms


def test_layer_norms_of_numpy_arrays_are_float64_frobenius_norms():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((4, 3)).astype(np.float32), np.zeros(5, np.float32)]
    norms = layer_norms(grads)
    assert all(type(n) is float for n in norms)
    # the probe's own computation on the same data in this process: bit for bit
    assert norms[0] == float(np.linalg.norm(grads[0].astype(np.float64))) and norms[1] == 0.0


def test_layer_norms_of_tensors_stay_on_their_device_and_agree():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((6, 2)).astype(np.float32) for _ in range(3)]
    norms = layer_norms([torch.from_numpy(g) for g in grads])
    assert all(isinstance(n, torch.Tensor) and n.ndim == 0 and n.dtype == torch.float64 for n in norms)
    # torch's vectorized sum and NumPy's BLAS norm add the same 12 squares in different orders: each sum lies
    # within 11·eps/2 of the exact one, so the sums differ by at most 11·eps relative, their square roots by
    # half that plus a rounding each: 12·eps bounds it
    np.testing.assert_allclose([float(n) for n in norms], layer_norms(grads), rtol=12 * np.finfo(np.float64).eps)


def test_history_image_rows_are_layers_and_stay_bounded():
    h = GradientNormHistory(n_layers=3, capacity=4)
    assert h.image().image.shape == (3, 1)                       # nothing recorded yet
    for step in range(10):
        if h.due(step):
            h.record(step, np.array([10.0 ** -step, 1.0, 0.0]))
    assert len(h) <= 4 and h.stride == 4 and list(h.steps) == [0, 4, 8]
    img = h.image()
    assert img.image.shape == (3, 3) and img.extent[:2] == (0.0, 8.0)
    np.testing.assert_allclose(img.image[0], [0.0, -4.0, -8.0])    # row 0 = layer 1, log10 of the norm
    assert np.all(img.image[2] == FLOOR)                          # a zero norm is drawn at the floor
    assert img.levels[1] - img.levels[0] <= 12
