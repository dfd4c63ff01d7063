"""Fixtures for the UI tests: lesson views on real sessions, an INI settings file per test."""
import threading

import pytest
from PySide6.QtCore import QSettings

from visualizer.ui.app import configure_pyqtgraph
from visualizer.ui.lesson_view import LessonView


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_view(qtbot, qapp):
    """make_view(lesson_cls, values=None) -> a shown LessonView; its worker is stopped afterwards."""
    configure_pyqtgraph()
    views = []

    def make(lesson_cls, values=None, size=(1400, 900)):
        view = LessonView(lesson_cls, values)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitUntil(lambda: view.builds >= 1 or view.messages.texts() != [], timeout=10_000)
        views.append(view)
        return view

    yield make
    for view in views:
        assert view.shutdown()


@pytest.fixture
def thread_baseline():
    return threading.active_count()


@pytest.fixture(autouse=True, scope="session")
def _private_default_settings(tmp_path_factory):
    """Anything that falls back to QSettings() writes into a temporary folder, not the user's config."""
    from PySide6.QtCore import QSettings
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path_factory.mktemp("qsettings")))


@pytest.fixture(autouse=True)
def _empty_clipboard_afterwards(qapp):
    """Qt's offscreen platform segfaults at interpreter exit while its clipboard holds our QMimeData
    (seen with PySide6 6.11.3; the xcb platform of a real desktop does not), which turned a green test run
    into exit code 139.  Every UI test leaves the clipboard empty."""
    yield
    qapp.clipboard().clear()
