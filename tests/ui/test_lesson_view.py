"""The lesson view over a real training session: transport, shortcuts, live and structural
controls, narrative steps, divergence, lesson exceptions, export, redraw bookkeeping."""
import csv
import json
import time
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from tests.core.toy_lesson import ToyLesson
from tests.ui.fake_lessons import AllKindsLesson, BadDataLesson, SelfEditingLesson, TwoLossLesson
from visualizer.ui.lesson_view import LessonView


def wait_steps(qtbot, view, n, timeout=5000):
    qtbot.waitUntil(lambda: view.session.step_count >= n, timeout=timeout)


def test_play_pause_step_and_epoch_buttons(qtbot, make_view):
    view = make_view(AllKindsLesson)
    view.transport.play_action.trigger()
    assert view.session.running
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Pause")     # once the worker trains
    wait_steps(qtbot, view, 20)
    view.transport.play_action.trigger()
    assert not view.session.running
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Play")
    assert view.session.wait_idle(5)
    n = view.session.step_count
    view.transport.step_action.trigger()
    qtbot.waitUntil(lambda: view.session.step_count == n + 1)
    view.transport.epoch_action.trigger()
    qtbot.waitUntil(lambda: view.session.step_count == n + 11)
    assert view.session.wait_idle(5) and view.session.step_count == n + 11
    qtbot.waitUntil(lambda: view.status_fields["step"].text() == f"step {n + 11}")
    assert view.status_fields["engine"].text() == "numpy · cpu"
    assert view.status_fields["val_loss"].text().startswith("val loss ")


def test_status_bar_shows_the_first_loss_when_there_is_no_train_loss(qtbot, make_view):
    view = make_view(TwoLossLesson)
    view.transport.step_action.trigger()
    qtbot.waitUntil(lambda: view.status_fields["step"].text() == "step 1")
    qtbot.waitUntil(lambda: view.status_fields["train_loss"].text().startswith("d loss "))
    assert view.status_fields["train_loss"].text() != "d loss –"
    assert view.status_fields["val_loss"].text() == ""                     # no held-out metric: nothing shown


def test_speed_limit_reaches_the_session(qtbot, make_view):
    view = make_view(ToyLesson)
    view.transport.set_speed(10.0)
    assert view.session.max_steps_per_second == 10.0
    view.transport.set_speed(None)
    assert view.session.max_steps_per_second is None


def test_shortcuts_space_s_r_and_not_in_text_fields(qtbot, make_view):
    view = make_view(AllKindsLesson)
    view.activateWindow()
    view.plot_scroll.setFocus()
    qtbot.waitUntil(lambda: view.plot_scroll.hasFocus())
    qtbot.keyClick(view.plot_scroll, Qt.Key.Key_Space)
    assert view.session.running
    wait_steps(qtbot, view, 5)
    qtbot.keyClick(view.plot_scroll, Qt.Key.Key_Space)
    assert not view.session.running and view.session.wait_idle(5)
    n = view.session.step_count
    qtbot.keyClick(view.plot_scroll, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: view.session.step_count == n + 1)
    qtbot.keyClick(view.plot_scroll, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: view.session.step_count == 0 and view.builds == 2)

    box = view.panel.control("lr").box
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    qtbot.keyClick(box, Qt.Key.Key_S)
    qtbot.keyClick(box, Qt.Key.Key_R)
    assert not view.session.running
    assert box.text().endswith(" sr")
    assert view.builds == 2 and view.session.step_count == 0


def test_live_slider_change_reaches_session_and_leaves_a_marker(qtbot, make_view):
    view = make_view(AllKindsLesson)
    view.session.step(3)
    assert view.session.wait_idle(5)
    control = view.panel.control("lr")
    with qtbot.waitSignal(view.panel.valueCommitted, timeout=2000) as blocker:
        control.slider.setValue(control.slider.value() + 0.5)     # keyboard-like move: debounced commit
    name, value = blocker.args
    assert name == "lr" and value == pytest.approx(0.1 * 10 ** 0.5, rel=0.01)
    assert control.box.text() == f"{value:.3g}"
    qtbot.waitUntil(lambda: view.session.applied["lr"] == value)
    view.session.step(2)
    loss_view = view.views["loss"]
    qtbot.waitUntil(lambda: len(loss_view.markers) == 1)
    assert loss_view.markers[0].value() == 3
    assert "Learning rate: 0.1 → 0.316" in loss_view.markers[0].label.toPlainText()    # the display label


def test_slider_drag_commits_once_on_release(qtbot, make_view):
    view = make_view(AllKindsLesson)
    control = view.panel.control("momentum")
    commits = []
    view.panel.valueCommitted.connect(lambda n, v: commits.append((n, v)))
    control.slider.setSliderDown(True)
    for v in (0.1, 0.2, 0.3, 0.5):
        control.slider.setValue(v)
    qtbot.wait(300)
    assert commits == [] and control.box.text() == "0.5"
    control.slider.setSliderDown(False)
    control._slider_released()
    assert commits == [("momentum", 0.5)]
    qtbot.waitUntil(lambda: view.session.applied["momentum"] == 0.5)


def test_structural_change_shows_reset_indicator_and_applies_on_reset(qtbot, make_view):
    view = make_view(AllKindsLesson)
    control = view.panel.control("width")
    control.box.setFocus()
    control.box.selectAll()
    qtbot.keyClicks(control.box, "5")
    qtbot.keyClick(control.box, Qt.Key.Key_Return)
    assert view.session.hp["width"] == 5 and view.session.applied["width"] == 2
    assert control.pending and view.panel.pending_bar.isVisible()
    assert "Width" in view.panel.pending_label.text()
    assert view.transport.reset_action.font().bold()
    view.panel.set_value("activation", "tanh")
    view.apply_param("activation", "tanh")
    assert set(view.panel.pending_names()) == {"width", "activation"}
    view.panel.reset_button.click()
    qtbot.waitUntil(lambda: view.builds == 2)
    view.tick()
    assert view.session.applied["width"] == 5 and view.session.applied["activation"] == "tanh"
    assert not view.panel.pending_bar.isVisible() and not control.pending


def test_a_setting_the_lesson_changes_itself_shows_in_its_control_and_asks_for_no_reset(qtbot, make_view):
    view = make_view(SelfEditingLesson)
    view.apply_param("momentum", 0.5)
    qtbot.waitUntil(lambda: view.session.applied["width"] == 7, timeout=5000)
    qtbot.waitUntil(lambda: view.panel.control("width").value() == 7, timeout=5000)
    assert view.session.hp["width"] == 7 and not view.panel.control("width").pending
    assert not view.panel.pending_bar.isVisible() and not view.transport.reset_action.font().bold()
    view.panel.reset_button.click()
    qtbot.waitUntil(lambda: view.builds == 2)
    assert view.session.applied["width"] == 7


def test_invalid_value_is_shown_and_nothing_changes(qtbot, make_view):
    view = make_view(AllKindsLesson)
    box = view.panel.control("lr").box
    for text, message in (("100", "outside the range"), ("abc", "not a number")):
        box.setFocus()
        box.selectAll()
        qtbot.keyClicks(box, text)
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert message in view.panel.error_text
        assert view.panel.error_label.isVisible()
        assert view.session.hp["lr"] == 0.1 and box.text() == "0.1"
    assert not view.apply_param("width", 99)
    assert "outside the range" in view.panel.error_text and view.panel.value("width") == 2
    assert view.apply_param("width", 3)
    assert view.panel.error_text == ""


def test_narrative_next_and_back_apply_params_locks_hides_plots_and_steps(qtbot, make_view):
    view = make_view(AllKindsLesson)
    nar = view.narrative
    assert nar.position.text() == "step 1 of 3" and not nar.back.isEnabled()
    assert "Hello" in nar.text.toPlainText()
    qtbot.mouseClick(nar.next, Qt.MouseButton.LeftButton)
    assert nar.position.text() == "step 2 of 3" and nar.title.text() == "Lock"
    assert view.session.hp["lr"] == 0.05 and view.panel.value("lr") == 0.05
    assert not view.panel.control("lr").isEnabled()
    assert view.panel.is_hidden("flag")
    assert view.visible_plots() == ["loss", "grad_norms"]
    assert view.frames["decision"].isHidden() and not view.frames["loss"].isHidden()
    wait_steps(qtbot, view, 5)
    assert view.session.wait_idle(5) and view.session.step_count == 5

    qtbot.mouseClick(nar.next, Qt.MouseButton.LeftButton)      # structural: resets with width 4
    qtbot.waitUntil(lambda: view.builds == 2)
    assert view.session.applied["width"] == 4 and view.session.step_count == 0
    assert view.panel.control("lr").isEnabled() and not view.panel.is_hidden("flag")
    assert len(view.visible_plots()) == len(AllKindsLesson.plots)
    assert not nar.next.isEnabled()

    qtbot.mouseClick(nar.back, Qt.MouseButton.LeftButton)
    assert nar.position.text() == "step 2 of 3" and not view.panel.control("lr").isEnabled()


def test_hidden_plots_are_not_redrawn(qtbot, make_view):
    view = make_view(AllKindsLesson)
    view.tick()
    before = view.views["decision"].draw_count
    loss_before = view.views["loss"].draw_count
    view.narrative.set_step(1)
    wait_steps(qtbot, view, 5)
    assert view.session.wait_idle(5)
    qtbot.waitUntil(lambda: view.views["loss"].draw_count > loss_before)
    qtbot.wait(100)
    assert view.views["decision"].draw_count == before       # hidden: new snapshots not drawn
    view.narrative.set_step(0)
    qtbot.waitUntil(lambda: view.views["decision"].draw_count > before)


def test_plots_scrolled_out_of_view_wait_until_they_are_seen(qtbot, make_view):
    view = make_view(AllKindsLesson, size=(1200, 700))
    view.session.step(10)
    assert view.session.wait_idle(5)
    last = AllKindsLesson.plots[-1].id
    qtbot.waitUntil(lambda: view.views["loss"].has_data)
    qtbot.wait(100)
    assert not view.views[last].has_data
    view.plot_scroll.ensureWidgetVisible(view.frames[last])
    qtbot.waitUntil(lambda: view.views[last].has_data)


def test_redraws_only_when_data_changes(qtbot, make_view):
    rows = (len(AllKindsLesson.plots) + 1) // 2
    view = make_view(AllKindsLesson, size=(1400, 330 * rows))     # every plot on screen: rows of two
    view.session.step(10)
    assert view.session.wait_idle(5)
    qtbot.waitUntil(lambda: all(v.has_data for v in view.views.values()))
    qtbot.wait(150)
    counts = {k: v.draw_count for k, v in view.views.items()}
    redraws = view.redraw_count
    qtbot.wait(300)
    assert {k: v.draw_count for k, v in view.views.items()} == counts
    assert view.redraw_count == redraws and view.tick_count > 5
    view.session.step(1)
    qtbot.waitUntil(lambda: view.views["loss"].draw_count > counts["loss"])
    assert view.redraw_count > redraws and len(view.redraw_times) == view.redraw_count


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_diverging_learning_rate_pauses_with_a_banner(qtbot, make_view):
    view = make_view(ToyLesson, {"lr": 10.0})
    view.play()
    qtbot.waitUntil(lambda: any("Paused at step" in t for t in view.messages.texts()), timeout=5000)
    banner = view.messages.banners()[-1]
    assert banner.kind == "warning" and "learning rate (10)" in banner.text
    assert not view.session.running
    qtbot.waitUntil(lambda: not view.transport.playing and view.transport.play_action.text() == "Play")
    assert view.views["loss"].has_data                  # data so far kept
    banner.close_button.click()
    qtbot.waitUntil(lambda: view.messages.texts() == [])


def test_lesson_exception_shows_traceback_and_app_keeps_running(qtbot, make_view, tmp_path):
    view = make_view(AllKindsLesson, {"explode": True})
    view.play()
    qtbot.waitUntil(lambda: view.error_panel.isVisible(), timeout=5000)
    assert "RuntimeError" in view.error_panel.message.text() and "boom" in view.error_panel.message.text()
    assert "Traceback" in view.error_panel.traceback_text and "train_step" in view.error_panel.traceback_text
    assert view.error_panel.details.isVisible()
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Play")
    assert view.session.alive and view.session.step_count == 4
    paths = view.export_all(tmp_path)                    # the data so far can still be exported
    assert (tmp_path / "loss.csv").exists() and len(paths) > 3
    view.error_panel.dismiss_button.click()
    assert not view.error_panel.isVisible()
    view.panel.set_value("explode", False)
    view.apply_param("explode", False)
    view.reset()
    qtbot.waitUntil(lambda: view.builds == 2)
    view.session.step(8)
    wait_steps(qtbot, view, 8)


def test_config_error_for_cuda_without_gpu_is_shown(qtbot, make_view):
    view = make_view(AllKindsLesson)
    view.panel.control("device").combo.setCurrentText("cuda")
    assert view.session.pending_structural() == ["device"]
    view.reset()
    qtbot.waitUntil(lambda: any("CUDA is not available" in t for t in view.messages.texts()), timeout=5000)
    assert view.messages.banners()[-1].kind == "error"
    assert view.session.applied["device"] == "cpu"                # the previous lesson is kept
    view.tick()
    assert view.status_fields["engine"].text() == "numpy · cpu"
    assert view.panel.pending_bar.isVisible()


def test_build_failure_at_start_is_shown(qtbot, make_view):
    view = make_view(ToyLesson, {"fail_build": True})
    qtbot.waitUntil(lambda: any("fail_build is on" in t for t in view.messages.texts()))
    assert view.session.state == "error"


def test_invalid_start_values_fall_back_to_defaults_with_a_message(qtbot, make_view):
    view = make_view(ToyLesson, {"lr": -5})
    assert view.session.hp["lr"] == 0.1
    assert any("invalid" in t for t in view.messages.texts())


def test_bad_plot_data_is_reported_once_and_other_plots_still_draw(qtbot, make_view):
    view = make_view(BadDataLesson)
    view.session.step(3)
    qtbot.waitUntil(lambda: view.error_panel.isVisible())
    assert "Decision map" in view.error_panel.message.text() and "expects ImageData" in view.error_panel.message.text()
    qtbot.waitUntil(lambda: view.views["confusion"].has_data)


def test_export_all_from_the_view_and_into_a_read_only_folder(qtbot, make_view, tmp_path, monkeypatch):
    view = make_view(AllKindsLesson)
    view.session.step(12)
    assert view.session.wait_idle(5)
    qtbot.waitUntil(lambda: view.session.latest_snapshot().step == 12)
    paths = view.export_all(tmp_path / "out")
    names = {p.name for p in paths}
    ids = [spec.id for spec in AllKindsLesson.plots]
    assert names == {f"{i}.{ext}" for i in ids for ext in ("png", "svg", "csv")} | {"run.json"}
    assert view.messages.banners()[-1].kind == "success"
    for i in ids:
        assert not QImage(str(tmp_path / "out" / f"{i}.png")).isNull()
        assert any(el.tag.endswith("path") for el in ET.parse(tmp_path / "out" / f"{i}.svg").getroot().iter())
    rows = list(csv.reader((tmp_path / "out" / "loss.csv").open()))
    assert rows[0] == ["step", "train_loss", "val_loss"] and len(rows) == 13
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["lesson"] == "all_kinds" and run["steps"] == 12

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("tempfile.mkstemp", deny)
    assert view.export_all(tmp_path / "ro") == []
    banner = view.messages.banners()[-1]
    assert banner.kind == "error" and "read-only" in banner.text


def test_plot_frame_export_button_reports_errors_in_a_banner(qtbot, make_view, tmp_path, monkeypatch):
    view = make_view(ToyLesson)
    view.session.step(3)
    qtbot.waitUntil(lambda: view.views["loss"].has_data)
    frame = view.frames["loss"]
    assert [a.text() for a in frame.menu.actions()] == ["PNG…", "SVG…", "CSV…", "Copy to clipboard"]
    monkeypatch.setattr("visualizer.ui.plots.base.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "loss_plot"), ""))
    frame.menu.actions()[2].trigger()
    assert (tmp_path / "loss_plot.csv").read_text().startswith("step,train_loss,val_loss")

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("tempfile.mkstemp", deny)
    frame.menu.actions()[0].trigger()
    assert "read-only" in view.messages.banners()[-1].text


def test_shutdown_stops_the_worker_within_a_second(qtbot, make_view, thread_baseline):
    view = make_view(ToyLesson)
    view.play()
    wait_steps(qtbot, view, 10)
    t0 = time.monotonic()
    assert view.shutdown()
    assert time.monotonic() - t0 < 1.0 and not view.session.alive
    assert not view.timer.isActive()


def test_progress_and_notice_events(qtbot, make_view):
    from visualizer.core.session import SessionEvent
    view = make_view(ToyLesson)
    view._handle_event(SessionEvent("progress", "Downloading MNIST", 0, "", 0.25))
    assert view.progress.isVisible() and view.progress.bar.value() == 250
    assert view.progress.label.text() == "Downloading MNIST"
    view._handle_event(SessionEvent("progress", "Unpacking", 0, "", None))
    assert view.progress.bar.maximum() == 0                     # busy indicator
    view._handle_event(SessionEvent("progress", "Done", 0, "", 1.0))
    assert not view.progress.isVisible()
    view._handle_event(SessionEvent("notice", "Offline: using the embedded 8×8 digits"))
    banner = view.messages.banners()[-1]
    assert banner.kind == "info" and "embedded" in banner.text


@pytest.mark.parametrize("training", ["thread", "process"])
def test_both_training_modes_train_and_draw(qtbot, training):
    from visualizer.core.process_session import ProcessSession
    from visualizer.core.session import TrainingSession

    view = LessonView(ToyLesson, training=training)
    qtbot.addWidget(view)
    view.show()
    assert isinstance(view.session, ProcessSession if training == "process" else TrainingSession)
    qtbot.waitUntil(lambda: view.builds >= 1, timeout=10_000)
    view.session.step(20)
    assert view.session.wait_idle(10)
    loss = view.views["loss"]
    qtbot.waitUntil(lambda: loss.has_data and len(loss.data.series["train_loss"][0]) == 20, timeout=5000)
    assert view.shutdown() and not view.session.alive
    with pytest.raises(ValueError, match="training must be one of"):
        LessonView(ToyLesson, training="gpu")
