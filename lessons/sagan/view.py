"""The ``attention_pixel`` plot kind of the ``sagan`` lesson: where one pixel of a generated image attends.

Left: the 16 fixed-noise samples (click one to choose it, outlined in blue).  Right: the chosen sample in grey with
the clicked pixel outlined in red and, overlaid in colour, the attention weights β_i· of the 8×8 position under it
(each position covers 2×2 pixels), with a colour bar of the weights.  Clicks ask for the live parameters
``attention_sample`` and ``attention_pixel``.  Imported only by the UI.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from lessons.sagan.lesson import IMAGE_SIDE, AttentionPixelData
from visualizer.core.plotdata import PlotSpec
from visualizer.ui.plots.axes import FittedLabelItem
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import colormap

GRID_COLS = 4
PITCH = IMAGE_SIDE + 2          # tile size plus a 2-pixel gap in the samples mosaic
OVERLAY_CMAP = "inferno"


def _outline(color: str, width: float = 2.0) -> QGraphicsRectItem:
    item = QGraphicsRectItem(0, 0, 1, 1)
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    item.setPen(pen)
    item.setZValue(10)
    return item


def attention_rgba(attention: np.ndarray, cmap: str = "inferno") -> np.ndarray:
    """(h, w) attention weights -> (h, w, 4) uint8 colours, scaled to the map's maximum, more opaque where
    larger (so the digit shows through where the position does not look)."""
    a = np.asarray(attention, dtype=np.float64)
    t = a / a.max() if a.max() > 0 else np.zeros_like(a)
    rgba = colormap(cmap).map(t.ravel(), mode="byte").reshape(*a.shape, 4).copy()
    rgba[..., 3] = (60 + 170 * t).astype(np.uint8)
    return rgba


class AttentionPixelView(PlotView):
    """An :class:`AttentionPixelData`: samples to choose from, and the chosen one with its attention overlay."""

    data_type = AttentionPixelData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.setMinimumSize(520, 300)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.left_title = FittedLabelItem("samples (click one)", size="9pt")
        self.right_title = FittedLabelItem("attention of the clicked pixel", size="9pt")
        self.graphics.addItem(self.left_title, row=0, col=0)
        self.graphics.addItem(self.right_title, row=0, col=1, colspan=2)
        self.samples_box = self.graphics.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.image_box = self.graphics.addViewBox(row=1, col=1, lockAspect=True, invertY=True, enableMenu=False)
        for box in (self.samples_box, self.image_box):
            box.setMouseEnabled(False, False)
        self.mosaic = pg.ImageItem(axisOrder="row-major")
        self.mosaic.setColorMap(colormap("gray"))
        self.samples_box.addItem(self.mosaic)
        self.sample_rect = _outline("#1f77b4", 2.5)
        self.samples_box.addItem(self.sample_rect)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(colormap("gray"))
        self.image_box.addItem(self.image)
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.overlay.setZValue(5)
        self.image_box.addItem(self.overlay)
        self.pixel_rect = _outline("#d62728", 2.5)
        self.image_box.addItem(self.pixel_rect)
        self.image_frame = _outline("#9aa0a6", 1.0)            # a vector frame (and <path> in SVG exports)
        self.image_box.addItem(self.image_frame)
        # the overlay's colours are mapped from 0 to the largest weight: its colour bar says which weight is which
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap(OVERLAY_CMAP), interactive=False,
                                        width=12, label="attention weight β")
        self.graphics.addItem(self.colorbar, row=1, col=2)
        self._n = 0
        self.graphics.scene().sigMouseClicked.connect(self._clicked)

    def _draw(self, data: AttentionPixelData) -> None:
        n = len(data.samples)
        self._n = n
        rows = (n + GRID_COLS - 1) // GRID_COLS
        mosaic = np.full((rows * PITCH, GRID_COLS * PITCH), np.nan, dtype=np.float32)
        for i in range(n):
            r, c = divmod(i, GRID_COLS)
            mosaic[r * PITCH:r * PITCH + IMAGE_SIDE, c * PITCH:c * PITCH + IMAGE_SIDE] = data.samples[i]
        self.mosaic.setImage(mosaic, autoLevels=False, levels=(-1.0, 1.0))
        self.mosaic.setRect(QRectF(0, 0, mosaic.shape[1], mosaic.shape[0]))
        r, c = divmod(int(data.sample), GRID_COLS)
        self.sample_rect.setRect(QRectF(c * PITCH - 0.5, r * PITCH - 0.5, IMAGE_SIDE + 1, IMAGE_SIDE + 1))
        self.samples_box.setRange(QRectF(-1, -1, mosaic.shape[1] + 1, mosaic.shape[0] + 1), padding=0)

        side = data.image.shape[0]
        self.image.setImage(np.asarray(data.image, np.float32), autoLevels=False, levels=(-1.0, 1.0))
        self.image.setRect(QRectF(0, 0, side, side))
        self.overlay.setImage(attention_rgba(data.attention, OVERLAY_CMAP), autoLevels=False)
        self.overlay.setRect(QRectF(0, 0, side, side))
        pr, pc = divmod(int(data.pixel), side)
        self.pixel_rect.setRect(QRectF(pc, pr, 1, 1))
        self.image_frame.setRect(QRectF(0, 0, side, side))
        self.image_box.setRange(QRectF(-0.5, -0.5, side + 1, side + 1), padding=0)
        peak = float(np.max(data.attention))
        self.colorbar.setLevels((0.0, peak if peak > 0 else 1.0))
        self.right_title.setText(f"sample {data.sample}, pixel ({pr}, {pc}), γ = {data.gamma:.3f}\n"
                                 f"max β = {peak:.3f} (uniform {1 / data.attention.size:.3f})")

    # ---- clicks ---------------------------------------------------------------------------------------
    def request_sample(self, index: int) -> None:
        self.paramRequested.emit("attention_sample", int(index))

    def request_pixel(self, row: int, col: int) -> None:
        self.paramRequested.emit("attention_pixel", int(row) * IMAGE_SIDE + int(col))

    def _clicked(self, event) -> None:
        """A click on a sample chooses it; a click on the big image chooses the pixel."""
        if event.button() != Qt.MouseButton.LeftButton or not self.has_data:
            return
        pos = event.scenePos()
        if self.image_box.sceneBoundingRect().contains(pos):
            p = self.image_box.mapSceneToView(pos)
            if 0 <= p.x() < IMAGE_SIDE and 0 <= p.y() < IMAGE_SIDE:
                self.request_pixel(int(p.y()), int(p.x()))
        elif self.samples_box.sceneBoundingRect().contains(pos):
            p = self.samples_box.mapSceneToView(pos)
            if p.x() < 0 or p.y() < 0:
                return
            c, r = int(p.x()) // PITCH, int(p.y()) // PITCH
            index = r * GRID_COLS + c
            if c < GRID_COLS and 0 <= index < self._n:
                self.request_sample(index)


PLOT_VIEWS = {"attention_pixel": AttentionPixelView}
