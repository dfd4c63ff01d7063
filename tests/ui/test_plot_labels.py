"""Plot text a learner can read (issue #13 points 6-8): axis labels and titles are escaped and elided, tick
labels never overlap (categories, log axes), log-scale bars grow upward, histograms have a legend."""
import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from visualizer.core.plotdata import BarsData, CurvesData, MatrixData, PlotSpec
from visualizer.ui.plots import make_plot_view
from visualizer.ui.plots.axes import format_log_value, log_ticks
from visualizer.ui.plots.labels import thin_boxes


def shown_view(qtbot, spec, width=640, height=400):
    view = make_plot_view(spec)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def drawn_labels(view, axis):
    """The tick labels the axis draws now: [(rect, text)], from the axis' own draw specs."""
    QApplication.processEvents()
    view.grab()
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = view.plot_item.getAxis(axis).generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _, text in specs[2]]


def assert_apart(labels):
    rects = [r for r, _ in labels]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), f"labels overlap: {labels}"


def tick_value(text):
    """The number a log axis' tick label stands for: "0.02", "500", "10⁻⁵", "2·10⁶"."""
    sup = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
    if not any(c in sup for c in text):
        return float(text)
    mantissa, _, power = text.rpartition("10")
    exponent = int(power.translate(str.maketrans(sup, "0123456789-")))
    return float(mantissa.rstrip("·") or 1) * 10.0 ** exponent


def curves(spec, series, ys):
    steps = np.arange(len(ys[0]), dtype=float)
    return CurvesData(series={name: (steps, np.asarray(y, float)) for name, y in zip(series, ys)})


# ---- escaping and eliding ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["curves", "bars", "image"])
def test_a_less_than_sign_survives_in_an_axis_label(qtbot, kind):
    spec = PlotSpec("sparsity", "Near-zero weights", kind, series=("sparsity",), x_label="a & b",
                    y_label="share with |w| < 0.001")
    view = shown_view(qtbot, spec)
    view.plot_item.setLabel("left", "share with |w| < 0.001")
    assert view.plot_item.getAxis("left").label.toPlainText() == "share with |w| < 0.001"
    assert view.plot_item.getAxis("bottom").label.toPlainText() == "a & b"


def test_a_long_title_is_elided_with_the_whole_text_in_its_tooltip(qtbot):
    spec = PlotSpec("c", "c", "curves", series=("a",))
    view = shown_view(qtbot, spec, width=300)
    text = "trained: threshold 0.123 → precision 0.91, recall 0.80, F1 0.85; ROC AUC 0.93 (best F1 at 0.120) <x>"
    view.plot_item.setTitle(text, size="9pt")
    view.grab()
    title = view.plot_item.titleLabel
    assert title.item.toPlainText().endswith("…") and len(title.item.toPlainText()) < len(text)
    assert title.toolTip() == text
    assert title.sceneBoundingRect().right() <= view.graphics.sceneRect().right() + 1
    assert view.plot_item.width() <= view.graphics.width() + 1     # the title did not widen the plot


def test_a_long_axis_label_is_elided_with_a_tooltip(qtbot):
    label = "a very long description of the quantity on this axis that cannot fit in a small plot"
    view = shown_view(qtbot, PlotSpec("c", "c", "curves", series=("a",), x_label=label), width=280)
    view.grab()
    axis = view.plot_item.getAxis("bottom")
    assert axis.label.toPlainText().endswith("…") and axis.label.toolTip() == label
    assert axis.label.boundingRect().width() <= axis.width()


# ---- overlapping tick labels -----------------------------------------------------------------------------
@pytest.mark.parametrize("width", [640, 1280])
def test_thirty_category_labels_never_overlap(qtbot, width):
    names = [f"feature_{i}_{'x' * (i % 7)}" for i in range(30)]
    view = shown_view(qtbot, PlotSpec("weights", "Weights", "bars", y_label="weight"), width=width)
    view.set_data(BarsData(names, np.linspace(-1, 1, 30)))
    labels = drawn_labels(view, "bottom")
    assert len(labels) >= 3
    assert_apart(labels)
    shown = [t for _, t in labels]
    assert [names.index(t) for t in shown] == sorted(names.index(t) for t in shown)
    steps = {names.index(b) - names.index(a) for a, b in zip(shown, shown[1:])}
    assert len(steps) == 1                                  # evenly thinned


def test_short_category_labels_all_show(qtbot):
    view = shown_view(qtbot, PlotSpec("b", "b", "bars"))
    view.set_data(BarsData(["duck", "elephant", "wolf"], np.array([0.2, 0.5, 0.3])))
    assert [t for _, t in drawn_labels(view, "bottom")] == ["duck", "elephant", "wolf"]


def test_crowded_category_labels_take_a_second_row_rather_than_collide(qtbot):
    names = ["duck", "elephant", "wolf", "tiger", "monkey", "giraffe"]
    view = shown_view(qtbot, PlotSpec("similar", "Most similar words", "bars", x_label="word"), width=280, height=260)
    view.set_data(BarsData(names, np.linspace(0.9, 0.2, 6)))
    labels = drawn_labels(view, "bottom")
    labels = drawn_labels(view, "bottom")                  # after the axis grew for the second row
    assert sorted(t for _, t in labels) == sorted(names)
    assert_apart(labels)
    assert len({round(r.top()) for r, _ in labels}) == 2
    axis = view.plot_item.getAxis("bottom")
    margin = axis.label.document().documentMargin()        # the text starts this far inside its item
    title = axis.label.mapRectToParent(axis.label.boundingRect()).adjusted(margin, margin, -margin, -margin)
    assert all(not r.intersects(title) and r.bottom() <= axis.boundingRect().bottom() for r, _ in labels)


def test_matrix_labels_never_overlap(qtbot):
    names = [f"class {i}" for i in range(20)]
    view = shown_view(qtbot, PlotSpec("m", "m", "matrix"), width=400, height=300)
    view.set_data(MatrixData(np.eye(20), names, names))
    for axis in ("bottom", "left"):
        labels = drawn_labels(view, axis)
        assert labels
        assert_apart(labels)


@pytest.mark.parametrize("lo,hi", [(150.0, 950.0), (80.0, 2000.0), (1e-6, 10.0), (0.5, 0.9)])
@pytest.mark.parametrize("height", [200, 420])
def test_log_tick_labels_do_not_overlap(qtbot, lo, hi, height):
    spec = PlotSpec("ppl", "Perplexity", "curves", series=("val_ppl",), y_label="perplexity", log_y=True)
    view = shown_view(qtbot, spec, width=500, height=height)
    view.set_data(curves(spec, ["val_ppl"], [np.geomspace(hi, lo, 50)]))
    labels = drawn_labels(view, "left")
    assert len(labels) >= 2
    assert_apart(labels)
    values = [tick_value(t) for _, t in labels]
    assert all(lo * 0.7 <= v <= hi * 1.4 for v in values)


def test_log_ticks_prefer_decades_then_two_and_five():
    major, minor = log_ticks(0.0, 3.0, 90)                 # 30 px per decade: decades only
    assert major[1] == [0.0, 1.0, 2.0, 3.0] and minor[1] == []
    _, minor = log_ticks(0.0, 2.0, 400)
    assert np.allclose(sorted(10 ** np.array(minor[1])), [2, 5, 20, 50])
    assert log_ticks(-12.0, 12.0, 100)[0][0] >= 5           # decades thinned on a short axis
    narrow = log_ticks(np.log10(300), np.log10(400), 300)[0][1]
    assert len(narrow) >= 2 and all(np.log10(300) <= v <= np.log10(400) for v in narrow)
    assert [format_log_value(v) for v in (0.001, 0.02, 500, 1e-5, 2e6, 350)] == [
        "0.001", "0.02", "500", "10⁻⁵", "2·10⁶", "350"]


def test_thin_boxes_greedy_keeps_priority_order():
    boxes = [(0, 0, 30, 10), (100, 0, 30, 10), (20, 0, 30, 10), (60, 0, 20, 10)]
    assert thin_boxes(boxes) == [0, 1, 3]
    assert thin_boxes([(i * 10.0, 0, 25, 10) for i in range(9)], evenly=True, gap=0) == [0, 3, 6]


# ---- log bars ---------------------------------------------------------------------------------------------
def test_log_bars_grow_upward_longer_for_larger_values(qtbot):
    spec = PlotSpec("grad_bars", "Gradient norm per layer", "bars", y_label="‖∂L/∂W‖", log_y=True)
    view = shown_view(qtbot, spec)
    values = np.array([1e-7, 3e-5, 2e-3, 0.4])
    view.set_data(BarsData(["1", "2", "3", "4"], values))
    rects = [view.bars.mapRectToScene(view.bars.boundingRect())]
    heights = np.asarray(view.bars.opts["height"], float)
    y0 = np.broadcast_to(np.asarray(view.bars.opts["y0"], float), heights.shape)
    assert np.all(heights > 0)                              # every bar grows upward from the base line
    assert np.all(np.diff(heights) > 0)                     # a larger value, a longer bar
    assert np.allclose(y0 + heights, np.log10(values))      # the top of a bar sits at its value
    assert np.all(y0 < np.log10(values.min()))
    vmin, vmax = view.plot_item.viewRange()[1]
    assert vmin <= y0.min() and vmax >= np.log10(values.max()) and rects
    texts = [t for _, t in drawn_labels(view, "left")]
    assert "0.001" in texts or "10⁻⁴" in texts or "0.01" in texts     # ticks read as values, not log10


def test_bars_hover_names_the_bar(qtbot):
    view = shown_view(qtbot, PlotSpec("b", "b", "bars"))
    view.set_data(BarsData(["duck", "elephant", "wolf"], np.array([0.2, 0.5, 0.3])))
    assert view.bar_at(1.1) == 1 and view.bar_at(1.45) is None and view.bar_at(7.0) is None


# ---- one-off views: anogan's histograms ---------------------------------------------------------------------
def test_score_histogram_has_a_legend_of_both_classes_clear_of_the_bars(qtbot):
    from lessons.anogan.detection import ScoreHistogramData
    from lessons.anogan.view import ScoreHistogramView

    rng = np.random.default_rng(0)
    view = ScoreHistogramView(PlotSpec("histograms", "Scores: normal vs anomalous", "score_histograms"))
    qtbot.addWidget(view)
    view.resize(340, 300)
    view.show()
    qtbot.waitExposed(view)
    data = ScoreHistogramData(rng.normal(0.08, 0.01, 30), rng.normal(0.25, 0.02, 70), threshold=0.25,
                              precision=0.9, recall=0.8, f1=0.85, auc=0.93, best_threshold=0.2, step=835,
                              status="scores of step 835")
    view.set_data(data)
    QApplication.processEvents()
    view.grab()
    assert {"normal", "anomalous"} <= {label.text for _, label in view.plot.legend.items}
    legend = view.plot.legend.sceneBoundingRect()
    assert view.plot.vb.sceneBoundingRect().contains(legend)
    for curve in (view.normal, view.anomalous):
        edges, counts = curve.getData()
        for x0, x1, n in zip(edges[:-1], edges[1:], counts):
            if n > 0:
                bar = view.plot.vb.mapViewToScene(pg.QtCore.QRectF(x0, 0, x1 - x0, n)).boundingRect()
                assert not bar.intersects(legend), "the legend covers a bar"
    title = view.plot.titleLabel
    assert "precision 0.90" in title.toolTip() + title.item.toPlainText()
    assert title.sceneBoundingRect().width() <= view.width()


# ---- one-off views: sagan's attention ------------------------------------------------------------------------
@pytest.mark.parametrize("width", [520, 700])
def test_sagan_attention_header_fits_and_the_overlay_has_a_colour_bar(qtbot, width):
    from lessons.sagan.lesson import AttentionPixelData, SaganLesson
    from lessons.sagan.view import AttentionPixelView

    rng = np.random.default_rng(0)
    samples = rng.uniform(-1, 1, (16, 16, 16)).astype(np.float32)
    att = rng.uniform(0, 1, (8, 8))
    att /= att.sum()
    view = AttentionPixelView(next(p for p in SaganLesson.plots if p.id == "attention"))
    qtbot.addWidget(view)
    view.resize(width, 320)
    view.show()
    qtbot.waitExposed(view)
    view.set_data(AttentionPixelData(samples[2], att, 5 * 16 + 6, 2, samples, 0.1))
    QApplication.processEvents()
    view.grab()
    scene_width = view.graphics.viewport().width()
    for title in (view.left_title, view.right_title):
        text_rect = title.mapRectToScene(title.itemRect())
        assert 0 <= text_rect.left() and text_rect.right() <= scene_width + 1, title.item.toPlainText()
    assert "max β" in view.right_title.item.toPlainText() + view.right_title.toolTip()
    assert view.colorbar.levels() == pytest.approx((0.0, float(att.max())))
    bar = view.colorbar.sceneBoundingRect()
    assert bar.width() > 0 and bar.right() <= scene_width + 1


# ---- bounded quantities ------------------------------------------------------------------------------------
def test_probability_matrices_use_levels_zero_to_one(qtbot):
    view = shown_view(qtbot, PlotSpec("attention", "Attention weights", "matrix"))
    weights = np.array([[0.1, 0.6, 0.3], [0.2, 0.2, 0.6]])
    view.set_data(MatrixData(weights, ["a", "b"], ["x", "y", "z"], fmt="", levels=(0.0, 1.0)))
    assert tuple(view.image_item.getLevels()) == (0.0, 1.0)
    assert tuple(view.colorbar.levels()) == (0.0, 1.0)


def test_the_attention_lessons_maps_are_drawn_from_zero_to_one():
    pytest.importorskip("torch")
    from lessons.attention.lesson import LESSON

    lesson = LESSON(LESSON.hyperparameters({"examples": 1000, "hidden_size": 16, "test_examples": 50}))
    lesson.train_step(1)
    snap = lesson.snapshot()
    assert snap["attention"].levels == (0.0, 1.0) and snap["your_attention"].levels == (0.0, 1.0)


@pytest.mark.parametrize("lesson,plot", [("gan_2d", "d_outputs"), ("anogan", "scores"), ("dcgan", "d_outputs")])
def test_discriminator_probabilities_get_a_fixed_zero_to_one_axis(lesson, plot):
    import importlib

    from visualizer.core.plotdata import fixed_y_range
    module = importlib.import_module(f"lessons.{lesson}.lesson")
    specs = [s for cls in vars(module).values() if isinstance(cls, type) for s in getattr(cls, "plots", ())
             if isinstance(s, PlotSpec) and s.id == plot]
    assert specs and fixed_y_range(specs[0]) == (0.0, 1.0)


# ---- texts drawn in data coordinates (captions, cell numbers) ------------------------------------------------
def test_labels_item_never_draws_overlapping_texts(qtbot):
    from visualizer.ui.plots.labels import Label, LabelsItem

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(260, 200)
    widget.show()
    qtbot.waitExposed(widget)
    item = LabelsItem(point_size=8, anchor=(0.5, 0.0))
    widget.getPlotItem().addItem(item)
    item.set_labels([Label(float(i), 0.0, f"t={i / 9:.2f}") for i in range(10)])
    widget.getPlotItem().setXRange(-0.5, 9.5, padding=0)
    QApplication.processEvents()
    widget.grab()
    rects = item.label_rects()
    drawn = [rects[i] for i in item.drawn]
    assert 0 < len(drawn) < 10 and item.drawn[0] == 0
    assert all(not a.intersects(b) for i, a in enumerate(drawn) for b in drawn[i + 1:])


# ---- the plot's frame title --------------------------------------------------------------------------------
def test_a_long_frame_title_is_elided_and_does_not_widen_the_frame(qtbot):
    from visualizer.ui.plot_frame import PlotFrame

    title = "Largest singular value σ of the discriminator's weights before spectral normalization"
    view = make_plot_view(PlotSpec("sigma", title, "curves", series=("a",), tooltip="σ(W) of each conv."))
    frame = PlotFrame(view)
    qtbot.addWidget(frame)
    frame.resize(300, 320)
    frame.show()
    qtbot.waitExposed(frame)
    assert frame.minimumSizeHint().width() <= 300
    assert frame.title.text().endswith("…") and frame.title.text() != title
    assert frame.title.toolTip().startswith(title) and "σ(W) of each conv." in frame.title.toolTip()
    frame.resize(1400, 320)
    QApplication.processEvents()
    assert frame.title.text() == title and frame.title.toolTip() == "σ(W) of each conv."
