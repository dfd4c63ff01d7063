"""A layered network in the style of TensorFlow Playground: neurons as small maps, weights as edges."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsRectItem, QWidget

from visualizer.core.plotdata import NetworkData, PlotSpec
from visualizer.ui import theme
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import BLUE, ORANGE, colormap

MAX_NODES_SHOWN = 32        # per layer; wider layers show their first neurons
NODE = 1.0                  # node size in data units
V_GAP = 0.45                # vertical gap between nodes
H_GAP = 3.2                 # horizontal gap between layers
MAX_EDGE_WIDTH = 5.0        # pixels, for the largest |w|


def layer_title(i: int, n_layers: int) -> str:
    """Column heading: input, hidden 1..k, output."""
    if i == 0:
        return "input"
    if i == n_layers - 1:
        return "output"
    return f"hidden {i}"


class NetworkView(PlotView):
    """A :class:`NetworkData`: one column of nodes per layer (inputs on the left), each node showing
    its map over the input plane when ``node_images`` is given (row 0 at the bottom, as in
    ``ImageData``), edges blue for positive and orange for negative weights with width by |w|
    relative to the largest, and the input features' names."""

    data_type = NetworkData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.view_box = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self._key: tuple | None = None
        self.node_items: list[list] = []          # per layer: ImageItem or ellipse per node
        self.edge_items: list[np.ndarray] = []    # per transition: (n_in, n_out) object array of lines
        self.text_items: list[pg.TextItem] = []
        self._cmap = colormap("playground")
        self._lut = self._cmap.getLookupTable(nPts=256)
        self._pos: list[np.ndarray] = []          # per layer: (n, 2) top-left corners

    def _node_positions(self, sizes: list[int]) -> list[np.ndarray]:
        tallest = max(sizes) if sizes else 1
        pos = []
        for i, n in enumerate(sizes):
            offset = (tallest - n) * (NODE + V_GAP) / 2
            ys = offset + np.arange(n) * (NODE + V_GAP)
            pos.append(np.stack([np.full(n, i * (NODE + H_GAP)), ys], axis=1))
        return pos

    def _rebuild(self, data: NetworkData, sizes: list[int], with_images: bool) -> None:
        vb = self.view_box
        for layer in self.node_items:
            for item in layer:
                vb.removeItem(item)
        for grid in self.edge_items:
            for item in grid.ravel():
                vb.removeItem(item)
        for item in self.text_items:
            vb.removeItem(item)
        self.node_items, self.edge_items, self.text_items = [], [], []
        self._pos = self._node_positions(sizes)
        for t in range(len(sizes) - 1):
            grid = np.empty((sizes[t], sizes[t + 1]), dtype=object)
            for i in range(sizes[t]):
                for j in range(sizes[t + 1]):
                    a = self._pos[t][i] + (NODE, NODE / 2)
                    b = self._pos[t + 1][j] + (0, NODE / 2)
                    line = QGraphicsLineItem(QLineF(a[0], a[1], b[0], b[1]))
                    line.setZValue(-1)
                    vb.addItem(line)
                    grid[i, j] = line
            self.edge_items.append(grid)
        for layer, n in enumerate(sizes):
            items = []
            for j in range(n):
                x, y = self._pos[layer][j]
                if with_images:
                    item = pg.ImageItem(axisOrder="row-major")
                    item.setLookupTable(self._lut)
                    item.node_rect = QRectF(x, y, NODE, NODE)
                    frame = QGraphicsRectItem(QRectF(x, y, NODE, NODE))
                    pen = QPen(QColor("#5f6368"))
                    pen.setCosmetic(True)
                    frame.setPen(pen)
                    frame.setZValue(2)
                    vb.addItem(item)
                    vb.addItem(frame)
                    items.append(item)
                    items.append(frame)
                else:
                    item = QGraphicsEllipseItem(QRectF(x + 0.15, y + 0.15, NODE - 0.3, NODE - 0.3))
                    item.setBrush(QBrush(QColor("#dadce0")))
                    pen = QPen(QColor("#5f6368"))
                    pen.setCosmetic(True)
                    item.setPen(pen)
                    vb.addItem(item)
                    items.append(item)
            self.node_items.append(items)
            head = pg.TextItem(layer_title(layer, len(sizes)), color=theme.current().foreground, anchor=(0.5, 1.0))
            head.setPos(self._pos[layer][0][0] + NODE / 2, float(self._pos[layer][:, 1].min()) - 0.1)
            vb.addItem(head)
            self.text_items.append(head)
        labels = list(data.node_labels[0]) if len(data.node_labels) else []
        for j, text in enumerate(labels[: sizes[0]]):
            x, y = self._pos[0][j]
            item = pg.TextItem(str(text), color=theme.current().text, anchor=(1.0, 0.5))
            item.setPos(x - 0.1, y + NODE / 2)
            vb.addItem(item)
            self.text_items.append(item)
        if len(sizes) > 1 and len(data.node_labels) >= len(sizes):
            for j, text in enumerate(list(data.node_labels[-1])[: sizes[-1]]):
                x, y = self._pos[-1][j]
                item = pg.TextItem(str(text), color=theme.current().text, anchor=(0.0, 0.5))
                item.setPos(x + NODE + 0.1, y + NODE / 2)
                vb.addItem(item)
                self.text_items.append(item)
        vb.autoRange(padding=0.08)

    def _draw(self, data: NetworkData) -> None:
        full = [int(n) for n in data.layer_sizes]
        if len(data.weights) != max(0, len(full) - 1):
            raise ValueError(f"plot '{self.spec.id}': {len(full)} layers need {len(full) - 1} weight matrices, "
                             f"got {len(data.weights)}")
        sizes = [min(n, MAX_NODES_SHOWN) for n in full]
        with_images = len(data.node_images) == len(sizes)
        labels = tuple(tuple(map(str, l)) for l in data.node_labels)
        key = (tuple(sizes), with_images, labels)
        if key != self._key:
            self._key = key
            self._rebuild(data, sizes, with_images)
        self._draw_edges(data, sizes)
        if with_images:
            lo, hi = data.image_levels
            for layer, maps in enumerate(data.node_images):
                maps = np.asarray(maps, dtype=np.float32)
                for j in range(sizes[layer]):
                    # ImageData convention: row 0 at the bottom; this view's y axis points down
                    item = self.node_items[layer][2 * j]
                    item.setImage(maps[j][::-1], autoLevels=False, levels=(lo, hi))
                    item.setRect(item.node_rect)      # after setImage: the scale depends on the image size

    def _draw_edges(self, data: NetworkData, sizes: list[int]) -> None:
        mags = [np.abs(np.asarray(w, dtype=np.float64)) for w in data.weights]
        top = max((float(m.max()) for m in mags if m.size), default=0.0) or 1.0
        pos_color, neg_color = QColor(BLUE), QColor(ORANGE)
        for t, w in enumerate(data.weights):
            w = np.asarray(w, dtype=np.float64)[: sizes[t], : sizes[t + 1]]
            rel = np.abs(w) / top
            grid = self.edge_items[t]
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    color = QColor(pos_color if w[i, j] >= 0 else neg_color)
                    color.setAlphaF(float(0.25 + 0.75 * min(1.0, rel[i, j])))
                    pen = QPen(color)
                    pen.setCosmetic(True)
                    pen.setWidthF(0.3 + MAX_EDGE_WIDTH * float(rel[i, j]))
                    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                    grid[i, j].setPen(pen)

    def edge_pen(self, layer: int, i: int, j: int) -> QPen:
        """The pen of the edge from neuron ``i`` of ``layer`` to neuron ``j`` of the next layer."""
        return self.edge_items[layer][i, j].pen()

    def reset_zoom(self) -> None:
        self.view_box.autoRange(padding=0.08)
