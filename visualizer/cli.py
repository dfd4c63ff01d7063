"""Command line: list lessons, open the window, or train headless and export.

    dl-visualizer                         open the window (last lesson)
    dl-visualizer --list                  lesson ids, one per line
    dl-visualizer --lesson ID             open the window on that lesson
    dl-visualizer --lesson ID --headless --steps N [--engine numpy|torch] [--device cpu|cuda]
                  [--set name=value ...] [--export DIR] [--tensorboard DIR] [--timeout SECONDS] [--threads N]

Headless runs train with the same TrainingSession (a worker thread) that the GUI runs in its
training process, with the same CPU threads (``visualizer.core.threads``: 1 unless ``--threads``
says otherwise), and write the same files as the GUI's "Export all" (plots rendered offscreen).
They print the threads and the data set used at the start, and the final metrics at the end:
training metrics as means over the last complete epoch (over every step before the first ends),
evaluation metrics as their last value.  A data file given with ``--set`` selects its data set
(``--set ptb_folder=DIR`` means ``dataset=ptb_folder``); one given with another data set is an error.

``--timeout`` (the whole run, building included), Ctrl+C (SIGINT) and SIGTERM stop the run early
without losing it: training stops after the current step, the final metrics are printed and, with
``--export``, run.json (with ``"stopped"``: why and at which step) and every plot with data are
written.  A second Ctrl+C quits at once.

Exit codes: 0 done; 1 the lesson raised an error; 2 bad arguments or settings; 3 the run diverged (data
so far still exported); 4 export failed; 5 stopped early by --timeout, Ctrl+C or SIGTERM (data so far
still exported).
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
import time

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_EXPORT, EXIT_STOPPED = 0, 1, 2, 3, 4, 5
STOP_GRACE_S = 30.0          # how long a stopped run waits for the step under way to end before exporting


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, not {text!r}")
    return v


def _count(low: int, what: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be at least {low} {what}, not {v}")
        return v
    return parse


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a folder name (it is created if missing), not an empty string")
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dl-visualizer", description="Deep Learning Visualizer: watch models learn.",
                                epilog="Exit codes: 0 done; 1 the lesson raised an error; 2 bad arguments or "
                                       "settings; 3 the run diverged; 4 export failed; 5 stopped early by "
                                       "--timeout, Ctrl+C or SIGTERM (data so far still exported).")
    p.add_argument("--list", action="store_true", help="print the lesson ids, one per line, and exit")
    p.add_argument("--lesson", metavar="ID", help="lesson to open (or to train with --headless)")
    p.add_argument("--headless", action="store_true", help="train without a window")
    p.add_argument("--steps", type=_count(0, "steps"), default=100, metavar="N",
                   help="training steps for --headless (default 100)")
    p.add_argument("--engine", choices=("numpy", "torch"), help="training engine")
    p.add_argument("--device", choices=("cpu", "cuda"), help="PyTorch device (the numpy engine runs on the CPU)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="assignments",
                   help="set a hyperparameter (repeatable), e.g. --set lr=0.01 --set seed=1")
    p.add_argument("--export", metavar="DIR", type=_folder,
                   help="after a headless run, write every plot (PNG, SVG, CSV) and run.json")
    p.add_argument("--tensorboard", metavar="DIR", type=_folder,
                   help="write the headless run as TensorBoard event files (scalars, images, embeddings, weight "
                        "histograms, hyperparameters) into DIR; needs the 'tensorboard' extra")
    p.add_argument("--timeout", type=_seconds, default=3600.0, metavar="SECONDS",
                   help="stop a headless run after this many seconds in all, building included, and keep what "
                        "it has (default 3600)")
    p.add_argument("--threads", type=_count(1, "threads"), metavar="N",
                   help="CPU threads for NumPy's BLAS and PyTorch (default: 1, as the window's training process)")
    return p


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


class _StopRequest:
    """Turns SIGINT and SIGTERM into a flag the run checks (the first time; a second SIGINT quits at once)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._old: dict[int, object] = {}

    def install(self) -> "_StopRequest":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.reason is not None:                      # asked twice: stop now, without exporting
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            return
        self.reason = {"SIGINT": "interrupted (Ctrl+C)", "SIGTERM": "terminated (SIGTERM)"}.get(name, name)
        print(f"\nstopping: {self.reason}; finishing the current step, then the data so far is kept "
              "(Ctrl+C again quits at once)", file=sys.stderr, flush=True)

    def restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old.clear()


def _wait(session, deadline: float, stop: _StopRequest) -> str:
    """Wait until ``session`` is idle: ``done``, ``timeout`` (past ``deadline``) or ``stopped`` (a signal)."""
    while not session.is_idle():
        if stop.reason is not None:
            return "stopped"
        if time.monotonic() >= deadline:
            return "timeout"
        time.sleep(0.01)
    return "done"


def _describe_data(hp) -> str:
    from visualizer.core.hyperparams import data_settings

    parts = [f"{hp.spec(name).label} ({name}) = {value}" for name, value in data_settings(hp).items()]
    return "; ".join(parts)


def _print_final_metrics(session) -> None:
    last = session.history.last()
    means = session.history.epoch_means()
    if means is None:
        print("final metrics: none (no training step finished)")
        for name, value in sorted(last.items()):
            print(f"  {name} = {value:.6g}")
        return
    a, b = means["from_step"], means["to_step"]
    over = (f"mean over steps {a}-{b}, the last complete epoch" if means["complete_epoch"]
            else f"mean over all {b - a + 1} steps (less than one epoch)")
    print(f"final metrics (training: {over}; evaluation: last value):")
    for name, value in sorted(means["metrics"].items()):
        tail = f"   (last step: {last[name]:.6g})" if name in last and last[name] != value else ""
        print(f"  {name} = {value:.6g}{tail}")
    for name, value in sorted(last.items()):
        if name not in means["metrics"]:
            print(f"  {name} = {value:.6g}")


def _report_events(session, code: int) -> int:
    for ev in session.drain_events():
        if ev.kind == "diverged":
            print(f"error: {ev.message}", file=sys.stderr)
            code = EXIT_DIVERGED if code in (EXIT_OK, EXIT_STOPPED) else code
        elif ev.kind == "error":
            if ev.traceback:
                print(ev.traceback, file=sys.stderr)
            print(f"error: {ev.message}", file=sys.stderr)
            code = EXIT_ERROR
        elif ev.kind in ("notice", "config_error"):
            print(f"note: {ev.message}", file=sys.stderr)
    return code


def _final_state(session, timeout: float = 60.0) -> dict | None:
    """The lesson's weights at the end of the run (its checkpoint state), saved by the session's worker to a
    temporary file and read back; None for a lesson without checkpoints or one that is not built."""
    import tempfile
    from visualizer.core.checkpoint import CheckpointError, load_checkpoint

    if session.lesson is None:
        return None
    done, errors = threading.Event(), []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "final.npz")
        session.save_checkpoint(path, lambda error: (errors.append(error), done.set()))
        if not done.wait(timeout) or errors[0] is not None:
            return None
        try:
            return load_checkpoint(path, session.lesson_cls.info.id)[0]
        except CheckpointError:
            return None


def _write_tensorboard(session, logdir: str, code: int) -> int:
    """Write the finished headless run to ``logdir`` as TensorBoard files (the history, the final snapshot, a
    final checkpoint's weights and the settings); EXIT_EXPORT if it cannot be written.  (The events were printed.)"""
    from visualizer.core.tensorboard_export import TensorBoardExportError, TensorBoardWriter, history_rows

    status = {EXIT_OK: "done", EXIT_STOPPED: "stopped", EXIT_DIVERGED: "diverged"}.get(code, "error")
    try:
        writer = TensorBoardWriter(logdir)
        try:
            writer.open(session.run_record())
            writer.metrics(history_rows(session.history))
            snap = session.latest_snapshot()
            if snap.plots:
                writer.snapshot(snap.step, 0.0, snap.plots)
            state = _final_state(session)
            if state:
                writer.checkpoint(session.step_count, state)
        finally:
            writer.close(status, code)
    except (TensorBoardExportError, OSError) as e:
        print(f"error: TensorBoard export failed: {e}", file=sys.stderr)
        return EXIT_EXPORT
    print(writer.describe())
    return code


def run_headless(args: argparse.Namespace) -> int:
    """Train ``args.lesson`` for ``args.steps`` steps without a window; export if asked.  Returns an exit code
    (see the module doc).  A timeout or a signal stops training and keeps what the run has."""
    deadline = time.monotonic() + args.timeout
    stop = _StopRequest().install()
    try:
        return _run_headless(args, deadline, stop)
    finally:
        stop.restore()


def _run_headless(args: argparse.Namespace, deadline: float, stop: _StopRequest) -> int:
    from visualizer.core import registry
    from visualizer.core.hyperparams import HyperparameterError, parse_assignment, select_data_sets
    from visualizer.core.session import TrainingSession
    from visualizer.core.threads import apply_threads, choose_threads

    try:
        lesson_cls = registry.get(args.lesson)
    except registry.UnknownLessonError as e:
        return _fail(EXIT_USAGE, str(e))
    given: dict[str, object] = {}
    try:
        for text in args.assignments:
            name, value = parse_assignment(text)
            given[name] = value
        if args.engine:
            given["engine"] = args.engine
        if args.device:
            given["device"] = args.device
        values, notes = select_data_sets(lesson_cls.all_params(), given)
        hp = lesson_cls.hyperparameters(values)          # validate before starting a thread
    except HyperparameterError as e:
        return _fail(EXIT_USAGE, str(e))
    if hp["device"] == "cuda":
        if hp["engine"] != "torch":
            return _fail(EXIT_USAGE, f"--device cuda needs the torch engine (--engine torch); the {hp['engine']} "
                                     "engine runs on the CPU")
        from visualizer.core.errors import LessonConfigError
        from visualizer.torch_backend.device import resolve_device
        try:
            resolve_device("cuda")
        except LessonConfigError as e:
            return _fail(EXIT_USAGE, str(e))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.tensorboard:
        from visualizer.core.tensorboard_export import TensorBoardExportError, require_tensorboardx
        try:
            require_tensorboardx()                      # before training, not after it
        except TensorBoardExportError as e:
            return _fail(EXIT_USAGE, str(e))
    if stop.reason is not None:
        return _fail(EXIT_STOPPED, f"{stop.reason} before the lesson was built: nothing to keep")

    threads = apply_threads(choose_threads(args.threads))
    print(f"{lesson_cls.info.id}: {threads.describe()}")
    data = _describe_data(hp)
    if data:
        print(f"{lesson_cls.info.id}: data: {data}")
    session = TrainingSession(lesson_cls, values, snapshots=False)
    session.run_notes.update(threads=threads.threads, blas=list(threads.blas), steps_requested=args.steps)
    code = EXIT_OK
    t0 = time.perf_counter()
    try:
        outcome = _wait(session, deadline, stop)
        if outcome == "done":
            for ev in session.drain_events():
                if ev.kind == "notice":
                    print(f"note: {ev.message}", file=sys.stderr)
                elif ev.kind in ("config_error", "error"):
                    if ev.traceback:
                        print(ev.traceback, file=sys.stderr)
                    return _fail(EXIT_USAGE if ev.kind == "config_error" else EXIT_ERROR, ev.message)
            t0 = time.perf_counter()
            session.step(args.steps)
            outcome = _wait(session, deadline, stop)
        elapsed = time.perf_counter() - t0
        if outcome != "done":
            built = session.lesson is not None
            reason = stop.reason if outcome == "stopped" else f"timed out after {args.timeout:g} s (--timeout)"
            session.stop_training()
            grace = time.monotonic() + STOP_GRACE_S
            if built and _wait(session, grace, _StopRequest()) != "done":
                print(f"note: the step under way did not end within {STOP_GRACE_S:g} s; exporting without it",
                      file=sys.stderr)
            where = f"at step {session.step_count} of {args.steps}" if built else "while building the lesson"
            print(f"stopped {where}: {reason}", file=sys.stderr)
            session.run_notes["stopped"] = {"reason": reason, "step": session.step_count, "built": built}
            code = EXIT_STOPPED
        code = _report_events(session, code)
        rate = session.step_count / elapsed if elapsed > 0 and session.step_count else float("nan")
        print(f"{lesson_cls.info.id}: {session.step_count} steps in {elapsed:.2f} s ({rate:.1f} steps/s), "
              f"engine {session.applied['engine']} on {session.applied['device']}")
        _print_final_metrics(session)
        if (args.export or args.tensorboard) and session.lesson is not None:
            session.snapshot_now(timeout=STOP_GRACE_S if code == EXIT_STOPPED else 30.0)
        if args.tensorboard:
            code = _write_tensorboard(session, args.tensorboard, code)
        if args.export:
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
        session.stop(5.0 if session.lesson is not None else 0.5)    # a build under way cannot be interrupted


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
