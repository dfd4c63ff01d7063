"""The transport bar: Play/Pause, Step, Step epoch, Reset, the speed limit and where a run stops ("Run until").

Play/Pause shows what the training worker does, never what was last clicked: the lesson view calls
:meth:`Transport.set_playing` from the session's ``state`` events only.  A click (or Space) emits
``playPauseRequested``; the lesson view plays or pauses by what it last asked the session for, so two
quick presses play and pause even before the worker has answered the first.

The actions carry the shortcuts Space, S and R.  They are added to the lesson view with
``Qt.WidgetWithChildrenShortcut``, so they fire while the focus is anywhere in that lesson view; a
text box with the focus keeps its keys (Qt gives a focused QLineEdit the printable keys first).
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QSpinBox, QStyle, QToolBar, QWidget

from visualizer.core.lesson import SPEED_LIMITS

SPEEDS: tuple[tuple[str, float | None], ...] = (("max", None),) + tuple(
    (f"{limit:g} step{'s' if limit != 1 else ''}/s", limit) for limit in SPEED_LIMITS)


UNTIL_UNITS: tuple[tuple[str, str | None], ...] = (("until step", "steps"), ("until epoch", "epochs"),
                                                   ("forever", None))
MAX_UNTIL = 10_000_000


class Transport(QToolBar):
    """Toolbar with the transport actions.  Signals: ``playPauseRequested()``, ``stepRequested()``, ``epochRequested()``, ``resetRequested()``, ``speedChanged(limit)`` (steps/s,
    None = max), ``runLimitChanged(amount, unit)`` ("Run until": amount None = forever, unit "steps" or
    "epochs")."""

    playPauseRequested = Signal()
    stepRequested = Signal()
    epochRequested = Signal()
    resetRequested = Signal()
    speedChanged = Signal(object)
    runLimitChanged = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Transport", parent)
        self.setIconSize(QSize(18, 18))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)

        self.playing = False            # what the session last said (set_playing), not what was clicked
        self.play_action = QAction(self._play_icon, "Play", self)
        self.play_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.play_action.setToolTip("Train continuously / pause (Space)")
        self.play_action.triggered.connect(self.playPauseRequested)

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
        self.speed = QComboBox()            # its entries say "steps/s": no label, so all fits at 1280 px
        self.speed.setToolTip("Speed: upper limit on training steps per second")
        for text, _limit in SPEEDS:
            self.speed.addItem(text)
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i][1]))
        self.addWidget(self.speed)
        self.addSeparator()
        self.until_unit = QComboBox()
        for text, _unit in UNTIL_UNITS:
            self.until_unit.addItem(text)
        self.until_unit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.until_amount = QSpinBox()
        self.until_amount.setRange(1, MAX_UNTIL)
        self.until_amount.setGroupSeparatorShown(True)
        self.until_amount.setKeyboardTracking(False)          # typing 3000 sends 3000, not 3, 30, 300
        self.until_amount.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.until_amount.setMaximumWidth(self.until_amount.fontMetrics().horizontalAdvance("1,000,000") + 34)
        tip = ("Run until: where Play pauses by itself: at a training step, after a number of epochs, or never "
               "(forever). A narrative step that trains sets it to its own last step. Play at the stop "
               "trains on for as long again.")
        for w in (self.until_unit, self.until_amount):
            w.setToolTip(tip)
        self.until_unit.currentIndexChanged.connect(self._emit_limit)
        self.until_amount.valueChanged.connect(self._emit_limit)
        self.addWidget(self.until_unit)
        self.addWidget(self.until_amount)

    def actions_with_shortcuts(self) -> list[QAction]:
        """Play/Pause, Step, Step epoch and Reset, for menus and the lesson view's shortcuts."""
        return [self.play_action, self.step_action, self.epoch_action, self.reset_action]

    def set_playing(self, playing: bool) -> None:
        """Show whether the worker trains (from the session's ``state`` events: Play, a narrative step's
        run, a stop reached, a divergence pause, a crash); emits nothing."""
        if self.playing != playing:
            self.playing = playing
            self.play_action.setText("Pause" if playing else "Play")
            self.play_action.setIcon(self._pause_icon if playing else self._play_icon)

    def run_limit(self) -> tuple[int | None, str]:
        """The "Run until" setting: (amount, unit), amount None for forever (unit then "steps")."""
        unit = UNTIL_UNITS[self.until_unit.currentIndex()][1]
        return (None, "steps") if unit is None else (self.until_amount.value(), unit)

    def show_run_limit(self, amount: int | None, unit: str = "steps") -> None:
        """Show the session's limit (e.g. the one a narrative step set) without emitting."""
        index = 2 if amount is None else next(i for i, (_t, u) in enumerate(UNTIL_UNITS) if u == unit)
        for w in (self.until_unit, self.until_amount):
            w.blockSignals(True)
        self.until_unit.setCurrentIndex(index)
        if amount is not None:
            self.until_amount.setValue(min(int(amount), MAX_UNTIL))
        self.until_amount.setEnabled(amount is not None)
        for w in (self.until_unit, self.until_amount):
            w.blockSignals(False)

    def set_run_limit(self, amount: int | None, unit: str = "steps") -> None:
        """Choose the "Run until" setting as the user would; emits runLimitChanged."""
        self.show_run_limit(amount, unit)
        self._emit_limit()

    def _emit_limit(self, *_args) -> None:
        amount, unit = self.run_limit()
        self.until_amount.setEnabled(amount is not None)
        self.runLimitChanged.emit(amount, unit)

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
