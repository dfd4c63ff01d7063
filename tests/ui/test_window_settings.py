"""The window's saved state (QSettings) is checked before it is used: a settings file with garbage
in it (edited by hand, written by another version, damaged) never hides a panel or stops the app,
and a collapsed state is never saved back."""
import struct
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtWidgets import QMainWindow

from tests.ui.test_main_window import LESSONS, make_window
from visualizer.ui import window_settings
from visualizer.ui.window_settings import MIN_PANE, splitter_sizes

SPLITTER_TAIL = b"\x01\xff\xff\xff\xff\x01\x00\x00\x00\x01\x00"      # the rest of QSplitter.saveState()


def splitter_state(sizes, marker=0xFF, version=1):
    """A QSplitter.saveState() blob holding ``sizes``, as Qt 6 writes it."""
    return QByteArray(struct.pack(f">iii{len(sizes)}i", marker, version, len(sizes), *sizes) + SPLITTER_TAIL)


def geometry_of(size=None, pos=None):
    w = QMainWindow()
    if size:
        w.resize(*size)
    if pos:
        w.move(*pos)
    w.show()
    g = w.saveGeometry()
    w.close()
    return g


def window_is_usable(window):
    """The lesson panel and the browser have room, and the window is on a screen at a usable size."""
    browser, lesson = window.splitter.sizes()
    screen = window.screen().availableGeometry()
    return (browser >= MIN_PANE and lesson >= MIN_PANE and window.view is not None
            and window.container.width() >= MIN_PANE
            and window.width() >= window_settings.MIN_WINDOW[0] and window.height() >= window_settings.MIN_WINDOW[1]
            and screen.contains(window.frameGeometry().center()))


BAD_SPLITTERS = {
    "both collapsed (as the issue saved it)": splitter_state([0, 0]),
    "lesson panel collapsed": splitter_state([1520, 0]),
    "browser collapsed": splitter_state([0, 1520]),
    "negative": splitter_state([-40, 900]),
    "three panes": splitter_state([200, 600, 600]),
    "absurd total": splitter_state([2_000_000_000, 2_000_000_000]),
    "wrong marker": splitter_state([220, 1300], marker=0x7F),
    "bytes of garbage": QByteArray(b"garbage"),
    "empty bytes": QByteArray(),
    "truncated": QByteArray(bytes(splitter_state([220, 1300]))[:14]),
    "a list of numbers": ["0", "0"],
    "text": "220,1300",
    "a number": 7,
}


@pytest.mark.parametrize("value", BAD_SPLITTERS.values(), ids=BAD_SPLITTERS.keys())
def test_a_bad_splitter_entry_falls_back_to_the_default_and_is_not_saved_back(qtbot, settings, value):
    settings.setValue("window/splitter", value)
    window = make_window(qtbot, settings)
    assert window_is_usable(window)
    window.close()
    assert splitter_sizes(settings.value("window/splitter")) is not None     # saved back: a sane state
    again = make_window(qtbot, settings)
    assert window_is_usable(again)
    again.close()


def test_a_good_splitter_entry_is_restored(qtbot, settings):
    window = make_window(qtbot, settings)
    window.splitter.setSizes([300, 460])
    before = window.splitter.sizes()
    window.close()
    again = make_window(qtbot, settings)
    assert again.splitter.sizes() == before
    again.close()


def test_the_panes_cannot_be_collapsed_and_a_collapsed_state_is_never_saved(qtbot, settings):
    window = make_window(qtbot, settings)
    window.splitter.setSizes([0, 760])
    window.splitter.moveSplitter(760, 1)          # as a drag to the right edge would
    assert min(window.splitter.sizes()) > 0
    window.close()
    assert splitter_sizes(settings.value("window/splitter")) is not None


BAD_GEOMETRIES = {
    "text": lambda: "hello",
    "garbage bytes": lambda: QByteArray(b"\x01\xd9\xd0\xcb" + b"\x00" * 60),
    "a rectangle": lambda: QRect(0, 0, 1, 1),
    "one pixel window": lambda: geometry_of(size=(1, 1)),
    "far off screen": lambda: geometry_of(size=(600, 500), pos=(40_000, 40_000)),
}


@pytest.mark.parametrize("make", BAD_GEOMETRIES.values(), ids=BAD_GEOMETRIES.keys())
def test_a_bad_geometry_falls_back_to_the_default(qtbot, settings, make):
    settings.setValue("window/geometry", make())
    window = make_window(qtbot, settings)
    assert window_is_usable(window)
    window.close()


def test_garbage_in_the_settings_file_itself(qtbot, tmp_path):
    """A hand-edited INI file: values of the wrong type everywhere, unreadable variants."""
    path = tmp_path / "settings.ini"
    path.write_text("[window]\n"
                    "geometry=@Rect(0 0 1 1)\n"
                    "splitter=@ByteArray(garbage)\n"
                    "last_lesson=1, 2\n"
                    "[export]\n"
                    "last_dir=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x18garbage)\n")
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    window = make_window(qtbot, settings)
    assert window_is_usable(window)
    assert window.view.lesson_cls is next(iter(LESSONS.values()))          # no such lesson: the first
    assert Path(window._last_dir()).is_dir()
    window.close()


@pytest.mark.parametrize("value", [None, ["a", "b"], "/no/such/folder", 42, "FILE"])
def test_a_bad_export_folder_falls_back_to_home(qtbot, settings, tmp_path, value):
    if value == "FILE":
        value = str(tmp_path / "a_file")
        Path(value).write_text("x")
    settings.setValue("export/last_dir", value)
    window = make_window(qtbot, settings)
    assert window._last_dir() == str(Path.home())
    plot_view = next(iter(window.view.views.values()))
    assert plot_view.last_export_dir() == str(Path.home())
    window.close()


def test_a_good_export_folder_is_kept(qtbot, settings, tmp_path):
    settings.setValue("export/last_dir", str(tmp_path))
    window = make_window(qtbot, settings)
    assert window._last_dir() == str(tmp_path)
    window.close()
