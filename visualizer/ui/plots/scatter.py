"""Labelled points (embeddings, 2-D data sets): classes by colour, groups by symbol."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import PlotSpec, ScatterData
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.image import PointsOverlay, ValueColorBar


class ScatterView(PlotView):
    """A :class:`ScatterData` with a legend of classes and groups (train ○, test □), titled with the
    data's ``title`` when it has one.  The legend sits in a margin right of the axes, never on the points.
    Points with ``values`` are coloured by them through ``colormap``, with a colour bar (``colorbar``)
    labelled ``colorbar_label`` right of the axes, and the legend lists only the groups."""

    data_type = ScatterData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        legend = self.plot_item.addLegend(offset=(5, 5), labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 190))
        legend.setVisible(False)
        legend.setParentItem(self.plot_item)               # in the plot item's right margin, not the view box
        legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-2, 4))
        self.legend = legend
        self._legend_width = -1
        self.overlay = PointsOverlay(self.plot_item, legend)
        self.colorbar = ValueColorBar(self.plot_item, 5)
        self._labels: tuple[str, str] | None = None
        self._title: str | None = None

    def _draw(self, data: ScatterData) -> None:
        self.overlay.set_points(data)
        self.colorbar.show(self.overlay.value_scale)
        self._fit_legend()
        labels = (data.x_label or self.spec.x_label, data.y_label or self.spec.y_label)
        if labels != self._labels:
            self._labels = labels
            self.plot_item.setLabel("bottom", labels[0] or None)
            self.plot_item.setLabel("left", labels[1] or None)
        if data.title != self._title:
            self._title = data.title
            self.plot_item.setTitle(data.title or None, size="9pt")

    def _fit_legend(self) -> None:
        """Make the plot item's right margin as wide as the legend, so the axes shrink beside it."""
        width = int(self.legend.boundingRect().width()) + 6 if self.legend.isVisible() else 0
        if width != self._legend_width:
            self._legend_width = width
            left, top, _, bottom = self.plot_item.layout.getContentsMargins()
            self.plot_item.layout.setContentsMargins(left, top, width, bottom)

    def reset_zoom(self) -> None:
        self.plot_item.enableAutoRange()
