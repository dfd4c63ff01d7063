"""What the window says when saving goes wrong: export and checkpoint errors in plain words (what is
wrong, what to do), never "[Errno N]" or "File exists"."""
import errno

import pytest

from tests.ui.fake_lessons import SavingToyLesson
from tests.ui.test_main_window import make_window


def error_texts(view):
    return [b.text for b in view.messages.banners() if b.kind == "error"]


def assert_plain(text):
    assert "Errno" not in text and "File exists" not in text and "Error:" not in text, text


@pytest.mark.parametrize("training", ["process", "thread"])
def test_export_and_save_weights_into_a_file_say_it_is_not_a_folder(qtbot, settings, tmp_path, monkeypatch, training):
    monkeypatch.setenv("DLVIS_TRAINING", training)
    target = tmp_path / "results"
    target.write_text("a file")
    window = make_window(qtbot, settings, lessons={"saving_toy": SavingToyLesson})
    view = window.view
    view.session.step(3)
    assert view.session.wait_idle(10)
    monkeypatch.setattr("visualizer.ui.main_window.QFileDialog.getExistingDirectory", lambda *a, **k: str(target))
    window.export_all_action.trigger()
    text = error_texts(view)[-1]
    assert_plain(text)
    assert text.startswith("Export failed") and f"{target} is a file, not a folder: choose a folder" in text

    monkeypatch.setattr("visualizer.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target / "w.npz"), ""))
    window.save_weights_action.trigger()
    qtbot.waitUntil(lambda: any("Could not save the checkpoint" in t for t in error_texts(view)), timeout=5000)
    text = error_texts(view)[-1]
    assert_plain(text)
    assert f"{target} is a file, not a folder: choose a folder" in text
    assert target.read_text() == "a file"
    window.close()


def test_save_weights_on_a_full_disk(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_TRAINING", "thread")          # the failing write is patched in this process
    window = make_window(qtbot, settings, lessons={"saving_toy": SavingToyLesson})
    view = window.view

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("visualizer.core.export.os.fsync", full)
    monkeypatch.setattr("visualizer.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "w.npz"), ""))
    window.save_weights_action.trigger()
    qtbot.waitUntil(lambda: any("Could not save the checkpoint" in t for t in error_texts(view)), timeout=5000)
    text = error_texts(view)[-1]
    assert_plain(text)
    assert "the disk is full: free some space or choose another folder, the run is kept" in text
    assert not [p for p in tmp_path.iterdir() if "w.npz" in p.name]          # no file, no temporary left
    window.close()
