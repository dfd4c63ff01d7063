"""Lesson cnn_scratch: the convolution explainer's numbers and errors, both engines in lockstep, training,
every snapshot plot, saliency and gradient ascent."""
import numpy as np
import pytest

from lessons.cnn_scratch.lesson import LESSON
from lessons.cnn_scratch import explainer
from lessons.cnn_scratch.explainer import (ConvExplainerData, ConvSlide, ExplainerSettings, kernel_preset,
                                           output_size, slide)
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
    ref = naive_conv(image, kernel, stride, pad) + 0.25
    for filled in (1, 5, ref.size, ref.size + 2):
        e = slide(image, kernel, stride, pad, filled, bias=0.25)
        np.testing.assert_allclose(e.output, ref, atol=1e-12)
        assert e.filled == min(filled, ref.size) and (e.row, e.col) == divmod(e.filled - 1, ref.shape[1])
        assert e.value == pytest.approx(ref[e.row, e.col], abs=1e-12)
        assert e.total == pytest.approx(float(np.sum(e.window * kernel)), abs=1e-12)
        assert e.dot_text() == f"sum of {k * k} products = {e.total:.2f} + bias 0.25 = {e.value:.2f}"
        assert e.padded.shape == (16 + 2 * pad, 16 + 2 * pad)
        r0, c0 = e.row * stride, e.col * stride
        np.testing.assert_array_equal(e.window, e.padded[r0:r0 + k, c0:c0 + k])


def material(seed=0, f=3, k=3):
    """Explainer data as the lesson sends it, with random learned filters (F, K, K) and biases."""
    rng = np.random.default_rng(seed)
    sample = rng.random((1, 9, 7))                               # a non-square "digit"
    return explainer.explainer_data(sample, "sample", rng.normal(size=(f, 1, k, k)), rng.normal(size=f))


@pytest.mark.parametrize("settings", [dict(input="pattern"), dict(input="digit", stride=2, padding=1),
                                      dict(input="photo", kernel="learned", filter=4, stride=3, padding=2),
                                      dict(input="digit", kernel="blur", size=5, padding=2)])
def test_slide_fills_the_output_cell_by_cell_in_raster_order(settings):
    data = material()
    s = ExplainerSettings(**settings)
    slide_ = ConvSlide(s)
    slide_.data = data
    if s.kernel == "learned":
        kernel, bias = data.filters[s.filter % 3], data.biases[s.filter % 3]
    else:
        kernel, bias = kernel_preset(s.kernel, s.size), 0.0
    ref = naive_conv(data.images[s.input], kernel, s.stride, s.padding) + bias      # computed independently
    oh, ow = ref.shape
    e = slide_.explain()
    assert e.filled == 0 and not e.mask.any() and np.isnan(e.partial_output).all()
    for k in range(1, oh * ow + 1):
        assert slide_.step()
        e = slide_.explain()
        assert e.mask.sum() == k
        cells = [divmod(i, ow) for i in range(k)]                                    # raster order
        assert all(e.mask[c] for c in cells)
        assert (e.row, e.col) == cells[-1]
        part = e.partial_output
        np.testing.assert_allclose([part[c] for c in cells], [ref[c] for c in cells], atol=1e-12)
        assert np.isnan(part).sum() == oh * ow - k
        assert e.value == pytest.approx(ref[cells[-1]], abs=1e-12)
    assert slide_.done and not slide_.step() and slide_.filled == oh * ow     # a full map stays full
    slide_.seek(ow + 1)
    assert slide_.explain().mask.sum() == ow + 2
    slide_.reset()
    assert slide_.filled == 0


def test_stride_and_padding_set_the_output_size_and_restart_the_slide():
    slide_ = ConvSlide(ExplainerSettings(input="pattern"))
    slide_.data = material()
    assert slide_.explain().output.shape == (10, 10)                 # 12 − 3 + 1
    for _ in range(7):
        slide_.step()
    slide_.configure(kernel="blur")                                 # same size: the window stays
    assert slide_.filled == 7
    for stride, pad, size in [(2, 1, 6), (1, 1, 12), (3, 0, 4), (4, 4, 5), (1, 2, 14)]:
        slide_.configure(stride=stride, padding=pad)
        e = slide_.explain()
        assert e.output.shape == (size, size) == naive_conv(explainer.pattern(), e.kernel, stride, pad).shape
        assert e.padded.shape == (12 + 2 * pad,) * 2 and slide_.cells == size * size
    slide_.configure(stride=1, padding=0)
    slide_.step()
    slide_.configure(padding=1)                                      # 10×10 -> 12×12: starts again
    assert slide_.filled == 0
    slide_.configure(input="digit", padding=0)                       # 9×7: OH and OW differ
    assert slide_.explain().output.shape == (7, 5) and "OW = ⌊(7 + 2·0 − 3) / 1⌋ + 1 = 5" in slide_.explain().formula
    with pytest.raises(ValueError, match="larger than the padded input"):
        slide_.configure(size=9)                                     # 9 > 7 + 2·0
    with pytest.raises(ValueError, match="stride"):
        slide_.configure(stride=0)
    with pytest.raises(KeyError):
        slide_.configure(position=3)
    assert slide_.settings == ExplainerSettings(input="digit", kernel="blur", padding=0)   # kept


def test_output_size_formula_and_text():
    assert output_size(8, 3, 1, 0) == 6
    assert output_size(8, 3, 1, 1) == 8
    assert output_size(28, 5, 2, 2) == 14
    assert output_size(12, 3, 2, 1) == 6                  # ⌊11/2⌋ + 1
    assert output_size(7, 7, 1, 0) == 1
    e = slide(explainer.pattern(), kernel_preset("blur", 3), 2, 1, 0)
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
    assert np.abs(slide(step, kernel_preset("edge_vertical", 3), 1, 0, 0).output).max() == 4.0
    assert np.abs(slide(step, kernel_preset("edge_horizontal", 3), 1, 0, 0).output).max() == 0.0
    with pytest.raises(ValueError):
        kernel_preset("nope", 3)


def test_lesson_sends_the_explainer_its_images_and_current_learned_filters():
    lesson = build(sample_index=3)
    assert not [p.name for p in LESSON.all_params() if p.name.startswith("explain")]   # view settings only
    data = lesson.snapshot()["explainer"]
    assert isinstance(data, ConvExplainerData)
    np.testing.assert_array_equal(data.images["digit"], lesson.x_val[3, 0])
    assert data.images["pattern"].shape == (12, 12) and data.images["photo"].shape == (16, 16)
    assert "validation image 3" in data.names["digit"]
    for _ in range(3):
        step(lesson)
    data = lesson.snapshot()["explainer"]
    conv = lesson.cnn.layers[0]
    np.testing.assert_allclose(data.filters, conv.params[0][:, 0])         # as trained now
    np.testing.assert_allclose(data.biases, conv.params[1])
    kernel, bias, name = data.kernel(ExplainerSettings(kernel="learned", filter=17))
    np.testing.assert_allclose(kernel, conv.params[0][1, 0])
    assert bias == pytest.approx(float(conv.params[1][1])) and bias != 0.0      # trained: a bias of its own
    assert name == "learned filter 1 of conv 1"
    header, rows = data.table(ExplainerSettings(input="pattern", kernel="sharpen", stride=2, padding=1), 8)
    assert rows[9][0] == "bias" and rows[10][:3] == ["value", 1, 1]
    assert [r[0] for r in rows].count("output") == 8


def test_explainer_settings_are_view_settings():
    assert {"sample_index", "filter_layer", "filter_index"} <= LESSON.view_params
    steps = [s for s in LESSON.narrative if "explainer" in s.view_settings]
    assert len(steps) >= 3
    for s in steps:
        assert not any(k.startswith("explain") for k in s.set_params)
        settings = {k: v for k, v in s.view_settings["explainer"].items() if k not in ("speed", "filled", "playing")}
        ExplainerSettings(**settings)                                    # valid names and values


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
