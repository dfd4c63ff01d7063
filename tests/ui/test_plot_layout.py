"""The plot grid gives every plot a cell and leaves none empty, for every lesson and narrative step."""
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QGridLayout, QScrollArea, QWidget

from visualizer.core import registry
from visualizer.core.lesson import ENGINE_COMPARISON_PLOT
from visualizer.core.plotdata import PlotSpec
from visualizer.ui.app import configure_pyqtgraph
from visualizer.ui.lesson_view import LessonView
from visualizer.ui.plot_frame import PlotFrame, plot_cells
from visualizer.ui.plots import make_plot_view

LESSONS = registry.discover()


def step_plot_sets(lesson_cls):
    """Each distinct set of plots a narrative step shows (None: all), as LessonView picks them."""
    sets = []
    for step in lesson_cls.narrative:
        shown = [s.id for s in lesson_cls.all_plots() if s.id != ENGINE_COMPARISON_PLOT.id
                 and (step.plots is None or s.id in step.plots)]
        if shown not in sets:
            sets.append(shown)
    return sets


def empty_cells(grid: QGridLayout, frames) -> list[tuple[int, int]]:
    """Cells of the rows in use that no visible frame covers, by the frames' geometry on screen."""
    shown = [f for f in frames if f.isVisible()]
    rows = max(grid.getItemPosition(grid.indexOf(f))[0] + grid.getItemPosition(grid.indexOf(f))[2]
               for f in shown)
    empty = []
    for r in range(rows):
        for c in range(2):
            centre = grid.cellRect(r, c).center()
            if not any(f.geometry().contains(centre) for f in shown):
                empty.append((r, c))
    return empty


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_no_empty_grid_cell_for_any_narrative_step(qtbot, lesson_id):
    configure_pyqtgraph()
    lesson_cls = LESSONS[lesson_id]
    host = QWidget()
    qtbot.addWidget(host)
    grid = QGridLayout(host)
    frames = {s.id: PlotFrame(make_plot_view(s, lesson_cls)) for s in lesson_cls.all_plots()}
    view = SimpleNamespace(frames=frames, plot_grid=grid, _shown_plots=[])
    host.resize(1280, 800)
    host.show()
    for shown in step_plot_sets(lesson_cls):
        view._shown_plots = shown
        LessonView._layout_plots(view)
        grid.activate()
        qtbot.wait(1)
        assert sorted(f for f in frames if frames[f].isVisible()) == sorted(shown)
        assert empty_cells(grid, frames.values()) == [], (lesson_id, shown)


def scrolled_grid(qtbot, lesson_cls):
    """A plot grid in a scroll area, as the lesson view has it, and a frame for each of the lesson's plots:
    (area, grid, scroll, {plot id: PlotFrame})."""
    area = QWidget()
    grid = QGridLayout(area)
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidgetResizable(True)
    scroll.setWidget(area)
    return area, grid, scroll, {s.id: PlotFrame(make_plot_view(s, lesson_cls)) for s in lesson_cls.all_plots()}


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_up_to_four_plots_fit_the_plot_area_without_scrolling(qtbot, lesson_id):
    """At 1280x800 the plot area is about 930x650; two rows of plots fit, whatever the views hold (a
    word-wrapped label in a view must not make the grid grow past the window)."""
    configure_pyqtgraph()
    lesson_cls = LESSONS[lesson_id]
    area, grid, scroll, frames = scrolled_grid(qtbot, lesson_cls)
    view = SimpleNamespace(frames=frames, plot_grid=grid, _shown_plots=[])
    scroll.resize(930, 650)
    scroll.show()
    for shown in step_plot_sets(lesson_cls):
        if len(shown) > 4:
            continue
        view._shown_plots = shown
        LessonView._layout_plots(view)
        qtbot.wait(1)
        assert area.height() <= scroll.viewport().height(), (lesson_id, shown)


def test_a_view_with_wrapped_text_does_not_grow_the_grid_past_the_window(qtbot):
    """gan_2d's field (a word-wrapped status line) over two rows once made the grid height-for-width, and
    the scroll area grew it past the window."""
    configure_pyqtgraph()
    lesson_cls = LESSONS["gan_2d"]
    lesson = lesson_cls(lesson_cls.hyperparameters({}))
    area, grid, scroll, frames = scrolled_grid(qtbot, lesson_cls)
    frames["field"].view.set_data(lesson.snapshot()["field"])
    scroll.resize(1030, 900)
    scroll.show()
    LessonView._layout_plots(SimpleNamespace(frames=frames, plot_grid=grid,
                                             _shown_plots=["field", "losses", "d_outputs"]))
    qtbot.wait(5)
    assert area.height() <= scroll.viewport().height()


def spec(pid, main=""):
    return PlotSpec(pid, pid, "curves", main=main)


def test_plot_cells_put_the_main_picture_first_and_fill_the_grid():
    assert plot_cells([spec("a")]) == [(0, 0, 1, 2)]
    assert plot_cells([spec("a"), spec("b")]) == [(0, 0, 1, 1), (0, 1, 1, 1)]
    assert plot_cells([spec("a"), spec("b"), spec("c")]) == [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 2)]
    assert plot_cells([spec("a"), spec("b", "tall"), spec("c")]) == [(0, 1, 1, 1), (0, 0, 2, 1), (1, 1, 1, 1)]
    assert plot_cells([spec("a"), spec("b", "wide"), spec("c")]) == [(1, 0, 1, 1), (0, 0, 1, 2), (1, 1, 1, 1)]
    five = plot_cells([spec("a"), spec("b"), spec("m", "tall"), spec("c"), spec("d")])
    assert five[2] == (0, 0, 2, 1) and sorted(five[:2] + five[3:]) == [(0, 1, 1, 1), (1, 1, 1, 1),
                                                                       (2, 0, 1, 1), (2, 1, 1, 1)]
    # four ignore the main mark: two by two; so do two with a tall one
    assert plot_cells([spec("a", "tall"), spec("b")]) == [(0, 0, 1, 1), (0, 1, 1, 1)]
    assert plot_cells([spec("a", "wide"), spec("b"), spec("c"), spec("d")])[0] == (0, 0, 1, 1)
    # two with a wide one (a table): a row each, the wide one on top
    assert plot_cells([spec("a"), spec("t", "wide")]) == [(1, 0, 1, 2), (0, 0, 1, 2)]
    with pytest.raises(ValueError, match="main"):
        spec("a", "huge")
