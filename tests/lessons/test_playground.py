"""The playground lesson on both engines: training, engine agreement, snapshots, live changes, bad
settings, checkpoints and a run through the training session.  No Qt, tiny data, few steps."""
import numpy as np
import pytest

from lessons.playground.lesson import LESSON
from lessons.playground.maps import GRID, NODE_GRID
from visualizer.core.export import export_tables
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import ImageData, NetworkData
from visualizer.core.session import TrainingSession

ENGINES = ["numpy", "torch"]


def build(**values):
    return LESSON(LESSON.hyperparameters(values))


def train_step(lesson):
    """The session's way: the next step number (counted here, per lesson), then that step's metrics."""
    lesson.steps_run = getattr(lesson, "steps_run", 0) + 1
    lesson.train_step(lesson.steps_run)
    return lesson.flush()


def train(lesson, steps):
    return [train_step(lesson) for _ in range(steps)]


def steps_to_reach(lesson, acc, max_steps, every=25):
    """Training steps until test accuracy >= acc (checked every ``every`` steps), or None."""
    for step in range(every, max_steps + 1, every):
        train(lesson, every)
        if lesson.evaluate()["val_acc"] >= acc:
            return step
    return None


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("setting", [
    {"hidden_layers": 0, "x1_times_x2": True},
    {"hidden_layers": 1, "neurons_1": 8},
], ids=["x1x2-feature", "one-hidden-layer"])
def test_xor_is_learned_in_a_few_hundred_steps(engine, setting):
    lesson = build(dataset="xor", n_points=300, engine=engine, **setting)
    assert steps_to_reach(lesson, 0.95, 300) is not None, lesson.evaluate()


def test_xor_without_hidden_layer_or_feature_stays_near_chance_loss():
    lesson = build(dataset="xor", n_points=300, hidden_layers=0)
    train(lesson, 300)
    ev = lesson.evaluate()
    assert ev["val_loss"] > 0.6 and ev["val_acc"] < 0.85


def test_engines_agree_step_by_step():
    values = dict(dataset="spiral", n_classes=3, n_points=150, hidden_layers=2, neurons_1=6, neurons_2=5,
                  activation="tanh", optimizer="adam", lr=0.01, batch_size=8, seed=3,
                  regularization="L2", reg_rate=0.001)
    runs = {e: train(build(engine=e, **values), 60) for e in ENGINES}
    for key in ("train_loss", "grad_norm_1", "grad_norm_3"):
        a = np.array([m[key] for m in runs["numpy"]])
        b = np.array([m[key] for m in runs["torch"]])
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6, err_msg=key)


def test_binary_engines_agree_with_sgd():
    values = dict(dataset="circle", n_points=120, optimizer="sgd", lr=0.1, seed=5)
    a = np.array([m["train_loss"] for m in train(build(engine="numpy", **values), 50)])
    b = np.array([m["train_loss"] for m in train(build(engine="torch", **values), 50)])
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)


def test_same_seed_same_curve_other_seed_other_curve():
    a = [m["train_loss"] for m in train(build(dataset="moons", seed=4), 30)]
    b = [m["train_loss"] for m in train(build(dataset="moons", seed=4), 30)]
    c = [m["train_loss"] for m in train(build(dataset="moons", seed=5), 30)]
    assert a == b and a != c


def test_train_step_metrics_and_grad_norm_per_layer():
    lesson = build(hidden_layers=6, neurons_1=3, neurons_2=4, neurons_3=5, neurons_4=6, neurons_5=7, neurons_6=8)
    m = train_step(lesson)
    assert set(m) == {"train_loss", "train_acc"} | {f"grad_norm_{k}" for k in range(1, 8)}
    assert all(isinstance(v, float) and np.isfinite(v) for v in m.values())
    ev = lesson.evaluate()
    assert set(ev) == {"val_loss", "val_acc", "train_loss_full", "train_acc_full"}
    # the series the curve plots draw are exactly what the lesson records
    curves = {s for p in LESSON.plots if p.kind == "curves" for s in p.series}
    assert curves == set(m) | set(ev)


def test_epoch_visits_every_training_point_once():
    lesson = build(n_points=103, train_percent=50, batch_size=10)
    n_train = len(lesson.y_train)
    assert lesson.steps_per_epoch == -(-n_train // 10)
    seen = np.concatenate([lesson.next_indices() for _ in range(lesson.steps_per_epoch)])
    assert sorted(seen) == list(range(n_train))


def test_binary_snapshot_shapes_and_meaning():
    lesson = build(dataset="circle", n_points=200, hidden_layers=2, neurons_1=5, neurons_2=3,
                   x1_squared=True, sin_x2=True)
    train(lesson, 50)
    snap = lesson.snapshot()
    assert set(snap) == {p.id for p in LESSON.plots if p.kind != "curves"}
    dec = snap["decision"]
    assert isinstance(dec, ImageData) and dec.image.shape == (GRID, GRID) and dec.image.dtype == np.float32
    assert dec.levels == (0.0, 1.0) and 0.0 <= dec.image.min() and dec.image.max() <= 1.0
    x0, x1, y0, y1 = dec.extent
    assert x0 <= -6 and x1 >= 6 and y0 <= -6 and y1 >= 6
    # row 0 is the bottom (y = y0): the pixel at (row r, col c) is P(class 1) at (x_c, y_r)
    r, c = 10, 65
    xy = np.array([[x0 + c * (x1 - x0) / (GRID - 1), y0 + r * (y1 - y0) / (GRID - 1)]])
    from lessons.playground import data as datasets
    feats = lesson.standardize(datasets.feature_matrix(xy, lesson.feature_names))
    assert dec.image[r, c] == pytest.approx(lesson.model.predict_proba(feats)[0, 1], abs=1e-5)
    ov = dec.overlay
    assert ov.points.shape == (200, 2) and ov.labels.shape == (200,)
    assert set(ov.groups) == {"train", "test"} and (ov.groups == "train").sum() == 100
    net = snap["network"]
    assert isinstance(net, NetworkData)
    assert list(net.layer_sizes) == [4, 5, 3, 1]
    assert [w.shape for w in net.weights] == [(4, 5), (5, 3), (3, 1)]
    assert [m.shape for m in net.node_images] == [(4, NODE_GRID, NODE_GRID), (5, NODE_GRID, NODE_GRID),
                                                 (3, NODE_GRID, NODE_GRID), (1, NODE_GRID, NODE_GRID)]
    assert all(np.abs(m).max() <= 1.0 + 1e-6 for m in net.node_images)
    assert [len(n) for n in net.node_labels] == [4, 5, 3, 1]
    assert list(net.node_labels[0]) == ["x₁", "x₂", "x₁²", "sin x₂"]
    # the output node shows 2p - 1 of the decision map, subsampled
    sub = np.round(np.linspace(0, GRID - 1, NODE_GRID)).astype(int)
    np.testing.assert_allclose(net.node_images[-1][0], 2 * dec.image[np.ix_(sub, sub)] - 1, atol=1e-5)
    # snapshots are copies: training further does not change them
    before = net.weights[0].copy()
    train(lesson, 5)
    np.testing.assert_array_equal(net.weights[0], before)
    for plot in snap.values():
        header, rows = plot.table()
        assert header and rows


@pytest.mark.parametrize("engine", ENGINES)
def test_multiclass_snapshot_encodes_class_and_confidence(engine):
    lesson = build(dataset="gaussians", n_classes=4, n_points=200, hidden_layers=1, neurons_1=6, engine=engine)
    train(lesson, 100)
    snap = lesson.snapshot()
    dec = snap["decision"]
    assert dec.levels == (0.0, 4.0) and dec.image.shape == (GRID, GRID)
    proba = lesson.model.predict_proba(lesson.grid_x)                      # (G², 4)
    pred = np.floor(dec.image).astype(int).ravel()
    np.testing.assert_array_equal(pred, proba.argmax(axis=1))
    conf = (dec.image.ravel() - pred - 0.05) / 0.9
    np.testing.assert_allclose(conf, (proba.max(axis=1) - 0.25) / 0.75, atol=1e-4)
    net = snap["network"]
    assert list(net.layer_sizes) == [2, 6, 4] and net.node_images[-1].shape == (4, NODE_GRID, NODE_GRID)
    assert lesson.evaluate()["val_acc"] > 0.9


def test_snapshot_is_cheap():
    import time
    lesson = build(hidden_layers=6, **{f"neurons_{k}": 16 for k in range(1, 7)})
    lesson.snapshot()
    t0 = time.perf_counter()
    for _ in range(5):
        lesson.snapshot()
    assert (time.perf_counter() - t0) / 5 < 0.05          # measured about 3 ms on the 2-core machine


@pytest.mark.parametrize("engine", ENGINES)
def test_live_learning_rate_applies_at_the_next_step(engine):
    a, b = build(engine=engine, optimizer="adam", lr=0.03), build(engine=engine, optimizer="adam", lr=0.03)
    train(a, 5)
    train(b, 5)
    w_a, w_b = a.model.weights()[0], b.model.weights()[0]
    a.set_live("lr", 0.0003)
    assert a.hp["lr"] == 0.0003
    train_step(a)
    train_step(b)
    step_a = np.abs(a.model.weights()[0] - w_a).max()
    step_b = np.abs(b.model.weights()[0] - w_b).max()
    assert step_a == pytest.approx(step_b / 100, rel=0.05)   # Adam's step scales with the rate


def test_live_l1_shrinks_weights_and_batch_size_changes_batches():
    base = dict(dataset="circle", hidden_layers=1, neurons_1=8, x1_squared=True, x2_squared=True,
                sin_x1=True, sin_x2=True)
    plain, sparse = build(**base), build(**base)
    sparse.set_live("regularization", "L1")
    sparse.set_live("reg_rate", 0.01)
    train(plain, 400)
    train(sparse, 400)
    def small(lesson):
        return np.mean(np.abs(np.concatenate([w.ravel() for w in lesson.model.weights()])) < 0.01)
    assert small(sparse) > 0.5 > small(plain)
    plain.set_live("batch_size", 3)
    assert len(plain.next_indices()) <= 3 and plain.steps_per_epoch == -(-len(plain.y_train) // 3)


def test_bad_settings_raise_config_errors(tmp_path):
    with pytest.raises(LessonConfigError, match="no file is chosen"):
        build(dataset="csv")
    with pytest.raises(LessonConfigError, match="No input feature"):
        build(x1=False, x2=False)
    bad = tmp_path / "mine.csv"
    bad.write_text("x1,x2,label\n1,2,0\n3,oops,1\n5,6,1\n7,8,0\n")
    with pytest.raises(LessonConfigError, match=r"mine.csv, line 3, column 2 \(x2\)"):
        build(dataset="csv", csv_path=str(bad))
    with pytest.raises(LessonConfigError, match="does not exist"):
        build(dataset="csv", csv_path=str(tmp_path / "gone.csv"))


def test_csv_lesson_trains_and_maps_labels(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-3, 3, (60, 2))
    labels = np.where(pts[:, 0] > 0, 7, -1)
    path = tmp_path / "pts.csv"
    path.write_text("".join(f"{x:.4f},{y:.4f},{l}\n" for (x, y), l in zip(pts, labels)))
    notices = []

    class Ctx:
        def notice(self, message):
            notices.append(message)

        def progress(self, message, fraction=None):
            pass

    lesson = LESSON(LESSON.hyperparameters({"dataset": "csv", "csv_path": str(path), "hidden_layers": 0}), Ctx())
    assert lesson.data.class_names == ("-1", "7") and len(lesson.data) == 60
    assert any("60 points" in n for n in notices)
    assert steps_to_reach(lesson, 0.9, 300) is not None
    dec = lesson.snapshot()["decision"]
    assert dec.extent[0] < pts[:, 0].min() and dec.extent[1] > pts[:, 0].max()


def test_two_class_set_with_classes_setting_gives_a_notice():
    notices = []

    class Ctx:
        def notice(self, message):
            notices.append(message)

        def progress(self, message, fraction=None):
            pass

    lesson = LESSON(LESSON.hyperparameters({"dataset": "xor", "n_classes": 4}), Ctx())
    assert lesson.n_classes == 2 and "two classes" in notices[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_checkpoint_round_trip_and_mismatch(engine):
    a = build(engine=engine, hidden_layers=2, seed=1)
    train(a, 40)
    state = a.checkpoint_state()
    b = build(engine=engine, hidden_layers=2, seed=2)
    b.load_checkpoint_state(state)
    np.testing.assert_allclose(b.model.predict_proba(a.x_test), a.model.predict_proba(a.x_test), atol=1e-6)
    other = build(engine=engine, hidden_layers=1)
    with pytest.raises(LessonConfigError, match="does not fit this model"):
        other.load_checkpoint_state(state)


def test_session_runs_the_lesson_and_exports(tmp_path):
    session = TrainingSession(LESSON, {"dataset": "xor", "n_points": 100, "hidden_layers": 1, "neurons_1": 4})
    try:
        assert session.wait_idle(10)
        assert session.set_param("lr", 0.01) is False
        session.step(60)
        assert session.wait_idle(30)
        assert session.step_count == 60 and session.applied["lr"] == 0.01
        assert [c.name for c in session.history.changes()] == ["lr"]
        steps, values = session.history.series("val_acc")
        assert len(steps) >= 2 and np.isfinite(values).all()
        snap = session.snapshot_now()
        assert {"decision", "network"} <= set(snap.plots)
        assert session.set_param("hidden_layers", 2) is True
        export_tables(session, tmp_path)
        assert (tmp_path / "run.json").exists()
        assert len(list(tmp_path.glob("*.csv"))) == len(LESSON.plots)
        events = [e.kind for e in session.drain_events()]
        assert "error" not in events and "config_error" not in events
    finally:
        assert session.stop(2.0)


def test_session_pauses_when_the_rate_diverges():
    session = TrainingSession(LESSON, {"dataset": "circle", "activation": "leaky_relu", "optimizer": "sgd",
                                       "lr": 10.0})
    try:
        session.step(200)
        assert session.wait_idle(30)
        diverged = [e for e in session.drain_events() if e.kind == "diverged"]
        assert diverged and "learning rate (10)" in diverged[0].message
        assert session.step_count < 200
    finally:
        assert session.stop(2.0)


def test_lesson_module_imports_neither_qt_nor_torch():
    import subprocess
    import sys
    code = ("import sys, lessons.playground; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph', 'superqt')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr


def test_cuda_without_a_gpu_is_a_config_error():
    import torch
    if torch.cuda.is_available():
        lesson = build(engine="torch", device="cuda", dataset="xor", n_points=100)
        assert np.isfinite(train_step(lesson)["train_loss"])
    else:
        with pytest.raises(LessonConfigError):
            build(engine="torch", device="cuda")
