"""Named bars (e.g. the gradient norm of each layer)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import BarsData, PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import series_color


class BarsView(PlotView):
    """A :class:`BarsData`: one bar per label, labels under the bars, log10 y when ``spec.log_y``."""

    data_type = BarsData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.showGrid(x=False, y=True, alpha=0.2)
        if spec.x_label:
            self.plot_item.setLabel("bottom", spec.x_label)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=pg.mkBrush(series_color(0)),
                                    pen=pg.mkPen(None))
        self.plot_item.addItem(self.bars)
        self._labels: tuple[str, ...] = ()
        self._y_label: str | None = None

    def _draw(self, data: BarsData) -> None:
        values = np.asarray(data.values, dtype=np.float64).ravel()
        labels = tuple(str(l) for l in data.labels)
        if len(labels) != len(values):
            raise ValueError(f"plot '{self.spec.id}': {len(labels)} labels for {len(values)} bars")
        heights = np.where(np.isfinite(values), values, 0.0)
        if self.spec.log_y:
            heights = np.log10(np.clip(heights, 1e-12, None))
        x = np.arange(len(values), dtype=np.float64)
        self.bars.setOpts(x=x, height=heights, width=0.6)
        if labels != self._labels:
            self._labels = labels
            self.plot_item.getAxis("bottom").setTicks([list(zip(x, labels)), []])
            self.plot_item.setXRange(-0.6, len(values) - 0.4, padding=0)
        y_label = data.y_label or self.spec.y_label
        if self.spec.log_y and y_label:
            y_label = f"log10 {y_label}"
        if y_label != self._y_label:
            self._y_label = y_label
            self.plot_item.setLabel("left", y_label or None)
        self.plot_item.enableAutoRange(axis="y")

    def reset_zoom(self) -> None:
        self.plot_item.enableAutoRange()
