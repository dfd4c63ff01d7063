"""The ``latent_map`` plot kind: the scatter of codes coloured by digit, titled with what it shows
(the 2-D code itself, or the PCA of a longer code).  Imported only by the UI."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from lessons.autoencoder.lesson import LatentMapData
from visualizer.core.plotdata import PlotSpec, ScatterData
from visualizer.ui.plots.scatter import ScatterView


class LatentMapView(ScatterView):
    """A :class:`ScatterView` whose plot title comes from the data (``LatentMapData.title``)."""

    data_type = ScatterData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._title: str | None = None

    def _draw(self, data: ScatterData) -> None:
        super()._draw(data)
        title = data.title if isinstance(data, LatentMapData) else ""
        if title != self._title:
            self._title = title
            self.plot_item.setTitle(title or None, size="9pt")


PLOT_VIEWS = {"latent_map": LatentMapView}
