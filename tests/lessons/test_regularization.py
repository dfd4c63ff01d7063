"""Lesson regularization: the baseline overfits, each cure changes what it should (weight norm, sparsity,
gap), early stopping restores the best weights, both engines agree with every toggle on (same dropout
masks), snapshots, and bad settings.  NumPy engine unless stated; a few hundred steps per run."""
import numpy as np
import pytest

from lessons.regularization.lesson import LESSON
from lessons.regularization.lesson import SPARSE_EPS
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.core.plotdata import ImageData, TableData
from visualizer.core.session import TrainingSession

STEPS = 300                      # 50 epochs of 6 batches of 32 out of 200 images


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices, self.pauses = [], []

    def notice(self, message):
        self.notices.append(message)

    def request_pause(self, message):
        self.pauses.append(message)


def build(context=None, **values):
    return LESSON(LESSON.hyperparameters(values), context)


def train_step(lesson, step):
    """The session's way: one step with its number, then the metrics of that step."""
    lesson.train_step(step)
    return lesson.flush()


def run(lesson, steps):
    """Train like the session does (evaluate once per epoch); returns the last evaluation."""
    last = None
    for step in range(1, steps + 1):
        train_step(lesson, step)
        if step % lesson.eval_every == 0:
            last = lesson.evaluate()
    return last


@pytest.fixture(scope="module")
def baseline():
    lesson = build(seed=0)
    return lesson, run(lesson, STEPS)


def test_data_split_and_schedule():
    lesson = build(train_size=200, batch_size=32)
    assert lesson.data.x_train.shape == (200, 64) and lesson.data.x_val.shape == (1597, 64)
    assert np.bincount(lesson.data.y_train, minlength=10).min() >= 19          # stratified
    assert lesson.steps_per_epoch == lesson.eval_every == 6                    # full batches only
    seen = np.concatenate([lesson.next_indices() for _ in range(6)])
    assert len(set(seen.tolist())) == 192
    assert build(train_size=137).data.y_train.shape == (137,)


def test_baseline_overfits(baseline):
    lesson, m = baseline
    train_acc = m["val_acc"] + m["gap_acc"]
    assert train_acc >= 0.99
    assert m["val_acc"] <= train_acc - 0.05 and m["val_acc"] > 0.8
    assert m["gap_loss"] > 0.25                                               # val loss far above train loss
    assert m["val_loss"] > lesson.best_eval["val_loss"] + 0.02               # it passed its minimum


def test_l2_shrinks_the_weights_and_l1_makes_them_sparse(baseline):
    base = baseline[1]
    l2 = run(build(seed=0, l2=0.01), STEPS)
    assert l2["weight_norm"] < 0.65 * base["weight_norm"]
    assert l2["gap_loss"] < base["gap_loss"]
    l1 = run(build(seed=0, l1=0.001), 300)
    assert base["sparsity"] < 0.1 and l1["sparsity"] > 0.4
    assert l1["weight_norm"] < 0.8 * base["weight_norm"]
    lesson = build(seed=0, l1=0.001)
    run(lesson, 60)
    w = np.concatenate([x.ravel() for x in lesson.model.weights()])
    assert l1["sparsity"] > np.mean(np.abs(w) < SPARSE_EPS) > 0.1            # grows with training


def test_input_noise_and_dropout_narrow_the_gap(baseline):
    base = baseline[1]
    noisy = run(build(seed=0, input_noise=0.5), STEPS)
    assert noisy["gap_loss"] < 0.7 * base["gap_loss"]
    assert noisy["gap_acc"] < base["gap_acc"]
    a, b = build(seed=0, dropout=0.3), build(seed=0, dropout=0.3)
    la = [train_step(a, i)["train_loss"] for i in range(1, 31)]
    assert la == [train_step(b, i)["train_loss"] for i in range(1, 31)]     # masks are seeded
    dropped = run(build(seed=0, dropout=0.3), STEPS)
    assert dropped["gap_loss"] < base["gap_loss"]


def test_early_stopping_restores_the_best_weights():
    ctx = RecordingContext()
    lesson = build(ctx, seed=0, early_stopping=True, patience=5)
    for step in range(1, 601):
        train_step(lesson, step)
        if step % lesson.eval_every == 0:
            m = lesson.evaluate()
            if lesson.stopped:
                break
    assert lesson.stopped and step < 600
    assert lesson.best_step < lesson.step == step
    assert m["val_loss"] == lesson.best_eval["val_loss"] and m["val_acc"] == lesson.best_eval["val_acc"]
    state = lesson.model.model_state()
    assert all(np.array_equal(state[k], v) for k, v in lesson.best_state.items())
    assert len(ctx.pauses) == 1 and f"step {lesson.best_step}" in ctx.pauses[0]
    assert f"{lesson.best_eval['val_acc']:.1%}" in ctx.pauses[0] and "paused" in ctx.pauses[0]
    frozen = train_step(lesson, step + 1)                                     # training is frozen
    assert frozen == train_step(lesson, step + 2) and lesson.step == step
    assert len(ctx.pauses) == 3 and "holds the restored weights" in ctx.pauses[-1]  # Play pauses again
    assert lesson.evaluate() == m
    snap = lesson.snapshot()["summary"]
    np.testing.assert_array_equal(snap.values[0], snap.values[1])             # now == best
    lesson.set_live("early_stopping", False)                                  # train on
    assert not lesson.stopped and "resumes" in ctx.notices[-1]
    train_step(lesson, step + 3)
    assert lesson.step == step + 3


def test_engines_identical_with_every_toggle_on():
    values = dict(seed=5, l1=0.0005, l2=0.005, dropout=0.3, batchnorm=True, input_noise=0.2,
                  early_stopping=True, patience=1, batch_size=16, train_size=100)
    a, b = build(engine="numpy", **values), build(engine="torch", **values)
    for step in range(1, 21):
        ma, mb = train_step(a, step), train_step(b, step)
        np.testing.assert_allclose(mb["train_loss"], ma["train_loss"], rtol=1e-5, atol=1e-5)
        assert ma["train_acc"] == mb["train_acc"]
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert list(ga) == list(gb) == [f"layer{i}.W" for i in range(1, 7)]
    for k in ga:
        assert ga[k].dtype == np.float64
        np.testing.assert_allclose(gb[k], ga[k], rtol=1e-4, atol=1e-5)
    ea, eb = a.evaluate(), b.evaluate()
    for k in ea:
        np.testing.assert_allclose(eb[k], ea[k], rtol=1e-5, atol=1e-5)
    # without the shared masks the engines would differ: dropout changes the loss
    c = build(engine="numpy", **dict(values, dropout=0.0))
    d = build(engine="numpy", **values)
    assert [train_step(c, i)["train_loss"] for i in (1, 2, 3)] != [train_step(d, i)["train_loss"] for i in (1, 2, 3)]


def test_snapshot_and_live_settings():
    ctx = RecordingContext()
    lesson = build(ctx, hidden_layers=2, histogram_layer=2)
    snap = lesson.snapshot()
    assert isinstance(snap["weight_hist"], ImageData) and isinstance(snap["summary"], TableData)
    assert snap["summary"].row_labels == ["not evaluated yet"]
    run(lesson, 12)
    snap = lesson.snapshot()
    assert snap["summary"].values.shape == (2, 3) and snap["summary"].col_labels == ["train acc", "val acc", "gap"]
    assert snap["weight_hist"].image.shape[1] == 13                          # step 0 and 12 steps
    lesson.set_live("histogram_layer", 7)
    assert lesson.hist_layer == 3 and "3 weight layers" in ctx.notices[-1]
    lesson.set_live("lr", 0.01)
    assert lesson.model.opt.lr == 0.01
    lesson.set_live("batch_size", 50)
    assert lesson.eval_every == 4
    with pytest.raises(LessonConfigError, match="larger than the training set"):
        lesson.set_live("batch_size", 512)
    assert lesson.hp["batch_size"] == 50


@pytest.mark.parametrize("values, message", [
    ({"train_size": 1750}, "at most 1697"),
    ({"train_size": 10, "batch_size": 32}, "larger than the training set"),
    ({"train_size": 100, "batch_size": 128}, "larger than the training set"),
])
def test_bad_settings_raise_config_errors(values, message):
    with pytest.raises(LessonConfigError, match=message):
        build(**values)


def test_session_records_the_gap_curves():
    session = TrainingSession(LESSON, {"seed": 1}, snapshots=False)
    try:
        session.step(24)
        assert session.wait_idle(30)
        for name in ("train_loss", "val_loss", "val_acc", "gap_acc", "gap_loss", "weight_norm", "sparsity"):
            steps, _ = session.history.series(name)
            assert len(steps) > 0, name
        assert list(session.history.series("gap_acc")[0]) == [6, 12, 18, 24]
    finally:
        session.stop()
