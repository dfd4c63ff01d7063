"""Reading a run directory while it is written, or after: the app's side of ``--run-dir``.  Qt-free.

A headless run (the CLI with ``--run-dir DIR``, under torchrun too) writes the run directory described in
the README ("The run directory", schema version 1): ``run.json`` (status, heartbeat, the run's record),
``metrics.jsonl`` and ``events.jsonl`` (JSON Lines, append-only, whole lines), ``snapshots/latest.npz`` and
the timeline ``snapshots/step_%09d.npz`` (:mod:`visualizer.core.plot_archive`).  This module reads it:

* :func:`read_run_info` checks ``run.json`` (a run directory, schema 1, a lesson this app has) and returns a
  :class:`RunInfo`, or raises :class:`RunFollowError` with a message for the user;
* :class:`RunFollower` tails the directory from a background thread: the logs incrementally by byte offset
  into a :class:`~visualizer.core.history.MetricHistory` mirror, the latest snapshot when it changes, the list
  of timeline snapshots, ``run.json`` (status, heartbeat).  Every file operation happens in that thread; the
  caller (the GUI's 30 Hz timer) only copies the latest state under a lock and never waits for the disk, so a
  slow or vanished network mount is reported ("not answering", "gone") while what was read stays shown.
  A finished run is read the same way: everything, then its status says it is not running any more.
* :meth:`RunFollower.send_control` asks the run to pause, resume or stop through ``control.json``, the only
  file the app ever writes into a run directory (atomically: a temporary file, then ``os.replace``).

The log format is JSON Lines (https://jsonlines.org): a last line without its ``"\\n"`` is a write in
progress (waited for), or, once the run has ended, a truncated line (reported and skipped); a complete line
that does not parse is reported by its number and skipped; every valid line is kept.
"""
from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

from visualizer.core.export import ExportError, atomic_write
from visualizer.core.history import MetricHistory, ParamChange
from visualizer.core.plot_archive import PlotArchiveError, load_plots
# the format's names come from the writer's module: one definition of schema 1
from visualizer.core.rundir import COMMANDS as CONTROL_COMMANDS
from visualizer.core.rundir import CONTROL, FORMAT, RUN_JSON, SNAPSHOTS, STATUSES
from visualizer.core.rundir import EVENTS_LOG as EVENTS
from visualizer.core.rundir import LATEST_SNAPSHOT as LATEST
from visualizer.core.rundir import METRICS_LOG as METRICS
from visualizer.core.rundir import SCHEMA_VERSION as SCHEMA

TIMELINE_NAME = re.compile(r"^step_(\d{9,})\.npz$")

POLL_INTERVAL_S = 0.2            # between two reads of the folder while the run is running
FINISHED_POLL_S = 1.0            # once it has ended (only timeline requests are left to serve)
STALE_AFTER_S = 10.0             # a "running" run with no new heartbeat or line for this long may have stopped
SLOW_AFTER_S = 2.0               # a read of the folder taking longer than this is reported as "not answering"
TIMELINE_LIST_S = 1.0            # how often the timeline folder is listed
READ_CHUNK = 4 << 20             # bytes read from a log at once
MAX_LINE_REPORTS = 5             # damaged lines reported one by one; after that one summary per log
TIMELINE_CACHE = 8               # timeline snapshots kept in memory


class RunFollowError(ValueError):
    """A folder that cannot be opened as a run: not a run directory, another schema version, a lesson this app
    does not have, a damaged ``run.json``, a folder that does not answer.  ``str(e)`` is the message for the
    user and names the folder."""


@dataclass(frozen=True)
class RunInfo:
    """What ``run.json`` says about a run.  path: the run directory; lesson_id: a registered lesson; status:
    one of :data:`STATUSES`; writer: {"pid", "host", "started" (unix time, s), "token"}; heartbeat: unix time
    of the writer's last write (None if absent); world_size: processes of a torchrun (1 otherwise);
    steps_requested: the ``--steps`` asked for (None if absent); config: the run's record
    (``TrainingSession.run_record()``: hyperparameters, engine, ...); ended: unix time or None; exit_code."""

    path: Path
    lesson_id: str
    status: str
    writer: dict = field(default_factory=dict)
    heartbeat: float | None = None
    world_size: int = 1
    steps_requested: int | None = None
    config: dict = field(default_factory=dict)
    ended: float | None = None
    exit_code: int | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def started(self) -> float | None:
        """Unix time the writer started (seconds), the origin of the logs' ``t``; None if unknown."""
        return _number(self.writer.get("started"))

    @property
    def title(self) -> str:
        """The lesson's title as the run recorded it (its id if none)."""
        return str(self.config.get("title") or self.lesson_id)

    @property
    def token(self) -> str:
        return str(self.writer.get("token") or "")


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _integer(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def known_lessons() -> Collection[str]:
    """The ids of the lessons this app has (:func:`visualizer.core.registry.infos`: imports no model code)."""
    from visualizer.core import registry
    return registry.infos().keys()


def parse_run_json(raw: bytes, folder: Path | str, lessons: Collection[str] | None = None) -> RunInfo:
    """``run.json``'s bytes as a :class:`RunInfo`, checked in this order: JSON, a run directory's ``format``,
    ``schema`` = :data:`SCHEMA`, the lesson (one of ``lessons``; None: don't check), the status and the
    numbers.  Raises RunFollowError with a message naming ``folder``."""
    folder = Path(folder)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RunFollowError(f"{folder / RUN_JSON} is damaged (not JSON: {e}); this folder cannot be opened as "
                             "a run.") from None
    if not isinstance(data, dict):
        raise RunFollowError(f"{folder} is not a run directory: its {RUN_JSON} holds no JSON object.")
    schema = data.get("schema")
    if data.get("format") != FORMAT or schema is None:
        what = ("the run.json of an export (Export all or --out), not a run directory" if "hyperparameters" in data
                else "not a run directory")
        raise RunFollowError(f"{folder} holds {what}: open a folder written by a run with --run-dir DIR.")
    if schema != SCHEMA:
        if _integer(schema) is None:
            raise RunFollowError(f"{folder} has an unreadable schema version ({schema!r}); this app reads "
                                 f"schema {SCHEMA}.")
        age = "newer" if schema > SCHEMA else "older"
        raise RunFollowError(f"{folder} was written by a {age} version of the app: schema {schema}, this app "
                             f"reads {SCHEMA}. Open it with a matching version.")
    lesson_id = data.get("lesson")
    if not isinstance(lesson_id, str) or not lesson_id:
        raise RunFollowError(f"{folder / RUN_JSON} names no lesson.")
    if lessons is not None and lesson_id not in lessons:
        raise RunFollowError(f"{folder} holds a run of the lesson {lesson_id!r}, which this app does not have "
                             f"(known lessons: {', '.join(sorted(lessons))}).")
    status = data.get("status")
    if status not in STATUSES:
        raise RunFollowError(f"{folder / RUN_JSON} has an unknown status {status!r} (expected one of "
                             f"{', '.join(STATUSES)}).")
    world_size = _integer(data.get("world_size", 1))
    if world_size is None or world_size < 1:
        raise RunFollowError(f"{folder / RUN_JSON} has an invalid world_size {data.get('world_size')!r}.")
    writer = data.get("writer") if isinstance(data.get("writer"), dict) else {}
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    return RunInfo(path=folder, lesson_id=lesson_id, status=status, writer=dict(writer),
                   heartbeat=_number(data.get("heartbeat")), world_size=world_size,
                   steps_requested=_integer(data.get("steps_requested")), config=dict(config),
                   ended=_number(data.get("ended")), exit_code=_integer(data.get("exit_code")))


def read_run_info(folder: Path | str, lessons: Collection[str] | None = None) -> RunInfo:
    """Check that ``folder`` is a run directory this app can show and read its ``run.json``.  lessons: the
    lesson ids accepted (default: every registered lesson).  Raises RunFollowError (a missing folder, no
    ``run.json``, another schema version, an unknown lesson, ...).  Reads the disk on the calling thread: the
    GUI uses :func:`read_run_info_within`."""
    folder = Path(folder)
    if not folder.exists():
        raise RunFollowError(f"{folder} does not exist.")
    if not folder.is_dir():
        raise RunFollowError(f"{folder} is a file, not a run directory: choose the folder given to --run-dir.")
    try:
        raw = (folder / RUN_JSON).read_bytes()
    except FileNotFoundError:
        raise RunFollowError(f"{folder} is not a run directory (it has no {RUN_JSON}): choose the folder given to "
                             "--run-dir.") from None
    except OSError as e:
        raise RunFollowError(f"{folder / RUN_JSON} cannot be read: {e.strerror or e}.") from None
    return parse_run_json(raw, folder, known_lessons() if lessons is None else lessons)


def read_run_info_within(folder: Path | str, timeout: float = 3.0, lessons: Collection[str] | None = None) \
        -> RunInfo:
    """:func:`read_run_info` on a daemon thread, waiting at most ``timeout`` seconds for it: a folder on a
    mount that does not answer raises RunFollowError instead of freezing the caller."""
    result: list = []

    def work() -> None:
        try:
            result.append(read_run_info(folder, lessons))
        except BaseException as e:              # handed to the caller below
            result.append(e)

    thread = threading.Thread(target=work, name="read-run-info", daemon=True)
    thread.start()
    thread.join(timeout)
    if not result:
        raise RunFollowError(f"The folder {folder} is not answering (after {timeout:g} s): a slow or lost "
                             "network mount? Try again when it answers.")
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


@dataclass(frozen=True)
class RunSnapshot:
    """Plot data a run saved: ``plots`` (plot id -> PlotData) at ``step``; ``t``: seconds since the run started
    (None if unknown); ``version`` increases with each latest snapshot read (the same duck type as a session's
    Snapshot, so the lesson view's export reads it)."""

    version: int
    step: int
    plots: dict
    t: float | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One file of the timeline: ``snapshots/<name>`` holds the plots at ``step``; ``mtime``: unix time it was
    written (s)."""

    step: int
    name: str
    mtime: float


@dataclass(frozen=True)
class FollowMessage:
    """Something to tell the user.  level: info, warning, error or success; key: a message with the same
    non-empty key replaces the earlier one; ``withdraw`` True: take the message with ``key`` away (its
    condition ended), text is then empty.  event: the run's event (``events.jsonl`` line) it reports, if any."""

    level: str
    text: str
    key: str = ""
    withdraw: bool = False
    event: dict | None = None


@dataclass(frozen=True)
class FollowState:
    """A copy of what the follower has read, for the caller.  info: the latest valid ``run.json`` (None before
    the first read); lines: valid metric lines read; last_step: step of the last one (-1: none); last_t: its
    ``t`` (s since start); last_activity: unix time of the newest sign of life (heartbeat, last line); snapshot:
    the latest snapshot read; timeline: the timeline files, by step; problem: "" or what is wrong with the
    folder now ("gone", "not answering", "unreadable"); stale_s: seconds a running run has not been updated
    (None: it has been recently, or it is not running); caught_up: the logs were read to their end at least
    once; control_seq: the seq of the last control.json written (0: none)."""

    info: RunInfo | None = None
    lines: int = 0
    last_step: int = -1
    last_t: float | None = None
    last_activity: float | None = None
    snapshot: RunSnapshot | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    problem: str = ""
    stale_s: float | None = None
    caught_up: bool = False
    control_seq: int = 0

    @property
    def finished(self) -> bool:
        """The run has ended and its logs were read to the end."""
        return self.info is not None and not self.info.running and self.caught_up

    def lag(self, now: float | None = None) -> float | None:
        """Seconds between ``now`` (unix time) and the newest sign of life; None before any."""
        if self.last_activity is None:
            return None
        return max(0.0, (time.time() if now is None else now) - self.last_activity)


class _Log:
    """Read position of one JSON Lines file: ``offset`` is the byte after the last complete line read."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.offset = 0
        self.line = 0                    # complete lines consumed
        self.partial = b""               # an incomplete last line seen at the last read
        self.damaged = 0
        self.shrunk = False


class RunFollower:
    """Tails run directory ``folder`` from a background thread (see the module docstring).

    info: its RunInfo if already read (:func:`read_run_info_within`); otherwise the thread reads it first (a
    folder that is not a run then ends in an error message).  poll_interval: seconds between reads while the
    run is running; stale_after: a running run not updated for this long is reported as possibly stopped;
    slow_after: a read of the folder that takes longer is reported as "not answering".

    The caller: :meth:`start`, then at its own pace :meth:`state`, :meth:`messages`, :attr:`history` (a
    thread-safe :class:`MetricHistory`), :meth:`request_snapshot` / :meth:`timeline_snapshot`,
    :meth:`send_control`; :meth:`stop` at the end.  None of these touch the disk or wait for the thread."""

    def __init__(self, folder: Path | str, info: RunInfo | None = None, poll_interval: float = POLL_INTERVAL_S,
                 stale_after: float = STALE_AFTER_S, slow_after: float = SLOW_AFTER_S,
                 history_capacity: int = 4096) -> None:
        self.folder = Path(folder)
        self.poll_interval = float(poll_interval)
        self.stale_after = float(stale_after)
        self.slow_after = float(slow_after)
        self.history = MetricHistory(history_capacity)
        self.events: deque[dict] = deque(maxlen=1000)        # the run's events, oldest first (thread-safe appends)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = FollowState(info=info)
        self._messages: deque[FollowMessage] = deque(maxlen=500)
        self._busy_since: float | None = None             # monotonic start of the read under way
        self._slow_reported = False
        # owned by the thread
        self._logs = {METRICS: _Log(METRICS), EVENTS: _Log(EVENTS)}
        self._run_json_sig: tuple | None = None
        self._run_json_bad = False
        self._latest_sig: tuple | None = None
        self._latest_bad = False
        self._snapshot_version = 0
        self._last_listing = -math.inf
        self._seen_change = time.monotonic()               # when the run last showed a sign of life
        self._stale_reported = False
        self._gone = False
        self._token = info.token if info is not None else None
        self._other_run = False
        self._seq = 0
        self._seq_read = False
        self._changes_added = 0
        if info is not None and info.running and info.heartbeat is not None:     # a run that died long ago
            self._seen_change -= max(0.0, time.time() - info.heartbeat)
        # shared requests (under the lock)
        self._controls: list[str] = []
        self._wanted_step: int | None = None
        self._loaded: OrderedDict[int, RunSnapshot] = OrderedDict()
        self._failed: dict[int, str] = {}
        self.polls = 0                                     # reads of the folder done (for tests/benchmarks)

    # ---- the caller's side ------------------------------------------------------------------------
    def start(self) -> "RunFollower":
        """Start the background thread (once).  Returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"follow {self.folder.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> bool:
        """Ask the thread to end and wait at most ``timeout`` s.  True if it ended (a thread stuck on a dead
        mount is a daemon: it does not keep the app from exiting)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def state(self) -> FollowState:
        """The latest state (a copy; never waits for the disk).  A read under way for longer than
        ``slow_after`` shows as problem "not answering"."""
        self._check_slow()
        with self._lock:
            st = self._state
        if st.info is not None and st.info.running and not st.problem:
            idle = time.monotonic() - self._seen_change
            st = replace(st, stale_s=idle if idle > self.stale_after else None)
        return st

    def messages(self) -> list[FollowMessage]:
        """The messages since the last call, oldest first."""
        self._check_slow()
        with self._lock:
            out = list(self._messages)
            self._messages.clear()
        return out

    def send_control(self, command: str) -> None:
        """Ask the run to ``pause``, ``resume`` or ``stop``: the thread writes ``control.json`` atomically with
        a seq higher than any written before (the run acts on a seq it has not seen); the result comes as a
        message.  Raises ValueError for another command."""
        if command not in CONTROL_COMMANDS:
            raise ValueError(f"unknown control command {command!r}; expected one of {', '.join(CONTROL_COMMANDS)}")
        with self._lock:
            self._controls.append(command)
        self._wake.set()

    def request_snapshot(self, step: int) -> None:
        """Load the timeline snapshot at ``step`` in the thread (the latest request wins); see
        :meth:`timeline_snapshot`."""
        with self._lock:
            if step in self._loaded or step in self._failed:
                return
            self._wanted_step = int(step)
        self._wake.set()

    def timeline_snapshot(self, step: int) -> RunSnapshot | None:
        """The timeline snapshot at ``step`` if it has been loaded, else None (see :meth:`timeline_failure`)."""
        with self._lock:
            return self._loaded.get(step)

    def timeline_failure(self, step: int) -> str:
        """Why the timeline snapshot at ``step`` could not be loaded ("" if it did not fail)."""
        with self._lock:
            return self._failed.get(step, "")

    def _check_slow(self) -> None:
        with self._lock:
            busy = self._busy_since
            if busy is None or self._slow_reported or time.monotonic() - busy <= self.slow_after:
                return
            self._slow_reported = True
            self._state = replace(self._state, problem="not answering")
            self._messages.append(FollowMessage(
                "warning", f"The folder {self.folder} is not answering (a slow or lost network mount?); showing "
                           "what was read so far.", key="folder"))

    # ---- the thread -------------------------------------------------------------------------------
    def _say(self, level: str, text: str, key: str = "", event: dict | None = None) -> None:
        with self._lock:
            self._messages.append(FollowMessage(level, text, key, event=event))

    def _unsay(self, key: str) -> None:
        with self._lock:
            self._messages.append(FollowMessage("info", "", key, withdraw=True))

    def _set(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                self._busy_since = time.monotonic()
            try:
                self.poll_once()
            except Exception as e:              # a bug must not end the following silently
                self._say("error", f"Reading {self.folder} failed: {type(e).__name__}: {e}", key="crash")
            finally:
                with self._lock:
                    self._busy_since = None
                    slow, self._slow_reported = self._slow_reported, False
                if slow and self._state.problem == "not answering":
                    self._recovered("The folder answers again; following the run.")
            self.polls += 1
            st = self._state
            pending = bool(self._controls) or self._wanted_step is not None
            wait = self.poll_interval if st.info is None or st.info.running or not st.caught_up else FINISHED_POLL_S
            if not pending:
                self._wake.wait(wait)
            self._wake.clear()

    def _progress(self) -> None:
        """The read under way got data: a long log read at full speed is not a folder that hangs."""
        with self._lock:
            if self._busy_since is not None:
                self._busy_since = time.monotonic()

    def _recovered(self, text: str) -> None:
        self._set(problem="")
        self._unsay("folder")
        self._say("info", text, key="folder-back")

    def poll_once(self) -> None:
        """One read of the folder (the thread's loop calls it; tests may call it directly instead of
        :meth:`start`)."""
        try:
            st = os.stat(self.folder)
        except (FileNotFoundError, NotADirectoryError):
            if not self._gone:
                self._gone = True
                self._set(problem="gone")
                self._say("warning", f"The folder {self.folder} is gone; showing what was read so far (following "
                                     "goes on when it is back).", key="folder")
            return
        except OSError as e:
            self._gone = True
            self._set(problem="unreadable")
            self._say("warning", f"The folder {self.folder} cannot be read ({e.strerror or e}); showing what was "
                                 "read so far.", key="folder")
            return
        del st
        if self._gone:
            self._gone = False
            self._recovered(f"The folder {self.folder} is back; following the run again.")
        try:
            self._write_controls()
            self._load_wanted()
            if not self._read_run_json() or self._other_run:
                return
            for log in self._logs.values():
                self._read_log(log)
            self._read_latest()
            if time.monotonic() - self._last_listing >= TIMELINE_LIST_S:
                self._list_timeline()
            self._set(caught_up=True)
            self._check_stale()
            if self._state.problem == "unreadable":
                self._recovered(f"The folder {self.folder} can be read again; following the run.")
        except (FileNotFoundError, NotADirectoryError):
            return                              # the folder went away mid-read: the next poll says so
        except OSError as e:
            self._set(problem="unreadable")
            self._say("warning", f"The folder {self.folder} cannot be read ({e.strerror or e}); showing what was "
                                 "read so far.", key="folder")

    def _read_run_json(self) -> bool:
        """Re-read run.json when it changed.  False if there is no valid one yet."""
        path = self.folder / RUN_JSON
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if self._state.info is None and not self._run_json_bad:
                self._run_json_bad = True
                self._say("error", f"{self.folder} is not a run directory (it has no {RUN_JSON}).", key="run.json")
            return self._state.info is not None
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig == self._run_json_sig:
            return self._state.info is not None
        self._run_json_sig = sig
        old = self._state.info
        try:
            info = parse_run_json(path.read_bytes(), self.folder,
                                  None if old is None else (old.lesson_id,))
        except FileNotFoundError:
            self._run_json_sig = None
            return old is not None
        except RunFollowError as e:
            self._run_json_bad = True
            self._say("error", f"{e} Showing what was read so far.", key="run.json")
            return old is not None
        if self._token is None:
            self._token = info.token
        elif info.token and self._token and info.token != self._token:
            self._other_run = True
            self._say("warning", f"{self.folder} now holds another run (another writer started there); showing "
                                 "the run read so far. Open the folder again to see the new run.", key="folder")
            return False
        if old is None or info.heartbeat != old.heartbeat or info.status != old.status:
            self._seen_change = time.monotonic()
            if old is None and info.running and info.heartbeat is not None:
                self._seen_change -= max(0.0, time.time() - info.heartbeat)
        if self._run_json_bad:
            self._run_json_bad = False
            self._unsay("run.json")
        self._set(info=info, last_activity=self._activity(info, self._state.last_t))
        if old is not None and old.status != info.status:
            self._say("info" if info.status in ("done", "stopped") else "warning",
                      f"The run is {info.status}" + (f" (exit code {info.exit_code})." if info.exit_code else "."),
                      key="status")
        changes = info.config.get("live_changes")
        if isinstance(changes, list) and len(changes) > self._changes_added:
            for c in changes[self._changes_added:]:
                if isinstance(c, dict) and _integer(c.get("step")) is not None and isinstance(c.get("name"), str):
                    self.history.add_change(ParamChange(c["step"], c["name"], c.get("old"), c.get("new")))
            self._changes_added = len(changes)
        return True

    @staticmethod
    def _activity(info: RunInfo | None, last_t: float | None) -> float | None:
        times = []
        if info is not None and info.heartbeat is not None:
            times.append(info.heartbeat)
        if info is not None and info.started is not None and last_t is not None:
            times.append(info.started + last_t)
        return max(times) if times else None

    def _read_log(self, log: _Log) -> None:
        path = self.folder / log.name
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return
        if size < log.offset:
            if not log.shrunk:
                log.shrunk = True
                self._say("warning", f"{log.name} got shorter than what was read (it was replaced or cut); keeping "
                                     "what was read.", key=f"shrunk {log.name}")
            return
        log.shrunk = False
        finished = self._state.info is not None and not self._state.info.running
        if size > log.offset:
            with open(path, "rb") as f:
                f.seek(log.offset)
                tail = b""
                while not self._stopping.is_set():
                    chunk = f.read(READ_CHUNK)
                    if not chunk:
                        break
                    data = tail + chunk
                    cut = data.rfind(b"\n") + 1
                    self._take_lines(log, data[:cut])
                    log.offset += cut
                    tail = data[cut:]
                    self._progress()
        else:
            tail = b""
        if tail and finished and tail == log.partial:       # the run ended with this line unfinished
            log.line += 1
            log.offset += len(tail)
            self._say("warning", f"line {log.line} of {log.name} is truncated (the run ended while writing it), "
                                 "skipped.")
            tail = b""
        log.partial = tail

    def _take_lines(self, log: _Log, block: bytes) -> None:
        rows = []
        for raw in block.split(b"\n")[:-1]:
            log.line += 1
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                rows.append(self._check_metrics(obj) if log.name == METRICS else self._check_event(obj))
            except (ValueError, TypeError, KeyError) as e:
                log.damaged += 1
                if log.damaged <= MAX_LINE_REPORTS:
                    self._say("warning", f"line {log.line} of {log.name} is damaged, skipped ({_reason(e)}).")
                else:
                    self._say("warning", f"{log.damaged} damaged lines of {log.name} skipped so far (the latest: "
                                         f"line {log.line}).", key=f"damaged {log.name}")
        if not rows:
            return
        if log.name == METRICS:
            for step, _t, metrics in rows:
                self.history.append(step, metrics)
            step, t, _ = rows[-1]
            self._seen_change = time.monotonic()
            with self._lock:
                st = self._state
                self._state = replace(st, lines=st.lines + len(rows), last_step=step, last_t=t,
                                      last_activity=self._activity(st.info, t))
        else:
            for event in rows:
                self.events.append(event)
                level = EVENT_LEVELS.get(event["kind"], "info")
                self._say(level, f"Step {event['step']:,}: {event['message']}", event=event)

    @staticmethod
    def _check_metrics(obj: Any) -> tuple[int, float | None, dict[str, float]]:
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        step = _integer(obj.get("step"))
        metrics = obj.get("metrics")
        if step is None:
            raise ValueError("no integer 'step'")
        if not isinstance(metrics, dict):
            raise ValueError("no 'metrics' object")
        out = {}
        for name, v in metrics.items():
            if v is None:
                out[name] = math.nan                 # a non-finite value is written as null
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out[name] = float(v)
            else:
                raise ValueError(f"metric {name!r} is not a number")
        return step, _number(obj.get("t")), out

    @staticmethod
    def _check_event(obj: Any) -> dict:
        if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
            raise ValueError("not an event object with a 'kind'")
        return {"t": _number(obj.get("t")), "step": _integer(obj.get("step")) or 0, "kind": obj["kind"],
                "message": str(obj.get("message", ""))}

    def _read_latest(self) -> None:
        info = self._state.info
        path = self.folder / SNAPSHOTS / LATEST
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig == self._latest_sig:
            return
        self._latest_sig = sig
        try:
            step, plots, meta = load_plots(path, info.lesson_id)
        except FileNotFoundError:
            self._latest_sig = None                  # replaced between stat and read: next time
            return
        except PlotArchiveError as e:
            self._latest_bad = True
            kept = "the previous one is kept" if self._state.snapshot is not None else "waiting for the next one"
            self._say("warning", f"The latest snapshot could not be read ({e}); {kept}.", key="latest")
            return
        self._snapshot_version += 1
        if self._latest_bad:
            self._latest_bad = False
            self._unsay("latest")
        self._set(snapshot=RunSnapshot(self._snapshot_version, step, plots, _number(meta.get("t"))))

    def _list_timeline(self) -> None:
        self._last_listing = time.monotonic()
        entries = []
        try:
            with os.scandir(self.folder / SNAPSHOTS) as it:
                for entry in it:
                    m = TIMELINE_NAME.match(entry.name)
                    if m is None:
                        continue
                    try:
                        mtime = entry.stat().st_mtime
                    except FileNotFoundError:        # thinned by the writer meanwhile
                        continue
                    entries.append(TimelineEntry(int(m.group(1)), entry.name, mtime))
        except FileNotFoundError:
            return
        entries.sort(key=lambda e: e.step)
        self._set(timeline=tuple(entries))

    def _load_wanted(self) -> None:
        with self._lock:
            step, self._wanted_step = self._wanted_step, None
        if step is None or self._state.info is None:
            return
        entry = next((e for e in self._state.timeline if e.step == step), None)
        if entry is None:
            self._list_timeline()
            entry = next((e for e in self._state.timeline if e.step == step), None)
        try:
            if entry is None:
                raise FileNotFoundError
            got_step, plots, meta = load_plots(self.folder / SNAPSHOTS / entry.name, self._state.info.lesson_id)
        except FileNotFoundError:
            self._fail(step, f"The snapshot of step {step:,} is no longer there (the run thins its timeline).")
            return
        except PlotArchiveError as e:
            self._fail(step, f"The snapshot of step {step:,} could not be read ({e}); skipped.")
            return
        with self._lock:
            self._loaded[step] = RunSnapshot(0, got_step, plots, _number(meta.get("t")))
            while len(self._loaded) > TIMELINE_CACHE:
                self._loaded.popitem(last=False)

    def _fail(self, step: int, message: str) -> None:
        with self._lock:
            self._failed[step] = message
        self._say("warning", message, key="timeline")

    def _write_controls(self) -> None:
        with self._lock:
            commands, self._controls = self._controls, []
        if not commands:
            return
        path = self.folder / CONTROL
        if not self._seq_read:                       # go on from the seq a window wrote before, if any
            try:
                old = json.loads(path.read_bytes())
                self._seq = max(self._seq, _integer(old.get("seq")) or 0) if isinstance(old, dict) else self._seq
            except FileNotFoundError:
                pass
            except (ValueError, UnicodeDecodeError):
                pass                                 # a damaged control.json is overwritten
            self._seq_read = True
        for command in commands:
            seq = self._seq + 1
            body = json.dumps({"seq": seq, "command": command, "t": time.time()})
            try:
                atomic_write(path, lambda f: f.write(body))
            except ExportError as e:
                self._say("error", f"Could not ask the run to {command}: {e}", key="control")
                continue
            self._seq = seq
            self._set(control_seq=seq)
            self._say("info", f"Asked the run to {command} (it reads {CONTROL} about 4 times a second).",
                      key="control")

    def _check_stale(self) -> None:
        info = self._state.info
        idle = time.monotonic() - self._seen_change
        if info is not None and info.running and idle > self.stale_after:
            if not self._stale_reported or int(idle) // 10 != int(idle - self.poll_interval) // 10:
                self._stale_reported = True
                self._say("warning", f"The run has not been updated for {idle:.0f} s: it may have stopped (its "
                                     f"{RUN_JSON} still says running).", key="stale")
        elif self._stale_reported:
            self._stale_reported = False
            self._unsay("stale")


EVENT_LEVELS = {"diverged": "warning", "error": "error", "notice": "info", "stopped": "info", "done": "success",
                "control": "info"}


def _reason(e: Exception) -> str:
    text = str(e)
    return text if len(text) <= 80 else text[:77] + "..."


class RunReadout:
    """A followed run seen as a session by the export code (:func:`visualizer.ui.export_all.export_all`,
    :func:`visualizer.core.export.export_tables`): ``lesson_cls``, ``history``, ``latest_snapshot()`` and
    ``run_record()``.  snapshot: a callable returning the snapshot on show (the latest, or the timeline's)."""

    def __init__(self, lesson_cls, follower: RunFollower, snapshot: Callable[[], RunSnapshot | None]) -> None:
        self.lesson_cls = lesson_cls
        self.follower = follower
        self.history = follower.history
        self._snapshot = snapshot

    def latest_snapshot(self) -> RunSnapshot:
        return self._snapshot() or RunSnapshot(0, 0, {})

    def run_record(self) -> dict[str, Any]:
        """The run's record from its run.json, with where it was read and what the app has of it."""
        st = self.follower.state()
        info = st.info
        record: dict[str, Any] = dict(info.config) if info is not None else {}
        record.update({"lesson": self.lesson_cls.info.id, "run_directory": str(self.follower.folder),
                       "status": info.status if info is not None else "unknown",
                       "steps": max(st.last_step, 0), "final_metrics": self.history.last(),
                       "world_size": info.world_size if info is not None else 1})
        return record


def format_duration(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 03 min``; "–" for None."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def describe(state: FollowState, now: float | None = None) -> Mapping[str, str]:
    """The header of a run window as text: folder, status (with "not updated for N s" / the folder's
    problem), step, lag, world size."""
    info = state.info
    status = info.status if info is not None else "reading…"
    if state.problem:
        status += f" · folder {state.problem}"
    elif state.stale_s is not None:
        status += f" · not updated for {format_duration(state.stale_s)}"
    step = f"step {max(state.last_step, 0):,}"
    if info is not None and info.steps_requested:
        step += f" / {info.steps_requested:,}"
    lag = state.lag(now)
    return {"status": status, "step": step,
            "lag": "lag –" if lag is None or (info is not None and not info.running) else f"lag {lag:.1f} s",
            "world": f"{info.world_size} process{'es' if info.world_size != 1 else ''}" if info else ""}
