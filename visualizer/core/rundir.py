"""Run directories: a headless run written to a plain folder that the window (or anyone) can open or follow.

Schema version 1 (README "Run directories" documents every field)::

    DIR/run.json                  the run: lesson, status, writer, heartbeat, config; rewritten atomically
    DIR/metrics.jsonl             one JSON object per history append: {"step", "t", "metrics"}
    DIR/events.jsonl              notices, divergence, errors, control, the end: {"t", "step", "kind", "message"}
    DIR/snapshots/latest.npz      the latest plot snapshot (visualizer.core.plot_archive), atomic
    DIR/snapshots/step_%09d.npz   the timeline: a copy every ``timeline_interval`` s, at most 200 kept
    DIR/checkpoints/step_%09d.npz visualizer.core.checkpoint files every ``--checkpoint-every`` steps
    DIR/control.json              written only by the window: {"seq", "command": pause|resume|stop, "t"}
    DIR/writer.lock               the writer's pid, host, token and start; one writer per folder

:class:`RunRecorder` taps a :class:`~visualizer.core.session.TrainingSession` without changing how it trains
(a listener on its metric history, the events the CLI drains, the latest snapshot) and feeds :class:`RunSink`
objects from one background thread; :class:`RunDirectoryWriter` is the sink that writes the folder above.
:func:`read_control` and :class:`ControlPoller` read the control file; :mod:`visualizer.core.run_follow` reads
the rest (a finished run or one being written).  Qt-free
and torch-free.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

SCHEMA_VERSION = 1
FORMAT = "dlvis-run"
RUN_JSON = "run.json"
METRICS_LOG = "metrics.jsonl"
EVENTS_LOG = "events.jsonl"
SNAPSHOTS = "snapshots"
LATEST_SNAPSHOT = "latest.npz"              # in SNAPSHOTS
STEP_FILE = "step_%09d.npz"                 # timeline snapshots (in SNAPSHOTS) and checkpoints (in CHECKPOINTS)
CHECKPOINTS = "checkpoints"
CONTROL = "control.json"
LOCK = "writer.lock"

STATUSES = ("running", "done", "stopped", "diverged", "error")
COMMANDS = ("pause", "resume", "stop")
SKIPPED_EVENT_KINDS = frozenset({"progress", "state", "notice_cleared"})   # not written to events.jsonl

HEARTBEAT_S = 1.0            # run.json is rewritten at least this often while running (the format asks <= 2 s)
STALE_AFTER_S = 60.0         # a lock whose run's heartbeat is older than this is stale and may be taken over
SINK_INTERVAL_S = 0.25       # the recorder calls its sinks at most this often
SNAPSHOT_INTERVAL_S = 1.0    # ... and hands them a snapshot at most this often
CONTROL_POLL_S = 0.25        # the CLI reads control.json about this often
TIMELINE_INTERVAL_S = 5.0
TIMELINE_MAX = 200


class RunDirectoryError(Exception):
    """A folder that cannot hold this run: another live run writes it, it is a file, or it cannot be written.
    The message names the folder and says what to do; nothing in the folder was changed."""


# ---- sinks ----------------------------------------------------------------------------------------------------
class RunSink:
    """Something a :class:`RunRecorder` feeds: the run directory, a TensorBoard writer.  Every method is called
    from the recorder's one background thread (never the training thread), in this order: ``open`` once, then
    ``metrics``/``events``/``snapshot``/``checkpoint``/``update``/``tick`` as data arrives, ``close`` once.  An
    OSError (a full disk) or any other exception disables the sink with one note; training goes on.  Every
    method is a no-op here.  ``wants_final_state``: hand this sink the model's state at the end of the run even
    when no checkpoints were asked for (a TensorBoard writer's weight histograms); other sinks get checkpoints
    only at the asked interval."""

    name = "sink"
    wants_final_state = False

    def open(self, session_info: dict) -> None:
        """The run starts.  ``session_info``: {"lesson": id, "config": the session's run_record() (lesson,
        engine, seed, data, hyperparameters, ...), "hyperparameters": name -> value, "started": unix time,
        "steps_requested": int, "world_size": int}."""

    def metrics(self, rows: list[tuple[int, float, dict[str, float]]]) -> None:
        """History appends in order: (step, t = seconds since start, metric name -> value)."""

    def events(self, events: list[dict]) -> None:
        """Events in order: {"t": s since start, "step": int, "kind": str, "message": str}."""

    def snapshot(self, step: int, t: float, plots: dict) -> None:
        """The latest plot snapshot (plot id -> PlotData) at ``step``; intermediate ones are skipped."""

    def checkpoint(self, step: int, state: dict) -> None:
        """The model's state (name -> NumPy array, copies) after ``step``."""

    def update(self, session_info: dict) -> None:
        """The run record changed (after the build, at the end: final metrics, steps): as ``open``'s."""

    def tick(self) -> None:
        """Called on every round of the recorder (about 4 times a second), data or not."""

    def close(self, status: str, exit_code: int | None) -> None:
        """The run ended with ``status`` (one of STATUSES) and the CLI's ``exit_code`` (None: unknown)."""


def _host() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return "unknown host"


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _json_value(x: Any) -> Any:
    """``x`` as plain JSON: NumPy scalars as numbers, non-finite floats as None, tuples as lists, paths as
    text; anything else as its ``str``."""
    if isinstance(x, Mapping):
        return {str(k): _json_value(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_value(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):     # NumPy scalars and arrays
        return _json_value(x.tolist())
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if x is None or isinstance(x, (str, int, bool)):
        return x
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    return str(x)


def _number(v: Any) -> str:
    """A number as JSON text: repr of the float (as json.dumps writes it), "null" if it is not finite."""
    v = v if type(v) is float else float(v)
    return repr(v) if v - v == 0 else "null"           # inf - inf and nan - nan are nan


def write_json_atomic(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` through a temporary file beside it and ``os.replace``: a reader sees
    the old file or the new one, never part of one.  Raises OSError (the temporary file is removed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1, allow_nan=False)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None if it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class RunDirectoryWriter(RunSink):
    """Writes one run into ``path`` in the schema-1 format (see the module doc and README).

    Call :meth:`claim` first (it creates the folder and ``writer.lock``, or raises RunDirectoryError), then use
    it as a sink.  ``timeline_interval``: seconds between timeline snapshots (default 5); ``timeline_max``: the
    most kept (default 200; when over, every other one of the older half is deleted).  Methods raise OSError
    (full disk, folder gone) for the recorder to report."""

    name = "run directory"

    def __init__(self, path: Path | str, *, timeline_interval: float = TIMELINE_INTERVAL_S,
                 timeline_max: int = TIMELINE_MAX) -> None:
        if timeline_max < 2:
            raise ValueError(f"timeline_max must be at least 2, not {timeline_max}")
        self.path = Path(path)
        self.timeline_interval = float(timeline_interval)
        self.timeline_max = int(timeline_max)
        self.token = secrets.token_hex(8)
        self.started = time.time()
        self.notes: list[str] = []
        self._claimed = False
        self._record: dict[str, Any] = {}
        self._metrics_f = None
        self._events_f = None
        self._last_heartbeat = 0.0
        self._timeline: list[int] = []
        self._last_timeline_t: float | None = None
        self._skipped_reported: set[str] = set()
        self._templates: dict[tuple, str] = {}
        self._closed = False

    # ---- the folder and its lock ------------------------------------------------------------------------
    def claim(self) -> list[str]:
        """Create the folder if missing and take ``writer.lock``.  Returns notes for the user (a stale lock
        taken over, an earlier run replaced).  Raises RunDirectoryError if the path is a file, cannot be
        written, or another live run writes it."""
        if self._claimed:
            return []
        p = self.path
        if p.exists() and not p.is_dir():
            raise RunDirectoryError(f"{p} is a file, not a folder: give --run-dir a folder (it is created if "
                                    "missing)")
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RunDirectoryError(f"cannot create the run directory {p}: {e.strerror or e}; choose another "
                                    "folder") from None
        notes: list[str] = []
        lock = p / LOCK
        info = {"pid": os.getpid(), "host": _host(), "token": self.token, "started": self.started}
        for attempt in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if attempt:
                    raise RunDirectoryError(f"{p} was claimed by another run at the same moment; use another "
                                            "folder") from None
                notes.append(self._check_stale_lock(lock))
                try:
                    lock.unlink()
                except FileNotFoundError:
                    pass
                except OSError as e:
                    raise RunDirectoryError(f"cannot remove the stale lock {lock}: {e.strerror or e}") from None
                continue
            except OSError as e:
                raise RunDirectoryError(f"cannot write into the run directory {p}: {e.strerror or e} (it is "
                                        "read-only, full or belongs to another user); choose another folder") \
                    from None
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(info, f)
            except OSError as e:
                lock.unlink(missing_ok=True)
                raise RunDirectoryError(f"cannot write into the run directory {p}: {e.strerror or e}; choose "
                                        "another folder") from None
            break
        self._claimed = True
        earlier = _read_json(p / RUN_JSON)
        if isinstance(earlier, dict):
            notes.append(f"{p} held an earlier run (lesson {earlier.get('lesson')!r}, status "
                         f"{earlier.get('status')!r}); its files are replaced by this run's")
        return notes

    def _check_stale_lock(self, lock: Path) -> str:
        """A note if the existing lock is stale (its run ended, or its heartbeat is older than STALE_AFTER_S);
        raises RunDirectoryError if its run is alive."""
        held = _read_json(lock)
        held = held if isinstance(held, dict) else {}
        run = _read_json(self.path / RUN_JSON)
        run = run if isinstance(run, dict) else {}
        same_run = isinstance(run.get("writer"), dict) and run["writer"].get("token") == held.get("token")
        now = time.time()
        if same_run and run.get("status") != "running":
            return f"took over {lock.name}: its run ended (status {run.get('status')!r}) without removing it"
        try:
            beat = float(run["heartbeat"]) if same_run else lock.stat().st_mtime
        except (KeyError, TypeError, ValueError, OSError):
            beat = now
        if now - beat > STALE_AFTER_S:
            return (f"took over the stale lock of pid {held.get('pid', '?')} on {held.get('host', '?')}: no sign "
                    f"of life for {now - beat:.0f} s")
        since = held.get("started")
        since = _when(since) if isinstance(since, (int, float)) else "an unknown time"
        raise RunDirectoryError(
            f"{self.path} is being written by pid {held.get('pid', '?')} on host {held.get('host', '?')} since "
            f"{since}; use another folder (if that run is gone, the folder is free {STALE_AFTER_S:.0f} s after "
            f"its last heartbeat, {_when(beat)})")

    def _release_lock(self) -> None:
        lock = self.path / LOCK
        held = _read_json(lock)
        if isinstance(held, dict) and held.get("token") == self.token:
            lock.unlink(missing_ok=True)

    def release(self) -> None:
        """Give the folder up without writing a run (the run never started): remove our lock."""
        if self._claimed and not self._closed:
            self._closed = True
            self._release_lock()

    # ---- the sink ---------------------------------------------------------------------------------------
    def open(self, session_info: dict) -> None:
        self.claim()
        p = self.path
        for sub in (SNAPSHOTS, CHECKPOINTS):
            (p / sub).mkdir(exist_ok=True)
            for old in (p / sub).glob("step_*.npz"):
                old.unlink(missing_ok=True)
        (p / SNAPSHOTS / LATEST_SNAPSHOT).unlink(missing_ok=True)
        self.started = float(session_info.get("started", self.started))
        self._record = {
            "schema": SCHEMA_VERSION, "format": FORMAT, "lesson": session_info.get("lesson"), "status": "running",
            "writer": {"pid": os.getpid(), "host": _host(), "started": self.started, "token": self.token},
            "heartbeat": time.time(), "world_size": int(session_info.get("world_size", 1)),
            "steps_requested": int(session_info.get("steps_requested", 0)),
            "config": _json_value(session_info.get("config", {})), "ended": None, "exit_code": None}
        self._metrics_f = open(p / METRICS_LOG, "wb")
        self._events_f = open(p / EVENTS_LOG, "wb")
        self._write_run_json()

    def _write_run_json(self) -> None:
        self._record["heartbeat"] = time.time()
        write_json_atomic(self.path / RUN_JSON, self._record)
        self._last_heartbeat = time.monotonic()

    @staticmethod
    def _write_lines(f, lines: Iterable[str]) -> None:
        f.write("".join(lines).encode("utf-8"))       # one write of whole lines, then flushed
        f.flush()

    def metrics(self, rows: list[tuple[int, float, dict[str, float]]]) -> None:
        # what json.dumps writes, through one cached template per set of metric names (2-3x faster: a fast
        # lesson appends thousands of rows a second, and this thread shares the interpreter with training)
        out = []
        for step, t, m in rows:
            template = self._templates.get(tuple(m))
            if template is None:
                fields = ", ".join(json.dumps(str(k)).replace("%", "%%") + ": %s" for k in m)
                template = self._templates[tuple(m)] = '{"step": %d, "t": %s, "metrics": {' + fields + "}}\n"
            out.append(template % (step, _number(round(t, 4)), *[_number(v) for v in m.values()]))
        self._write_lines(self._metrics_f, out)

    def events(self, events: list[dict]) -> None:
        self._write_lines(self._events_f, (
            json.dumps({"t": round(float(e["t"]), 4), "step": int(e["step"]), "kind": str(e["kind"]),
                        "message": str(e["message"])}) + "\n" for e in events))

    def snapshot(self, step: int, t: float, plots: dict) -> None:
        from visualizer.core.plot_archive import save_plots

        folder = self.path / SNAPSHOTS
        latest = folder / LATEST_SNAPSHOT
        skipped = save_plots(latest, step, plots, {"t": round(float(t), 4)})
        new = sorted(set(skipped) - self._skipped_reported)
        if new:
            self._skipped_reported.update(new)
            self.notes.append(f"plots not kept in snapshots (types the snapshot format does not hold): "
                              f"{', '.join(new)}")
        if self._last_timeline_t is not None and t - self._last_timeline_t < self.timeline_interval:
            return
        self._last_timeline_t = t
        target = folder / (STEP_FILE % int(step))
        tmp = folder / f".{target.name}.{os.getpid()}.tmp"
        try:
            shutil.copyfile(latest, tmp)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if int(step) not in self._timeline:
            self._timeline.append(int(step))
        self._thin_timeline()

    def _thin_timeline(self) -> None:
        """Over ``timeline_max`` files: delete every other one of the older half (the first is kept)."""
        if len(self._timeline) <= self.timeline_max:
            return
        steps = sorted(self._timeline)
        half = len(steps) // 2
        drop = set(steps[1:half:2])
        for s in drop:
            (self.path / SNAPSHOTS / (STEP_FILE % s)).unlink(missing_ok=True)
        self._timeline = [s for s in steps if s not in drop]

    def checkpoint(self, step: int, state: dict) -> None:
        from visualizer.core.checkpoint import save_checkpoint

        save_checkpoint(self.path / CHECKPOINTS / (STEP_FILE % int(step)), str(self._record.get("lesson")),
                        state, {"step": int(step), "run_token": self.token})

    def update(self, session_info: dict) -> None:
        if "config" in session_info:
            self._record["config"] = _json_value(session_info["config"])
        self._write_run_json()

    def tick(self) -> None:
        if self._record and time.monotonic() - self._last_heartbeat >= HEARTBEAT_S:
            self._write_run_json()

    def close(self, status: str, exit_code: int | None) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            for f in (self._metrics_f, self._events_f):
                if f is not None:
                    f.close()
            if self._record:
                self._record.update(status=status if status in STATUSES else "error", ended=time.time(),
                                    exit_code=exit_code)
                self._write_run_json()
        finally:
            self._release_lock()


# ---- the control file -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ControlCommand:
    """A command from control.json: ``seq`` (increasing), ``command`` (pause, resume or stop), ``t`` (unix
    time the window wrote it)."""

    seq: int
    command: str
    t: float


def read_control(folder: Path | str, last_seq: int) -> tuple[ControlCommand | None, str | None]:
    """Read ``folder``/control.json: (a command with a ``seq`` above ``last_seq`` or None, a problem or None).

    A missing file is no command and no problem; a half-written, garbage or unknown command gives None and a
    sentence naming the problem (the caller reports it once and goes on).  Never raises for the file's
    content; OSError other than a missing file becomes a problem too."""
    path = Path(folder) / CONTROL
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot read {path}: {e}; ignored"
    try:
        data = json.loads(text)
    except ValueError:
        return None, f"{path} is not complete JSON (half-written or damaged); ignored"
    if not isinstance(data, dict):
        return None, f"{path} does not hold a JSON object; ignored"
    seq, command = data.get("seq"), data.get("command")
    if not isinstance(seq, int) or isinstance(seq, bool):
        return None, f"{path} has no whole-number \"seq\"; ignored"
    if command not in COMMANDS:
        return None, f"{path} asks for {command!r}, which is not one of {', '.join(COMMANDS)}; ignored"
    if seq <= last_seq:
        return None, None
    t = data.get("t")
    return ControlCommand(seq, command, float(t) if isinstance(t, (int, float)) else 0.0), None


class ControlPoller:
    """Polls ``folder``/control.json for commands a run has not seen; cheap to call often (a stat, and a read
    only when the file changed).  The ``seq`` found when the poller is made counts as seen, so a command left
    from an earlier run in the folder is not acted on.  A problem is reported once through ``report``."""

    def __init__(self, folder: Path | str, report: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.report = report or (lambda m: print(f"note: {m}", file=sys.stderr, flush=True))
        self._stamp: tuple | None = None
        self._problem: str | None = None
        self.last_seq = 0
        cmd, _ = read_control(self.folder, -1)
        if cmd is not None:
            self.last_seq = cmd.seq
        self._stamp = self._stat()

    def _stat(self) -> tuple | None:
        try:
            st = os.stat(self.folder / CONTROL)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def poll(self) -> ControlCommand | None:
        """The newest command not seen yet, or None."""
        stamp = self._stat()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        cmd, problem = read_control(self.folder, self.last_seq)
        if problem is not None and problem != self._problem:
            self.report(problem)
        self._problem = problem
        if cmd is not None:
            self.last_seq = cmd.seq
        return cmd


# ---- reading the logs -----------------------------------------------------------------------------------------
# ---- the recorder ---------------------------------------------------------------------------------------------
class RunRecorder:
    """Taps a TrainingSession and feeds ``sinks`` from one background thread.

    Metrics: a listener on ``session.history`` (called on the training thread; it only appends to a queue),
    re-attached if a rebuild replaces the history.  Events: handed in by the caller (:meth:`add_events`, the
    CLI drains the session).  Snapshots: ``session.latest_snapshot()`` when it changed, at most every
    ``snapshot_interval`` s.  Checkpoints: with ``checkpoint_every`` = N, the first history append at or past
    each multiple of N asks the worker (``session.call``, between steps) for the model's state.  Sinks are
    called at most every ``interval`` s; a sink that raises is disabled with one note (``report``, default
    stderr, and an event to the other sinks) and training goes on.  Raises ValueError for ``checkpoint_every``
    below 1."""

    def __init__(self, session, sinks: Iterable[RunSink], *, steps_requested: int = 0, world_size: int = 1,
                 checkpoint_every: int | None = None, interval: float = SINK_INTERVAL_S,
                 snapshot_interval: float = SNAPSHOT_INTERVAL_S, report: Callable[[str], None] | None = None) \
            -> None:
        if checkpoint_every is not None and checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be at least 1 step, not {checkpoint_every}")
        self.session = session
        self.sinks: list[RunSink] = list(sinks)
        self.steps_requested = int(steps_requested)
        self.world_size = int(world_size)
        self.checkpoint_every = checkpoint_every
        self.interval = interval
        self.snapshot_interval = snapshot_interval
        self.report = report or (lambda m: print(f"note: {m}", file=sys.stderr, flush=True))
        self.problems: list[str] = []
        self.started = time.time()
        self._mono0 = time.monotonic()
        self._rows: deque = deque()
        self._events: deque = deque()
        self._checkpoints: deque = deque()
        self._infos: deque = deque()
        self._history = None
        self._next_checkpoint = checkpoint_every or 0
        self._last_checkpoint_step: int | None = None
        self._checkpoints_off = False
        self._skip_noted = False
        self._snapshot_version = -1
        self._last_snapshot_t = -math.inf
        self._notes_seen: dict[int, int] = {}       # id(sink) -> how many of its notes were reported
        self._closing = threading.Event()
        self._final: tuple[str, int | None] | None = None
        self._thread: threading.Thread | None = None

    def t(self) -> float:
        """Seconds since the recorder started (the ``t`` of every row, event and snapshot)."""
        return time.monotonic() - self._mono0

    def session_info(self) -> dict:
        session = self.session
        try:
            config = session.run_record()
        except Exception as e:          # a lesson's run_facts failing must not lose the run
            config = {"lesson": session.lesson_cls.info.id, "run_record_error": f"{type(e).__name__}: {e}"}
        return {"lesson": session.lesson_cls.info.id, "config": config,
                "hyperparameters": dict(config.get("hyperparameters", {})), "started": self.started,
                "steps_requested": self.steps_requested, "world_size": self.world_size}

    # ---- caller's side (the CLI thread) -------------------------------------------------------------------
    def start(self) -> None:
        """Open every sink (in the caller's thread, so a sink that cannot open is known at once: it is
        disabled with a note), attach to the history and start the background thread."""
        info = self.session_info()
        for sink in list(self.sinks):
            self._call(sink, "open", info)
        self.attach()
        self._thread = threading.Thread(target=self._run, name="run-recorder", daemon=True)
        self._thread.start()

    def attach(self) -> None:
        """Listen to the session's current history (call after the lesson is built: a build replaces it)."""
        history = self.session.history
        if history is self._history:
            return
        if self._history is not None:
            self._history.remove_listener(self._on_append)
        history.add_listener(self._on_append)
        self._history = history

    def detach(self) -> None:
        """Stop listening to the session's history (:meth:`attach` listens again)."""
        if self._history is not None:
            self._history.remove_listener(self._on_append)
            self._history = None

    def refresh_info(self) -> None:
        """Send the sinks the session's run record as it is now (after the build; before the end)."""
        self._infos.append(self.session_info())

    def add_events(self, events: Iterable) -> None:
        """Session events (``SessionEvent``) drained by the caller; progress/state ones are not kept."""
        now = self.t()
        for ev in events:
            if ev.kind not in SKIPPED_EVENT_KINDS:
                self._events.append({"t": now, "step": int(ev.step), "kind": ev.kind, "message": ev.message})

    def event(self, kind: str, message: str, step: int | None = None) -> None:
        """An event of the run itself ("control", "done", "stopped", "notice")."""
        self._events.append({"t": self.t(), "step": self.session.step_count if step is None else int(step),
                             "kind": kind, "message": message})

    def final_checkpoint(self, timeout: float = 30.0) -> None:
        """With checkpoints asked for: the model's state at the end, unless the last one is of this step.
        Waits for the worker (up to ``timeout`` s); call before the session stops."""
        wanted = any(s.wants_final_state for s in self.sinks)
        if not (self.checkpoint_every or wanted) or self._checkpoints_off or self.session.lesson is None:
            return
        if self._last_checkpoint_step == self.session.step_count:
            return
        done = threading.Event()
        self.session.call(lambda lesson: (self._grab_checkpoint(lesson, asked=bool(self.checkpoint_every)),
                                          done.set()))
        done.wait(timeout)

    def close(self, status: str, exit_code: int | None, timeout: float = 60.0) -> None:
        """Write what is left (rows, events, the latest snapshot, checkpoints) and close every sink with
        ``status`` and ``exit_code``; waits for the background thread up to ``timeout`` s."""
        self.detach()
        self._final = (status, exit_code)
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout)
        else:
            self._finish()

    # ---- training thread ------------------------------------------------------------------------------------
    def _on_append(self, step: int, metrics: dict) -> None:
        self._rows.append((step, time.monotonic() - self._mono0, dict(metrics)))
        if self.checkpoint_every and step >= self._next_checkpoint and not self._checkpoints_off:
            self._next_checkpoint = (step // self.checkpoint_every + 1) * self.checkpoint_every
            if len(self._checkpoints) < 2:          # a slow disk: skip rather than pile up copies of the model
                self.session.call(self._grab_checkpoint)
            elif not self._skip_noted:
                self._skip_noted = True
                self._problem(f"the checkpoint due at step {step} is skipped: the two before it are still being "
                              "written (a slow disk); later ones are taken when the disk catches up")

    def _grab_checkpoint(self, lesson, asked: bool = True) -> None:
        """On the worker, between steps: a copy of the model's state (``asked``: at the checkpoint interval, for
        every sink; else only for the sinks that want the final state)."""
        if self._checkpoints_off:
            return
        try:
            state = lesson.checkpoint_state()
        except Exception as e:              # never let a checkpoint stop training (the worker would stop)
            self._checkpoints_off = True
            reason = str(e) if isinstance(e, NotImplementedError) else f"{type(e).__name__}: {e}"
            self._problem(f"no checkpoints are written: {reason}")
            return
        step = self.session.step_count
        self._last_checkpoint_step = step
        self._checkpoints.append((step, state, asked))

    # ---- background thread ------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closing.wait(self.interval):
            self._round(final=False)
        self._finish()

    def _finish(self) -> None:
        self._round(final=True)
        status, code = self._final or ("error", None)
        for sink in list(self.sinks):
            self._call(sink, "close", status, code)

    def _round(self, final: bool) -> None:
        if not final and self._history is not None and self.session.history is not self._history:
            self.attach()               # a rebuild replaced the history
        while self._infos:
            self._each("update", self._infos.popleft())
        rows = [self._rows.popleft() for _ in range(len(self._rows))]
        if rows:
            self._each("metrics", rows)
        evs = [self._events.popleft() for _ in range(len(self._events))]
        if evs:
            self._each("events", evs)
        now = self.t()
        if final or now - self._last_snapshot_t >= self.snapshot_interval:
            snap = self.session.latest_snapshot()
            if snap.version != self._snapshot_version and snap.plots:
                self._snapshot_version = snap.version
                self._last_snapshot_t = now
                self._each("snapshot", snap.step, now, snap.plots)
        while self._checkpoints:
            step, state, asked = self._checkpoints.popleft()
            for sink in list(self.sinks):
                if asked or sink.wants_final_state:
                    self._call(sink, "checkpoint", step, state)
        self._each("tick")
        for sink in self.sinks:
            notes = getattr(sink, "notes", ())
            for note in notes[self._notes_seen.get(id(sink), 0):]:
                self.report(f"{sink.name}: {note}")
            self._notes_seen[id(sink)] = len(notes)
        if final and self._events:            # the notes of sinks that failed in this round
            self._each("events", [self._events.popleft() for _ in range(len(self._events))])

    def _each(self, method: str, *args) -> None:
        for sink in list(self.sinks):
            self._call(sink, method, *args)

    def _call(self, sink: RunSink, method: str, *args) -> None:
        try:
            getattr(sink, method)(*args)
        except Exception as e:
            self.sinks.remove(sink)
            if isinstance(e, OSError):
                from visualizer.core.export import ExportError, describe_os_error
                reason = str(e) if isinstance(e, ExportError) else \
                    describe_os_error(e, e.filename or getattr(sink, "path", sink.name))
            else:
                reason = f"{type(e).__name__}: {e}"
            self._problem(f"{sink.name} stopped being written at step {self.session.step_count} ({method}): "
                          f"{reason}; training goes on without it")
            if method != "close":
                try:
                    sink.close("error", None)
                except Exception:
                    pass

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        self.report(message)
        self._events.append({"t": self.t(), "step": self.session.step_count, "kind": "notice", "message": message})
