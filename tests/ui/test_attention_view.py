"""The attention view draws the head, model and neuron pictures from AttentionData with few batched paths even for
128 tokens x 16 heads, emits the lesson parameters on clicks, filters lines on hover, greys a causal mask; the
highlighted-words view draws and exports."""
import csv
import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from visualizer.core.plotdata import AttentionData, HighlightedTextData, PlotSpec
from visualizer.ui.plots import make_plot_view
from visualizer.ui.plots.attention import (MASKED_RGBA, MAX_LINES, MIN_ROW, AttentionView, HighlightedTextView,
                                           causal_cells, shown_token, strongest_lines, weight_colors)

SPEC = PlotSpec("attention", "Attention", "attention")


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention(t=6, layers=2, heads=3, d_k=4, causal=False, seed=0, **kw) -> AttentionData:
    rng = np.random.default_rng(seed)
    logits = 3 * rng.standard_normal((layers, heads, t, t))
    if causal:
        logits = np.where(causal_cells(t, t), -np.inf, logits)
    tokens = [f"tok{i}" for i in range(t)]
    return AttentionData(tokens, softmax(logits).astype(np.float32), queries=rng.standard_normal((t, d_k)),
                         keys=rng.standard_normal((t, d_k)), causal=causal, **kw)


def shown(qtbot, size=(640, 420)) -> AttentionView:
    view = make_plot_view(SPEC)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def painted(view, qtbot):
    view.canvas.repaint()
    return view.canvas.grab().toImage()


def test_the_view_is_registered_and_each_mode_draws(qtbot):
    view = shown(qtbot)
    assert isinstance(view, AttentionView)
    for mode in ("head", "model", "neuron"):
        view.set_data(attention(mode=mode, layer=1, head=2, query_index=3))
        img = painted(view, qtbot)
        colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
        assert len(colours) > 8, mode
    assert view.draw_count == 3


def test_head_view_of_128_tokens_and_16_heads_batches_lines_into_few_paths(qtbot):
    view = shown(qtbot, (700, 500))
    data = attention(t=128, layers=1, heads=16, mode="head", head=-1)
    t0 = time.perf_counter()
    view.set_data(data)
    painted(view, qtbot)
    elapsed = time.perf_counter() - t0
    assert view.paths_drawn <= 16 * 5                 # one path per head and weight bin, not one item per line
    assert 0 < view.lines_drawn <= MAX_LINES
    assert view.line_threshold >= 0.01
    assert view.canvas.findChildren(object) == []     # no child widget or item per token
    assert elapsed < 2.0                              # generous: a shared 2-core machine; the benchmark measures
    # 128 rows keep a readable height: the picture scrolls instead of squeezing the labels together
    assert view.canvas.height() >= 128 * MIN_ROW
    assert view.scroll.verticalScrollBar().maximum() > 0


def test_strongest_lines_keep_the_largest_weights_when_there_are_too_many():
    w = np.zeros((1, 3, 3))
    w[0] = [[0.5, 0.3, 0.2], [0.005, 0.9, 0.095], [0.6, 0.4, 0.0]]
    idx, thr = strongest_lines(w)
    assert thr == 0.01 and len(idx) == 7                     # 0.005 and 0 are not drawn
    idx, thr = strongest_lines(w, max_lines=3)
    assert thr == 0.5 and sorted(map(tuple, idx)) == [(0, 0, 0), (0, 1, 1), (0, 2, 0)]


def test_hovering_a_token_shows_only_its_lines(qtbot):
    view = shown(qtbot)
    view.set_data(attention(t=8, mode="head", head=0))
    painted(view, qtbot)
    all_lines = view.lines_drawn
    view.hover_token("query", 2)
    painted(view, qtbot)
    row = view.data.weights[0, 0, 2]
    assert view.lines_drawn == int((row >= 0.01).sum()) < all_lines
    view.hover_token("key", 5)
    painted(view, qtbot)
    assert view.lines_drawn == int((view.data.weights[0, 0, :, 5] >= 0.01).sum())
    view.hover_token(None)
    painted(view, qtbot)
    assert view.lines_drawn == all_lines
    # the mouse does the same: move over the third query label, then leave
    rows, _f, _fm, label_w, x_left, _x_right = view._head_geometry(view.canvas.size(), view.data)
    qtbot.mouseMove(view.canvas, QPointF(x_left - 10, rows.center(2)).toPoint())
    qtbot.waitUntil(lambda: view.hovered == ("query", 2), timeout=1000)


def test_clicks_emit_the_lesson_parameters_and_the_view_follows(qtbot):
    view = shown(qtbot, (700, 500))
    view.set_data(attention(layers=3, heads=4, mode="model", layer=0, head=0))
    with qtbot.waitSignal(view.paramRequested) as sig:
        view.click_cell(2, 3)
    assert sig.args == ["attention_head", "2,3"] and (view.layer, view.head) == (2, 3)
    # the mouse: a click in the middle of cell (1, 2)
    left, top, cell = view._model_geometry(view.canvas.size(), view.data)
    from visualizer.ui.plots.attention import GAP
    pos = QPointF(left + 2 * (cell + GAP) + cell / 2, top + 1 * (cell + GAP) + cell / 2).toPoint()
    with qtbot.waitSignal(view.paramRequested) as sig:
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args == ["attention_head", "1,2"]
    with pytest.raises(ValueError):
        view.click_cell(3, 0)
    # head chips of the head view select a head of the shown layer
    view.set_data(attention(layers=3, heads=4, mode="head", layer=1, head=-1))
    assert view.head == -1                                        # new data ends the view-local selection
    chip = view._chip_rects(view.data)[2].center().toPoint()
    with qtbot.waitSignal(view.paramRequested) as sig:
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=chip)
    assert sig.args == ["attention_head", "1,2"]
    # a query token of the neuron view
    view.set_data(attention(layers=3, heads=4, mode="neuron", layer=1, head=2, query_index=0))
    before = view.neuron_values()["q"].copy()
    with qtbot.waitSignal(view.paramRequested) as sig:
        view.click_query(4)
    assert sig.args == ["attention_query", "4"]
    np.testing.assert_allclose(view.neuron_values()["q"], view.data.queries[4])
    assert not np.allclose(before, view.data.queries[4])
    rows, *_ = view._neuron_geometry(view.canvas.size(), view.data)
    with qtbot.waitSignal(view.paramRequested) as sig:
        qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=QPointF(20, rows.center(1)).toPoint())
    assert sig.args == ["attention_query", "1"]


def test_neuron_values_are_the_scaled_dot_products_and_the_datas_weights(qtbot):
    view = shown(qtbot)
    data = attention(mode="neuron", layer=1, head=1, query_index=2, d_k=4)
    view.set_data(data)
    v = view.neuron_values()
    q, k = data.queries[2], data.keys
    np.testing.assert_allclose(v["qk"], q * k)
    np.testing.assert_allclose(v["scores"], k @ q / 2.0)
    np.testing.assert_allclose(v["weights"], data.weights[1, 1, 2])
    assert not v["masked"].any()


def test_a_causal_mask_is_grey_in_the_model_view_and_named_in_the_head_views_legend(qtbot):
    mask = causal_cells(4, 4)
    rgba = weight_colors(np.full((4, 4), 0.25), mask)
    assert (rgba[mask] == MASKED_RGBA).all() and not (rgba[~mask] == MASKED_RGBA).all(axis=-1).any()
    view = shown(qtbot, (600, 600))
    view.set_data(attention(t=8, layers=1, heads=1, mode="model", causal=True))
    img = painted(view, qtbot)
    left, top, cell = view._model_geometry(view.canvas.size(), view.data)
    upper_right = QColor(img.pixel(int(left + cell * 0.9), int(top + cell * 0.1)))
    lower_left = QColor(img.pixel(int(left + cell * 0.1), int(top + cell * 0.9)))
    assert upper_right.getRgb()[:3] == MASKED_RGBA[:3]
    assert lower_left.getRgb()[:3] != MASKED_RGBA[:3]
    view.set_data(attention(t=8, mode="neuron", causal=True, query_index=3))
    assert view.neuron_values()["masked"].tolist() == [False] * 4 + [True] * 4
    view.set_data(attention(t=8, mode="head", causal=True))
    assert view.lines_drawn >= 0
    view.footer.repaint()


def test_tokens_are_shown_readably():
    assert shown_token(" ") == "␣" and shown_token("\n") == "⏎"
    assert shown_token("a" * 40) == "a" * 15 + "…"


@pytest.mark.parametrize("mode", ["head", "model", "neuron"])
def test_every_mode_exports_png_svg_and_the_long_csv(qtbot, tmp_path, mode):
    view = shown(qtbot)
    data = attention(mode=mode, caption="a test")
    view.set_data(data)
    for fmt in ("png", "svg", "csv"):
        view.export(fmt, tmp_path / f"a.{fmt}")
    assert "<path" in (tmp_path / "a.svg").read_text()
    rows = list(csv.reader((tmp_path / "a.csv").open()))
    assert rows[0] == ["layer", "head", "query_index", "query_token", "key_index", "key_token", "weight"]
    assert len(rows) - 1 == 2 * 3 * 6 * 6


def test_highlighted_words_view_draws_wraps_and_exports(qtbot, tmp_path):
    view = make_plot_view(PlotSpec("highlight", "Highlight", "highlighted_text"))
    assert isinstance(view, HighlightedTextView)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    words = [f"word{i}" for i in range(40)]
    data = HighlightedTextData([words, ["short"]], [np.linspace(0, 1, 40), np.array([np.nan])], ["pred a", "pred b"],
                               [True, False])
    view.set_data(data)
    items, height = view._layout_words(view.canvas.width(), data)
    word_rects = [r for kind, r, *_ in items if kind == "word"]
    assert len(word_rects) == 41 and max(r.right() for r in word_rects) <= view.canvas.width()
    assert len({round(r.top()) for r in word_rects}) > 2                      # wrapped onto several lines
    for a in range(len(word_rects)):                                          # words never overlap
        for b in range(a + 1, len(word_rects)):
            assert not word_rects[a].intersects(word_rects[b])
    view.export("png", tmp_path / "h.png")
    view.export("csv", tmp_path / "h.csv")
    assert len(list(csv.reader((tmp_path / "h.csv").open()))) == 42


def test_right_click_on_the_picture_opens_the_plots_export_menu(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    view = shown(qtbot)
    view.set_data(attention(mode="model"))
    asked = []
    view.customContextMenuRequested.disconnect()
    view.customContextMenuRequested.connect(asked.append)
    QApplication.sendEvent(view.canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(30, 30),
                                                             view.canvas.mapToGlobal(QPoint(30, 30))))
    assert len(asked) == 1


def test_larger_text_makes_larger_rows_and_a_taller_footer(qtbot):
    from visualizer.ui import theme

    view = shown(qtbot, (600, 300))
    view.set_data(attention(t=60, mode="head"))
    height, footer = view.canvas.minimumHeight(), view.footer.height()
    try:
        theme.apply_font_scale(1.5)
        view.refit()
        assert view.canvas.minimumHeight() > height and view.footer.height() > footer
    finally:
        theme.apply_font_scale(1.0)


def test_pooled_weights_average_blocks_and_keep_fully_masked_blocks_masked():
    from visualizer.ui.plots.attention import pool_weights

    w = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    pooled, mask = pool_weights(w, 2, causal_cells(5, 5))
    assert pooled.shape == (1, 1, 3, 3)
    assert pooled[0, 0, 0, 0] == np.mean([0, 1, 5, 6]) and pooled[0, 0, 2, 2] == 24   # the last block is one cell
    assert pooled[0, 0, 0, 2] == np.mean([4, 9])
    assert mask.tolist() == [[False, True, True], [False, False, True], [False, False, False]]


def test_a_large_model_view_is_coloured_from_pooled_weights(qtbot):
    view = shown(qtbot, (500, 400))
    view.set_data(attention(t=128, layers=12, heads=12, mode="model", causal=True))
    painted(view, qtbot)
    t, s = view._mosaic_cell
    assert t < 128 and view._mosaic.height() == 12 * t and view._mosaic.width() == 12 * s


def test_the_menu_exports_one_csv_per_layer_and_head(qtbot, tmp_path):
    from visualizer.core.export import ExportError

    view = shown(qtbot)
    with pytest.raises(ExportError, match="no data yet"):
        view.export_head_csvs(tmp_path)
    view.set_data(attention(mode="model"))
    assert "Export CSV per layer and head…" in [a.text() for a in view.context_menu().actions()]
    paths = view.export_head_csvs(tmp_path / "heads")
    assert len(paths) == 2 * 3 and paths[0].name == "attention_layer0_head0.csv"
    rows = list(csv.reader(paths[4].open()))                      # layer 1, head 1
    assert rows[0][1:] == list(view.data.keys_text) and len(rows) == 7
    np.testing.assert_allclose(np.array(rows[3][1:], float), view.data.weights[1, 1, 2], rtol=1e-6)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError):
        view.export_head_csvs(tmp_path / "file" / "sub")


@pytest.mark.parametrize("width, d_k", [(332, 16), (332, 64), (700, 64)])
def test_neuron_columns_stay_inside_a_narrow_cell(qtbot, width, d_k):
    view = shown(qtbot, (width, 320))
    view.set_data(attention(t=12, mode="neuron", d_k=d_k))
    rows, _f, _fm, _qw, _kw, _xq, _xk, x_vec, cw, score_w, weight_w = view._neuron_geometry(view.canvas.size(),
                                                                                            view.data)
    right = x_vec + 2 * d_k * cw + 10 + 10 + score_w + 10 + weight_w
    assert right <= view.canvas.width() + 0.5


@pytest.mark.parametrize("mode", ["head", "model", "neuron"])
def test_an_empty_input_draws_a_message_not_an_error(qtbot, tmp_path, mode):
    view = shown(qtbot)
    empty = AttentionData([], np.zeros((2, 2, 0, 0), np.float32), mode=mode, queries=np.zeros((0, 4)),
                          keys=np.zeros((0, 4)))
    view.set_data(empty)
    painted(view, qtbot)
    view.footer.repaint()
    view.export("png", tmp_path / "e.png")
    view.set_data(attention(mode=mode))                   # and draws the next input
    painted(view, qtbot)


@pytest.mark.parametrize("mode", ["head", "model", "neuron"])
def test_nan_and_inf_from_a_diverging_model_are_drawn_and_exported(qtbot, tmp_path, mode):
    data = attention(mode=mode, head=1)
    data.weights[0, 1, 2, :] = np.nan
    data.weights[1, 0, 0, 0] = np.inf
    data.queries[0, 0] = np.nan
    data.keys[1, :] = np.inf
    view = shown(qtbot)
    view.set_data(data)
    painted(view, qtbot)
    view.footer.repaint()
    for fmt in ("png", "svg", "csv"):
        view.export(fmt, tmp_path / f"x.{fmt}")


def test_hovering_a_highlighted_word_names_its_score(qtbot):
    view = make_plot_view(PlotSpec("highlight", "Highlight", "highlighted_text"))
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_data(HighlightedTextData([["not", "bad"]], [np.array([0.25, np.nan])]))
    items, _ = view._layout_words(view.canvas.width(), view.data)
    rects = [r for kind, r, *_ in items if kind == "word"]
    assert view.word_at(rects[0].center()) == "not: 0.25"
    assert view.word_at(rects[1].center()) == "bad: not scored"
    assert view.word_at(QPointF(-5, -5)) == ""
