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
from typing import Any, Mapping

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSplitter, QStatusBar, QVBoxLayout,
                               QWidget)

from visualizer.core.export import ExportError, curves_data
from visualizer.core.hyperparams import HyperparameterError
from visualizer.core.lesson import ENGINE_COMPARISON_PLOT, Lesson, NarrativeStep
from visualizer.core.process_session import UPDATE_HZ, ProcessSession
from visualizer.core.runs import RunList, run_params
from visualizer.core.session import SessionEvent, TrainingSession
from visualizer.core.snapshots import SnapshotError, read_snapshot, settings_to_apply, snapshot_caption
from visualizer.ui.app import use_short_gil_switch_interval
from visualizer.ui.export_all import export_all
from visualizer.ui.hyperparameter_panel import HyperparameterPanel
from visualizer.ui.narrative_panel import NarrativePanel
from visualizer.ui.notices import ErrorPanel, MessageArea, ProgressRow
from visualizer.ui.plot_frame import PlotFrame, place_plots
from visualizer.ui.plots import CurvesView, PlotView, make_plot_view
from visualizer.ui.runs import RunManager
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


STATUS_FIELDS = ("step", "epoch", "train_loss", "val_loss", "speed", "engine", "state")
VAL_LOSS_NAMES = ("val_loss",)
STOPPED_MESSAGE = ("The training process stopped, so nothing can train now. The data so far is kept and can be "
                   "exported; press Reset (R) to start a new training process.")


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
        self._param_labels = {p.name: p.label for p in lesson_cls.all_params()}   # markers say "Train", not "train_mode"
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
        self._narrative_tag = ""          # names the run the current narrative step started ("" : none)
        self._narrative_seen = False      # the worker has started that run (its RunState carries the tag)
        self._narrative_done: object = None     # the history the step's run finished in (its picture is ready)
        self._narrative_runs = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        # ---- widgets ------------------------------------------------------------------------------
        self.narrative = NarrativePanel(lesson_cls.info, self.steps, snapshot_caption=lambda step, short: (
            snapshot_caption(lesson_cls, step.snapshot, self.session.hp["engine"], short)))
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
        self.runs = RunList(lesson_cls.all_params(), lesson_cls.view_params,
                            comparable_by=lesson_cls.runs_comparable_by)
        self.run_manager: RunManager | None = None
        self._run_history = None
        self._run_params: dict[str, Any] = {}
        for spec in self.plot_specs:
            view = make_plot_view(spec, lesson_cls)
            view.message.connect(self._on_plot_message)
            view.paramRequested.connect(self.apply_param)
            if isinstance(view, CurvesView):                    # curves overlay earlier runs
                view.clearRunsRequested.connect(self.clear_previous_runs)
                view.runsDialogRequested.connect(self.show_run_manager)
                view.hovered.connect(self._link_crosshair)
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
        top_row = QHBoxLayout()             # notices share the transport's line: they never push the plots down
        top_row.setSpacing(8)
        top_row.addWidget(self.transport)
        top_row.addWidget(self.messages, 1)
        right_layout.addLayout(top_row)
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
        self.transport.playPauseRequested.connect(self.toggle_play)
        self.transport.stepRequested.connect(self.step)
        self.transport.epochRequested.connect(self.step_epoch)
        self.transport.resetRequested.connect(self.reset)
        self.transport.speedChanged.connect(self.set_speed)
        self.transport.runLimitChanged.connect(self.set_run_limit)
        self.narrative.stepChanged.connect(self.enter_step)
        self.narrative.skipAheadRequested.connect(self.skip_ahead)

        self.set_visible_plots(None)
        pacing = lesson_cls.pacing()             # a watchable speed and a natural stop (Lesson.pacing)
        if pacing.speed is not None:
            self.transport.set_speed(pacing.speed)                    # emits speedChanged -> set_speed
        self.transport.set_run_limit(pacing.stop, pacing.unit)        # emits runLimitChanged -> set_run_limit
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
        """Train until the "Run until" stop (on a stopped training process: say so, and Play stays Play).
        The Play/Pause button changes when the session says it trains (its ``state`` event), not here."""
        if not self._can_train():
            return
        self.session.play()

    def pause(self) -> None:
        """Pause after the current step (steps pending from Step epoch or a narrative step are dropped)."""
        self.session.pause()

    def toggle_play(self) -> None:
        """Pause if the session was last asked to train (or trains), else play."""
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
        self.messages.add("error", STOPPED_MESSAGE)
        return False

    def reset(self) -> None:
        """Rebuild the lesson with the current settings (pending structural changes apply).  Once it is
        built, the banners and the error panel of earlier problems go."""
        self._reset_requested = True
        self.panel.clear_substitutes()          # the rebuild reports its own
        self.session.reset()

    def set_speed(self, limit: float | None) -> None:
        """Limit training to ``limit`` steps per second (None: as fast as possible)."""
        self.session.max_steps_per_second = limit

    def set_run_limit(self, amount: int | None, unit: str = "steps") -> None:
        """Where Play pauses by itself: at step ``amount`` (``unit`` "steps"), after ``amount`` epochs
        ("epochs") or never (None).  The session pauses itself there, in its worker."""
        self.session.set_run_limit(amount, unit)

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
        if name == "engine":
            self.narrative.refresh_snapshot()          # the snapshot file is per engine
        return True

    def skip_ahead(self, index: int | None = None) -> bool:
        """Load the pretrained snapshot of narrative step ``index`` (the current step when None) instead of
        waiting for its training: the file is read and checked here first (a missing or damaged one is
        reported and nothing changes), the settings are set to those it was trained with, the lesson is
        rebuilt and the snapshot loaded into it through the checkpoint path of File > Load weights; the
        plots then show the trained model.  Returns True if the load was started."""
        if not self.steps:
            return False
        step = self.steps[self.narrative.index if index is None else index]
        if not step.snapshot:
            return False
        try:
            info, _weights = read_snapshot(self.lesson_cls, step.snapshot, self.session.hp["engine"])
            changes = settings_to_apply(self.lesson_cls, info, self.session.hp.as_dict())
        except SnapshotError as e:
            self.messages.add("error", str(e))
            return False
        if not self._can_train():
            return False
        for name, value in changes.items():
            self.apply_param(name, value, apply_now=False)
        self.reset()
        self.session.load_snapshot(info.path)
        self.status_bar.showMessage(f"Loading the pretrained model, {info.describe()}…", 5000)
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
        self._start_step_training(index, step)

    def _start_step_training(self, index: int, step: NarrativeStep) -> None:
        """A step that trains (``run_steps`` more, or up to ``train_until``) starts that run; the
        narrative panel follows it (see :meth:`_update_narrative_progress`)."""
        self._narrative_tag, self._narrative_seen, self._narrative_done = "", False, None
        self.narrative.clear_training()
        if step.run_steps <= 0 and step.train_until <= 0:
            return
        self._narrative_runs += 1
        self._narrative_tag = f"narrative step {index + 1} (run {self._narrative_runs})"
        if not self._can_train():
            return
        if step.run_steps > 0:
            self.session.play_until(step.run_steps, self._narrative_tag, relative=True)
        else:
            self.session.play_until(step.train_until, self._narrative_tag)

    def _update_narrative_progress(self) -> None:
        """The narrative step's training, from the session's run state and step count: "Training 1,200 /
        3,000 steps" while it runs, and a line saying the picture is ready when the stop is reached.  If
        the learner takes the run over (another "Run until", Reset) before then, the progress goes."""
        if not self._narrative_tag:
            return
        run, step_count = self.session.run_state, self.session.step_count
        if run.tag != self._narrative_tag:
            if self._narrative_seen and not (self._narrative_done is not None
                                             and self._narrative_done is self.session.history):
                self._narrative_tag = ""
                self.narrative.clear_training()
            return
        self._narrative_seen = True
        if run.reached(step_count) and not run.running:
            self._narrative_done = self.session.history
            trained = run.stop - run.start
            text = (f"✓ Ready: the model has already trained {step_count:,} steps." if trained <= 0 else
                    f"✓ Done: {trained:,} steps trained (step {run.stop:,}). The plots now show what this "
                    "step describes.")
            self.narrative.show_ready(text)
        else:
            self.narrative.show_training(step_count - run.start, run.stop - run.start, run.running)

    def set_visible_plots(self, ids: tuple[str, ...] | None) -> None:
        """Show only the plots in ``ids`` (all when None); the engine comparison plot shows whenever
        "Compare engines" is on."""
        self._step_plots = ids
        comparing = bool(self.session.applied.get("compare_engines"))
        self._shown_plots = [pid for pid in self.frames
                             if (pid == ENGINE_COMPARISON_PLOT.id and comparing)
                             or (pid != ENGINE_COMPARISON_PLOT.id and (ids is None or pid in ids))]
        self._layout_plots()

    @property
    def previous_runs(self) -> list[tuple[str, dict[str, object]]]:
        """The earlier runs shown in the curve plots: [(label, {plot id: CurvesData})], oldest first."""
        return [(r.label, r.curves) for r in self.runs.shown(self._current_params())]

    def clear_previous_runs(self) -> None:
        """Forget the curves of earlier runs."""
        self.runs.clear()
        self._show_runs()

    def set_run_visible(self, number: int, visible: bool) -> None:
        """Show or hide earlier run ``number`` in every curve plot."""
        self.runs.set_visible(number, visible)
        self._show_runs()

    def rename_run(self, number: int, name: str) -> None:
        """Name earlier run ``number`` in every legend (empty: the automatic name)."""
        self.runs.rename(number, name)
        self._show_runs()

    def delete_runs(self, numbers) -> None:
        """Forget the earlier runs numbered ``numbers`` in every curve plot."""
        self.runs.delete(numbers)
        self._show_runs()

    def show_run_manager(self) -> RunManager:
        """Open (or raise) the run manager window.  Returns it."""
        if self.run_manager is None:
            self.run_manager = RunManager(self.runs, self)
            self.run_manager.visibilityChanged.connect(self.set_run_visible)
            self.run_manager.renamed.connect(self.rename_run)
            self.run_manager.deleteRequested.connect(self.delete_runs)
        self.run_manager.refresh()
        self.run_manager.show()
        self.run_manager.raise_()
        return self.run_manager

    def refresh_runs(self) -> None:
        """Redraw the earlier runs after ``self.runs`` changed from outside (a followed run's overlay)."""
        self._show_runs()

    def _current_params(self) -> dict[str, Any]:
        """The settings the current run was built from (before the first build: the wanted ones)."""
        return self._run_params or self.session.hp.as_dict()

    def _show_runs(self) -> None:
        """Draw the shown earlier runs in every curve plot and refresh the run manager."""
        shown = self.runs.shown(self._current_params())
        for spec in self.plot_specs:
            view = self.views[spec.id]
            if isinstance(view, CurvesView):
                view.set_previous_runs([(r.label, r.curves[spec.id]) for r in shown if spec.id in r.curves],
                                       kept=len(self.runs))
        if self.run_manager is not None:
            self.run_manager.refresh()

    def _link_crosshair(self, step) -> None:
        """The mouse is at ``step`` over one curve plot (None: it left): the same step in the others."""
        source = self.sender()
        for view in self.views.values():
            if isinstance(view, CurvesView) and view is not source:
                view.set_crosshair(step)

    def _track_runs(self) -> None:
        """When a Reset starts a new run, keep the finished run's curves (if it trained at all)."""
        history = self.session.history
        if history is self._run_history:
            return
        old, built = self._run_history, self._run_params
        self._run_history = history
        self._run_params = new_params = self.session.hp.as_dict()     # what the reset built from
        if old is None or not old.names():
            return
        old_params = run_params(built, old.changes(), old.last_step())  # as built, plus its live changes
        curves = {spec.id: curves_data(spec, old, self._param_labels)
                  for spec in self.plot_specs if spec.kind == "curves"}
        self.runs.add(old_params, curves, new_params)
        self._show_runs()

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
        """Lay the plots on show out in two columns with no empty cell (:func:`place_plots`)."""
        for pid, frame in self.frames.items():
            frame.setVisible(pid in self._shown_plots)
        place_plots(self.plot_grid, [self.frames[pid] for pid in self._shown_plots])

    # ---- the redraw timer -------------------------------------------------------------------------
    def tick(self) -> None:
        """Drain events, refresh status and redraw changed, visible plots.  Never blocks."""
        t0 = time.perf_counter()
        self.tick_count += 1
        for event in self.session.drain_events():
            self._handle_event(event)
        self._track_runs()
        self._update_narrative_progress()
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
                data = curves_data(spec, history, self._param_labels)
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
                self.messages.clear(("error", "warning"), keyed=True)
                self.error_panel.dismiss()
            self._reset_requested = False
            self._failed_plots.clear()
            self.set_visible_plots(self._step_plots)
            self.statusMessage.emit(event.message)
            self.status_bar.showMessage(event.message, 5000)
        elif kind == "state" and event.run is not None:       # the only source of the Play/Pause state
            self.transport.set_playing(event.run.running)
            self.transport.show_run_limit(*event.run.limit)
        elif kind == "stop_reached":
            self.status_bar.showMessage(event.message, 8000)
            self.statusMessage.emit(event.message)
        elif kind == "diverged":
            self.messages.add("warning", event.message)
        elif kind == "error":
            self.error_panel.show_error(event.message, event.traceback)
        elif kind == "config_error":
            self.progress.finish()
            self.messages.add("error", event.message)
        elif kind == "notice":
            self.messages.add("info", event.message, key=event.key)
        elif kind == "notice_cleared":
            self.messages.withdraw(event.key)
        elif kind == "param_rejected":
            self.messages.add("error", event.message)
            if event.param is not None and event.param[0] in self.panel.controls:
                self.panel.set_value(*event.param)
        elif kind == "progress":
            self.progress.show_progress(event.message, event.fraction)
        elif kind == "substituted" and event.param is not None:
            self.panel.show_substitute(*event.param)
        elif kind == "param_synced" and event.param is not None:     # the lesson changed a setting itself
            if event.param[0] in self.panel.controls:
                self.panel.set_value(*event.param)
            self._sync_pending()

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
