"""Lesson deep_nets: vanishing gradients in a plain sigmoid net and their cure by residual connections,
batch normalization and initialization; both engines identical; ResidualBlock and the Inception module
checked against numerical gradients and PyTorch autograd; snapshots; bad settings."""
import numpy as np
import pytest
import torch

from lessons.deep_nets.lesson import LESSON
from lessons.deep_nets.inception import (
    BRANCHES,
    InceptionConfig,
    InceptionDemo,
    InceptionModule,
    he_conv_weights,
)
from lessons.deep_nets.net import DeepNetConfig, NumpyDeepNet
from lessons.deep_nets.residual import ResidualBlock
from visualizer.core.hyperparams import HyperparameterError
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData
from visualizer.scratch.gradcheck import numerical_gradient, relative_error
from visualizer.scratch.layers import BatchNorm1d, Sigmoid, Tanh

RESNET = {"residual": True, "batchnorm": True, "activation": "relu", "init": "he"}


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Small tensors: one intra-op thread is faster, and the test machine's cores are shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def build(**values):
    return LESSON(LESSON.hyperparameters(values))


def train_step(lesson):
    """The session's way: the next step number, then that step's metrics."""
    lesson.train_step(lesson.step + 1)
    return lesson.flush()


def grad_ratio(lesson) -> float:
    """‖∂L/∂W₁‖ / ‖∂L/∂W_L‖ at the last recorded step."""
    norms = lesson.snapshot()["grad_bars"].values
    return float(norms[0] / norms[-1])


# ---- the lesson's claims ---------------------------------------------------------------------------
def test_plain_sigmoid_gradient_vanishes_and_residual_keeps_it():
    plain = build(depth=20)
    residual = build(depth=20, residual=True)
    assert plain.config.depth == residual.config.depth == 20
    assert len(plain.model.net.linears) == len(residual.model.net.linears) == 20
    r_plain, r_res = grad_ratio(plain), grad_ratio(residual)       # at initialization (step-0 probe)
    assert r_plain < 1e-8                                           # measured ~1e-12: 19 factors of σ' ≤ 1/4
    assert r_res > 1e-2                                             # measured ~0.1
    for _ in range(20):
        train_step(plain), train_step(residual)
    assert grad_ratio(plain) < 1e-6 and grad_ratio(residual) > 1e-2


def test_resnet_recipe_learns_and_plain_sigmoid_does_not():
    good, bad = build(**RESNET), build()
    for _ in range(200):
        train_step(good)
        m = train_step(bad)
    assert good.evaluate()["val_acc"] > 0.9                         # measured 0.97 after 300 steps
    assert bad.evaluate()["val_acc"] < 0.2 and m["train_loss"] > 2.2   # stuck at chance, loss ≈ log 10


def test_twin_trains_plain_and_residual_on_the_same_batches():
    twin = build(residual=True, train_twin=True, seed=5)
    plain = build(residual=False, seed=5)
    residual = build(residual=True, seed=5)
    for _ in range(15):
        m = train_step(twin)
        p, r = train_step(plain), train_step(residual)
        assert m["loss_plain"] == p["train_loss"] == p["loss_plain"]
        assert m["loss_residual"] == m["train_loss"] == r["train_loss"]
    assert "loss_residual" not in p and "loss_plain" not in r


def test_saitoh_initialization_experiment_histograms():
    """σ = 1 sigmoid saturates (mass at 0 and 1), σ = 0.01 collapses to 0.5, Xavier spreads out."""
    def shares(init):
        h = build(init=init).snapshot()["activations"]
        assert isinstance(h, ImageData) and h.image.shape == (41, 19)
        assert h.extent[2] > 0 and h.extent[3] < 1                   # bin centres inside (0, 1)
        return 10.0 ** h.image.astype(np.float64)                     # (bins, layers) shares (floored)
    big, small, xav = shares("std_1"), shares("std_0.01"), shares("xavier")
    edges = big[[0, 1, -2, -1]].sum(axis=0)
    assert edges[1:].min() > 0.25                                    # layers 2..19: ≥ 25 % in the 4 edge bins
    assert np.all(np.argmax(small[:, 1:], axis=0) == 20)             # layers 2..19 peak in the bin of 0.5
    assert small[20, 1:].min() > 0.6                                 # ... which holds most values (~75 %)
    assert xav[:, 1:].max(axis=0).max() < 0.3 and (xav[:, 5] > 0.01).sum() > 8   # Xavier: spread out


# ---- engines ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings", [{**RESNET, "depth": 10}, {"depth": 7, "residual": True, "activation": "tanh"}])
def test_engines_agree(settings):
    a = build(engine="numpy", seed=2, **settings)
    b = build(engine="torch", seed=2, **settings)
    ga, gb = a.gradient_arrays(), b.gradient_arrays()                # the step-0 probe
    assert set(ga) == set(gb)
    for _ in range(15):
        ma, mb = train_step(a), train_step(b)
        assert ma["train_acc"] == mb["train_acc"]
        np.testing.assert_allclose(mb["train_loss"], ma["train_loss"], rtol=1e-4)
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert set(ga) == set(gb) and all(v.dtype == np.float64 for v in ga.values())
    for k in ga:
        assert ga[k].shape == gb[k].shape
        assert relative_error(ga[k], gb[k]) < 1e-3, k
    np.testing.assert_allclose(a.evaluate()["val_loss"], b.evaluate()["val_loss"], rtol=1e-4)
    sa, sb = a.snapshot(), b.snapshot()
    np.testing.assert_allclose(sa["grad_bars"].values, sb["grad_bars"].values, rtol=1e-3)
    for ha, hb in zip(a.model.activations(a.probe_x), b.model.activations(b.probe_x)):
        np.testing.assert_allclose(hb, ha, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sa["inception"].images, sb["inception"].images, atol=1e-5)


def test_probes_leave_batchnorm_running_statistics_alone():
    a = build(**RESNET)
    before = {k: v.copy() for k, v in a.checkpoint_state().items()}
    a.snapshot()
    a.model.probe_gradients(a.data.x_train[:8], a.data.y_train[:8])
    after = a.checkpoint_state()
    for k, v in before.items():
        np.testing.assert_array_equal(v, after[k])


# ---- the residual block ------------------------------------------------------------------------------
def make_block(dtype, batchnorm=True, seed=0, d=5):
    rng = np.random.default_rng(seed)
    W1, W2 = (rng.normal(0, 0.6, (d, d)).astype(dtype) for _ in range(2))
    b2 = rng.normal(0, 0.1, d).astype(dtype)
    b1 = None if batchnorm else rng.normal(0, 0.1, d).astype(dtype)
    bn = BatchNorm1d(rng.uniform(0.5, 1.5, d).astype(dtype), rng.normal(0, 0.1, d).astype(dtype)) if batchnorm else None
    return ResidualBlock(W1, b1, W2, b2, Sigmoid() if batchnorm else Tanh(), bn)


@pytest.mark.parametrize("batchnorm", [True, False])
def test_residual_block_numerical_gradients(batchnorm):
    block = make_block(np.float64, batchnorm)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 5))
    c = rng.normal(size=(6, 5))                                      # L = Σ c ⊙ y
    loss = lambda: float(np.sum(c * block.forward(x)))
    loss()
    dx = block.backward(c)
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert len(block.params) == (5 if batchnorm else 4)
    for p, g in zip(block.params, block.grads):
        loss()
        block.backward(c)
        analytic = g.copy()
        assert relative_error(analytic, numerical_gradient(loss, p)) < 1e-7


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-4), (np.float64, 1e-7)])
def test_residual_block_matches_torch_autograd(dtype, tol):
    block = make_block(dtype, batchnorm=True, seed=3)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 5)).astype(dtype)
    c = rng.normal(size=(7, 5)).astype(dtype)
    y = block.forward(x)
    dx = block.backward(c)
    W1, gamma, beta, W2, b2 = (torch.tensor(p, requires_grad=True) for p in block.params)
    xt = torch.tensor(x, requires_grad=True)
    h = torch.nn.functional.batch_norm(xt @ W1, None, None, gamma, beta, training=True, eps=1e-5)
    yt = xt + torch.sigmoid(h) @ W2 + b2
    (yt * torch.tensor(c)).sum().backward()
    assert relative_error(y, yt.detach().numpy()) < tol
    assert relative_error(dx, xt.grad.numpy()) < tol
    for g, t in zip(block.grads, (W1, gamma, beta, W2, b2)):
        assert relative_error(g, t.grad.numpy()) < tol


def test_residual_block_rejects_non_square_weights():
    with pytest.raises(ValueError, match="square"):
        ResidualBlock(np.zeros((3, 4)), np.zeros(4), np.zeros((4, 3)), np.zeros(3), None)


def test_odd_depth_residual_has_two_stem_layers_and_every_layer_counted():
    cfg = DeepNetConfig(64, 16, 21, 10, residual=True)
    assert (cfg.n_stem, cfg.n_blocks) == (2, 9)
    net = NumpyDeepNet(cfg).net
    assert len(net.linears) == 21 and len(net.blocks) == 9
    lesson = build(depth=21, residual=True, width=16)
    train_step(lesson)
    snap = lesson.snapshot()
    assert len(snap["grad_bars"].values) == 21 and snap["grad_heatmap"].image.shape[0] == 21
    assert snap["activations"].image.shape[1] == 2 + 9


# ---- Inception -----------------------------------------------------------------------------------------
def test_inception_branch_shapes_concatenation_and_torch_twin():
    demo = InceptionDemo(seed=0)
    img = np.random.default_rng(0).random((8, 8)).astype(np.float32)
    stem, branches, concat = demo.run(img)
    assert stem.shape == (8, 8, 8)
    assert [b.shape for b in branches] == [(4, 8, 8), (6, 8, 8), (4, 8, 8), (4, 8, 8)]
    assert concat.shape == (18, 8, 8) == (InceptionConfig().out_channels, 8, 8)
    np.testing.assert_array_equal(concat, np.concatenate(branches))
    t_stem, t_branches, t_concat = demo.run(img, engine="torch")
    np.testing.assert_allclose(t_stem, stem, atol=1e-5)
    for a, b in zip(branches, t_branches):
        np.testing.assert_allclose(b, a, atol=1e-5)
    np.testing.assert_allclose(t_concat, concat, atol=1e-5)


def test_inception_module_backward_matches_autograd():
    cfg = InceptionConfig(in_channels=1, stem=3, c1=2, r3=2, c3=2, r5=2, c5=2, cp=2)
    w = he_conv_weights(cfg, np.random.default_rng(0), "float64")
    for k in list(w):
        if k.endswith(".b"):
            w[k] += 0.1                                              # keep ReLUs alive
    module = InceptionModule(w)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 6, 6))
    c = rng.normal(size=(2, 8, 6, 6))
    module.forward(x)
    dx = module.backward(c)
    F = torch.nn.functional
    t = {k: torch.tensor(v, requires_grad=True) for k, v in w.items()}
    xt = torch.tensor(x, requires_grad=True)

    def conv(name, h):
        return F.relu(F.conv2d(h, t[f"{name}.W"], t[f"{name}.b"], padding=t[f"{name}.W"].shape[2] // 2))
    out = torch.cat([conv("b1", xt), conv("b2", conv("b2_reduce", xt)), conv("b3", conv("b3_reduce", xt)),
                     conv("b4", F.max_pool2d(xt, 3, stride=1, padding=1))], dim=1)
    (out * torch.tensor(c)).sum().backward()
    assert relative_error(dx, xt.grad.numpy()) < 1e-10
    names = ["b1.W", "b1.b", "b2_reduce.W", "b2_reduce.b", "b2.W", "b2.b", "b3_reduce.W", "b3_reduce.b",
             "b3.W", "b3.b", "b4.W", "b4.b"]
    for g, name in zip(module.grads, names):
        assert relative_error(g, t[name].grad.numpy()) < 1e-10, name


def test_inception_view_grid():
    lesson = build(inception_image=7)
    grid = lesson.snapshot()["inception"]
    assert isinstance(grid, ImageGridData) and grid.images.shape == (20, 8, 8) and grid.ncols == 4
    assert grid.captions[2] == "concat: 4+6+4+4=18 ch"
    assert [grid.captions[4 + 4 * i] for i in range(4)] == [f"{b} #1" for b in BRANCHES]
    np.testing.assert_allclose(grid.images[0], lesson.data.x_val[7].reshape(8, 8))
    assert np.nanmax(grid.images[4:]) <= 1.0 + 1e-6
    lesson.set_live("inception_image", 8)
    np.testing.assert_allclose(lesson.snapshot()["inception"].images[0], lesson.data.x_val[8].reshape(8, 8))


# ---- views and bad input --------------------------------------------------------------------------------
def test_snapshot_plots_and_heatmap_history():
    lesson = build(depth=6, width=16)
    snap = lesson.snapshot()
    assert set(snap) == {p.id for p in LESSON.plots if p.kind != "curves"}
    for _ in range(10):
        train_step(lesson)
    snap = lesson.snapshot()
    bars, heat = snap["grad_bars"], snap["grad_heatmap"]
    assert isinstance(bars, BarsData) and list(bars.labels) == ["1", "2", "3", "4", "5", "6"]
    np.testing.assert_allclose(bars.values, [np.linalg.norm(g) for g in
                                             (lesson.gradient_arrays()[f"layer{l}.W"] for l in range(1, 7))],
                               rtol=1e-6)
    assert heat.image.shape == (6, 11) and heat.extent == (0.0, 10.0, 1.0, 6.0)   # steps 0..10
    np.testing.assert_allclose(heat.image[:, -1], np.log10(bars.values), rtol=1e-5)
    lo, hi = heat.levels
    assert lo == int(lo) and hi == int(hi) and lo <= heat.image.min() and heat.image.max() <= hi


def test_bad_settings():
    with pytest.raises(HyperparameterError, match="outside the range"):
        LESSON.hyperparameters({"depth": 41})
    with pytest.raises(HyperparameterError):
        LESSON.hyperparameters({"init": "zeros"})
    with pytest.raises(LessonConfigError, match="at least 2 images"):
        build(batchnorm=True, batch_size=1)
    lesson = build(batchnorm=True, depth=4)
    with pytest.raises(LessonConfigError, match="at least 2 images"):
        lesson.set_live("batch_size", 1)
    assert lesson.hp["batch_size"] == 64
    train_step(build(batchnorm=False, batch_size=1))                 # fine without BN
    with pytest.raises(LessonConfigError, match="does not fit"):
        lesson.load_checkpoint_state(build(depth=5).checkpoint_state())


def test_checkpoint_round_trip_and_divergence_hint():
    a = build(depth=6, batchnorm=True)
    for _ in range(5):
        train_step(a)
    b = build(depth=6, batchnorm=True, seed=9)
    b.load_checkpoint_state(a.checkpoint_state())
    x, y = a.data.x_val, a.data.y_val
    assert b.model.evaluate(x, y) == a.model.evaluate(x, y)
    assert b.model.evaluate(x, y) != build(depth=6, batchnorm=True, seed=9).model.evaluate(x, y)
    assert "N(0, 1)" in build(depth=4, init="std_1", activation="relu").divergence_hint()
