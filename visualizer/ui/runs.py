"""The run manager: a small window listing a lesson's earlier runs, where the learner shows, hides,
renames and deletes them.  It edits a :class:`~visualizer.core.runs.RunList` through the lesson view,
which redraws every curve plot after each change."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from visualizer.core.runs import RunList

SHOW_COLUMN, NAME_COLUMN, SETTINGS_COLUMN = range(3)


class RunManager(QDialog):
    """A table of earlier runs, oldest first: a check box to show the run in the curve plots, its
    name (double-click to rename; an empty name restores the automatic one) and what differs from
    the current run.  "Delete" forgets the selected runs, "Delete all" every earlier run.

    runs: the lesson's RunList (read only here).  Signals: ``visibilityChanged(number, visible)``,
    ``renamed(number, name)``, ``deleteRequested(numbers)``; the lesson view applies them and calls
    :meth:`refresh`."""

    visibilityChanged = Signal(int, bool)
    renamed = Signal(int, str)
    deleteRequested = Signal(list)

    def __init__(self, runs: RunList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs = runs
        self.setWindowTitle("Runs")
        self.setModal(False)
        self.resize(560, 280)
        layout = QVBoxLayout(self)
        self.note = QLabel("Earlier runs, drawn faded behind the current run. Tick a run to show it; "
                           "double-click a name to rename it.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Show", "Name", "Differs from the current run in"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(SHOW_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SETTINGS_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(NAME_COLUMN, 200)
        self.table.setWordWrap(True)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Forget the selected runs")
        self.delete_all_button = QPushButton("Delete all")
        self.delete_all_button.setToolTip("Forget every earlier run")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.delete_all_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.delete_button.clicked.connect(self.delete_selected)
        self.delete_all_button.clicked.connect(lambda: self.deleteRequested.emit([r.number for r in self.runs]))
        self.table.itemChanged.connect(self._on_item_changed)
        self._filling = False
        self._in_change = False
        self.refresh()

    def refresh(self) -> None:
        """Show the runs as they are now (after the current edit, when called while a cell changes)."""
        if self._in_change:                 # do not replace the item Qt is still committing an edit to
            QTimer.singleShot(0, self.refresh)
            return
        self._filling = True
        try:
            self.table.setRowCount(len(self.runs))
            for row, run in enumerate(self.runs):
                show = QTableWidgetItem()
                show.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                              | Qt.ItemFlag.ItemIsSelectable)
                show.setCheckState(Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked)
                show.setData(Qt.ItemDataRole.UserRole, run.number)
                name = QTableWidgetItem(run.label)
                name.setFlags(name.flags() | Qt.ItemFlag.ItemIsEditable)
                name.setToolTip(run.label)
                settings = QTableWidgetItem(", ".join(run.settings) or "same settings")
                settings.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                settings.setToolTip("\n".join(run.settings))
                for col, item in ((SHOW_COLUMN, show), (NAME_COLUMN, name), (SETTINGS_COLUMN, settings)):
                    self.table.setItem(row, col, item)
            self.table.resizeRowsToContents()
        finally:
            self._filling = False
        self.delete_all_button.setEnabled(bool(len(self.runs)))
        self.delete_button.setEnabled(bool(len(self.runs)))
        self.note.setText("No earlier runs yet: each Reset keeps the run before it here." if not len(self.runs)
                          else "Earlier runs, drawn faded behind the current run. Tick a run to show it; "
                               "double-click a name to rename it.")

    def number(self, row: int) -> int:
        """The run number shown in ``row``."""
        return int(self.table.item(row, SHOW_COLUMN).data(Qt.ItemDataRole.UserRole))

    def delete_selected(self) -> None:
        """Ask to forget the selected runs."""
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        if rows:
            self.deleteRequested.emit([self.number(r) for r in rows])

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        number = self.number(item.row())
        self._in_change = True
        try:
            if item.column() == SHOW_COLUMN:
                self.visibilityChanged.emit(number, item.checkState() == Qt.CheckState.Checked)
            elif item.column() == NAME_COLUMN:
                run = self.runs.get(number)
                text = item.text().strip()
                self.renamed.emit(number, "" if text == run.auto_label else text)
        finally:
            self._in_change = False
