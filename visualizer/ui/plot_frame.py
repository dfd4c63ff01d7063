"""A plot in a titled frame with an Export button (PNG, SVG, CSV, copy), and the two-column grid the
lesson view lays the frames out in (:func:`plot_cells`, :func:`place_plots`)."""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QMenu, QToolButton, QVBoxLayout, QWidget

from visualizer.core.plotdata import PlotSpec
from visualizer.ui.elided_label import ElidedLabel
from visualizer.ui.plots.base import EXPORT_FORMATS, PlotView

GRID_COLUMNS = 2
Cell = tuple[int, int, int, int]        # row, column, row span, column span


def plot_cells(specs: Sequence[PlotSpec]) -> list[Cell]:
    """Where each of ``specs`` (the plots on show, in the narrative step's order) goes in a grid of
    ``GRID_COLUMNS`` = 2 columns, as (row, column, row span, column span), one per spec, so that no cell of
    the grid stays empty:

    * one plot takes the whole grid; an even number fills the rows two by two;
    * an odd number: the main picture (the first spec with :attr:`PlotSpec.main`) goes first, over the
      left column of the first two rows (``"tall"``) or across the first row (``"wide"``), and the others
      fill the remaining cells in order; without a main picture the last plot takes the last row;
    * two, one of them ``"wide"`` (a table, a strip of images): both take a whole row, the wide one first."""
    n = len(specs)
    if n == 0:
        return []
    if n == 1:
        return [(0, 0, 1, GRID_COLUMNS)]
    cells: list[Cell | None] = [None] * n
    order = list(range(n))
    wide = next((i for i, s in enumerate(specs) if s.main == "wide"), None)
    if n == 2 and wide is not None:
        return [(0, 0, 1, GRID_COLUMNS), (1, 0, 1, GRID_COLUMNS)][::1 if wide == 0 else -1]
    main = next((i for i, s in enumerate(specs) if s.main), None) if n % 2 else None
    if main is not None:
        order.remove(main)
        if specs[main].main == "tall":
            cells[main] = (0, 0, 2, 1)
            free = [(0, 1), (1, 1)] + [(r, c) for r in range(2, (n + 1) // 2) for c in range(GRID_COLUMNS)]
        else:
            cells[main] = (0, 0, 1, GRID_COLUMNS)
            free = [(r, c) for r in range(1, (n + 1) // 2) for c in range(GRID_COLUMNS)]
        for i, (r, c) in zip(order, free):
            cells[i] = (r, c, 1, 1)
        return cells                                           # type: ignore[return-value]
    for k, i in enumerate(order):
        r, c = divmod(k, GRID_COLUMNS)
        last_alone = n % 2 == 1 and k == n - 1
        cells[i] = (r, 0, 1, GRID_COLUMNS) if last_alone else (r, c, 1, 1)
    return cells                                               # type: ignore[return-value]


def place_plots(grid: QGridLayout, frames: Sequence["PlotFrame"]) -> list[Cell]:
    """Put ``frames`` (the plots on show, in order) into ``grid`` at :func:`plot_cells` of their specs,
    after taking every widget out of it; the rows share the height and the columns the width equally.
    Returns the cells used."""
    while grid.count():
        grid.takeAt(0)
    cells = plot_cells([f.view.spec for f in frames])
    for frame, (r, c, rs, cs) in zip(frames, cells):
        grid.addWidget(frame, r, c, rs, cs)
    rows = max((r + rs for r, _, rs, _ in cells), default=0)
    for c in range(GRID_COLUMNS):
        grid.setColumnStretch(c, 1)
    for r in range(max(rows, grid.rowCount())):
        grid.setRowStretch(r, 1 if r < rows else 0)
    return cells


class PlotFrame(QFrame):
    """Frame around one :class:`PlotView`: title (tooltip from the spec) and an export menu button."""

    def __init__(self, view: PlotView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setObjectName("plotFrame")
        self.setStyleSheet("#plotFrame { background: palette(base); border: 1px solid palette(mid); "
                           "border-radius: 6px; }")      # palette roles: the theme's colours
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(2)
        head = QHBoxLayout()
        self.title = ElidedLabel(view.spec.title)          # elided with a tooltip, never widening the grid
        self.title.setStyleSheet("font-weight: bold; color: palette(text);")
        self.title.set_detail(view.spec.tooltip)
        head.addWidget(self.title, 1)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save this plot as PNG, SVG or CSV, or copy it")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.menu = QMenu(self.export_button)
        for fmt in EXPORT_FORMATS:
            self.menu.addAction(f"{fmt.upper()}…", lambda f=fmt: view.export_interactively(f))
        self.menu.addAction("Copy to clipboard", view.copy_interactively)
        self.export_button.setMenu(self.menu)
        head.addWidget(self.export_button)
        layout.addLayout(head)
        layout.addWidget(view, 1)
        self.setMinimumHeight(300)

    def hasHeightForWidth(self) -> bool:
        """False: a plot takes the cell it is given.  A word-wrapped label inside a view would otherwise make
        the whole plot grid height-for-width, and the scroll area then grows it past the window (seen with
        gan_2d's field spanning two rows at 1600x1000)."""
        return False
