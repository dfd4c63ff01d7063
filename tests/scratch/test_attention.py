"""Attention layers (AttentionWeight, WeightSum, Attention, TimeAttention) and clip_grads: numerical
gradients in float64 and agreement with PyTorch autograd / torch.nn.utils.clip_grad_norm_."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from visualizer.scratch.attention import (
    Attention,
    AttentionWeight,
    TimeAttention,
    WeightSum,
)
from visualizer.scratch.clipping import clip_grads
from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.models.sequence_torch import time_attention

TOL = {np.float32: 1e-4, np.float64: 1e-7}
N, TX, TY, H = 2, 5, 3, 4


def torch_step(name: str):
    """The torch function of (hs, second input) for each single-step layer."""
    def weights(hs, h):
        return torch.softmax((hs @ h[:, :, None])[:, :, 0], dim=-1)
    if name == "weight":
        return weights
    if name == "sum":
        return lambda hs, a: (a[:, :, None] * hs).sum(1)
    return lambda hs, h: (weights(hs, h)[:, :, None] * hs).sum(1)


LAYERS = {"weight": AttentionWeight, "sum": WeightSum, "attention": Attention}


def second_input(name: str, rng: np.random.Generator, dtype) -> np.ndarray:
    if name == "sum":
        a = rng.random((N, TX))
        return (a / a.sum(1, keepdims=True)).astype(dtype)
    return rng.normal(size=(N, H)).astype(dtype)


@pytest.mark.parametrize("name", list(LAYERS))
def test_attention_steps_match_numerical(name):
    rng = np.random.default_rng(0)
    layer = LAYERS[name]()
    hs, h = rng.normal(size=(N, TX, H)), second_input(name, rng, np.float64)
    r = rng.normal(size=layer.forward(hs, h).shape)

    def loss() -> float:
        return float(np.sum(layer.forward(hs, h) * r))

    loss()
    dhs, dh = layer.backward(r)
    assert relative_error(dhs, numerical_gradient(loss, hs)) < 1e-7
    assert relative_error(dh, numerical_gradient(loss, h)) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(LAYERS))
def test_attention_steps_match_torch(name, dtype):
    rng = np.random.default_rng(1)
    layer = LAYERS[name]()
    hs, h = rng.normal(size=(N, TX, H)).astype(dtype), second_input(name, rng, dtype)
    out = layer.forward(hs, h)
    dout = rng.normal(size=out.shape).astype(dtype)
    dhs, dh = layer.backward(dout)
    hst, ht = torch.tensor(hs, requires_grad=True), torch.tensor(h, requires_grad=True)
    outt = torch_step(name)(hst, ht)
    outt.backward(torch.tensor(dout))
    tol = TOL[dtype]
    assert out.dtype == dtype and dhs.dtype == dtype
    assert relative_error(out, outt.detach().numpy()) < tol
    assert relative_error(dhs, hst.grad.numpy()) < tol
    assert relative_error(dh, ht.grad.numpy()) < tol


def test_time_attention_matches_numerical_and_step_layer():
    rng = np.random.default_rng(2)
    layer = TimeAttention()
    enc, dec = rng.normal(size=(N, TX, H)), rng.normal(size=(N, TY, H))
    r = rng.normal(size=(N, TY, H))

    def loss() -> float:
        return float(np.sum(layer.forward(enc, dec) * r))

    loss()
    denc, ddec = layer.backward(r)
    assert relative_error(denc, numerical_gradient(loss, enc)) < 1e-7
    assert relative_error(ddec, numerical_gradient(loss, dec)) < 1e-7
    # step t of the batched layer equals the book's one-step Attention
    cs = layer.forward(enc, dec)
    step = Attention()
    for t in range(TY):
        assert relative_error(cs[:, t], step.forward(enc, dec[:, t])) < 1e-14
        assert relative_error(layer.attention_weights[:, t], step.attention_weight) < 1e-14
    assert np.allclose(layer.attention_weights.sum(-1), 1)
    with pytest.raises(ValueError, match="Tx"):
        layer.forward(enc, dec[:, :, :2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_time_attention_matches_torch(dtype):
    rng = np.random.default_rng(3)
    layer = TimeAttention()
    enc, dec = rng.normal(size=(N, TX, H)).astype(dtype), rng.normal(size=(N, TY, H)).astype(dtype)
    dcs = rng.normal(size=(N, TY, H)).astype(dtype)
    cs = layer.forward(enc, dec)
    denc, ddec = layer.backward(dcs)
    enct, dect = torch.tensor(enc, requires_grad=True), torch.tensor(dec, requires_grad=True)
    cst, wt = time_attention(enct, dect)
    cst.backward(torch.tensor(dcs))
    tol = TOL[dtype]
    assert relative_error(cs, cst.detach().numpy()) < tol
    assert relative_error(layer.attention_weights, wt.detach().numpy()) < tol
    assert relative_error(denc, enct.grad.numpy()) < tol
    assert relative_error(ddec, dect.grad.numpy()) < tol


def test_clip_grads_norm_and_scaling_to_rounding_and_as_torch():
    rng = np.random.default_rng(4)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    before = [g.copy() for g in grads]
    norm = np.sqrt(sum(np.sum(g * g) for g in before))
    # clip_grads sums the squares with a BLAS dot, this test with np.sum: the same numbers summed in another
    # order (which the BLAS kernel and its thread count choose).  A sum of n positive terms in any order lies
    # within (n - 1)·u of the exact sum (u = eps/2), so the two sums differ by at most (n - 1)·eps relative
    # and their square roots by half that: n·eps bounds it (17 terms: 3.8e-15).
    n_terms = sum(b.size for b in before)
    rtol = n_terms * np.finfo(np.float64).eps
    assert clip_grads(grads, max_norm=0.5) == pytest.approx(norm, rel=rtol, abs=0)
    rate = 0.5 / (norm + 1e-6)
    for g, b in zip(grads, before):          # rate inherits the norm's error; each product adds one rounding
        np.testing.assert_allclose(g, b * rate, rtol=rtol + 2 * np.finfo(np.float64).eps, atol=0)
    ts = [torch.tensor(b) for b in before]
    for t in ts:
        t.grad = t.clone()
    assert torch.nn.utils.clip_grad_norm_(ts, 0.5).item() == pytest.approx(norm, rel=1e-12)
    for g, t in zip(grads, ts):
        assert relative_error(g, t.grad.numpy()) < 1e-14
    # below the threshold nothing changes
    small = [b.copy() for b in before]
    assert clip_grads(small, max_norm=norm * 2) == pytest.approx(norm)
    assert all(np.array_equal(s, b) for s, b in zip(small, before))   # untouched: bit for bit
    with pytest.raises(ValueError, match="positive"):
        clip_grads(small, 0.0)
