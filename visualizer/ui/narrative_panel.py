"""The lesson's story: one Markdown page per narrative step, with Back / Next (keys Alt+Left / Alt+Right,
bound by the main window's Go menu)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

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
    without narrative shows its summary and the chapter it follows."""

    stepChanged = Signal(int)

    def __init__(self, info: LessonInfo, steps: tuple[NarrativeStep, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.steps = tuple(steps)
        self.index = 0
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
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.text.document().setDefaultStyleSheet(DOC_STYLE)
        font = QFont(self.text.font())
        font.setPointSizeF(font.pointSizeF() + 1)
        self.text.setFont(font)
        layout.addWidget(self.text, 1)
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

    def _show(self) -> None:
        step = self.current
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
