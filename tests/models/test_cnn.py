"""The NumPy CNN against its PyTorch twin (visualizer.models.cnn_torch.TorchCNN) on the same weights: logits,
every parameter gradient and d loss / d x (float32 rtol 1e-4, float64 rtol 1e-7); spec validation messages;
Adam on the digits lowers the loss identically on both engines."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

from visualizer.models.cnn import CNN
from visualizer.scratch.losses import SoftmaxCrossEntropy
from visualizer.scratch.optimizers import make_optimizer
from visualizer.models.cnn_torch import TorchCNN

RTOL = {"float32": 1e-4, "float64": 1e-7}
ATOL = {"float32": 1e-6, "float64": 1e-12}

DIGITS_SPEC = [("conv", 16, 3, 1, 1), ("relu",), ("maxpool", 2), ("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2),
               ("flatten",), ("linear", 64), ("relu",), ("linear", 10)]
SPECS = {
    "digits": DIGITS_SPEC,
    "bn_avg_gap": [("conv", 6, 3, 1, 1), ("batchnorm",), ("tanh",), ("avgpool", 3, 2, 1), ("conv", 8, 3, 2, 1),
                   ("leaky_relu",), ("gap",), ("linear", 12), ("batchnorm",), ("sigmoid",), ("linear", 10)],
}


@pytest.fixture(autouse=True)
def one_thread():
    """One BLAS thread and one torch thread: on a busy 2-core machine, spinning worker threads of OpenBLAS
    and torch make these small products 10 to 100 times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        yield
    torch.set_num_threads(threads)


def digits(n: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).reshape(-1, 1, 8, 8).astype(dtype), y[:n].astype(np.int64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", list(SPECS))
def test_cnn_matches_torch_cnn(spec, dtype):
    model = CNN((1, 8, 8), SPECS[spec], dtype=dtype, seed=3)
    model.need_input_grad = True
    twin = TorchCNN(model)
    x, y = digits(16, dtype)
    loss = SoftmaxCrossEntropy()
    logits = model.forward(x)
    loss.forward(logits, y)
    dx = model.backward(loss.backward())

    xt = torch.tensor(x, requires_grad=True)
    logits_t = twin(xt)
    F.cross_entropy(logits_t, torch.tensor(y)).backward()
    rtol, atol = RTOL[dtype], ATOL[dtype]
    assert logits.dtype == dtype and dx.dtype == dtype
    np.testing.assert_allclose(logits, logits_t.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=rtol, atol=atol)
    grads, grads_t = model.gradient_arrays(), twin.gradient_arrays()
    assert list(grads) == list(grads_t) and len(grads) == len(model.params)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads_t[name], rtol=rtol, atol=atol * 10, err_msg=name)
    state, state_t = model.state(), twin.numpy_state()
    assert list(state) == list(state_t)
    for name in state:                             # BatchNorm running statistics too
        np.testing.assert_allclose(state[name], state_t[name], rtol=rtol, atol=atol, err_msg=name)


def test_cnn_layout_names_and_shapes():
    model = CNN((1, 8, 8), DIGITS_SPEC)
    assert model.names == ["conv0", "relu0", "maxpool0", "conv1", "relu1", "maxpool1", "flatten0", "linear0",
                           "relu2", "linear1"]
    assert model.shapes == [(16, 8, 8), (16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 4, 4), (32, 2, 2), (128,),
                            (64,), (64,), (10,)]
    shapes = {k: v.shape for k, v in model.state().items()}
    assert shapes == {"conv0.W": (16, 1, 3, 3), "conv0.b": (16,), "conv1.W": (32, 16, 3, 3), "conv1.b": (32,),
                      "linear0.W": (128, 64), "linear0.b": (64,), "linear1.W": (64, 10), "linear1.b": (10,)}
    x, _ = digits(5, "float32")
    outs = model.forward_all(x)
    assert [o.shape[1:] for o in outs] == model.shapes and outs[-1].shape == (5, 10)
    assert model.backward(np.ones((5, 10), np.float32)) is None      # need_input_grad is off by default
    assert np.std(model.state()["conv1.W"]) == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)   # He normal
    # the same seed gives the same weights, another seed others
    again, other = CNN((1, 8, 8), DIGITS_SPEC), CNN((1, 8, 8), DIGITS_SPEC, seed=1)
    np.testing.assert_array_equal(again.state()["conv0.W"], model.state()["conv0.W"])
    assert not np.array_equal(other.state()["conv0.W"], model.state()["conv0.W"])


def test_layers_before_batchnorm_have_no_bias():
    model = CNN((3, 6, 6), [("conv", 4, 3), ("batchnorm",), ("relu",), ("flatten",), ("linear", 5), ("batchnorm",),
                            ("linear", 2)])
    assert set(model.state()) == {"conv0.W", "bn0.gamma", "bn0.beta", "bn0.running_mean", "bn0.running_var",
                                  "linear0.W", "bn1.gamma", "bn1.beta", "bn1.running_mean", "bn1.running_var",
                                  "linear1.W", "linear1.b"}


@pytest.mark.parametrize("spec,message", [
    ([("conv", 8, 9)], "layer 0 ('conv', 8, 9) gets input 1×8×8: kernel 9 is larger than the padded input 8"),
    ([("conv", 4, 3), ("maxpool", 2), ("conv", 4, 5), ("flatten",), ("linear", 2)],
     "layer 2 ('conv', 4, 5) gets input 4×3×3: kernel 5 is larger than the padded input 3"),
    ([("flatten",), ("conv", 3, 3)], "put it before ('flatten',)"),
    ([("linear", 3)], "put ('flatten',) or ('gap',) before it"),
    ([("conv", 4, 3)], "the last layer must produce logits (N, K)"),
    ([("conv", 4)], "conv takes (filters, kernel [, stride, pad]), got 1 argument"),
    ([("conv", 4, 3, 0), ("flatten",), ("linear", 2)], "stride must be at least 1"),
    ([("conv", 4, 3, 1, -1), ("flatten",), ("linear", 2)], "padding must be 0 or more"),
    ([("conv", 4.5, 3), ("flatten",), ("linear", 2)], "filters must be a whole number"),
    ([("pool", 2)], "unknown kind 'pool'"),
    ([("flatten",), ("dropout", 1.0), ("linear", 2)], "dropout probability must be at least 0 and below 1"),
    ([], "at least one layer"),
])
def test_spec_validation_messages(spec, message):
    with pytest.raises(ValueError) as err:
        CNN((1, 8, 8), spec)
    assert message in str(err.value)


def test_forward_rejects_images_of_another_shape():
    model = CNN((1, 8, 8), DIGITS_SPEC)
    with pytest.raises(ValueError, match=r"takes images \(N, 1, 8, 8\), got shape \(2, 64\)"):
        model.forward(np.zeros((2, 64)))


def test_adam_on_digits_lowers_the_loss_identically_on_both_engines():
    x, y = digits(400, "float32")
    model = CNN((1, 8, 8), DIGITS_SPEC, seed=0)
    twin = TorchCNN(model)
    opt = make_optimizer("adam", model.params, model.grads, lr=3e-3)
    opt_t = torch.optim.Adam(twin.parameters(), lr=3e-3)
    loss_fn = SoftmaxCrossEntropy()
    rng = np.random.default_rng(0)
    losses, losses_t = [], []
    with torch.random.fork_rng():
        for _ in range(25):
            idx = rng.choice(len(x), 64, replace=False)
            losses.append(loss_fn.forward(model.forward(x[idx]), y[idx]))
            model.backward(loss_fn.backward())
            opt.step()
            opt_t.zero_grad()
            loss_t = F.cross_entropy(twin(torch.tensor(x[idx])), torch.tensor(y[idx]))
            loss_t.backward()
            opt_t.step()
            losses_t.append(loss_t.item())
    np.testing.assert_allclose(losses, losses_t, atol=1e-5)
    assert losses[-1] < 0.6 * losses[0]
    for name, w in model.state().items():
        np.testing.assert_allclose(w, twin.numpy_state()[name], atol=1e-5, err_msg=name)
