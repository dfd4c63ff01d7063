"""Convolutional layers of the NumPy engine: numerical gradient checks (float64), agreement with PyTorch
autograd on the same weights and inputs (float32 rtol 1e-4, float64 rtol 1e-7), im2col/col2im against a
plain loop, and the error messages of conv_output_size."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from visualizer.scratch.conv import (AvgPool2d, BatchNorm2d, Conv2d, Flatten, GlobalAvgPool2d, MaxPool2d,
                                     col2im, conv_output_size, im2col)
from visualizer.scratch.gradcheck import numerical_gradient, relative_error

RTOL = {np.float32: 1e-4, np.float64: 1e-7}
ATOL = {np.float32: 1e-6, np.float64: 1e-12}

# name -> (x shape (N, C, H, W), description)
CASES = {
    "conv_s1_p0": (2, 3, 5, 5),
    "conv_s1_p1": (2, 3, 5, 4),
    "conv_s2_p0": (2, 2, 7, 6),
    "conv_s2_p1": (2, 2, 6, 7),
    "conv_nobias_s1_p1": (2, 3, 4, 4),
    "conv_nobias_s2_p1": (2, 2, 5, 5),
    "conv_1x1": (2, 4, 3, 3),
    "maxpool2": (2, 3, 4, 6),
    "maxpool3_s2_p1": (2, 2, 7, 5),
    "maxpool3_s1": (2, 2, 5, 5),
    "avgpool2": (2, 3, 4, 6),
    "avgpool3_s2_p1": (2, 2, 7, 5),
    "flatten": (3, 2, 3, 4),
    "global_avgpool": (3, 4, 3, 2),
    "batchnorm2d": (3, 4, 3, 2),
}


def make_layer(name: str, dtype, rng: np.random.Generator, c: int):
    """A layer with random parameters for inputs of c channels, and the torch function of (x, *params)."""
    if name.startswith("conv"):
        stride = 2 if "_s2" in name else 1
        pad = 1 if "_p1" in name else 0
        k = 1 if name == "conv_1x1" else 3
        W = rng.normal(size=(4, c, k, k)).astype(dtype)
        if "nobias" in name:
            return Conv2d(W, None, stride, pad), lambda x, W: F.conv2d(x, W, None, stride, pad)
        b = rng.normal(size=4).astype(dtype)
        return Conv2d(W, b, stride, pad), lambda x, W, b: F.conv2d(x, W, b, stride, pad)
    if name == "maxpool2":
        return MaxPool2d(2), lambda x: F.max_pool2d(x, 2)
    if name == "maxpool3_s2_p1":
        return MaxPool2d(3, 2, 1), lambda x: F.max_pool2d(x, 3, 2, 1)
    if name == "maxpool3_s1":
        return MaxPool2d(3, 1), lambda x: F.max_pool2d(x, 3, 1)
    if name == "avgpool2":
        return AvgPool2d(2), lambda x: F.avg_pool2d(x, 2)
    if name == "avgpool3_s2_p1":
        return AvgPool2d(3, 2, 1), lambda x: F.avg_pool2d(x, 3, 2, 1)
    if name == "flatten":
        return Flatten(), lambda x: x.flatten(1)
    if name == "global_avgpool":
        return GlobalAvgPool2d(), lambda x: x.mean(dim=(2, 3))
    if name == "batchnorm2d":
        gamma = rng.uniform(0.5, 1.5, size=c).astype(dtype)
        beta = rng.normal(size=c).astype(dtype)
        return BatchNorm2d(gamma, beta), lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5)
    raise KeyError(name)


@pytest.mark.parametrize("name", list(CASES))
def test_layer_gradients_match_numerical(name):
    rng = np.random.default_rng(1)
    shape = CASES[name]
    layer, _ = make_layer(name, np.float64, rng, shape[1])
    x = rng.normal(size=shape)
    r = rng.normal(size=layer.forward(x).shape)    # loss = sum(y * r), so dL/dy = r

    def loss() -> float:
        return float(np.sum(layer.forward(x) * r))

    loss()
    dx = layer.backward(r)
    assert dx.shape == x.shape
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    analytic = [g.copy() for g in layer.grads]
    for p, g in zip(layer.params, analytic):
        assert relative_error(g, numerical_gradient(loss, p)) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_layer_matches_torch_autograd(name, dtype):
    rng = np.random.default_rng(2)
    shape = CASES[name]
    layer, torch_fn = make_layer(name, dtype, rng, shape[1])
    x = rng.normal(size=shape).astype(dtype)
    y = layer.forward(x)
    dout = rng.normal(size=y.shape).astype(dtype)
    dx = layer.backward(dout)

    xt = torch.tensor(x, requires_grad=True)
    pt = [torch.tensor(p, requires_grad=True) for p in layer.params]
    yt = torch_fn(xt, *pt)
    yt.backward(torch.tensor(dout))
    assert y.dtype == dtype and dx.dtype == dtype
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=RTOL[dtype], atol=ATOL[dtype])
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=RTOL[dtype], atol=ATOL[dtype])
    for g, p in zip(layer.grads, pt):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=RTOL[dtype], atol=ATOL[dtype] * 10)


def test_layers_accept_any_memory_layout():
    """Layers hand feature maps on as (N, C, H, W) views of channels-last memory; any strides must work."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 6, 6))
    layouts = [x.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2),   # channels-last memory
               np.asfortranarray(x), x[:, :, ::-1, :][:, :, ::-1, :]]   # Fortran order, negative strides
    W = rng.normal(size=(4, 3, 3, 3))
    for layer in (Conv2d(W, np.zeros(4), 1, 1), MaxPool2d(2), AvgPool2d(3, 1, 1), BatchNorm2d(np.ones(3), np.zeros(3))):
        ref = layer.forward(x)
        d = rng.normal(size=ref.shape)
        ref_dx = layer.backward(d)
        for v in layouts:
            np.testing.assert_allclose(layer.forward(v), ref, rtol=1e-12)
            np.testing.assert_allclose(layer.backward(np.asfortranarray(d)), ref_dx, rtol=1e-12)


def naive_im2col(x, kh, kw, stride, pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    rows = []
    for i in range(n):                             # a reference: loops are the point here
        for y in range(oh):
            for z in range(ow):
                rows.append(xp[i, :, y * stride:y * stride + kh, z * stride:z * stride + kw].ravel())
    return np.array(rows)


@pytest.mark.parametrize("kh,kw,stride,pad", [(3, 3, 1, 0), (3, 2, 2, 1), (1, 1, 1, 0), (5, 5, 3, 2)])
def test_im2col_and_col2im_match_loops_and_are_adjoint(kh, kw, stride, pad):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 7, 6))
    col = im2col(x, kh, kw, stride, pad)
    np.testing.assert_array_equal(col, naive_im2col(x, kh, kw, stride, pad))
    c = rng.normal(size=col.shape)
    back = col2im(c, x.shape, kh, kw, stride, pad)
    assert back.shape == x.shape
    # <im2col(x), c> = <x, col2im(c)>: col2im is the transpose of the linear map im2col
    assert np.sum(col * c) == pytest.approx(np.sum(x * back), rel=1e-12)


def test_conv2d_is_im2col_times_filter_matrix():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 6, 5))
    W, b = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    y = Conv2d(W, b, stride=2, pad=1).forward(x)
    ref = im2col(x, 3, 3, 2, 1) @ W.reshape(4, -1).T + b          # Saitoh eq. 7.4 layout
    np.testing.assert_allclose(y, ref.reshape(2, 3, 3, 4).transpose(0, 3, 1, 2), rtol=1e-12)


def test_conv2d_without_input_grad_returns_none():
    rng = np.random.default_rng(6)
    layer = Conv2d(rng.normal(size=(2, 1, 3, 3)).astype(np.float32), np.zeros(2, np.float32), pad=1)
    y = layer.forward(rng.normal(size=(3, 1, 5, 5)).astype(np.float32))
    layer.input_grad = False
    assert layer.backward(np.ones_like(y)) is None
    assert layer.grads[1] == pytest.approx([75.0, 75.0])


def test_maxpool_ties_go_to_the_first_maximum_like_torch():
    x = np.zeros((1, 2, 4, 4))
    x[0, 1, :2, :2] = 1.0                          # a 2x2 window of equal maxima
    layer = MaxPool2d(2)
    layer.forward(x)
    dx = layer.backward(np.ones((1, 2, 2, 2)))
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    assert dx[0, 1, 0, 0] == 1 and dx[0, 1, :2, :2].sum() == 1


def test_batchnorm2d_running_statistics_and_eval_match_torch():
    rng = np.random.default_rng(7)
    c = 3
    bn = BatchNorm2d(np.ones(c), np.zeros(c))
    ref = torch.nn.BatchNorm2d(c, dtype=torch.float64)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=(4, c, 3, 5))
        bn.forward(x)
        ref(torch.tensor(x))
    np.testing.assert_allclose(bn.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, ref.running_var.numpy(), rtol=1e-12)
    bn.train = False
    ref.eval()
    x = rng.normal(size=(2, c, 3, 5))
    np.testing.assert_allclose(bn.forward(x), ref(torch.tensor(x)).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("args,message", [
    ((5, 7, 1, 0), "kernel 7 is larger than the padded input 5 (5 + 2×0)"),
    ((4, 7, 1, 1), "kernel 7 is larger than the padded input 6 (4 + 2×1)"),
    ((8, 3, 0, 1), "stride must be at least 1"),
    ((8, 3, 1, -1), "padding must be 0 or more"),
    ((8, 0, 1, 0), "kernel size must be at least 1"),
])
def test_conv_output_size_errors(args, message):
    with pytest.raises(ValueError) as err:
        conv_output_size(*args)
    assert message in str(err.value)


def test_conv_output_size_values():
    assert conv_output_size(8, 3, 1, 1) == 8
    assert conv_output_size(8, 2, 2, 0) == 4
    assert conv_output_size(7, 3, 2, 1) == 4
    assert conv_output_size(5, 5, 1, 0) == 1


def test_layers_reject_bad_shapes():
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match="Conv2d needs W"):
        Conv2d(rng.normal(size=(4, 3, 3)), None)
    with pytest.raises(ValueError, match="one dtype"):
        Conv2d(rng.normal(size=(4, 3, 3, 3)), np.zeros(4, np.float32))
    conv = Conv2d(rng.normal(size=(4, 3, 3, 3)), None)
    with pytest.raises(ValueError, match="3 input channels got 2"):
        conv.forward(rng.normal(size=(1, 2, 5, 5)))
    with pytest.raises(ValueError, match="kernel 3 is larger"):
        conv.forward(rng.normal(size=(1, 3, 2, 5)))
    with pytest.raises(ValueError, match="at most half"):
        MaxPool2d(2, pad=2)
