"""Lesson precision_speed: identical starts, float64/float32/float16 agreement, NumPy vs PyTorch, float16
overflow freezing one configuration, every configuration diverging, the table, master weights and
checkpoints."""
import math
import subprocess
import sys

import numpy as np
import pytest

from lessons.precision_speed.lesson import LESSON
from lessons.precision_speed.lockstep import TABLE_COLUMNS
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.core.plotdata import BarsData, TableData


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def build(context=None, **values):
    """A lesson; without ``one_thread`` (which changes process-wide thread limits until close())."""
    return LESSON(LESSON.hyperparameters({"one_thread": False, **values}), context)


def step(lesson):
    """One training step as the session runs it (the next step number, then the flushed metrics)."""
    lesson.n_steps = getattr(lesson, "n_steps", 0) + 1
    lesson.train_step(lesson.n_steps)
    return lesson.flush()


def train(lesson, steps):
    return [step(lesson) for _ in range(steps)]


@pytest.fixture(scope="module")
def with_torch():
    pytest.importorskip("torch")
    lesson = build(torch_cpu=True, torch_cpu_half=True, torch_cuda=True)
    yield lesson
    lesson.close()


def test_configurations_start_from_identical_weights(with_torch):
    lesson = with_torch
    start = {s.config.key: s.run.params64() for s in lesson.trainer.slots if s.run is not None}
    ref = lesson.params64
    for key, params in start.items():
        dtype = {"f64": np.float64, "torch_f64": np.float64, "f32": np.float32, "torch_f32": np.float32,
                 "f16": np.float16, "torch_f16": np.float16}.get(key)
        for p, r in zip(params, ref):
            if dtype is not None:                  # each is the float64 start rounded once to its dtype
                np.testing.assert_array_equal(p, r.astype(dtype).astype(np.float64))
            else:                                  # bfloat16: 8 significant bits
                np.testing.assert_allclose(p, r, rtol=2 ** -8, atol=0)


def test_float32_and_float16_follow_float64():
    lesson = build()
    records = train(lesson, 20)
    f64 = np.array([r["loss_f64"] for r in records])
    f32 = np.array([r["loss_f32"] for r in records])
    f16 = np.array([r["loss_f16"] for r in records])
    assert f64[0] > 2.0 and f64[-1] < f64[0] - 0.3         # it learns
    assert np.max(np.abs(f32 - f64)) < 1e-4
    err16 = np.max(np.abs(f16 - f64))
    assert 1e-4 < err16 < 2e-2                              # close, but clearly less accurate
    digits = dict(zip(["np f64", "np f32", "np f16"], lesson.agreement()))
    assert digits["np f64"] == 16.0
    assert 5.0 < digits["np f32"] < 8.0
    assert 1.0 < digits["np f16"] < 4.0


def test_torch_float64_matches_numpy_and_all_learn(with_torch):
    lesson = with_torch
    records = train(lesson, 30)
    for r in records:
        assert abs(r["loss_torch_f64"] - r["loss_f64"]) < 1e-10
        assert abs(r["loss_torch_f32"] - r["loss_f32"]) < 1e-4
        assert abs(r["loss_torch_f16"] - r["loss_f64"]) < 5e-2
        assert abs(r["loss_torch_bf16"] - r["loss_f64"]) < 1e-1
    acc = lesson.evaluate()
    assert set(acc) == {f"val_acc_{k}" for k in ("f64", "f32", "f16", "torch_f64", "torch_f32", "torch_bf16",
                                                   "torch_f16")} | (
        {"val_acc_cuda_f32", "val_acc_cuda_f16"}
        if any(s.config.device == "cuda" and s.run for s in lesson.trainer.slots) else set())
    assert all(v > 0.5 for v in acc.values())


def test_table_has_a_row_per_selected_configuration(with_torch):
    import torch

    lesson = with_torch
    train(lesson, 3)
    table = lesson.snapshot()["table"]
    assert isinstance(table, TableData)
    assert list(table.col_labels) == list(TABLE_COLUMNS)
    assert table.values.shape == (9, 5)
    labels = list(table.row_labels)
    assert labels[:7] == ["NumPy f64", "NumPy f32", "NumPy f16", "Torch CPU f64", "Torch CPU f32",
                          "Torch CPU bf16", "Torch CPU f16"]
    sps = table.values[:7, 0]
    assert np.all(sps > 0)
    np.testing.assert_allclose(table.values[:7, 1], 1000 / sps, rtol=1e-2)     # 3 significant digits
    assert table.values[0, 4] == pytest.approx(1.0)
    if not torch.cuda.is_available():
        assert labels[7:] == ["Torch CUDA f32 (n/a)", "Torch CUDA f16 (n/a)"]
        assert np.all(np.isnan(table.values[7:]))
        assert not any(k.startswith("loss_cuda") for k in step(lesson))
    else:
        assert np.all(table.values[7:, 0] > 0)


def test_cuda_without_gpu_never_fails():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    ctx = RecordingContext()
    lesson = build(ctx, numpy_f32=False, numpy_f16=False, torch_cuda=True)
    assert any("CUDA is not available" in n for n in ctx.notices)
    assert set(train(lesson, 2)[-1]) == {"loss_f64"}
    assert [s.note for s in lesson.trainer.shown_slots] == ["", "not available", "not available"]


def test_float16_overflow_freezes_only_that_configuration():
    ctx = RecordingContext()
    lesson = build(ctx, loss_scale=65536.0, batch_size=2)
    f16 = next(s for s in lesson.trainer.slots if s.config.key == "f16")
    records = train(lesson, 30)
    assert f16.frozen_at > 0
    n = f16.frozen_at
    assert all("loss_f16" in r for r in records[: n - 1])
    assert all("loss_f16" not in r for r in records[n - 1:])
    assert all(math.isfinite(r["loss_f64"]) and math.isfinite(r["loss_f32"]) for r in records)
    assert [m for m in ctx.notices if "overflowed" in m] == [ctx.notices[-1]]
    assert f"NumPy float16 overflowed at step {n}: values above 65504 become inf" in ctx.notices[-1]
    assert all(np.isfinite(p).all() for p in f16.run.params64())     # the last good weights are kept
    assert "val_acc_f16" not in lesson.evaluate()
    table = lesson.table()
    assert table.row_labels[2] == f"NumPy f16 (stopped @ {n})"
    # the float64 and float32 runs never saw the loss scale
    assert abs(records[-1]["loss_f32"] - records[-1]["loss_f64"]) < 1e-4


def test_loss_scaling_is_exact_for_powers_of_two():
    plain, scaled = build(numpy_f32=False), build(numpy_f32=False, loss_scale=1024.0)
    a, b = train(plain, 10), train(scaled, 10)
    # S = 2^10 and B = 32 scale float16 gradients by a power of two: same numbers unless they under/overflow
    assert [r["loss_f16"] for r in a] == [r["loss_f16"] for r in b]


def test_all_configurations_diverging_returns_nan():
    lesson = build(numpy_f64=False, numpy_f32=False, loss_scale=65536.0, batch_size=1)
    out = step(lesson)
    assert list(out) == ["loss_f16"] and math.isnan(out["loss_f16"])
    assert "65504" in lesson.divergence_hint() and "loss scale" in lesson.divergence_hint()
    assert math.isnan(step(lesson)["loss_f16"])


def test_nothing_selected_is_a_config_error():
    with pytest.raises(LessonConfigError, match="at least one"):
        build(numpy_f64=False, numpy_f32=False, numpy_f16=False)


def test_master_weights_stop_lost_updates():
    lesson = build()
    train(lesson, 100)
    lost = dict(zip(["f64", "f32", "f16"], lesson.snapshot()["lost_updates"].values))
    assert lost["f64"] < 0.1 and lost["f32"] < 1.0 and lost["f16"] > 5.0
    lesson.set_live("master_weights", True)
    train(lesson, 20)
    lesson.evaluate()
    snap = lesson.snapshot()
    lost = dict(zip(["f64", "f32", "f16"], snap["lost_updates"].values))
    assert lost["f16"] < 1.0
    f16 = next(s for s in lesson.trainer.slots if s.config.key == "f16")
    assert f16.run.master is not None and f16.run.master[0].dtype == np.float32
    # the float16 weights are the master weights rounded
    np.testing.assert_array_equal(f16.run.params[0], f16.run.master[0].astype(np.float16))
    assert isinstance(snap["val_acc"], BarsData) and np.all(snap["val_acc"].values > 0.5)


def test_hidden_reference_and_checkpoint_roundtrip():
    lesson = build(numpy_f64=False, hidden_layers=2, hidden_units=32)
    train(lesson, 5)
    assert all("loss_f64" not in r for r in train(lesson, 2))
    assert list(lesson.table().row_labels) == ["NumPy f32", "NumPy f16"]
    state = lesson.checkpoint_state()
    assert set(state) == {f"{k}.{n}{i}" for k in ("f64", "f32", "f16") for n in "Wb" for i in range(3)}
    other = build(numpy_f64=False, hidden_layers=2, hidden_units=32, seed=5)
    other.load_checkpoint_state(state)
    for key, value in other.checkpoint_state().items():
        np.testing.assert_array_equal(value, state[key])
    with pytest.raises(LessonConfigError, match="does not fit this model"):
        build().load_checkpoint_state(state)
    bad = dict(state, **{"f16.W1": np.full((32, 32), np.inf)})
    with pytest.raises(LessonConfigError, match="'f16.W1' contains NaN or infinite"):
        other.load_checkpoint_state(bad)
    for key, value in other.checkpoint_state().items():              # nothing was assigned
        np.testing.assert_array_equal(value, state[key])


def test_model_module_does_not_import_torch():
    code = ("import sys; import lessons.precision_speed as m; "
            "from lessons.precision_speed import lesson, lockstep, net; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_thread_limits_threads_until_close():
    torch = pytest.importorskip("torch")
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    lesson = build(one_thread=True, torch_cpu=True)
    try:
        assert torch.get_num_threads() == 1
        assert all(info["num_threads"] == 1 for info in threadpool_info())
        assert step(lesson)["loss_torch_f32"] > 0
    finally:
        lesson.close()
    assert torch.get_num_threads() == before
