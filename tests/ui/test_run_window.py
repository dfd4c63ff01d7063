"""The run window (File > Open run / Follow run) on run directories written by hand in the README's format
(tests/core/run_dir_files.py): the lesson's plots from the run's metrics and snapshots, the timeline, the
control buttons, export, the overlay of a followed run on the open lesson, and folders it cannot open."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from tests.core.run_dir_files import (LESSON, append, make_run, metrics_line, real_run, save_snapshot, timeline_name,
                                      write_run_json)
from visualizer.core import registry
from visualizer.core.run_follow import RunFollower, read_run_info
from visualizer.ui.app import configure_pyqtgraph
from visualizer.ui.main_window import MainWindow
from visualizer.ui.run_window import RunWindow


@pytest.fixture
def open_window(qtbot, qapp):
    configure_pyqtgraph()
    windows = []

    def make(folder, **kwargs):
        info = read_run_info(folder)
        window = RunWindow(info, registry.get(info.lesson_id), RunFollower(folder, info, poll_interval=0.02),
                           **kwargs)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.follower.alive


def test_shows_the_runs_curves_and_snapshot_plots(qtbot, tmp_path, open_window):
    folder = make_run(tmp_path / "finished", status="done", steps=50)
    window = open_window(folder, follow=False)
    qtbot.waitUntil(lambda: window._state.finished and window.views["loss"].has_data, timeout=5000)
    x, _ = window.views["loss"].data.series["train_loss"]
    assert list(x) == list(range(1, 51))
    plots, _, _ = real_run()
    for pid, data in plots.items():
        window.plot_scroll.ensureWidgetVisible(window.frames[pid])     # plots below the fold draw once on screen
        qtbot.waitUntil(lambda: window.views[pid].has_data, timeout=3000)
        assert type(window.views[pid].data) is type(data)
    assert np.array_equal(window.views["confusion"].data.values, plots["confusion"].values)
    assert "engine_comparison" not in window.views                   # compare_engines was off
    texts = {name: label.text() for name, label in window.header_fields.items()}
    assert texts["status"] == "done" and texts["step"] == "step 50 / 500" and texts["world"] == "1 process"
    assert not window.pause_button.isVisible() and not window.stop_button.isVisible()   # nothing left to control
    assert "Step 0: Using the embedded 8x8 digits." in window.messages.texts()


def test_follows_a_running_run_as_lines_arrive(qtbot, tmp_path, open_window):
    folder = make_run(tmp_path / "running", steps=3)
    window = open_window(folder)
    qtbot.waitUntil(lambda: window.views["loss"].has_data, timeout=5000)
    assert window.pause_button.isVisible() and window.pause_button.isEnabled()
    assert window.header_fields["lag"].text().startswith("lag ")
    for step in range(4, 9):
        append(folder, "metrics.jsonl", metrics_line(step, {"train_loss": 1.0 / step, "train_acc": 0.5}))
    qtbot.waitUntil(lambda: window.views["loss"].data.series["train_loss"][0][-1] == 8, timeout=1000)
    assert window.header_fields["step"].text() == "step 8 / 500"


def test_the_timeline_scrubs_through_snapshots_and_back_to_live(qtbot, tmp_path, open_window):
    folder = make_run(tmp_path / "timeline", status="done", steps=40)     # timeline at steps 20 and 40
    plots, _, _ = real_run()
    marked = dict(plots, confusion=dataclasses.replace(plots["confusion"], values=plots["confusion"].values + 100))
    save_snapshot(folder, 20, marked, timeline_name(20), t=0.2)
    window = open_window(folder, follow=False)
    qtbot.waitUntil(lambda: window.timeline.maximum() == 2 and window.views["confusion"].has_data, timeout=5000)
    assert window.live and window.timeline.value() == 2 and window.timeline_label.text() == "live · step 40"
    latest = window.views["confusion"].data.values.copy()
    window.scrub_to(0)
    assert not window.live
    qtbot.waitUntil(lambda: window.views["confusion"].data.values[0, 0] == latest[0, 0] + 100, timeout=3000)
    assert window.timeline_label.text().startswith("step 20")
    assert window.views["loss"].crosshair.isVisible() and window.views["loss"].crosshair.value() == 20
    window.go_live()
    qtbot.waitUntil(lambda: window.views["confusion"].data.values[0, 0] == latest[0, 0], timeout=3000)
    assert window.live and not window.views["loss"].crosshair.isVisible()


def test_pause_resume_and_stop_write_only_the_control_file(qtbot, tmp_path, open_window, monkeypatch):
    folder = make_run(tmp_path / "control", steps=3)
    before = sorted(p.name for p in folder.rglob("*"))
    window = open_window(folder)
    qtbot.waitUntil(lambda: window.views["loss"].has_data, timeout=5000)
    control = folder / "control.json"

    def written():
        data = json.loads(control.read_text()) if control.exists() else {}
        return data.get("seq"), data.get("command")

    window.pause_button.click()
    qtbot.waitUntil(lambda: written() == (1, "pause"), timeout=2000)
    append(folder, "events.jsonl", b'{"t": 1.0, "step": 3, "kind": "control", "message": "paused by the window"}\n')
    qtbot.waitUntil(lambda: window.resume_button.isEnabled() and not window.pause_button.isEnabled(), timeout=2000)
    assert window.header_fields["status"].text() == "running · paused"
    window.resume_button.click()
    qtbot.waitUntil(lambda: written() == (2, "resume"), timeout=2000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert not window.stop_run()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.stop_button.click()
    qtbot.waitUntil(lambda: written() == (3, "stop"), timeout=2000)
    assert sorted(p.name for p in folder.rglob("*")) == sorted(before + ["control.json"])


def test_export_all_writes_the_plots_of_the_run(qtbot, tmp_path, open_window):
    folder = make_run(tmp_path / "export", status="done", steps=20)
    window = open_window(folder, follow=False)
    qtbot.waitUntil(lambda: window._state.finished and window.views["confusion"].has_data, timeout=5000)
    paths = window.export_all(tmp_path / "out")
    names = {p.name for p in paths}
    assert {"loss.csv", "loss.png", "confusion.csv", "confusion.png", "run.json"} <= names
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["lesson"] == LESSON and record["status"] == "done" and record["steps"] == 20
    assert record["run_directory"] == str(folder)
    assert (tmp_path / "out" / "loss.csv").read_text().count("\n") >= 21


def test_a_followed_run_overlays_the_open_lesson_and_leaves_with_its_window(qtbot, tmp_path, settings, monkeypatch):
    monkeypatch.setenv("DLVIS_TRAINING", "thread")
    configure_pyqtgraph()
    main = MainWindow(lessons={LESSON: registry.get(LESSON)}, lesson_id=LESSON, settings=settings)
    qtbot.addWidget(main)
    main.show()
    folder = make_run(tmp_path / "gpu_run", steps=5)
    window = main.open_run(folder, follow=True)
    assert window is not None and window.isVisible() and main._overlay_timer.isActive()
    assert main.open_run(folder, follow=False) is window and len(main.run_windows) == 1     # one window per run
    view = main.view
    label = "Followed: gpu_run"
    qtbot.waitUntil(lambda: any(r.label == label for r in view.runs), timeout=5000)
    qtbot.waitUntil(lambda: label in [name for name, _ in view.views["loss"].previous], timeout=2000)
    run = next(r for r in view.runs if r.label == label)
    assert len(run.curves["loss"].series["train_loss"][0]) == 5
    append(folder, "metrics.jsonl", metrics_line(6, {"train_loss": 0.1, "train_acc": 0.9}))
    qtbot.waitUntil(lambda: len(next(r for r in view.runs if r.label == label).curves["loss"]
                                .series["train_loss"][0]) == 6, timeout=2000)
    window.close()
    assert not [r for r in view.runs if r.label == label]
    assert label not in [name for name, _ in view.views["loss"].previous]
    assert not main.run_windows and not main._overlay_timer.isActive()
    main.close()


@pytest.mark.parametrize("how, expected", [
    ("schema", "newer version of the app: schema 2, this app reads 1"),
    ("lesson", "the lesson 'not_a_lesson', which this app does not have"),
    ("empty", "not a run directory (it has no run.json)")])
def test_a_folder_that_cannot_be_opened_is_explained_and_the_app_goes_on(qtbot, tmp_path, settings, monkeypatch,
                                                                        how, expected):
    monkeypatch.setenv("DLVIS_TRAINING", "thread")
    if how == "schema":
        write_run_json(tmp_path, schema=2)
    elif how == "lesson":
        write_run_json(tmp_path, lesson="not_a_lesson")
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: said.append((title, text)))
    main = MainWindow(lessons={}, settings=settings)
    qtbot.addWidget(main)
    assert main.open_run(tmp_path, follow=False) is None
    assert said and said[0][0] == "Open run" and expected in said[0][1]
    assert not main.run_windows and [a.text() for a in main.menuBar().actions()][0] == "&File"
    main.close()
