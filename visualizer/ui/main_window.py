"""The main window: lesson browser on the left, the current lesson view on the right, and the menus.

Switching lesson or closing the window stops the current lesson's worker (``session.stop(1.0)``).
The window geometry, the splitter, the last lesson, the theme and the text size are kept in QSettings;
every value read back is checked (:mod:`visualizer.ui.window_settings`, :mod:`visualizer.ui.theme`) and a
bad one gives way to the default.  The welcome page (:mod:`visualizer.ui.welcome`) opens on the first
launch when the application asks for it (:meth:`MainWindow.maybe_show_welcome`), and from Help > Welcome.
"""
from __future__ import annotations

import time
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from visualizer.core.lesson import Lesson, LessonInfo
from visualizer.ui.lesson_browser import NEXT_LESSON_KEY, PREVIOUS_LESSON_KEY, LessonBrowser
from visualizer.ui.narrative_panel import BACK_STEP_KEY, NEXT_STEP_KEY
from visualizer.ui import theme, window_settings
from visualizer.ui.lesson_view import LessonView
from visualizer.ui.run_window import OVERLAY_HZ, RunOverlay, RunWindow
from visualizer.ui.welcome import SHOW_AT_START_KEY, START_LESSON, START_PARAMS, WelcomePage

APP_TITLE = "Deep Learning Visualizer"
DISTRIBUTION = "deep-learning-visualizer"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
DEFAULT_SPLITTER = [220, 1300]          # pixels: browser, lesson (scaled to the window's width)
SHORTCUTS_HELP = """<table cellspacing=6>
<tr><td><b>Space</b></td><td>Play / pause training</td></tr>
<tr><td><b>S</b></td><td>Step: train on one mini-batch</td></tr>
<tr><td><b>R</b></td><td>Reset: rebuild the model with the current settings</td></tr>
<tr><td><b>{next_step} / {back_step}</b></td><td>Next / previous narrative step</td></tr>
<tr><td><b>{next_lesson} / {previous_lesson}</b></td><td>Next / previous lesson</td></tr>
<tr><td><b>Ctrl+E</b></td><td>Export all plots and run.json</td></tr>
<tr><td><b>Ctrl+= / Ctrl+- / Ctrl+0</b></td><td>Larger / smaller / default text</td></tr>
<tr><td><b>Ctrl+Q</b></td><td>Quit</td></tr>
</table>
<p>Space, S and R work while the focus is in the lesson (not while typing in a text box).
Right-click a plot to export or copy it.</p>""".format(next_step=NEXT_STEP_KEY, back_step=BACK_STEP_KEY,
                                                       next_lesson=NEXT_LESSON_KEY,
                                                       previous_lesson=PREVIOUS_LESSON_KEY)


def app_version() -> str:
    """The installed package's version (``importlib.metadata``); from a source tree that is not installed,
    the version in pyproject.toml; "unknown" if neither can be read."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    try:
        import tomllib                  # Python 3.11+; on 3.10 an uninstalled tree says "unknown"
        with open(PYPROJECT, "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (ImportError, OSError, KeyError, TypeError, ValueError):     # TOMLDecodeError is a ValueError
        return "unknown"


def _flag(value: Any, default: bool) -> bool:
    """A yes/no value read back from QSettings (a bool, or "true"/"false" from an INI file); ``default`` for
    anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


class MainWindow(QMainWindow):
    """The application window.

    lessons: id -> LessonInfo (default: ``registry.infos()``, which imports only the lesson packages'
    ``__init__``); a value may also be a Lesson class, which is then opened as it is (tests and benchmarks
    pass classes that are not in the registry).  A lesson listed by its info is imported
    (``registry.get``) only when it is opened.  lesson_id: the lesson to open (default: the last one
    used, else the first); settings: where geometry and the last lesson are kept (default: the
    application's QSettings; tests pass an INI file); load_errors: lesson packages that failed to import,
    name -> message (default: ``registry.load_errors()`` when ``lessons`` is listed here), shown as a
    warning in the status bar, together with lessons whose module fails to import when opened."""

    def __init__(self, lessons: Mapping[str, LessonInfo | type[Lesson]] | None = None, lesson_id: str | None = None,
                 settings: QSettings | None = None, parent: QWidget | None = None,
                 load_errors: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.discovery_error = ""
        if lessons is None:
            from visualizer.core import registry
            try:
                lessons = registry.infos()
            except Exception as e:      # a broken lessons folder: say so instead of not starting
                lessons = {}
                self.discovery_error = f"Could not list the lessons: {type(e).__name__}: {e}"
            if load_errors is None:
                load_errors = registry.load_errors()
        self.load_errors = dict(load_errors or {})
        self._classes: dict[str, type[Lesson]] = {k: v for k, v in lessons.items() if not isinstance(v, LessonInfo)}
        self.lessons: dict[str, LessonInfo] = {k: v if isinstance(v, LessonInfo) else v.info
                                               for k, v in lessons.items()}
        self.view: LessonView | None = None
        self.welcome: WelcomePage | None = None
        self.run_windows: dict[RunWindow, RunOverlay] = {}       # opened or followed runs, with their overlays
        self._overlay_timer = QTimer(self)
        self._overlay_timer.setInterval(int(1000 / OVERLAY_HZ))
        self._overlay_timer.timeout.connect(self._refresh_overlays)
        self.theme_choice = theme.checked_choice(self.settings.value(theme.THEME_KEY))
        self.font_scale = theme.checked_scale(self.settings.value(theme.FONT_SCALE_KEY, 1.0))
        theme.apply_theme(self.theme_choice)
        if self.font_scale != theme.font_scale():
            theme.apply_font_scale(self.font_scale)
        self.setWindowTitle(APP_TITLE)

        self.browser = LessonBrowser(self.lessons)
        self.browser.lessonChosen.connect(self.open_lesson)
        self.container = QWidget()
        self._container_layout = QVBoxLayout(self.container)
        self._container_layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel(self.discovery_error or "No lessons found: add a package under lessons/ "
                                                          "that declares INFO.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self._container_layout.addWidget(self.placeholder)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(self.container)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)     # a pane dragged to nothing would be lost for good
        self.splitter.setSizes(DEFAULT_SPLITTER)
        self.setCentralWidget(self.splitter)
        self._build_menus()
        self.load_error_label = QLabel()
        self.load_error_label.setStyleSheet("color: #b35900;")
        self.statusBar().addPermanentWidget(self.load_error_label)
        self._show_load_errors()

        self._restore_window()
        start = lesson_id or window_settings.text(self.settings.value("window/last_lesson"))
        if start not in self.lessons:
            start = next(iter(self.lessons), None)
        if start is not None:
            self.open_lesson(start)

    def _restore_window(self) -> None:
        """Geometry and splitter from the settings, each checked; the defaults for anything bad."""
        if not window_settings.restore_geometry(self, self.settings.value("window/geometry")):
            screen = self.screen().availableGeometry()
            self.setWindowState(Qt.WindowState.WindowNoState)
            self.resize(min(1500, int(screen.width() * 0.95)), min(950, int(screen.height() * 0.92)))
            self.move(screen.center() - self.rect().center())
        sizes = window_settings.splitter_sizes(self.settings.value("window/splitter"))
        self.splitter.setSizes(sizes or DEFAULT_SPLITTER)

    def _show_load_errors(self) -> None:
        """Name the lessons that failed to import in the status bar (hidden when there are none)."""
        self.load_error_label.setVisible(bool(self.load_errors))
        self.load_error_label.setText(f"⚠ Not loaded: {', '.join(self.load_errors)}")
        self.load_error_label.setToolTip("These lessons failed to import:\n" + "\n".join(
            f"{name}: {message}" for name, message in self.load_errors.items()))

    # ---- menus ------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.export_all_action = file_menu.addAction("Export all…", self.export_all_interactively)
        self.export_all_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_plot_menu = file_menu.addMenu("Export plot")
        self.export_tensorboard_action = file_menu.addAction("Export to TensorBoard…",
                                                             self.export_tensorboard_interactively)
        self.export_onnx_action = file_menu.addAction("Export model (ONNX)…", self.export_onnx_interactively)
        file_menu.addSeparator()
        self.open_run_action = file_menu.addAction("Open run…", lambda: self.open_run_interactively(follow=False))
        self.open_run_action.setShortcut(QKeySequence("Ctrl+O"))
        self.follow_run_action = file_menu.addAction("Follow run…", lambda: self.open_run_interactively(follow=True))
        self.follow_run_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        file_menu.addSeparator()
        self.save_weights_action = file_menu.addAction("Save weights…", self.save_weights_interactively)
        self.load_weights_action = file_menu.addAction("Load weights…", self.load_weights_interactively)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.lesson_menu = bar.addMenu("&Lesson")
        go_menu = bar.addMenu("&Go")
        self.next_step_action = go_menu.addAction("Next step", self.next_step)
        self.next_step_action.setShortcut(QKeySequence(NEXT_STEP_KEY))
        self.back_step_action = go_menu.addAction("Previous step", self.previous_step)
        self.back_step_action.setShortcut(QKeySequence(BACK_STEP_KEY))
        go_menu.addSeparator()
        self.next_lesson_action = go_menu.addAction("Next lesson", lambda: self.next_lesson(1))
        self.next_lesson_action.setShortcut(QKeySequence(NEXT_LESSON_KEY))
        self.previous_lesson_action = go_menu.addAction("Previous lesson", lambda: self.next_lesson(-1))
        self.previous_lesson_action.setShortcut(QKeySequence(PREVIOUS_LESSON_KEY))
        self._build_view_menu(bar.addMenu("&View"))
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("Welcome", self.show_welcome)
        help_menu.addAction("Keyboard shortcuts", self.show_shortcuts)
        help_menu.addAction("About", self.show_about)
        self._lesson_dependent = [self.export_all_action, self.save_weights_action, self.load_weights_action,
                                  self.export_tensorboard_action]
        self.export_onnx_action.setEnabled(False)       # a torch lesson enables it (open_lesson)
        for action in self._lesson_dependent:
            action.setEnabled(False)

    def _build_view_menu(self, view_menu) -> None:
        """Theme (System / Light / Dark, one checked) and text size (larger, smaller, default)."""
        theme_menu = view_menu.addMenu("Theme")
        self.theme_group = QActionGroup(self)
        self.theme_actions = {}
        for choice in theme.THEME_CHOICES:
            label = "System (follow the desktop)" if choice == "system" else choice.capitalize()
            action = theme_menu.addAction(label, lambda c=choice: self.set_theme(c))
            action.setCheckable(True)
            action.setChecked(choice == self.theme_choice)
            self.theme_group.addAction(action)
            self.theme_actions[choice] = action
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):            # Qt 6.5+: follow the desktop while "system"
            hints.colorSchemeChanged.connect(self._system_scheme_changed)
        view_menu.addSeparator()
        self.larger_text_action = view_menu.addAction("Larger text", lambda: self.change_font_scale(+1))
        self.larger_text_action.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        self.smaller_text_action = view_menu.addAction("Smaller text", lambda: self.change_font_scale(-1))
        self.smaller_text_action.setShortcut(QKeySequence("Ctrl+-"))
        self.reset_text_action = view_menu.addAction("Default text size", lambda: self.change_font_scale(0))
        self.reset_text_action.setShortcut(QKeySequence("Ctrl+0"))

    # ---- theme and text size ----------------------------------------------------------------------
    def set_theme(self, choice: str) -> theme.Theme:
        """Use theme ``choice`` (system, light or dark) for the window and every open plot, and remember it.
        An unknown choice means system.  Returns the Theme in use."""
        self.theme_choice = theme.checked_choice(choice)
        self.settings.setValue(theme.THEME_KEY, self.theme_choice)
        self.theme_actions[self.theme_choice].setChecked(True)
        return theme.apply_theme(self.theme_choice)

    def _system_scheme_changed(self, *_args) -> None:
        if self.theme_choice == "system":
            theme.apply_theme("system")

    def change_font_scale(self, direction: int) -> float:
        """Larger (direction > 0), smaller (< 0) or default (0) text for the whole window, plots included;
        remembered.  Returns the scale in use (clamped to theme.FONT_SCALE_MIN..FONT_SCALE_MAX)."""
        if direction == 0:
            scale = 1.0
        else:
            scale = self.font_scale * (theme.FONT_SCALE_STEP if direction > 0 else 1 / theme.FONT_SCALE_STEP)
        self.font_scale = theme.apply_font_scale(round(scale, 4))
        self.settings.setValue(theme.FONT_SCALE_KEY, self.font_scale)
        return self.font_scale

    def _fill_lesson_menus(self) -> None:
        self.lesson_menu.clear()
        self.export_plot_menu.clear()
        view = self.view
        if view is None:
            return
        for action in view.transport.actions_with_shortcuts():
            self.lesson_menu.addAction(action)
        for spec in view.lesson_cls.all_plots():
            self.export_plot_menu.addAction(f"{spec.title}…", lambda pid=spec.id: self.export_plot_interactively(pid))

    # ---- lessons ----------------------------------------------------------------------------------
    def open_lesson(self, lesson_id: str, values: Mapping[str, Any] | None = None) -> LessonView | None:
        """Show ``lesson_id`` (stopping the current lesson's worker first), starting from the hyperparameter
        ``values`` if given (they win over the first narrative step's).  If the lesson is already open,
        ``values`` are applied to it (a structural change resets it).  Unknown ids are ignored with a status
        message."""
        if self.view is not None and self.view.lesson_cls.info.id == lesson_id:
            for name, value in (values or {}).items():
                self.view.apply_param(name, value)
            if values and self.view.session.needs_reset():
                self.view.reset()
            return self.view
        if lesson_id not in self.lessons:
            self.statusBar().showMessage(f"No lesson called {lesson_id!r}", 5000)
            return None
        cls = self.lesson_class(lesson_id)
        if cls is None:
            return None
        self.close_lesson()
        self.placeholder.hide()
        self.view = LessonView(cls, values)
        for plot_view in self.view.views.values():
            plot_view.settings = self.settings          # remember the export folder in our settings
        theme.restyle(self.view)                        # its plots take the theme and the text size
        self._container_layout.addWidget(self.view)
        self.browser.select(lesson_id)
        self.settings.setValue("window/last_lesson", lesson_id)
        self.setWindowTitle(f"{cls.info.title} — {APP_TITLE}")
        self._fill_lesson_menus()
        for action in self._lesson_dependent:
            action.setEnabled(True)
        self.export_onnx_action.setEnabled("torch" in cls.info.engines)
        self.view.setFocus()
        return self.view

    def next_step(self) -> bool:
        """Go to the current lesson's next narrative step (Go menu); False at the last step."""
        return self.view is not None and self.view.narrative.go_next()

    def previous_step(self) -> bool:
        """Go to the current lesson's previous narrative step (Go menu); False at the first step."""
        return self.view is not None and self.view.narrative.go_back()

    def next_lesson(self, offset: int = 1) -> LessonView | None:
        """Open the lesson ``offset`` places after the current one in the browser (before it when
        negative); nothing happens past the first or the last lesson."""
        current = self.view.lesson_cls.info.id if self.view is not None else None
        lesson_id = self.browser.neighbour(current, offset)
        return self.open_lesson(lesson_id) if lesson_id is not None else None

    def lesson_class(self, lesson_id: str) -> type[Lesson] | None:
        """The class of a listed lesson, imported now if it was listed by its info (``registry.get``).  A
        lesson whose module fails to import is named in the status bar and returns None."""
        cls = self._classes.get(lesson_id)
        if cls is not None:
            return cls
        from visualizer.core import registry
        try:
            cls = registry.get(lesson_id)
        except Exception as e:      # one broken lesson must not take the window down
            self.load_errors[lesson_id] = f"{type(e).__name__}: {e}"
            self._show_load_errors()
            self.statusBar().showMessage(f"The lesson {lesson_id!r} could not be loaded: {type(e).__name__}: {e}")
            return None
        self._classes[lesson_id] = cls
        return cls

    def close_lesson(self) -> bool:
        """Stop and remove the current lesson view.  True if its worker ended within 1 s."""
        view, self.view = self.view, None
        if view is None:
            return True
        ended = view.shutdown()
        self._container_layout.removeWidget(view)
        view.hide()
        view.deleteLater()
        self._fill_lesson_menus()
        for action in self._lesson_dependent:
            action.setEnabled(False)
        self.export_onnx_action.setEnabled(False)
        return ended

    def save_settings(self) -> None:
        """Keep the geometry, the splitter and the lesson; a splitter with a collapsed pane is not kept
        (the default comes back next time)."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        if window_settings.sane_sizes(self.splitter.sizes()):
            self.settings.setValue("window/splitter", self.splitter.saveState())
        else:
            self.settings.remove("window/splitter")
        if self.view is not None:
            self.settings.setValue("window/last_lesson", self.view.lesson_cls.info.id)
        self.settings.sync()

    def closeEvent(self, event) -> None:
        self.save_settings()
        for window in list(self.run_windows):
            window.close()
        self.close_lesson()
        super().closeEvent(event)

    # ---- runs read from a run directory -----------------------------------------------------------
    def open_run_interactively(self, follow: bool) -> RunWindow | None:
        """Ask for a run directory (written by a run with ``--run-dir``) and open it in a window of its own."""
        title = "Follow a run in progress: its run directory" if follow else "Open a run: its run directory"
        folder = QFileDialog.getExistingDirectory(self, title, window_settings.folder(
            self.settings.value("runs/last_dir"), str(Path.home())))
        if not folder:
            return None
        self.settings.setValue("runs/last_dir", str(Path(folder).parent))
        return self.open_run(folder, follow)

    def open_run(self, folder: Path | str, follow: bool = True) -> RunWindow | None:
        """Open run directory ``folder`` in a :class:`RunWindow` (``follow``: a run in progress; both read the
        folder the same way).  A folder that is not a readable run (another schema version, an unknown lesson,
        not a run directory, not answering within 3 s) is explained in a message box and None returned.  While
        the window is open, the run's curves join the earlier runs of the same lesson in this window."""
        from visualizer.core.run_follow import RunFollowError, read_run_info_within

        title = "Follow run" if follow else "Open run"
        for window in self.run_windows:                 # already open: show it
            if window.info.path == Path(folder):
                window.raise_()
                window.activateWindow()
                return window
        try:
            info = read_run_info_within(folder, timeout=3.0)
        except RunFollowError as e:
            QMessageBox.warning(self, title, str(e))
            return None
        cls = self.lesson_class(info.lesson_id)
        if cls is None:
            QMessageBox.warning(self, title, f"The lesson {info.lesson_id!r} of this run could not be loaded: "
                                             f"{self.load_errors.get(info.lesson_id, 'see the status bar')}")
            return None
        window = RunWindow(info, cls, follow=follow, settings=self.settings, parent=self)
        self.run_windows[window] = RunOverlay(window)
        window.closed.connect(lambda w=window: self._run_window_closed(w))
        window.show()
        window.raise_()
        self._overlay_timer.start()
        return window

    def _run_window_closed(self, window: RunWindow) -> None:
        overlay = self.run_windows.pop(window, None)
        if overlay is not None and overlay.view is not None and overlay.view is self.view:
            overlay.remove()
        if not self.run_windows:
            self._overlay_timer.stop()
        window.deleteLater()

    def _refresh_overlays(self) -> None:
        """Each open run's curves among the current lesson's earlier runs (if it is the run's lesson)."""
        for overlay in self.run_windows.values():
            overlay.update(self.view)

    # ---- export and weights -----------------------------------------------------------------------
    def _last_dir(self) -> str:
        """The folder of the last export or checkpoint, if it still exists; else the home folder."""
        return window_settings.folder(self.settings.value("export/last_dir"), str(Path.home()))

    def export_all_interactively(self) -> None:
        """Ask for a folder and export every plot and run.json into it; the result shows in a banner."""
        if self.view is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Export all plots and run.json into…", self._last_dir())
        if not folder:
            return
        self.settings.setValue("export/last_dir", folder)
        self.view.export_all(folder)

    def export_plot_interactively(self, plot_id: str) -> None:
        """Ask for a file (its type from the chosen filter or extension) and export one plot."""
        if self.view is None or plot_id not in self.view.views:
            return
        view = self.view.views[plot_id]
        filters = {"PNG image (*.png)": "png", "SVG vector image (*.svg)": "svg", "CSV table (*.csv)": "csv"}
        path, chosen = QFileDialog.getSaveFileName(self, f"Export '{view.spec.title}'",
                                                   str(Path(self._last_dir()) / f"{plot_id}.png"), ";;".join(filters))
        if not path:
            return
        suffix = Path(path).suffix.lower().lstrip(".")
        fmt = suffix if suffix in ("png", "svg", "csv") else filters.get(chosen, "png")
        if suffix != fmt:
            path += f".{fmt}"
        self.settings.setValue("export/last_dir", str(Path(path).parent))
        view.export_to(fmt, path)

    def export_tensorboard_interactively(self, folder: str | None = None) -> Path | None:
        """Ask for a folder (or use ``folder``) and write the run as TensorBoard files into a new sub-folder
        ``<lesson>-<date>-<time>`` of it (TensorBoard shows each sub-folder as a run), in the training process
        (:meth:`TrainingSession.export_tensorboard`); the result or the error shows in the lesson's message area.
        Returns the sub-folder (None if no folder was chosen)."""
        if self.view is None:
            return None
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Export the run to TensorBoard into…", self._last_dir())
        if not folder:
            return None
        self.settings.setValue("export/last_dir", folder)
        run = Path(folder) / f"{self.view.lesson_cls.info.id}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.view.session.export_tensorboard(run)          # the result arrives as a notice or error event
        self.statusBar().showMessage(f"Exporting to TensorBoard in {run}…", 5000)
        return run

    def export_onnx_interactively(self, path: str | None = None) -> None:
        """Ask for a file (or use ``path``) and export the torch lesson's model there as ONNX, in the training
        process (:func:`visualizer.torch_backend.onnx_export.export_onnx_message`, which names the module it
        exported); the result or the error shows in the lesson's message area."""
        if self.view is None:
            return
        lesson_id = self.view.lesson_cls.info.id
        if self.view.session.applied["engine"] != "torch":
            self.view.messages.add("error", "Export model (ONNX) needs the PyTorch engine: set Engine to torch "
                                            "and press Reset first.")
            return
        if path is None:
            suggested = str(Path(self._last_dir()) / f"{lesson_id}.onnx")
            path, _ = QFileDialog.getSaveFileName(self, "Export model (ONNX)", suggested, "ONNX model (*.onnx)")
        if not path:
            return
        if Path(path).suffix.lower() != ".onnx":
            path += ".onnx"
        self.settings.setValue("export/last_dir", str(Path(path).parent))
        from visualizer.torch_backend.onnx_export import export_onnx_message     # torch: in the training process
        self.view.session.export_model(path, export_onnx_message)
        self.statusBar().showMessage(f"Exporting the model to {path} (a few seconds)…", 8000)

    def save_weights_interactively(self) -> None:
        if self.view is None:
            return
        lesson_id = self.view.lesson_cls.info.id
        path, _ = QFileDialog.getSaveFileName(self, "Save weights", str(Path(self._last_dir()) / f"{lesson_id}.npz"),
                                              "Checkpoint (*.npz)")
        if path:
            self.view.session.save_checkpoint(path)        # the result arrives as a notice or error event

    def load_weights_interactively(self) -> None:
        if self.view is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Load weights", self._last_dir(), "Checkpoint (*.npz)")
        if path:
            self.view.session.load_checkpoint(path)

    # ---- welcome ----------------------------------------------------------------------------------
    def maybe_show_welcome(self) -> WelcomePage | None:
        """Show the welcome page if this is the first launch (or the user asked to see it at every start);
        the application calls this once its window is up.  Returns the page, or None."""
        if not _flag(self.settings.value(SHOW_AT_START_KEY), True):
            return None
        self.settings.setValue(SHOW_AT_START_KEY, False)    # first launch only, unless the box is unticked
        return self.show_welcome(show_at_start=False)

    def show_welcome(self, show_at_start: bool | None = None) -> WelcomePage:
        """Open the welcome page (Help > Welcome), non-modal.  Its start button opens the playground on the
        spiral (:meth:`start_playground`); its "don't show again" box is kept in the settings."""
        if show_at_start is None:
            show_at_start = _flag(self.settings.value(SHOW_AT_START_KEY), True)
        if self.welcome is not None:
            self.welcome.close()
            self.welcome.deleteLater()
        self.welcome = WelcomePage(can_start=START_LESSON in self.lessons, show_at_start=show_at_start, parent=self)
        self.welcome.startRequested.connect(self.start_playground)
        self.welcome.showAtStartChanged.connect(lambda on: self.settings.setValue(SHOW_AT_START_KEY, on))
        self.welcome.show()
        self.welcome.raise_()
        return self.welcome

    def start_playground(self) -> LessonView | None:
        """Open the playground on the spiral: at its narrative step that trains on the spiral if it has one
        (that step's settings and story), else with ``dataset = spiral``.  None if it is not installed."""
        cls = self.lesson_class(START_LESSON) if START_LESSON in self.lessons else None
        if cls is None:
            return None
        steps = tuple(cls.narrative)
        index = next((i for i, step in enumerate(steps)
                      if all(step.set_params.get(k) == v for k, v in START_PARAMS.items())), None)
        values = dict(steps[index].set_params) if index is not None else dict(START_PARAMS)
        view = self.open_lesson(START_LESSON, values)
        if view is not None and index is not None:
            view.narrative.set_step(index)
        return view

    # ---- help -------------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_HELP)

    def about_text(self) -> str:
        """The About box's HTML: the app, its version and the number of lessons."""
        count = len(self.lessons)
        return (f"<h3>{APP_TITLE}</h3><p>Version {app_version()}</p>"
                f"<p>Watch deep-learning models train live, on a from-scratch "
                f"NumPy engine or on PyTorch, while you move the knobs.</p>"
                f"<p>{count} lesson{'s' if count != 1 else ''} installed.</p>"
                f"<p>Built with PySide6, pyqtgraph and superqt.</p>")

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_TITLE}", self.about_text())
