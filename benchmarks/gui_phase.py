"""What the GUI benchmarks share: play a lesson in the real event loop and measure it.

Run the benchmarks from the repository root as modules, e.g. ``python -m benchmarks.bench_gui``.
"""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np

PROBE_MS = 10        # the latency probe: a repeating timer of this period; lateness = how late it fires


def open_window(lesson_id: str, training: str | None = None, size: tuple[int, int] = (1600, 1000)):
    """The app's main window on one lesson, with settings in a fresh temporary INI file (so no earlier
    session's values leak in), shown; returns (app, window).  training: "process" or "thread" (sets
    DLVIS_TRAINING), None for the app's default."""
    from PySide6.QtCore import QSettings

    from visualizer.core import registry
    from visualizer.ui.app import create_app
    from visualizer.ui.main_window import MainWindow

    if training is not None:
        os.environ["DLVIS_TRAINING"] = training
    lesson_cls = registry.get(lesson_id)
    app = create_app([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(lessons={lesson_id: lesson_cls}, lesson_id=lesson_id, settings=settings)
    window.resize(*size)
    window.show()
    # throughput is what is measured: no watchable pace and no stop (the lesson's Pacing is for learners)
    window.view.transport.set_speed(None)
    window.view.transport.set_run_limit(None)
    return app, window


def wait_until(app, predicate, timeout: float) -> bool:
    """Process Qt events until ``predicate()`` is true or ``timeout`` seconds pass; True if it came true."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.002)
    return False


def play_phase(app, window, seconds: float, plot_id: str | None = None) -> dict:
    """Play ``window``'s lesson for ``seconds`` in the real event loop (as in the app), then pause.

    Returns event-loop latency (``p50``, ``p99``, ``max``: ms a 10 ms timer fires late), the lesson
    view's ``redraws_per_s``, training ``steps_per_s`` and, with ``plot_id``, ``fps``: redraws of that
    plot per second (its ``PlotView.draw_count``)."""
    from PySide6.QtCore import QEventLoop, QTimer

    view = window.view
    session = view.session
    plot = view.views[plot_id] if plot_id else None
    lateness: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - PROBE_MS / 1000))
        last[0] = now

    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    frames0 = plot.draw_count if plot else 0
    redraws0, steps0 = view.redraw_count, session.step_count
    view.play()
    t0 = time.perf_counter()
    last[0] = t0
    timer.start()
    loop.exec()
    timer.stop()
    elapsed = time.perf_counter() - t0
    out = {"redraws_per_s": (view.redraw_count - redraws0) / elapsed,
           "steps_per_s": (session.step_count - steps0) / elapsed}
    if plot is not None:
        out["fps"] = (plot.draw_count - frames0) / elapsed
    view.pause()
    wait_until(app, lambda: not session.running and session.state != "running", 5)
    ms = np.array(lateness) * 1000 if lateness else np.zeros(1)
    out.update(p50=float(np.percentile(ms, 50)), p99=float(np.percentile(ms, 99)), max=float(ms.max()))
    return out
