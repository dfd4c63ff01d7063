"""Lesson optimizers: analytic gradients of every surface against central differences, the network
slice, contour lines, the race on both engines (same trajectories), divergence freezing, live
restarts, bounded trajectories, the snapshot's table and checkpoints."""
import math

import numpy as np
import pytest

from lessons.optimizers.lesson import LESSON
from lessons.optimizers.point_optimizers import OPTIMIZERS
from lessons.optimizers.race import RaceData, Trajectory
from lessons.optimizers.surfaces import (SURFACES, contour_segments, make_surface, network_slice)
from visualizer.core.checkpoint import load_checkpoint, save_checkpoint
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.scratch.gradcheck import numerical_gradient, relative_error

FAST: dict = {}


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def build(context=None, **values):
    return LESSON(LESSON.hyperparameters({**FAST, **values}), context)


def only(*names, **values):
    """Values racing only ``names``."""
    return {**{f"use_{n}": n in names for n in OPTIMIZERS}, **values}


def step(lesson):
    """One training step as the session runs it (the next step number, then the flushed metrics)."""
    lesson.train_step(lesson.trainer.last_step + 1)
    return lesson.flush()


def train(lesson, steps):
    return [step(lesson) for _ in range(steps)]


NETWORK_LRS = {"lr_sgd": 0.05, "lr_momentum": 0.01, "lr_nesterov": 0.01, "lr_adagrad": 0.1, "lr_rmsprop": 0.01,
               "lr_adam": 0.02}


# ---- surfaces ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [s for s in SURFACES if s != "network"])
def test_analytic_gradient_matches_central_differences(name):
    surface = make_surface(name, kappa=7.0, rotation_deg=30.0)
    rng = np.random.default_rng(1)
    x0, x1, y0, y1 = surface.extent
    for _ in range(5):
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        f, g = surface.value_and_grad(p)
        assert f == pytest.approx(float(surface.value(p[0], p[1])))
        q = p.copy()
        numeric = numerical_gradient(lambda: float(surface.value(q[0], q[1])), q)
        assert relative_error(g, numeric) < 1e-7, (name, p, g, numeric)
    if surface.minimum is not None:            # the minimum is stationary and has the advertised value
        f, g = surface.value_and_grad(np.array(surface.minimum))
        assert f == pytest.approx(surface.f_min, abs=1e-12)
        assert np.abs(g).max() < 1e-9


def test_network_slice_gradient_grid_and_minimum_near_origin():
    s = network_slice(0)
    for p in (np.array([0.3, -0.2]), np.array([-0.7, 0.5])):
        f, g = s.value_and_grad(p)
        q = p.copy()
        numeric = numerical_gradient(lambda: s.value_and_grad(q)[0], q)
        assert relative_error(g, numeric) < 1e-6
        assert s.value(p[0], p[1]) == pytest.approx(f, rel=1e-12)        # vectorized = pointwise (float64)
    xs, ys, z = s.grid()
    assert z.shape == (len(ys), len(xs))
    r, c = 7, 33
    assert z[r, c] == pytest.approx(s.value_and_grad(np.array([xs[c], ys[r]]))[0], rel=1e-5)   # float32 grid
    r, c = np.unravel_index(np.argmin(z), z.shape)
    assert math.hypot(xs[c], ys[r]) < 0.1                 # θ* is a minimum of the loss: the slice's lowest point
    assert math.hypot(*s.minimum) < 0.1
    assert s.f_min <= z.min() + 1e-6
    assert z.max() > 10 * s.f_min                         # and the slice is not flat
    assert network_slice(0) is s                          # built once per process


def test_contour_segments_of_a_circle_lie_on_the_circle():
    xs = ys = np.linspace(-2.0, 2.0, 81)
    gx, gy = np.meshgrid(xs, ys)
    z = gx ** 2 + gy ** 2
    seg = contour_segments(xs, ys, z, np.array([0.97]))
    assert seg.shape[1] == 2 and len(seg) % 2 == 0 and len(seg) > 100
    r = np.hypot(seg[:, 0], seg[:, 1])
    assert np.abs(r - math.sqrt(0.97)).max() < 0.01
    # marching squares gives a closed curve: every segment end point is shared by another segment
    assert np.allclose(np.sort(np.arctan2(seg[:, 1], seg[:, 0]))[::2], np.sort(np.arctan2(seg[:, 1], seg[:, 0]))[1::2],
                       atol=1e-5)


def test_bad_surface_settings_raise_config_errors():
    with pytest.raises(LessonConfigError, match="Unknown surface"):
        make_surface("himmelblau")
    with pytest.raises(LessonConfigError, match="at least 1"):
        make_surface("bowl", kappa=0.5)
    with pytest.raises(LessonConfigError, match="cpu device"):
        build(device="cuda")


# ---- the race ---------------------------------------------------------------------------------------

def test_numpy_and_torch_engines_give_the_same_trajectories():
    pytest.importorskip("torch")
    cases = [dict(surface="saitoh"),
             dict(surface="rosenbrock", start_x=-1.5, start_y=2.5, lr_sgd=1e-3, lr_momentum=5e-4, lr_nesterov=5e-4,
                  lr_adagrad=0.5, lr_rmsprop=0.01, lr_adam=0.05),
             dict(surface="bowl", kappa=30.0, rotation=20.0, start_x=-3.0, start_y=2.0, lr_sgd=0.09),  # SGD diverges
             dict(surface="network", start_x=-0.8, start_y=0.7, **NETWORK_LRS)]
    for values in cases:
        runs = {}
        for engine in ("numpy", "torch"):
            lesson = build(engine=engine, **values)
            metrics = train(lesson, 80)
            runs[engine] = lesson, metrics
        (a, ma), (b, mb) = runs["numpy"], runs["torch"]
        assert a.trainer.diverged == b.trainer.diverged, values
        for name in OPTIMIZERS:
            ta, tb = a.trainer.trajectories[name].rows(), b.trainer.trajectories[name].rows()
            assert ta.shape == tb.shape
            err = np.abs(ta - tb) / np.maximum(1.0, np.abs(ta))          # absolute, relative for |f| > 1
            assert err.max() < 1e-9, (values["surface"], name, err.max())
        assert ma[-1].keys() == mb[-1].keys()
        for k in ma[-1]:
            assert ma[-1][k] == pytest.approx(mb[-1][k], rel=1e-6, abs=1e-14)
        ga, gb = a.gradient_arrays(), b.gradient_arrays()
        assert ga.keys() == gb.keys() and ga
        assert max(relative_error(ga[k], gb[k]) for k in ga) < 1e-9
    assert runs["numpy"][0].trainer.diverged == {} and set(runs["numpy"][0].trainer.trajectories) == set(OPTIMIZERS)


def test_adam_reaches_the_minimum_of_the_bowl():
    lesson = build(**only("adam", surface="bowl", kappa=10.0, rotation=30.0, start_x=-3.5, start_y=2.0, lr_adam=0.1))
    metrics = train(lesson, 600)
    assert set(metrics[-1]) == {"loss_adam"}
    assert metrics[0]["loss_adam"] > 1.0
    assert metrics[-1]["loss_adam"] < 1e-8
    assert np.abs(lesson.trainer.racers["adam"].position).max() < 1e-3


def test_saitoh_race_sgd_zigzags_and_momentum_goes_further():
    lesson = build(**only("sgd", "momentum"))
    train(lesson, 30)
    sgd = lesson.trainer.trajectories["sgd"].rows()
    y = sgd[:, 2]
    assert np.all(np.sign(y[1:11]) == -np.sign(y[:10]))             # y flips sign every step: the zig-zag
    assert sgd[-1, 1] == pytest.approx(-7.0 * 0.905 ** 30, rel=1e-9)   # x ← (1 − η/10) x
    slow = build(**only("sgd", "momentum", lr_sgd=0.1, lr_momentum=0.1))    # the same η: momentum goes further
    train(slow, 30)
    paths = slow.trainer.trajectories
    assert abs(paths["momentum"].rows()[-1, 1]) < 0.3 * abs(paths["sgd"].rows()[-1, 1])
    tuned = build(**only("momentum", lr_momentum=1.336, momentum=0.4026))      # Polyak's optimal heavy ball
    m = train(tuned, 30)
    assert m[-1]["loss_momentum"] < 1e-6 < train(build(**only("sgd")), 30)[-1]["loss_sgd"]


def test_sgd_with_a_too_large_learning_rate_is_frozen_and_the_race_goes_on():
    context = RecordingContext()
    lesson = build(context, **only("sgd", "adam", lr_sgd=1.2))         # y ← (1 − 2η) y = −1.4 y
    metrics = train(lesson, 200)
    assert all(math.isfinite(v) for m in metrics for v in m.values())
    assert "sgd" in lesson.trainer.diverged
    frozen_at = lesson.trainer.diverged["sgd"]
    assert "loss_sgd" in metrics[frozen_at - 2] and "loss_sgd" not in metrics[frozen_at - 1]
    assert all("loss_sgd" not in m for m in metrics[frozen_at:])
    assert all("loss_adam" in m for m in metrics)                      # the others race on
    assert len(context.notices) == 1 and "SGD diverged" in context.notices[0] and "lr_sgd" in context.notices[0]
    data = lesson.snapshot()["race"]
    assert data.diverged == ("sgd",)
    assert np.all(np.isfinite(data.trajectories["sgd"]))              # frozen at its last finite point
    assert "sgd" not in data.gradients and "adam" in data.gradients
    train(lesson, 5)
    assert len(context.notices) == 1                                   # reported once
    lesson.set_live("lr_sgd", 0.5)                                     # a smaller step restarts the race
    assert lesson.trainer.diverged == {} and "loss_sgd" in step(lesson)


def test_changing_the_start_or_a_learning_rate_restarts_the_race():
    lesson = build()
    train(lesson, 20)
    race = lesson.trainer
    assert all(t.n == 21 for t in race.trajectories.values())
    lesson.set_live("start_x", 3.0)
    for name, t in race.trajectories.items():
        assert t.n == 1 and np.allclose(t.rows()[0, 1:3], (3.0, 2.0)) and t.rows()[0, 0] == 20
        assert np.allclose(race.racers[name].position, (3.0, 2.0))
    lesson.set_live("start_y", -1.5)
    assert np.allclose(lesson.snapshot()["race"].start, (3.0, -1.5))
    train(lesson, 5)
    lesson.set_live("lr_adam", 0.05)
    assert all(t.n == 1 for t in race.trajectories.values())
    assert race.racers["adam"].hyper.lr == 0.05 and lesson.hp["lr_adam"] == 0.05
    lesson.set_live("use_sgd", False)
    assert "sgd" not in race.racers and "loss_sgd" not in step(lesson)
    train(lesson, 3)
    lesson.set_live("show_arrows", False)                              # not a restart
    assert race.trajectories["adam"].n == 5 and lesson.snapshot()["race"].show_arrows is False


def test_a_start_off_the_map_falls_back_to_the_surface_default_with_a_notice():
    context = RecordingContext()
    lesson = build(context, surface="network", start_x=-7.0, start_y=2.0)
    assert np.allclose(lesson.trainer.start, make_surface("network").start)
    assert len(context.notices) == 1 and "outside the map" in context.notices[0]


def test_trajectory_keeps_recent_points_exact_and_stays_bounded():
    t = Trajectory(recent=10, capacity=30)
    for i in range(1000):
        t.append(i, np.array([i, -i], dtype=float), float(i))
        assert t.n <= 30
    rows = t.rows()
    assert rows[0, 0] == 0                                             # the start is kept
    assert np.array_equal(rows[-10:, 0], np.arange(990, 1000))
    assert np.all(np.diff(rows[:, 0]) > 0)


def test_snapshot_race_data_and_its_table():
    lesson = build()
    train(lesson, 7)
    data = lesson.snapshot()["race"]
    assert isinstance(data, RaceData)
    assert data.image.dtype == np.float32 and data.image.ndim == 2
    assert data.contours.shape[1] == 2 and len(data.contours) % 2 == 0
    assert set(data.trajectories) == set(OPTIMIZERS)
    assert all(p.shape == (8, 2) for p in data.trajectories.values())
    assert set(data.scales) == {"adagrad", "rmsprop", "adam"}
    # AdaGrad's scale is η/(√h + ε) with h the sum of squared gradients it has seen
    grads = []
    probe = build(**only("adagrad"))
    for _ in range(7):
        grads.append(probe.trainer.racers["adagrad"].grad.copy())
        step(probe)
    h = np.sum(np.square(grads), axis=0)
    assert np.allclose(data.scales["adagrad"], 1.5 / (np.sqrt(h) + 1e-10))
    header, rows = data.table()
    assert header == ["optimizer", "step", "x", "y", "f"]
    assert len(rows) == 6 * 8
    first = rows[0]
    assert first[:4] == ["sgd", 0, -7.0, 2.0] and first[4] == pytest.approx(49 / 20 + 4)
    assert data.surface_key == lesson.snapshot()["race"].surface_key      # same surface, same key
    assert build().snapshot()["race"].surface_key != data.surface_key       # a rebuild uploads again


def test_checkpoint_round_trip_continues_the_same_race(tmp_path):
    a = build(**only("momentum", "rmsprop", "adam"))
    train(a, 15)
    save_checkpoint(tmp_path / "race.npz", "optimizers", a.checkpoint_state())
    train(a, 10)
    b = build(**only("momentum", "rmsprop", "adam"))
    state, _ = load_checkpoint(tmp_path / "race.npz", "optimizers")
    b.load_checkpoint_state(state)
    train(b, 10)
    for name in a.trainer.racers:
        assert np.allclose(a.trainer.trajectories[name].rows(), b.trainer.trajectories[name].rows(), rtol=0,
                           atol=1e-12)
    c = build(**only("adam"))
    with pytest.raises(LessonConfigError, match="include the same ones"):
        c.load_checkpoint_state(state)
    bad = dict(state, **{"adam.exp_avg": np.zeros(3)})
    with pytest.raises(LessonConfigError, match="adam.exp_avg"):                # check_state names the array
        b.load_checkpoint_state(bad)
    assert np.allclose(b.trainer.trajectories["adam"].rows(), a.trainer.trajectories["adam"].rows())   # unchanged


def test_a_checkpoint_with_a_frozen_racer_loads_and_stays_frozen():
    a = build(**only("sgd", "adam", lr_sgd=1.2))
    train(a, 60)
    assert "sgd" in a.trainer.diverged
    state = a.checkpoint_state()
    b = build(**only("sgd", "adam", lr_sgd=1.2))
    b.load_checkpoint_state(state)
    assert b.trainer.diverged == a.trainer.diverged and "loss_sgd" not in step(b)
