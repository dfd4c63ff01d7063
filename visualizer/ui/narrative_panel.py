"""The lesson's story: one Markdown page per narrative step, with Back / Next (keys Alt+Left / Alt+Right,
bound by the main window's Go menu), for a step that trains, its progress ("Training 1,200 / 3,000
steps") and when its picture is ready, and "Skip ahead" on a step that ships a pretrained snapshot."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QStyle, QTextBrowser, QVBoxLayout,
                               QWidget)

from visualizer.core.lesson import LessonInfo, NarrativeStep

NEXT_STEP_KEY = "Alt+Right"
BACK_STEP_KEY = "Alt+Left"
# Rich text takes no palette(): a grey code background and a mid blue that read on the light and dark themes.
DOC_STYLE = ("p, li { line-height: 130%; } code { background: rgba(128, 128, 128, 0.22); } "
             "h1, h2, h3 { color: #3a76d8; }")


def _enlarge(widget: QWidget, points: float) -> None:
    """Give ``widget`` a font ``points`` larger than its default (an own font, so View > Larger text scales it)."""
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() + points)
    widget.setFont(font)


class NarrativePanel(QWidget):
    """Shows step ``index`` of ``steps``: its title, its Markdown text and "step k of n".

    ``stepChanged(index)`` is emitted when the user (or :meth:`set_step`) enters a step; the lesson
    view applies the step's parameters, locks, hidden controls, plots and training steps.  A lesson
    without narrative shows its summary and the chapter it follows.

    A step with a ``snapshot`` shows a "Skip ahead" button under its text; pressing it emits
    ``skipAheadRequested(index)`` (the lesson view loads the snapshot).  ``snapshot_caption(step)``, when
    given, returns the line under the button (``short``: "trained 1,000 steps · test accuracy 100 %"), and
    its tooltip (not short: "trained 1,000 steps by assets/snapshots/train_snapshots.py (…)")."""

    stepChanged = Signal(int)
    skipAheadRequested = Signal(int)

    def __init__(self, info: LessonInfo, steps: tuple[NarrativeStep, ...], parent: QWidget | None = None,
                 snapshot_caption: Callable[[NarrativeStep, bool], str] | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.steps = tuple(steps)
        self.index = 0
        self.snapshot_caption = snapshot_caption
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.lesson_title = QLabel(f"<b>{info.title}</b>")
        self.lesson_title.setStyleSheet("color: palette(text);")      # theme colours; size from the font
        _enlarge(self.lesson_title, 2)
        self.lesson_title.setWordWrap(True)
        layout.addWidget(self.lesson_title)
        if info.chapter:
            chapter = QLabel(info.chapter)
            chapter.setWordWrap(True)
            chapter.setEnabled(False)           # the palette's muted text, in either theme
            layout.addWidget(chapter)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; color: palette(link); margin-top: 4px;")
        _enlarge(self.title, 1.5)
        layout.addWidget(self.title)
        # the step's training: a bar while it runs, a line when its picture is ready
        self.training_bar = QProgressBar()
        self.training_bar.setTextVisible(True)
        self.training_bar.setMaximumHeight(22)
        self.training_bar.setVisible(False)
        layout.addWidget(self.training_bar)
        self.training_note = QLabel()
        self.training_note.setWordWrap(True)
        self.training_note.setVisible(False)
        layout.addWidget(self.training_note)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.text.document().setDefaultStyleSheet(DOC_STYLE)
        font = QFont(self.text.font())
        font.setPointSizeF(font.pointSizeF() + 1)
        self.text.setFont(font)
        layout.addWidget(self.text, 1)
        self.skip_ahead = QPushButton("Skip ahead: load a pretrained model")
        self.skip_ahead.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.skip_ahead.setToolTip("Load a model the project trained for this step, instead of waiting for the "
                                   "training the text describes. The settings are set to the ones it was "
                                   "trained with; press Play afterwards to train on.")
        self.skip_ahead.clicked.connect(lambda: self.skipAheadRequested.emit(self.index))
        self.skip_caption = QLabel()
        self.skip_caption.setWordWrap(True)
        self.skip_caption.setStyleSheet("color: #5f6368;")
        layout.addWidget(self.skip_ahead)
        layout.addWidget(self.skip_caption)
        nav = QHBoxLayout()
        self.back = QPushButton("◀ Back")
        self.back.setToolTip(f"Previous step ({BACK_STEP_KEY})")
        self.back.clicked.connect(self.go_back)
        self.next = QPushButton("Next ▶")
        self.next.setToolTip(f"Next step ({NEXT_STEP_KEY})")
        self.next.clicked.connect(self.go_next)
        self.position = QLabel()
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        nav.addWidget(self.back)
        nav.addWidget(self.position, 1)
        nav.addWidget(self.next)
        layout.addLayout(nav)
        for w in (self.back, self.next):
            w.setVisible(bool(self.steps))
        self._show()

    def show_training(self, done: int, total: int, running: bool) -> None:
        """Show a step's training under its title: ``done`` of ``total`` steps, and whether it is going on
        (paused half-way, it says how to finish)."""
        done = min(max(int(done), 0), int(total))
        text = f"Training {done:,} / {total:,} steps" + ("" if running else " · paused: press Play (Space) to finish")
        if self.training_bar.format() != text:
            self.training_bar.setRange(0, max(1, int(total)))
            self.training_bar.setValue(done)
            self.training_bar.setFormat(text)
            self.training_bar.setToolTip("This step's picture needs a model trained this far. The plots "
                                         "update while it trains; the step is ready when the bar is full.")
        self.training_bar.setVisible(True)
        self.training_note.setVisible(False)

    def show_ready(self, text: str) -> None:
        """Say the step's training is done and its picture ready (``text``, e.g. "✓ Done: 3,000 steps ...")."""
        if self.training_note.text() != text:
            self.training_note.setText(text)
            self.training_note.setStyleSheet("color: #137333; font-weight: bold;")
        self.training_note.setVisible(True)
        self.training_bar.setVisible(False)

    def clear_training(self) -> None:
        """Hide the training progress (a step that does not train, or a run the user took over)."""
        self.training_bar.setVisible(False)
        self.training_note.setVisible(False)
        self.training_bar.setFormat("")
        self.training_note.setText("")

    def training_text(self) -> str:
        """What the panel says about the step's training ("" when nothing)."""
        if not self.training_bar.isHidden():
            return self.training_bar.format()
        return self.training_note.text() if not self.training_note.isHidden() else ""

    @property
    def count(self) -> int:
        return len(self.steps)

    @property
    def current(self) -> NarrativeStep | None:
        return self.steps[self.index] if self.steps else None

    def set_step(self, index: int) -> None:
        """Enter step ``index`` (clamped to the valid range) and emit ``stepChanged``."""
        if not self.steps:
            return
        self.index = min(max(int(index), 0), len(self.steps) - 1)
        self._show()
        self.stepChanged.emit(self.index)

    def go_next(self) -> bool:
        """Enter the next step; False (nothing happens) at the last step or without narrative."""
        if self.index + 1 >= len(self.steps):
            return False
        self.set_step(self.index + 1)
        return True

    def go_back(self) -> bool:
        """Enter the previous step; False (nothing happens) at the first step."""
        if self.index <= 0 or not self.steps:
            return False
        self.set_step(self.index - 1)
        return True

    def refresh_snapshot(self) -> None:
        """Show or hide "Skip ahead" for the current step and update its caption (after the engine changed)."""
        step = self.current
        has = step is not None and bool(step.snapshot)
        self.skip_ahead.setVisible(has)
        caption = self.snapshot_caption(step, True) if has and self.snapshot_caption is not None else ""
        self.skip_caption.setText(caption)
        self.skip_caption.setToolTip(self.snapshot_caption(step, False) if caption else "")
        self.skip_caption.setVisible(bool(caption))

    def _show(self) -> None:
        step = self.current
        self.refresh_snapshot()
        if step is None:
            self.title.setText("About this lesson")
            self.text.setMarkdown(self.info.summary or "Press Play (Space) to start training.")
            self.position.setText("")
            return
        self.title.setText(step.title)
        self.text.setMarkdown(step.text)
        self.position.setText(f"step {self.index + 1} of {len(self.steps)}")
        self.back.setEnabled(self.index > 0)
        self.next.setEnabled(self.index < len(self.steps) - 1)
