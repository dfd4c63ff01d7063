"""Lesson view features shared by every lesson: earlier runs stay overlaid after Reset, a plot can set a
hyperparameter (paramRequested), a live value the lesson refuses is reported and the control reverts,
and "Compare engines" shows the twin's curves and the engine comparison plot."""
import csv

from tests.core.toy_lesson import ToyLesson, TwinToyLesson
from tests.ui.fake_lessons import SeedComparableToyLesson
from visualizer.core.lesson import ENGINE_COMPARISON_PLOT


def train(qtbot, view, n):
    start = view.session.step_count
    view.session.step(n)
    qtbot.waitUntil(lambda: view.session.step_count >= start + n, timeout=10_000)
    assert view.session.wait_idle(10)


def test_earlier_runs_stay_overlaid_and_are_labelled_with_what_changed(qtbot, make_view, tmp_path):
    view = make_view(ToyLesson)
    curves = view.views["loss"]
    train(qtbot, view, 20)
    qtbot.waitUntil(lambda: curves.has_data and len(curves.data.series["train_loss"][0]) == 20)
    assert view.apply_param("seed", 7)
    view.reset()
    qtbot.waitUntil(lambda: len(view.previous_runs) == 1, timeout=10_000)
    label, data = view.previous_runs[0]
    assert label == "Run 1: Seed 0"                            # the control's display label, not "seed=0"
    assert len(data["loss"].series["train_loss"][0]) == 20
    assert [lbl for lbl, _ in curves.previous] == ["Run 1: Seed 0"]
    assert len(curves._previous_items) == 2                    # train and val curves of run 1
    train(qtbot, view, 5)
    qtbot.waitUntil(lambda: len(curves.data.series["train_loss"][0]) == 5)
    path = tmp_path / "loss.csv"
    curves.export_csv(path)
    header = next(csv.reader(path.open()))
    assert header == ["step", "train_loss", "val_loss", "Run 1: Seed 0 | train_loss", "Run 1: Seed 0 | val_loss"]
    view.reset()                                               # a run with settings unchanged
    qtbot.waitUntil(lambda: len(view.previous_runs) == 2, timeout=10_000)
    assert view.previous_runs[1][0] == "Run 2: same settings"
    menu = curves.context_menu()
    clear = next(a for a in menu.actions() if a.text() == "Clear earlier runs")
    clear.trigger()
    assert view.previous_runs == [] and curves.previous == [] and not curves._previous_items


def test_an_earlier_run_with_another_comparable_setting_is_kept_but_not_drawn(qtbot, make_view):
    view = make_view(SeedComparableToyLesson)
    curves = view.views["loss"]
    train(qtbot, view, 10)
    assert view.apply_param("seed", 7)
    view.reset()
    qtbot.waitUntil(lambda: len(view.runs) == 1, timeout=10_000)
    assert view.previous_runs == [] and curves.previous == []          # kept in the run manager, not drawn
    train(qtbot, view, 10)
    assert view.apply_param("seed", 0)
    view.reset()
    qtbot.waitUntil(lambda: len(view.runs) == 2, timeout=10_000)
    assert [label for label, _ in view.previous_runs] == ["Run 1: same settings"]
    assert [label for label, _ in curves.previous] == ["Run 1: same settings"]


def test_an_untrained_run_is_not_kept(qtbot, make_view):
    view = make_view(ToyLesson)
    view.reset()
    qtbot.waitUntil(lambda: view.builds >= 2, timeout=10_000)
    view.tick()
    assert view.previous_runs == []


def test_a_plot_can_set_a_hyperparameter(qtbot, make_view):
    view = make_view(ToyLesson)
    view.views["w"].paramRequested.emit("target", 2.5)
    assert view.session.hp["target"] == 2.5
    assert view.panel.value("target") == 2.5


def test_a_refused_live_value_is_reported_and_the_control_reverts(qtbot, make_view):
    view = make_view(ToyLesson)
    assert view.apply_param("target", 8.0)                     # in the spec's range
    qtbot.waitUntil(lambda: any("at or below 5" in t for t in view.messages.texts()), timeout=10_000)
    assert view.session.hp["target"] == 3.0
    qtbot.waitUntil(lambda: view.panel.value("target") == 3.0)


def test_compare_engines_shows_the_twin_and_the_comparison_plot(qtbot, make_view):
    view = make_view(TwinToyLesson)
    assert not view.frames[ENGINE_COMPARISON_PLOT.id].isVisible()
    assert view.apply_param("compare_engines", True)
    view.reset()
    qtbot.waitUntil(lambda: view.builds >= 2, timeout=10_000)
    qtbot.waitUntil(lambda: view.frames[ENGINE_COMPARISON_PLOT.id].isVisible())
    train(qtbot, view, 10)
    loss = view.views["loss"]
    qtbot.waitUntil(lambda: loss.has_data and "train_loss@torch" in loss.data.series)
    assert loss.curves["train_loss@torch"].zValue() < loss.curves["train_loss"].zValue()
    comparison = view.views[ENGINE_COMPARISON_PLOT.id]
    qtbot.waitUntil(lambda: comparison.has_data and len(comparison.data.series["grad_rel_diff"][0]) == 10)


class SlowToy(ToyLesson):
    default_speed = 60.0


def test_a_lesson_default_speed_sets_the_speed_limit(qtbot, make_view):
    view = make_view(SlowToy)
    assert view.session.max_steps_per_second == 60.0
    assert view.transport.speed.currentText() == "60 steps/s"


def test_a_narrative_step_that_rebuilds_gives_its_live_values_to_the_new_lesson(qtbot, make_view):
    """The old lesson would refuse target=7 (ToyLesson.set_live); the rebuilt one is built with it."""
    from visualizer.core.lesson import NarrativeStep

    view = make_view(ToyLesson)
    view.steps = (NarrativeStep("rebuild", "", set_params={"seed": 5, "target": 7.0}),)
    view.enter_step(0)
    qtbot.waitUntil(lambda: view.builds >= 2, timeout=10_000)
    qtbot.waitUntil(lambda: view.session.applied["target"] == 7.0 and view.session.applied["seed"] == 5)
    view.tick()
    assert not any("at or below 5" in t for t in view.messages.texts())
    assert view.session.hp["target"] == 7.0
