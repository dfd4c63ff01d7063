"""Curve plots' axes (issue #13): the x axis follows the current run, earlier runs are context; a bounded
metric (accuracy, a share, a probability) keeps a fixed 0–1 y axis; log axes stay log."""
import numpy as np
import pytest

from visualizer.core.plotdata import CurvesData, PlotSpec, fixed_y_range, share_plot
from visualizer.ui.plots.curves import CurvesView

LOSS = PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), y_label="cross-entropy")
ACCURACY = PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "val_acc"), y_label="accuracy")


def shown(qtbot, spec):
    view = CurvesView(spec)
    qtbot.addWidget(view)
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    return view


def run(steps, value=lambda x: 2.0 * np.exp(-x / 2000.0), name="train_loss"):
    x = np.arange(0.0, steps, 10.0)
    return CurvesData({name: (x, value(x))})


def x_range(view):
    return view.plot_item.vb.viewRange()[0]


def y_range(view):
    return view.plot_item.vb.viewRange()[1]


def test_a_short_current_run_is_not_squeezed_by_a_long_earlier_run(qtbot):
    view = shown(qtbot, LOSS)
    view.set_previous_runs([("run 1", run(50_000))])
    view.set_data(run(3_000))
    lo, hi = x_range(view)
    assert lo <= 0 and 3_000 <= hi <= 5_000         # the current run fills most of the width
    assert len(view._previous_items) == 1           # the earlier run is still drawn, as context


def test_earlier_runs_shape_the_y_axis_only_over_the_steps_shown(qtbot):
    view = shown(qtbot, LOSS)
    early_high = run(50_000, lambda x: np.where(x < 1_000, 5.0, 0.1))
    late_high = run(50_000, lambda x: np.where(x > 20_000, 50.0, 0.1))
    view.set_previous_runs([("run 1", early_high), ("run 2", late_high)])
    view.set_data(run(3_000))
    lo, hi = y_range(view)
    assert 5.0 <= hi < 50.0                          # run 1's start is in view, run 2's late spike is not


def test_show_all_runs_zooms_out_and_reset_zoom_follows_the_current_run_again(qtbot):
    view = shown(qtbot, LOSS)
    view.set_previous_runs([("run 1", run(50_000))])
    view.set_data(run(3_000))
    assert "Show all runs" in [a.text() for a in view.context_menu().actions()]
    view.show_all_runs()
    assert x_range(view)[1] >= 50_000
    view.set_data(run(3_100))                        # training goes on: the user's zoom stays
    assert x_range(view)[1] >= 50_000
    view.reset_zoom()
    assert x_range(view)[1] <= 5_000


def test_without_a_current_run_the_earlier_runs_set_the_axes(qtbot):
    view = shown(qtbot, LOSS)
    view.set_previous_runs([("run 1", run(50_000))])
    view.set_data(CurvesData({"train_loss": (np.zeros(0), np.zeros(0))}))
    assert x_range(view)[1] >= 50_000


@pytest.mark.parametrize("value", [0.0, 0.37, 1.0])
def test_an_accuracy_plot_keeps_0_to_1_even_when_the_values_are_constant(qtbot, value):
    view = shown(qtbot, ACCURACY)
    view.set_data(run(3_000, lambda x: np.full_like(x, value), name="val_acc"))
    lo, hi = y_range(view)
    assert -0.05 <= lo <= 0.0 and 1.0 <= hi <= 1.05


def test_an_accuracy_plot_does_not_zoom_into_noise(qtbot):
    view = shown(qtbot, PlotSpec("accuracy", "Test accuracy", "curves", series=("val_acc",), y_label="accuracy"))
    noise = run(3_000, lambda x: 0.001 * (np.arange(len(x)) % 2), name="val_acc")    # seq2seq's 0–0.002
    view.set_data(noise)
    lo, hi = y_range(view)
    assert lo <= 0.0 and hi >= 1.0


def test_a_value_outside_the_fixed_range_is_still_shown(qtbot):
    view = shown(qtbot, PlotSpec("acc", "Accuracy", "curves", series=("val_rel_acc",), y_label="accuracy"))
    view.set_data(run(100, lambda x: np.linspace(-0.5, 0.9, len(x)), name="val_rel_acc"))
    lo, hi = y_range(view)
    assert lo <= -0.5 and hi >= 1.0


def test_an_explicit_y_range_and_an_opt_out_win_over_the_names():
    assert fixed_y_range(PlotSpec("g", "γ", "curves", series=("gamma",), y_range=(-1, 1))) == (-1.0, 1.0)
    assert fixed_y_range(PlotSpec("a", "Accuracy", "curves", series=("val_acc",), y_range=())) is None


@pytest.mark.parametrize("spec, bounded", [
    (ACCURACY, True),
    (PlotSpec("s", "Scores", "curves", series=("val_precision", "val_recall", "val_f1")), True),
    (PlotSpec("p", "Precision@10", "curves", series=("precision_at_10",)), True),
    (PlotSpec("q", "Quality", "curves", series=("analogy_acc", "nn_same_class"), y_label="share"), True),
    (PlotSpec("d", "D(x)", "curves", series=("d_real", "d_fake"), y_label="probability 'real'"), True),
    (PlotSpec("t", "Twins", "curves", series=("val_acc", "val_acc@torch")), True),
    (LOSS, False),
    (PlotSpec("gap", "Gap", "curves", series=("gap_acc", "gap_loss"), y_label="gap"), False),
    (PlotSpec("s", "Scores", "curves", series=("val_f1", "val_r2"), y_label="score"), False),   # R² can be < 0
])
def test_which_plots_show_shares(spec, bounded):
    assert share_plot(spec) is bounded


def test_log_axes_stay_log(qtbot):
    spec = PlotSpec("acc", "Accuracy", "curves", series=("val_acc",), y_label="accuracy", log_y=True)
    assert fixed_y_range(spec) is None
    view = shown(qtbot, spec)
    view.set_data(run(3_000, lambda x: 1e-3 + x / 4e3, name="val_acc"))
    assert view.plot_item.getAxis("left").logMode


def test_a_log_axis_spans_at_most_six_decades_below_its_largest_value(qtbot):
    """style_transfer's content loss starts at ~1e-13 (the image starts as the photo): the axis must not run
    down to 1e-13 and squash the curves that matter into its top third."""
    spec = PlotSpec("loss", "Losses", "curves", series=("total_loss", "content_loss"), log_y=True)
    view = shown(qtbot, spec)
    x = np.arange(1.0, 301.0)
    data = CurvesData({"total_loss": (x, 2.0 / x ** 0.3), "content_loss": (x, np.minimum(1e-13 * x ** 8, 0.1))})
    view.set_data(data)
    lo, hi = view.plot_item.getViewBox().viewRange()[1]
    assert hi >= np.log10(2.0) - 0.01 and lo >= np.log10(2.0) - 6.5
    view.set_previous_runs([("Run 1: same settings", data)])        # an earlier run's tiny values as well
    view.set_data(CurvesData({"total_loss": (x[:50], 2.0 / x[:50] ** 0.3)}))
    lo, hi = view.plot_item.getViewBox().viewRange()[1]
    assert lo >= np.log10(2.0) - 6.5


@pytest.mark.parametrize("size", [(520, 380), (330, 240)])
def test_the_legend_never_covers_the_data_and_is_not_clipped(qtbot, size):
    """Long run labels and many entries: the legend lies above the plot area, inside the widget,
    with each run's label cut (the whole label in its tooltip)."""
    view = shown(qtbot, LOSS)
    view.resize(*size)
    long = "Run {}: Learning rate 0.1, Hidden units 8, Activation tanh, x₁·x₂ on, Batch size 32"
    view.set_previous_runs([(long.format(i), run(5_000 * i)) for i in (1, 2, 3)])
    view.set_data(CurvesData({"train_loss": run(3_000).series["train_loss"],
                              "val_loss": (np.arange(0.0, 3_000, 50.0), np.full(60, 2.0))}))  # data at the top
    qtbot.wait(50)                                  # the strip above the plot area is laid out
    legends = [view.legend, view.run_legend]
    plot_area = view.plot_item.vb.sceneBoundingRect()
    widget = view.graphics.sceneRect()
    assert [len(legend.items) for legend in legends] == [2, 3]
    for legend in legends:
        box = legend.sceneBoundingRect()
        assert not box.intersects(plot_area)
        assert widget.contains(box)
    assert not legends[0].sceneBoundingRect().intersects(legends[1].sceneBoundingRect())
    labels = [label for _, label in view.run_legend.items]
    assert all(len(label.text) <= 40 for label in labels)
    assert labels[-1].toolTip() == long.format(3)


def test_legend_names_spell_the_fields_acronyms():
    from visualizer.ui.plots.curves import series_label

    assert series_label("val_miou_no_ppm") == "val mIoU no PPM"
    assert series_label("val_oks_ap50") == "val OKS AP50"
    assert series_label("val_loss@torch") == "val loss (torch twin)"
    assert series_label("mapping_loss") == "mapping loss"          # only whole words


def test_a_series_with_one_point_is_drawn_as_a_dot_until_it_has_a_line(qtbot):
    view = shown(qtbot, LOSS)
    view.set_data(CurvesData({"train_loss": (np.array([1.0, 2.0]), np.array([0.5, 0.4])),
                              "val_loss": (np.array([2.0]), np.array([0.45]))}))
    assert view.curves["val_loss"].opts["symbol"] == "o"          # the first validation: one point, a dot
    assert view.curves["train_loss"].opts["symbol"] is None
    view.set_data(CurvesData({"train_loss": (np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.4, 0.3])),
                              "val_loss": (np.array([2.0, 4.0]), np.array([0.45, 0.41]))}))
    assert view.curves["val_loss"].opts["symbol"] is None          # a line now: no dot


def test_a_fixed_x_range_from_the_data_is_used_while_the_data_fits_it(qtbot):
    view = shown(qtbot, LOSS)
    x = np.arange(0.0, 30.0)
    view.set_data(CurvesData({"train_loss": (x, np.exp(-x / 10))}, x_range=(0.0, 500.0)))
    assert x_range(view) == [0.0, 500.0]
    x = np.arange(0.0, 800.0)                               # data past the fixed range: the axis follows it again
    view.set_data(CurvesData({"train_loss": (x, np.exp(-x / 10))}, x_range=(0.0, 500.0)))
    assert x_range(view)[1] >= 800.0
    view.set_data(CurvesData({"train_loss": (x[:40], np.exp(-x[:40] / 10))}, x_range=(0.0, 500.0)))
    assert x_range(view) == [0.0, 500.0]


def test_solid_curves_are_drawn_as_segments_and_dashed_ones_as_one_polyline(qtbot):
    """A 2 px antialiased polyline of a jagged curve is stroked as one outline (tens of ms at 100 points);
    segments cost ~1 ms.  A dashed validation curve keeps the polyline so its dashes run on."""
    view = shown(qtbot, LOSS)
    x = np.arange(50.0)
    view.set_data(CurvesData({"train_loss": (x, np.sin(x)), "val_loss": (x[::10], np.cos(x[::10]))}))
    assert view.curves["train_loss"].curve.opts["segmentedLineMode"] == "on"
    assert view.curves["val_loss"].curve.opts["segmentedLineMode"] == "auto"
    x = np.arange(600.0)                                       # dense: thin, solid, segments again
    view.set_data(CurvesData({"train_loss": (x, np.sin(x)), "val_loss": (x, np.cos(x))}))
    assert view.curves["val_loss"].dense and view.curves["val_loss"].curve.opts["segmentedLineMode"] == "on"


def test_an_engine_twin_band_is_opaque_pale_and_drawn_as_plain_segments(qtbot):
    from visualizer.ui import theme
    from visualizer.ui.plots.curves import pale
    import pyqtgraph as pg

    view = shown(qtbot, LOSS)
    x = np.arange(300.0)
    view.set_data(CurvesData({"train_loss": (x, np.sin(x)), "train_loss@torch": (x, np.sin(x))}))
    band = view.curves["train_loss@torch"]
    pen = band.opts["pen"]
    assert pen.color().alpha() == 255 and pen.widthF() == 6
    assert band.curve.opts["segmentedLineMode"] == "on" and band.curve.opts["antialias"] is False
    bg = pg.mkColor(theme.current().background)
    c = pale("#ff0000", 90)                                  # red at 90/255 over the background
    assert c.alpha() == 255 and c.red() == round(90 / 255 * 255 + (1 - 90 / 255) * bg.red())
