"""What the lesson view tells the user: a one-line bar of coloured notices, a progress bar and the error panel."""
from __future__ import annotations

from collections import deque

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontDatabase, QPainter
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

STYLES = {
    "info": ("#e8f0fe", "#1a73e8", "#174ea6", "ℹ"),
    "warning": ("#fef0e1", "#e37400", "#8a3b00", "⚠"),
    "error": ("#fdecea", "#d93025", "#a50e0e", "✖"),
    "success": ("#e6f4ea", "#1e8e3e", "#0d652d", "✔"),
}
MAX_BANNERS = 3


class ElidedLabel(QLabel):
    """A one-line label that shows as much of its text as fits, ending in "…"; ``text()`` stays the whole
    text (and is the tooltip when it does not fit)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def fits(self) -> bool:
        """True if the whole text fits in the label's width."""
        return self.fontMetrics().horizontalAdvance(self.text()) <= self.contentsRect().width()

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self.fontMetrics().height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.text()), self.fontMetrics().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text().replace("\n", " "), Qt.TextElideMode.ElideRight,
                                             rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.setToolTip("" if self.fits() else self.text())


class NoticeList(QFrame):
    """A popup under the message bar with every notice on show in full (word-wrapped), newest last;
    it closes on a click outside it."""

    def __init__(self, banners: list["Banner"], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("noticeList")
        self.setStyleSheet("#noticeList { background: white; border: 1px solid #dadce0; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.labels: list[QLabel] = []
        for b in banners:
            bg, border, fg, icon = STYLES[b.kind]
            label = QLabel(f"{icon}  {b.text}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setStyleSheet(f"background: {bg}; color: {fg}; border-left: 4px solid {border}; padding: 4px;")
            layout.addWidget(label)
            self.labels.append(label)
        self.setFixedWidth(560)


class Banner(QFrame):
    """One dismissible coloured message on one line: kind (info, warning, error or success), the text
    cut to the width with "…", a "more" button that shows every notice in full, and ✕.  key: a name the
    sender can withdraw it by (:meth:`MessageArea.withdraw`), "" for none."""

    def __init__(self, kind: str, text: str, parent: QWidget | None = None, key: str = "") -> None:
        super().__init__(parent)
        self.kind = kind if kind in STYLES else "info"
        self.key = key
        self.dismissed = False
        bg, border, fg, icon = STYLES[self.kind]
        self.setObjectName("banner")
        self.setStyleSheet(f"#banner {{ background: {bg}; border: 1px solid {border}; border-left: 5px solid "
                           f"{border}; border-radius: 4px; }} QLabel {{ color: {fg}; }} QToolButton {{ color: {fg}; "
                           f"padding: 0 2px; }}")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 2, 1)
        layout.setSpacing(4)
        icon_label = QLabel(icon)
        icon_label.setStyleSheet(f"color: {border}; font-weight: bold;")
        layout.addWidget(icon_label)
        self.label = ElidedLabel(text)
        layout.addWidget(self.label, 1)
        self.more_button = QToolButton()
        self.more_button.setText("more")
        self.more_button.setAutoRaise(True)
        self.more_button.setToolTip("Show every notice in full")
        self.more_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.more_button)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.dismiss)
        layout.addWidget(close)
        self.close_button = close
        self.older = 0                     # notices waiting under this one

    @property
    def text(self) -> str:
        return self.label.text()

    def set_older(self, older: int) -> None:
        """Say how many notices wait under this one: "+N more", or "more" while the text is cut."""
        self.older = older
        self._update_more()

    def _update_more(self) -> None:
        self.more_button.setText(f"+{self.older} more" if self.older else "more")
        self.more_button.setVisible(bool(self.older) or not self.label.fits())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_more()

    def dismiss(self) -> None:
        """Take the banner away (the area then shows the next newest)."""
        if self.dismissed:
            return
        self.dismissed = True
        self.hide()
        area = self.parent()
        self.deleteLater()
        if isinstance(area, MessageArea):
            area._refresh()


class MessageArea(QWidget):
    """The lesson's notices in a bar one line high, so that a notice never pushes the plots down: up to
    ``MAX_BANNERS`` banners, of which the newest is on show (its "more" button, labelled "+N more" when
    older ones wait under it, lists all of them in full); dismissing it shows the next.  A keyed notice
    replaces the one with the same key and goes when the sender withdraws it (:meth:`withdraw`), for
    conditions that can stop being true.  ``history`` keeps the last 200 messages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.history: deque[tuple[str, str]] = deque(maxlen=200)
        self._banners: list[Banner] = []
        self.popup: NoticeList | None = None

    def banners(self) -> list[Banner]:
        """The notices not dismissed, oldest first (only the last is drawn; the others wait under it)."""
        self._banners = [b for b in self._banners if not b.dismissed]
        return list(self._banners)

    def add(self, kind: str, text: str, key: str = "") -> Banner:
        """Show a message; an identical one, or one with the same non-empty ``key``, is replaced."""
        self.history.append((kind, text))
        for b in self.banners():
            if (b.kind == kind and b.text == text) or (key and b.key == key):
                b.dismissed = True
                b.hide()
                b.deleteLater()
        shown = self.banners()
        while len(shown) >= MAX_BANNERS:
            old = shown.pop(0)
            old.dismissed = True
            old.deleteLater()
        banner = Banner(kind, text, self, key)
        banner.more_button.clicked.connect(self.show_all)
        self._banners.append(banner)
        self._layout.addWidget(banner)
        self._refresh()
        return banner

    def withdraw(self, key: str) -> None:
        """Take away the notice sent with ``key`` (its condition no longer holds); nothing if none."""
        for b in self.banners():
            if key and b.key == key:
                b.dismiss()

    def clear(self, kinds: tuple[str, ...] | None = None, keyed: bool = False) -> None:
        """Dismiss all banners, or those of the given kinds (and, with ``keyed``, every keyed one)."""
        for b in self.banners():
            if kinds is None or b.kind in kinds or (keyed and b.key):
                b.dismiss()

    def texts(self) -> list[str]:
        return [b.text for b in self.banners()]

    def show_all(self) -> NoticeList:
        """Open the popup that lists every notice in full, under the bar."""
        if self.popup is not None:
            self.popup.close()
            self.popup.deleteLater()
        self.popup = NoticeList(self.banners(), self)
        self.popup.move(self.mapToGlobal(self.rect().bottomLeft()))
        self.popup.show()
        return self.popup

    def _refresh(self) -> None:
        """Draw only the newest banner; its "more" button counts the older ones."""
        banners = self.banners()
        for i, b in enumerate(banners):
            newest = i == len(banners) - 1
            b.setVisible(newest)
            if newest:
                b.set_older(len(banners) - 1)


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
