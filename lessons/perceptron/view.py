"""The perceptron lesson's ``results`` plot: a confusion matrix for classification, predicted against
true values (with the line ŷ = y) for regression.  Qt; imported only by the UI."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStackedWidget, QWidget

from visualizer.core.plotdata import MatrixData, PlotSpec, ScatterData
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.matrix import MatrixView
from visualizer.ui.plots.scatter import ScatterView


class ResultsView(PlotView):
    """A :class:`MatrixData` (drawn as the built-in matrix view) or a :class:`ScatterData` of
    (true, predicted) points (the built-in scatter view plus the diagonal ŷ = y)."""

    data_type = (MatrixData, ScatterData)

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.stack = QStackedWidget()
        self.matrix = MatrixView(spec)
        self.scatter = ScatterView(spec)
        for view in (self.matrix, self.scatter):
            view.setToolTip("")
            view.setContextMenuPolicy(self.contextMenuPolicy())
            view.customContextMenuRequested.connect(lambda pos, v=view: self._show_context_menu(v.mapTo(self, pos)))
            for graphics in view.findChildren(pg.GraphicsView):
                graphics.customContextMenuRequested.disconnect()
                graphics.customContextMenuRequested.connect(
                    lambda pos, g=graphics: self._show_context_menu(g.mapTo(self, pos)))
            self.stack.addWidget(view)
        self._layout.addWidget(self.stack)
        pen = pg.mkPen("#bdc1c6", width=1.5, style=Qt.PenStyle.DashLine)
        self.diagonal = pg.PlotDataItem([], [], pen=pen)
        self.scatter.plot_item.addItem(self.diagonal, ignoreBounds=True)

    def _draw(self, data: MatrixData | ScatterData) -> None:
        if isinstance(data, MatrixData):
            self.stack.setCurrentWidget(self.matrix)
            self.matrix.set_data(data)
            return
        self.stack.setCurrentWidget(self.scatter)
        self.scatter.set_data(data)
        pts = np.asarray(data.points, dtype=np.float64)
        finite = pts[np.isfinite(pts).all(axis=1)]
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
            self.diagonal.setData([lo, hi], [lo, hi])

    def reset_zoom(self) -> None:
        self.stack.currentWidget().reset_zoom()


PLOT_VIEWS = {"results": ResultsView}
