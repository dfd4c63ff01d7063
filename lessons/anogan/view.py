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
    """A :class:`ScoreHistogramData`: two histograms on shared bins, the threshold as a vertical line, a one-row
    legend (normal, anomalous) in a band kept free above the bars, and precision, recall, F1 and ROC
    AUC in a two-line title."""

    data_type = ScoreHistogramData
    HEADROOM = 1.35                 # the y axis reaches this many times the tallest bar: the legend's band

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.plot = self.graphics.addPlot(row=0, col=0)
        self._quiet_plot_item(self.plot)
        self.plot.setLabel("bottom", "anomaly score A")
        self.plot.setLabel("left", "test images")
        self.plot.setMouseEnabled(x=False, y=False)
        self.legend = self.plot.addLegend(offset=(4, 2), colCount=2)
        self.normal = self.plot.plot([], [], stepMode="center", fillLevel=0, pen=pg.mkPen(NORMAL_COLOR, width=2),
                                     brush=pg.mkBrush(31, 119, 180, 90), name="normal")
        self.anomalous = self.plot.plot([], [], stepMode="center", fillLevel=0,
                                        pen=pg.mkPen(ANOMALY_COLOR, width=2), brush=pg.mkBrush(214, 39, 40, 90),
                                        name="anomalous")
        line_pen = pg.mkPen("#202124", width=2, style=Qt.PenStyle.DashLine)
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=line_pen)
        self.plot.addItem(self.line)

    def legend_names(self) -> list[str]:
        """The legend's entries, in order."""
        return [label.text for _, label in self.legend.items]

    def _draw(self, data: ScoreHistogramData) -> None:
        self.line.setValue(float(data.threshold))
        both = np.concatenate([data.normal, data.anomalous])
        if len(both) == 0:
            self.normal.setData([0.0, 1.0], [0.0])
            self.anomalous.setData([0.0, 1.0], [0.0])
            self.plot.setYRange(0.0, self.HEADROOM, padding=0)
            self.plot.setTitle(data.status, size="9pt")
            return
        lo, hi = float(min(both.min(), data.threshold)), float(max(both.max(), data.threshold))
        edges = np.linspace(lo, hi + 1e-9, 26)
        counts = [np.histogram(scores, edges)[0].astype(float) for scores in (data.normal, data.anomalous)]
        self.normal.setData(edges, counts[0])
        self.anomalous.setData(edges, counts[1])
        pad = 0.02 * (edges[-1] - edges[0])
        self.plot.setXRange(edges[0] - pad, edges[-1] + pad, padding=0)
        self.plot.setYRange(0.0, max(1.0, float(max(c.max() for c in counts))) * self.HEADROOM, padding=0)
        self.plot.setTitle(f"ROC AUC {data.auc:.2f} · threshold {data.threshold:.3f} · {data.status}\n"
                           f"precision {data.precision:.2f} · recall {data.recall:.2f} · F1 {data.f1:.2f} "
                           f"(best F1 at {data.best_threshold:.3f})", size="9pt")


PLOT_VIEWS = {"search_curve": SearchCurveView, "score_histograms": ScoreHistogramView}
