"""Screenshots of every lesson as a new user sees it: open, after Play, and after each narrative step.

Run it under a real (virtual) display so fonts and window sizes are those of a desktop::

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m visualizer.ui.screenshots --size 1600x1000 --out /tmp/shots

It writes ``<out>/<width>x<height>/<lesson>/NN_<what>.png``: ``00_open``, ``01_play`` (after
``--play-seconds`` of training at the lesson's default speed), then one picture per narrative step,
taken when the step's own training (``run_steps`` or ``train_until``) has finished or after ``--step-timeout`` seconds.
Pictures are for people to open and judge against STYLE.md's picture checklist; the project keeps
only README's set in git (``assets/screenshots``).  Exit status: 0, or 1 if a lesson failed to open
(the error is printed and the other lessons still run).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "step"


def _pump(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _wait_step_done(app, view, timeout: float) -> bool:
    """Pump events until the session stops running (a narrative step's ``run_steps`` are done)."""
    end = time.monotonic() + timeout
    _pump(app, 0.5)
    while time.monotonic() < end:
        if not view.session.running:
            return True
        _pump(app, 0.2)
    return False


def shoot_lesson(app, lesson_id: str, size: tuple[int, int], out: Path, play_seconds: float,
                 step_timeout: float, skip_ahead: bool = False) -> list[Path]:
    """Open ``lesson_id`` in a window of ``size`` (width, height) pixels and save its pictures in ``out``.
    With ``skip_ahead``, a step that ships a pretrained snapshot loads it (the "Skip ahead" button)
    instead of training.

    Returns the files written.  Raises whatever opening the lesson raises (the caller reports it)."""
    from visualizer.ui.main_window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    win = MainWindow(lesson_id=lesson_id)
    win.resize(*size)
    win.show()
    written: list[Path] = []

    def shot(name: str) -> None:
        _pump(app, 0.6)                                  # a redraw or two after the last change
        path = out / f"{len(written):02d}_{name}.png"
        win.grab().save(str(path))
        written.append(path)

    try:
        _pump(app, 1.0)
        shot("open")
        view = win.view
        view.play()
        _pump(app, play_seconds)
        view.pause()
        shot("play")
        for i in range(1, len(view.steps)):
            win.next_step()
            if skip_ahead and view.steps[i].snapshot:
                view.skip_ahead()
                _pump(app, 1.0)
            if view.steps[i].run_steps > 0 or view.steps[i].train_until > 0:
                done = _wait_step_done(app, view, step_timeout)
                if not done:
                    print(f"  {lesson_id} step {i + 1}: still training after {step_timeout:.0f} s", flush=True)
            else:
                _pump(app, 1.0)
            shot(f"step{i + 1}_{_slug(view.steps[i].title)}")
    finally:
        win.close()
        _pump(app, 0.3)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m visualizer.ui.screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1600x1000", help="window size WIDTHxHEIGHT in pixels")
    parser.add_argument("--out", default="/tmp/shots", help="folder for the pictures")
    parser.add_argument("--lessons", nargs="*", help="lesson ids, separated by spaces or commas (default: all); an unknown id is refused")
    parser.add_argument("--play-seconds", type=float, default=12.0, help="seconds of Play before '01_play'")
    parser.add_argument("--step-timeout", type=float, default=60.0,
                        help="longest wait, in seconds, for a narrative step's training")
    parser.add_argument("--skip-ahead", action="store_true",
                        help="on a step that ships a pretrained snapshot, load it instead of training")
    args = parser.parse_args(argv)
    m = re.fullmatch(r"(\d+)x(\d+)", args.size)
    if not m:
        parser.error(f"--size must look like 1600x1000, not {args.size!r}")
    size = (int(m.group(1)), int(m.group(2)))
    from visualizer.core import registry

    known = list(registry.infos())
    lesson_ids = [i for item in (args.lessons or []) for i in item.split(",") if i] or known
    unknown = [i for i in lesson_ids if i not in known]
    if unknown:
        parser.error(f"unknown lesson id(s): {', '.join(unknown)}; known: {' '.join(known)}")

    import tempfile

    from PySide6.QtCore import QSettings

    from visualizer.ui.app import create_app

    # a new user's settings: nothing remembered from earlier sessions, nothing written to the real ones
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="dlv-shots-"))
    app = create_app([])
    status = 0
    for lesson_id in lesson_ids:
        start = time.monotonic()
        try:
            files = shoot_lesson(app, lesson_id, size, Path(args.out) / args.size / lesson_id,
                                 args.play_seconds, args.step_timeout, args.skip_ahead)
        except Exception as e:              # report the lesson and go on with the others
            print(f"{lesson_id}: FAILED: {type(e).__name__}: {e}", flush=True)
            status = 1
            continue
        print(f"{lesson_id}: {len(files)} pictures in {time.monotonic() - start:.0f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
