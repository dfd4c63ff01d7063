"""What the lesson view tells the user: coloured message banners, a progress bar and the error panel."""
from __future__ import annotations

from collections import deque

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                               QToolButton, QVBoxLayout, QWidget)

STYLES = {
    "info": ("#e8f0fe", "#1a73e8", "#174ea6", "ℹ"),
    "warning": ("#fef0e1", "#e37400", "#8a3b00", "⚠"),
    "error": ("#fdecea", "#d93025", "#a50e0e", "✖"),
    "success": ("#e6f4ea", "#1e8e3e", "#0d652d", "✔"),
}
MAX_BANNERS = 3


class Banner(QFrame):
    """One dismissible coloured message.  kind: info, warning, error or success."""

    def __init__(self, kind: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind if kind in STYLES else "info"
        bg, border, fg, icon = STYLES[self.kind]
        self.setObjectName("banner")
        self.setStyleSheet(f"#banner {{ background: {bg}; border: 1px solid {border}; border-left: 5px solid "
                           f"{border}; border-radius: 4px; }} QLabel {{ color: {fg}; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 5, 4, 5)
        icon_label = QLabel(icon)
        icon_label.setStyleSheet(f"color: {border}; font-weight: bold; font-size: 14px;")
        layout.addWidget(icon_label, 0, Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.dismiss)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button = close

    @property
    def text(self) -> str:
        return self.label.text()

    def dismiss(self) -> None:
        self.hide()
        self.deleteLater()


class MessageArea(QWidget):
    """Up to ``MAX_BANNERS`` banners, newest at the bottom; ``history`` keeps the last 200 messages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self.history: deque[tuple[str, str]] = deque(maxlen=200)

    def banners(self) -> list[Banner]:
        """The banners on show."""
        return [b for b in self.findChildren(Banner) if not b.isHidden()]

    def add(self, kind: str, text: str) -> Banner:
        """Show a message; an identical one on show is moved to the bottom instead of repeated."""
        self.history.append((kind, text))
        for b in self.banners():
            if b.kind == kind and b.text == text:
                b.dismiss()
        shown = self.banners()
        while len(shown) >= MAX_BANNERS:
            shown.pop(0).dismiss()
        banner = Banner(kind, text, self)
        self._layout.addWidget(banner)
        banner.show()           # a child added to a visible widget stays hidden until shown
        return banner

    def clear(self, kinds: tuple[str, ...] | None = None) -> None:
        """Dismiss all banners, or those of the given kinds."""
        for b in self.banners():
            if kinds is None or b.kind in kinds:
                b.dismiss()

    def texts(self) -> list[str]:
        return [b.text for b in self.banners()]


class ProgressRow(QWidget):
    """A message and a progress bar for long operations (downloads); busy bar when the fraction is unknown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        layout.addWidget(self.label)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        layout.addWidget(self.bar, 1)
        self.hide()

    def show_progress(self, message: str, fraction: float | None) -> None:
        self.label.setText(message)
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(round(1000 * min(max(fraction, 0.0), 1.0))))
        self.setVisible(fraction is None or fraction < 1.0)

    def finish(self) -> None:
        self.hide()


class ErrorPanel(QFrame):
    """The last exception raised by the lesson: its message, and the traceback behind a Details toggle.
    Dismiss hides it; training data so far stays and can be exported."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorPanel")
        self.setStyleSheet("#errorPanel { background: #fdecea; border: 1px solid #d93025; border-radius: 4px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 5, 6, 6)
        head = QHBoxLayout()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a50e0e; font-weight: bold;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.message, 1)
        self.toggle = QToolButton()
        self.toggle.setText("Traceback")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self.set_expanded)
        head.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        head.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMaximumHeight(220)
        self.details.hide()
        layout.addWidget(self.details)
        self.hide()

    def show_error(self, message: str, traceback: str = "") -> None:
        """Show ``message`` (and ``traceback`` under the toggle, expanded)."""
        self.message.setText(message + "\nThe app keeps running; the data so far can still be exported.")
        self.details.setPlainText(traceback or "(no traceback)")
        self.toggle.setVisible(bool(traceback))         # e.g. a killed training process leaves none
        self.toggle.setChecked(bool(traceback))
        self.set_expanded(bool(traceback))
        self.show()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.details.setVisible(expanded)

    @property
    def traceback_text(self) -> str:
        return self.details.toPlainText()

    def dismiss(self) -> None:
        self.hide()
