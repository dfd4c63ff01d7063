"""A :class:`TableData`: a table of numbers whose cells are shaded *per column*.

The matrix view colours every cell on one scale, which fails when one column counts thousands of
steps per second and the next holds accuracies below 1.  Here each cell is shaded by its value
divided by its column's largest (darker: larger), and the numbers are the raw values written with
``fmt`` (an empty cell for NaN).  CSV export writes the raw values."""
from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import PlotSpec, TableData
from visualizer.ui.plots.colormaps import colormap, is_dark
from visualizer.ui.plots.labels import Label
from visualizer.ui.plots.matrix import MatrixView

SHADE_COLORMAP = "blues"


def column_shades(values: np.ndarray) -> np.ndarray:
    """values (R, C) -> shades (R, C) in [0, 1]: each finite value over its column's largest |value|
    (0 for NaN and where a column is all zero)."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.where(np.isfinite(v), np.abs(v), 0.0)
    top = finite.max(axis=0, initial=0.0)                     # (C,)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(top > 0, finite / np.where(top > 0, top, 1.0), 0.0)


class TableView(MatrixView):
    """Rows ``row_labels``, columns ``col_labels``; no colour bar (the shading is per column)."""

    data_type = TableData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.colorbar.setVisible(False)
        self._raw: np.ndarray | None = None

    def _draw(self, data: TableData) -> None:
        self._raw = np.asarray(data.values, dtype=np.float64)
        shades = column_shades(self._raw)
        super()._draw(dataclasses.replace(data, values=shades, colormap=SHADE_COLORMAP))
        self.image_item.setLevels((0.0, 1.6))                 # keep the darkest shade readable

    def _draw_numbers(self, values: np.ndarray, fmt: str, lo: float, hi: float) -> None:
        cmap = colormap(SHADE_COLORMAP)
        raw = self._raw if self._raw is not None and self._raw.shape == values.shape else values
        labels = []
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = raw[i, j]
                text = fmt.format(v) if np.isfinite(v) else ""
                t = float(np.clip(values[i, j] / 1.6, 0, 1)) if np.isfinite(values[i, j]) else 0.0
                dark = is_dark(cmap.map(t, mode="qcolor"))
                labels.append(Label(j + 0.5, i + 0.5, text, "#ffffff" if dark else "#000000"))
        self.cell_labels.set_labels(labels)
