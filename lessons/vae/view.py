"""Views of the ``vae`` lesson: the decoded latent grid with square pixels, and the KL of each latent
dimension on a fixed-floor scale with inactive units greyed out."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from visualizer.probes.vae_health import ACTIVE_KL
from visualizer.core.plotdata import BarsData, PlotSpec
from visualizer.ui.plots.bars import BarsView
from visualizer.ui.plots.colormaps import series_color
from visualizer.ui.plots.image import ImageView

MIN_KL_RANGE = 0.5          # nats: the bars' y axis shows at least [0, 0.5], so 1e-4 never looks tall


class LatentGridView(ImageView):
    """The latent grid (an :class:`ImageData` mosaic) with its aspect ratio locked, so the digits keep
    their shape whatever the panel's size."""

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.plot_item.setAspectLocked(True)


class ActiveUnitsView(BarsView):
    """KL per latent dimension (:class:`BarsData`): active dimensions (KL above the threshold) in colour,
    inactive ones grey, a dashed line at the threshold, and a y axis that starts at 0 and spans at least
    ``MIN_KL_RANGE`` nats."""

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.threshold = pg.InfiniteLine(pos=ACTIVE_KL, angle=0,
                                         pen=pg.mkPen("#9e9e9e", width=1, style=Qt.PenStyle.DashLine))
        self.plot_item.addItem(self.threshold)

    def _draw(self, data: BarsData) -> None:
        super()._draw(data)
        values = np.asarray(data.values, dtype=np.float64).ravel()
        finite = np.where(np.isfinite(values), values, 0.0)
        active, grey = pg.mkBrush(series_color(0)), pg.mkBrush("#bdbdbd")
        self.bars.setOpts(brushes=[active if v > ACTIVE_KL else grey for v in finite])
        top = max(MIN_KL_RANGE, 1.1 * float(finite.max(initial=0.0)))
        self.plot_item.setYRange(0.0, top, padding=0)


PLOT_VIEWS = {"latent_grid": LatentGridView, "active_units": ActiveUnitsView}
