"""The classifier facade and its kit trainer: the NumPy and PyTorch engines agree step for step; seeds
reproduce; bad input gives LessonConfigError; model states move between engines; trainer checkpoints
carry the optimizer state."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from visualizer.models.classifier import MLPConfig, build_classifier
from visualizer.core.lesson import LessonConfigError


def blobs(n_classes: int, n: int = 120, d: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tiny separable-ish data: (n, d) float32 features, (n,) int64 labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    centers = rng.normal(scale=2.0, size=(n_classes, d))
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y.astype(np.int64)


def train_step(clf, x, y, step=1):
    """One update through the classifier's trainer: {"loss", "acc"} of the batch and the L1 + L2
    "penalty" of the weights it started from."""
    penalty = clf.penalty()
    clf.trainer.step((x, y), step)
    m = clf.trainer.flush()
    return {"loss": m["train_loss"], "acc": m["train_acc"], "penalty": penalty}


def run(clf, x, y, steps=20, batch=16, seed=0, changes=None):
    rng = np.random.default_rng(seed)
    out = []
    for step in range(steps):
        if changes and step in changes:
            clf.trainer.set_hyper(**changes[step])
        idx = rng.choice(len(x), size=batch, replace=False)
        out.append(train_step(clf, x[idx], y[idx], step + 1))
    return out


CASES = [
    dict(optimizer="adam", hidden=(16, 8), n_classes=4, l2=1e-2, changes={10: {"lr": 3e-3}}),
    dict(optimizer="momentum", hidden=(12,), n_classes=3, l1=1e-3, l2=1e-3,
         changes={5: {"momentum": 0.5, "lr": 0.02}, 12: {"momentum": 0.0}, 15: {"momentum": 0.9}}),
    dict(optimizer="nesterov", hidden=(8, 8), n_classes=2, activation="tanh", batchnorm=True, l2=1e-3),
    dict(optimizer="rmsprop", hidden=(10,), n_classes=2, activation="sigmoid", init="xavier", l1=1e-3),
    dict(optimizer="adagrad", hidden=(), n_classes=3, changes={8: {"l2": 0.1, "l1": 0.01}}),
    dict(optimizer="sgd", hidden=(8, 6, 4), n_classes=5, activation="leaky_relu", batchnorm=True),
    dict(optimizer="adam", hidden=(16, 16), n_classes=3, dropout=0.4),       # the same masks on both engines
]


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-4), ("float64", 1e-9)])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["optimizer"] + ("-dropout" if c.get("dropout") else ""))
def test_numpy_and_torch_agree_over_20_steps(case, dtype, rtol):
    case = dict(case)
    changes = case.pop("changes", None)
    opt_kw = {k: case.pop(k) for k in ("optimizer", "l1", "l2") if k in case}
    config = MLPConfig(n_inputs=6, dtype=dtype, seed=3, **case)
    x, y = blobs(config.n_classes)
    lr = 0.05 if opt_kw["optimizer"] in ("sgd", "momentum", "nesterov") else 1e-2
    a = build_classifier(config, "numpy", lr=lr, **opt_kw)
    b = build_classifier(config, "torch", lr=lr, **opt_kw)
    ra, rb = run(a, x, y, changes=changes), run(b, x, y, changes=changes)
    for step, (sa, sb) in enumerate(zip(ra, rb)):
        # TorchTrainer's metric window sums in float32 (the kit's choice), so a float64 loss agrees to 1e-7
        assert sa["loss"] == pytest.approx(sb["loss"], rel=max(rtol, 1e-7), abs=1e-12), f"loss at step {step}"
        assert sa["penalty"] == pytest.approx(sb["penalty"], rel=rtol, abs=1e-12), f"penalty at step {step}"
        assert sa["acc"] == sb["acc"], f"acc at step {step}"       # a count / N: exactly equal
    assert ra[-1]["loss"] < ra[0]["loss"]          # it learns
    np.testing.assert_allclose(a.grad_norms(), b.grad_norms(), rtol=rtol * 10)
    ea, eb = a.evaluate(x, y), b.evaluate(x, y)
    assert ea["loss"] == pytest.approx(eb["loss"], rel=rtol * 10)
    assert ea["acc"] == eb["acc"]
    np.testing.assert_allclose(a.predict_proba(x), b.predict_proba(x), rtol=rtol * 10, atol=rtol * 1e-2)
    for wa, wb in zip(a.weights() + a.biases() + a.weight_grads(), b.weights() + b.biases() + b.weight_grads()):
        np.testing.assert_allclose(wa, wb, rtol=rtol * 100, atol=rtol * 1e-2)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_outputs_shapes_and_dtypes(engine):
    config = MLPConfig(n_inputs=6, hidden=(5, 4), n_classes=2, batchnorm=True)
    x, y = blobs(2)
    clf = build_classifier(config, engine)
    assert clf.engine == engine and clf.device == "cpu"
    assert [g.shape for g in clf.weight_grads()] == [(6, 5), (5, 4), (4, 1)]
    assert clf.grad_norms() == [0.0, 0.0, 0.0]
    clf.trainer.step((x[:8], y[:8]), 1)
    result = clf.trainer.flush()
    assert set(result) == {"train_loss", "train_acc"} and all(type(v) is float for v in result.values())
    p = clf.predict_proba(x)
    assert p.shape == (120, 2) and p.dtype == np.float64
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    hidden = clf.hidden_outputs(x[:7])
    assert [h.shape for h in hidden] == [(7, 5), (7, 4), (7, 1)]
    assert all(h.dtype == np.float64 for h in hidden)
    np.testing.assert_allclose(hidden[-1][:, 0], p[:7, 1])
    assert [w.shape for w in clf.weights()] == [(6, 5), (5, 4), (4, 1)]
    assert [b.shape for b in clf.biases()] == [(5,), (4,), (1,)]
    assert all(n > 0 for n in clf.grad_norms())
    multi = build_classifier(MLPConfig(6, (3,), 4), engine)
    assert [h.shape for h in multi.hidden_outputs(x[:2])] == [(2, 3), (2, 4)]
    assert multi.predict_proba(x[:2]).shape == (2, 4)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_same_seed_same_curve_including_dropout(engine):
    config = MLPConfig(n_inputs=6, hidden=(16,), n_classes=3, dropout=0.3, seed=11)
    x, y = blobs(3)
    first = run(build_classifier(config, engine, lr=0.01), x, y, steps=10)
    again = run(build_classifier(config, engine, lr=0.01), x, y, steps=10)
    other = run(build_classifier(MLPConfig(6, (16,), 3, dropout=0.3, seed=12), engine, lr=0.01), x, y, steps=10)
    assert first == again
    assert first != other


@pytest.mark.parametrize("src,dst", [("numpy", "torch"), ("torch", "numpy")])
def test_model_state_moves_between_engines(src, dst):
    config = MLPConfig(n_inputs=6, hidden=(8, 5), n_classes=3, batchnorm=True, seed=1)
    x, y = blobs(3)
    a = build_classifier(config, src, lr=0.02)
    run(a, x, y, steps=15)
    b = build_classifier(MLPConfig(6, (8, 5), 3, batchnorm=True, seed=2), dst)
    assert not np.allclose(a.predict_proba(x), b.predict_proba(x))
    state = a.model_state()
    assert {"linear0.W", "bn0.running_mean", "bn1.running_var", "linear2.b"} <= set(state)
    assert "linear0.b" not in state                # no bias before BatchNorm
    b.load_model_state(state)
    np.testing.assert_allclose(a.predict_proba(x), b.predict_proba(x), rtol=1e-5, atol=1e-6)
    state["linear0.W"][...] = 0                    # a copy: the model is not touched
    assert np.abs(a.weights()[0]).sum() > 0


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_load_model_state_rejects_mismatches_and_keeps_model(engine):
    clf = build_classifier(MLPConfig(6, (8,), 3), engine)
    good = clf.model_state()
    before = clf.weights()
    wrong_shape = dict(good, **{"linear1.W": np.zeros((8, 4), dtype=np.float32)})
    with pytest.raises(LessonConfigError, match=r"'linear1.W' has shape \(8, 4\); this model needs \(8, 3\)"):
        clf.load_model_state(wrong_shape)
    with pytest.raises(LessonConfigError, match="lacks 'linear1.b'"):
        clf.load_model_state({k: v for k, v in good.items() if k != "linear1.b"})
    with pytest.raises(LessonConfigError, match="does not: 'bn0.gamma'"):
        clf.load_model_state(dict(good, **{"bn0.gamma": np.ones(8)}))
    bad = dict(good)
    bad["linear0.b"] = np.full(8, np.nan, dtype=np.float32)
    with pytest.raises(LessonConfigError, match="NaN"):
        clf.load_model_state(bad)
    for w0, w1 in zip(before, clf.weights()):
        np.testing.assert_array_equal(w0, w1)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_trainer_checkpoint_restores_weights_and_optimizer_state(engine, optimizer):
    config = MLPConfig(6, (8,), 3, batchnorm=True, seed=5)
    x, y = blobs(3)
    a = build_classifier(config, engine, optimizer=optimizer, lr=0.02)
    run(a, x, y, steps=5)
    state = a.trainer.state_dict()
    assert any(k.startswith("opt.") for k in state)              # the optimizer's moments travel too
    b = build_classifier(config, engine, optimizer=optimizer, lr=0.02)
    b.trainer.load_state_dict(state)                              # into a fresh (never stepped) model
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))
    assert run(a, x, y, steps=3, seed=1) == run(b, x, y, steps=3, seed=1)
    with pytest.raises(LessonConfigError):
        build_classifier(MLPConfig(6, (9,), 3, batchnorm=True), engine, optimizer=optimizer).trainer.load_state_dict(state)


@pytest.mark.parametrize("kwargs,message", [
    (dict(config=MLPConfig(6, (8,), 1)), "at least 2 classes"),
    (dict(config=MLPConfig(0, (8,), 3)), "at least one input"),
    (dict(config=MLPConfig(6, (8, 0), 3)), "at least one neuron"),
    (dict(config=MLPConfig(6, (8,), 3, activation="gelu")), "Unknown activation"),
    (dict(config=MLPConfig(6, (8,), 3, init="orthogonal")), "Unknown initialisation"),
    (dict(config=MLPConfig(6, (8,), 3, dropout=1.0)), "Dropout probability"),
    (dict(config=MLPConfig(6, (8,), 3, dtype="float16")), "Unknown dtype"),
    (dict(config=MLPConfig(6, (8,), 3, seed=-1)), "seed"),
    (dict(optimizer="lbfgs"), "Unknown optimizer"),
    (dict(lr=0.0), "learning rate must be positive"),
    (dict(lr=float("inf")), "finite"),
    (dict(momentum=1.0), "Momentum"),
    (dict(optimizer="nesterov", momentum=0.0), "Nesterov"),
    (dict(l2=-1.0), "L2 strength"),
    (dict(engine="jax"), "Unknown engine"),
    (dict(device="tpu"), "Unknown device"),
])
def test_bad_configs_raise_lesson_config_error(kwargs, message):
    kwargs.setdefault("config", MLPConfig(6, (8,), 3))
    with pytest.raises(LessonConfigError, match=message):
        build_classifier(**kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_raises():
    with pytest.raises(LessonConfigError, match="CUDA"):
        build_classifier(MLPConfig(6, (8,), 3), "torch", device="cuda")


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_bad_batches_and_hypers_raise(engine):
    clf = build_classifier(MLPConfig(6, (8,), 3), engine)
    x, y = blobs(3)
    with pytest.raises(LessonConfigError, match=r"shape \(N, 6\)"):
        train_step(clf, x[:, :5], y)
    with pytest.raises(LessonConfigError, match="0..2"):
        train_step(clf, x, np.where(y == 0, 3, y))
    with pytest.raises(LessonConfigError, match="whole numbers"):
        clf.evaluate(x, y.astype(float))
    with pytest.raises(LessonConfigError, match=r"labels must have shape \(120,\)"):
        train_step(clf, x, y[:5])
    with pytest.raises(LessonConfigError, match="must be numbers"):
        clf.predict_proba([["a"] * 6])
    with pytest.raises(LessonConfigError, match="learning rate"):
        clf.trainer.set_hyper(lr=-1)
    with pytest.raises(LessonConfigError, match="cannot change"):
        clf.trainer.set_hyper(beta1=0.5)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_batchnorm_single_sample_batch_is_a_config_error(engine):
    clf = build_classifier(MLPConfig(6, (8,), 3, batchnorm=True), engine)
    x, y = blobs(3)
    with pytest.raises(LessonConfigError, match="at least 2 samples"):
        train_step(clf, x[:1], y[:1])
    assert clf.predict_proba(x[:1]).shape == (1, 3)   # evaluation uses running statistics: fine


def test_diverging_learning_rate_gives_non_finite_loss_without_crashing():
    x, y = blobs(3)
    x = x * 1e3
    clf = build_classifier(MLPConfig(6, (8,), 3), "numpy", optimizer="sgd", lr=1e6)
    losses = [r["loss"] for r in run(clf, x, y, steps=10)]
    assert not np.isfinite(losses[-1]) or losses[-1] > 1e3


def test_numpy_engine_does_not_import_torch():
    code = ("import sys, numpy as np\n"
            "from visualizer.models.classifier import MLPConfig, build_classifier\n"
            "c = build_classifier(MLPConfig(2, (3,), 2))\n"
            "c.trainer.step((np.zeros((4, 2)), np.array([0, 1, 0, 1])), 1)\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
