"""Issue #13: the wheel changes a control only when it has the focus; keys for Next/Back and for switching
lessons; the version in Help -> About."""
from importlib import metadata

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSlider, QApplication, QComboBox

from tests.core.toy_lesson import ToyLesson
from tests.ui.fake_lessons import AllKindsLesson, VisionLesson
from visualizer.core import registry
from visualizer.ui import main_window
from visualizer.ui.hyperparameter_panel import HyperparameterPanel
from visualizer.ui.main_window import MainWindow

LESSONS = {"toy": ToyLesson, "vision_fake": VisionLesson, "all_kinds": AllKindsLesson}


def wheel(widget, steps: int = -1) -> None:
    """One notch of the wheel over the middle of ``widget`` (negative: towards the user, scrolling down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(QPoint(centre.x(), centre.y()))), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def panel(qtbot):
    specs = AllKindsLesson.all_params()
    panel = HyperparameterPanel(specs, {s.name: s.default for s in specs})
    qtbot.addWidget(panel)
    panel.resize(300, 160)                  # shorter than its rows, so it scrolls
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitActive(panel)
    assert panel.verticalScrollBar().maximum() > 0
    return panel


def editors(panel):
    return {"float slider": (panel.control("lr").slider, lambda: panel.control("lr").slider.value()),
            "int slider": (panel.control("width").slider, lambda: panel.control("width").slider.value()),
            "combo": (panel.control("activation").combo, lambda: panel.control("activation").combo.currentIndex())}


@pytest.mark.parametrize("kind", ["float slider", "int slider", "combo"])
def test_wheel_over_an_unfocused_control_scrolls_the_panel_and_leaves_the_value(panel, kind):
    editor, value = editors(panel)[kind]
    panel.setFocus()
    before, scroll = value(), panel.verticalScrollBar().value()
    wheel(editor, -1)
    assert value() == before
    assert panel.verticalScrollBar().value() > scroll
    assert editor.focusPolicy() == Qt.FocusPolicy.StrongFocus        # the wheel itself gives no focus


@pytest.mark.parametrize("kind", ["float slider", "int slider", "combo"])
def test_wheel_over_a_focused_control_changes_its_value(panel, qtbot, kind):
    editor, value = editors(panel)[kind]
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    before, scroll = value(), panel.verticalScrollBar().value()
    wheel(editor, -1 if kind == "combo" else 1)       # combo: down to the next item; sliders: up
    assert value() != before
    assert panel.verticalScrollBar().value() == scroll


def test_every_slider_and_combo_of_a_real_lesson_is_guarded(qtbot):
    specs = registry.get("cnn_scratch").all_params()
    panel = HyperparameterPanel(specs, {s.name: s.default for s in specs})
    qtbot.addWidget(panel)
    found = panel.findChildren(QAbstractSlider) + panel.findChildren(QComboBox)
    own = [w for w in found if panel.widget().isAncestorOf(w)]
    assert own and all(w.focusPolicy() == Qt.FocusPolicy.StrongFocus for w in own)


def make_window(qtbot, settings, lesson_id="all_kinds"):
    window = MainWindow(lessons=LESSONS, settings=settings, lesson_id=lesson_id)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def press(qtbot, window, key, modifier):
    """A key press where the focus is (the window when nothing has it)."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)


def test_alt_right_and_alt_left_step_the_narrative(qtbot, settings):
    window = make_window(qtbot, settings)
    narrative = window.view.narrative
    assert "Alt+Right" in narrative.next.toolTip() and "Alt+Left" in narrative.back.toolTip()
    assert window.next_step_action.shortcut().toString() == "Alt+Right"
    box = window.view.panel.control("lr").box
    box.setFocus()                                            # keys work with the focus in a text box too
    qtbot.waitUntil(box.hasFocus)
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert narrative.index == 1
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert narrative.index == 2                               # the last step stays
    press(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert narrative.index == 1
    window.close()


def test_ctrl_page_down_and_up_switch_lessons_in_browser_order(qtbot, settings):
    window = make_window(qtbot, settings, lesson_id="toy")
    assert window.browser.order() == ["toy", "all_kinds", "vision_fake"]
    assert window.next_lesson_action.shortcut().toString() == "Ctrl+PgDown"
    window.browser.setFocus()
    qtbot.waitUntil(window.browser.hasFocus)
    press(qtbot, window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.view.lesson_cls is AllKindsLesson
    press(qtbot, window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.view.lesson_cls is VisionLesson              # past the last lesson nothing happens
    press(qtbot, window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.view.lesson_cls is AllKindsLesson
    assert "Ctrl+PgDown" in main_window.SHORTCUTS_HELP and "Alt+Right" in main_window.SHORTCUTS_HELP
    window.close()


def test_about_shows_the_installed_version(qtbot, settings, monkeypatch):
    shown = []
    monkeypatch.setattr(main_window.QMessageBox, "about", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(main_window.metadata, "version", lambda name: "9.8.7")
    window = make_window(qtbot, settings, lesson_id="toy")
    window.show_about()
    assert "Version 9.8.7" in shown[0] and "3 lessons installed" in shown[0]
    window.close()


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch):
    import tomllib
    with open(main_window.PYPROJECT, "rb") as f:
        expected = tomllib.load(f)["project"]["version"]

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)
    monkeypatch.setattr(main_window.metadata, "version", not_installed)
    assert main_window.app_version() == expected
    monkeypatch.setattr(main_window, "PYPROJECT", main_window.PYPROJECT.with_name("missing.toml"))
    assert main_window.app_version() == "unknown"
