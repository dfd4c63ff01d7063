"""Initialisation statistics and seeds; L1/L2 penalties and gradients against torch autograd."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.init import he, init_weights, xavier
from visualizer.scratch.regularization import add_l1_grad, add_l2_grad, l1_penalty, l2_penalty


@pytest.mark.parametrize("dist", ["normal", "uniform"])
def test_init_variances(dist):
    rng = np.random.default_rng(0)
    w = he(400, 300, rng, dist)
    assert w.dtype == np.float32 and w.shape == (400, 300)
    assert abs(w.var() / (2 / 400) - 1) < 0.02
    w = xavier(400, 300, rng, dist, dtype=np.float64)
    assert w.dtype == np.float64
    assert abs(w.var() / (2 / 700) - 1) < 0.02
    assert abs(w.mean()) < 0.002


def test_init_uniform_bounds_and_seed():
    w = xavier(10, 20, np.random.default_rng(3), "uniform")
    assert np.abs(w).max() <= np.sqrt(6 / 30)
    np.testing.assert_array_equal(init_weights("he", 5, 4, np.random.default_rng(9)),
                                  init_weights("he", 5, 4, np.random.default_rng(9)))
    with pytest.raises(ValueError, match="unknown initialisation"):
        init_weights("orthogonal", 3, 3, np.random.default_rng())
    with pytest.raises(ValueError, match="unknown distribution"):
        he(3, 3, np.random.default_rng(), "cauchy")
    with pytest.raises(ValueError, match="positive"):
        he(0, 3, np.random.default_rng())


def test_penalties_match_torch_autograd():
    rng = np.random.default_rng(1)
    ws = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2))]
    gs = [np.zeros_like(w) for w in ws]
    value = l1_penalty(ws, 0.3) + l2_penalty(ws, 0.2)
    add_l1_grad(ws, gs, 0.3)
    add_l2_grad(ws, gs, 0.2)
    wt = [torch.tensor(w, requires_grad=True) for w in ws]
    vt = sum(0.3 * w.abs().sum() + 0.1 * (w * w).sum() for w in wt)
    vt.backward()
    np.testing.assert_allclose(value, vt.item(), rtol=1e-12)
    for g, w in zip(gs, wt):
        np.testing.assert_allclose(g, w.grad.numpy(), rtol=1e-12)
    f = lambda: l1_penalty(ws, 0.3) + l2_penalty(ws, 0.2)   # noqa: E731
    for w, g in zip(ws, gs):
        assert relative_error(g, numerical_gradient(f, w)) < 1e-7


def test_zero_strength_is_free():
    w = [np.ones((2, 2))]
    g = [np.zeros((2, 2))]
    assert l1_penalty(w, 0.0) == 0.0 and l2_penalty(w, 0.0) == 0.0
    add_l1_grad(w, g, 0.0)
    add_l2_grad(w, g, 0.0)
    assert not g[0].any()


def test_gradcheck_catches_a_wrong_gradient():
    x = np.random.default_rng(2).normal(size=(3, 2))
    f = lambda: float(np.sum(x ** 3))              # noqa: E731
    assert relative_error(3 * x ** 2, numerical_gradient(f, x)) < 1e-8
    assert relative_error(2 * x ** 2, numerical_gradient(f, x)) > 0.1
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(f, x.astype(np.float32))
