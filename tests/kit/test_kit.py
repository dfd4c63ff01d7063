"""The lesson kit: both tiny example lessons train through the session; the trainers' metric windows, live
settings, atomic checkpoints, phases and capture hooks behave as documented."""
import numpy as np
import pytest
import torch

from tests.kit.tiny_numpy_lesson import TinyNumpyLesson
from tests.kit.tiny_torch_lesson import TinyTorchLesson
from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.session import TrainingSession
from visualizer.core.trainer import MetricWindow


@pytest.mark.parametrize("cls", [TinyNumpyLesson, TinyTorchLesson])
def test_tiny_lessons_learn_through_the_session(cls):
    s = TrainingSession(cls, {"seed": 1}, snapshots=False)
    try:
        assert s.wait_idle(60)
        s.step(60)
        assert s.wait_idle(60)
        assert s.step_count == 60
        x, loss = s.history.series("train_loss")
        assert len(x) == 60 and x[-1] == 60                   # flushed after every step on the CPU
        assert np.mean(loss[-10:]) < 0.5 * loss[0]
        assert s.history.last()["train_acc"] > 0.8
        s.set_param("lr", 0.01)
        s.step(1)
        assert s.wait_idle(30)
        assert s.lesson.hp["lr"] == 0.01
    finally:
        s.stop()


def test_metric_window_means_and_resets():
    w = MetricWindow()
    assert w.flush() == {}
    w.add({"a": 1.0, "b": 2.0})
    w.add({"a": 3.0})
    assert w.flush() == {"a": 2.0, "b": 2.0}
    assert w.flush() == {}


def test_torch_trainer_flush_is_the_mean_of_the_window_and_one_step_is_exact():
    lesson = TinyTorchLesson(TinyTorchLesson.hyperparameters({"seed": 0}))
    values = []
    for step in (1, 2, 3):
        lesson.train_step(step)
        values.append(lesson.flush()["train_loss"])
    for step in (4, 5, 6):
        lesson.train_step(step)
    mean3 = lesson.flush()["train_loss"]
    twin = TinyTorchLesson(TinyTorchLesson.hyperparameters({"seed": 0}))
    singles = []
    for step in range(1, 7):
        twin.train_step(step)
        singles.append(twin.flush()["train_loss"])
    assert values == singles[:3]
    assert mean3 == pytest.approx(np.mean(singles[3:]), rel=1e-6)


def test_device_side_sums_give_the_host_means():
    """The GPU path (metrics summed on the device, one copy per flush) exercised on the CPU."""
    host = TinyTorchLesson(TinyTorchLesson.hyperparameters({"seed": 2}))
    dev = TinyTorchLesson(TinyTorchLesson.hyperparameters({"seed": 2}))
    dev.trainer.device_metrics = True
    for step in range(1, 6):
        host.train_step(step)
        dev.train_step(step)
    assert set(dev.trainer._sums) == {"train_loss", "train_acc"} and not host.trainer._sums
    a, b = host.flush(), dev.flush()
    assert a.keys() == b.keys() and all(b[k] == pytest.approx(a[k], rel=1e-6) for k in a)
    assert dev.flush() == {} and not dev.trainer._sums


@pytest.mark.parametrize("cls", [TinyNumpyLesson, TinyTorchLesson])
def test_checkpoint_round_trip_and_a_bad_one_changes_nothing(cls):
    a = cls(cls.hyperparameters({"seed": 0}))
    for step in range(1, 6):
        a.train_step(step)
    state = a.checkpoint_state()
    b = cls(cls.hyperparameters({"seed": 5}))
    b.train_step(1)
    before = b.checkpoint_state()
    bad = dict(state)
    last = sorted(k for k in bad if not k.startswith("opt."))[-1]
    bad[last] = np.full_like(bad[last], np.nan)
    with pytest.raises(LessonConfigError, match="NaN"):
        b.load_checkpoint_state(bad)
    assert all(np.array_equal(v, b.checkpoint_state()[k]) for k, v in before.items())   # atomic
    b.load_checkpoint_state(state)
    after = b.checkpoint_state()
    assert set(after) == set(state) and all(np.array_equal(after[k], state[k]) for k in state)


def test_check_state_names_the_array():
    ref = {"W": np.zeros((2, 3), np.float32), "n": np.zeros(2, np.int64)}
    with pytest.raises(LessonConfigError, match="'W'.*shape"):
        check_state(ref, {"W": np.zeros((3, 2)), "n": np.zeros(2, np.int64)})
    with pytest.raises(LessonConfigError, match="lacks 'n'"):
        check_state(ref, {"W": np.zeros((2, 3))})
    with pytest.raises(LessonConfigError, match="not numbers"):
        check_state(ref, {"W": np.array([["a"] * 3] * 2), "n": np.zeros(2, np.int64)})
    with pytest.raises(LessonConfigError, match="floats where"):
        check_state(ref, {"W": np.zeros((2, 3)), "n": np.zeros(2)})
    out = check_state(ref, {"W": np.ones((2, 3)), "n": np.ones(2, np.int64)})
    assert out["W"].dtype == np.float32


def test_phases_step_each_optimizer_and_every_k():
    from visualizer.torch_backend.trainer import Phase, TorchTrainer
    torch.manual_seed(0)
    g, d = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    calls = []

    def phase(name):
        def fn(batch, step):
            calls.append((name, step))
            net = g if name == "g" else d
            return {f"loss_{name}": net(torch.ones(4, 2)).pow(2).mean()}
        return fn

    t = TorchTrainer({"G": g, "D": d}, {"d": lambda m: torch.optim.SGD(m["D"].parameters(), 0.1),
                                         "g": lambda m: torch.optim.SGD(m["G"].parameters(), 0.1)},
                     phases=[Phase(phase("d"), "loss_d", "d"), Phase(phase("g"), "loss_g", "g", every=2)])
    for step in (1, 2, 3, 4):
        t.step(None, step)
    assert calls == [("d", 1), ("d", 2), ("g", 2), ("d", 3), ("d", 4), ("g", 4)]
    m = t.flush()
    assert set(m) == {"loss_d", "loss_g"}
    assert set(t.gradient_arrays()) == {"G.weight", "G.bias", "D.weight", "D.bias"}
    t.close()


def test_capture_records_only_when_asked_and_latest_wins():
    from visualizer.torch_backend.capture import Capture
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU())
    acts = Capture({"conv": net[0]})
    grads = Capture({"conv": net[0]}, kind="gradient")
    x = torch.randn(2, 1, 64, 64, requires_grad=True)
    net(x).sum().backward()
    assert acts.latest() == {} and grads.latest() == {}
    acts.request()
    grads.request()
    net(x).sum().backward()
    a, gr = acts.latest()["conv"], grads.latest()["conv"]
    assert a.shape == (4, 32, 32) and gr.shape == (4, 32, 32)       # first item, pooled to 32 on the device
    expected = torch.nn.functional.adaptive_avg_pool2d(net[0](x)[:1], 32)[0].detach().numpy()
    np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-6)
    acts.remove()
    grads.remove()
    assert not net[0]._forward_hooks and not net[0]._backward_hooks


def test_tiny_example_lessons_stay_tiny():
    from pathlib import Path
    for name in ("tiny_numpy_lesson.py", "tiny_torch_lesson.py"):
        assert len((Path(__file__).parent / name).read_text().splitlines()) < 60


def test_adam_state_is_checkpointed_and_resumes_the_same_trajectory():
    from visualizer.torch_backend.trainer import TorchTrainer

    def make(seed):
        torch.manual_seed(seed)
        net = torch.nn.Linear(3, 1)
        x = torch.randn(8, 3, generator=torch.Generator().manual_seed(9))
        return TorchTrainer(net, lambda m: torch.optim.Adam(m["model"].parameters(), 0.05),
                            losses=lambda b, s: {"train_loss": net(x).pow(2).mean()})

    a, b = make(0), make(1)
    for step in (1, 2, 3):
        a.step(None, step)
    state = a.state_dict()
    assert {"opt.main.0.exp_avg", "opt.main.0.exp_avg_sq", "opt.main.0.step"} <= set(state)
    b.load_state_dict(state)                    # b's Adam has no state yet: it gets a's
    a.step(None, 4)
    b.step(None, 4)
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])
