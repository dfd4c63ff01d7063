"""Application start-up: the QApplication with its names and look, and the GUI entry point.

Importing this module is cheap: no torch, no lesson is built until a lesson view opens.
"""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

ORGANIZATION = "DeepLearningVisualizer"
APPLICATION = "Deep Learning Visualizer"


def configure_pyqtgraph() -> None:
    """Plots in the current theme's colours (light until the main window applies the saved theme), antialiased
    lines, images row-major like NumPy."""
    import pyqtgraph as pg

    from visualizer.ui import theme

    colors = theme.current()
    pg.setConfigOptions(antialias=True, background=colors.background, foreground=colors.foreground,
                        imageAxisOrder="row-major")


GUI_SWITCH_INTERVAL = 5e-5      # seconds; see use_short_gil_switch_interval


def use_short_gil_switch_interval() -> None:
    """Let the GUI thread get the GIL back within ~50 µs instead of 5 ms.

    Every Qt virtual call on a Python-created object (pyqtgraph's boundingRect, paint, ...) takes
    the GIL, and a frame makes hundreds of them; with a training thread busy in Python each one
    waited up to the 5 ms default switch interval.  Measured on this project's 2-core machine with
    the playground lesson training at full speed: 4-5 redraws/s and an event-loop p50 latency of
    200-300 ms at the default, 31 redraws/s and p99 32 ms at 50 µs.  The interval only matters
    while a thread waits for the GIL, so a headless run is unaffected."""
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created if needed) with organization and application names set for
    QSettings, the Fusion style and the pyqtgraph configuration."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setStyle("Fusion")
    configure_pyqtgraph()
    return app


def run_gui(lesson_id: str | None = None) -> int:
    """Open the main window (on ``lesson_id``, else the last lesson used) and run the event loop.

    The lessons are listed from their packages' metadata (``registry.infos()``); only the lesson that
    opens is imported.  Returns the exit code.  Raises UnknownLessonError if ``lesson_id`` names no
    registered lesson."""
    from visualizer.core import registry
    from visualizer.ui.main_window import MainWindow

    lessons = registry.infos()
    if lesson_id is not None and lesson_id not in lessons:
        raise registry.UnknownLessonError(
            f"no lesson called {lesson_id!r}; known lessons: {', '.join(lessons) or '(none)'}")
    app = create_app(sys.argv)
    window = MainWindow(lessons=lessons, lesson_id=lesson_id, load_errors=registry.load_errors())
    window.show()
    window.maybe_show_welcome()         # the first launch only (or while the user keeps it on)
    return app.exec()
