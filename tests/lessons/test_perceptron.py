"""Lesson perceptron: training levels on the embedded sets, identical engines, metrics against
scikit-learn, CSV loading (categorical features, one-hot targets), bad input, live settings, and a
session that keeps the previous lesson when a reset fails."""
import numpy as np
import pytest
from sklearn import metrics as skm

from lessons.perceptron.lesson import LESSON
from lessons.perceptron.data import load_csv
from lessons.perceptron.metrics import (
    classes,
    classification_metrics,
    confusion_matrix,
    regression_metrics,
)
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.core.plotdata import BarsData, ImageData, MatrixData, ScatterData
from visualizer.core.session import TrainingSession


def build(**values):
    return LESSON(LESSON.hyperparameters(values))


def train_step(lesson):
    """The session's way: the next step number (counted here, per lesson), then that step's metrics."""
    lesson.steps_run = getattr(lesson, "steps_run", 0) + 1
    lesson.train_step(lesson.steps_run)
    return lesson.flush()


def train(lesson, steps):
    return [train_step(lesson) for _ in range(steps)]


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ---- training levels (measured: diabetes R² 0.52, breast cancer 0.956, wine 1.0 with seed 0) ----------
@pytest.mark.parametrize("dataset, task, key, level", [
    ("diabetes", "regression", "val_r2", 0.45),
    ("breast_cancer", "binary", "val_acc", 0.93),
    ("wine", "multiclass", "val_acc", 0.9),
])
def test_embedded_sets_train_to_a_sensible_level(dataset, task, key, level):
    lesson = build(dataset=dataset)
    assert lesson.task == task
    first = lesson.evaluate()
    records = train(lesson, 600)
    assert all(isinstance(v, float) and np.isfinite(v) for r in records for v in r.values())
    val = lesson.evaluate()
    assert val[key] > level
    assert val["val_loss"] < 0.5 * first["val_loss"]


def test_regression_and_classification_report_their_metrics():
    reg = build(dataset="diabetes")
    assert set(train_step(reg)) == {"train_loss", "train_rel_acc"}
    assert set(reg.evaluate()) == {"val_loss", "val_rel_acc", "val_mae", "val_r2", "train_mae", "train_r2"}
    cls = build(dataset="wine")
    assert set(train_step(cls)) == {"train_loss", "train_acc"}
    assert set(cls.evaluate()) == {"val_loss", "val_acc", "val_precision", "val_recall", "val_f1", "train_f1"}
    plotted = {s for p in LESSON.plots for s in p.series}
    assert set(reg.evaluate()) | set(cls.evaluate()) | {"train_loss", "train_acc", "train_rel_acc"} <= plotted


# ---- engines ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset, optimizer", [("diabetes", "sgd"), ("diabetes", "adam"),
                                                ("breast_cancer", "momentum"), ("wine", "adam")])
def test_engines_give_identical_metrics_in_float64(dataset, optimizer):
    hp = {"dataset": dataset, "optimizer": optimizer, "dtype": "float64", "seed": 5, "lr": 0.01}
    a, b = build(engine="numpy", **hp), build(engine="torch", **hp)
    for _ in range(40):
        ra, rb = train_step(a), train_step(b)
        assert ra.keys() == rb.keys()
        for k in ra:
            assert ra[k] == pytest.approx(rb[k], rel=1e-6, abs=1e-9)
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert ga.keys() == gb.keys() == {"W", "b"}
    assert ga["W"].dtype == np.float64 and ga["W"].shape == (a.n_features, a.table.n_outputs)
    for k in ga:
        np.testing.assert_allclose(ga[k], gb[k], rtol=1e-6, atol=1e-9)
    ea, eb = a.evaluate(), b.evaluate()
    for k in ea:
        assert ea[k] == pytest.approx(eb[k], rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(a.model.weights()[0], b.model.weights()[0], rtol=1e-6, atol=1e-9)


def test_engines_agree_in_float32_and_seeds_differ():
    a, b = build(dataset="breast_cancer", seed=3), build(dataset="breast_cancer", seed=3, engine="torch")
    la = [r["train_loss"] for r in train(a, 40)]
    lb = [r["train_loss"] for r in train(b, 40)]
    np.testing.assert_allclose(lb, la, rtol=1e-5, atol=1e-6)
    assert la == [r["train_loss"] for r in train(build(dataset="breast_cancer", seed=3), 40)]
    assert la[:5] != [r["train_loss"] for r in train(build(dataset="breast_cancer", seed=4), 5)]


def test_gradient_of_mse_matches_the_formula_by_hand():
    lesson = build(dataset="diabetes", dtype="float64", batch_size=16)
    W, b = lesson.model.weights()
    assert lesson.batches.pos == 0
    train_step(lesson)
    batch = lesson.batches.order[:16]
    x, y = lesson.split.x_train[batch], lesson.split.y_train[batch]
    resid = (x @ W + b)[:, 0] - y                                      # ŷ − y
    g = lesson.gradient_arrays()
    np.testing.assert_allclose(g["W"][:, 0], 2 / 16 * x.T @ resid, rtol=1e-10)
    np.testing.assert_allclose(g["b"][0], 2 / 16 * resid.sum(), rtol=1e-10)


# ---- metrics against scikit-learn ---------------------------------------------------------------------
def test_regression_metrics_match_sklearn():
    lesson = build(dataset="diabetes", dtype="float64")
    train(lesson, 100)
    pred = lesson.model.predict(lesson.split.x_val)[:, 0]
    y = lesson.split.y_val
    m = regression_metrics(pred, y)
    assert m["r2"] == pytest.approx(skm.r2_score(y, pred), abs=1e-12)
    assert m["mse"] == pytest.approx(skm.mean_squared_error(y, pred), rel=1e-12)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert m["rel_acc"] == pytest.approx(1 - skm.mean_absolute_percentage_error(y, pred), rel=1e-12)
    assert lesson.evaluate()["val_r2"] == pytest.approx(m["r2"], abs=1e-12)


@pytest.mark.parametrize("dataset", ["breast_cancer", "wine"])
def test_classification_metrics_match_sklearn(dataset):
    lesson = build(dataset=dataset, lr=0.001)
    train(lesson, 15)                                   # early: imperfect predictions
    k = lesson.table.n_classes
    pred = classes(lesson.task, lesson.model.predict(lesson.split.x_val))
    y = lesson.split.y_val
    avg = {"average": "binary", "pos_label": 1} if k == 2 else {"average": "macro", "labels": list(range(k))}
    m = classification_metrics(pred, y, k)
    assert m["acc"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred, zero_division=0, **avg))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred, zero_division=0, **avg))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred, zero_division=0, **avg))
    np.testing.assert_array_equal(confusion_matrix(y, pred, k), skm.confusion_matrix(y, pred, labels=range(k)))
    val = lesson.evaluate()
    assert (val["val_precision"], val["val_recall"], val["val_f1"]) == (m["precision"], m["recall"], m["f1"])


def test_metrics_edge_cases_against_sklearn():
    y = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 0, 0, 0, 2, 0])                 # class 1 never predicted, class 2 half found
    m = classification_metrics(pred, y, 4)               # class 3 absent everywhere
    kw = {"average": "macro", "labels": [0, 1, 2, 3], "zero_division": 0}
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred, **kw))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred, **kw))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred, **kw))
    none = classification_metrics(np.zeros(4, dtype=int), np.array([0, 1, 0, 1]), 2)
    assert none["precision"] == none["recall"] == none["f1"] == 0.0
    assert regression_metrics(np.array([1.0, 2.0]), np.array([3.0, 3.0]))["r2"] == 0.0


# ---- plots ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", ["diabetes", "breast_cancer", "wine"])
def test_snapshot_fills_every_plot(dataset):
    lesson = build(dataset=dataset)
    before = lesson.snapshot()
    train(lesson, 50)
    snap = lesson.snapshot()
    assert set(snap) == {p.id for p in LESSON.plots if p.kind != "curves"}
    bars = snap["weights"]
    assert isinstance(bars, BarsData) and len(bars.labels) == len(bars.values) == lesson.n_features
    assert not np.allclose(bars.values, before["weights"].values)        # the bars move
    img = snap["boundary"]
    assert isinstance(img, ImageData) and img.image.shape == (60, 60) and np.isfinite(img.image).all()
    assert img.overlay is not None and len(img.overlay.points) == len(lesson.table.y)
    assert img.x_label == lesson.table.feature_names[lesson.axes[0]]
    if dataset == "diabetes":
        assert isinstance(snap["results"], ScatterData) and snap["results"].points.shape == (len(lesson.table.y), 2)
        assert img.image.max() > img.image.min()
    else:
        cm = snap["results"]
        k = lesson.table.n_classes
        assert isinstance(cm, MatrixData) and cm.values.shape == (k, k) and cm.values.sum() == len(lesson.split.y_val)
        lo, hi = img.levels
        assert lo <= img.image.min() and img.image.max() <= hi


def test_decision_map_is_the_model_with_other_features_at_their_mean():
    lesson = build(dataset="breast_cancer", feature_x=1, feature_y=2)
    train(lesson, 100)
    assert lesson.axes == (0, 1)
    img = lesson.snapshot()["boundary"]
    _x0, x1, y0, _y1 = img.extent
    raw = lesson.table.x[lesson.split.train_idx].mean(axis=0)
    raw[0], raw[1] = x1, y0                                               # bottom-right pixel
    expected = lesson.model.predict(lesson.split.transform(raw[None]))[0, 0]
    assert img.image[0, -1] == pytest.approx(expected, rel=1e-5)


def test_live_settings_and_their_errors():
    lesson = build(dataset="wine")
    lesson.set_live("feature_x", 13)
    lesson.set_live("feature_y", 1)
    assert lesson.axes == (12, 0)
    with pytest.raises(LessonConfigError, match="13 input features"):
        lesson.set_live("feature_x", 14)
    with pytest.raises(LessonConfigError, match="the same"):
        lesson.set_live("feature_x", 1)
    assert lesson.hp["feature_x"] == 13 and lesson.axes == (12, 0)       # unchanged
    lesson.set_live("weight_class", 3)
    assert lesson.snapshot()["weights"].y_label.startswith("weight of cultivar 2")
    with pytest.raises(LessonConfigError, match="3 classes"):
        lesson.set_live("weight_class", 4)
    lesson.set_live("lr", 0.5)
    assert lesson.model.opt.lr == 0.5
    lesson.set_live("batch_size", 32)
    assert len(lesson.next_indices()) <= 32 and lesson.steps_per_epoch == 5


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_checkpoint_round_trip_and_mismatch(engine):
    a = build(dataset="wine", engine=engine, optimizer="momentum")
    train(a, 30)
    state = a.checkpoint_state()
    assert any(k.startswith("opt.") for k in state)                      # the velocities travel too
    b = build(dataset="wine", engine=engine, optimizer="momentum", seed=9)
    b.load_checkpoint_state(state)
    np.testing.assert_array_equal(b.model.weights()[0], a.model.weights()[0])
    with pytest.raises(LessonConfigError, match="shape"):
        build(dataset="breast_cancer", engine=engine, optimizer="momentum").load_checkpoint_state(state)


# ---- CSV -----------------------------------------------------------------------------------------------
def test_csv_with_categorical_feature_and_text_target(tmp_path):
    rows = ["size,colour,weight,kind"]
    rng = np.random.default_rng(0)
    for i in range(60):
        colour = ("red", "green", "blue")[i % 3]
        kind = "apple" if colour == "red" else "pear"
        rows.append(f"{rng.normal():.3f},{colour},{rng.normal() + 3:.3f},{kind}")
    path = write(tmp_path, "\n".join(rows) + "\n")
    table = load_csv(path)
    assert table.task == "binary" and table.class_names == ("apple", "pear")
    assert table.feature_names == ("size", "colour=blue", "colour=green", "colour=red", "weight")
    np.testing.assert_array_equal(table.x[:3, 1:4], [[0, 0, 1], [0, 1, 0], [1, 0, 0]])
    lesson = build(dataset="csv", csv_path=path)
    train(lesson, 200)
    assert lesson.evaluate()["val_acc"] == 1.0                           # colour=red decides


def test_csv_one_hot_target_and_task_inference(tmp_path):
    rows = ["a,b,is_x,is_y,is_z"]
    for i in range(30):
        c = i % 3
        onehot = ",".join("1" if j == c else "0" for j in range(3))
        rows.append(f"{c + 0.1 * (i % 5)},{i},{onehot}")
    path = write(tmp_path, "\n".join(rows))
    table = load_csv(path, "is_x, is_y, is_z")
    assert table.task == "multiclass" and table.class_names == ("is_x", "is_y", "is_z")
    assert table.feature_names == ("a", "b")
    np.testing.assert_array_equal(table.y[:4], [0, 1, 2, 0])
    lesson = build(dataset="csv", csv_path=path, target="is_x,is_y,is_z")
    assert lesson.table.n_outputs == 3
    # a float target is regression, a small-integer one classification, unless the task is forced
    assert load_csv(path, "a").task == "regression"
    assert load_csv(path, "is_x").task == "binary"
    assert load_csv(path, "is_x", task="regression").task == "regression"
    assert load_csv(path, "is_x", task="multiclass").task == "multiclass"


def test_csv_rows_with_empty_cells_are_dropped_with_a_notice(tmp_path):
    rows = ["x,y"] + [f"{i},{2 * i + 1}.5" for i in range(12)] + ["3,"]
    notices = []

    class Ctx:
        def notice(self, m):
            notices.append(m)

        def progress(self, *a):
            pass

    lesson = LESSON(LESSON.hyperparameters({"dataset": "csv", "csv_path": write(tmp_path, "\n".join(rows))}), Ctx())
    assert len(lesson.table.y) == 12 and lesson.task == "regression"
    assert any("dropped 1 rows" in n for n in notices)


BAD_CSVS = [
    ("missing", None, "", "does not exist"),
    ("binary", b"\x00\x01\x02,\x00", "", "not a text CSV"),
    ("text_only", "a,b\n" + "x,y\n" * 12, "", "no numeric columns"),
    ("no_target", "a,b\n" + "1,2\n" * 12, "c", "'c' not found"),
    ("constant", "a,b\n" + "".join(f"{i},7\n" for i in range(12)), "", "constant"),
    ("one_class", "a,b\n" + "".join(f"{i},yes\n" for i in range(12)), "", "single class"),
    ("few_rows", "a,b\n" + "".join(f"{i},{i % 2}\n" for i in range(5)), "", "only 5 complete rows"),
    ("no_header", "".join(f"{i},{i % 2}\n" for i in range(12)), "", "no header"),
    ("ragged", "a,b,c\n" + "1,2,3\n" * 11 + "1,2\n", "", "line 13: expected 3 values"),
    ("bad_onehot", "a,p,q\n" + "1,1,1\n" * 12, "p,q", "exactly one 1"),
    ("single_column", "a\n" + "1\n" * 12, "", "single column"),
]


@pytest.mark.parametrize("name, content, target, message", BAD_CSVS, ids=[c[0] for c in BAD_CSVS])
def test_bad_csv_raises_config_error_naming_the_problem(tmp_path, name, content, target, message):
    path = tmp_path / f"{name}.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(LessonConfigError, match=message):
        build(dataset="csv", csv_path=str(path), target=target)


def test_impossible_settings_raise_config_error(tmp_path):
    with pytest.raises(LessonConfigError, match="no file is chosen"):
        build(dataset="csv")
    with pytest.raises(LessonConfigError, match="needs class labels"):
        build(dataset="diabetes", task="binary")
    with pytest.raises(LessonConfigError, match="two classes"):
        build(dataset="wine", task="binary")
    text = write(tmp_path, "a,b\n" + "".join(f"{i},{'xyz'[i % 3]}\n" for i in range(12)))
    with pytest.raises(LessonConfigError, match="holds text"):
        build(dataset="csv", csv_path=text, task="regression")
    assert build(dataset="breast_cancer", task="regression").task == "regression"
    assert build(dataset="breast_cancer", task="multiclass").table.n_outputs == 2


def test_standardization_uses_training_statistics_only():
    on, off = build(dataset="wine"), build(dataset="wine", standardize=False)
    np.testing.assert_allclose(on.split.x_train.mean(axis=0), 0, atol=1e-5)
    assert np.abs(on.split.x_val.mean(axis=0)).max() > 1e-3                # validation rows not used
    np.testing.assert_array_equal(off.split.x_train, off.table.x[off.split.train_idx].astype(np.float32))
    assert "Standardize" in off.divergence_hint()


def test_a_failed_reset_keeps_the_previous_lesson(tmp_path):
    session = TrainingSession(LESSON, {"dataset": "wine", "seed": 1})
    try:
        assert session.wait_idle(20)
        session.step(4)
        assert session.wait_idle(10)
        session.set_param("dataset", "csv")
        session.set_param("csv_path", str(tmp_path / "nope.csv"))
        session.reset()
        assert session.wait_idle(10)
        errors = [e for e in session.drain_events() if e.kind == "config_error"]
        assert errors and "does not exist" in errors[0].message
        assert session.step_count == 4
        session.step(2)
        assert session.wait_idle(10) and session.step_count == 6
    finally:
        assert session.stop(2.0)


def test_compare_engines_mode_finds_identical_gradients():
    session = TrainingSession(LESSON, {"dataset": "breast_cancer", "dtype": "float64", "compare_engines": True})
    try:
        assert session.wait_idle(30)
        session.step(20)
        assert session.wait_idle(30)
        _, diff = session.history.series("grad_rel_diff")
        _, twin_loss = session.history.series("train_loss@torch")
        assert len(diff) == len(twin_loss) == 20
        assert diff.max() < 1e-9
    finally:
        assert session.stop(2.0)


# ---- issue 14: bad numbers in numeric columns, one-hot label groups, limits while reading -------------------
def _numeric_csv(bad_row: int | None = None, bad: str = "", column: str = "b") -> str:
    rows = ["a,b,label"]
    for i in range(20):
        b = bad if i == bad_row and column == "b" else f"{i * 0.5:.1f}"
        label = bad if i == bad_row and column == "label" else str(i % 2)
        rows.append(f"{i},{b},{label}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("bad, column, message", [
    ("nan", "b", r"line 5, column 2 \(b\): 'nan' is not a finite number"),
    ("inf", "b", r"line 5, column 2 \(b\): 'inf' is not a finite number"),
    ("-Infinity", "b", r"line 5, column 2 \(b\): '-Infinity' is not a finite number"),
    ("1.2.3", "b", r"line 5, column 2 \(b\): '1.2.3' is not a number, but the column's other values are numbers"),
    ("NaN", "label", r"line 5, column 3 \(label\): 'NaN' is not a finite number"),
    ("x", "label", r"line 5, column 3 \(label\): 'x' is not a number"),
])
def test_nan_inf_or_a_typo_in_a_numeric_column_is_refused_naming_line_and_column(tmp_path, bad, column, message):
    path = write(tmp_path, _numeric_csv(3, bad, column))
    with pytest.raises(LessonConfigError, match=message):
        load_csv(path)


def test_a_mostly_text_column_is_still_one_hot_encoded(tmp_path):
    rows = ["a,colour,label"] + [f"{i},{('red', 'blue', '3')[i % 3]},{i % 2}" for i in range(21)]
    table = load_csv(write(tmp_path, "\n".join(rows)))
    assert table.feature_names == ("a", "colour=3", "colour=blue", "colour=red")


def _onehot_csv() -> str:
    rows = ["f1,f2,setosa,versicolor,virginica"]
    for i in range(30):
        c = i % 3
        rows.append(f"{c + 0.01 * i},{i % 7}," + ",".join("1" if j == c else "0" for j in range(3)))
    return "\n".join(rows) + "\n"


def test_last_one_hot_columns_are_the_default_multiclass_target(tmp_path):
    table = load_csv(write(tmp_path, _onehot_csv()))
    assert table.task == "multiclass" and table.class_names == ("setosa", "versicolor", "virginica")
    assert table.feature_names == ("f1", "f2")                       # no label column leaks into the inputs
    np.testing.assert_array_equal(table.y[:4], [0, 1, 2, 0])
    assert any("taken together as the class label" in n for n in table.notes)


def test_one_hot_label_columns_used_as_inputs_are_noted(tmp_path):
    table = load_csv(write(tmp_path, _onehot_csv()), target="f1")
    assert table.task == "regression" and "setosa" in table.feature_names
    assert any("look like one-hot class labels" in n and "setosa,versicolor,virginica" in n for n in table.notes)


def test_rows_beyond_the_limit_are_refused_while_reading(tmp_path):
    path = write(tmp_path, _numeric_csv() + "1,2,garbage-never-read\n" * 5)
    with pytest.raises(LessonConfigError, match=r"more than 20 rows; this lesson takes at most 20"):
        load_csv(path, max_rows=20)
    with pytest.raises(LessonConfigError, match=r"at most 100 bytes"):
        load_csv(path, max_bytes=100)


# ---- issue 14: a loss dominated by saturated rows is told, per-row losses stable at huge logits -------------
def test_a_loss_dominated_by_saturated_rows_is_told_once(tmp_path):
    notes = []

    class Ctx(LessonContext):
        def notice(self, message):
            notes.append(message)

    raw = LESSON(LESSON.hyperparameters({"dataset": "breast_cancer", "standardize": False}), Ctx())
    for i in range(1, 81):
        raw.train_step(i)
        if i % 10 == 0:
            raw.evaluate()
    told = [n for n in notes if "dominated by saturated rows" in n]
    assert len(told) == 1 and "Standardize features" in told[0]
    notes.clear()
    fine = LESSON(LESSON.hyperparameters({"dataset": "breast_cancer"}), Ctx())
    for i in range(1, 81):
        fine.train_step(i)
        if i % 10 == 0:
            fine.evaluate()
    assert not any("saturated" in n for n in notes)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_per_row_cross_entropy_is_stable_and_matches_torch(task):
    torch = pytest.importorskip("torch")
    from lessons.perceptron.metrics import sample_losses, saturation_notice
    rng = np.random.default_rng(0)
    k = 1 if task == "binary" else 3
    z = rng.normal(size=(40, k)) * np.logspace(0, 9, 40)[:, None]            # logits up to 1e9
    y = rng.integers(0, 2 if task == "binary" else 3, 40)
    ours = sample_losses(task, z, y)
    zt, yt = torch.tensor(z), torch.tensor(y)
    ref = (torch.nn.functional.binary_cross_entropy_with_logits(zt[:, 0], yt.double(), reduction="none")
           if task == "binary" else torch.nn.functional.cross_entropy(zt, yt, reduction="none")).numpy()
    assert np.isfinite(ours).all() and ours.max() > 1e8
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert "dominated by saturated rows" in saturation_notice(task, z, y)
    assert saturation_notice(task, z / 1e9, y) is None
