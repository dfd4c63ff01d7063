"""Time layers of the NumPy engine (Embedding, TimeAffine, TimeSoftmaxWithLoss, TimeDropout, RNN/LSTM/GRU
cells and Time layers): numerical gradient checks in float64 (relative error < 1e-7) and agreement with
PyTorch autograd on the same weights (relative error < 1e-4 in float32, < 1e-7 in float64), via the twins
in ``visualizer.models.sequence_torch``."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from visualizer.scratch.embedding import Embedding, TimeEmbedding, scatter_add_rows
from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.time_layers import (
    GRU,
    LSTM,
    RNN,
    TimeAffine,
    TimeDropout,
    TimeGRU,
    TimeLSTM,
    TimeRNN,
    TimeSoftmaxWithLoss,
)
from visualizer.models.sequence_torch import (
    initial_state,
    recurrent_from_scratch,
    recurrent_grads_to_scratch,
    time_softmax_cross_entropy,
)

TOL = {np.float32: 1e-4, np.float64: 1e-7}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def recurrent_params(kind: str, D: int, H: int, dtype, rng: np.random.Generator) -> list[np.ndarray]:
    g = GATES[kind]
    ps = [rng.normal(0, 0.5, (D, g * H)), rng.normal(0, 0.5, (H, g * H)), rng.normal(0, 0.5, g * H)]
    if kind == "gru":
        ps.append(rng.normal(0, 0.5, H))
    return [p.astype(dtype) for p in ps]


TIME_CLASSES = {"rnn": TimeRNN, "lstm": TimeLSTM, "gru": TimeGRU}
CELL_CLASSES = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def check_numerical(loss, analytic: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """analytic: (array perturbed, its analytic gradient) pairs; loss() recomputes from scratch."""
    for x, g in analytic:
        assert relative_error(g, numerical_gradient(loss, x)) < 1e-7


# ---------------------------------------------------------------------------------------------- #
# Recurrent layers
# ---------------------------------------------------------------------------------------------- #
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_time_recurrent_gradients_match_numerical(kind):
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 4, 3, 3
    layer = TIME_CLASSES[kind](*recurrent_params(kind, D, H, np.float64, rng), stateful=True)
    xs = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), (rng.normal(size=(N, H)) if kind == "lstm" else None)
    r = rng.normal(size=(N, T, H))

    def loss() -> float:
        layer.set_state(h0, c0)
        return float(np.sum(layer.forward(xs) * r))

    loss()
    dxs = layer.backward(r)
    pairs = [(xs, dxs), (h0, layer.dh)] + [(p, g.copy()) for p, g in zip(layer.params, layer.grads)]
    if kind == "lstm":
        pairs.append((c0, layer.dc))
    check_numerical(loss, pairs)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_cells_match_numerical_and_time_layer(kind):
    rng = np.random.default_rng(1)
    N, D, H = 3, 4, 3
    params = recurrent_params(kind, D, H, np.float64, rng)
    cell = CELL_CLASSES[kind](*params)
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    c = rng.normal(size=(N, H))
    rh, rc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    lstm = kind == "lstm"

    def loss() -> float:
        if lstm:
            hn, cn = cell.forward(x, h, c)
            return float(np.sum(hn * rh) + np.sum(cn * rc))
        return float(np.sum(cell.forward(x, h) * rh))

    loss()
    back = cell.backward(rh, rc) if lstm else cell.backward(rh)
    pairs = [(x, back[0]), (h, back[1])] + [(p, g.copy()) for p, g in zip(cell.params, cell.grads)]
    if lstm:
        pairs.append((c, back[2]))
    check_numerical(loss, pairs)
    # one step of the Time layer from state (h, c) equals the cell
    time_layer = TIME_CLASSES[kind](*params, stateful=True)
    time_layer.set_state(h, c if lstm else None)
    out = time_layer.forward(x[:, None, :])[:, 0]
    expect = cell.forward(x, h, c)[0] if lstm else cell.forward(x, h)
    assert relative_error(out, expect) < 1e-12


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_time_recurrent_matches_torch(kind, dtype):
    rng = np.random.default_rng(2)
    N, T, D, H = 3, 6, 5, 4
    layer = TIME_CLASSES[kind](*recurrent_params(kind, D, H, dtype, rng), stateful=True)
    xs = rng.normal(size=(N, T, D)).astype(dtype)
    h0 = rng.normal(size=(N, H)).astype(dtype)
    c0 = rng.normal(size=(N, H)).astype(dtype) if kind == "lstm" else None
    dhs = rng.normal(size=(N, T, H)).astype(dtype)
    layer.set_state(h0, c0)
    hs = layer.forward(xs)
    dxs = layer.backward(dhs)

    module = recurrent_from_scratch(layer)
    xt = torch.tensor(xs, requires_grad=True)
    state = initial_state(h0, c0)
    for s in (state if isinstance(state, tuple) else (state,)):
        s.requires_grad_(True)
    hst, last = module(xt, state)
    hst.backward(torch.tensor(dhs))
    tol = TOL[dtype]
    assert hs.dtype == dtype and dxs.dtype == dtype
    assert relative_error(hs, hst.detach().numpy()) < tol
    assert relative_error(dxs, xt.grad.numpy()) < tol
    for g, gt in zip(layer.grads, recurrent_grads_to_scratch(module)):
        assert relative_error(g, gt) < tol
    if kind == "lstm":
        assert relative_error(layer.dh, state[0].grad[0].numpy()) < tol
        assert relative_error(layer.dc, state[1].grad[0].numpy()) < tol
        assert relative_error(layer.c, last[1][0].detach().numpy()) < tol
    else:
        assert relative_error(layer.dh, state.grad[0].numpy()) < tol
    assert relative_error(layer.h, hst[:, -1].detach().numpy()) < tol


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_stateful_calls_equal_one_call_over_the_concatenation(kind):
    rng = np.random.default_rng(3)
    params = recurrent_params(kind, 4, 5, np.float64, rng)
    xs = rng.normal(size=(2, 9, 4))
    whole = TIME_CLASSES[kind](*params, stateful=True).forward(xs)
    layer = TIME_CLASSES[kind](*params, stateful=True)
    parts = np.concatenate([layer.forward(xs[:, :4]), layer.forward(xs[:, 4:])], axis=1)
    assert relative_error(parts, whole) < 1e-13
    layer.reset_state()
    assert relative_error(layer.forward(xs[:, :4]), whole[:, :4]) < 1e-13
    # a non-stateful layer restarts from zeros
    fresh = TIME_CLASSES[kind](*params, stateful=False)
    fresh.forward(xs[:, :4])
    assert relative_error(fresh.forward(xs[:, :4]), whole[:, :4]) < 1e-13


def test_recurrent_errors_and_grad_norms():
    rng = np.random.default_rng(4)
    layer = TimeLSTM(*recurrent_params("lstm", 3, 2, np.float32, rng), stateful=True)
    with pytest.raises(ValueError, match="dtype"):
        layer.forward(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"\(N, T, 3\)"):
        layer.forward(np.zeros((2, 3, 4), np.float32))
    layer.forward(np.zeros((2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="reset_state"):
        layer.forward(np.zeros((5, 3, 3), np.float32))
    with pytest.raises(ValueError, match="both h and c"):
        layer.set_state(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="Wx"):
        TimeGRU(np.zeros((3, 6)), np.zeros((2, 6)), np.zeros(6), np.zeros(3))
    layer.reset_state()
    layer.record_grad_norms = True
    xs = rng.normal(size=(2, 5, 3)).astype(np.float32)
    layer.forward(xs)
    dhs = np.zeros((2, 5, 2), np.float32)
    dhs[:, -1] = 1.0
    layer.backward(dhs)
    assert layer.grad_norms.shape == (5,)
    assert layer.grad_norms[-1] == pytest.approx(2.0)            # ‖ones((2, 2))‖
    assert layer.gates.shape == (2, 5, 8)


# ---------------------------------------------------------------------------------------------- #
# Embedding, TimeAffine (and weight tying), TimeSoftmaxWithLoss, TimeDropout
# ---------------------------------------------------------------------------------------------- #
def test_scatter_methods_agree_and_embedding_matches_torch():
    rng = np.random.default_rng(5)
    idx = rng.integers(0, 7, size=40)                      # many repeats
    src = rng.normal(size=(40, 3))
    a, b = np.zeros((7, 3)), np.zeros((7, 3))
    scatter_add_rows(a, idx, src, "sorted")
    scatter_add_rows(b, idx, src, "add.at")
    assert relative_error(a, b) < 1e-14
    for dtype in (np.float32, np.float64):
        W = rng.normal(size=(7, 3)).astype(dtype)
        emb = TimeEmbedding(W)
        xs = rng.integers(0, 7, size=(4, 5))
        dout = rng.normal(size=(4, 5, 3)).astype(dtype)
        out = emb.forward(xs)
        assert emb.backward(dout) is None
        Wt = torch.tensor(W, requires_grad=True)
        outt = torch.nn.functional.embedding(torch.tensor(xs), Wt)
        outt.backward(torch.tensor(dout))
        assert out.dtype == dtype
        assert relative_error(out, outt.detach().numpy()) == 0
        assert relative_error(emb.grads[0], Wt.grad.numpy()) < TOL[dtype]
    with pytest.raises(ValueError, match=r"\[0, 6\]"):
        Embedding(W).forward(np.array([7]))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        TimeEmbedding(W).forward(np.array([1, 2]))


def test_embedding_gradient_matches_numerical():
    rng = np.random.default_rng(6)
    emb = Embedding(rng.normal(size=(5, 3)))
    idx = np.array([[0, 2, 2], [4, 0, 2]])
    r = rng.normal(size=(2, 3, 3))

    def loss() -> float:
        return float(np.sum(emb.forward(idx) * r))

    loss()
    emb.backward(r)
    check_numerical(loss, [(emb.params[0], emb.grads[0].copy())])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_time_affine_and_softmax_loss_match_torch(dtype):
    rng = np.random.default_rng(7)
    N, T, D, V = 3, 4, 5, 6
    W, b = rng.normal(size=(D, V)).astype(dtype), rng.normal(size=V).astype(dtype)
    affine, loss_layer = TimeAffine(W, b), TimeSoftmaxWithLoss(ignore_label=-1)
    xs = rng.normal(size=(N, T, D)).astype(dtype)
    ts = rng.integers(0, V, size=(N, T))
    ts[0, :2] = -1                                          # padding
    loss = loss_layer.forward(affine.forward(xs), ts)
    dxs = affine.backward(loss_layer.backward())

    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (xs, W, b))
    losst = time_softmax_cross_entropy(xt @ Wt + bt, torch.tensor(ts))
    losst.backward()
    tol = TOL[dtype]
    assert relative_error(loss, losst.item()) < tol
    assert dxs.dtype == dtype
    assert relative_error(dxs, xt.grad.numpy()) < tol
    assert relative_error(affine.grads[0], Wt.grad.numpy()) < tol
    assert relative_error(affine.grads[1], bt.grad.numpy()) < tol


def test_time_affine_and_softmax_loss_match_numerical():
    rng = np.random.default_rng(8)
    N, T, D, V = 2, 3, 4, 5
    affine, loss_layer = TimeAffine(rng.normal(size=(D, V)), rng.normal(size=V)), TimeSoftmaxWithLoss()
    xs = rng.normal(size=(N, T, D))
    ts = rng.integers(0, V, size=(N, T))
    ts[1, 2] = -1

    def loss() -> float:
        return loss_layer.forward(affine.forward(xs), ts)

    loss()
    dxs = affine.backward(loss_layer.backward())
    check_numerical(loss, [(xs, dxs)] + [(p, g.copy()) for p, g in zip(affine.params, affine.grads)])
    with pytest.raises(ValueError, match="ignore_label"):
        loss_layer.forward(affine.forward(xs), np.full((N, T), -1))
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        loss_layer.forward(affine.forward(xs), np.full((N, T), 5))
    loss_layer.backward()
    with pytest.raises(RuntimeError, match="once per"):
        loss_layer.backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weight_tying_matches_torch(dtype):
    """Embedding -> TimeLSTM -> TimeAffine tied to the embedding -> loss; E gets both gradients."""
    rng = np.random.default_rng(9)
    N, T, V, H = 2, 5, 7, 4
    E = rng.normal(size=(V, H)).astype(dtype)
    b = rng.normal(size=V).astype(dtype)
    emb = TimeEmbedding(E)
    lstm = TimeLSTM(*recurrent_params("lstm", H, H, dtype, rng))
    affine = TimeAffine.tied_to(emb, b)
    loss_layer = TimeSoftmaxWithLoss()
    assert len(affine.params) == 1 and np.shares_memory(affine.W, E)
    xs, ts = rng.integers(0, V, size=(N, T)), rng.integers(0, V, size=(N, T))
    loss = loss_layer.forward(affine.forward(lstm.forward(emb.forward(xs))), ts)
    emb.backward(lstm.backward(affine.backward(loss_layer.backward())))
    affine.accumulate_tied_grad()

    Et, bt = torch.tensor(E, requires_grad=True), torch.tensor(b, requires_grad=True)
    module = recurrent_from_scratch(lstm)
    hs, _ = module(torch.nn.functional.embedding(torch.tensor(xs), Et))
    losst = time_softmax_cross_entropy(hs @ Et.T + bt, torch.tensor(ts))
    losst.backward()
    tol = TOL[dtype]
    assert relative_error(loss, losst.item()) < tol
    assert relative_error(emb.grads[0], Et.grad.numpy()) < tol
    assert relative_error(affine.grads[0], bt.grad.numpy()) < tol
    with pytest.raises(RuntimeError, match="tied_to"):
        TimeAffine(E.T.copy(), b).accumulate_tied_grad()


def test_time_dropout_masks_per_element_and_is_identity_in_eval():
    x = np.ones((4, 50, 8), np.float32)
    drop = TimeDropout(0.5, np.random.default_rng(0))
    y = drop.forward(x)
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.4 < np.mean(y == 0) < 0.6
    assert np.array_equal(drop.backward(x), y)             # gradient goes through the same mask
    drop.train = False
    assert drop.forward(x) is x


@pytest.mark.parametrize("stateful", [False, True])
def test_lstm_x_const_equals_concatenating_it_to_every_step(stateful):
    """forward(xs, x_const) == forward([x_const, x_t] for every t) (the peeky decoder), gradients included."""
    rng = np.random.default_rng(7)
    N, T, C, D, H = 3, 4, 5, 2, 6
    Wx, Wh, b = recurrent_params("lstm", C + D, H, np.float64, rng)
    xs, x_const = rng.standard_normal((N, T, D)), rng.standard_normal((N, C))
    dhs = rng.standard_normal((N, T, H))
    ref, lay = TimeLSTM(Wx, Wh, b, stateful), TimeLSTM(Wx, Wh, b, stateful)
    if stateful:
        h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        ref.set_state(h0, c0)
        lay.set_state(h0, c0)
    full = np.concatenate([np.broadcast_to(x_const[:, None], (N, T, C)), xs], axis=2)
    np.testing.assert_allclose(lay.forward(xs, x_const), ref.forward(full), atol=1e-12)
    dfull = ref.backward(dhs)
    np.testing.assert_allclose(lay.backward(dhs), dfull[:, :, C:], atol=1e-12)
    np.testing.assert_allclose(lay.dx_const, dfull[:, :, :C].sum(axis=1), atol=1e-12)
    for g_lay, g_ref in zip(lay.grads, ref.grads):
        np.testing.assert_allclose(g_lay, g_ref, atol=1e-12)
    np.testing.assert_allclose(lay.dh, ref.dh, atol=1e-12)
    with pytest.raises(ValueError, match="x_const"):
        lay.forward(xs, x_const[:2])
