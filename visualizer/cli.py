"""Command line: list lessons, open the window, or train headless and export.

    dl-visualizer                         open the window (last lesson)
    dl-visualizer --list                  lesson ids, one per line
    dl-visualizer --lesson ID             open the window on that lesson
    dl-visualizer --lesson ID --headless --steps N [--engine numpy|torch] [--device cpu|cuda]
                  [--set name=value ...] [--export DIR] [--timeout SECONDS] [--threads N]
                  [--run-dir DIR [--checkpoint-every N]] [--tensorboard DIR]

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

``--run-dir DIR`` writes the run as it trains into a run directory (``visualizer.core.rundir``, README "Run
directories"): run.json with a heartbeat, the metrics and events as JSON Lines, the latest plot snapshot and a
timeline of them, and with ``--checkpoint-every N`` a checkpoint every N steps and at the end.  The window
follows such a folder and may ask the run to pause, resume or stop through DIR/control.json, which the run reads
about 4 times a second: a pause keeps the steps still owed, a stop is a stop like Ctrl+C (exit code 5).  Under
torchrun only rank 0 writes it.  A folder another live run writes is refused (exit code 2).

Exit codes: 0 done; 1 the lesson raised an error; 2 bad arguments or settings (or a --run-dir in use); 3 the
run diverged (data so far still exported); 4 export failed; 5 stopped early by --timeout, Ctrl+C, SIGTERM or
the window's control file (data so far still exported).
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
                                       "--timeout, Ctrl+C, SIGTERM or the window's control.json (data so far "
                                       "still exported).")
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
    p.add_argument("--timeout", type=_seconds, default=3600.0, metavar="SECONDS",
                   help="stop a headless run after this many seconds in all, building included, and keep what "
                        "it has (default 3600)")
    p.add_argument("--threads", type=_count(1, "threads"), metavar="N",
                   help="CPU threads for NumPy's BLAS and PyTorch (default: 1, as the window's training process)")
    p.add_argument("--run-dir", metavar="DIR", type=_folder,
                   help="write the headless run as it trains into DIR (metrics, events, snapshots, run.json), "
                        "for the window's File -> Open run / Follow run; DIR/control.json pauses or stops it")
    p.add_argument("--checkpoint-every", type=_count(1, "steps"), metavar="N",
                   help="with --run-dir: save a checkpoint into DIR/checkpoints every N steps and at the end")
    p.add_argument("--tensorboard", metavar="DIR", type=_folder,
                   help="write the headless run as it trains as TensorBoard event files (scalars, images, "
                        "embeddings, weight histograms, hyperparameters) into DIR; needs the 'tensorboard' extra")
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


def _wait(session, deadline: float, stop: _StopRequest, control: "_RunControl | None" = None) -> str:
    """Wait until ``session`` is idle: ``done``, ``timeout`` (past ``deadline``) or ``stopped`` (a signal, or
    the window through control.json).  With ``control``, poll it meanwhile and go on waiting while paused."""
    while not session.is_idle() or (control is not None and control.holding()):
        if control is not None:
            control.poll(session, stop)
        if stop.reason is not None:
            return "stopped"
        if time.monotonic() >= deadline:
            return "timeout"
        time.sleep(0.01)
    return "done"


class _RunControl:
    """The headless loop's side of a run directory: drains the session's events about 10 times a second and
    hands them to the recorder (they are kept for the report at the end), and acts on DIR/control.json: pause
    (the steps still owed are kept), resume, stop (as Ctrl+C)."""

    def __init__(self, recorder, folder: str) -> None:
        from visualizer.core.rundir import CONTROL_POLL_S, ControlPoller

        self.recorder = recorder
        self.poller = ControlPoller(folder)
        self.poll_interval = CONTROL_POLL_S
        self.events: list = []            # drained here, not yet reported
        self.paused = False
        self.target: int | None = None    # the step count the run ends at, once training started
        self._resume = False              # asked to resume; waits until the paused step has ended
        self._next_events = self._next_control = 0.0
        self._paused_s = 0.0
        self._paused_at: float | None = None

    def paused_seconds(self) -> float:
        """Seconds spent paused by the window (not training time)."""
        ongoing = time.perf_counter() - self._paused_at if self._paused_at is not None else 0.0
        return self._paused_s + ongoing

    def drain(self, session) -> list:
        """Every session event since the last call (those drained while polling too), oldest first."""
        new = session.drain_events()
        self.recorder.add_events(new)
        out, self.events = self.events + new, []
        return out

    def holding(self) -> bool:
        """True while a pause asked through control.json keeps the training steps waiting."""
        return self.target is not None and (self.paused or self._resume)

    def train(self, session, steps: int) -> None:
        """Start the run's ``steps`` (or owe them, when paused before training began)."""
        self.target = session.step_count + steps
        if not self.paused:
            session.step(steps)

    def poll(self, session, stop: _StopRequest) -> None:
        now = time.monotonic()
        if now >= self._next_events:
            self._next_events = now + 0.1
            new = session.drain_events()
            if new:
                self.recorder.add_events(new)
                self.events += new
        if self._resume and session.is_idle():         # the step under way at the pause has ended
            self._resume = self.paused = False
            if self._paused_at is not None:
                self._paused_s += time.perf_counter() - self._paused_at
                self._paused_at = None
            owed = self.target - session.step_count
            if owed > 0:
                session.step(owed)
        if now < self._next_control:
            return
        self._next_control = now + self.poll_interval
        cmd = self.poller.poll()
        if cmd is None:
            return
        step = session.step_count
        if cmd.command == "stop":
            message = f"stopped by the window at step {step}"
            stop.reason = stop.reason or "stopped by the window (control.json)"
        elif cmd.command == "pause" and _torchrun() is not None:
            message = ("pause from the window ignored: a run of several processes (torchrun) cannot pause, as the "
                       "others would wait in their next gradient all-reduce; stop it instead")
        elif cmd.command == "pause" and (not self.paused or self._resume):     # (cancels a resume not yet applied)
            message = f"paused by the window at step {step}"
            self.paused, self._resume = True, False
            if self.target is not None:
                session.pause()                    # drops the pending steps; the target keeps them owed
                if self._paused_at is None:
                    self._paused_at = time.perf_counter()
        elif cmd.command == "resume" and self.paused:
            message = f"resumed by the window at step {step}"
            if self.target is None:
                self.paused = False
            else:
                self._resume = True
        else:
            now_state = "paused" if self.paused else "running"
            message = f"{cmd.command} from the window ignored: the run is already {now_state}"
        print(f"note: {message} (control.json seq {cmd.seq})", file=sys.stderr, flush=True)
        self.recorder.event("control", message, step)


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


def _report_events(events, code: int) -> int:
    for ev in events:
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


def run_headless(args: argparse.Namespace) -> int:
    """Train ``args.lesson`` for ``args.steps`` steps without a window; export if asked.  Returns an exit code
    (see the module doc).  A timeout or a signal stops training and keeps what the run has.  Started by torchrun
    (its RANK and WORLD_SIZE are set): one process of a DDP run, see ``visualizer.torch_backend.distributed``."""
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        from visualizer.torch_backend.distributed import run_distributed
        return run_distributed(args, _run_headless_process)
    return _run_headless_process(args)


def _run_headless_process(args: argparse.Namespace) -> int:
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
    if stop.reason is not None:
        return _fail(EXIT_STOPPED, f"{stop.reason} before the lesson was built: nothing to keep")
    try:
        sinks = _run_sinks(args)
    except ValueError as e:                    # RunDirectoryError: another live run writes the folder, ...
        return _fail(EXIT_USAGE, str(e))

    threads = apply_threads(choose_threads(args.threads))
    print(f"{lesson_cls.info.id}: {threads.describe()}")
    data = _describe_data(hp)
    if data:
        print(f"{lesson_cls.info.id}: data: {data}")
    recorder = control = None
    try:
        # a recorded run needs plot snapshots while it trains: at most once a second, within 3% of the time
        session = (TrainingSession(lesson_cls, values, snapshots=True, snapshot_budget=0.03, max_snapshot_hz=1.0)
                   if sinks else TrainingSession(lesson_cls, values, snapshots=False))
        session.run_notes.update(threads=threads.threads, blas=list(threads.blas), steps_requested=args.steps)
        if sinks:
            from visualizer.core.rundir import RunRecorder
            recorder = RunRecorder(session, sinks, steps_requested=args.steps, world_size=_world_size(),
                                   checkpoint_every=args.checkpoint_every)
            recorder.start()
            if args.run_dir:
                control = _RunControl(recorder, args.run_dir)
    finally:
        if recorder is None:
            for sink in sinks:
                getattr(sink, "release", lambda: None)()
    result: dict[str, int] = {}
    code: int | None = None
    try:
        code = _train(args, session, deadline, stop, recorder, control, result)
        return code
    finally:
        session.stop(5.0 if session.lesson is not None else 0.5)    # a build under way cannot be interrupted
        if recorder is not None:
            status = _RUN_STATUS.get(result.get("training", code), "error") if code is not None else "stopped"
            recorder.close(status, code)
            if args.run_dir and os.environ.get("RANK", "0") == "0":
                incomplete = "; incomplete: see the notes above" if recorder.problems else ""
                print(f"run directory {args.run_dir}: status {status}{incomplete}")
            for sink in sinks:
                if hasattr(sink, "describe") and sink in recorder.sinks:     # not disabled by a failure
                    print(sink.describe())


_RUN_STATUS = {EXIT_OK: "done", EXIT_STOPPED: "stopped", EXIT_DIVERGED: "diverged", EXIT_ERROR: "error",
               EXIT_USAGE: "error", EXIT_EXPORT: "done"}


def _world_size() -> int:
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


def _run_sinks(args: argparse.Namespace) -> list:
    """Where the run is recorded while it trains: the run directory (``--run-dir``) and TensorBoard event files
    (``--tensorboard``); only rank 0 under torchrun.  Raises ValueError (RunDirectoryError: a folder that cannot
    be written or is in use; TensorBoardExportError: tensorboardX missing) before anything trains."""
    sinks: list = []
    if os.environ.get("RANK", "0") != "0":
        return sinks
    if args.tensorboard:
        from visualizer.core.tensorboard_export import TensorBoardExportError, TensorBoardWriter
        try:
            sinks.append(TensorBoardWriter(args.tensorboard))
        except TensorBoardExportError as e:
            raise ValueError(str(e)) from None
    if args.run_dir:
        from visualizer.core.rundir import RunDirectoryError, RunDirectoryWriter
        writer = RunDirectoryWriter(args.run_dir)
        try:
            for note in writer.claim():
                print(f"note: {note}", file=sys.stderr)
        except RunDirectoryError as e:
            for sink in sinks:
                sink.close("error", None)
            raise ValueError(str(e)) from None
        sinks.append(writer)
    return sinks


def _torchrun():
    """visualizer.torch_backend.distributed when this process is one of a torchrun job's, else None."""
    ddp = sys.modules.get("visualizer.torch_backend.distributed")
    return ddp if ddp is not None and ddp.group_ready() else None


def _stop_together(ddp, session, outcome: str, reason: str, steps: int) -> tuple[str, str]:
    """Under torchrun: a stop asked here (a signal, --timeout, the window) is sent to every process, which
    all pause after the same step (the next metric flush); a run paused that way elsewhere is stopped here too.
    Returns (outcome, reason)."""
    if outcome in ("stopped", "timeout"):
        ddp.request_stop(reason)
        _wait(session, time.monotonic() + STOP_GRACE_S, _StopRequest())     # paused at the agreed flush
        return "stopped", reason
    agreed = ddp.stop_agreed()
    if agreed is not None and outcome == "done" and session.step_count < steps:
        return "stopped", agreed[1]
    return outcome, reason


def _train(args, session, deadline: float, stop: _StopRequest, recorder, control, result: dict) -> int:
    """Build, train ``args.steps`` steps, report and export; ``result["training"]``: the exit code before the
    export (the run directory's status)."""
    def drain() -> list:
        if control is not None:
            return control.drain(session)
        events = session.drain_events()
        if recorder is not None:
            recorder.add_events(events)
        return events

    lesson_id = session.lesson_cls.info.id
    code = EXIT_OK
    t0 = time.perf_counter()
    outcome = _wait(session, deadline, stop, control)
    if outcome == "done":
        for ev in drain():
            if ev.kind == "notice":
                print(f"note: {ev.message}", file=sys.stderr)
            elif ev.kind in ("config_error", "error"):
                if ev.traceback:
                    print(ev.traceback, file=sys.stderr)
                return _fail(EXIT_USAGE if ev.kind == "config_error" else EXIT_ERROR, ev.message)
        if recorder is not None:
            recorder.attach()                   # the build made a new history
            recorder.refresh_info()
        if _torchrun() is not None:                     # the processes stop together, after the same step
            _torchrun().on_stop_agreed(session.pause_after_step)
        t0 = time.perf_counter()
        if control is not None:
            control.train(session, args.steps)
        else:
            session.step(args.steps)
        outcome = _wait(session, deadline, stop, control)
    reason = stop.reason if outcome == "stopped" else f"timed out after {args.timeout:g} s (--timeout)"
    ddp = _torchrun()
    if ddp is not None:
        outcome, reason = _stop_together(ddp, session, outcome, reason, args.steps)
    elapsed = time.perf_counter() - t0 - (control.paused_seconds() if control is not None else 0.0)
    if outcome != "done":
        built = session.lesson is not None
        session.stop_training()
        grace = time.monotonic() + STOP_GRACE_S
        if built and _wait(session, grace, _StopRequest()) != "done":
            print(f"note: the step under way did not end within {STOP_GRACE_S:g} s; exporting without it",
                  file=sys.stderr)
        where = f"at step {session.step_count} of {args.steps}" if built else "while building the lesson"
        print(f"stopped {where}: {reason}", file=sys.stderr)
        reason = f"stopped {where}: {reason}"
        session.run_notes["stopped"] = {"reason": reason, "step": session.step_count, "built": built}
        code = EXIT_STOPPED
    code = _report_events(drain(), code)
    rate = session.step_count / elapsed if elapsed > 0 and session.step_count else float("nan")
    print(f"{lesson_id}: {session.step_count} steps in {elapsed:.2f} s ({rate:.1f} steps/s), "
          f"engine {session.applied['engine']} on {session.applied['device']}")
    _print_final_metrics(session)
    if (args.export or recorder is not None) and session.lesson is not None:
        session.snapshot_now(timeout=STOP_GRACE_S if code == EXIT_STOPPED else 30.0)
    if recorder is not None:
        recorder.final_checkpoint()
        if code == EXIT_OK:
            recorder.event("done", f"done: {session.step_count} steps in {elapsed:.2f} s")
        elif code == EXIT_STOPPED:
            recorder.event("stopped", reason)
        recorder.refresh_info()
    result["training"] = code
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
        if args.checkpoint_every and not args.run_dir:
            return _fail(EXIT_USAGE, "--checkpoint-every needs --run-dir DIR (the checkpoints go into DIR/checkpoints)")
        return run_headless(args)
    if args.run_dir or args.checkpoint_every:
        return _fail(EXIT_USAGE, "--run-dir and --checkpoint-every are for --headless runs")
    if args.lesson:
        from visualizer.core import registry
        known = registry.infos()                   # the window imports the lesson when it opens it
        if args.lesson not in known:
            return _fail(EXIT_USAGE, f"no lesson called {args.lesson!r}; known lessons: {', '.join(known) or '(none)'}")
    from visualizer.ui.app import run_gui
    return run_gui(args.lesson)


if __name__ == "__main__":
    sys.exit(main())
