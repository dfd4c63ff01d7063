"""File > Export to TensorBoard and File > Export model (ONNX) (issue #19): both run in the lesson's training
process and report in the lesson's message area; ONNX export is offered for torch lessons only."""
import pytest

from tests.core.toy_lesson import ToyLesson
from tests.kit.tiny_torch_lesson import TinyTorchLesson
from visualizer.ui.main_window import MainWindow

LESSONS = {"tiny_torch": TinyTorchLesson, "toy": ToyLesson}


def _window(qtbot, settings, lesson_id):
    window = MainWindow(lessons=LESSONS, settings=settings, lesson_id=lesson_id)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.view.builds >= 1, timeout=30_000)
    return window


def _infos(view):
    return [text for kind, text in view.messages.history if kind == "info"]


def test_export_menus_write_tensorboard_and_onnx_from_the_training_process(qtbot, settings, tmp_path):
    pytest.importorskip("tensorboardX")
    pytest.importorskip("onnxscript")
    window = _window(qtbot, settings, "tiny_torch")
    view = window.view
    assert window.export_tensorboard_action.isEnabled() and window.export_onnx_action.isEnabled()
    view.session.step(5)
    qtbot.waitUntil(lambda: view.session.step_count == 5, timeout=30_000)
    run = window.export_tensorboard_interactively(str(tmp_path / "tb"))
    assert run.parent == tmp_path / "tb" and run.name.startswith("tiny_torch-")      # one run per sub-folder
    qtbot.waitUntil(lambda: any("Exported to TensorBoard" in t for t in _infos(view)), timeout=30_000)
    assert list(run.glob("events.out.tfevents.*"))
    window.export_onnx_interactively(str(tmp_path / "model"))          # the suffix is added
    qtbot.waitUntil(lambda: any("ONNX" in t for t in _infos(view)), timeout=120_000)
    assert (tmp_path / "model.onnx").stat().st_size > 0
    assert any("module 'model' (Linear)" in t for t in _infos(view))
    window.close()


def test_onnx_export_is_off_for_a_numpy_lesson(qtbot, settings):
    window = _window(qtbot, settings, "toy")
    assert window.export_tensorboard_action.isEnabled()
    assert not window.export_onnx_action.isEnabled()
    window.close()
    assert not window.export_onnx_action.isEnabled() and not window.export_tensorboard_action.isEnabled()


def test_the_menu_items_ask_for_a_place(qtbot, settings, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append("folder") or "")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append("file") or ("", ""))
    window = _window(qtbot, settings, "tiny_torch")
    window.export_tensorboard_action.trigger()
    window.export_onnx_action.trigger()
    assert asked == ["folder", "file"]                 # cancelled: nothing is exported
    window.close()
