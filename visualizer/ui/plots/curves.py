"""Curves over training steps (losses, accuracies, gradient norms) with live-change markers."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import CurvesData, PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import series_color

MARKER_COLOR = "#7a5c00"


def series_label(name: str) -> str:
    """Legend text for a metric name: ``val_loss`` -> ``val loss``."""
    return name.replace("_", " ")


class CurvesView(PlotView):
    """Line plot of ``spec.series`` against the training step, one colour per series, with a
    dashed vertical line and label at every live hyperparameter change.  ``spec.log_y`` draws a
    log10 y axis (non-positive values are left out)."""

    data_type = CurvesData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.setLabel("bottom", spec.x_label or "step")
        if spec.y_label:
            self.plot_item.setLabel("left", spec.y_label)
        if spec.log_y:
            self.plot_item.setLogMode(y=True)
        self.legend = self.plot_item.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.curves: dict[str, pg.PlotDataItem] = {}
        for i, name in enumerate(spec.series):
            self.curves[name] = self._make_curve(name, i)
        self.markers: list[pg.InfiniteLine] = []
        self._marker_keys: list[tuple[int, str]] = []

    def _make_curve(self, name: str, i: int) -> pg.PlotDataItem:
        style = Qt.PenStyle.DashLine if name.startswith(("val", "test")) else Qt.PenStyle.SolidLine
        curve = self.plot_item.plot([], [], name=series_label(name),
                                    pen=pg.mkPen(series_color(i), width=2, style=style))
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    def _draw(self, data: CurvesData) -> None:
        for name, (x, y) in data.series.items():
            curve = self.curves.get(name)
            if curve is None:
                curve = self.curves[name] = self._make_curve(name, len(self.curves))
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            keep = np.isfinite(y)
            if self.spec.log_y:
                keep &= y > 0
            if not keep.all():
                x, y = x[keep], y[keep]
            curve.setData(x, y)
        self._draw_markers(list(data.markers))

    def _draw_markers(self, markers: list[tuple[int, str]]) -> None:
        if markers[: len(self._marker_keys)] != self._marker_keys:      # a new run: start over
            for line in self.markers:
                self.plot_item.removeItem(line)
            self.markers.clear()
            self._marker_keys.clear()
        for step, text in markers[len(self._marker_keys):]:
            line = pg.InfiniteLine(pos=step, angle=90, movable=False,
                                   pen=pg.mkPen(MARKER_COLOR, width=1, style=Qt.PenStyle.DashLine),
                                   label=text,
                                   labelOpts={"position": 0.95, "color": MARKER_COLOR, "rotateAxis": (1, 0),
                                              "anchors": [(1, 0), (1, 0)]})
            line.setToolTip(f"step {step}: {text}")
            self.plot_item.addItem(line, ignoreBounds=True)
            self.markers.append(line)
            self._marker_keys.append((step, text))

    def reset_zoom(self) -> None:
        self.plot_item.enableAutoRange()
