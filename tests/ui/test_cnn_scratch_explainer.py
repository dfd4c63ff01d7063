"""cnn_scratch's convolution explainer in the real window (issue #13 point 4): its settings are view settings
(no marker, no new run, no hyperparameter), and every narrative step that shows it fits 1280×800 and 1500×1000
without a horizontal scroll bar or a plot pushed out of sight."""
import pytest

from visualizer.core import registry
from visualizer.ui.main_window import MainWindow
from visualizer.ui.plots import CurvesView

pytest.importorskip("pytestqt")

LESSONS = registry.infos()


def explainer_steps(view):
    return [i for i, s in enumerate(view.steps) if s.plots is None or "explainer" in s.plots]


@pytest.mark.parametrize("size", [(1280, 800), (1500, 1000)])
def test_every_explainer_step_fits_the_window(qtbot, settings, size):
    window = MainWindow(lessons=LESSONS, lesson_id="cnn_scratch", settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    view = window.view
    steps = explainer_steps(view)
    assert len(steps) >= 4
    for i in steps:
        view.enter_step(i)
        qtbot.wait(50)                                            # layouts settle
        viewport = view.plot_scroll.viewport().rect()
        assert not view.plot_scroll.horizontalScrollBar().isVisible(), (size, i)
        assert view.plot_area.minimumSizeHint().width() <= viewport.width(), (size, i)
        for pid in view.visible_plots():                         # every plot of the step in sight, none cut
            frame = view.frames[pid]
            top_left = frame.mapTo(view.plot_scroll.viewport(), frame.rect().topLeft())
            assert top_left.x() >= 0 and top_left.x() + frame.width() <= viewport.width(), (size, i, pid)
            assert top_left.y() >= 0 and top_left.y() + frame.height() <= viewport.height(), (size, i, pid)
            assert frame.width() >= frame.minimumSizeHint().width(), (size, i, pid)
        explainer = view.views["explainer"]
        assert explainer.graphics.width() >= 300 and explainer.graphics.height() >= 300, (size, i)
    window.close_lesson()


def test_explainer_settings_leave_no_marker_and_start_no_run(make_view, qtbot, tmp_path):
    cls = registry.get("cnn_scratch")
    view = make_view(cls, {"filters1": 4, "filters2": 4, "hidden": 8})
    assert not [name for name in view.session.hp.as_dict() if name.startswith("explain")]
    view.session.step(5)
    assert view.session.wait_idle(60)
    explainer = view.views["explainer"]
    view.plot_scroll.ensureWidgetVisible(view.frames["explainer"])
    qtbot.waitUntil(lambda: explainer.has_data, timeout=10_000)
    explainer.stride_box.setValue(2)                             # the explainer's own controls
    explainer.padding_box.setValue(1)
    explainer.kernel_box.setCurrentIndex(explainer.kernel_box.findData("learned"))
    explainer.input_box.setCurrentIndex(explainer.input_box.findData("photo"))
    explainer.apply_view_settings({"speed": 32, "playing": True})
    qtbot.waitUntil(lambda: explainer.slide.filled >= 5, timeout=5000)
    explainer.step_button.click()
    explainer.reset_button.click()
    view.session.step(5)
    assert view.session.wait_idle(60)
    qtbot.wait(200)                                              # a few redraws
    assert view.session.history.changes() == []                 # no marker on the curves
    assert view.builds == 1 and view.previous_runs == [] and view.session.pending_structural() == []
    assert all(not v.markers for v in view.views.values() if isinstance(v, CurvesView))
    assert view.messages.texts() == []
    assert explainer.slide.settings.stride == 2 and explainer.slide.settings.kernel == "learned"
    for _ in range(3):
        explainer.step()
    view.export_all(tmp_path)                                    # the CSV is what the explainer shows
    rows = (tmp_path / "explainer.csv").read_text().splitlines()
    assert sum(r.startswith("output,") for r in rows) == 3 and "learned" not in rows[0]


def test_narrative_steps_set_the_explainer_and_report_unknown_view_settings(make_view, qtbot):
    from visualizer.core.lesson import NarrativeStep

    view = make_view(registry.get("cnn_scratch"), {"filters1": 4, "filters2": 4, "hidden": 8})
    explainer = view.views["explainer"]
    view.enter_step(1)                                           # "Padding, stride and the output size"
    s = explainer.slide.settings
    assert (s.input, s.stride, s.padding) == ("pattern", 2, 1) and explainer.playing
    assert explainer.stride_box.value() == 2 and explainer.padding_box.value() == 1
    qtbot.waitUntil(lambda: explainer.slide.filled > 0, timeout=5000)      # it slides on its own
    assert view.session.history.changes() == []
    view.steps = (NarrativeStep("bad", "", view_settings={"explainer": {"position": 3}, "loss": {"zoom": 2}}),)
    view.enter_step(0)
    warning = " ".join(view.messages.texts())
    assert "explainer" in warning and "position" in warning and "loss" in warning
