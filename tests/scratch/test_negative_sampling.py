"""UnigramSampler (never the positive target, P ∝ count^0.75), EmbeddingDot and NegativeSamplingLoss
(numerical gradients, PyTorch autograd on the same weights and negatives)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.negative_sampling import (
    EmbeddingDot,
    NegativeSamplingLoss,
    UnigramSampler,
)
from visualizer.models.sequence_torch import negative_sampling_loss

TOL = {np.float32: 1e-4, np.float64: 1e-7}


def test_sampler_never_returns_the_target_and_follows_count_power():
    counts = np.array([1, 5, 20, 100, 400, 1000])
    corpus = np.repeat(np.arange(6), counts)
    sampler = UnigramSampler(corpus, power=0.75, sample_size=5, rng=np.random.default_rng(0))
    p = counts ** 0.75 / np.sum(counts ** 0.75)
    assert np.allclose(sampler.word_p, p)
    target = np.full(40_000, 5)                            # the most frequent word as every target
    target[::2] = 2
    neg = sampler.get_negative_sample(target)
    assert neg.shape == (40_000, 5) and neg.dtype.kind == "i"
    assert not np.any(neg == target[:, None])
    # rows with target 5: the distribution without word 5, renormalized; chi-square over 5 cells
    rows = neg[target == 5].reshape(-1)
    expected = p[:5] / p[:5].sum() * rows.size
    observed = np.bincount(rows, minlength=6)[:5]
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < 18.5                                     # 4 degrees of freedom, p = 0.001
    rows = neg[target == 2].reshape(-1)
    q = p.copy()
    q[2] = 0
    expected = (q / q.sum() * rows.size)[q > 0]
    observed = np.bincount(rows, minlength=6)[q > 0]
    assert np.sum((observed - expected) ** 2 / expected) < 18.5
    # 2-D targets (skip-gram contexts) and determinism
    s1 = UnigramSampler(corpus, rng=np.random.default_rng(3)).get_negative_sample(np.zeros((4, 3), int))
    s2 = UnigramSampler(corpus, rng=np.random.default_rng(3)).get_negative_sample(np.zeros((4, 3), int))
    assert s1.shape == (4, 3, 5) and np.array_equal(s1, s2) and not np.any(s1 == 0)


def test_sampler_errors():
    with pytest.raises(ValueError, match="empty"):
        UnigramSampler(np.array([], int))
    with pytest.raises(ValueError, match="two distinct"):
        UnigramSampler(np.array([3, 3, 3]))


def test_embedding_dot_gradients_match_numerical():
    rng = np.random.default_rng(1)
    layer = EmbeddingDot(rng.normal(size=(6, 3)))
    h = rng.normal(size=(4, 3))
    idx = rng.integers(0, 6, size=(4, 3))
    r = rng.normal(size=(4, 3))

    def loss() -> float:
        return float(np.sum(layer.forward(h, idx) * r))

    loss()
    dh = layer.backward(r)
    dW = layer.grads[0].copy()
    assert relative_error(dh, numerical_gradient(loss, h)) < 1e-7
    assert relative_error(dW, numerical_gradient(loss, layer.params[0])) < 1e-7


def test_negative_sampling_loss_matches_numerical():
    rng = np.random.default_rng(2)
    V, D, N = 8, 3, 5
    corpus = rng.integers(0, V, size=200)
    layer = NegativeSamplingLoss(rng.normal(size=(V, D)), corpus, sample_size=3, rng=rng)
    h = rng.normal(size=(N, D))
    target = rng.integers(0, V, size=N)
    layer.forward(h, target)
    negatives = layer.negatives.copy()

    def loss() -> float:
        return layer.forward(h, target, negatives)

    loss()
    dh = layer.backward()
    dW = layer.grads[0].copy()
    assert relative_error(dh, numerical_gradient(loss, h)) < 1e-7
    assert relative_error(dW, numerical_gradient(loss, layer.params[0])) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_negative_sampling_loss_matches_torch(dtype):
    rng = np.random.default_rng(4)
    V, D, N = 30, 6, 10
    corpus = rng.integers(0, V, size=500)
    W = rng.normal(size=(V, D)).astype(dtype)
    layer = NegativeSamplingLoss(W, corpus, sample_size=5, rng=np.random.default_rng(0))
    h = rng.normal(size=(N, D)).astype(dtype)
    target = rng.integers(0, V, size=N)
    loss = layer.forward(h, target)
    dh = layer.backward()
    assert layer.negatives.shape == (N, 5) and not np.any(layer.negatives == target[:, None])

    Wt, ht = torch.tensor(W, requires_grad=True), torch.tensor(h, requires_grad=True)
    losst = negative_sampling_loss(Wt, ht, torch.tensor(target), torch.tensor(layer.negatives))
    losst.backward()
    tol = TOL[dtype]
    assert dh.dtype == dtype
    assert relative_error(loss, losst.item()) < tol
    assert relative_error(dh, ht.grad.numpy()) < tol
    assert relative_error(layer.grads[0], Wt.grad.numpy()) < tol
