"""Character-level text (TextData with separator ""): the view joins the pieces without spaces, keeps the line
breaks, and the word-level default still joins words with one space."""
from visualizer.core.plotdata import LINE_BREAK, PlotSpec, TextData
from visualizer.ui.plots import make_plot_view


def shown(qtbot, data):
    view = make_plot_view(PlotSpec("t", "t", "text"))
    qtbot.addWidget(view)
    view.resize(520, 380)
    view.show()
    view.set_data(data)
    qtbot.wait(5)
    return view


def test_character_pieces_join_without_spaces(qtbot):
    view = shown(qtbot, TextData(["Jes"], ["us ", "wept.", LINE_BREAK, "Amen"], separator=""))
    assert view.plain_text() == "Jesus wept.\nAmen"
    assert b"<path" in view.svg_bytes()


def test_words_still_join_with_a_space(qtbot):
    view = shown(qtbot, TextData(["the"], ["cat", LINE_BREAK, "sat"]))
    assert view.plain_text() == "the cat\nsat"
