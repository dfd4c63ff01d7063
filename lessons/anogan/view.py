"""Plot kinds of the ``anogan`` lesson: the score over the latent search's steps (``search_curve``) and the score
histograms of normal vs anomalous test images with the threshold (``score_histograms``).  Imported only by the UI."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from lessons.anogan.lesson import ScoreHistogramData, SearchCurveData
from visualizer.core.plotdata import PlotSpec
from visualizer.ui.plots.base import PlotView

NORMAL_COLOR = "#1f77b4"
ANOMALY_COLOR = "#d62728"


class SearchCurveView(PlotView):
    """A :class:`SearchCurveData`: A, L_R and L_D against the search step."""

    data_type = SearchCurveData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.plot = self.graphics.addPlot(row=0, col=0)
        self._quiet_plot_item(self.plot)
        self.plot.setLabel("bottom", "search step")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend(offset=(-10, 10))
        self.curves = {
            "score": self.plot.plot([], [], pen=pg.mkPen("#202124", width=2.5), name="A = (1−λ)L_R + λL_D"),
            "residual": self.plot.plot([], [], pen=pg.mkPen(NORMAL_COLOR, width=1.5), name="L_R residual"),
            "discrimination": self.plot.plot([], [], pen=pg.mkPen("#ff7f0e", width=1.5),
                                             name="L_D discrimination"),
        }

    def _draw(self, data: SearchCurveData) -> None:
        x = np.asarray(data.steps, dtype=float)
        for name, curve in self.curves.items():
            curve.setData(x, np.asarray(getattr(data, name), dtype=float))
        self.plot.setTitle(data.title, size="9pt")


class ScoreHistogramView(PlotView):
    """A :class:`ScoreHistogramData`: two histograms on shared bins, the threshold as a vertical line, and
    precision, recall, F1 and ROC AUC in the title."""

    data_type = ScoreHistogramData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.plot = self.graphics.addPlot(row=0, col=0)
        self._quiet_plot_item(self.plot)
        self.plot.setLabel("bottom", "anomaly score A")
        self.plot.setLabel("left", "test images")
        self.plot.addLegend(offset=(-10, 10))
        self.normal = self.plot.plot([], [], stepMode="center", fillLevel=0, pen=pg.mkPen(NORMAL_COLOR, width=2),
                                     brush=pg.mkBrush(31, 119, 180, 90), name="normal")
        self.anomalous = self.plot.plot([], [], stepMode="center", fillLevel=0,
                                        pen=pg.mkPen(ANOMALY_COLOR, width=2), brush=pg.mkBrush(214, 39, 40, 90),
                                        name="anomalous")
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#202124", width=2, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.line)

    def _draw(self, data: ScoreHistogramData) -> None:
        self.line.setValue(float(data.threshold))
        both = np.concatenate([data.normal, data.anomalous])
        if len(both) == 0:
            self.normal.setData([0.0, 1.0], [0.0])
            self.anomalous.setData([0.0, 1.0], [0.0])
            self.plot.setTitle(data.status, size="9pt")
            return
        lo, hi = float(min(both.min(), data.threshold)), float(max(both.max(), data.threshold))
        edges = np.linspace(lo, hi + 1e-9, 26)
        self.normal.setData(edges, np.histogram(data.normal, edges)[0].astype(float))
        self.anomalous.setData(edges, np.histogram(data.anomalous, edges)[0].astype(float))
        self.plot.setTitle(f"{data.status}: threshold {data.threshold:.3f} → precision {data.precision:.2f}, "
                           f"recall {data.recall:.2f}, F1 {data.f1:.2f}; ROC AUC {data.auc:.2f} "
                           f"(best F1 at {data.best_threshold:.3f})", size="9pt")


PLOT_VIEWS = {"search_curve": SearchCurveView, "score_histograms": ScoreHistogramView}
