"""The training session: runs a lesson on a worker thread, controlled through flags.

The GUI (or the CLI) calls ``play``, ``pause``, ``step``, ``reset``, ``set_param`` and ``stop``;
each only sets a flag or queues a small command and returns at once.  The worker checks them between
training steps, so a busy worker reacts within one step.  Results flow back through
:class:`~visualizer.core.history.MetricHistory` (bounded), a latest-wins snapshot slot and an event
queue, all of which the GUI polls from its redraw timer.  Qt-free.
"""
from __future__ import annotations

import math
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from visualizer.core.history import MetricHistory, ParamChange
from visualizer.core.hyperparams import HyperparameterError, Hyperparameters, data_settings
from visualizer.core.lesson import STOP_UNITS, Lesson, LessonConfigError, LessonContext
from visualizer.core.plotdata import PlotData
from visualizer.core.trainer import relative_error

EXACT_MATCH_FLOOR = 1e-17      # an exact engine match is recorded as this, so a log axis can show it
DEVICE_FLUSH_INTERVAL = 1 / 30  # s between metric flushes of a lesson whose metrics live on a GPU



@dataclass(frozen=True)
class RunState:
    """Whether the worker trains, and where the run pauses by itself.

    running: True while the worker trains (Play, or steps still pending from Step / Step epoch), the
    only truth a Play/Pause button should show; limit: the "run until" setting as given, (amount, unit)
    with unit "steps" or "epochs" and amount None for "forever"; start: the step count where the
    current limited run began; stop: ``limit`` in steps (None: no stop; also None while an epoch limit
    waits for the lesson's build); tag: the caller's name for a run started by :meth:`TrainingSession.play_until`
    ("" once the limit is changed by :meth:`TrainingSession.set_run_limit`)."""

    running: bool = False
    limit: tuple[int | None, str] = (None, "steps")
    start: int = 0
    stop: int | None = None
    tag: str = ""

    def reached(self, step: int) -> bool:
        """True if the run has a stop and ``step`` is at or past it."""
        return self.stop is not None and step >= self.stop


@dataclass(frozen=True)
class SessionEvent:
    """Something the user should be told.  kind: ``built``, ``diverged``, ``error``, ``config_error``,
    ``notice`` (``key``: set for a notice its lesson may withdraw), ``notice_cleared`` (withdraw the notice
    sent with ``key``: its condition stopped), ``progress`` (with ``fraction`` in [0, 1] or None),
    ``param_rejected`` (a live value the lesson could not apply; ``param`` = (name, the value kept)),
    ``state`` (the worker started or stopped training, or its stop moved: ``run`` holds the new
    :class:`RunState`), ``stop_reached`` (a run paused by itself at its stop), ``substituted`` (the build
    used something else for a setting, e.g. the embedded digits for MNIST offline; ``param`` = (name, what
    was used)), ``param_synced`` (the lesson changed one of its own settings, e.g. the grid map edited by a
    click; ``param`` = (name, new value), already wanted and applied).  traceback is set for ``error``."""

    kind: str
    message: str
    step: int = 0
    traceback: str = ""
    fraction: float | None = None
    param: tuple[str, Any] | None = None
    key: str = ""
    run: RunState | None = None


class _SessionContext(LessonContext):
    def __init__(self, session: "TrainingSession") -> None:
        self._session = session

    def progress(self, message: str, fraction: float | None = None) -> None:
        self._session._events.append(SessionEvent("progress", message, self._session.step_count, "", fraction))

    def notice(self, message: str) -> None:
        self._session._emit("notice", message)

    def keyed_notice(self, key: str, message: str) -> None:
        self._session._events.append(SessionEvent("notice", message, self._session.step_count, key=key))

    def clear_notice(self, key: str) -> None:
        self._session._events.append(SessionEvent("notice_cleared", "", self._session.step_count, key=key))

    def request_pause(self, message: str) -> None:
        self._session._pause_request = message

    def substituted(self, name: str, used: str) -> None:
        self._session._events.append(SessionEvent("substituted", f"{name}: {used} used instead",
                                                  self._session.step_count, param=(name, used)))

    def setting_changed(self, name: str, value: Any) -> None:
        session = self._session
        v = session.applied.set(name, value)              # validated: HyperparameterError for a bad value
        if session.lesson is not None:
            session.lesson.hp.set(name, v)
        session.hp.set(name, v)                           # replaces a typed value still waiting for Reset
        session._events.append(SessionEvent("param_synced", f"{name} changed by the lesson", session.step_count,
                                            param=(name, v)))


@dataclass
class Snapshot:
    """Plot data computed at ``step``; ``version`` increases with each new snapshot."""

    version: int
    step: int
    plots: dict[str, PlotData] = field(default_factory=dict)


class SessionReadout:
    """What :class:`TrainingSession` and :class:`~visualizer.core.process_session.ProcessSession`
    derive alike from ``hp``, ``applied``, ``history``, ``step_count`` and ``steps_per_epoch``."""

    lesson_cls: type[Lesson]
    hp: Hyperparameters
    applied: Hyperparameters
    history: MetricHistory
    step_count: int
    initial_hyperparameters: dict[str, Any]
    _events: deque[SessionEvent]
    _snapshot: "Snapshot"
    run_state: RunState                # the latest RunState (what the last ``state`` event said)
    run_notes: dict[str, Any]          # extra run.json entries from the caller (set in __init__)

    def drain_events(self) -> list[SessionEvent]:
        """The events since the last call, oldest first (the queue keeps the latest 500)."""
        out = []
        while self._events:
            out.append(self._events.popleft())
        return out

    def latest_snapshot(self) -> "Snapshot":
        """The newest plot snapshot (latest wins; intermediate ones are dropped)."""
        return self._snapshot

    @property
    def steps_per_epoch(self) -> int:
        return 1

    def needs_reset(self) -> bool:
        """True if some structural hyperparameter differs from what the lesson was built with."""
        return any(self.hp[s.name] != self.applied[s.name] for s in self.hp.specs if not s.live)

    def pending_structural(self) -> list[str]:
        """Names of structural hyperparameters changed since the last build."""
        return [s.name for s in self.hp.specs if not s.live and self.hp[s.name] != self.applied[s.name]]

    def epoch(self) -> float:
        """Epochs trained so far (fractional)."""
        return self.step_count / max(1, self.steps_per_epoch)

    def data_source(self) -> dict[str, Any]:
        """The data the lesson was built with: its data-set choices and the files they read (see
        :func:`visualizer.core.hyperparams.data_settings`); empty for a lesson without any."""
        return data_settings(self.applied)

    def lesson_facts(self) -> dict[str, Any]:
        """The built lesson's :meth:`Lesson.run_facts` (empty where the lesson is not built here)."""
        lesson = getattr(self, "lesson", None)
        return dict(lesson.run_facts()) if lesson is not None else {}

    def run_record(self) -> dict[str, Any]:
        """What ``run.json`` holds: lesson, engine, seed, data, hyperparameters, live changes, final
        metrics (``final_metrics``: the last value of each; ``epoch_means``: the training metrics'
        means over the last complete epoch, see :meth:`MetricHistory.epoch_means`), the lesson's ``facts``
        (:meth:`lesson_facts`), plus ``run_notes`` (what the caller adds, e.g. the CLI's threads and why a run stopped)."""
        return {
            "lesson": self.lesson_cls.info.id,
            "title": self.lesson_cls.info.title,
            "engine": self.applied["engine"],
            "device": self.applied["device"],
            "seed": self.applied["seed"],
            "data": self.data_source(),
            "hyperparameters": dict(self.initial_hyperparameters or self.hp.as_dict()),   # not built: asked for
            "live_changes": [c.as_dict() for c in self.history.changes()],
            "steps": self.step_count,
            "epochs": round(self.epoch(), 4),
            "final_metrics": self.history.last(),
            "epoch_means": self.history.epoch_means(),
            "facts": self.lesson_facts(),
            **self.run_notes,
        }


def check_run_limit(amount: int | None, unit: str) -> tuple[int | None, str]:
    """A validated run limit (amount, unit); ValueError for an unknown unit or an amount below 1."""
    if unit not in STOP_UNITS:
        raise ValueError(f"unit must be one of {STOP_UNITS}, not {unit!r}")
    if amount is not None and int(amount) < 1:
        raise ValueError(f"a run limit must be at least 1 {unit}, not {amount!r}")
    return (None if amount is None else int(amount), unit)


class TrainingSession(SessionReadout):
    """Owns one lesson instance and the worker thread that trains it.

    lesson_cls: the Lesson subclass; values: initial hyperparameters (name -> value, validated,
    HyperparameterError if invalid); snapshots: compute plot snapshots while training (False for
    headless runs, which call :meth:`snapshot_now` at the end); snapshot_budget: the largest
    fraction of worker time spent on snapshots (0.1 keeps training throughput >= ~0.9x headless).
    """

    def __init__(self, lesson_cls: type[Lesson], values: Mapping[str, Any] | None = None, *,
                 snapshots: bool = True, snapshot_budget: float = 0.1, max_snapshot_hz: float = 20.0,
                 history_capacity: int = 4096) -> None:
        self.lesson_cls = lesson_cls
        self.hp: Hyperparameters = lesson_cls.hyperparameters(values)      # what the controls show
        self.applied: Hyperparameters = self.hp.copy()                     # what the lesson was built with
        self.history = MetricHistory(history_capacity)
        self.lesson: Lesson | None = None
        self.twin: Lesson | None = None          # the same lesson on the other engine ("Compare engines")
        self._pause_request: str | None = None   # set by the lesson (LessonContext.request_pause)
        self.twin_engine = ""
        self.step_count = 0
        self.state = "building"             # building | paused | running | error | stopped
        self.snapshots_enabled = snapshots
        self.snapshot_budget = snapshot_budget
        self.min_snapshot_interval = 1.0 / max_snapshot_hz
        self.max_steps_per_second: float | None = None
        self.run_state = RunState()
        self._announced: tuple = (False, (None, "steps"), 0, None, "")
        self._limit: tuple[int | None, str] = (None, "steps")     # the run-until setting (worker side)
        self._run_start = 0
        self._stop_step: int | None = None
        self._run_tag = ""
        self._span: tuple[int, str] | None = None     # how far a Play at the stop goes on: (amount, unit)
        self.initial_hyperparameters: dict[str, Any] = {}
        self.run_notes: dict[str, Any] = {}
        self._history_capacity = history_capacity
        self._events: deque[SessionEvent] = deque(maxlen=500)
        self._commands: deque[Callable[[], None]] = deque()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._steps_pending = 0
        self._snapshot = Snapshot(0, 0)
        self._snapshot_wanted = True
        self._snapshot_cost = 0.0
        self._last_snapshot_t = 0.0
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=64)
        self._unflushed = 0                  # steps whose metrics are still in the lesson's (device) window
        self._last_flush_t = 0.0
        self._idle = threading.Event()
        self._flushed_through = 0            # the last step whose training metrics are in the history
        self._build_queued = True            # a build is queued and not started: a reset joins it
        self._commands.append(self._build)
        self._thread = threading.Thread(target=self._run, name=f"train-{lesson_cls.info.id}", daemon=True)
        self._thread.start()

    # ---- control (any thread; returns at once) ----------------------------------------------------
    def play(self) -> None:
        """Train continuously until paused."""
        self._running.set()
        self._wake.set()

    def pause(self) -> None:
        """Stop after the current step; steps still pending from :meth:`step` are dropped."""
        self._running.clear()
        with self._lock:
            self._steps_pending = 0
        self._wake.set()

    def set_run_limit(self, amount: int | None, unit: str = "steps") -> None:
        """Pause by itself when the step count reaches ``amount`` steps (``unit`` "steps") or ``amount``
        epochs ("epochs"); None: train until paused.  The limit is absolute ("until step 3,000") and
        outlives Reset.  Play at or past the limit goes on for as long again (the limit moves up by
        ``amount``).  Raises ValueError for another unit or an amount below 1."""
        limit = check_run_limit(amount, unit)

        def run() -> None:
            self._set_limit(limit, "", limit if limit[0] is not None else None)
            if self._running.is_set() and self._stop_step is not None and self.step_count >= self._stop_step:
                self._stop_reached()            # a limit set below the step count while playing: stop now
        self._submit(run)

    def play_until(self, stop: int, tag: str = "", relative: bool = False) -> None:
        """Train until the step count reaches ``stop`` (``relative``: ``stop`` more steps than when the
        worker gets to this command, e.g. after a queued Reset), then pause by itself.  Nothing trains if
        the model is already there.  ``tag`` names the run in :attr:`run_state` (a narrative step's
        progress).  Raises ValueError for a stop below 0."""
        if int(stop) < 0:
            raise ValueError(f"stop must be at least 0, not {stop!r}")

        def run() -> None:
            target = self.step_count + int(stop) if relative else int(stop)
            span = int(stop) if relative else max(1, target - self.step_count)
            self._set_limit((target, "steps"), tag, (span, "steps"))
            if self.step_count < target:
                self._running.set()
        self._submit(run)

    def stop_training(self) -> None:
        """Stop after the current step and drop the steps still pending; the lesson and its data stay
        (a run stopped by the CLI's --timeout or Ctrl+C is exported afterwards)."""
        self._running.clear()
        with self._lock:
            self._steps_pending = 0
        self._wake.set()

    def step(self, n: int = 1) -> None:
        """Run ``n`` more steps (then pause)."""
        with self._lock:
            self._steps_pending += max(0, int(n))
        self._wake.set()

    def step_epoch(self) -> None:
        """Run the steps of one epoch."""
        self._submit(lambda: self.step(self.lesson.steps_per_epoch if self.lesson else 0))

    def reset(self) -> None:
        """Rebuild the lesson with the current hyperparameters (pending structural changes apply);
        the history starts afresh.  If the build fails the previous lesson and its data are kept.
        Resets coalesce: while a rebuild is queued and not started, another reset joins it (the build
        reads the settings when it starts), so 200 presses of Reset build at most twice."""
        self._running.clear()
        with self._lock:
            self._steps_pending = 0
            if self._build_queued:
                return
            self._build_queued = True
        self._submit(self._build)

    def set_param(self, name: str, value: Any, apply_now: bool = True) -> bool:
        """Set a hyperparameter.  Live ones apply before the next step and leave a marker; structural
        ones wait for :meth:`reset`.  ``apply_now=False`` keeps a live value for the next reset only
        (a narrative step that rebuilds the lesson).  Returns True if a reset is needed for it to take
        effect.

        Raises HyperparameterError for unknown names or invalid values (nothing changes then)."""
        spec = self.hp.spec(name)
        v = self.hp.set(name, value)
        if spec.live and apply_now:
            self._submit(lambda: self._apply_live(name, v))
            return False
        return self.needs_reset()

    def call(self, fn: Callable[[Lesson], Any]) -> None:
        """Run ``fn(lesson)`` on the worker thread between steps (e.g. choose the sample a view shows),
        then refresh the snapshot."""
        def run() -> None:
            if self.lesson is not None:
                fn(self.lesson)
                self._snapshot_wanted = True
        self._submit(run)

    def pause_after_step(self, message: str) -> None:
        """Pause after the step under way, as a lesson's ``LessonContext.request_pause`` does, and emit
        ``message`` as a notice.  Any thread, the worker's own included (under torchrun the processes agree
        inside a metric flush to stop after that same step)."""
        self._pause_request = message

    def request_snapshot(self) -> None:
        """Ask for a fresh snapshot even while paused."""
        self._snapshot_wanted = True
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the worker and wait up to ``timeout`` seconds; True if it ended."""
        self._stop.set()
        self._running.clear()
        self._wake.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until queued commands and pending steps are done (for the CLI and tests, never the GUI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_idle():
                return True
            time.sleep(0.005)
        return False

    def is_idle(self) -> bool:
        """No command queued, no step pending, not playing, and the worker is waiting."""
        with self._lock:
            return (not self._commands and self._steps_pending == 0 and self._idle.is_set()
                    and not self._running.is_set())

    # ---- reading (any thread) ---------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def running(self) -> bool:
        """True while the worker trains: playing, or steps pending from :meth:`step`."""
        return self._running.is_set() or self._steps_pending > 0

    def steps_per_second(self) -> float:
        w = list(self._rate_window)
        if len(w) < 2 or w[-1][0] - w[0][0] <= 0:
            return 0.0
        return (w[-1][1] - w[0][1]) / (w[-1][0] - w[0][0])

    @property
    def steps_per_epoch(self) -> int:
        return max(1, self.lesson.steps_per_epoch) if self.lesson else 1

    def save_checkpoint(self, path, on_done: Callable[[str | None], None] | None = None) -> None:
        """Save the lesson's weights to ``path`` on the worker (between steps).  ``on_done(error)`` is
        called on the worker with None or a message; failures are also reported as ``error`` events."""
        def save() -> str:
            from visualizer.core.checkpoint import save_checkpoint
            save_checkpoint(path, self.lesson_cls.info.id, self._built_lesson().checkpoint_state(),
                            {"step": self.step_count, "hyperparameters": self.applied.as_dict()})
            return f"Checkpoint saved to {path}"
        self._submit_file_op(save, (NotImplementedError, OSError), "Could not save the checkpoint", on_done)

    def load_checkpoint(self, path, on_done: Callable[[str | None], None] | None = None) -> None:
        """Load weights saved by :meth:`save_checkpoint` into the current lesson (same structure).
        A damaged file or one of another model is reported and the model in memory is kept."""
        from visualizer.core.checkpoint import CheckpointError

        def load() -> str:
            from visualizer.core.checkpoint import load_checkpoint
            lesson = self._built_lesson()
            state, _meta = load_checkpoint(path, self.lesson_cls.info.id)
            lesson.load_checkpoint_state(state)
            self._snapshot_wanted = True
            return f"Checkpoint loaded from {path}"
        self._submit_file_op(load, (CheckpointError, LessonConfigError, NotImplementedError),
                             "Could not load the checkpoint", on_done)

    def load_snapshot(self, path, on_done: Callable[[str | None], None] | None = None) -> None:
        """Load a lesson's pretrained snapshot (:mod:`visualizer.core.snapshots`) into the current lesson,
        through the same checks as :meth:`load_checkpoint`; the optimizer restarts afresh.  On a lesson that
        has not trained since it was built, the run continues from the snapshot's step and the history
        replays the curves of the run that made it; then the loaded model is evaluated once, so the plots
        show it at once.  A missing or damaged file, or arrays that do not fit, are reported and the model
        in memory is kept."""
        from visualizer.core.snapshots import SnapshotError

        def load() -> str:
            from visualizer.core.snapshots import load_into
            lesson = self._built_lesson()
            info = load_into(lesson, path)
            if self.step_count == 0 and not self.history.names():
                for step, metrics in info.curve_points():
                    self.history.append(step, metrics)
                self.step_count = self._flushed_through = info.steps
                if hasattr(lesson, "last_step"):     # lessons that label their pictures with the step
                    lesson.last_step = self.step_count   # of the last update (SeqTaskLesson, rnn_lm)
            val = lesson.evaluate()
            if val:
                val = dict(val, epoch=self.step_count / max(1, lesson.steps_per_epoch))
                self.history.append(self.step_count, {k: v for k, v in val.items() if math.isfinite(v)})
            self._snapshot_wanted = True
            return f"Loaded the pretrained model: {info.describe()}. Press Play to train on."
        self._submit_file_op(load, (SnapshotError, LessonConfigError, NotImplementedError),
                             "Could not load the pretrained model", on_done)

    def export_tensorboard(self, logdir, on_done: Callable[[str | None], None] | None = None) -> None:
        """Write this run as TensorBoard files into ``logdir`` on the worker (between steps): a fresh snapshot,
        the history, the settings and histograms of the weights
        (:func:`visualizer.core.tensorboard_export.export_session_to_tensorboard`).  The result is a ``notice``;
        tensorboardX missing or a folder that cannot be written is a ``config_error``; ``on_done(error)`` follows."""
        from visualizer.core.tensorboard_export import TensorBoardExportError

        def export() -> str:
            from visualizer.core.tensorboard_export import export_session_to_tensorboard
            lesson = self._built_lesson()
            self._take_snapshot()
            try:
                state = lesson.checkpoint_state()
            except NotImplementedError:
                state = None
            return export_session_to_tensorboard(self, logdir, state, status="done")
        self._submit_file_op(export, (TensorBoardExportError, NotImplementedError, OSError),
                             "Could not export to TensorBoard", on_done)

    def export_model(self, path, exporter: Callable[[Lesson, str], str],
                     on_done: Callable[[str | None], None] | None = None) -> None:
        """Export the lesson's model to ``path`` on the worker (between steps) with ``exporter(lesson, path) ->
        message`` (e.g. :func:`visualizer.torch_backend.onnx_export.export_onnx_message`; it must pickle for a
        ProcessSession: a module-level function).  Its message is a ``notice``; a ValueError, NotImplementedError,
        ImportError or OSError it raises is a ``config_error``; ``on_done(error)`` follows."""
        self._submit_file_op(lambda: exporter(self._built_lesson(), str(path)),
                             (ValueError, NotImplementedError, ImportError, OSError, LessonConfigError),
                             "Could not export the model", on_done)

    def _built_lesson(self) -> Lesson:
        """The current lesson; raises NotImplementedError if it is not built yet."""
        if self.lesson is None:
            raise NotImplementedError("the lesson is not built yet")
        return self.lesson

    def _submit_file_op(self, work: Callable[[], str], errors: tuple[type[BaseException], ...], failure: str,
                        on_done: Callable[[str | None], None] | None) -> None:
        """Run ``work`` on the worker between steps: its message goes out as a ``notice``; one of ``errors``
        as a ``config_error`` "<failure>: <error>".  ``on_done(None or the error's text)`` follows."""
        def run() -> None:
            err = None
            try:
                self._emit("notice", work())
            except errors as e:
                err = str(e)
                self._emit("config_error", f"{failure}: {e}")
            if on_done:
                on_done(err)
        self._submit(run)

    def snapshot_now(self, timeout: float = 30.0) -> Snapshot:
        """Compute a snapshot on the worker and wait for it (CLI/tests only)."""
        done = threading.Event()
        self._submit(lambda: (self._take_snapshot(), done.set()))
        done.wait(timeout)
        return self._snapshot

    # ---- worker -----------------------------------------------------------------------------------
    def _submit(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._commands.append(fn)
            self._idle.clear()
        self._wake.set()

    def _emit(self, kind: str, message: str, tb: str = "") -> None:
        self._events.append(SessionEvent(kind, message, self.step_count, tb))

    def _build(self) -> None:
        with self._lock:
            self._build_queued = False           # a reset from now on needs a build of its own
        values = self.hp.as_dict()
        self.state = "building"
        try:
            lesson = self.lesson_cls(self.lesson_cls.hyperparameters(values), _SessionContext(self))
        except (LessonConfigError, HyperparameterError) as e:
            self.state = "paused" if self.lesson is not None else "error"
            self._emit("config_error", f"Cannot build '{self.lesson_cls.info.title}' with these settings: {e}")
            return
        except Exception as e:  # a bug in the lesson: show it, keep the app and old data
            self.state = "paused" if self.lesson is not None else "error"
            self._emit("error", f"Building the lesson failed: {type(e).__name__}: {e}", traceback.format_exc())
            return
        twin, twin_engine = self._build_twin(values)
        if self.lesson is not None:
            self._close_lesson()
        self.lesson = lesson
        self.twin, self.twin_engine = twin, twin_engine
        self.history = MetricHistory(self._history_capacity)       # before applied: see LessonView._track_runs
        self.applied = self.lesson_cls.hyperparameters(values)
        self.initial_hyperparameters = dict(values)
        self.step_count = 0
        self._unflushed = 0
        self._flushed_through = 0
        self._rate_window.clear()
        self._snapshot_wanted = True
        self._run_start = 0
        self._resolve_stop()
        self.state = "paused"
        self._emit("built", f"{self.lesson_cls.info.title}: ready ({values['engine']} on {values['device']})")

    def _build_twin(self, values: dict[str, Any]) -> tuple[Lesson | None, str]:
        """The lesson on the other engine, for "Compare engines" (None when off or impossible)."""
        if not values.get("compare_engines"):
            return None, ""
        other = "torch" if values["engine"] == "numpy" else "numpy"
        twin_values = dict(values, engine=other, compare_engines=False)
        if other == "numpy":
            twin_values["device"] = "cpu"
        try:
            return self.lesson_cls(self.lesson_cls.hyperparameters(twin_values), LessonContext()), other
        except Exception as e:
            self._emit("notice", f"Engine comparison is off: the {other} twin could not be built "
                                 f"({type(e).__name__}: {e}).")
            return None, ""

    def _twin_metrics(self, metrics: dict[str, float]) -> dict[str, float]:
        """One step of the twin (flushed at once: the comparison is per step); its metrics renamed
        ``name@engine``, plus the engines' differences."""
        twin_metrics = self._step_lesson(self.twin, self.step_count)
        out = {f"{k}@{self.twin_engine}": float(v) for k, v in twin_metrics.items()}
        ga, gb = self.lesson.gradient_arrays(), self.twin.gradient_arrays()
        diffs = [relative_error(ga[k], gb[k]) for k in ga if k in gb and ga[k].shape == gb[k].shape]
        if diffs:
            out["grad_rel_diff"] = max(max(diffs), EXACT_MATCH_FLOOR)
        if "train_loss" in metrics and "train_loss" in twin_metrics:
            out["loss_abs_diff"] = max(abs(metrics["train_loss"] - twin_metrics["train_loss"]), EXACT_MATCH_FLOOR)
        return out

    def _close_lesson(self) -> None:
        if self.twin is not None:
            try:
                self.twin.close()
            except Exception:
                pass
            self.twin = None
        try:
            self.lesson.close()
        except Exception:
            self._emit("error", "Closing the lesson failed", traceback.format_exc())

    def _apply_live(self, name: str, value: Any) -> None:
        if self.lesson is None:
            return
        old = self.applied[name]
        if old == value:
            return
        try:
            self.lesson.set_live(name, value)
        except LessonConfigError as e:   # the lesson cannot apply it: keep the old value everywhere
            self.lesson.hp.set(name, old)
            self.hp.set(name, old)
            self._events.append(SessionEvent("param_rejected", f"{self.hp.spec(name).label}: {e}",
                                             self.step_count, param=(name, old)))
            return
        if self.twin is not None:
            self.twin.set_live(name, value)
        self.applied.set(name, value)
        if name not in type(self.lesson).view_params:          # a view setting is not a training event
            self.history.add_change(ParamChange(self.step_count, name, old, value))
        self._snapshot_wanted = True         # a paused lesson shows the change at once

    def _diverged(self, name: str, value: float) -> None:
        self._running.clear()
        with self._lock:
            self._steps_pending = 0
        self.state = "paused"
        self._emit("diverged",
                   f"Paused at step {self.step_count}: {name} became {value}. {self.lesson.divergence_hint()}")

    def _check_finite(self, metrics: dict[str, float]) -> bool:
        for name, value in metrics.items():
            if not math.isfinite(value):
                self._diverged(name, value)
                return False
        return True

    @staticmethod
    def _step_lesson(lesson: Lesson, step: int) -> dict[str, float]:
        """One step of ``lesson`` and its metrics flushed at once (the engine-comparison twin)."""
        lesson.train_step(step)
        return lesson.flush()

    def _flush(self) -> bool:
        """Read the lesson's metric window into the history at the current step; False if it diverged."""
        self._unflushed = 0
        self._last_flush_t = time.perf_counter()
        metrics = self.lesson.flush()
        first, self._flushed_through = self._flushed_through + 1, self.step_count
        if not metrics:
            return True
        self.history.record_training(first, self.step_count,
                                     {k: v for k, v in metrics.items() if math.isfinite(v)})
        return self._check_finite(metrics)

    def _train_one(self) -> None:
        lesson = self.lesson
        step = self.step_count + 1
        spe = max(1, lesson.steps_per_epoch)
        eval_due = step % lesson.eval_every == 0 or step % spe == 0
        lesson.train_step(step)
        # on the CPU every step is flushed (a per-step curve costs nothing there); on a GPU the window is
        # read at the redraw rate and before an evaluation, so no step waits for the host
        device = lesson.metrics_on_device and self.twin is None
        due = not device or eval_due or time.perf_counter() - self._last_flush_t >= DEVICE_FLUSH_INTERVAL
        if (every := lesson.flush_every) is not None and self.twin is None:
            due = eval_due or step % every == 0      # torchrun: a flush all-reduces, at the same steps everywhere
        metrics = lesson.flush() if due else None
        if due:
            self._last_flush_t = time.perf_counter()
        self.step_count = step
        self._unflushed = 0 if metrics is not None else self._unflushed + 1
        if metrics is None:
            self._rate_window.append((time.perf_counter(), self.step_count))
            return
        extra = self._twin_metrics(metrics) if self.twin is not None else {}
        finite = {k: v for k, v in (metrics | extra).items() if math.isfinite(v)}
        first, self._flushed_through = self._flushed_through + 1, self.step_count
        if finite:
            self.history.record_training(first, self.step_count, finite)
        if self.step_count % spe == 0:
            self.history.end_epoch(self.step_count)
        if not self._check_finite(metrics):
            return
        if eval_due:
            val = lesson.evaluate()
            if self.twin is not None:
                val = val | {f"{k}@{self.twin_engine}": float(v) for k, v in self.twin.evaluate().items()}
            val = dict(val, epoch=self.step_count / spe)
            self.history.append(self.step_count, {k: v for k, v in val.items() if math.isfinite(v)})
            self._check_finite(val)
        if self._pause_request is not None:
            message, self._pause_request = self._pause_request, None
            self._running.clear()
            with self._lock:
                self._steps_pending = 0
            self.state = "paused"
            self._emit("notice", message)
        self._rate_window.append((time.perf_counter(), self.step_count))

    # ---- run limits (worker) ------------------------------------------------------------------------
    def _set_limit(self, limit: tuple[int | None, str], tag: str, span: tuple[int | None, str] | None) -> None:
        self._limit, self._run_tag = limit, tag
        self._span = span if span is None or span[0] is not None else None
        self._run_start = self.step_count
        self._resolve_stop()

    def _resolve_stop(self) -> None:
        """The limit in steps: an epoch limit needs the built lesson's steps per epoch."""
        amount, unit = self._limit
        if amount is None or (unit == "epochs" and self.lesson is None):
            self._stop_step = None
        else:
            self._stop_step = amount * (self.steps_per_epoch if unit == "epochs" else 1)

    def _extend_limit(self) -> None:
        """Play pressed at or past the stop: the limit moves up by its span from where the run is now."""
        amount, unit = self._span or (self._limit[0] or 1, self._limit[1])
        if unit == "epochs":
            now = -(-self.step_count // self.steps_per_epoch)           # whole epochs begun
            self._set_limit((now + amount, "epochs"), "", self._span)
        else:
            self._set_limit((max(self.step_count, self._stop_step or 0) + amount, "steps"), "", self._span)

    def _stop_reached(self) -> None:
        self._running.clear()
        with self._lock:
            self._steps_pending = 0
        self.state = "paused"
        amount, unit = self._limit
        where = f"epoch {amount:,}" if unit == "epochs" else f"step {self._stop_step:,}"
        self._emit("stop_reached", f"Paused at {where}, this run's stop.")

    def _announce(self) -> None:
        """Emit a ``state`` event when running, the limit or its stop changed (called once per loop)."""
        key = (self.running, self._limit, self._run_start, self._stop_step, self._run_tag)
        if key == self._announced:
            return
        self._announced = key
        self.run_state = RunState(*key)
        self._events.append(SessionEvent("state", "running" if key[0] else "paused", self.step_count,
                                         run=self.run_state))

    def _take_snapshot(self) -> None:
        if self.lesson is None:
            return
        t0 = time.perf_counter()
        plots = self.lesson.snapshot()
        self._snapshot = Snapshot(self._snapshot.version + 1, self.step_count, plots)
        self._snapshot_cost = time.perf_counter() - t0
        self._last_snapshot_t = time.perf_counter()
        self._snapshot_wanted = False

    def _snapshot_due(self, training: bool) -> bool:
        if not self.snapshots_enabled or self.lesson is None:
            return False
        if not training:
            return self._snapshot_wanted
        # keep snapshot time within the budget: interval >= cost / budget
        interval = max(self.min_snapshot_interval, self._snapshot_cost / max(self.snapshot_budget, 1e-6))
        return time.perf_counter() - self._last_snapshot_t >= interval

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._loop_once()
            except Exception as e:
                self._running.clear()
                with self._lock:
                    self._steps_pending = 0
                self.state = "error"
                self._emit("error", f"The lesson raised {type(e).__name__} at step {self.step_count}: {e}",
                           traceback.format_exc())
            self._announce()
        self._running.clear()
        self._announce()
        if self.lesson is not None:
            self._close_lesson()
        self.state = "stopped"

    def _loop_once(self) -> None:
        with self._lock:
            cmd = self._commands.popleft() if self._commands else None
            stepping = cmd is None and self.lesson is not None and self._steps_pending > 0
            if stepping:
                self._steps_pending -= 1
            if cmd is not None or stepping or self._running.is_set():
                self._idle.clear()
        if cmd is not None:
            cmd()
            return
        if self.lesson is not None and (stepping or self._running.is_set()):
            if not stepping and self._stop_step is not None and self.step_count >= self._stop_step:
                self._extend_limit()        # Play at the stop: go on for as long again
            self.state = "running"          # an earlier error stays shown until training goes on
            t0 = time.perf_counter()
            self._train_one()
            if (self._stop_step is not None and self.step_count >= self._stop_step
                    and self._running.is_set()):
                self._stop_reached()
            self._snapshot_wanted = True
            if self._snapshot_due(True):
                self._take_snapshot()
            if self.max_steps_per_second:
                wait = 1.0 / self.max_steps_per_second - (time.perf_counter() - t0)
                if wait > 0:
                    self._wake.wait(wait)
                    self._wake.clear()
            return
        if self.state == "running":
            self.state = "paused"
        if self._unflushed and self.lesson is not None:
            self._flush()
            return
        if self._snapshot_due(False):
            self._take_snapshot()
            return
        self._idle.set()
        self._wake.wait(0.05)
        self._wake.clear()
