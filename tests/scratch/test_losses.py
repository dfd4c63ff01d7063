"""Losses: numerical gradient check (float64) and agreement with torch.nn.functional."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.losses import MSE, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, softmax

RTOL = {np.float32: 1e-5, np.float64: 1e-10}


def _cases(rng):
    z = rng.normal(size=(6, 4)) * 3
    y = rng.integers(0, 4, size=6)
    zb = rng.normal(size=(6, 1)) * 3
    yb = rng.integers(0, 2, size=6)
    t = rng.normal(size=(6, 4))
    return {
        "softmax_ce": (SoftmaxCrossEntropy(), z, y, lambda a, b: F.cross_entropy(a, b)),
        "sigmoid_bce": (SigmoidBinaryCrossEntropy(), zb, yb,
                        lambda a, b: F.binary_cross_entropy_with_logits(a[:, 0], b.to(a.dtype))),
        "mse": (MSE(), z, t, lambda a, b: F.mse_loss(a, b)),
    }


@pytest.mark.parametrize("name", ["softmax_ce", "sigmoid_bce", "mse"])
def test_loss_gradient_matches_numerical(name):
    loss, z, y, _ = _cases(np.random.default_rng(0))[name]
    f = lambda: loss.forward(z, y)                 # noqa: E731
    f()
    assert relative_error(loss.backward(), numerical_gradient(f, z)) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["softmax_ce", "sigmoid_bce", "mse"])
def test_loss_matches_torch(name, dtype):
    loss, z, y, torch_fn = _cases(np.random.default_rng(1))[name]
    z = z.astype(dtype)
    if name == "mse":
        y = y.astype(dtype)
    value = loss.forward(z, y)
    dz = loss.backward(2.0)
    zt = torch.tensor(z, requires_grad=True)
    lt = torch_fn(zt, torch.tensor(y))
    (2 * lt).backward()
    assert dz.dtype == dtype and dz.shape == z.shape
    np.testing.assert_allclose(value, lt.item(), rtol=RTOL[dtype])
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=RTOL[dtype] * 10, atol=1e-7)


def test_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = SoftmaxCrossEntropy().forward(z, np.array([2, 0]))
    assert np.isclose(value, (2000.0 + np.log(3.0)) / 2)
    bce = SigmoidBinaryCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isclose(bce.forward(np.array([[1000.0], [-1000.0]]), np.array([0, 1])), 1000.0)


def test_softmax_rows_sum_to_one():
    p = softmax(np.random.default_rng(2).normal(size=(5, 7)).astype(np.float32) * 50)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_bad_labels_raise_clear_errors():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\]"):
        SoftmaxCrossEntropy().forward(z, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="integers"):
        SoftmaxCrossEntropy().forward(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        SoftmaxCrossEntropy().forward(z, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        SigmoidBinaryCrossEntropy().forward(np.zeros((3, 1)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="shapes differ"):
        MSE().forward(np.zeros((3, 2)), np.zeros((3, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropies_stay_exact_at_logits_of_1e9_as_torch(dtype):
    """Unstandardized inputs give logits of 1e9: the fused losses (log-sum-exp, softplus) must return the true
    mean loss (about 1e9), finite, as torch does, and gradients of softmax/sigmoid minus the target."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z = (rng.normal(size=(16, 4)) * np.logspace(0, 9, 16)[:, None]).astype(dtype)
    y = rng.integers(0, 4, 16)
    ce = SoftmaxCrossEntropy()
    loss = ce.forward(z, y)
    ref = torch.nn.functional.cross_entropy(torch.tensor(z, dtype=torch.float64), torch.tensor(y)).item()
    assert np.isfinite(loss) and loss == pytest.approx(ref, rel=1e-6) and loss > 1e6
    assert np.isfinite(ce.backward()).all()
    zb, t = z[:, 0].copy(), (y % 2).astype(dtype)
    bce = SigmoidBinaryCrossEntropy()
    loss = bce.forward(zb, t)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(zb, dtype=torch.float64),
                                                               torch.tensor(t, dtype=torch.float64)).item()
    assert np.isfinite(loss) and loss == pytest.approx(ref, rel=1e-6)
    assert np.isfinite(bce.backward()).all()
