"""Training in a child process: the controls of :class:`TrainingSession`, without sharing a GIL.

Why a process: in one CPython process the GUI's painting and the worker's training take turns on
one interpreter lock.  On this project's 2-core reference machine, ``benchmarks/bench_gui.py``
measured the digits MLP at 0.28x its headless speed with every plot live in a worker *thread*
(and the event loop's p99 latency at 100 ms), although a core sat idle.  A process gets its own
interpreter lock and its own core.

Layout.  The child (started with ``spawn``, so it is safe with CUDA and with the GUI's threads)
runs an ordinary :class:`TrainingSession` (its worker thread, flags, divergence checks, snapshot
budget) and a small loop on its main thread that applies commands from the pipe and, at most
``update_hz`` times a second, sends back what changed: step count, state, the points appended to
the metric history since the last update (:meth:`MetricHistory.delta`: O(new points)), a new
snapshot, events and acknowledgements.  In this process a reader thread applies the updates to
mirrors, so the GUI reads ``history``, ``latest_snapshot()``, ``step_count`` ... exactly as from
a TrainingSession, and never waits on the child.

The child's death (a crash, an out-of-memory kill) is an ``error`` event; the data received so far
stays here and exportable, and :meth:`ProcessSession.reset` starts a new child.  Lesson classes and
``call`` functions must be importable by module and name (pickled by reference).  Qt-free.
"""
from __future__ import annotations

import itertools
import signal
import multiprocessing as mp
import multiprocessing.connection
import threading
import time
import traceback
from collections import deque
from typing import Any, Callable, Mapping

from visualizer.core.history import MetricHistory
from visualizer.core.lesson import Lesson
from visualizer.core.session import RunState, SessionEvent, SessionReadout, Snapshot, TrainingSession, check_run_limit
from visualizer.core.threads import apply_threads, choose_threads

UPDATE_HZ = 30.0


class ProcessSession(SessionReadout):
    """A :class:`TrainingSession` in a child process, driven and mirrored from this one.

    lesson_cls: a Lesson subclass importable by the child; values: initial hyperparameters
    (validated here: HyperparameterError if invalid); snapshot_budget, max_snapshot_hz,
    history_capacity: as for TrainingSession; threads: BLAS and PyTorch CPU threads of the child
    (None: :func:`visualizer.core.threads.choose_threads`'s choice, 1, which leaves the other cores
    to the GUI; ValueError if not in [1, MAX_THREADS]); update_hz: how often the child sends what
    changed.

    Every control returns at once.  Reads (``history``, ``latest_snapshot()``, ``step_count``,
    ``state``, ``applied``) return the latest mirrored values, at most ``1 / update_hz`` s old.
    """

    def __init__(self, lesson_cls: type[Lesson], values: Mapping[str, Any] | None = None, *,
                 snapshot_budget: float = 0.1, max_snapshot_hz: float = 20.0, history_capacity: int = 4096,
                 threads: int | None = None, update_hz: float = UPDATE_HZ) -> None:
        self.lesson_cls = lesson_cls
        self.hp = lesson_cls.hyperparameters(values)
        self.applied = self.hp.copy()
        self.history = MetricHistory(history_capacity)
        self.step_count = 0
        self.state = "building"
        self.initial_hyperparameters: dict[str, Any] = {}
        self._steps_per_epoch = 1
        self._options = {"snapshot_budget": snapshot_budget, "max_snapshot_hz": max_snapshot_hz,
                         "history_capacity": history_capacity, "threads": choose_threads(threads),
                         "update_hz": update_hz}
        self.run_notes: dict[str, Any] = {"threads": self._options["threads"]}
        self._events: deque[SessionEvent] = deque(maxlen=500)
        self._snapshot = Snapshot(0, 0)
        self._running = False
        self._sps = 0.0
        self._max_sps: float | None = None
        self._limit: tuple[int | None, str] = (None, "steps")
        self.run_state = RunState()
        self._send_lock = threading.Lock()
        self._sent = 0
        self._acked = 0
        self._idle = False
        self._stopping = False
        self._callbacks: dict[int, Callable[[str | None], None]] = {}
        self._requests = itertools.count(1)
        # Popen.poll() reaps the child; two threads polling at once can leave one with "still
        # running" for a child that has ended.  Every poll/join goes through this lock.
        self._process_lock = threading.Lock()
        self._start_child()

    # ---- the child --------------------------------------------------------------------------------
    def _start_child(self) -> None:
        ctx = mp.get_context("spawn")
        conn, child_conn = ctx.Pipe(duplex=True)
        self._conn = conn
        self._sent = self._acked = 0
        self._idle = False
        self._process = ctx.Process(target=_child_main, name=f"train-{self.lesson_cls.info.id}", daemon=True,
                                    args=(child_conn, self.lesson_cls, self.hp.as_dict(), self._options))
        self._process.start()
        child_conn.close()
        self._reader = threading.Thread(target=self._read, args=(conn, self._process),
                                        name=f"train-{self.lesson_cls.info.id}-reader", daemon=True)
        self._reader.start()
        if self._max_sps:
            self._send("max_sps", self._max_sps)
        if self._limit[0] is not None:
            self._send("limit", *self._limit)

    def _send(self, op: str, *args: Any) -> None:
        with self._send_lock:
            if not self.alive:
                return
            self._sent += 1
            try:
                self._conn.send((self._sent, op, args))
            except (OSError, ValueError):        # the child is gone; the reader reports it
                pass

    def _read(self, conn, process) -> None:
        while True:
            try:
                update = conn.recv()
            except (EOFError, OSError):
                break
            except Exception as e:        # an update that does not unpickle: report, keep reading
                self._events.append(SessionEvent("error", f"A training update could not be read: {e}",
                                                 self.step_count, traceback.format_exc()))
                continue
            self._apply(update)
        conn.close()
        mp.connection.wait([process.sentinel], 1.0)         # ended (or ending): no reaping here
        if not self._stopping and process is self._process:
            self._running = False
            self.state = "error"
            self.run_state = RunState(False, self.run_state.limit, self.run_state.start, self.run_state.stop,
                                      self.run_state.tag)
            self._events.append(SessionEvent("state", "stopped", self.step_count, run=self.run_state))
            self._events.append(SessionEvent(
                "error", f"The training process ended unexpectedly at step {self.step_count} "
                         f"({describe_exit(self._exitcode(process))}). The data so far is kept; Reset starts a new "
                         "one.", self.step_count))

    def _apply(self, u: dict) -> None:
        if u.get("applied") is not None:
            self.applied = self.lesson_cls.hyperparameters(u["applied"])
        if u.get("initial") is not None:
            self.initial_hyperparameters = u["initial"]
        if u["history"] is not None:
            if u["new_run"]:                     # a new run (a reset): a new mirror, so views start over
                history = MetricHistory(self._options["history_capacity"])
                history.apply_delta(u["history"])
                self.history = history
            else:
                self.history.apply_delta(u["history"])
        if u.get("snapshot") is not None:
            self._snapshot = u["snapshot"]
        self._steps_per_epoch = u["steps_per_epoch"]
        self.step_count = u["step"]
        self._sps = u["sps"]
        if u["ack"] == self._sent:          # the child has seen every command: its play/pause state is current
            self._running = u["running"]
            self.state = u["state"]
        self._events.extend(u["events"])
        for event in u["events"]:
            if event.kind == "state" and event.run is not None:
                self.run_state = event.run
            if event.kind in ("param_rejected", "param_synced") and event.param is not None:
                self.hp.set(*event.param)          # the lesson kept the old value or set a new one: so does this mirror
        for request, error in u["done"]:
            callback = self._callbacks.pop(request, None)
            if callback is not None:
                callback(error)
        self._idle = u["idle"]
        self._acked = u["ack"]

    # ---- control (any thread; returns at once) ----------------------------------------------------
    def play(self) -> None:
        """Train continuously until paused."""
        self._running = True
        self._send("play")

    def pause(self) -> None:
        """Stop after the current step; steps still pending from :meth:`step` are dropped."""
        self._running = False
        self._send("pause")

    def set_run_limit(self, amount: int | None, unit: str = "steps") -> None:
        """As :meth:`TrainingSession.set_run_limit` (ValueError for a bad unit or amount); a new training
        process after a crash gets it too."""
        self._limit = check_run_limit(amount, unit)
        self._send("limit", *self._limit)

    def play_until(self, stop: int, tag: str = "", relative: bool = False) -> None:
        """As :meth:`TrainingSession.play_until` (ValueError for a stop below 0)."""
        if int(stop) < 0:
            raise ValueError(f"stop must be at least 0, not {stop!r}")
        self._send("play_until", int(stop), tag, bool(relative))

    def step(self, n: int = 1) -> None:
        """Run ``n`` more steps (then pause)."""
        self._send("step", int(n))

    def step_epoch(self) -> None:
        """Run the steps of one epoch."""
        self._send("step_epoch")

    def reset(self) -> None:
        """Rebuild the lesson with the current hyperparameters; after the child died, start a new one."""
        self._running = False
        if not self.alive:
            self.state = "building"
            self._start_child()
            return
        self._send("reset", self.hp.as_dict())

    def set_param(self, name: str, value: Any, apply_now: bool = True) -> bool:
        """As :meth:`TrainingSession.set_param`: validated here (HyperparameterError, nothing changes),
        applied in the child (``apply_now=False``: sent with the next reset only).  Returns True if a
        reset is needed for it to take effect."""
        spec = self.hp.spec(name)
        v = self.hp.set(name, value)
        if apply_now or not spec.live:
            self._send("set", name, v)
        return False if spec.live else self.needs_reset()

    @property
    def max_steps_per_second(self) -> float | None:
        return self._max_sps

    @max_steps_per_second.setter
    def max_steps_per_second(self, limit: float | None) -> None:
        self._max_sps = limit
        self._send("max_sps", limit)

    def call(self, fn: Callable[[Lesson], Any]) -> None:
        """Run ``fn(lesson)`` in the child between steps; ``fn`` must pickle (a module-level function)."""
        self._send("call", fn)

    def request_snapshot(self) -> None:
        """Ask for a fresh snapshot even while paused."""
        self._send("snapshot")

    def save_checkpoint(self, path, on_done: Callable[[str | None], None] | None = None) -> None:
        """Save the weights to ``path`` (in the child); ``on_done(error)`` runs on the reader thread."""
        self._checkpoint("save", path, on_done)

    def load_checkpoint(self, path, on_done: Callable[[str | None], None] | None = None) -> None:
        """Load weights saved by :meth:`save_checkpoint`; a bad file is reported, the model is kept."""
        self._checkpoint("load", path, on_done)

    def load_snapshot(self, path, on_done: Callable[[str | None], None] | None = None) -> None:
        """As :meth:`TrainingSession.load_snapshot`, in the child."""
        self._checkpoint("load_snapshot", path, on_done)

    def export_tensorboard(self, logdir, on_done: Callable[[str | None], None] | None = None) -> None:
        """As :meth:`TrainingSession.export_tensorboard`, in the child (where the weights are)."""
        self._checkpoint("tensorboard", logdir, on_done)

    def export_model(self, path, exporter: Callable[[Lesson, str], str],
                     on_done: Callable[[str | None], None] | None = None) -> None:
        """As :meth:`TrainingSession.export_model`, in the child; ``exporter`` is pickled by reference."""
        self._checkpoint("export_model", path, on_done, exporter)

    def _checkpoint(self, op: str, path, on_done, *extra: Any) -> None:
        request = next(self._requests)
        if on_done is not None:
            self._callbacks[request] = on_done
        self._send(op, str(path), request, *extra)

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the child and wait up to ``timeout`` s; a child that has not ended by then is
        terminated (nothing is lost: the data lives here).  True if it ended in time."""
        self._stopping = True
        self._send("stop")
        with self._process_lock:
            self._process.join(timeout)
            ended = not self._process.is_alive()
            if not ended:
                self._process.terminate()
                self._process.join(1.0)
        self._reader.join(0.5)                 # it ends at the pipe's end of file
        self._running = False
        self.state = "stopped"
        return ended

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until the child has applied every command and is idle (CLI and tests, never the GUI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._acked == self._sent and self._idle or not self.alive:
                return self.alive
            time.sleep(0.005)
        return False

    def snapshot_now(self, timeout: float = 30.0) -> Snapshot:
        """Ask the child for a snapshot and wait for it (CLI and tests only)."""
        version = self._snapshot.version
        self._send("snapshot")
        deadline = time.monotonic() + timeout
        while self._snapshot.version == version and time.monotonic() < deadline and self.alive:
            time.sleep(0.005)
        return self._snapshot

    # ---- reading (any thread) ---------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return self._steps_per_epoch

    @property
    def alive(self) -> bool:
        with self._process_lock:
            return self._process.is_alive()

    def _exitcode(self, process, wait: float = 0.5) -> int | None:
        """The ended process's exit code; None if it is not reaped within ``wait`` seconds (its pipe closes a
        moment before the kernel reports the exit status, so the first look often finds none)."""
        deadline = time.monotonic() + wait
        while True:
            with self._process_lock:
                code = process.exitcode
            if code is not None or time.monotonic() >= deadline:
                return code
            time.sleep(0.01)

    @property
    def running(self) -> bool:
        return self._running

    def steps_per_second(self) -> float:
        return self._sps


def describe_exit(code: int | None) -> str:
    """How a child process ended, in words: ``code`` is ``multiprocessing.Process.exitcode`` (None while it
    is not yet reaped, -N when signal N ended it)."""
    if code is None:
        return "it was killed or crashed"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = {"SIGKILL": ", as the system does when memory runs out", "SIGSEGV": ", a crash in native code"}
        return f"killed by {name}{why.get(name, '')}"
    return f"exit code {code}"


def _child_main(conn, lesson_cls: type[Lesson], values: dict, options: dict) -> None:
    """The child's main thread: a TrainingSession plus the command/update loop (see the module doc)."""
    apply_threads(options["threads"])          # the same choice as a headless run (visualizer/core/threads.py)
    session = TrainingSession(lesson_cls, values, snapshot_budget=options["snapshot_budget"],
                              max_snapshot_hz=options["max_snapshot_hz"],
                              history_capacity=options["history_capacity"])
    interval = 1.0 / options["update_hz"]
    done: list[tuple[int, str | None]] = []
    sent: dict[str, Any] = {"ack": -1, "idle": None, "step": -1, "state": None, "history": None,
                            "history_version": -1, "snapshot": 0, "applied": None, "initial": None}
    last_update = 0.0
    ack = 0
    stopping = False
    while not stopping:
        wait = max(0.0, interval - (time.perf_counter() - last_update))
        try:
            while conn.poll(wait):
                ack, op, args = conn.recv()
                stopping = _apply_command(session, op, args, done)
                wait = 0.0
                if stopping:
                    break
        except (EOFError, OSError):          # the parent is gone
            break
        if time.perf_counter() - last_update < interval and not stopping:
            continue
        last_update = time.perf_counter()
        update = _changes(session, sent, ack, done)
        if update is not None and not _send_update(conn, update, session, sent):
            break
    session.stop(0.5)
    conn.close()


def _send_update(conn, update: dict, session: TrainingSession, sent: dict) -> bool:
    """Send ``update``; False when the pipe is closed (the parent is gone).  A snapshot that cannot
    be pickled (a lesson bug) is dropped with one error event per run; the rest still goes."""
    try:
        conn.send(update)                        # pickled whole before anything is written
        return True
    except (OSError, ValueError):
        return False
    except Exception as e:
        if update["snapshot"] is None:
            raise
        if sent.get("unsendable_run") is not session.history:        # once per run
            sent["unsendable_run"] = session.history
            session._emit("error", f"The training process could not send the plots to the window: "
                                   f"{type(e).__name__}: {e}", traceback.format_exc())
        update["snapshot"] = None
        return _send_update(conn, update, session, sent)


def _apply_command(session: TrainingSession, op: str, args: tuple, done: list) -> bool:
    """Apply one command from the parent; True for ``stop``."""
    if op == "stop":
        return True
    try:
        if op == "play":
            session.play()
        elif op == "pause":
            session.pause()
        elif op == "step":
            session.step(args[0])
        elif op == "step_epoch":
            session.step_epoch()
        elif op == "reset":
            for name, value in args[0].items():
                if session.hp[name] != value:
                    session.set_param(name, value, apply_now=False)     # the rebuilt lesson gets them
            session.reset()
        elif op == "set":
            session.set_param(*args)
        elif op == "limit":
            session.set_run_limit(*args)
        elif op == "play_until":
            session.play_until(*args)
        elif op == "max_sps":
            session.max_steps_per_second = args[0]
        elif op == "call":
            session.call(args[0])
        elif op == "snapshot":
            session.request_snapshot()
        elif op in ("save", "load", "load_snapshot", "tensorboard"):
            path, request = args
            method = {"save": session.save_checkpoint, "load": session.load_checkpoint,
                      "load_snapshot": session.load_snapshot, "tensorboard": session.export_tensorboard}[op]
            method(path, lambda error, request=request: done.append((request, error)))
        elif op == "export_model":
            path, request, exporter = args
            session.export_model(path, exporter, lambda error, request=request: done.append((request, error)))
        else:
            raise ValueError(f"unknown command {op!r}")
    except Exception as e:
        session._emit("error", f"The command {op!r} failed: {type(e).__name__}: {e}", traceback.format_exc())
    return False


def _changes(session: TrainingSession, sent: dict, ack: int, done: list) -> dict | None:
    """The update to send: what changed since the last one (None when nothing did)."""
    events = session.drain_events()
    idle = session.is_idle()
    history = session.history
    snapshot = session.latest_snapshot()
    applied = session.applied.as_dict()
    new_run = history is not sent["history"]
    if new_run:
        sent["cursor"] = {}
    new_history = new_run or history.version != sent["history_version"]
    new_snapshot = snapshot.version != sent["snapshot"]
    new_applied = applied != sent["applied"]
    new_initial = session.initial_hyperparameters != sent["initial"]
    finished = list(done)
    if not (events or finished or new_history or new_snapshot or new_applied or new_initial
            or ack != sent["ack"] or idle != sent["idle"] or session.step_count != sent["step"]
            or session.state != sent["state"]):
        return None
    del done[:len(finished)]
    update = {
        "ack": ack, "idle": idle, "step": session.step_count, "state": session.state,
        "running": session.running, "sps": session.steps_per_second(),
        "steps_per_epoch": session.steps_per_epoch, "events": events, "done": finished,
        "history": None, "new_run": new_run,
        "snapshot": snapshot if new_snapshot else None,
        "applied": applied if new_applied else None,
        "initial": dict(session.initial_hyperparameters) if new_initial else None,
    }
    if new_history:                              # only the points appended since the last update
        update["history"], sent["cursor"] = history.delta(sent["cursor"])
        sent["history_version"] = update["history"]["version"]     # as of the delta, not later
    sent.update(ack=ack, idle=idle, step=session.step_count, state=session.state, history=history,
                snapshot=snapshot.version, applied=applied, initial=dict(session.initial_hyperparameters))
    return update

