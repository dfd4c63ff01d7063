"""A :class:`TableData` drawn as a table: a read-only, sortable ``QTableWidget``.

Rows are the data's ``row_labels`` (first column, headed ``row_title``), columns its ``col_labels`` with
their units in the header ("val acc" over "(share)"), and each cell the raw value written with ``fmt`` (an empty
cell for NaN).  Clicking a header sorts by that column, numerically, with empty cells last; a redraw keeps
the order the user chose.  CSV export writes the raw values."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from visualizer.core.plotdata import PlotSpec, TableData
from visualizer.ui.plots.base import PlotView

MIN_LABEL_WIDTH = 72        # px: the row-label column is never narrower
NUMBER_ALIGN = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def header_text(label: str, unit: str = "") -> str:
    """A column header: the label, then the unit in brackets on a second line ("ms/step", "val acc\n(share)"),
    so that a narrow column still shows both whole."""
    return f"{label}\n({unit})" if unit else str(label)


class SortItem(QTableWidgetItem):
    """A cell that sorts by ``key`` (a float, NaN last in ascending order, or a string) rather than by its
    text, so "1.52e+03" sorts above "380"."""

    def __init__(self, text: str, key: float | str) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.key, getattr(other, "key", other.text())
        if isinstance(a, float) and isinstance(b, float):
            if math.isnan(a) or math.isnan(b):
                return not math.isnan(a) and math.isnan(b)       # a number before an empty cell
            return a < b
        return str(a) < str(b)


class TableView(PlotView):
    """A read-only table of a :class:`TableData` (see the module docstring); ``table_widget`` is the
    ``QTableWidget``, ``cell_text(row, col)`` what a cell shows (col 0: the row label)."""

    data_type = TableData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.table_widget = QTableWidget()
        t = self.table_widget
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setAlternatingRowColors(True)
        t.verticalHeader().setVisible(False)
        t.setWordWrap(True)                                   # a long row label wraps when room is short
        t.setTextElideMode(Qt.TextElideMode.ElideNone)
        head = t.horizontalHeader()
        head.setSortIndicatorClearable(True)
        head.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)      # the data's own order until a click
        head.setSortIndicatorShown(True)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)     # never cut a header or number
        head.setStretchLastSection(True)
        head.setMinimumSectionSize(60)
        head.setStyleSheet("QHeaderView::section { font-weight: bold; padding: 2px 3px; }")
        t.setSortingEnabled(True)
        if spec.tooltip:
            t.setToolTip(spec.tooltip)
        self._layout.addWidget(t)
        self._headers: list[str] = []

    def _draw(self, data: TableData) -> None:
        values = np.asarray(data.values, dtype=np.float64)
        if values.ndim != 2 or values.shape != (len(data.row_labels), len(data.col_labels)):
            raise ValueError(f"plot '{self.spec.id}': TableData.values must be (rows, columns) = "
                             f"({len(data.row_labels)}, {len(data.col_labels)}), got {values.shape}")
        units = list(getattr(data, "units", ())) + [""] * len(data.col_labels)
        headers = [data.row_title or ""] + [header_text(c, u) for c, u in zip(data.col_labels, units)]
        t = self.table_widget
        t.setSortingEnabled(False)                  # fill in the data's order, then sort as the user chose
        if headers != self._headers:
            self._headers = headers
            t.setColumnCount(len(headers))
            t.setHorizontalHeaderLabels(headers)
        t.setRowCount(len(data.row_labels))
        for r, label in enumerate(data.row_labels):
            t.setItem(r, 0, SortItem(str(label), str(label)))
            for c in range(values.shape[1]):
                v = float(values[r, c])
                item = SortItem(data.fmt.format(v) if math.isfinite(v) else "", v)
                item.setTextAlignment(NUMBER_ALIGN)
                t.setItem(r, c + 1, item)
        t.setSortingEnabled(True)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Number columns as wide as their contents; the row labels get what is left (at least
        ``MIN_LABEL_WIDTH`` px, wrapping onto more lines), so that every number stays whole."""
        t = self.table_widget
        if t.columnCount() == 0:
            return
        head = t.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        want = max(t.sizeHintForColumn(0), head.sectionSizeHint(0))
        others = sum(max(t.sizeHintForColumn(c), head.sectionSizeHint(c)) for c in range(1, t.columnCount()))
        room = t.viewport().width() - others
        t.setColumnWidth(0, max(MIN_LABEL_WIDTH, min(want, room)))
        t.resizeRowsToContents()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def cell_text(self, row: int, col: int) -> str:
        """The text of a cell as shown (after any sorting); col 0 holds the row label."""
        item = self.table_widget.item(row, col)
        return "" if item is None else item.text()

    def header_labels(self) -> list[str]:
        """The column headers as shown."""
        t = self.table_widget
        return [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
