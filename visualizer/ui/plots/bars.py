"""Named bars (e.g. the gradient norm of each layer)."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QToolTip, QWidget

from visualizer.core.plotdata import BarsData, PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import series_color

BAR_WIDTH = 0.6


def log_floor(values: np.ndarray) -> float:
    """The base line (log10) of log-scale bars: the largest 1-2-5 value (…, 0.05, 0.1, 0.2, …) at most 2/3 of
    the smallest positive value, so every bar grows upward, the shortest one still shows, and a longer bar is a
    larger value.  0 (that is, 1) if no value is positive."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return 0.0
    limit = math.log10(float(positive.min()) / 1.5)
    decade = math.floor(limit)
    return max(decade + math.log10(m) for m in (1.0, 2.0, 5.0) if decade + math.log10(m) <= limit + 1e-12)


class BarsView(PlotView):
    """A :class:`BarsData`: one bar per label, labels under the bars (as many as fit without overlapping; a
    bar's name and value show on hover).  ``spec.y_range`` (low, high) fixes the y axis of a bounded quantity
    such as a probability (widened if a bar leaves it).  With ``spec.log_y`` the y axis is logarithmic, labelled
    with the values themselves, and the bars grow upward from :func:`log_floor`."""

    data_type = BarsData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.showGrid(x=False, y=True, alpha=0.2)
        if spec.log_y:
            self.plot_item.getAxis("left").setLogMode(True)
        if spec.x_label:
            self.plot_item.setLabel("bottom", spec.x_label)
        self.bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, brush=pg.mkBrush(series_color(0)),
                                    pen=pg.mkPen(None))
        self.plot_item.addItem(self.bars)
        self._labels: tuple[str, ...] = ()
        self._values = np.zeros(0)
        self._y_label: str | None = None
        self.floor = 0.0                     # base line of the bars (log10 of the value with log_y)
        self.graphics.scene().sigMouseMoved.connect(self._hover)

    def _draw(self, data: BarsData) -> None:
        values = np.asarray(data.values, dtype=np.float64).ravel()
        labels = tuple(str(l) for l in data.labels)
        if len(labels) != len(values):
            raise ValueError(f"plot '{self.spec.id}': {len(labels)} labels for {len(values)} bars")
        self._values = values
        x = np.arange(len(values), dtype=np.float64)
        if self.spec.log_y:
            self.floor = log_floor(values)
            tops = np.log10(np.where(np.isfinite(values) & (values > 0), values, 10.0 ** self.floor))
            heights = np.maximum(tops - self.floor, 0.0)
            self.bars.setOpts(x=x, y0=self.floor, height=heights, width=BAR_WIDTH)
            top = float(tops.max()) if tops.size else self.floor + 1.0
            self.plot_item.setYRange(self.floor, max(top, self.floor + 1.0), padding=0.05)
        else:
            heights = np.where(np.isfinite(values), values, 0.0)
            self.bars.setOpts(x=x, y0=0.0, height=heights, width=BAR_WIDTH)
            if self.spec.y_range:              # a bounded quantity (probabilities): a fixed axis, widened if left
                low, high = self.spec.y_range
                top = float(heights.max()) if heights.size else high
                self.plot_item.setYRange(min(low, float(heights.min(initial=low))), max(high, top), padding=0.02)
            else:
                self.plot_item.enableAutoRange(axis="y")
        if labels != self._labels:
            self._labels = labels
            self.plot_item.getAxis("bottom").setTicks([list(zip(x, labels)), []])
            self.plot_item.setXRange(-0.6, len(values) - 0.4, padding=0)
        y_label = data.y_label or self.spec.y_label
        if self.spec.log_y and y_label:
            y_label = f"{y_label} (log scale)"
        if y_label != self._y_label:
            self._y_label = y_label
            self.plot_item.setLabel("left", y_label or None)

    def bar_at(self, x: float) -> int | None:
        """The index of the bar under data x, or None."""
        i = int(round(x))
        return i if 0 <= i < len(self._labels) and abs(x - i) <= BAR_WIDTH / 2 else None

    def _hover(self, pos: QPointF) -> None:
        """Show the name and value of the bar under the mouse (labels that did not fit are read this way)."""
        vb = self.plot_item.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        i = self.bar_at(vb.mapSceneToView(pos).x())
        if i is not None:
            QToolTip.showText(QCursor.pos(), f"{self._labels[i]}: {self._values[i]:.4g}", self.graphics)

    def reset_zoom(self) -> None:
        self.plot_item.enableAutoRange()
