"""A :class:`PredictionsData` drawn as a table, one row per example, the prediction marked ✓ on green or ✗ on
red (seq2seq's additions and dates, attention's dates).  The rows are created once and updated in place."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter, QPainterPath
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QWidget)

from visualizer.core.plotdata import PlotSpec, PredictionsData
from visualizer.ui.plots.base import PlotView

RIGHT = QColor("#d6f5d6")
WRONG = QColor("#f8d4d4")
RIGHT_TEXT = QColor("#17692a")
WRONG_TEXT = QColor("#a11d1d")


class AccuracyBar(QWidget):
    """A horizontal bar split green (share right) and red (share wrong), drawn as vector paths."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fraction: float | None = None
        self.setFixedHeight(12)
        self.setMinimumWidth(80)

    def set_fraction(self, fraction: float | None) -> None:
        if fraction != self.fraction:
            self.fraction = fraction
            self.update()

    def paintEvent(self, event) -> None:       # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width() - 1.0, self.height() - 1.0
        f = 0.0 if self.fraction is None else min(max(self.fraction, 0.0), 1.0)
        for x0, x1, color in ((0.0, f * w, RIGHT_TEXT), (f * w, w, WRONG)):
            if x1 > x0:
                path = QPainterPath()
                path.addRect(QRectF(x0, 0.0, x1 - x0, h))
                painter.fillPath(path, color)
        outline = QPainterPath()
        outline.addRect(QRectF(0.0, 0.0, w, h))
        painter.setPen(QColor("#808080"))
        painter.drawPath(outline)
        painter.end()


class PredictionsView(PlotView):
    """Columns: question, answer, prediction, ✓/✗; a caption with the step and the test accuracy."""

    data_type = PredictionsData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.caption = QLabel("")
        self.bar = AccuracyBar()
        self.bar.setToolTip("Test accuracy: the green share of the bar.")
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        top.addWidget(self.caption)
        top.addWidget(self.bar, 1)
        self._layout.addLayout(top)
        self.table_widget = QTableWidget(0, 4, self)
        self.table_widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table_widget.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table_widget.verticalHeader().setVisible(False)
        self.table_widget.setHorizontalHeaderLabels(["question", "answer", "prediction", ""])
        header = self.table_widget.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)      # the question gets the room left
        for col in (1, 2, 3):                                                 # answers are short: fit them
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.table_widget.setFont(font)
        self.table_widget.setToolTip(spec.tooltip)
        self._layout.addWidget(self.table_widget)
        self._bold = QFont(font)
        self._bold.setBold(True)

    def _item(self, row: int, col: int) -> QTableWidgetItem:
        item = self.table_widget.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter if col == 3 else
                                  Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
            self.table_widget.setItem(row, col, item)
        return item

    def _draw(self, data: PredictionsData) -> None:
        n = len(data.questions)
        if self.table_widget.rowCount() != n:
            self.table_widget.setRowCount(n)
        labels = [*data.columns, ""]
        for col, text in enumerate(labels):
            h = self.table_widget.horizontalHeaderItem(col)
            if h is None or h.text() != text:
                self.table_widget.setHorizontalHeaderItem(col, QTableWidgetItem(text))
        for r in range(n):
            ok = bool(data.correct[r])
            texts = (data.questions[r], data.answers[r], data.predictions[r], "✓" if ok else "✗")
            for c, text in enumerate(texts):
                item = self._item(r, c)
                if item.text() != text:
                    item.setText(text)
                    if c == 0:
                        item.setToolTip(text)                  # a long question is elided in its cell
                item.setBackground(RIGHT if ok else WRONG)
                if c >= 2:
                    item.setForeground(RIGHT_TEXT if ok else WRONG_TEXT)
                    item.setFont(self._bold)
        right = sum(bool(c) for c in data.correct)
        acc = "" if data.accuracy is None else f" · test accuracy {data.accuracy:.1%}"
        self.caption.setText(f"step {data.step}: {right} of {n} shown right{acc}")
        self.bar.set_fraction(data.accuracy)

    def row_colors(self) -> list[str]:
        """Background colour name of each row (for tests)."""
        return [self._item(r, 0).background().color().name() for r in range(self.table_widget.rowCount())]
