"""The run manager and the linked crosshair (issue #13): showing, hiding, renaming and deleting an
earlier run changes what every curve plot of the lesson draws; hovering over one curve plot shows the
value under the mouse and a crosshair at the same step in the others."""
from PySide6.QtCore import Qt

from tests.core.toy_lesson import ToyLesson
from visualizer.core.plotdata import PlotSpec


class TwoCurvesToy(ToyLesson):
    plots = ToyLesson.plots + (PlotSpec("val", "Validation", "curves", series=("val_loss",)),)


def train(qtbot, view, n):
    start = view.session.step_count
    view.session.step(n)
    qtbot.waitUntil(lambda: view.session.step_count >= start + n, timeout=10_000)
    assert view.session.wait_idle(10)


def two_earlier_runs(qtbot, view):
    for lr in (0.5, 0.2):
        train(qtbot, view, 10)
        qtbot.waitUntil(lambda: view.views["loss"].has_data
                        and len(view.views["loss"].data.series["train_loss"][0]) == 10)
        assert view.apply_param("lr", lr)
        n = len(view.runs)
        view.reset()
        qtbot.waitUntil(lambda: len(view.runs) == n + 1, timeout=10_000)





def test_the_run_manager_shows_hides_renames_and_deletes_runs_in_every_curve_plot(qtbot, make_view):
    view = make_view(TwoCurvesToy)
    two_earlier_runs(qtbot, view)
    plots = [view.views["loss"], view.views["val"]]
    for curves in plots:
        assert [lbl for lbl, _ in curves.previous] == ["Run 1: Learning rate 0.1", "Run 2: Learning rate 0.5"]
    menu = plots[1].context_menu()
    next(a for a in menu.actions() if a.text() == "Runs…").trigger()
    manager = view.run_manager
    assert manager is not None and manager.isVisible() and manager.table.rowCount() == 2
    assert manager.table.item(1, 2).text() == "Learning rate 0.5"

    manager.table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)      # hide run 1
    for curves in plots:
        assert [lbl for lbl, _ in curves.previous] == ["Run 2: Learning rate 0.5"]
    assert len(plots[0]._previous_items) == 2 and len(plots[1]._previous_items) == 1
    manager.table.item(0, 0).setCheckState(Qt.CheckState.Checked)        # show it again
    assert len(plots[0]._previous_items) == 4

    manager.table.item(1, 1).setText("fast start")                       # rename run 2
    for curves in plots:
        assert [lbl for lbl, _ in curves.previous] == ["Run 1: Learning rate 0.1", "fast start"]
        assert "fast start" in [label.text for _, label in curves.run_legend.items]
    qtbot.waitUntil(lambda: manager.table.item(1, 1).text() == "fast start")     # refreshed after the edit

    manager.table.selectRow(0)
    manager.delete_button.click()                                        # delete run 1
    assert [r.number for r in view.runs] == [2] and manager.table.rowCount() == 1
    for curves in plots:
        assert [lbl for lbl, _ in curves.previous] == ["fast start"]
    manager.delete_all_button.click()
    for curves in plots:
        assert curves.previous == [] and not curves._previous_items
        assert "Runs…" not in [a.text() for a in curves.context_menu().actions()]


def test_hovering_one_curve_plot_shows_the_value_and_the_crosshair_in_the_others(qtbot, make_view):
    view = make_view(TwoCurvesToy)
    train(qtbot, view, 20)
    loss, val = view.views["loss"], view.views["val"]
    qtbot.waitUntil(lambda: loss.has_data and len(loss.data.series["train_loss"][0]) == 20 and val.has_data)
    qtbot.wait(100)                                                   # let the layout settle
    x, y = loss.data.series["train_loss"]
    step = float(x[7])
    vb = loss.plot_item.vb
    y_mid = sum(vb.viewRange()[1]) / 2
    scene_pos = vb.mapViewToScene(type(vb.mapSceneToView(vb.sceneBoundingRect().center()))(step + 0.2, y_mid))
    loss.graphics.scene().sigMouseMoved.emit(scene_pos)               # through the throttle, as a mouse move
    qtbot.waitUntil(lambda: val.crosshair.isVisible(), timeout=2_000)
    assert abs(val.crosshair.value() - (step + 0.2)) < 1e-6
    assert loss.readout.isVisible()
    text = loss.readout.textItem.toPlainText()
    assert f"step {step:,.0f}" in text and f"train loss {float(y[7]):.4g}" in text
    outside = vb.sceneBoundingRect().bottomRight() + type(scene_pos)(5, 5)
    loss.graphics.scene().sigMouseMoved.emit(outside)                 # the mouse leaves the plot area
    qtbot.waitUntil(lambda: not val.crosshair.isVisible() and not loss.readout.isVisible(), timeout=2_000)
