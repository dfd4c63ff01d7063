"""The window of one run read from a run directory (File > Open run… / Follow run…), and the overlay of its
curves on the lesson open in the main window.

The run was trained elsewhere (a headless ``--run-dir`` run, a GPU server, torchrun); a
:class:`~visualizer.core.run_follow.RunFollower` reads its folder on a background thread and this window only
copies the follower's latest state on a ~30 Hz timer, so a slow or vanished mount never freezes it.  The plots
are the lesson's own views (:func:`visualizer.ui.plots.make_plot_view` in :class:`PlotFrame` s, laid out by
:func:`place_plots` like the lesson view): curves from the follower's mirror of the metric history, the others
from the latest snapshot, or from a timeline snapshot chosen with the slider ("live" at its right end follows
the latest).  Pause / Resume / Stop write ``control.json``, which the run polls; nothing else is written into
the run's folder.
"""
from __future__ import annotations

import time
import traceback
from collections import deque
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (QFileDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QScrollArea, QSlider, QVBoxLayout, QWidget)

from visualizer.core.export import ExportError, curves_data
from visualizer.core.lesson import ENGINE_COMPARISON_PLOT, Lesson
from visualizer.core.run_follow import (FollowMessage, FollowState, RunFollower, RunInfo, RunReadout, RunSnapshot,
                                        describe, format_duration)
from visualizer.ui import theme
from visualizer.ui.app import use_short_gil_switch_interval
from visualizer.ui.elided_label import ElidedLabel
from visualizer.ui.export_all import export_all
from visualizer.ui.notices import MessageArea
from visualizer.ui.plot_frame import PlotFrame, place_plots
from visualizer.ui.plots import CurvesView, PlotView, make_plot_view

REDRAW_HZ = 30
SNAPSHOT_BUDGET_S = 0.008  # a tick draws snapshot plots until it has used this long (at least one plot)
OVERLAY_HZ = 2            # how often a followed run's curves are redrawn among a lesson's earlier runs
WAITING_TEXT = "Waiting for the run's first metrics and snapshot…"


class RunWindow(QWidget):
    """One run directory, opened or followed.

    info: the run's RunInfo (:func:`visualizer.core.run_follow.read_run_info_within`); lesson_cls: its lesson
    (``registry.get(info.lesson_id)``); follower: the RunFollower to show (default: a new one on
    ``info.path``; started here, stopped when the window closes); settings: where the export folder is kept.

    Signals: ``closed()`` when the window closes (the main window then drops its overlay)."""

    closed = Signal()

    def __init__(self, info: RunInfo, lesson_cls: type[Lesson], follower: RunFollower | None = None, *,
                 follow: bool = True, settings: QSettings | None = None, parent: QWidget | None = None,
                 redraw_hz: float = REDRAW_HZ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)           # a window of its own, even with a parent
        self.info = info
        self.lesson_cls = lesson_cls
        self.follow = follow
        self.settings = settings
        self.follower = follower if follower is not None else RunFollower(info.path, info)
        self._labels = {p.name: p.label for p in lesson_cls.all_params()}
        self._closed = False
        self.tick_durations: deque[float] = deque(maxlen=1000)
        self.shown_step = -1                  # the last metrics step the curves were drawn with (for the benchmark)
        self.shown_t: float | None = None
        self._state = FollowState(info=info)
        self._paused = False
        self._history_drawn: dict[str, tuple[int, int | None]] = {}
        self._snapshot_drawn: dict[str, RunSnapshot] = {}
        self._failed_plots: set[str] = set()
        self._timeline_steps: tuple[int, ...] = ()
        self._scrub_step: int | None = None      # the timeline step shown; None: live
        self._header_cache: dict[str, str] = {}
        self._shown: list[str] = []
        self.setWindowTitle(f"{'Following' if follow else 'Run'}: {info.path.name} — {info.title}")

        # ---- header -------------------------------------------------------------------------------
        self.title_label = QLabel(info.title)
        self.title_label.setStyleSheet("font-weight: bold;")
        self.folder_label = ElidedLabel(str(info.path))
        self.folder_label.set_detail("The run directory this window reads")
        self.header_fields: dict[str, QLabel] = {}
        head = QHBoxLayout()
        head.setSpacing(10)
        head.addWidget(self.title_label)
        head.addWidget(self.folder_label, 1)
        for name, tip in (("status", "What run.json says, and whether the folder answers"),
                          ("step", "The last step in metrics.jsonl, of the steps asked for"),
                          ("lag", "Seconds since the run's last line or heartbeat"),
                          ("world", "Processes training this run (torchrun's world size)")):
            label = QLabel()
            label.setToolTip(tip)
            self.header_fields[name] = label
            head.addWidget(label)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Ask the run to pause after its current step (through control.json)")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Ask a paused run to go on")
        self.stop_button = QPushButton("Stop…")
        self.stop_button.setToolTip("Ask the run to stop: it ends and keeps what it wrote")
        self.export_button = QPushButton("Export all…")
        self.export_button.setToolTip("Save every plot (PNG, SVG, CSV) and run.json into a folder")
        for button in (self.pause_button, self.resume_button, self.stop_button, self.export_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            head.addWidget(button)
        self.pause_button.clicked.connect(lambda: self.send("pause"))
        self.resume_button.clicked.connect(lambda: self.send("resume"))
        self.stop_button.clicked.connect(lambda: self.stop_run())
        self.export_button.clicked.connect(self.export_all_interactively)
        self.messages = MessageArea()

        # ---- plots --------------------------------------------------------------------------------
        hyperparameters = info.config.get("hyperparameters")
        compare = isinstance(hyperparameters, dict) and bool(hyperparameters.get("compare_engines"))
        self.plot_specs = tuple(s for s in lesson_cls.all_plots() if s.id != ENGINE_COMPARISON_PLOT.id or compare)
        self.views: dict[str, PlotView] = {}
        self.frames: dict[str, PlotFrame] = {}
        for spec in self.plot_specs:
            view = make_plot_view(spec, lesson_cls)
            view.settings = settings
            view.message.connect(self._on_plot_message)
            if isinstance(view, CurvesView):
                view.hovered.connect(self._link_crosshair)
            self.views[spec.id] = view
            frame = PlotFrame(view)
            frame.hide()
            self.frames[spec.id] = frame
        self.plot_area = QWidget()
        self.plot_grid = QGridLayout(self.plot_area)
        self.plot_grid.setContentsMargins(2, 2, 2, 2)
        self.plot_grid.setSpacing(8)
        self.waiting = QLabel(WAITING_TEXT)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_grid.addWidget(self.waiting, 0, 0)
        self.plot_scroll = QScrollArea()
        self.plot_scroll.setWidgetResizable(True)
        self.plot_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.plot_scroll.setWidget(self.plot_area)

        # ---- timeline -----------------------------------------------------------------------------
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setRange(0, 0)
        self.timeline.setToolTip("Scrub through the snapshots the run kept; the right end follows the latest")
        self.timeline.setFocusPolicy(Qt.FocusPolicy.StrongFocus)      # arrow keys step through it once clicked
        self.timeline.valueChanged.connect(self._on_timeline_moved)
        self.timeline_label = QLabel("live")
        self.timeline_label.setMinimumWidth(self.timeline_label.fontMetrics().horizontalAdvance(
            "step 000,000,000 · 00 min 00 s (loading…)"))
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Show the latest snapshot and follow it")
        self.live_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.live_button.clicked.connect(self.go_live)
        timeline_row = QHBoxLayout()
        timeline_row.addWidget(QLabel("Timeline"))
        timeline_row.addWidget(self.timeline, 1)
        timeline_row.addWidget(self.timeline_label)
        timeline_row.addWidget(self.live_button)

        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        root.setSpacing(4)
        root.addLayout(head)
        root.addWidget(self.messages)
        root.addWidget(self.plot_scroll, 1)
        root.addLayout(timeline_row)
        self.resize(1400, 900)
        theme.restyle(self)

        use_short_gil_switch_interval()     # the follower's thread parses lines: paints must not queue behind it
        self.follower.start()
        self._update_header(self._state)
        self._update_buttons(self._state)
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(round(1000 / redraw_hz))))
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    # ---- commands ---------------------------------------------------------------------------------
    def send(self, command: str) -> None:
        """Ask the run to ``pause``, ``resume`` or ``stop`` (control.json, written by the follower's thread)."""
        self.follower.send_control(command)
        self.messages.add("info", f"Asking the run to {command}…", key="control")

    def stop_run(self, confirm: bool = True) -> bool:
        """Ask the run to stop, after a confirmation (``confirm``).  True if it was asked."""
        if confirm:
            answer = QMessageBox.question(
                self, "Stop the run", f"Stop the run in {self.info.path}? It ends after its current step and "
                                      "keeps everything it wrote.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.send("stop")
        return True

    def go_live(self) -> None:
        """Move the timeline to its right end: the plots follow the latest snapshot."""
        self.timeline.setValue(self.timeline.maximum())

    def scrub_to(self, index: int) -> None:
        """Show timeline snapshot ``index`` (0 = the oldest kept; ``len`` = live)."""
        self.timeline.setValue(index)

    @property
    def live(self) -> bool:
        return self._scrub_step is None

    def readout(self) -> RunReadout:
        """The run as the export code reads a session: curves from the mirror, the snapshot on show."""
        return RunReadout(self.lesson_cls, self.follower, self._shown_snapshot)

    def export_all(self, folder: Path | str) -> list[Path]:
        """Export every plot with data (PNG, SVG, CSV) and run.json into ``folder``; the result or the error is
        shown as a notice.  Returns the paths written ([] on failure)."""
        try:
            paths = export_all(self.readout(), folder, self.views)
        except ExportError as e:
            self.messages.add("error", f"Export failed: {e.strerror or e}")
            return []
        self.messages.add("success", f"Exported {len(paths)} files to {folder}")
        return paths

    def export_all_interactively(self) -> None:
        start = str(Path.home())
        if self.settings is not None and self.settings.value("export/last_dir"):
            start = str(self.settings.value("export/last_dir"))
        folder = QFileDialog.getExistingDirectory(self, "Export all plots and run.json into…", start)
        if folder:
            if self.settings is not None:
                self.settings.setValue("export/last_dir", folder)
            self.export_all(folder)

    def shutdown(self) -> bool:
        """Stop the timer and the follower (waits at most 0.5 s: a thread stuck on a dead mount is let go).
        True if the follower's thread ended."""
        if self._closed:
            return not self.follower.alive
        self._closed = True
        self.timer.stop()
        return self.follower.stop(0.5)

    def closeEvent(self, event) -> None:                       # noqa: N802 (Qt's name)
        self.shutdown()
        self.closed.emit()
        super().closeEvent(event)

    # ---- the timer --------------------------------------------------------------------------------
    def tick(self) -> None:
        """Copy the follower's state and redraw what changed.  Never touches the disk."""
        t0 = time.perf_counter()
        for message in self.follower.messages():
            self._show_message(message)
        st = self._state = self.follower.state()
        self._update_timeline(st)
        self._update_plots_shown(st)
        self._redraw(st)
        self._update_header(st)
        self._update_buttons(st)
        self.tick_durations.append(time.perf_counter() - t0)

    def _show_message(self, m: FollowMessage) -> None:
        if m.withdraw:
            self.messages.withdraw(m.key)
            return
        if m.event is not None and m.event.get("kind") == "control":
            text = m.event.get("message", "").lower()
            if "resum" in text:
                self._paused = False
            elif "paus" in text:
                self._paused = True
        self.messages.add(m.level, m.text, key=m.key)

    def _update_header(self, st: FollowState) -> None:
        fields = dict(describe(st))
        if st.info is not None and st.info.running and self._paused and not st.problem:
            fields["status"] += " · paused"
        for name, text in fields.items():
            if self._header_cache.get(name) != text:
                self._header_cache[name] = text
                self.header_fields[name].setText(text)

    def _update_buttons(self, st: FollowState) -> None:
        running = st.info is not None and st.info.running
        self.pause_button.setEnabled(running and not self._paused)
        self.resume_button.setEnabled(running and self._paused)
        self.stop_button.setEnabled(running)
        for button in (self.pause_button, self.resume_button, self.stop_button):
            button.setVisible(running)

    # ---- the timeline -----------------------------------------------------------------------------
    def _update_timeline(self, st: FollowState) -> None:
        steps = tuple(e.step for e in st.timeline)
        if steps != self._timeline_steps:
            self._timeline_steps = steps
            self.timeline.blockSignals(True)
            self.timeline.setRange(0, len(steps))
            if self._scrub_step is None:
                self.timeline.setValue(len(steps))
            else:                                       # the writer thins its timeline: stay at the same step
                self.timeline.setValue(max(0, sum(1 for s in steps if s <= self._scrub_step) - 1))
            self.timeline.blockSignals(False)
        self._update_timeline_label(st)

    def _on_timeline_moved(self, index: int) -> None:
        steps = self._timeline_steps
        self._scrub_step = steps[index] if 0 <= index < len(steps) else None
        if self._scrub_step is not None:
            self.follower.request_snapshot(self._scrub_step)
        for view in self.views.values():
            if isinstance(view, CurvesView):
                view.set_crosshair(self._scrub_step)
        self._update_timeline_label(self._state)

    def _update_timeline_label(self, st: FollowState) -> None:
        if self._scrub_step is None:
            snap = st.snapshot
            text = "live" + (f" · step {snap.step:,}" if snap is not None else "")
        else:
            entry = next((e for e in st.timeline if e.step == self._scrub_step), None)
            started = st.info.started if st.info is not None else None
            when = "" if entry is None or started is None else f" · {format_duration(entry.mtime - started)}"
            text = f"step {self._scrub_step:,}{when}"
            if self.follower.timeline_failure(self._scrub_step):
                text += " (unreadable)"
            elif self.follower.timeline_snapshot(self._scrub_step) is None:
                text += " (loading…)"
        if self.timeline_label.text() != text:
            self.timeline_label.setText(text)
        self.live_button.setEnabled(self._scrub_step is not None)

    def _shown_snapshot(self) -> RunSnapshot | None:
        if self._scrub_step is None:
            return self._state.snapshot
        return self.follower.timeline_snapshot(self._scrub_step)

    # ---- plots ------------------------------------------------------------------------------------
    def _update_plots_shown(self, st: FollowState) -> None:
        """Show a plot once the run has data for it (curves: one of their series; others: a snapshot holding
        it), so a run never shows empty frames; plots once shown stay."""
        names = set(self.follower.history.names())
        snap = st.snapshot
        shown = [s.id for s in self.plot_specs
                 if s.id in self._shown
                 or (s.kind == "curves" and any(n.split("@")[0] in s.series for n in names))
                 or (s.kind != "curves" and snap is not None and s.id in snap.plots)]
        if shown == self._shown:
            return
        self._shown = shown
        self.waiting.setVisible(not shown)
        for pid, frame in self.frames.items():
            frame.setVisible(pid in shown)
        if shown:
            self.plot_grid.removeWidget(self.waiting)
            place_plots(self.plot_grid, [self.frames[pid] for pid in shown])

    def _on_screen(self, frame: PlotFrame) -> bool:
        return frame.isVisible() and not frame.visibleRegion().isEmpty()

    def _redraw(self, st: FollowState) -> None:
        """Curves whose history changed, then the snapshot's plots not drawn yet, one after another until the
        tick has used :data:`SNAPSHOT_BUDGET_S` (at least one per tick): a new snapshot of many heavy plots
        (a confusion matrix with its numbers, image grids) is spread over a few ticks instead of one long
        one that would stall the event loop."""
        t0 = time.perf_counter()
        history = self.follower.history
        version = history.version
        for pid in self._shown:
            spec = self.views[pid].spec
            if spec.kind != "curves" or not self._on_screen(self.frames[pid]):
                continue
            key = (version, self._scrub_step)
            if self._history_drawn.get(pid) != key:
                self._history_drawn[pid] = key
                self._draw(pid, curves_data(spec, history, self._labels))
                self.views[pid].set_crosshair(self._scrub_step)
        self.shown_step, self.shown_t = st.last_step, st.last_t
        snapshot = self._shown_snapshot()
        if snapshot is None:
            return
        drew = False
        for pid in self._shown:
            if self.views[pid].spec.kind == "curves" or pid not in snapshot.plots \
                    or self._snapshot_drawn.get(pid) is snapshot or not self._on_screen(self.frames[pid]):
                continue
            if drew and time.perf_counter() - t0 > SNAPSHOT_BUDGET_S:
                break
            self._snapshot_drawn[pid] = snapshot
            self._draw(pid, snapshot.plots[pid])
            drew = True

    def _draw(self, pid: str, data) -> None:
        try:
            self.views[pid].set_data(data)
        except Exception as e:          # data a view cannot draw must not stop the others
            if pid not in self._failed_plots:
                self._failed_plots.add(pid)
                banner = self.messages.add("error", f"The plot '{self.views[pid].spec.title}' cannot draw the "
                                                    f"run's data: {type(e).__name__}: {e}")
                banner.setToolTip(traceback.format_exc())

    def _link_crosshair(self, step) -> None:
        source = self.sender()
        for view in self.views.values():
            if isinstance(view, CurvesView) and view is not source:
                view.set_crosshair(step if step is not None else self._scrub_step)

    def _on_plot_message(self, kind: str, text: str) -> None:
        self.messages.add("error" if kind == "error" else "info", text)


class RunOverlay:
    """A run window's curves among the earlier runs of the lesson view open in the main window, while that view
    shows the same lesson: one run labelled ``Followed: <folder>`` in the view's RunList, redrawn as the run
    grows (at most :data:`OVERLAY_HZ` times a second, by the caller's timer), and taken away when the window
    closes or another lesson opens.  A user who deletes it in the run manager does not get it back for that
    view."""

    def __init__(self, window: RunWindow) -> None:
        self.window = window
        self.label = f"Followed: {window.info.path.name}"
        self.view = None
        self.number: int | None = None
        self._drawn = -1
        self._dismissed_for = None

    def update(self, view) -> None:
        """Bring the overlay up to date with the main window's current lesson ``view`` (None: no lesson)."""
        if view is not self.view:
            self.view, self.number, self._drawn, self._dismissed_for = None, None, -1, None   # the old view is gone
        if view is None or view.lesson_cls.info.id != self.window.info.lesson_id or view is self._dismissed_for:
            return
        history = self.window.follower.history
        if not history.names():
            return
        curves = {spec.id: curves_data(spec, history, self.window._labels)
                  for spec in view.plot_specs if spec.kind == "curves"} if history.version != self._drawn else None
        if self.number is None:
            self.view = view
            params = self.window.info.config.get("hyperparameters")
            run = view.runs.add(dict(params) if isinstance(params, dict) else {}, curves or {},
                                view.session.hp.as_dict())
            run.name = self.label
            self.number = run.number
        else:
            try:
                run = view.runs.get(self.number)
            except KeyError:                    # deleted in the run manager, or dropped as the oldest
                self._dismissed_for, self.number = view, None
                return
            if curves is None:
                return
            view.runs.set_curves(self.number, curves)
        self._drawn = history.version
        view.refresh_runs()

    def remove(self) -> None:
        """Take the run away from the view it was added to (call while that view is still open)."""
        view, number = self.view, self.number
        self.view, self.number = None, None
        if view is not None and number is not None:
            view.runs.delete([number])
            view.refresh_runs()
