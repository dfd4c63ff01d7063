"""Lesson cnn_scratch: the convolution explainer's numbers and errors, both engines in lockstep, training,
every snapshot plot, saliency and gradient ascent."""
import numpy as np
import pytest

from lessons.cnn_scratch.lesson import LESSON
from lessons.cnn_scratch import explainer
from lessons.cnn_scratch.explainer import ConvExplainerData, explain_convolution, kernel_preset, output_size
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import ImageGridData
from visualizer.probes.gradient_ascent import gradient_ascent
from visualizer.probes.saliency import forward_upto

NON_CURVE = {p.id: p.kind for p in LESSON.plots if p.kind != "curves"}


def build(**values):
    return LESSON(LESSON.hyperparameters(values))


def step(lesson):
    """One training step as the session runs it (the step number, then the flushed metrics)."""
    lesson.n_steps = getattr(lesson, "n_steps", 0) + 1
    lesson.train_step(lesson.n_steps)
    return lesson.flush()


@pytest.fixture(scope="module")
def trained():
    """A NumPy lesson after 300 steps (shared by the read-only tests)."""
    lesson = build(seed=0)
    metrics = [step(lesson) for _ in range(300)]
    return lesson, metrics


# ---- explainer ---------------------------------------------------------------------------------------
def naive_conv(image, kernel, stride, pad):
    """Reference: the definition with explicit loops."""
    x = np.pad(image, pad)
    k = kernel.shape[0]
    oh = (image.shape[0] + 2 * pad - k) // stride + 1
    ow = (image.shape[1] + 2 * pad - k) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(x[i * stride:i * stride + k, j * stride:j * stride + k] * kernel)
    return out


@pytest.mark.parametrize("k, stride, pad", [(3, 1, 0), (3, 2, 1), (5, 1, 2), (2, 3, 0), (1, 1, 0), (4, 2, 3)])
def test_explainer_dot_product_is_the_output_value(k, stride, pad):
    image = explainer.photo()
    kernel = kernel_preset("random", k, seed=3)
    ref = naive_conv(image, kernel, stride, pad)
    for position in (0, 5, ref.size - 1, ref.size + 2):
        e = explain_convolution(image, kernel, stride, pad, position)
        np.testing.assert_allclose(e.output, ref, atol=1e-12)
        assert e.value == pytest.approx(ref[e.row, e.col], abs=1e-12)
        assert e.value == pytest.approx(float(np.sum(e.window * kernel)), abs=1e-12)
        assert e.position == position % ref.size
        assert e.filled.sum() == e.position + 1 and e.filled[e.row, e.col]
        assert e.padded.shape == (16 + 2 * pad, 16 + 2 * pad)
        r0, c0 = e.row * stride, e.col * stride
        np.testing.assert_array_equal(e.window, e.padded[r0:r0 + k, c0:c0 + k])


def test_output_size_formula_and_text():
    assert output_size(8, 3, 1, 0) == 6
    assert output_size(8, 3, 1, 1) == 8
    assert output_size(28, 5, 2, 2) == 14
    assert output_size(12, 3, 2, 1) == 6                  # ⌊11/2⌋ + 1
    assert output_size(7, 7, 1, 0) == 1
    e = explain_convolution(explainer.pattern(), kernel_preset("blur", 3), 2, 1, 0)
    assert e.output.shape == (6, 6)
    assert e.formula.endswith("⌊(12 + 2·1 − 3) / 2⌋ + 1 = 6")
    with pytest.raises(ValueError, match="larger than the padded input"):
        output_size(8, 11, 1, 1)
    with pytest.raises(ValueError, match="stride"):
        output_size(8, 3, 0, 0)


def test_kernel_presets():
    np.testing.assert_array_equal(kernel_preset("edge_vertical", 3), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(kernel_preset("edge_horizontal", 3), kernel_preset("edge_vertical", 3).T)
    assert kernel_preset("blur", 5).sum() == pytest.approx(1.0)
    assert kernel_preset("sharpen", 3).sum() == pytest.approx(1.0)       # keeps flat areas unchanged
    # a vertical edge kernel answers a left-to-right step, not a top-to-bottom one
    step = np.zeros((6, 6))
    step[:, 3:] = 1.0
    assert np.abs(explain_convolution(step, kernel_preset("edge_vertical", 3), 1, 0, 0).output).max() == 4.0
    assert np.abs(explain_convolution(step, kernel_preset("edge_horizontal", 3), 1, 0, 0).output).max() == 0.0
    with pytest.raises(ValueError):
        kernel_preset("nope", 3)


def test_lesson_explainer_snapshot_matches_settings():
    lesson = build(explain_input="pattern", explain_kernel="sharpen", explain_kernel_size=3, explain_stride=2,
                   explain_padding=1, explain_position=7)
    data = lesson.snapshot()["explainer"]
    assert isinstance(data, ConvExplainerData)
    e = data.explanation
    assert e.output.shape == (6, 6) and (e.row, e.col) == (1, 1)
    header, rows = data.table()
    assert rows[9] == ["sum", 1, 1, "", "", pytest.approx(e.value)]
    lesson.set_live("explain_kernel", "learned")
    e = lesson.snapshot()["explainer"].explanation
    np.testing.assert_allclose(e.kernel, lesson.cnn.layers[0].params[0][0, 0])


def test_bad_explainer_settings_raise_and_keep_previous_state():
    lesson = build(explain_input="digit", explain_kernel_size=3, explain_padding=0, explain_position=4)
    before = lesson.snapshot()["explainer"].explanation
    with pytest.raises(LessonConfigError, match="larger than the padded input"):
        lesson.set_live("explain_kernel_size", 9)                  # 9 > 8 + 2·0
    with pytest.raises(LessonConfigError, match="stride must be at least 1"):
        lesson.set_live("explain_stride", 0)
    assert lesson.hp["explain_kernel_size"] == 3 and lesson.hp["explain_stride"] == 1
    after = lesson.snapshot()["explainer"].explanation
    assert after.kernel.shape == (3, 3) and after.position == before.position
    np.testing.assert_array_equal(after.output, before.output)
    lesson.set_live("explain_padding", 1)                          # now a 9×9 kernel fits 8 + 2
    lesson.set_live("explain_kernel_size", 9)
    assert lesson.snapshot()["explainer"].explanation.output.shape == (2, 2)
    with pytest.raises(LessonConfigError, match="stride"):
        build(explain_stride=0)
    with pytest.raises(LessonConfigError, match="larger than the padded input"):
        build(explain_input="digit", explain_kernel_size=9, explain_padding=0)


def test_window_follows_training_steps():
    lesson = build(explain_follow=True, explain_position=2)
    for _ in range(3):
        step(lesson)
    assert lesson.snapshot()["explainer"].explanation.position == 5


# ---- training and engines ----------------------------------------------------------------------------
def test_engines_agree_for_20_steps():
    a, b = build(engine="numpy", seed=3), build(engine="torch", seed=3)
    for _ in range(20):
        ma, mb = step(a), step(b)
        assert ma["train_loss"] == pytest.approx(mb["train_loss"], abs=1e-5)
        assert ma["train_acc"] == mb["train_acc"]
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert set(ga) == set(gb) == {"conv0.W", "conv0.b", "conv1.W", "conv1.b", "linear0.W", "linear0.b",
                                  "linear1.W", "linear1.b"}
    for k in ga:
        assert ga[k].dtype == np.float64 and ga[k].shape == gb[k].shape
        np.testing.assert_allclose(ga[k], gb[k], atol=1e-5 * max(1.0, np.abs(ga[k]).max()))
    va, vb = a.evaluate(), b.evaluate()
    assert va["val_loss"] == pytest.approx(vb["val_loss"], abs=1e-5)
    # the torch engine's views come from a NumPy copy of its weights
    np.testing.assert_allclose(a.snapshot()["filters"].images, b.snapshot()["filters"].images, atol=1e-5)


def test_accuracy_climbs(trained):
    lesson, metrics = trained
    assert metrics[0]["train_loss"] > 1.8                        # starts near log 10
    assert all(isinstance(v, float) for m in metrics for v in m.values())
    val = lesson.evaluate()
    assert val["val_acc"] > 0.93 and val["val_loss"] < 0.3


def test_snapshot_plots_have_their_data_classes_and_shapes(trained):
    lesson, _ = trained
    snap = lesson.snapshot()
    assert set(snap) == set(NON_CURVE)
    for pid, kind in NON_CURVE.items():
        if kind == "image_grid":
            assert isinstance(snap[pid], ImageGridData), pid
            assert snap[pid].images.ndim == 3 and snap[pid].images.dtype == np.float32
            assert len(snap[pid].captions) == len(snap[pid].images)
            assert len(snap[pid].table()[1]) == len(snap[pid].images)
    assert snap["filters"].images.shape == (16, 3, 3)
    assert snap["feature_maps"].images.shape == (4 * 8, 8, 8)    # conv1, pool1, conv2, pool2 rows
    assert snap["activations"].images.shape == (32, 4, 4)       # conv 2 (default) after ReLU
    assert snap["gradients"].images.shape == (32, 4, 4)
    assert snap["saliency"].images.shape == (2, 8, 8)
    assert snap["ascent"].images.shape == (1, 8, 8)
    assert np.nanmin(snap["activations"].images) >= 0
    lesson.set_live("filter_layer", 1)
    assert lesson.snapshot()["activations"].images.shape == (16, 8, 8)
    lesson.set_live("filter_layer", 2)


def test_snapshot_leaves_training_gradients_alone(trained):
    lesson, _ = trained
    step(lesson)
    before = lesson.gradient_arrays()
    lesson.set_live("sample_index", 5)
    lesson.set_live("filter_index", 3)
    lesson.snapshot()
    after = lesson.gradient_arrays()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])
    assert lesson.cnn.layers[0].input_grad is False


def test_saliency_is_finite_and_points_at_the_digit(trained):
    lesson, _ = trained
    lesson.set_live("sample_index", 0)
    sal = lesson.snapshot()["saliency"].images[1]
    assert sal.shape == (8, 8) and np.all(np.isfinite(sal)) and sal.max() == pytest.approx(1.0)
    image = lesson.x_val[0, 0]
    assert sal[image > 0.3].mean() > sal[image == 0].mean()     # strokes matter more than blank paper


def test_gradient_ascent_increases_the_filter_activation(trained):
    lesson, _ = trained
    layers = lesson.cnn.layers
    x0 = np.full((1, 1, 8, 8), 0.5, np.float32)
    for layer, f in ((0, 1), (3, 4)):
        x, before, after = gradient_ascent(layers, layer, f, x0, steps=30)
        assert after > before + 0.1
        assert x.shape == (1, 8, 8) and x.min() >= 0 and x.max() <= 1
        out = forward_upto(layers, x[None].astype(np.float32), layer)[-1]
        assert float(out[0, f].mean()) == pytest.approx(after, rel=1e-5)
    caption = lesson.snapshot()["ascent"].captions[0]
    assert "→" in caption


def test_checkpoint_round_trip_and_mismatch(trained):
    lesson, _ = trained
    state = lesson.checkpoint_state()
    fresh = build(seed=0)
    fresh.load_checkpoint_state(state)
    assert fresh.evaluate()["val_acc"] == pytest.approx(lesson.evaluate()["val_acc"])
    assert any(k.startswith("opt.adam.") for k in state)              # the optimizer's moments too
    with pytest.raises(LessonConfigError, match="conv0.W' has shape"):
        build(filters1=8).load_checkpoint_state(state)
    with pytest.raises(LessonConfigError, match="does not fit this model"):
        build(optimizer="sgd").load_checkpoint_state(state)          # Adam's moments: another optimizer
