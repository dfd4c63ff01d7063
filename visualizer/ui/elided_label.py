"""A one-line label that shortens its text with "…" instead of widening its layout or being cut mid-word."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """A plain-text QLabel whose text is elided at the right to the width it gets (its minimum width is small,
    so a long title never forces a horizontal scroll bar).  While elided, the tooltip shows the whole text
    above ``detail`` (the tooltip it has otherwise).

    ``full_text()``: the text as set; ``text()``: as drawn."""

    def __init__(self, text: str = "", parent: QWidget | None = None, min_chars: int = 6) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full = ""
        self._detail = ""
        self._min_chars = min_chars
        self.setText(text)

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:                        # noqa: N802 (Qt's name)
        self._full = str(text)
        self._fit()

    def set_detail(self, detail: str) -> None:
        """The tooltip when the text is not elided (and under the whole text when it is)."""
        self._detail = detail
        self._fit()

    def _fit(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 1))
        if shown != super().text():
            super().setText(shown)
        if shown != self._full:
            self.setToolTip("\n\n".join(t for t in (self._full, self._detail) if t))
        else:
            self.setToolTip(self._detail)

    def sizeHint(self) -> QSize:                                 # noqa: N802 (Qt's name)
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self._full) + 2, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:                          # noqa: N802 (Qt's name)
        return QSize(self.fontMetrics().horizontalAdvance("M" * self._min_chars), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:                        # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:                        # noqa: N802 (Qt's name)
        super().changeEvent(event)
        self._fit()                                              # the font may change with the style sheet
