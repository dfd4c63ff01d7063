"""The view of one lesson: narrative, controls, transport, plots, messages and status, over one
:class:`~visualizer.core.session.TrainingSession`.

Training runs on the session's worker thread; this view only sets flags on the session and polls
it.  One QTimer (``REDRAW_HZ``, about 30 Hz) drains the session's events, refreshes the status
bar and redraws the plots whose data changed since they were last drawn (the metric history's
``version`` for curves, the snapshot's ``version`` for the others), and only plots on screen.  It
never waits for the worker.  ``redraw_count`` / ``redraw_times`` record the redraws that drew
something, for the benchmarks.
"""
from __future__ import annotations

import os
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Any, Collection, Mapping

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QLabel, QScrollArea, QSplitter, QStatusBar, QVBoxLayout,
                               QWidget)

from visualizer.core.export import ExportError, curves_data
from visualizer.core.hyperparams import HyperparameterError
from visualizer.core.lesson import ENGINE_COMPARISON_PLOT, Lesson, NarrativeStep
from visualizer.core.process_session import UPDATE_HZ, ProcessSession
from visualizer.core.session import SessionEvent, TrainingSession
from visualizer.ui.app import use_short_gil_switch_interval
from visualizer.ui.export_all import export_all
from visualizer.ui.hyperparameter_panel import HyperparameterPanel
from visualizer.ui.narrative_panel import NarrativePanel
from visualizer.ui.notices import ErrorPanel, MessageArea, ProgressRow
from visualizer.ui.plot_frame import PlotFrame
from visualizer.ui.plots import CurvesView, PlotView, make_plot_view
from visualizer.ui.transport import Transport

REDRAW_HZ = 30
SNAPSHOT_BUDGET = 0.05      # fraction of training time spent computing plot snapshots (see TrainingSession)
TRAINING_MODES = ("process", "thread")


def default_training_mode() -> str:
    """``process`` (a child process per lesson: the GUI and training do not share a GIL; see
    visualizer/core/process_session.py) unless the environment variable ``DLVIS_TRAINING`` says
    ``thread`` (a worker thread in this process: no process to start, but painting and training
    share one GIL; ``benchmarks/bench_gui.py --training thread`` compares the two)."""
    mode = os.environ.get("DLVIS_TRAINING", "process").strip().lower()
    return mode if mode in TRAINING_MODES else "process"


MAX_PREVIOUS_RUNS = 6      # earlier runs whose curves stay overlaid
MAX_LABEL_CHANGES = 3      # settings named in an earlier run's legend label
STATUS_FIELDS = ("step", "epoch", "train_loss", "val_loss", "speed", "engine", "state")
VAL_LOSS_NAMES = ("val_loss",)
STOPPED_MESSAGE = ("The training process stopped, so nothing can train now. The data so far is kept and can be "
                   "exported; press Reset (R) to start a new training process.")


def run_label(number: int, old: Mapping[str, Any], new: Mapping[str, Any], ignore: Collection[str] = ()) -> str:
    """Legend label of an earlier run: ``run 2: l2=0, dropout=0.3`` names the settings the run had
    that differ from the new run's, at most ``MAX_LABEL_CHANGES`` of them (then ``+N more``), leaving out
    ``ignore`` (the lesson's view settings, which do not change a run's curves)."""
    changed = [f"{k}={_fmt_value(old[k])}" for k in old if k in new and old[k] != new[k] and k not in ignore]
    if len(changed) > MAX_LABEL_CHANGES:          # a legend entry must stay inside its plot
        changed = changed[:MAX_LABEL_CHANGES] + [f"+{len(changed) - MAX_LABEL_CHANGES} more"]
    return f"run {number}" + (f": {', '.join(changed)}" if changed else "")


def _fmt_value(v: Any) -> str:
    """A hyperparameter value for a run label: floats in 4 significant digits."""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _fmt(v: float | None) -> str:
    if v is None or v != v:
        return "–"
    return f"{v:.4g}"


class LessonView(QWidget):
    """Everything about one lesson.

    lesson_cls: the Lesson subclass; values: hyperparameters to start with (they win over the first
    narrative step's ``set_params``).  Invalid start values are reported in a banner and the
    defaults used.  training: ``process`` or ``thread`` (default: :func:`default_training_mode`).
    Call :meth:`shutdown` (or close the widget) to stop the worker.

    Signals: ``statusMessage(text)`` for transient notes (exports) the main window may show.
    """

    statusMessage = Signal(str)

    def __init__(self, lesson_cls: type[Lesson], values: Mapping[str, Any] | None = None,
                 parent: QWidget | None = None, *, redraw_hz: float | None = None,
                 training: str | None = None) -> None:
        super().__init__(parent)
        self.training = training or default_training_mode()
        if self.training not in TRAINING_MODES:
            raise ValueError(f"training must be one of {TRAINING_MODES}, not {training!r}")
        session_cls = ProcessSession if self.training == "process" else TrainingSession
        if self.training == "thread":
            use_short_gil_switch_interval()     # the redraws must not queue behind the worker's GIL slices
        self.lesson_cls = lesson_cls
        self.steps: tuple[NarrativeStep, ...] = tuple(lesson_cls.narrative)
        start = dict(self.steps[0].set_params) if self.steps else {}
        start.update(values or {})
        start_error = None
        redraw_hz = redraw_hz or max(REDRAW_HZ, lesson_cls.redraw_hz)
        options = {"snapshot_budget": lesson_cls.snapshot_budget or SNAPSHOT_BUDGET,
                   "max_snapshot_hz": lesson_cls.snapshot_hz}
        if session_cls is ProcessSession:
            options["update_hz"] = max(UPDATE_HZ, redraw_hz)
        try:
            self.session = session_cls(lesson_cls, start, **options)
        except HyperparameterError as e:
            start_error = f"Some start values were invalid, the defaults are used instead: {e}"
            self.session = session_cls(lesson_cls, **options)
        self._closed = False
        self.tick_count = 0
        self.builds = 0
        self.redraw_count = 0
        self.redraw_times: deque[float] = deque(maxlen=1000)
        self.tick_durations: deque[float] = deque(maxlen=1000)
        self.events: deque[SessionEvent] = deque(maxlen=200)
        self._drawn: dict[str, object] = {}
        self._history_drawn: dict[str, tuple[object, int]] = {}
        self._failed_plots: set[str] = set()
        self._pending: list[str] = []
        self._status_cache: dict[str, str] = {}
        self._reset_requested = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        # ---- widgets ------------------------------------------------------------------------------
        self.narrative = NarrativePanel(lesson_cls.info, self.steps)
        self.panel = HyperparameterPanel(lesson_cls.all_params(), self.session.hp.as_dict())
        self.transport = Transport()
        for action in self.transport.actions_with_shortcuts():
            self.addAction(action)      # shortcuts work with the focus anywhere in this view
        self.messages = MessageArea()
        self.progress = ProgressRow()
        self.error_panel = ErrorPanel()
        self.views: dict[str, PlotView] = {}
        self.plot_specs = lesson_cls.all_plots()
        self._step_plots: tuple[str, ...] | None = None
        self._shown_plots: list[str] = []
        self.frames: dict[str, PlotFrame] = {}
        # curves of earlier runs (after each Reset), kept overlaid and labelled with what changed
        self.previous_runs: list[tuple[str, dict[str, object]]] = []
        self._run_history = None
        self._run_params: dict[str, Any] = {}
        self._run_count = 0
        for spec in self.plot_specs:
            view = make_plot_view(spec, lesson_cls)
            view.message.connect(self._on_plot_message)
            view.paramRequested.connect(self.apply_param)
            if isinstance(view, CurvesView):                    # curves overlay earlier runs
                view.clearRunsRequested.connect(self.clear_previous_runs)
            self.views[spec.id] = view
            self.frames[spec.id] = PlotFrame(view)
        self.plot_area = QWidget()
        self.plot_grid = QGridLayout(self.plot_area)
        self.plot_grid.setContentsMargins(2, 2, 2, 2)
        self.plot_grid.setSpacing(8)
        self.plot_scroll = QScrollArea()
        self.plot_scroll.setWidgetResizable(True)
        self.plot_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.plot_scroll.setWidget(self.plot_area)
        self.status_bar = QStatusBar()
        self.status_bar.setSizeGripEnabled(False)
        self.status_fields: dict[str, QLabel] = {}
        for name in STATUS_FIELDS:
            label = QLabel()
            label.setStyleSheet("padding: 0 6px;")
            self.status_fields[name] = label
            self.status_bar.addPermanentWidget(label)
        self.status_fields["engine"].setToolTip("Engine and device the model runs on")

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.narrative)
        left.addWidget(self.panel)
        left.setStretchFactor(0, 2)
        left.setStretchFactor(1, 3)
        left.setChildrenCollapsible(False)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(4)
        right_layout.addWidget(self.transport)
        right_layout.addWidget(self.messages)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.error_panel)
        right_layout.addWidget(self.plot_scroll, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([340, 1000])
        self.splitter.setChildrenCollapsible(False)
        root = QVBoxLayout(self)
        root.setContentsMargins(4, 4, 4, 0)
        root.setSpacing(2)
        root.addWidget(self.splitter, 1)
        root.addWidget(self.status_bar)

        # ---- wiring -------------------------------------------------------------------------------
        self.panel.valueCommitted.connect(self.apply_param)
        self.panel.invalidValue.connect(lambda _name, msg: self.panel.show_error(msg))
        self.panel.resetRequested.connect(self.reset)
        self.transport.playToggled.connect(lambda on: self.play() if on else self.pause())
        self.transport.stepRequested.connect(self.step)
        self.transport.epochRequested.connect(self.step_epoch)
        self.transport.resetRequested.connect(self.reset)
        self.transport.speedChanged.connect(self.set_speed)
        self.narrative.stepChanged.connect(self.enter_step)

        self.set_visible_plots(None)
        if lesson_cls.default_speed is not None:
            self.transport.set_speed(lesson_cls.default_speed)       # emits speedChanged -> set_speed
        if start_error:
            self.messages.add("error", start_error)
        if self.steps:
            self.enter_step(0, initial=True)
        self._update_status()
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(round(1000 / redraw_hz))))
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    # ---- commands ---------------------------------------------------------------------------------
    def play(self) -> None:
        """Train continuously (on a stopped training process: say so, and Play stays Play)."""
        if not self._can_train():
            return
        self.session.play()
        self.transport.set_playing(True)

    def pause(self) -> None:
        self.session.pause()
        self.transport.set_playing(False)

    def toggle_play(self) -> None:
        self.pause() if self.session.running else self.play()

    def step(self) -> None:
        """One mini-batch, then pause."""
        self.pause()
        if self._can_train():
            self.session.step(1)

    def step_epoch(self) -> None:
        """One epoch of mini-batches, then pause."""
        self.pause()
        if self._can_train():
            self.session.step_epoch()

    def _can_train(self) -> bool:
        """True if the training process (or worker) is there to train; else False, with a banner that
        says so and how to go on (Reset starts a new one)."""
        if self.session.alive:
            return True
        self.transport.set_playing(False)
        self.messages.add("error", STOPPED_MESSAGE)
        return False

    def reset(self) -> None:
        """Rebuild the lesson with the current settings (pending structural changes apply).  Once it is
        built, the banners and the error panel of earlier problems go."""
        self.transport.set_playing(False)
        self._reset_requested = True
        self.session.reset()

    def set_speed(self, limit: float | None) -> None:
        """Limit training to ``limit`` steps per second (None: as fast as possible)."""
        self.session.max_steps_per_second = limit

    def apply_param(self, name: str, value: Any, apply_now: bool = True) -> bool:
        """Set a hyperparameter from a control or a narrative step.  Live values apply at the next
        step (``apply_now=False``: at the next Reset); structural ones wait for Reset.  An invalid
        value is shown in the panel and nothing changes.  Returns True if the value was accepted."""
        try:
            self.session.set_param(name, value, apply_now)
        except HyperparameterError as e:
            self.panel.show_error(str(e))
            if name in self.panel.controls:
                self.panel.set_value(name, self.session.hp[name])
            return False
        self.panel.clear_error()
        if name in self.panel.controls:
            self.panel.set_value(name, self.session.hp[name])
        self._sync_pending()
        return True

    def enter_step(self, index: int, initial: bool = False) -> None:
        """Apply narrative step ``index``: its parameters, locked and hidden controls, plots shown and
        training steps.  A step that changes structural parameters resets the lesson."""
        if not self.steps:
            return
        step = self.steps[index]
        if self.narrative.index != index:
            self.narrative.index = index
            self.narrative._show()
        problems = []
        live_values = []
        # Structural values first.  If they need a Reset, the live values go into the rebuilt lesson
        # (not to the old one, which might refuse a value meant for the new one, e.g. a word of a new
        # corpus); otherwise they apply at the next step as usual.
        for name, value in step.set_params.items():
            try:
                live = self.session.hp.spec(name).live
            except HyperparameterError:
                problems.append(name)
                continue
            if live:
                live_values.append((name, value))
            elif not initial and not self.apply_param(name, value):
                problems.append(name)
        rebuild = not initial and self.session.needs_reset()
        for name, value in live_values:
            if not initial and not self.apply_param(name, value, apply_now=not rebuild):
                problems.append(name)
        if rebuild:
            self.reset()
        self.panel.unlock_all()
        self.panel.show_all()
        for names, setter in ((step.lock, self.panel.set_locked), (step.hide, self.panel.set_hidden)):
            for name in names:
                try:
                    setter(name, True)
                except KeyError:
                    problems.append(name)
        for pid, settings in step.view_settings.items():        # a plot's own controls: not hyperparameters
            try:
                self.views[pid].apply_view_settings(settings)
            except (KeyError, ValueError) as e:
                problems.append(f"{pid} ({e})")
        self.set_visible_plots(step.plots)
        if problems:
            self.messages.add("warning", f"Narrative step '{step.title}' names settings this lesson does not "
                                         f"accept: {', '.join(problems)}")
        if step.run_steps > 0:
            self.session.step(step.run_steps)

    def set_visible_plots(self, ids: tuple[str, ...] | None) -> None:
        """Show only the plots in ``ids`` (all when None); the engine comparison plot shows whenever
        "Compare engines" is on."""
        self._step_plots = ids
        comparing = bool(self.session.applied.get("compare_engines"))
        self._shown_plots = [pid for pid in self.frames
                             if (pid == ENGINE_COMPARISON_PLOT.id and comparing)
                             or (pid != ENGINE_COMPARISON_PLOT.id and (ids is None or pid in ids))]
        self._layout_plots()

    def clear_previous_runs(self) -> None:
        """Forget the curves of earlier runs."""
        self.previous_runs.clear()
        for view in self.views.values():
            if isinstance(view, CurvesView):
                view.set_previous_runs([])

    def _track_runs(self) -> None:
        """When a Reset starts a new run, keep the finished run's curves (if it trained at all)."""
        history = self.session.history
        if history is self._run_history:        # the run's settings: as built, plus live changes
            self._run_params = self.session.applied.as_dict()
            return
        old, old_params = self._run_history, self._run_params
        self._run_history = history
        self._run_params = new_params = self.session.hp.as_dict()     # what the reset built from
        if old is None or not old.names():
            return
        self._run_count += 1
        label = run_label(self._run_count, old_params, new_params, self.lesson_cls.view_params)
        curves = {spec.id: curves_data(spec, old) for spec in self.plot_specs if spec.kind == "curves"}
        self.previous_runs.append((label, curves))
        del self.previous_runs[:-MAX_PREVIOUS_RUNS]
        for spec in self.plot_specs:
            view = self.views[spec.id]
            if isinstance(view, CurvesView):
                view.set_previous_runs([(lbl, c[spec.id]) for lbl, c in self.previous_runs])

    def visible_plots(self) -> list[str]:
        """Ids of the plots the current narrative step shows."""
        return list(self._shown_plots)

    def export_all(self, folder: Path | str) -> list[Path]:
        """Export every plot and run.json into ``folder``; the result or the error is shown in a
        banner.  Returns the paths written ([] on failure)."""
        try:
            paths = export_all(self.session, folder, self.views)
        except ExportError as e:
            self.messages.add("error", f"Export failed: {e.strerror or e}")
            return []
        banner = self.messages.add("success", f"Exported {len(paths)} files to {folder}")
        banner.setToolTip("\n".join(p.name for p in paths))
        self.statusMessage.emit(f"Exported {len(paths)} files to {folder}")
        return paths

    def shutdown(self) -> bool:
        """Stop the redraw timer and the worker (waits up to 1 s).  True if the worker ended."""
        if self._closed:
            return not self.session.alive
        self._closed = True
        self.timer.stop()
        return self.session.stop(1.0)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ---- layout -----------------------------------------------------------------------------------
    def _layout_plots(self) -> None:
        for frame in self.frames.values():
            self.plot_grid.removeWidget(frame)
        visible = [self.frames[pid] for pid in self._shown_plots]
        for pid, frame in self.frames.items():
            frame.setVisible(pid in self._shown_plots)
        cols = 1 if len(visible) <= 1 else 2
        for i, frame in enumerate(visible):
            self.plot_grid.addWidget(frame, i // cols, i % cols)
        for c in range(2):
            self.plot_grid.setColumnStretch(c, 1 if c < cols else 0)

    # ---- the redraw timer -------------------------------------------------------------------------
    def tick(self) -> None:
        """Drain events, refresh status and redraw changed, visible plots.  Never blocks."""
        t0 = time.perf_counter()
        self.tick_count += 1
        for event in self.session.drain_events():
            self._handle_event(event)
        self._track_runs()
        self.transport.set_playing(self.session.running)
        self._sync_pending()
        self._update_status()
        if self._redraw_plots():
            self.redraw_count += 1
            self.redraw_times.append(time.perf_counter())
        self.tick_durations.append(time.perf_counter() - t0)

    def _on_screen(self, frame: PlotFrame) -> bool:
        return frame.isVisible() and not frame.visibleRegion().isEmpty()

    def _redraw_plots(self) -> bool:
        history = self.session.history
        version = history.version
        snapshot = self.session.latest_snapshot()
        drew = False
        for spec in self.plot_specs:
            frame = self.frames[spec.id]
            if not self._on_screen(frame):
                continue
            if spec.kind == "curves":
                drawn = self._history_drawn.get(spec.id)
                if drawn is not None and drawn[0] is history and drawn[1] == version:
                    continue
                key = (history, version)
                data = curves_data(spec, history)
            else:
                data = snapshot.plots.get(spec.id)
                if data is None or self._drawn.get(spec.id) == snapshot.version:
                    continue
                key = snapshot.version
            try:
                self.views[spec.id].set_data(data)
            except Exception as e:      # a lesson handing a view bad data must not stop the others
                if spec.id not in self._failed_plots:
                    self._failed_plots.add(spec.id)
                    self.error_panel.show_error(f"The plot '{spec.title}' cannot draw its data: "
                                                f"{type(e).__name__}: {e}", traceback.format_exc())
            if spec.kind == "curves":
                self._history_drawn[spec.id] = key
            else:
                self._drawn[spec.id] = key
            drew = True
        return drew

    def _handle_event(self, event: SessionEvent) -> None:
        self.events.append(event)
        kind = event.kind
        if kind == "built":
            self.builds += 1
            self.progress.finish()
            if self.builds > 1 or self._reset_requested:     # a successful reset: earlier problems are history
                self.messages.clear(("error", "warning"))
                self.error_panel.dismiss()
            self._reset_requested = False
            self._failed_plots.clear()
            self.set_visible_plots(self._step_plots)
            self.statusMessage.emit(event.message)
            self.status_bar.showMessage(event.message, 5000)
        elif kind == "diverged":
            self.transport.set_playing(False)
            self.messages.add("warning", event.message)
        elif kind == "error":
            self.transport.set_playing(False)
            self.error_panel.show_error(event.message, event.traceback)
        elif kind == "config_error":
            self.progress.finish()
            self.messages.add("error", event.message)
        elif kind == "notice":
            self.messages.add("info", event.message)
        elif kind == "param_rejected":
            self.messages.add("error", event.message)
            if event.param is not None and event.param[0] in self.panel.controls:
                self.panel.set_value(*event.param)
        elif kind == "progress":
            self.progress.show_progress(event.message, event.fraction)

    def _sync_pending(self) -> None:
        pending = self.session.pending_structural()
        if pending != self._pending:
            self._pending = pending
            self.panel.set_pending(pending)
            self.transport.set_reset_highlight(bool(pending))

    def status_values(self) -> dict[str, str]:
        """The status bar's fields as text."""
        s = self.session
        last = s.history.last()
        # A held-out loss, else another held-out metric (val_acc, test_ppl), else nothing: a GAN has none.
        val_key = next((n for n in VAL_LOSS_NAMES if n in last), None) or next(
            (n for n in last if n.startswith(("val_", "test_"))), None)
        val_text = f"{val_key.replace('_', ' ')} {_fmt(last.get(val_key))}" if val_key else ""
        # Lessons without a train_loss (a GAN's d_loss/g_loss, an optimizer race) show their first loss.
        train_key = "train_loss" if "train_loss" in last else next(
            (n for n in last if "loss" in n and n not in VAL_LOSS_NAMES), "train_loss")
        train_name = train_key.replace("_", " ")
        applied = s.applied
        return {
            "step": f"step {s.step_count}",
            "epoch": f"epoch {s.epoch():.2f}",
            "train_loss": f"{train_name} {_fmt(last.get(train_key))}",
            "val_loss": val_text,
            "speed": f"{s.steps_per_second() if s.alive else 0.0:.0f} steps/s",      # a stopped process: none
            "engine": f"{applied['engine']} · {applied['device']}",
            "state": s.state,
        }

    def _update_status(self) -> None:
        for name, text in self.status_values().items():
            if self._status_cache.get(name) != text:
                self._status_cache[name] = text
                self.status_fields[name].setText(text)

    def _on_plot_message(self, kind: str, text: str) -> None:
        if kind == "error":
            self.messages.add("error", text)
        else:
            self.status_bar.showMessage(text, 5000)
            self.statusMessage.emit(text)
