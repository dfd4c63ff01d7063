"""Lesson mlp_digits: training on both engines, plot snapshots, histograms, live parameters,
checkpoints, and MNIST loading through the real download path (loopback server) with its offline fallback."""
import re
import time

import numpy as np
import pytest

from lessons.mlp_digits.lesson import LESSON
from tests.core.test_data_download import fake_mnist, serve_folder, unreachable_url
from visualizer.core.checkpoint import load_checkpoint, save_checkpoint
from visualizer.data import mnist
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.core.plotdata import ImageData, ImageGridData, MatrixData
from visualizer.core.session import TrainingSession

NON_CURVE = {p.id: p.kind for p in LESSON.plots if p.kind != "curves"}


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices, self.progress_calls = [], []

    def notice(self, message):
        self.notices.append(message)

    def progress(self, message, fraction=None):
        self.progress_calls.append((message, fraction))


def build(**values):
    return LESSON(LESSON.hyperparameters(values))


def train_step(lesson):
    """The session's way: one step with the next step number, then the metrics of that step."""
    lesson.train_step(lesson.step + 1)
    return lesson.flush()


def train(lesson, steps):
    for _ in range(steps):
        train_step(lesson)


@pytest.fixture(scope="module")
def trained():
    """A numpy lesson after 300 steps (shared by the read-only snapshot tests)."""
    lesson = build(seed=0)
    train(lesson, 300)
    return lesson


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_trains_above_90_percent_in_300_steps(engine):
    lesson = build(engine=engine, seed=2)
    metrics = [train_step(lesson) for _ in range(300)]
    assert set(metrics[0]) == {"train_loss", "train_acc"}
    assert all(isinstance(v, float) for m in metrics for v in m.values())
    assert metrics[0]["train_loss"] > 1.5                               # starts near log 10
    val = lesson.evaluate()
    assert set(val) == {"val_loss", "val_acc"}
    assert val["val_acc"] > 0.90 and val["val_loss"] < 0.5


def test_same_seed_same_curve_and_engines_agree():
    a, b = build(seed=3), build(seed=3)
    la = [train_step(a)["train_loss"] for _ in range(40)]
    lb = [train_step(b)["train_loss"] for _ in range(40)]
    assert la == lb
    t = build(seed=3, engine="torch")
    lt = [train_step(t)["train_loss"] for _ in range(40)]
    np.testing.assert_allclose(lt, la, rtol=1e-4, atol=1e-5)
    c = build(seed=4)
    assert [train_step(c)["train_loss"] for _ in range(3)] != la[:3]


def test_epoch_and_evaluation_schedule():
    lesson = build(batch_size=32)
    assert lesson.steps_per_epoch == int(np.ceil(len(lesson.data.y_train) / 32)) == 45
    assert lesson.eval_every == 11                                       # ~ a quarter epoch
    seen = np.concatenate([lesson.next_indices() for _ in range(lesson.steps_per_epoch)])
    assert sorted(seen) == list(range(len(lesson.data.y_train)))        # each image once per epoch
    lesson.set_live("batch_size", 128)
    assert lesson.steps_per_epoch == 12 and lesson.eval_every == 3
    assert len(lesson.next_indices()) == 128


def test_snapshot_has_every_non_curve_plot_with_right_shapes(trained):
    snap = trained.snapshot()
    assert set(snap) == set(NON_CURVE)
    n_val = len(trained.data.y_val)
    assert n_val == 360

    conf = snap["confusion"]
    assert isinstance(conf, MatrixData) and conf.values.shape == (10, 10)
    assert conf.values.sum() == n_val
    np.testing.assert_array_equal(conf.values.sum(axis=1), np.bincount(trained.data.y_val, minlength=10))
    pred = trained.model.predict_proba(trained.data.x_val).argmax(axis=1)
    assert np.trace(conf.values) == np.sum(pred == trained.data.y_val)
    assert list(conf.row_labels) == [str(d) for d in range(10)] and conf.row_title == "true"

    w = snap["weights"]
    assert isinstance(w, ImageGridData) and w.images.shape == (64, 8, 8) and w.images.dtype == np.float32
    lo, hi = w.levels
    assert lo == -hi and hi == pytest.approx(np.abs(w.images).max())
    np.testing.assert_allclose(w.images[5], trained.model.weights()[0][:, 5].reshape(8, 8), rtol=1e-6)

    for name in ("weight_hist", "grad_hist"):
        h = snap[name]
        assert isinstance(h, ImageData) and h.image.ndim == 2 and h.image.shape[0] == 48
        assert h.extent[2] == -h.extent[3] and h.extent[0] < h.extent[1]
        assert np.all(h.image >= 0) and h.image.max() > 0
    assert snap["weight_hist"].image.shape[1] == len(trained.weight_hist) > 100


def test_misclassified_images_and_captions(trained):
    snap = trained.snapshot()["misclassified"]
    pred = trained.model.predict_proba(trained.data.x_val).argmax(axis=1)
    wrong = np.flatnonzero(pred != trained.data.y_val)
    assert len(wrong) > 0
    n = min(24, len(wrong))
    assert snap.images.shape == (n, 8, 8) and len(snap.captions) == n
    for k, i in enumerate(wrong[:n]):
        assert snap.captions[k] == f"pred {pred[i]} / true {trained.data.y_val[i]}"
        np.testing.assert_array_equal(snap.images[k], trained.data.x_val[i].reshape(8, 8))
    m = re.fullmatch(r"pred (\d) / true (\d)", snap.captions[0])
    assert m and m.group(1) != m.group(2)


def test_untrained_snapshot_caps_misclassified_at_24_and_histograms_exist():
    lesson = build(hidden_units=16)
    snap = lesson.snapshot()
    assert snap["misclassified"].images.shape == (24, 8, 8)
    assert snap["weights"].images.shape == (16, 8, 8)
    assert snap["grad_hist"].image.shape == (48, 1) and not snap["grad_hist"].image.any()
    assert snap["weight_hist"].image.max() > 0                          # initial weights recorded at step 0


def test_lesson_histograms_stay_bounded():
    lesson = build(batch_size=8)
    train(lesson, 700)
    assert len(lesson.weight_hist) <= 200 and len(lesson.grad_hist) <= 200
    assert lesson.weight_hist.stride >= 4
    assert lesson.grad_hist.steps[-1] > 600


def test_live_parameters_reach_the_model():
    ctx = RecordingContext()
    lesson = LESSON(LESSON.hyperparameters({"optimizer": "momentum", "hidden_layers": 2}), ctx)
    lesson.set_live("lr", 0.05)
    lesson.set_live("momentum", 0.5)
    assert lesson.model.opt.lr == 0.05 and lesson.model.opt.momentum == 0.5
    lesson.set_live("l2", 0.001)
    assert lesson.model.l2 == 0.001
    train_step(lesson)
    lesson.set_live("histogram_layer", 2)
    assert lesson.hist_layer == 2 and len(lesson.grad_hist) == 0
    lesson.set_live("histogram_layer", 4)                                # only 3 weight layers
    assert lesson.hist_layer == 3 and "3 weight layers" in ctx.notices[-1]
    train_step(lesson)
    w = lesson.snapshot()["weight_hist"]
    assert "layer 3" in w.y_label


def test_checkpoint_round_trip(tmp_path):
    lesson = build(seed=1, batchnorm=True)
    train(lesson, 150)
    path = tmp_path / "digits.npz"
    save_checkpoint(path, LESSON.info.id, lesson.checkpoint_state())
    state, _ = load_checkpoint(path, LESSON.info.id)
    fresh = build(seed=7, batchnorm=True)
    before = fresh.evaluate()
    fresh.load_checkpoint_state(state)
    np.testing.assert_array_equal(fresh.model.predict_proba(fresh.data.x_val),
                                  lesson.model.predict_proba(fresh.data.x_val))
    assert fresh.evaluate()["val_acc"] > before["val_acc"]
    with pytest.raises(LessonConfigError, match="other layer sizes"):
        build(hidden_units=32, batchnorm=True).load_checkpoint_state(state)


def test_float64_and_torch_float64_build():
    lesson = build(dtype="float64", activation="tanh", init="xavier", dropout=0.2)
    assert lesson.data.x_train.dtype == np.float64
    train(lesson, 20)
    assert np.isfinite(lesson.evaluate()["val_loss"])


def test_offline_mnist_falls_back_to_digits_with_notice(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    offline = mnist.IdxSource("MNIST", "mnist", (unreachable_url(),), mnist.SOURCES["mnist"].files, mnist.DIGIT_NAMES)
    monkeypatch.setitem(mnist.SOURCES, "mnist", offline)
    ctx = RecordingContext()
    lesson = LESSON(LESSON.hyperparameters({"dataset": "mnist"}), ctx)
    assert len(ctx.notices) == 1
    notice = ctx.notices[0]
    assert notice.startswith("Could not download MNIST (could not connect to 127.0.0.1")
    assert notice.endswith("using the embedded 8×8 digits instead.")
    assert lesson.data.image_shape == (8, 8) and lesson.data.n_features == 64
    train(lesson, 5)
    assert lesson.snapshot()["weights"].images.shape[1:] == (8, 8)


def test_mnist_and_fashion_from_a_local_server(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    site = tmp_path / "site"
    site.mkdir()
    files = fake_mnist(site, n_train=400, n_test=100)
    with serve_folder(site) as (url, requested):
        for key in ("mnist", "fashion_mnist"):
            source = mnist.SOURCES[key]
            monkeypatch.setitem(mnist.SOURCES, key, mnist.IdxSource(source.title, source.folder, (url,), files,
                                                                    source.class_names))
        ctx = RecordingContext()
        lesson = LESSON(LESSON.hyperparameters({"dataset": "mnist", "max_train": 1000, "hidden_units": 32}), ctx)
        assert not ctx.notices
        assert lesson.data.x_train.shape == (400, 784) and lesson.data.x_val.shape == (100, 784)
        assert any(f == 1.0 for _, f in ctx.progress_calls)
        assert len(requested) == 4
        train(lesson, 100)
        assert lesson.evaluate()["val_acc"] > 0.9                        # the bright-row classes are easy
        snap = lesson.snapshot()
        assert snap["weights"].images.shape == (32, 28, 28)
        assert snap["confusion"].values.sum() == 100

        fashion = LESSON(LESSON.hyperparameters({"dataset": "fashion_mnist", "max_train": 1000}), RecordingContext())
        assert len(requested) == 8                                       # its own cache folder
        caps = fashion.snapshot()["misclassified"].captions
        assert caps and all(re.fullmatch(r"pred .+ / true .+", c) for c in caps)
        assert any(name in caps[0] for name in mnist.FASHION_NAMES)
        assert list(fashion.snapshot()["confusion"].row_labels) == list(mnist.FASHION_NAMES)


def test_session_runs_the_lesson_and_publishes_plots():
    session = TrainingSession(LESSON, {"seed": 0})
    try:
        assert session.wait_idle(60)
        session.step(120)
        assert session.wait_idle(60)
        steps, values = session.history.series("val_acc")
        assert len(steps) >= 10 and values[-1] > 0.8
        snap = session.snapshot_now()
        assert set(NON_CURVE) <= set(snap.plots)
        assert [e.kind for e in session.drain_events()][:1] == ["built"]
    finally:
        assert session.stop(2.0)


def test_narrative_refers_to_real_params_and_plots():
    names = {s.name for s in LESSON.all_params()}
    plots = {p.id for p in LESSON.plots}
    assert 4 <= len(LESSON.narrative) <= 7
    for step in LESSON.narrative:
        assert set(step.set_params) <= names, step.title
        assert set(step.plots or ()) <= plots, step.title
        hp = LESSON.hyperparameters(step.set_params)                    # values pass validation
        assert hp is not None


def test_bad_device_is_a_config_error():
    try:
        import torch
        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
    except ImportError:
        pass
    with pytest.raises(LessonConfigError):
        build(engine="torch", device="cuda")


def test_build_is_quick():
    t0 = time.perf_counter()
    build()
    assert time.perf_counter() - t0 < 5
