"""Each plot kind draws its data and exports PNG (decodes), SVG (XML with drawn paths) and CSV
(the plotted rows); the clipboard gets the image and the table; export errors reach the UI."""
import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage

from visualizer.core.export import ExportError
from visualizer.core.plotdata import BarsData, CurvesData, ImageGridData, PlotSpec
from visualizer.ui.plots import MissingKindView, make_plot_view
from visualizer.ui.plots.curves import StickyRange, nice_ceil
from visualizer.ui.plots.image import ImageView
from visualizer.ui.plots.image_grid import ImageGridView
from visualizer.ui.plots.network import NetworkView
from tests.ui.sample_data import KINDS, sample


def shown_view(qtbot, spec, lesson_cls=None):
    view = make_plot_view(spec, lesson_cls)
    qtbot.addWidget(view)
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_exports_png_svg_csv(qtbot, tmp_path, kind):
    spec, data, n_rows = sample(kind)
    view = shown_view(qtbot, spec)
    assert not view.has_data
    view.set_data(data)
    assert view.has_data and view.draw_count == 1

    view.export_png(tmp_path / "p.png")
    img = QImage(str(tmp_path / "p.png"))
    assert not img.isNull() and img.width() >= 520 and img.height() >= 380
    colours = {img.pixel(x, y) for x in range(0, img.width(), 17) for y in range(0, img.height(), 17)}
    assert len(colours) > 3                      # something was drawn, not a blank page

    view.export_svg(tmp_path / "p.svg")
    root = ET.parse(tmp_path / "p.svg").getroot()
    assert root.tag.endswith("svg")
    assert any(el.tag.endswith("path") for el in root.iter())
    assert "<path" in (tmp_path / "p.svg").read_text()

    view.export_csv(tmp_path / "p.csv")
    rows = list(csv.reader((tmp_path / "p.csv").open()))
    assert rows[0] == data.table()[0]
    assert len(rows) - 1 == n_rows


def test_csv_holds_the_plotted_values(qtbot, tmp_path):
    spec, data, _ = sample("bars")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    view.export_csv(tmp_path / "b.csv")
    rows = list(csv.reader((tmp_path / "b.csv").open()))
    assert rows[1:] == [["layer 1", "0.5"], ["layer 2", "0.1"], ["layer 3", "0.02"]]


def test_wrong_data_class_is_a_clear_type_error(qtbot):
    view = shown_view(qtbot, sample("image")[0])
    with pytest.raises(TypeError, match="expects ImageData, got BarsData"):
        view.set_data(BarsData(["a"], np.array([1.0])))
    assert not view.has_data


def test_export_without_data_and_into_read_only_folder(qtbot, tmp_path, monkeypatch):
    spec, data, _ = sample("bars")
    view = shown_view(qtbot, spec)
    with pytest.raises(ExportError, match="no data yet"):
        view.export_csv(tmp_path / "x.csv")
    view.set_data(data)

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("tempfile.mkstemp", deny)
    with qtbot.waitSignal(view.message) as blocker:
        assert view.export_to("png", tmp_path / "x.png") is None
    kind, text = blocker.args
    assert kind == "error" and "read-only" in text
    assert not (tmp_path / "x.png").exists()


def test_copy_to_clipboard_puts_image_and_table(qtbot):
    spec, data, _ = sample("matrix")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    with qtbot.waitSignal(view.message):
        view.copy_interactively()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasImage()
    assert mime.text().splitlines()[0] == "true\\predicted,0,1,2"


def test_context_menu_offers_every_export(qtbot):
    view = shown_view(qtbot, sample("curves")[0])
    texts = [a.text() for a in view.context_menu().actions()]
    assert texts[:4] == ["Export PNG…", "Export SVG…", "Export CSV…", "Copy to clipboard"]
    assert "Reset zoom" in texts


def test_curves_draw_markers_for_live_changes_and_restart_with_a_new_run(qtbot):
    spec, data, _ = sample("curves")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    assert len(view.markers) == 1 and view.markers[0].value() == 10
    x = np.arange(1, 5.0)
    view.set_data(CurvesData({"train_loss": (x, x)}, [(2, "lr: 1 → 2"), (3, "lr: 2 → 3")]))
    assert [m.value() for m in view.markers] == [2, 3]


def test_curves_log_y_drops_non_positive_values(qtbot):
    spec = PlotSpec("g", "Grad", "curves", series=("g",), log_y=True)
    view = shown_view(qtbot, spec)
    view.set_data(CurvesData({"g": (np.arange(4.0), np.array([1.0, 0.0, -1.0, 0.1]))}))
    x, y = view.curves["g"].getData()
    assert list(x) == [0.0, 3.0]


def test_sticky_range_moves_only_when_data_leaves_or_shrinks():
    r = StickyRange(margin=0.0)
    assert r.update(0, 10) == (0, 10)
    assert r.update(1, 9) is None
    assert r.update(0, 11) == (0, 11)
    assert r.update(0, 2) == (0, 2)
    assert StickyRange(margin=0.0).update(0.0, 0.0) == (-0.5, 0.5)
    assert [nice_ceil(v) for v in (0.7, 3, 3.1, 120, 2400, 3180, 8100)] == [0.7, 3.0, 3.5, 120.0, 2500.0, 3500.0, 10000.0]


def test_image_orientation_and_extent(qtbot):
    spec, data, _ = sample("image")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    dx = 3.0 / 39
    assert rect.left() == pytest.approx(-1.5 - dx / 2) and rect.right() == pytest.approx(1.5 + dx / 2)
    assert rect.top() == pytest.approx(-1 - 1 / 29)             # row 0 at the bottom (smallest y)
    assert view.colorbar.levels() == (0.0, 1.0)
    assert view.overlay.point_count() == 20
    assert {k[1] for k in view.overlay.items} == {"train", "test"}


def test_image_grid_captions_and_colours(qtbot):
    spec, data, _ = sample("image_grid")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    assert isinstance(view, ImageGridView)
    assert view.captions.texts()[:2] == ["pred 0\ntrue 1", "pred 1\ntrue 2"]
    assert view.captions.labels[0].color == "#d62728"
    assert view.captions.isVisible() and view.captions_fit
    assert len(view.tile_origins) == 6
    many = ImageGridData(np.zeros((24, 8, 8), np.float32), [f"pred {i} / true 0" for i in range(24)], ncols=24)
    view.set_data(many)                      # tiles narrower than "pred 10": captions step aside
    qtbot.waitUntil(lambda: not view.captions_fit)
    assert not view.captions.isVisible()
    view.set_data(data)
    qtbot.waitUntil(lambda: view.captions_fit)


def test_matrix_numbers_in_cells_readable_on_their_colour(qtbot):
    spec, data, _ = sample("matrix")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    labels = view.cell_labels.labels
    assert [l.text for l in labels[:3]] == ["50", "2", "1"]
    assert (labels[0].x, labels[0].y) == (0.5, 0.5)
    assert labels[0].color == "#000000" and labels[1].color == "#ffffff"     # viridis: bright vs dark
    assert view.plot_item.getAxis("left").labelText == "true"


def test_network_edges_coloured_by_sign_and_sized_by_magnitude(qtbot):
    spec, data, _ = sample("network")
    view = shown_view(qtbot, spec)
    view.set_data(data)
    assert isinstance(view, NetworkView)
    w = data.weights[0]
    i, j = np.unravel_index(np.argmax(np.abs(w)), w.shape)
    big = view.edge_pen(0, i, j)
    assert big.color().name() == ("#0877bd" if w[i, j] > 0 else "#f59322")
    k, m = np.unravel_index(np.argmin(np.abs(w)), w.shape)
    assert view.edge_pen(0, k, m).widthF() < big.widthF()
    labels = [t.toPlainText() for t in view.text_items]
    assert "x1" in labels and "x2" in labels and "output" in labels


def test_lesson_view_module_adds_kinds_and_unknown_kinds_get_a_placeholder(qtbot):
    from tests.ui.custom_kind import DialLesson
    from tests.ui.custom_kind.view import DialView
    dial = make_plot_view(DialLesson.plots[0], DialLesson)
    mystery = make_plot_view(DialLesson.plots[1], DialLesson)
    qtbot.addWidget(dial)
    qtbot.addWidget(mystery)
    assert isinstance(dial, DialView) and isinstance(mystery, MissingKindView)
    assert isinstance(make_plot_view(sample("image")[0], DialLesson), ImageView)


def test_long_validation_curves_are_drawn_solid_to_their_end(qtbot):
    """Qt's dash stroker gives up after a fixed number of dashes: a long dashed curve stops short."""
    from PySide6.QtCore import Qt

    spec = PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"))
    view = shown_view(qtbot, spec)
    x = np.arange(1, 51.0)
    view.set_data(CurvesData({"train_loss": (x, 1 / x), "val_loss": (x, 2 / x)}))
    assert view.curves["val_loss"].opts["pen"].style() == Qt.PenStyle.DashLine       # short: dashed
    x = np.arange(1, 3001.0)
    noisy = 0.1 + 0.05 * np.sin(x)
    view.set_data(CurvesData({"train_loss": (x, noisy), "val_loss": (x, noisy)}))
    assert view.curves["val_loss"].opts["pen"].style() == Qt.PenStyle.SolidLine
    img = view.render_image(1.0)
    # the validation curve reaches the right end of the data (x = 3000 of an axis to 3500)
    right = [img.pixelColor(c, r) for c in range(int(img.width() * 0.80), int(img.width() * 0.90))
             for r in range(int(img.height() * 0.3), img.height())]     # below the legend's sample lines
    pen = view.curves["val_loss"].opts["pen"].color()
    assert any(abs(p.red() - pen.red()) + abs(p.green() - pen.green()) + abs(p.blue() - pen.blue()) < 60
               for p in right)


def test_class_band_colormap_matches_the_class_colours():
    from PySide6.QtGui import QColor

    from visualizer.ui.plots.colormaps import class_color, colormap

    k = 4
    cmap = colormap(f"classes{k}")
    for c in range(k):
        sure = cmap.map(np.array([(c + 0.999) / k]), mode="qcolor")[0]        # confident: the class colour
        unsure = cmap.map(np.array([(c + 0.001) / k]), mode="qcolor")[0]      # unsure: pale
        want = QColor(class_color(c))
        assert abs(sure.red() - want.red()) + abs(sure.green() - want.green()) + abs(sure.blue() - want.blue()) < 12
        assert unsure.lightness() > sure.lightness()
    assert colormap("classes99").name == "viridis"        # out of range: the fallback, not an error


def _poison(value):
    """A copy of ``value`` with NaN and +Inf in every float array inside it (lists, tuples, dicts, dataclasses)."""
    import dataclasses

    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size >= 2:
        out = value.copy()
        out.flat[0], out.flat[-1] = np.nan, np.inf
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _poison(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, dict):
        return {k: _poison(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_poison(v) for v in value)
    return value


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_draws_and_exports_data_with_nan_and_inf(qtbot, tmp_path, kind):
    """A diverging run hands the views NaN and Inf: they draw what is finite and still export."""
    spec, data, _rows = sample(kind)
    view = shown_view(qtbot, spec)
    if kind == "curves":                                  # steps are always finite: only the values diverge
        bad = CurvesData({n: (x, _poison(y)) for n, (x, y) in data.series.items()}, list(data.markers))
    else:
        bad = _poison(data)
    view.set_data(bad)
    qtbot.wait(20)
    for fmt in ("png", "svg", "csv"):
        view.export(fmt, tmp_path / f"{kind}.{fmt}")
        assert (tmp_path / f"{kind}.{fmt}").stat().st_size > 0
    view.set_data(data)                                   # and recover once the data is finite again


def test_long_marker_labels_are_cut_but_the_tooltip_keeps_them(qtbot):
    from visualizer.core.plotdata import CurvesData, PlotSpec
    from visualizer.ui.plots.curves import MARKER_LABEL_CHARS, CurvesView

    view = CurvesView(PlotSpec("loss", "Loss", "curves", series=("train_loss",)))
    qtbot.addWidget(view)
    text = "drawn_points: → " + "0.5,0.5;" * 500
    view.set_data(CurvesData({"train_loss": (np.arange(3.0), np.ones(3))}, [(1, text)]))
    line = view.markers[0]
    assert len(line.label.toPlainText()) == MARKER_LABEL_CHARS and line.label.toPlainText().endswith("…")
    assert text in line.toolTip()


def test_word_map_redraw_reuses_cached_symbols(qtbot, monkeypatch):
    """pyqtgraph caches scatter symbols by brush object: a redraw with the same colours must not render
    any symbol again (fresh brushes per redraw re-rendered all of them, ~5 ms per 100 words)."""
    import pyqtgraph.graphicsItems.ScatterPlotItem as scatter_module

    from visualizer.core.plotdata import WordMapData
    from visualizer.ui.plots.word_map import WordMapView

    rng = np.random.default_rng(0)

    def data():
        return WordMapData(rng.normal(size=(60, 2)), [f"w{i}" for i in range(60)], np.arange(60) % 3,
                           ("noun", "verb", "adjective"), [0, 1, 2])

    view = WordMapView(PlotSpec("map", "Word map", "word_map"))
    qtbot.addWidget(view)
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    view.set_data(data())
    view.grab()
    rendered = []
    original = scatter_module.renderSymbol
    monkeypatch.setattr(scatter_module, "renderSymbol", lambda *a, **k: rendered.append(1) or original(*a, **k))
    for _ in range(3):
        view.set_data(data())
        view.grab()
    assert view.draw_count == 4 and rendered == []


def test_noisy_curves_are_drawn_thin_smooth_ones_wide(qtbot):
    """Few points: 2 px, unless the curve zigzags (a GAN's losses), which 2 px antialiased makes slow."""
    view = shown_view(qtbot, PlotSpec("losses", "Losses", "curves", series=("smooth", "noisy")))
    x = np.arange(1.0, 301.0)
    noisy = 1 + 0.5 * (-1.0) ** x + 0.01 * x
    view.set_data(CurvesData({"smooth": (x, 1 / x), "noisy": (x, noisy)}))
    assert view.curves["smooth"].opts["pen"].widthF() == 2
    assert view.curves["noisy"].opts["pen"].widthF() == 1
    x2 = np.arange(1.0, 311.0)                                   # it stays thin while it grows
    view.set_data(CurvesData({"smooth": (x2, 1 / x2), "noisy": (x2, np.full(310, 1.0))}))
    assert view.curves["noisy"].opts["pen"].widthF() == 1 and view.curves["smooth"].opts["pen"].widthF() == 2


def test_word_map_in_3d_draws_nearer_words_larger_and_on_top(qtbot):
    from visualizer.core.plotdata import WordMapData
    from visualizer.ui.plots.word_map import WordMapView

    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [3.0, 2.0]])
    depth = np.array([0.5, -1.0, 2.0, 0.0])
    view = WordMapView(PlotSpec("map", "Word map", "word_map"))
    qtbot.addWidget(view)
    view.show()
    view.set_data(WordMapData(pts, ["a", "b", "c", "d"], np.zeros(4, int), ("word",), [], depth=depth))
    drawn = view.dots.data
    assert list(drawn["x"]) == [1.0, 3.0, 0.0, 2.0]                  # far to near: the nearest is drawn last
    assert list(drawn["size"]) == sorted(drawn["size"]) and drawn["size"][-1] > drawn["size"][0]
    colours = {label.text: label.color for label in view.labels.labels}
    assert colours["c"] == "#5f6368" and colours["b"].startswith("#59")    # the farthest label is faint
    view.grab()


def test_changes_at_one_step_share_one_marker(qtbot):
    from visualizer.ui.plots.curves import CurvesView

    view = CurvesView(PlotSpec("loss", "Loss", "curves", series=("train_loss",)))
    qtbot.addWidget(view)
    x = np.arange(10.0)
    view.set_data(CurvesData({"train_loss": (x, x)}, [(2, "lr: 1 → 2"), (2, "batch_size: 8 → 16"), (5, "lr: 2 → 3")]))
    assert [m.value() for m in view.markers] == [2, 5]
    assert view.markers[0].label.toPlainText() == "lr: 1 → 2; batch_size: 8 → 16"
    assert "batch_size: 8 → 16" in view.markers[0].toolTip()
    view.set_data(CurvesData({"train_loss": (x, x)}, [(2, "lr: 1 → 2"), (2, "batch_size: 8 → 16"), (5, "lr: 2 → 3"),
                                                       (5, "momentum: 0 → 0.9")]))
    assert len(view.markers) == 2 and view.markers[1].label.toPlainText() == "lr: 2 → 3; momentum: 0 → 0.9"


def test_dragging_a_3d_word_map_turns_it_and_asks_for_the_angles(qtbot):
    from visualizer.probes.word_map import view_3d
    from visualizer.core.plotdata import WordMapData
    from visualizer.ui.plots.word_map import DEGREES_PER_PX, WordMapView

    cloud = np.random.default_rng(1).normal(size=(12, 3))

    def data(az, el):
        pts, depth = view_3d(cloud, az, el)
        return WordMapData(pts, [f"w{i}" for i in range(12)], np.zeros(12, int), ("word",), [0], depth=depth,
                           points3d=cloud, angles=(az, el))

    view = WordMapView(PlotSpec("map", "Word map", "word_map"))
    qtbot.addWidget(view)
    view.show()
    view.set_data(data(30.0, 20.0))
    asked = []
    view.paramRequested.connect(lambda name, value: asked.append((name, value)))
    view.turn_by(20 / DEGREES_PER_PX, 0)                                 # mid-drag: turned here, nothing asked
    shown = np.column_stack([view.dots.data["x"], view.dots.data["y"]])
    expected, depth = view_3d(cloud, 50.0, 20.0)
    order = np.argsort(depth, kind="stable")
    np.testing.assert_allclose(shown, expected[order], atol=1e-9)
    assert asked == [] and "azimuth 50°" in view.plot_item.getAxis("bottom").labelText
    view.set_data(data(30.0, 20.0))                                      # a snapshot with the old angles: kept
    np.testing.assert_allclose(np.column_stack([view.dots.data["x"], view.dots.data["y"]]), expected[order],
                               atol=1e-9)
    view.turn_by(20 / DEGREES_PER_PX, -10 / DEGREES_PER_PX, finish=True)
    assert asked == [("azimuth", 50), ("elevation", 30)]
    view.set_data(data(50.0, 30.0))                                      # the lesson took them
    assert view._turn is None
    view.turn_by(0, -200 / DEGREES_PER_PX, finish=True)                   # elevation stops at 90°
    assert asked[-1] == ("elevation", 90)


def test_every_shared_kind_has_one_view_and_subclasses_share_their_parents():
    import dataclasses

    from visualizer.core.plotdata import PLOT_KINDS, MatrixData, ScatterData, TableData
    from visualizer.ui.plots import DATA_VIEWS, kind_view, register_view, view_for
    from visualizer.ui.plots.matrix import MatrixView
    from visualizer.ui.plots.scatter import ScatterView
    from visualizer.ui.plots.table import TableView

    for kind, data_type in PLOT_KINDS.items():
        assert kind_view(kind) is DATA_VIEWS[data_type] and DATA_VIEWS[data_type].data_type is data_type
    assert view_for(TableData) is TableView and view_for(MatrixData) is MatrixView

    @dataclasses.dataclass
    class TitledScatter(ScatterData):
        extra: str = ""

    assert view_for(TitledScatter) is ScatterView            # a lesson's subclass is drawn by the shared view
    assert kind_view("gan_field") is None

    class SecondMatrixView(MatrixView):
        pass

    with pytest.raises(ValueError, match="one view per data class"):
        register_view(SecondMatrixView)


def test_a_lesson_view_module_cannot_replace_a_shared_kind(monkeypatch):
    from tests.ui.custom_kind import DialLesson
    from tests.ui.custom_kind import view as dial_view
    from visualizer.ui.plots import lesson_plot_views

    monkeypatch.setattr(dial_view, "PLOT_VIEWS", {"dial": dial_view.DialView, "table": dial_view.DialView})
    with pytest.raises(ValueError, match="shared plot kinds"):
        lesson_plot_views(DialLesson)


def test_table_is_a_sortable_table_widget_with_units_in_its_header(qtbot):
    import dataclasses

    from PySide6.QtWidgets import QTableWidget

    spec, data, _ = sample("table")
    data = dataclasses.replace(data, row_title="configuration", units=("", "", "share"))
    view = shown_view(qtbot, spec)
    view.set_data(data)
    table = view.table_widget
    assert isinstance(table, QTableWidget) and (table.rowCount(), table.columnCount()) == (2, 4)
    assert view.header_labels() == ["configuration", "steps/s", "ms/step", "val acc\n(share)"]
    head = table.horizontalHeader()
    qtbot.wait(10)
    for c, text in enumerate(view.header_labels()):                    # no header is cut
        assert head.sectionSize(c) >= max(head.fontMetrics().horizontalAdvance(t) for t in text.split("\n"))
    assert [[view.cell_text(r, c) for c in range(4)] for r in range(2)] == [
        ["NumPy f32", "1.52e+03", "0.66", "0.91"], ["NumPy f64", "380", "2.6", ""]]    # raw values, NaN blank
    table.sortByColumn(1, Qt.SortOrder.AscendingOrder)                  # numerically: 380 before 1520
    assert [view.cell_text(r, 0) for r in range(2)] == ["NumPy f64", "NumPy f32"]
    table.sortByColumn(3, Qt.SortOrder.AscendingOrder)                  # an empty cell sorts last
    assert [view.cell_text(r, 0) for r in range(2)] == ["NumPy f32", "NumPy f64"]
    view.set_data(dataclasses.replace(data, values=data.values[::-1].copy(), row_labels=["NumPy f64", "NumPy f32"]))
    assert [view.cell_text(r, 0) for r in range(2)] == ["NumPy f32", "NumPy f64"]   # a redraw keeps the order
    assert view.table()[0] == ["configuration", "steps/s", "ms/step", "val acc (share)"]
    long_label = dataclasses.replace(data, row_labels=["NumPy float16 (stopped @ step 1)", "NumPy f64"])
    view.resize(330, 260)                                               # half a plot grid at 1280x800
    view.set_data(long_label)
    qtbot.wait(20)
    head = table.horizontalHeader()
    assert table.horizontalScrollBar().maximum() == 0                  # every column on screen ...
    for c in range(1, 4):                                               # ... and every number whole
        assert head.sectionSize(c) >= table.sizeHintForColumn(c)


def test_text_and_predictions_views_show_their_rows(qtbot):
    spec, data, _ = sample("text")
    text = shown_view(qtbot, spec)
    text.set_data(data)
    assert text.plain_text().splitlines()[-2:] == ["the cat sat on the mat", "a dog ran"]
    spec, data, _ = sample("predictions")
    table = shown_view(qtbot, spec)
    table.set_data(data)
    colours = table.row_colors()
    assert colours[0] == colours[2] != colours[1] and "2 of 3 shown right" in table.caption.text()


def test_predictions_view_gives_a_long_question_the_room_and_its_full_text_on_hover(qtbot):
    import dataclasses

    spec, data, _ = sample("predictions")
    review = "although the lead actor never felt weak , the villain seemed really clumsy and painful"
    long = dataclasses.replace(data, questions=[review, "52+8", "3+3"])
    view = shown_view(qtbot, spec)
    view.resize(700, 300)
    view.set_data(long)
    qtbot.wait(20)
    table = view.table_widget
    head = table.horizontalHeader()
    assert head.sectionSize(0) > head.sectionSize(1) + head.sectionSize(2)   # short answers fit their text
    assert table.item(0, 0).toolTip() == review


def test_clicking_a_tile_opens_it_large_and_it_follows_the_data(qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtTest import QTest

    spec, data, _ = sample("image_grid")
    view = shown_view(qtbot, spec)
    view.resize(600, 500)
    view.set_data(data)
    qtbot.wait(20)
    h, w = data.images.shape[1:3]
    x0, y0 = view.tile_origins[3]
    scene_pos = view.view_box.mapViewToScene(QPointF(x0 + w / 2, y0 + h / 2))
    widget_pos = view.graphics.mapFromScene(scene_pos)
    QTest.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     widget_pos)
    qtbot.waitUntil(lambda: view.enlarged is not None and view.enlarged.isVisible())
    dialog = view.enlarged
    qtbot.addWidget(dialog)
    assert dialog.index == 3 and np.array_equal(dialog.tile, data.images[3])
    assert "pred 3" in dialog.caption.text() and "true 4" in dialog.caption.text()
    assert dialog.colorbar.isVisible() and tuple(dialog.colorbar.levels()) == (-2.0, 2.0)
    newer = data.images * 0.5
    view.set_data(ImageGridData(newer, data.captions, data.levels, data.colormap))     # live: same tile, new data
    assert np.array_equal(dialog.tile, newer[3])
    x0, y0 = view.tile_origins[1]
    QTest.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.graphics.mapFromScene(view.view_box.mapViewToScene(QPointF(x0 + 1, y0 + 1))))
    qtbot.waitUntil(lambda: dialog.index == 1)
    assert np.array_equal(dialog.tile, newer[1])


@pytest.mark.parametrize("size", [(900, 400), (420, 760)])
def test_vae_latent_grid_fills_its_view_box_with_square_pixels(qtbot, size):
    from lessons.vae.lesson import LESSON as VAE
    from visualizer.core.plotdata import ImageData

    spec = next(s for s in VAE.all_plots() if s.id == "latent_grid")
    view = shown_view(qtbot, spec, VAE)
    view.resize(*size)
    mosaic = np.random.default_rng(0).random((290, 290)).astype(np.float32)
    view.set_data(ImageData(mosaic, extent=(-1.6, 1.6, -1.6, 1.6), levels=(0.0, 1.0), colormap="gray"))
    qtbot.wait(30)
    box = view.plot_item.vb.sceneBoundingRect()
    image = view.image_item.sceneBoundingRect()
    covered = image.intersected(box)
    assert covered.width() * covered.height() >= 0.9 * box.width() * box.height()      # no empty band
    assert image.width() == pytest.approx(image.height(), rel=0.02)                     # square pixels
    assert max(box.width(), box.height()) >= 0.7 * min(view.width(), view.height())     # and it is large


@pytest.mark.parametrize("size", [(900, 420), (420, 800)])
def test_image_grid_tiles_fill_their_view_box(qtbot, size):
    spec, data, _ = sample("image_grid")
    view = shown_view(qtbot, spec)
    view.resize(*size)
    view.set_data(data)
    qtbot.wait(30)
    box = view.view_box.sceneBoundingRect()
    mosaic = view.image_item.sceneBoundingRect().intersected(box)
    assert mosaic.width() * mosaic.height() >= 0.8 * box.width() * box.height()
    assert view.colorbar.sceneBoundingRect().left() - box.right() < 40          # the colour bar beside the tiles


def test_image_grid_leaves_caption_room_only_under_captioned_rows(qtbot):
    spec, data, _ = sample("image_grid")
    view = shown_view(qtbot, spec)
    captions = ["z_0", "z_1"] + [""] * 7                                 # dcgan: only the two interpolation ends
    view.set_data(ImageGridData(np.zeros((9, 8, 8), np.float32), captions, (0.0, 1.0), ncols=3))
    ys = sorted({y for _, y in view.tile_origins})
    assert ys[2] - ys[1] == ys[1] - ys[0] - round(0.4 * 8) and ys[2] - ys[1] == 8 + 1   # rows 2, 3: no band
    assert [lbl.text for lbl in view.captions.labels if lbl.text] == ["z_0", "z_1"]
