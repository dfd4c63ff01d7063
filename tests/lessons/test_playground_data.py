"""Playground data: synthetic sets, the user's CSV loader, features, split and the narrative.  No Qt."""
import numpy as np
import pytest

from lessons.playground import data as datasets
from lessons.playground.lesson import PlaygroundLesson
from visualizer.core.lesson import LessonConfigError


@pytest.mark.parametrize("name", datasets.SYNTHETIC)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_synthetic_shapes_classes_and_seed(name, noise):
    a = datasets.make_dataset(name, 101, noise, np.random.default_rng(7))
    b = datasets.make_dataset(name, 101, noise, np.random.default_rng(7))
    c = datasets.make_dataset(name, 101, noise, np.random.default_rng(8))
    assert a.points.shape == (101, 2) and a.points.dtype == np.float64
    assert a.labels.shape == (101,) and a.labels.dtype == np.int64
    assert set(np.unique(a.labels)) == {0, 1} and a.class_names == ("0", "1")
    assert np.isfinite(a.points).all()
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.labels, b.labels)
    if not (name == "spiral" and noise == 0):     # a clean spiral is the same curve for every seed
        assert not np.array_equal(a.points, c.points)


@pytest.mark.parametrize("name", datasets.MULTICLASS)
@pytest.mark.parametrize("k", [3, 5])
def test_multiclass_sets_are_balanced(name, k):
    ps = datasets.make_dataset(name, 103, 0.1, np.random.default_rng(0), n_classes=k)
    counts = np.bincount(ps.labels)
    assert len(counts) == k and ps.n_classes == k
    assert counts.max() - counts.min() <= 1


def test_clean_sets_follow_their_rule():
    rng = np.random.default_rng(1)
    xor = datasets.make_dataset("xor", 400, 0.0, rng)
    np.testing.assert_array_equal(xor.labels, (xor.points[:, 0] * xor.points[:, 1] >= 0).astype(int))
    circle = datasets.make_dataset("circle", 400, 0.0, rng)
    np.testing.assert_array_equal(circle.labels, (np.hypot(*circle.points.T) < 2.5).astype(int))
    blobs = datasets.make_dataset("gaussians", 400, 0.0, rng)
    # class 0 around (2, 2), class 1 around (-2, -2)
    np.testing.assert_allclose(blobs.points[blobs.labels == 0].mean(axis=0), [2, 2], atol=0.2)
    np.testing.assert_allclose(blobs.points[blobs.labels == 1].mean(axis=0), [-2, -2], atol=0.2)


def test_noise_flips_labels_near_the_boundary():
    clean = datasets.make_dataset("xor", 1000, 0.0, np.random.default_rng(3))
    noisy = datasets.make_dataset("xor", 1000, 0.5, np.random.default_rng(3))
    rule = (noisy.points[:, 0] * noisy.points[:, 1] >= 0).astype(int)
    assert (clean.labels == (clean.points[:, 0] * clean.points[:, 1] >= 0)).all()
    assert 0.05 < np.mean(noisy.labels != rule) < 0.45


def test_bad_generator_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(LessonConfigError, match="at least 4"):
        datasets.make_dataset("circle", 3, 0.0, rng)
    with pytest.raises(LessonConfigError, match="2 to 5 classes"):
        datasets.make_dataset("spiral", 100, 0.0, rng, n_classes=6)
    with pytest.raises(LessonConfigError, match="unknown data set"):
        datasets.make_dataset("swirl", 100, 0.0, rng)


def test_features_and_standardizer():
    pts = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.0]])
    names = [n for n, _ in datasets.FEATURES]
    f = datasets.feature_matrix(pts, names)
    assert f.shape == (3, 7)
    np.testing.assert_allclose(f[1], [-3, 0.5, 9, 0.25, -1.5, np.sin(-3), np.sin(0.5)])
    std = datasets.Standardizer.fit(f)
    z = std(f)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-6)
    const = datasets.Standardizer.fit(np.ones((4, 1)))
    assert np.all(const(np.ones((4, 1))) == 0)
    with pytest.raises(LessonConfigError, match="No input feature"):
        datasets.feature_matrix(pts, [])


def test_split_is_a_partition_with_both_sides_nonempty():
    tr, te = datasets.split_indices(10, 0.7, np.random.default_rng(0))
    assert len(tr) == 7 and len(te) == 3
    assert sorted(np.concatenate([tr, te])) == list(range(10))
    tr, te = datasets.split_indices(4, 0.1, np.random.default_rng(0))
    assert len(tr) == 1 and len(te) == 3


# ---- CSV ---------------------------------------------------------------------------------------------

def _write(tmp_path, text, name="points.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_with_and_without_header(tmp_path):
    body = "0.5,1.0,1\n-1,2,0\n3,-0.25,1\n\n2.5,2.5,0\n"
    a = datasets.load_points_csv(_write(tmp_path, body, "a.csv"))
    b = datasets.load_points_csv(_write(tmp_path, "x1,x2,label\n" + body, "b.csv"))
    np.testing.assert_array_equal(a.points, [[0.5, 1], [-1, 2], [3, -0.25], [2.5, 2.5]])
    np.testing.assert_array_equal(a.labels, [1, 0, 1, 0])
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.labels, b.labels)


def test_csv_named_columns_in_any_order_and_labels_remapped(tmp_path):
    p = _write(tmp_path, "label;id;X2;x1\n-1;a;1;10\n1;b;2;20\n-1;c;3;30\n1;d;4;40\n5;e;5;50\n")
    ps = datasets.load_points_csv(p)
    np.testing.assert_array_equal(ps.points[:, 0], [10, 20, 30, 40, 50])
    np.testing.assert_array_equal(ps.points[:, 1], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(ps.labels, [0, 1, 0, 1, 2])
    assert ps.class_names == ("-1", "1", "5")


def test_shipped_sample_csv_loads():
    from pathlib import Path
    samples = sorted((Path(__file__).resolve().parents[2] / "assets" / "samples").glob("points_*.csv"))
    assert samples, "assets/samples/points_*.csv is missing"
    for path in samples:
        ps = datasets.load_points_csv(path)
        assert len(ps) >= 4 and ps.n_classes >= 2


@pytest.mark.parametrize("text, match", [
    ("x1,x2,label\n1,2,0\n3,4\n5,6,1\n7,8,0\n", r"line 3: expected 3 columns .* found 2"),
    ("a,b\n1,2\n", r"line 1: the header must name the columns x1, x2 and label; missing x1, x2, label"),
    ("x1,x2,label\n1,2,0\n3,abc,1\n5,6,1\n7,8,0\n", r"line 3, column 2 \(x2\): 'abc' is not a number"),
    ("1,2,0\nfoo,4,1\n5,6,1\n7,8,0\n", r"line 2, column 1 \(x1\): 'foo' is not a number"),
    ("x1,x2,label\n1,2,0\nnan,4,1\n5,6,1\n7,8,0\n", r"line 3, column 1 \(x1\): 'nan' is not a finite number"),
    ("x1,x2,label\n1,2,0\n3,inf,1\n5,6,1\n7,8,0\n", r"line 3, column 2 \(x2\): 'inf' is not a finite number"),
    ("x1,x2,label\n1,2,0\n3,4,0.5\n5,6,1\n7,8,0\n", r"line 3, column 3 \(label\): '0.5' is not an integer"),
    ("x1,x2,label\n1,2,0\n3,4,cat\n5,6,1\n7,8,0\n", r"line 3, column 3 \(label\): 'cat' is not an integer"),
    ("x1,x2,label\n1,2,1\n3,4,1\n5,6,1\n7,8,1\n", r"all 4 points have label 1; .* at least two classes"),
    ("x1,x2,label\n1,2,0\n3,4,1\n5,6,1\n", r"has 3 points; at least 4 are needed"),
    ("", r"is empty"),
    ("x1,x2,label\n", r"has 0 points; at least 4"),
])
def test_bad_csv_gives_clear_error(tmp_path, text, match):
    with pytest.raises(LessonConfigError, match=match) as e:
        datasets.load_points_csv(_write(tmp_path, text))
    assert "points.csv" in str(e.value)


def test_csv_missing_unreadable_or_binary(tmp_path):
    with pytest.raises(LessonConfigError, match="does not exist"):
        datasets.load_points_csv(tmp_path / "nope.csv")
    with pytest.raises(LessonConfigError, match="is a folder"):
        datasets.load_points_csv(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(LessonConfigError, match="not a text CSV"):
        datasets.load_points_csv(binary)


def test_csv_too_many_classes(tmp_path):
    rows = "".join(f"{i},{i},{i}\n" for i in range(11))
    with pytest.raises(LessonConfigError, match="11 different labels"):
        datasets.load_points_csv(_write(tmp_path, rows))


# ---- lesson declarations -----------------------------------------------------------------------------

def test_narrative_steps_are_valid():
    plot_ids = {p.id for p in PlaygroundLesson.plots}
    names = {s.name for s in PlaygroundLesson.all_params()}
    assert 5 <= len(PlaygroundLesson.narrative) <= 8
    for step in PlaygroundLesson.narrative:
        PlaygroundLesson.hyperparameters(step.set_params)      # raises on a bad name or value
        assert set(step.plots or ()) <= plot_ids
        assert set(step.lock) <= names and set(step.hide) <= names
        assert step.text.strip() and step.run_steps >= 0


def test_declared_plots_and_params():
    kinds = {p.id: p.kind for p in PlaygroundLesson.plots}
    assert kinds["decision"] == "image" and kinds["network"] == "network"
    assert {"loss", "accuracy", "grad_norms"} <= {k for k, v in kinds.items() if v == "curves"}
    hp = PlaygroundLesson.hyperparameters()
    assert [s.name for s in hp.specs if s.live] == ["lr", "batch_size", "regularization", "reg_rate"]
    assert hp.spec("lr").log


# ---- issue 14: limits checked while reading, label and coordinate magnitudes -----------------------------

@pytest.mark.parametrize("text, match", [
    ("x1,x2,label\n1,2,0\n3,4,1e30\n5,6,1\n7,8,0\n", r"line 3, column 3 \(label\): '1e30' is not an integer class"),
    ("x1,x2,label\n1,2,0\n3,4,-2000000\n5,6,1\n7,8,0\n", r"line 3, column 3 \(label\).*between -1,000,000"),
    ("x1,x2,label\n1,2,0\n1e300,4,1\n5,6,1\n7,8,0\n", r"line 3, column 1 \(x1\): 1e300 is too large"),
    ("x1,x2,label\n1,2,0\n3,-1e300,1\n5,6,1\n7,8,0\n", r"line 3, column 2 \(x2\): -1e300 is too large"),
])
def test_huge_labels_and_coordinates_are_refused_naming_line_and_column(tmp_path, text, match):
    with pytest.raises(LessonConfigError, match=match):
        datasets.load_points_csv(_write(tmp_path, text))


def test_coordinates_up_to_the_bound_load(tmp_path):
    ps = datasets.load_points_csv(_write(tmp_path, "x1,x2,label\n1e6,2,0\n-1e6,4,1\n5,6,1\n7,8,-1\n"))
    assert ps.points[:, 0].tolist() == [1e6, -1e6, 5, 7] and ps.class_names == ("-1", "0", "1")


def test_too_many_points_are_refused_while_reading(tmp_path):
    body = "x1,x2,label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(30))
    path = _write(tmp_path, body + "1,2,not-read\n")       # the row after the limit is never parsed
    with pytest.raises(LessonConfigError, match=r"more than 20 points; the playground takes at most 20"):
        datasets.load_points_csv(path, max_points=20)
    assert len(datasets.load_points_csv(_write(tmp_path, body, "ok.csv"), max_points=30)) == 30
    headless = _write(tmp_path, body.split("\n", 1)[1], "headless.csv")      # 30 rows, none a header
    with pytest.raises(LessonConfigError, match=r"has 30 points; the playground takes at most 29"):
        datasets.load_points_csv(headless, max_points=29)


def test_a_file_larger_than_the_byte_limit_is_refused_before_reading(tmp_path):
    path = _write(tmp_path, "x1,x2,label\n" + "1,2,0\n3,4,1\n" * 100)
    with pytest.raises(LessonConfigError, match=r"points.csv is 1,212 bytes; .* at most 1,000 bytes"):
        datasets.load_points_csv(path, max_bytes=1000)
