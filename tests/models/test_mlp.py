"""The whole MLP: numerical gradient check through BatchNorm, every activation and the L1/L2 penalties."""
from __future__ import annotations

import numpy as np
import pytest

from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.losses import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from visualizer.models.mlp import MLP
from visualizer.scratch.regularization import add_l1_grad, add_l2_grad, l1_penalty, l2_penalty


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh", "linear"])
@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("n_out", [1, 3])
def test_mlp_gradients_with_penalties_match_numerical(activation, batchnorm, n_out):
    rng = np.random.default_rng(0)
    model = MLP(4, (5, 3), n_out, activation=activation, batchnorm=batchnorm, dtype="float64", seed=1)
    x = rng.normal(size=(6, 4))
    y = rng.integers(0, max(n_out, 2), size=6)
    for p in model.params:                         # random biases/gamma/beta: no ReLU input sits at a kink
        p[...] += rng.normal(scale=0.3, size=p.shape)
    loss_fn = SigmoidBinaryCrossEntropy() if n_out == 1 else SoftmaxCrossEntropy()
    l1, l2 = 0.01, 0.05

    def objective() -> float:
        return (loss_fn.forward(model.forward(x), y)
                + l1_penalty(model.weights, l1) + l2_penalty(model.weights, l2))

    objective()
    model.backward(loss_fn.backward())
    add_l1_grad(model.weights, model.weight_grads, l1)
    add_l2_grad(model.weights, model.weight_grads, l2)
    analytic = [g.copy() for g in model.grads]
    for p, g in zip(model.params, analytic):
        numerical = numerical_gradient(objective, p)
        # A parameter whose effect a later BatchNorm cancels has a zero gradient: compare absolutely.
        assert relative_error(g, numerical) < 1e-6 or np.max(np.abs(g - numerical)) < 1e-8


def test_mlp_structure_and_dtype():
    m = MLP(3, (4, 2), 5, batchnorm=True, dropout=0.2, dtype="float32")
    kinds = [type(layer).__name__ for layer in m.layers]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU", "Dropout",
                     "Linear"]
    assert all(p.dtype == np.float32 for p in m.params)
    assert [w.shape for w in m.weights] == [(3, 4), (4, 2), (2, 5)]
    assert len(m.linears[0].params) == 1 and len(m.linears[2].params) == 2   # no bias before BatchNorm
    out = m.forward(np.ones((7, 3), dtype=np.float32))
    assert out.shape == (7, 5) and out.dtype == np.float32
    logits, hidden = MLP(3, (), 2).forward_hidden(np.ones((2, 3), dtype=np.float32))
    assert logits.shape == (2, 2) and hidden == []


def test_mlp_seed_reproduces_weights():
    a, b, c = MLP(4, (8,), 3, seed=5), MLP(4, (8,), 3, seed=5), MLP(4, (8,), 3, seed=6)
    for wa, wb, wc in zip(a.weights, b.weights, c.weights):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)


def test_mlp_rejects_bad_settings():
    with pytest.raises(ValueError, match="at least one unit"):
        MLP(4, (0,), 3)
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(4, (3,), 3, activation="swish")
    with pytest.raises(ValueError, match="dtype"):
        MLP(4, (3,), 3, dtype="float16")
