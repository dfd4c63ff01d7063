"""Command line: list lessons, open the window, or train headless and export.

    dl-visualizer                         open the window (last lesson)
    dl-visualizer --list                  lesson ids, one per line
    dl-visualizer --lesson ID             open the window on that lesson
    dl-visualizer --lesson ID --headless --steps N [--engine numpy|torch] [--device cpu|cuda]
                  [--set name=value ...] [--export DIR]

Headless runs train with the same TrainingSession (a worker thread) that the GUI runs in its
training process, and write the same files as the GUI's "Export all" (plots rendered offscreen).  Exit codes: 0 done; 2 bad arguments or settings;
3 the run diverged (data so far still exported); 4 export failed; 1 the lesson raised an error.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_EXPORT = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dl-visualizer", description="Deep Learning Visualizer: watch models learn.")
    p.add_argument("--list", action="store_true", help="print the lesson ids, one per line, and exit")
    p.add_argument("--lesson", metavar="ID", help="lesson to open (or to train with --headless)")
    p.add_argument("--headless", action="store_true", help="train without a window")
    p.add_argument("--steps", type=int, default=100, metavar="N", help="training steps for --headless (default 100)")
    p.add_argument("--engine", choices=("numpy", "torch"), help="training engine")
    p.add_argument("--device", choices=("cpu", "cuda"), help="PyTorch device")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="assignments",
                   help="set a hyperparameter (repeatable), e.g. --set lr=0.01 --set seed=1")
    p.add_argument("--export", metavar="DIR", help="after a headless run, write every plot (PNG, SVG, CSV) and run.json")
    p.add_argument("--timeout", type=float, default=3600.0, help="give up a headless run after this many seconds")
    return p


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run_headless(args: argparse.Namespace) -> int:
    """Train ``args.lesson`` for ``args.steps`` steps without a window; export if asked.  Returns an exit code."""
    from visualizer.core import registry
    from visualizer.core.hyperparams import HyperparameterError, parse_assignment
    from visualizer.core.session import TrainingSession

    try:
        lesson_cls = registry.get(args.lesson)
    except registry.UnknownLessonError as e:
        return _fail(EXIT_USAGE, str(e))
    values: dict[str, object] = {}
    try:
        for text in args.assignments:
            name, value = parse_assignment(text)
            values[name] = value
        if args.engine:
            values["engine"] = args.engine
        if args.device:
            values["device"] = args.device
        lesson_cls.hyperparameters(values)          # validate before starting a thread
    except HyperparameterError as e:
        return _fail(EXIT_USAGE, str(e))
    if args.steps < 0:
        return _fail(EXIT_USAGE, "--steps must be >= 0")

    session = TrainingSession(lesson_cls, values, snapshots=False)
    try:
        if not session.wait_idle(args.timeout):
            return _fail(EXIT_ERROR, "building the lesson timed out")
        code = EXIT_OK
        for ev in session.drain_events():
            if ev.kind == "notice":
                print(f"note: {ev.message}", file=sys.stderr)
            elif ev.kind in ("config_error", "error"):
                if ev.traceback:
                    print(ev.traceback, file=sys.stderr)
                return _fail(EXIT_USAGE if ev.kind == "config_error" else EXIT_ERROR, ev.message)
        t0 = time.perf_counter()
        session.step(args.steps)
        if not session.wait_idle(args.timeout):
            return _fail(EXIT_ERROR, f"training did not finish within {args.timeout:g} s")
        elapsed = time.perf_counter() - t0
        for ev in session.drain_events():
            if ev.kind == "diverged":
                print(f"error: {ev.message}", file=sys.stderr)
                code = EXIT_DIVERGED
            elif ev.kind == "error":
                print(ev.traceback, file=sys.stderr)
                print(f"error: {ev.message}", file=sys.stderr)
                code = EXIT_ERROR
            elif ev.kind in ("notice", "config_error"):
                print(f"note: {ev.message}", file=sys.stderr)
        rate = session.step_count / elapsed if elapsed > 0 else float("nan")
        print(f"{lesson_cls.info.id}: {session.step_count} steps in {elapsed:.2f} s ({rate:.1f} steps/s), "
              f"engine {session.applied['engine']} on {session.applied['device']}")
        for name, value in sorted(session.history.last().items()):
            print(f"  {name} = {value:.6g}")
        if args.export:
            session.snapshot_now()
            from visualizer.core.export import ExportError
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from visualizer.ui.export_all import export_all
            try:
                paths = export_all(session, args.export)
            except ExportError as e:
                return _fail(EXIT_EXPORT, str(e))
            print(f"exported {len(paths)} files to {args.export}")
        return code
    finally:
        session.stop(5.0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``dl-visualizer`` console script."""
    args = build_parser().parse_args(argv)
    if args.list:
        from visualizer.core import registry
        for lesson_id in registry.infos():          # metadata only: no lesson module is imported
            print(lesson_id)
        for name, message in registry.load_errors().items():
            print(f"warning: lesson package {name!r} could not be loaded: {message}", file=sys.stderr)
        return EXIT_OK
    if args.headless:
        if not args.lesson:
            return _fail(EXIT_USAGE, "--headless needs --lesson ID (see --list)")
        return run_headless(args)
    if args.lesson:
        from visualizer.core import registry
        known = registry.infos()                   # the window imports the lesson when it opens it
        if args.lesson not in known:
            return _fail(EXIT_USAGE, f"no lesson called {args.lesson!r}; known lessons: {', '.join(known) or '(none)'}")
    from visualizer.ui.app import run_gui
    return run_gui(args.lesson)


if __name__ == "__main__":
    sys.exit(main())
