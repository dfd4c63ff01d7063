"""The transport bar: Play/Pause, Step, Step epoch, Reset and the speed limit.

The actions carry the shortcuts Space, S and R.  They are added to the lesson view with
``Qt.WidgetWithChildrenShortcut``, so they fire while the focus is anywhere in that lesson view; a
text box with the focus keeps its keys (Qt gives a focused QLineEdit the printable keys first).
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QStyle, QToolBar, QWidget

SPEEDS: tuple[tuple[str, float | None], ...] = (
    ("max", None), ("1000 steps/s", 1000.0), ("300 steps/s", 300.0), ("100 steps/s", 100.0),
    ("60 steps/s", 60.0), ("30 steps/s", 30.0), ("10 steps/s", 10.0), ("3 steps/s", 3.0), ("1 step/s", 1.0))


class Transport(QToolBar):
    """Toolbar with the transport actions.  Signals: ``playToggled(bool)``, ``stepRequested()``,
    ``epochRequested()``, ``resetRequested()``, ``speedChanged(limit)`` (steps/s, None = max)."""

    playToggled = Signal(bool)
    stepRequested = Signal()
    epochRequested = Signal()
    resetRequested = Signal()
    speedChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Transport", parent)
        self.setIconSize(QSize(18, 18))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)

        self.play_action = QAction(self._play_icon, "Play", self)
        self.play_action.setCheckable(True)
        self.play_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.play_action.setToolTip("Train continuously / pause (Space)")
        self.play_action.toggled.connect(self._on_play_toggled)

        self.step_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step", self)
        self.step_action.setShortcut(QKeySequence(Qt.Key.Key_S))
        self.step_action.setToolTip("Train on one mini-batch, then pause (S)")
        self.step_action.triggered.connect(self.stepRequested)

        self.epoch_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Step epoch", self)
        self.epoch_action.setToolTip("Train one pass over the training set, then pause")
        self.epoch_action.triggered.connect(self.epochRequested)

        self.reset_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Reset", self)
        self.reset_action.setShortcut(QKeySequence(Qt.Key.Key_R))
        self.reset_action.setToolTip("Rebuild the model with the current settings and start again (R)")
        self.reset_action.triggered.connect(self.resetRequested)

        for action in self.actions_with_shortcuts():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.play_action)
        self.addAction(self.step_action)
        self.addAction(self.epoch_action)
        self.addAction(self.reset_action)
        self.addSeparator()
        self.addWidget(QLabel(" Speed "))
        self.speed = QComboBox()
        self.speed.setToolTip("Upper limit on training steps per second")
        for text, _limit in SPEEDS:
            self.speed.addItem(text)
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i][1]))
        self.addWidget(self.speed)

    def actions_with_shortcuts(self) -> list[QAction]:
        """Play/Pause, Step, Step epoch and Reset, for menus and the lesson view's shortcuts."""
        return [self.play_action, self.step_action, self.epoch_action, self.reset_action]

    def _on_play_toggled(self, playing: bool) -> None:
        self._show_playing(playing)
        self.playToggled.emit(playing)

    def _show_playing(self, playing: bool) -> None:
        self.play_action.setText("Pause" if playing else "Play")
        self.play_action.setIcon(self._pause_icon if playing else self._play_icon)

    def set_playing(self, playing: bool) -> None:
        """Show the worker's state (e.g. it paused itself on divergence) without emitting."""
        if self.play_action.isChecked() != playing:
            self.play_action.blockSignals(True)
            self.play_action.setChecked(playing)
            self.play_action.blockSignals(False)
            self._show_playing(playing)

    def set_speed(self, limit: float | None) -> None:
        """Select the entry for ``limit`` steps/s (None = max); emits speedChanged."""
        for i, (_t, value) in enumerate(SPEEDS):
            if value == limit:
                self.speed.setCurrentIndex(i)
                return
        raise ValueError(f"no speed entry for {limit!r}; choose one of {[v for _t, v in SPEEDS]}")

    def set_reset_highlight(self, on: bool) -> None:
        """Emphasise Reset while structural changes wait for it."""
        font = self.reset_action.font()
        if font.bold() != on:
            font.setBold(on)
            self.reset_action.setFont(font)
