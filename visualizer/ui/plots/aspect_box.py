"""Give an aspect-locked picture's view box the picture's shape, so the picture fills it and what stands
beside it (a colour bar) stays next to the picture instead of across a band of empty space."""
from __future__ import annotations

import pyqtgraph as pg

from visualizer.ui.plots.image_grid import aspect_margins


class AspectFit:
    """Keeps the margins of ``inner`` (a GraphicsLayout that holds ``box`` and, beside it, e.g. a colour bar)
    such that ``box`` has the width/height ``ratio`` of its picture; refitted whenever the box is resized.
    ``margins``: the extra (horizontal, vertical) pixels in use."""

    def __init__(self, inner: pg.GraphicsLayout, box: pg.ViewBox) -> None:
        self.inner = inner
        self.box = box
        self.ratio = 0.0
        self.margins = (0.0, 0.0)
        self._busy = False
        box.sigResized.connect(lambda *_: self.fit())

    def set_ratio(self, ratio: float) -> None:
        """The picture's width / height (data units); 0 turns fitting off."""
        if ratio != self.ratio:
            self.ratio = float(ratio)
            self.fit()

    def fit(self) -> None:
        if self._busy or self.ratio <= 0:
            return
        margins = aspect_margins(self.margins, self.box.width(), self.box.height(), self.ratio)
        margins = (max(0.0, margins[0]), max(0.0, margins[1]))
        if abs(margins[0] - self.margins[0]) < 1 and abs(margins[1] - self.margins[1]) < 1:
            return
        self.margins = margins
        self._busy = True
        try:
            self.inner.layout.setContentsMargins(margins[0] / 2, margins[1] / 2, margins[0] / 2, margins[1] / 2)
        finally:
            self._busy = False
