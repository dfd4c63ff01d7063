"""The main window: lesson browser by track, switching lessons, menus, closing mid-run, settings."""
import threading
import time

from PySide6.QtWidgets import QApplication

from tests.core.toy_lesson import ToyLesson
from tests.ui.fake_lessons import AllKindsLesson, VisionLesson
from visualizer.ui.lesson_browser import LessonBrowser
from visualizer.ui.main_window import MainWindow

LESSONS = {"toy": ToyLesson, "vision_fake": VisionLesson, "all_kinds": AllKindsLesson}


def visible_top_levels():
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def make_window(qtbot, settings, **kw):
    window = MainWindow(lessons=kw.pop("lessons", LESSONS), settings=settings, **kw)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_browser_groups_lessons_by_track_with_chapters(qtbot):
    browser = LessonBrowser({lesson_id: cls.info for lesson_id, cls in LESSONS.items()})
    qtbot.addWidget(browser)
    assert browser.lessons_by_track() == {"Foundations": ["toy", "all_kinds"], "Vision": ["vision_fake"]}
    assert browser.topLevelItem(0).text(0) == "Foundations"
    assert browser.chapter("vision_fake") == "Test book, ch. 9"
    assert "Lives on the Vision track." in browser.lesson_items["vision_fake"].toolTip(0)
    with qtbot.waitSignal(browser.lessonChosen) as blocker:
        browser.itemClicked.emit(browser.lesson_items["all_kinds"], 0)
    assert blocker.args == ["all_kinds"]


def test_window_opens_last_lesson_and_switching_stops_the_old_worker(qtbot, settings):
    settings.setValue("window/last_lesson", "vision_fake")
    window = make_window(qtbot, settings)
    assert window.view.lesson_cls is VisionLesson
    assert "Fake vision lesson" in window.windowTitle()
    old = window.view
    old.play()
    qtbot.waitUntil(lambda: old.session.step_count > 5)
    window.browser.lessonChosen.emit("all_kinds")
    assert window.view.lesson_cls is AllKindsLesson and not old.session.alive
    assert [a.text() for a in window.lesson_menu.actions()] == ["Play", "Step", "Step epoch", "Reset"]
    assert len(window.export_plot_menu.actions()) == len(AllKindsLesson.plots)
    assert settings.value("window/last_lesson") == "all_kinds"
    window.close()


def test_lesson_menu_drives_the_current_lesson(qtbot, settings):
    window = make_window(qtbot, settings, lesson_id="toy")
    play = window.lesson_menu.actions()[0]
    play.trigger()
    assert window.view.session.running
    play.trigger()
    assert not window.view.session.running
    window.close()


def test_closing_mid_run_stops_worker_and_leaves_nothing_behind(qtbot, settings, thread_baseline):
    window = make_window(qtbot, settings, lesson_id="all_kinds")
    view = window.view
    view.play()
    qtbot.waitUntil(lambda: view.session.step_count > 20)
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 < 1.5
    assert not view.session.alive
    qtbot.waitUntil(lambda: threading.active_count() == thread_baseline, timeout=2000)
    assert visible_top_levels() == []


def test_settings_remember_geometry_and_last_lesson(qtbot, settings):
    window = make_window(qtbot, settings, lesson_id="vision_fake")
    window.resize(785, 613)
    qtbot.waitUntil(lambda: window.size().width() == 785)
    window.close()
    again = make_window(qtbot, settings)
    assert again.view.lesson_cls is VisionLesson
    assert (again.size().width(), again.size().height()) == (785, 613)
    again.close()


def test_export_all_menu_asks_for_a_folder(qtbot, settings, tmp_path, monkeypatch):
    window = make_window(qtbot, settings, lesson_id="toy")
    window.view.session.step(4)
    assert window.view.session.wait_idle(5)
    monkeypatch.setattr("visualizer.ui.main_window.QFileDialog.getExistingDirectory",
                        lambda *a, **k: str(tmp_path))
    window.export_all_action.trigger()
    assert {p.name for p in tmp_path.iterdir()} >= {"loss.csv", "loss.png", "loss.svg", "run.json"}
    assert "Exported" in window.view.messages.texts()[-1]
    assert settings.value("export/last_dir") == str(tmp_path)
    window.close()


def test_export_plot_menu_picks_format_from_the_filter(qtbot, settings, tmp_path, monkeypatch):
    window = make_window(qtbot, settings, lesson_id="toy")
    window.view.session.step(3)
    assert window.view.session.wait_idle(5)
    monkeypatch.setattr("visualizer.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "curve"), "SVG vector image (*.svg)"))
    window.export_plot_menu.actions()[0].trigger()
    assert (tmp_path / "curve.svg").read_text().lstrip().startswith("<?xml")
    window.close()


def test_no_lessons_shows_a_placeholder(qtbot, settings):
    window = make_window(qtbot, settings, lessons={})
    assert window.view is None and "No lessons" in window.placeholder.text()
    assert not window.export_all_action.isEnabled()
    window.close()


def test_save_weights_of_a_lesson_without_checkpoints_reports_it(qtbot, settings, tmp_path, monkeypatch):
    window = make_window(qtbot, settings, lesson_id="toy")
    monkeypatch.setattr("visualizer.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "w.npz"), ""))
    window.save_weights_action.trigger()
    qtbot.waitUntil(lambda: any("Could not save the checkpoint" in t for t in window.view.messages.texts()))
    assert not (tmp_path / "w.npz").exists()
    window.close()


def test_lessons_that_failed_to_load_are_named_in_the_status_bar(qtbot, settings):
    window = make_window(qtbot, settings, load_errors={"broken_lesson": "SyntaxError: invalid syntax"})
    assert window.view is not None                      # the good lessons still open
    assert "broken_lesson" in window.load_error_label.text()
    assert "SyntaxError" in window.load_error_label.toolTip()
    window.close()


def test_a_listed_lesson_is_imported_when_opened_and_a_broken_one_is_named(qtbot, settings):
    from visualizer.core.lesson import LessonInfo

    ghost = LessonInfo("ghost", "Not installed", "Vision", "none")      # listed by its info: registry.get on open
    window = make_window(qtbot, settings, lessons={"toy": ToyLesson, "ghost": ghost}, lesson_id="toy")
    assert window.browser.lessons_by_track() == {"Foundations": ["toy"], "Vision": ["ghost"]}
    assert not window.load_error_label.isVisible()
    assert window.open_lesson("ghost") is None
    assert window.view.lesson_cls is ToyLesson                          # the open lesson keeps running
    assert "ghost" in window.load_error_label.text() and "no lesson called 'ghost'" in window.load_error_label.toolTip()
    window.close()
