"""A labelled matrix as a heatmap with its numbers in the cells (confusion matrices)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import MatrixData, PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import colormap, is_dark
from visualizer.ui.plots.labels import Label, LabelsItem

MAX_CELL_TEXT = 900          # above this many cells the numbers would be unreadable


class MatrixView(PlotView):
    """A :class:`MatrixData`: row 0 at the top, column labels along the bottom, row labels on the
    left (as many as fit without overlapping), axis titles from ``row_title`` / ``col_title``, colours
    between ``levels`` (with a colour bar), and each value written in its cell in black or white,
    whichever reads on the cell's colour."""

    data_type = MatrixData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.invertY(True)
        self.plot_item.setAspectLocked(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.plot_item.addItem(self.image_item)
        self._cmap_name = "viridis"
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap(self._cmap_name),
                                        interactive=False, width=14)
        self.colorbar.setImageItem(self.image_item, insert_in=self.plot_item)
        self.cell_labels = LabelsItem(point_size=8, anchor=(0.5, 0.5))
        self.plot_item.addItem(self.cell_labels, ignoreBounds=True)
        self._key: tuple | None = None

    def _draw(self, data: MatrixData) -> None:
        values = np.asarray(data.values, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"plot '{self.spec.id}': MatrixData.values must be (R, C), got {values.shape}")
        r, c = values.shape
        finite = values[np.isfinite(values)]
        if data.levels is not None:
            lo, hi = (float(v) for v in data.levels)
        else:
            lo = min(0.0, float(finite.min())) if finite.size else 0.0
            hi = float(finite.max()) if finite.size else 1.0
        if not hi > lo:
            hi = lo + 1.0
        self.image_item.setImage(values.astype(np.float32), autoLevels=False, levels=(lo, hi))
        if data.colormap != self._cmap_name:
            self._cmap_name = data.colormap
            self.colorbar.setColorMap(colormap(data.colormap))
        self.colorbar.setLevels((lo, hi))
        key = (r, c, tuple(map(str, data.row_labels)), tuple(map(str, data.col_labels)),
               data.row_title, data.col_title)
        if key != self._key:
            self._key = key
            self.image_item.setRect(QRectF(0, 0, c, r))
            bottom = [(j + 0.5, str(data.col_labels[j]) if j < len(data.col_labels) else str(j)) for j in range(c)]
            left = [(i + 0.5, str(data.row_labels[i]) if i < len(data.row_labels) else str(i)) for i in range(r)]
            self.plot_item.getAxis("bottom").setTicks([bottom, []])
            self.plot_item.getAxis("left").setTicks([left, []])
            self.plot_item.setLabel("bottom", data.col_title or None)
            self.plot_item.setLabel("left", data.row_title or None)
            self.plot_item.setRange(xRange=(0, c), yRange=(0, r), padding=0.02)
        self._draw_numbers(values, data.fmt, lo, hi)

    def _draw_numbers(self, values: np.ndarray, fmt: str, lo: float, hi: float) -> None:
        r, c = values.shape
        if r * c > MAX_CELL_TEXT:
            self.cell_labels.set_labels([])
            return
        cmap = colormap(self._cmap_name)
        labels = []
        for i in range(r):
            for j in range(c):
                v = values[i, j]
                try:
                    text = fmt.format(v) if np.isfinite(v) else ""
                except (ValueError, TypeError):
                    text = f"{v:g}"
                t = (v - lo) / (hi - lo) if np.isfinite(v) else 0.0
                dark = is_dark(cmap.map(float(np.clip(t, 0, 1)), mode="qcolor"))
                labels.append(Label(j + 0.5, i + 0.5, text, "#ffffff" if dark else "#000000"))
        self.cell_labels.set_labels(labels)

    def reset_zoom(self) -> None:
        if self._key is not None:
            self.plot_item.setRange(xRange=(0, self._key[1]), yRange=(0, self._key[0]), padding=0.02)
