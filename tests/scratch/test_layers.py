"""Every layer of the NumPy engine: numerical gradient check (float64) and agreement with PyTorch autograd
on the same weights and inputs (float32 rtol 1e-4, float64 rtol 1e-7)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.layers import BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh

RTOL = {np.float32: 1e-4, np.float64: 1e-7}
ATOL = {np.float32: 1e-6, np.float64: 1e-12}


def make_layer(name: str, dtype, rng: np.random.Generator, d_in: int = 5, d_out: int = 4):
    """A layer with random parameters, and the matching torch function of (x, *params)."""
    if name == "linear":
        W = rng.normal(size=(d_in, d_out)).astype(dtype)
        b = rng.normal(size=d_out).astype(dtype)
        return Linear(W, b), lambda x, W, b: x @ W + b
    if name == "linear_nobias":
        return Linear(rng.normal(size=(d_in, d_out)).astype(dtype), None), lambda x, W: x @ W
    if name == "relu":
        return ReLU(), torch.relu
    if name == "leaky_relu":
        return LeakyReLU(0.01), lambda x: torch.nn.functional.leaky_relu(x, 0.01)
    if name == "sigmoid":
        return Sigmoid(), torch.sigmoid
    if name == "tanh":
        return Tanh(), torch.tanh
    if name == "batchnorm":
        gamma = rng.uniform(0.5, 1.5, size=d_in).astype(dtype)
        beta = rng.normal(size=d_in).astype(dtype)
        return BatchNorm1d(gamma, beta), lambda x, g, b: torch.nn.functional.batch_norm(
            x, None, None, g, b, training=True, eps=1e-5)
    raise KeyError(name)


LAYERS = ["linear", "linear_nobias", "relu", "leaky_relu", "sigmoid", "tanh", "batchnorm"]


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradients_match_numerical(name):
    rng = np.random.default_rng(1)
    layer, _ = make_layer(name, np.float64, rng)
    x = rng.normal(size=(6, 5))
    x[np.abs(x) < 1e-3] = 0.5                      # keep clear of the ReLU kink
    r = rng.normal(size=layer.forward(x).shape)    # loss = sum(y * r), so dL/dy = r

    def loss() -> float:
        return float(np.sum(layer.forward(x) * r))

    loss()
    dx = layer.backward(r)
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    analytic = [g.copy() for g in layer.grads]
    for p, g in zip(layer.params, analytic):
        assert relative_error(g, numerical_gradient(loss, p)) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch_autograd(name, dtype):
    rng = np.random.default_rng(2)
    layer, torch_fn = make_layer(name, dtype, rng)
    x = rng.normal(size=(7, 5)).astype(dtype)
    dout = rng.normal(size=layer.forward(x).shape).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(dout)

    xt = torch.tensor(x, requires_grad=True)
    pt = [torch.tensor(p, requires_grad=True) for p in layer.params]
    yt = torch_fn(xt, *pt)
    yt.backward(torch.tensor(dout))
    assert y.dtype == dtype and dx.dtype == dtype
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=RTOL[dtype], atol=ATOL[dtype])
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=RTOL[dtype], atol=ATOL[dtype])
    for g, p in zip(layer.grads, pt):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=RTOL[dtype], atol=ATOL[dtype] * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_running_stats_and_eval_match_torch(dtype):
    rng = np.random.default_rng(3)
    gamma = rng.uniform(0.5, 1.5, size=4).astype(dtype)
    beta = rng.normal(size=4).astype(dtype)
    bn = BatchNorm1d(gamma.copy(), beta.copy())
    tbn = torch.nn.BatchNorm1d(4, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor(gamma))
        tbn.bias.copy_(torch.tensor(beta))
    for _ in range(3):
        x = (rng.normal(size=(8, 4)) * 3 + 1).astype(dtype)
        bn.forward(x)
        tbn(torch.tensor(x))
    np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=RTOL[dtype])
    np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), rtol=RTOL[dtype])
    bn.train = False
    tbn.eval()
    x = rng.normal(size=(5, 4)).astype(dtype)
    np.testing.assert_allclose(bn.forward(x), tbn(torch.tensor(x)).detach().numpy(),
                               rtol=RTOL[dtype], atol=ATOL[dtype])


def test_batchnorm_rejects_single_sample_batch():
    bn = BatchNorm1d(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn.forward(np.ones((1, 3)))


def test_dropout_masks_scale_and_reproduce():
    x = np.ones((200, 50), dtype=np.float32)
    a = Dropout(0.3, np.random.default_rng(7))
    b = Dropout(0.3, np.random.default_rng(7))
    ya, yb = a.forward(x), b.forward(x)
    np.testing.assert_array_equal(ya, yb)          # same seed, same mask
    assert set(np.unique(ya)) == {0.0, np.float32(1 / 0.7)}
    assert abs((ya == 0).mean() - 0.3) < 0.02      # 10,000 draws: 3 sigma is about 0.014
    assert abs(ya.mean() - 1.0) < 0.03             # inverted dropout keeps the expectation
    dout = np.full_like(x, 2.0)
    np.testing.assert_array_equal(a.backward(dout), dout * (ya != 0) / np.float32(0.7))
    a.train = False
    np.testing.assert_array_equal(a.forward(x), x)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0, np.random.default_rng())


def test_dropout_gradient_matches_numerical_with_a_fixed_mask():
    x = np.random.default_rng(4).normal(size=(4, 6))
    layer = Dropout(0.5, np.random.default_rng(0))
    r = np.random.default_rng(5).normal(size=x.shape)

    def loss() -> float:
        layer.rng = np.random.default_rng(0)       # the same mask on every evaluation
        return float(np.sum(layer.forward(x) * r))

    loss()
    assert relative_error(layer.backward(r), numerical_gradient(loss, x)) < 1e-7


def test_sigmoid_does_not_overflow():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = Sigmoid().forward(x)
    np.testing.assert_allclose(y, [0.0, 1.9287499e-22, 0.5, 1.0, 1.0], rtol=1e-6)


def test_linear_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="Linear needs"):
        Linear(np.zeros((3, 2)), np.zeros(3))
