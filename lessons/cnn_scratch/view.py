"""The ``conv_explainer`` plot kind: a convolution worked out at one position, in four panels.

Padded input with the kernel's window outlined, the kernel with its weights, the elementwise
products window ⊙ kernel with their sum, and the output feature map filled up to the current
position; a text line above gives the output-size formula with the current numbers.  Clicking a
pixel of the input or a cell of the output moves the window there (the view asks for the live
parameter ``explain_position``).  Imported only by the UI.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPen, QColor
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QWidget

from lessons.cnn_scratch.explainer import ConvExplainerData
from visualizer.core.plotdata import PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import colormap, is_dark
from visualizer.ui.plots.labels import Label, LabelsItem

WINDOW_COLOR = "#d62728"
PAD_COLOR = "#1f77b4"
DIVERGING = "CET-D1"


def _rect(color: str, width: float = 2.5, dashed: bool = False) -> QGraphicsRectItem:
    item = QGraphicsRectItem(0, 0, 1, 1)
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    item.setPen(pen)
    item.setZValue(10)
    return item


def _symmetric(a: np.ndarray) -> tuple[float, float]:
    m = float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else 1.0
    m = m or 1.0
    return -m, m


class _Panel:
    """One titled image panel of the explainer (row 0 at the top, one data unit per pixel)."""

    def __init__(self, layout: pg.GraphicsLayoutWidget, col: int, title: str, cmap: str,
                 point_size: float = 8.0) -> None:
        self.title = layout.addLabel(title, row=0, col=col, size="9pt")
        self.box = layout.addViewBox(row=1, col=col, lockAspect=True, invertY=True, enableMenu=False)
        self.box.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(colormap(cmap))
        self.box.addItem(self.image)
        self.numbers = LabelsItem(point_size=point_size, anchor=(0.5, 0.5))
        self.box.addItem(self.numbers, ignoreBounds=True)
        self.cmap = colormap(cmap)
        self._shape: tuple[int, int] | None = None

    def set_image(self, a: np.ndarray, levels: tuple[float, float]) -> None:
        self.image.setImage(a.astype(np.float32), autoLevels=False, levels=levels)
        if a.shape != self._shape:
            self._shape = a.shape
            self.image.setRect(QRectF(0, 0, a.shape[1], a.shape[0]))
            self.box.setRange(QRectF(-0.3, -0.3, a.shape[1] + 0.6, a.shape[0] + 0.6), padding=0)

    def set_numbers(self, values: np.ndarray, texts: list[str], levels: tuple[float, float]) -> None:
        lo, hi = levels
        labels = []
        r, c = values.shape
        for i in range(r):
            for j in range(c):
                t = (values[i, j] - lo) / (hi - lo) if hi > lo and np.isfinite(values[i, j]) else 0.0
                dark = is_dark(self.cmap.map(float(np.clip(t, 0, 1)), mode="qcolor"))
                labels.append(Label(j + 0.5, i + 0.5, texts[i * c + j], "#ffffff" if dark else "#000000"))
        self.numbers.set_labels(labels)


class ConvExplainerView(PlotView):
    """A :class:`ConvExplainerData`: input (padded, window outlined in red, the original image's
    border dashed in blue), kernel, products with their sum, and the output filled so far."""

    data_type = ConvExplainerData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.setMinimumSize(640, 300)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setStyleSheet("padding: 2px 6px; font-size: 10pt;")
        self._layout.addWidget(self.text)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.input = _Panel(self.graphics, 0, "input, zero-padded", "gray")
        self.kernel = _Panel(self.graphics, 1, "kernel K", DIVERGING)
        self.products = _Panel(self.graphics, 2, "window ⊙ K", DIVERGING, 7.5)
        self.output = _Panel(self.graphics, 3, "output feature map", DIVERGING, 7.0)
        self.window_rect = _rect(WINDOW_COLOR)
        self.pad_rect = _rect(PAD_COLOR, 1.5, dashed=True)
        self.input.box.addItem(self.window_rect)
        self.input.box.addItem(self.pad_rect)
        self.cell_rect = _rect(WINDOW_COLOR)
        self.output.box.addItem(self.cell_rect)
        self.output_frame = _rect("#9aa0a6", 1.0)                  # the whole output map, filled or not
        self.output.box.addItem(self.output_frame)
        self._geometry: tuple[int, int, int, int] | None = None     # stride, K, OH, OW
        self.graphics.scene().sigMouseClicked.connect(self._clicked)

    def _draw(self, data: ConvExplainerData) -> None:
        e = data.explanation
        k_h, k_w = e.kernel.shape
        oh, ow = e.output.shape
        self._geometry = (e.stride, k_h, oh, ow)
        h_pad, w_pad = e.padded.shape
        self.input.set_image(e.padded, (0.0, max(1.0, float(e.padded.max()))))
        self.pad_rect.setRect(QRectF(e.pad, e.pad, w_pad - 2 * e.pad, h_pad - 2 * e.pad))
        self.pad_rect.setVisible(e.pad > 0)
        self.window_rect.setRect(QRectF(e.col * e.stride, e.row * e.stride, k_w, k_h))

        k_levels = _symmetric(e.kernel)
        self.kernel.set_image(e.kernel, k_levels)
        big = k_h <= 4
        self.kernel.set_numbers(e.kernel, [f"{v:.2g}" for v in e.kernel.ravel()], k_levels)
        p_levels = _symmetric(e.products)
        self.products.set_image(e.products, p_levels)
        if big:
            texts = [f"{x:.2f}×{w:.2g}\n= {p:.2f}" for x, w, p in
                     zip(e.window.ravel(), e.kernel.ravel(), e.products.ravel())]
        else:
            texts = [f"{p:.1f}" for p in e.products.ravel()]
        self.products.set_numbers(e.products, texts, p_levels)
        self.products.title.setText(f"window ⊙ K,  Σ = {e.value:.3f}")

        shown = np.where(e.filled, e.output, np.nan)
        o_levels = _symmetric(e.output)
        self.output.set_image(shown, o_levels)
        if oh * ow <= 100:
            self.output.set_numbers(shown, ["" if not f else f"{v:.1f}" for v, f in
                                            zip(e.output.ravel(), e.filled.ravel())], o_levels)
        else:
            self.output.numbers.set_labels([])
        self.cell_rect.setRect(QRectF(e.col, e.row, 1, 1))
        self.output_frame.setRect(QRectF(0, 0, ow, oh))
        self.output.title.setText(f"output {oh}×{ow}: y[{e.row},{e.col}] = {e.value:.3f}")
        self.text.setText(f"{data.caption}   ·   position {e.position + 1} of {oh * ow}, stride S = {e.stride}, "
                          f"padding P = {e.pad}\n{e.formula}")

    def _clicked(self, event) -> None:
        """Click on the input or the output: ask for ``explain_position`` at that place."""
        if self._geometry is None or event.button() != Qt.MouseButton.LeftButton:
            return
        stride, k, oh, ow = self._geometry
        pos = event.scenePos()
        for panel, to_cell in ((self.input, lambda x, y: (int(y - k / 2 + 0.5) // stride, int(x - k / 2 + 0.5) // stride)),
                               (self.output, lambda x, y: (int(y), int(x)))):
            if panel.box.sceneBoundingRect().contains(pos):
                p = panel.box.mapSceneToView(pos)
                row, col = to_cell(p.x(), p.y())
                row, col = min(max(row, 0), oh - 1), min(max(col, 0), ow - 1)
                signal = getattr(self, "paramRequested", None)
                if signal is not None:
                    signal.emit("explain_position", row * ow + col)
                return


PLOT_VIEWS = {"conv_explainer": ConvExplainerView}
