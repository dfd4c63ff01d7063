"""A reinforcement-learning environment, animated (:class:`~visualizer.core.plotdata.EnvironmentData`; the dqn
lesson, after Buduma, *Fundamentals of Deep Learning* ch. 13, and Karpathy's REINFORCEjs GridWorld).

One view draws both subclasses, each in a scene of its own (built when the first data of its kind arrives):

- :class:`CartPoleData`, drawn by us from the state (gymnasium's own renderer needs pygame): the track with
  the ±``x_threshold`` limits, the cart, the pole at angle theta (0 upright, positive leaning right) between
  dashed lines at ±``theta_threshold`` (past them the episode ends), the last action as an arrow beside the
  cart, and the Q-values of both actions as two labelled bars (the greedy one coloured) when given.
- :class:`GridWorldData`: the cells coloured by V(s) through a colour-blind-safe diverging map (ColorBrewer's
  RdBu: red below 0, blue above) with its colour bar, walls dark, goal, pit and start marked by tags with their
  letter and reward, the greedy action of each cell as an arrow (order of ``GRID_ACTIONS``: up, right, down,
  left) and the agent as a yellow dot moving along ``agent``.  When ``data.editable``, a left click on a cell
  emits ``paramRequested("grid_edit", "row,col")`` (:meth:`EnvironmentView.click_cell` does the same for tests
  and narrative steps).
- :class:`AtariFrameData`: the game's RGB screen as an image (square pixels, aspect kept), and beside it the
  Q-value of every action as a horizontal bar labelled with the action's name (the greedy one coloured).

The frames of a data object play once at ``data.fps`` and the last one is held; a new data object replaces
the queue (it starts at its first frame).  The playback timer runs only while the view is shown; a tick sets a
few items (the cart and pole, or the agent's dot) and the line of text above the picture.  Above the picture:
episode, step and return; under it: the caption.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsPolygonItem, QGraphicsRectItem, QLabel, QWidget

from visualizer.core.plotdata import (GRID_ACTIONS, GRID_CELLS, AtariFrameData, CartPoleData, EnvironmentData,
                                      GridWorldData, PlotSpec)
from visualizer.ui import theme
from visualizer.ui.plots.annotated_image import CaptionItem, arrow_pairs, wrap_text
from visualizer.ui.plots.aspect_box import AspectFit
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.playback import FramePlayback
from visualizer.ui.plots.colormaps import colormap

CART_WIDTH, CART_HEIGHT = 0.5, 0.3      # m: the cart as drawn (gymnasium's proportions, 5:3)
POLE_WIDTH = 0.1                        # m
CART_COLOR = "#0072b2"                  # Okabe-Ito blue
POLE_COLOR = "#e69f00"                  # Okabe-Ito orange
FALLEN_COLOR = "#d55e00"                # vermillion: pole past its limit, cart past the track's end
ACTION_COLOR = "#009e73"                # bluish green: the pushing arrow
TRACK_COLOR = "#9e9e9e"
Q_GREEDY_COLOR = "#0072b2"
Q_OTHER_COLOR = "#9e9e9e"
VALUE_COLORMAP = "RdBu"                 # ColorBrewer RdBu: diverging and colour-blind safe; red < 0 < blue
WALL_COLOR = (60, 64, 67)               # dark grey in both themes
NO_VALUE_COLOR = (232, 234, 237)        # a cell with no V (none given, or NaN)
GRID_LINE_COLOR = "#9e9e9e"
ARROW_INK, ARROW_HALO = "#202124", "#ffffff"
AGENT_COLOR, AGENT_EDGE = "#f0e442", "#202124"     # Okabe-Ito yellow with a dark edge: seen on red and blue
CELL_TAGS = {2: ("G", "#009e73"), 3: ("P", "#d55e00"), 4: ("S", "#5f6368")}   # GRID_CELLS code -> letter, tag
ACTION_VECTORS = np.array([[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # GRID_ACTIONS, y down (row)
ARROW_LENGTH = 0.5                      # cells
CAPTION_LINES = 2

assert len(ACTION_VECTORS) == len(GRID_ACTIONS) and GRID_CELLS[1] == "wall"


def _caption(item: CaptionItem, text: str, metrics: QFontMetricsF, width: float) -> str:
    lines = wrap_text(text, metrics, max(width - 20.0, 60.0), CAPTION_LINES)
    body = "<br>".join(html.escape(line) for line in lines)
    item.setText(body)
    item.setVisible(bool(body))
    return body


def value_rgba(values: np.ndarray | None, cells: np.ndarray, levels: tuple[float, float],
               cmap_name: str = VALUE_COLORMAP) -> np.ndarray:
    """The grid as an (H, W, 4) uint8 picture: each cell's V through the colour map at ``levels`` (one
    vectorised ``ColorMap.map``), walls dark, cells without a finite V light grey."""
    h, w = cells.shape
    out = np.empty((h, w, 4), np.uint8)
    out[...] = (*NO_VALUE_COLOR, 255)
    if values is not None:
        v = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(v)
        lo, hi = levels
        x = np.clip((np.where(finite, v, lo) - lo) / (hi - lo), 0.0, 1.0)
        rgba = colormap(cmap_name).map(x.ravel(), mode="byte").reshape(h, w, -1)
        out[finite, :3] = rgba[finite, :3]
    out[cells == 1] = (*WALL_COLOR, 255)
    return out


def value_levels(values: np.ndarray | None, cells: np.ndarray) -> tuple[float, float]:
    """Colour levels of V symmetric around 0: (-m, m) with m the largest |V| off the walls (1 if none)."""
    if values is None:
        return (-1.0, 1.0)
    v = np.asarray(values, dtype=np.float64)[(cells != 1)]
    v = np.abs(v[np.isfinite(v)])
    m = float(v.max()) if v.size else 0.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


def bar_range(q_values) -> tuple[float, float]:
    """The value axis (low, high) of Q bars: from 0 (or below, for negative Q) to the largest finite Q; NaN and
    infinite values (a diverged run) are left out."""
    q = np.asarray(q_values, dtype=np.float64)
    finite = q[np.isfinite(q)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(0.0, float(finite.max())) if finite.size else 1.0
    return lo, (hi if hi > lo else lo + 1.0)


def scene_canvas(background: str, top: int) -> tuple[pg.GraphicsLayoutWidget, pg.GraphicsLayout]:
    """A scene's widget on the theme's ``background`` and its layout, with ``top`` px of margin above."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground(background)
    lay = graphics.ci
    lay.layout.setContentsMargins(2, top, 2, 2)
    return graphics, lay


class CartPoleScene:
    """The cart-pole picture: track, limits, cart, pole, action arrow, Q-value bars and caption."""

    def __init__(self, view: "EnvironmentView") -> None:
        colors = theme.current()
        self.graphics, lay = scene_canvas(colors.background, top=4)
        self.world = lay.addPlot(row=0, col=0)
        view._quiet_plot_item(self.world)
        self.world.showGrid(x=False, y=False)
        self.world.setMouseEnabled(False, False)
        self.world.setAspectLocked(True)
        self.world.hideAxis("left")
        self.world.setLabel("bottom", "cart position x (m)")
        self.track = pg.PlotCurveItem(pen=pg.mkPen(TRACK_COLOR, width=2))
        self.limits = pg.PlotCurveItem(pen=pg.mkPen(FALLEN_COLOR, width=1.5, style=Qt.PenStyle.DashLine),
                                       connect="pairs")
        self.cart = QGraphicsRectItem()
        self.cart.setPen(QPen(Qt.PenStyle.NoPen))
        self.cart.setBrush(QBrush(QColor(CART_COLOR)))
        self.pole = QGraphicsPolygonItem()
        self.pole.setPen(QPen(Qt.PenStyle.NoPen))
        self.pole.setBrush(QBrush(QColor(POLE_COLOR)))
        self.axle = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#202124"), brush=pg.mkBrush("#ffffff"))
        self.arrow = pg.PlotCurveItem(pen=pg.mkPen(ACTION_COLOR, width=3), connect="pairs")
        # the pole's angle limits, from the pivot: past them the episode ends
        self.wedge = pg.PlotCurveItem(pen=pg.mkPen(TRACK_COLOR, width=1, style=Qt.PenStyle.DashLine), connect="pairs")
        # anchored inwards from each limit, so neither label leaves a narrow picture
        self.limit_labels = [pg.TextItem("track ends", color=FALLEN_COLOR, anchor=a) for a in ((0.0, 1.0), (1.0, 1.0))]
        font = QFont()
        font.setPointSizeF(8.0)
        for label in self.limit_labels:
            label.setFont(font)
            self.world.addItem(label)
        for z, item in enumerate((self.track, self.limits, self.wedge, self.cart, self.pole, self.axle, self.arrow)):
            item.setZValue(z)
            self.world.addItem(item)
        self.qplot = lay.addPlot(row=0, col=1)
        view._quiet_plot_item(self.qplot)
        self.qplot.setMouseEnabled(False, False)
        self.qplot.showGrid(x=False, y=True, alpha=0.15)
        self.qplot.setLabel("left", "Q(s, a)")
        self.qplot.getAxis("bottom").setTicks([[(0, "left"), (1, "right")]])
        self.qplot.setXRange(-0.6, 1.6, padding=0)
        self.qplot.setMaximumWidth(120)
        self.qplot.setMinimumWidth(90)
        self.qbars = pg.BarGraphItem(x=[0, 1], height=[0, 0], width=0.6, brushes=[Q_OTHER_COLOR] * 2)
        self.qplot.addItem(self.qbars)
        self._q_shown = True
        self.caption = CaptionItem("", size="9pt", color=colors.text)
        lay.addItem(self.caption, row=1, col=0, colspan=2)
        lay.layout.setColumnStretchFactor(0, 1)
        self._geometry: tuple | None = None

    def set_data(self, data: CartPoleData) -> None:
        """The parts that stay while the frames play: track, limits, Q axis, caption."""
        geometry = (float(data.x_threshold), float(data.pole_half_length))
        if geometry != self._geometry:
            self._geometry = geometry
            xt, half = geometry
            edge = xt + CART_WIDTH
            self.track.setData([-edge, edge], [0.0, 0.0])
            self.limits.setData([-xt, -xt, xt, xt], [-0.15, 2 * half + CART_HEIGHT + 0.1] * 2)
            for label, x in zip(self.limit_labels, (-xt, xt)):
                label.setPos(x, 2 * half + CART_HEIGHT + 0.12)
            self.world.setRange(xRange=(-edge, edge), yRange=(-0.2, 2 * half + CART_HEIGHT + 0.3), padding=0.02)
        shown = data.q_values is not None
        if shown != self._q_shown:
            self._q_shown = shown
            if shown:
                self.graphics.ci.addItem(self.qplot, row=0, col=1)
            else:
                self.graphics.ci.removeItem(self.qplot)
            self.qplot.setVisible(shown)
        if shown:
            self.qplot.setYRange(*bar_range(data.q_values), padding=0.05)

    def picture_box(self) -> pg.ViewBox:
        """The view box of the picture (its width wraps the caption)."""
        return self.world.vb

    @staticmethod
    def frame_count(data: CartPoleData) -> int:
        return int(np.shape(data.states)[0])

    def show_frame(self, data: CartPoleData, t: int) -> str:
        """Draw frame ``t``; returns the line of text above the picture."""
        x, _x_dot, theta, _theta_dot = (float(v) for v in np.asarray(data.states[t], dtype=np.float64))
        if not (math.isfinite(x) and math.isfinite(theta)):       # a diverged state: draw nothing of it
            self.cart.setRect(QRectF())
            self.pole.setPolygon(QPolygonF())
            self.axle.setData([], [])
            self.arrow.setData([], [])
            self.wedge.setData([], [])
            return f"episode {data.episode}  ·  step {data.step + t}  ·  the state is not finite"
        fallen = abs(theta) > data.theta_threshold
        out = abs(x) > data.x_threshold
        self.cart.setRect(QRectF(x - CART_WIDTH / 2, 0.0, CART_WIDTH, CART_HEIGHT))
        self.cart.setBrush(QBrush(QColor(FALLEN_COLOR if out else CART_COLOR)))
        length = 2.0 * data.pole_half_length
        base = np.array([x, CART_HEIGHT])
        along = np.array([math.sin(theta), math.cos(theta)])          # theta > 0 leans right
        across = np.array([along[1], -along[0]]) * POLE_WIDTH / 2
        tip = base + along * length
        corners = [base - across, base + across, tip + across, tip - across]
        self.pole.setPolygon(QPolygonF([QPointF(*c) for c in corners]))
        self.pole.setBrush(QBrush(QColor(FALLEN_COLOR if fallen else POLE_COLOR)))
        self.axle.setData([x], [CART_HEIGHT])
        reach = 0.8 * length
        limit = float(data.theta_threshold)
        self.wedge.setData([x, x + reach * math.sin(-limit), x, x + reach * math.sin(limit)],
                           [CART_HEIGHT, CART_HEIGHT + reach * math.cos(limit)] * 2)
        action = int(data.actions[t])
        if action in (0, 1):
            sign = 1.0 if action == 1 else -1.0
            start = x + sign * (CART_WIDTH / 2 + 0.05)
            pairs = arrow_pairs(np.array([[start, CART_HEIGHT / 2, sign * 0.45, 0.0]]), head=0.35)
            self.arrow.setData(pairs[:, 0], pairs[:, 1])
        else:
            self.arrow.setData([], [])
        if self._q_shown:
            q = np.asarray(data.q_values[t], dtype=np.float64)
            greedy = int(np.nanargmax(q)) if np.isfinite(q).any() else -1
            brushes = [Q_GREEDY_COLOR if a == greedy else Q_OTHER_COLOR for a in range(2)]
            self.qbars.setOpts(height=np.where(np.isfinite(q), q, 0.0), brushes=brushes)
        # CartPole pays +1 per step (the last one included): the return so far at frame t
        ret = data.episode_return - (self.frame_count(data) - 1 - t)
        text = f"episode {data.episode}  ·  step {data.step + t}  ·  return {max(ret, 0.0):g}"
        if action in (0, 1):
            text += f"  ·  push {'right' if action == 1 else 'left'}"
        if fallen:
            text += "  ·  the pole fell"
        elif out:
            text += "  ·  the cart left the track"
        return text


class GridScene:
    """The grid world: cells coloured by V with a colour bar, walls, tags on goal, pit and start, greedy
    arrows, the agent's dot and the caption."""

    def __init__(self, view: "EnvironmentView") -> None:
        self.view = view
        colors = theme.current()
        self.graphics, lay = scene_canvas(colors.background, top=8)
        self.top = lay.addLayout(row=0, col=0)
        self.box = self.top.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.fit = AspectFit(self.top, self.box)
        self.box.setMouseEnabled(False, False)
        self.cells_item = pg.ImageItem(axisOrder="row-major")
        self.lines = pg.PlotCurveItem(pen=pg.mkPen(GRID_LINE_COLOR, width=1), connect="pairs", antialias=False)
        self.arrow_halo = pg.PlotCurveItem(pen=pg.mkPen(ARROW_HALO, width=4), connect="pairs")
        self.arrows = pg.PlotCurveItem(pen=pg.mkPen(ARROW_INK, width=1.6), connect="pairs")
        self.agent = pg.ScatterPlotItem(pxMode=False, size=0.38, symbol="o", pen=pg.mkPen(AGENT_EDGE, width=2),
                                        brush=pg.mkBrush(AGENT_COLOR))
        for z, item in enumerate((self.cells_item, self.lines, self.arrow_halo, self.arrows, self.agent)):
            item.setZValue(z)
            self.box.addItem(item)
        self.agent.setZValue(20)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=colormap(VALUE_COLORMAP), interactive=False,
                                        width=12)
        self.colorbar.setMaximumWidth(80)
        self.colorbar.getAxis("right").enableAutoSIPrefix(False)
        self._colorbar_shown = False
        self.caption = CaptionItem("", size="9pt", color=colors.text)
        lay.addItem(self.caption, row=1, col=0)
        self.tags: list[pg.TextItem] = []
        self.shape: tuple[int, int] | None = None
        self.graphics.scene().sigMouseClicked.connect(self._clicked)

    def set_data(self, data: GridWorldData) -> None:
        cells = np.asarray(data.cells).astype(np.int64)
        h, w = cells.shape
        if (h, w) != self.shape:
            self.shape = (h, w)
            rect = QRectF(0, 0, w, h)
            self.cells_item.setRect(rect)
            xs = np.concatenate([np.repeat(np.arange(w + 1.0), 2), np.tile([0.0, float(w)], h + 1)])
            ys = np.concatenate([np.tile([0.0, float(h)], w + 1), np.repeat(np.arange(h + 1.0), 2)])
            self.lines.setData(xs, ys)
            self.box.setRange(rect, padding=0.01)
            self.fit.set_ratio(w / h)
        levels = value_levels(data.values, cells)
        self.cells_item.setImage(value_rgba(data.values, cells, levels), autoLevels=False, levels=(0, 255))
        self.cells_item.setRect(QRectF(0, 0, w, h))
        self._show_colorbar(data.values is not None)
        if data.values is not None:
            self.colorbar.setLevels(levels)
            self.colorbar.setLabel("right", "V(s) = max<sub>a</sub> Q(s, a)")
        self._draw_arrows(data, cells)
        self._draw_tags(data, cells)

    def _show_colorbar(self, on: bool) -> None:
        if on == self._colorbar_shown:
            return
        self._colorbar_shown = on
        if on:
            self.top.addItem(self.colorbar, row=0, col=1)
        else:
            self.top.removeItem(self.colorbar)
        self.colorbar.setVisible(on)

    def _draw_arrows(self, data: GridWorldData, cells: np.ndarray) -> None:
        if data.policy is None:
            self.arrows.setData([], [])
            self.arrow_halo.setData([], [])
            return
        policy = np.asarray(data.policy).astype(np.int64)
        rows, cols = np.nonzero((policy >= 0) & (policy < len(GRID_ACTIONS)) & np.isin(cells, (0, 4)))
        v = ACTION_VECTORS[policy[rows, cols]] * ARROW_LENGTH
        centre = np.stack([cols + 0.5, rows + 0.5], axis=1)
        pairs = arrow_pairs(np.concatenate([centre - v / 2, v], axis=1), head=0.4)
        self.arrow_halo.setData(pairs[:, 0], pairs[:, 1])
        self.arrows.setData(pairs[:, 0], pairs[:, 1])

    def _draw_tags(self, data: GridWorldData, cells: np.ndarray) -> None:
        rows, cols = np.nonzero(np.isin(cells, list(CELL_TAGS)))
        rewards = None if data.rewards is None else np.asarray(data.rewards, dtype=np.float64)
        while len(self.tags) < len(rows):
            tag = pg.TextItem("", color="#ffffff", anchor=(0.5, 0.5))
            font = QFont()
            font.setPointSizeF(8.0)
            font.setBold(True)
            tag.setFont(font)
            tag.setZValue(10)
            self.box.addItem(tag)
            self.tags.append(tag)
        for tag, r, c in zip(self.tags, rows, cols):
            code = int(cells[r, c])
            letter, fill = CELL_TAGS[code]
            text = letter
            if rewards is not None and code in (2, 3) and np.isfinite(rewards[r, c]):
                text += f" {rewards[r, c]:+g}".replace("-", "−")
            if tag.toPlainText() != text:
                tag.setText(text)
            tag.fill = pg.mkBrush(fill)
            tag.border = pg.mkPen("#ffffff", width=1)
            if code == 4:                          # the start keeps room for its arrow: tag in the corner
                tag.setAnchor((0.0, 0.0))
                tag.setPos(c + 0.04, r + 0.04)
            else:
                tag.setAnchor((0.5, 0.5))
                tag.setPos(c + 0.5, r + 0.5)
            tag.setVisible(True)
            tag.update()
        for tag in self.tags[len(rows):]:
            tag.setVisible(False)

    def picture_box(self) -> pg.ViewBox:
        """The view box of the grid (its width wraps the caption)."""
        return self.box

    @staticmethod
    def frame_count(data: GridWorldData) -> int:
        return int(np.shape(data.agent)[0])

    def show_frame(self, data: GridWorldData, t: int) -> str:
        if self.frame_count(data):
            r, c = (int(v) for v in data.agent[t])
            self.agent.setData([c + 0.5], [r + 0.5])
        else:
            self.agent.setData([], [])
        text = f"episode {data.episode}  ·  step {data.step + t}  ·  return {data.episode_return:.3g}"
        if data.editable:
            text += "  ·  click a cell to edit the map"
        return text

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(row, col) of the cell under a scene point, or None off the grid."""
        if self.shape is None or not self.box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.box.mapSceneToView(scene_pos)
        r, c = math.floor(p.y()), math.floor(p.x())
        h, w = self.shape
        return (r, c) if 0 <= r < h and 0 <= c < w else None

    def cell_center(self, row: int, col: int) -> QPointF:
        """The widget (viewport) point at the centre of a cell, for tests that click it."""
        scene = self.box.mapViewToScene(QPointF(col + 0.5, row + 0.5))
        return QPointF(self.graphics.mapFromScene(scene))

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            self.view.click_cell(*cell)


class AtariScene:
    """An Atari screen with one horizontal Q-value bar per action (the greedy one coloured) and the caption."""

    def __init__(self, view: "EnvironmentView") -> None:
        colors = theme.current()
        self.graphics, lay = scene_canvas(colors.background, top=6)
        self.top = lay.addLayout(row=0, col=0)
        self.box = self.top.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.box.setMouseEnabled(False, False)
        self.fit = AspectFit(self.top, self.box)
        self.screen = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.screen)
        self.qplot = self.top.addPlot(row=0, col=1)
        view._quiet_plot_item(self.qplot)
        self.qplot.setMouseEnabled(False, False)
        self.qplot.showGrid(x=True, y=False, alpha=0.15)
        self.qplot.setLabel("bottom", "Q(s, a)")
        self.qplot.invertY(True)                       # the first action on top
        self.qplot.setMaximumWidth(190)
        self.qplot.setMinimumWidth(130)
        self.qbars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brushes=[])
        self.qplot.addItem(self.qbars)
        self.caption = CaptionItem("", size="9pt", color=colors.text)
        lay.addItem(self.caption, row=1, col=0)
        self._shape: tuple[int, int] | None = None
        self._rect_due = False
        self._names: tuple[str, ...] | None = None

    def set_data(self, data: AtariFrameData) -> None:
        """The parts that stay while the frames play: the screen's size, the action names, the Q axis."""
        h, w = np.shape(data.frames)[1:3]
        if (h, w) != self._shape:
            self._shape = (h, w)
            self._rect_due = True                 # set after the first image of this size (setRect scales it)
            self.box.setRange(QRectF(0, 0, w, h), padding=0.0)
            self.fit.set_ratio(w / h)
        names = tuple(data.action_names)
        if names != self._names:
            self._names = names
            self.qplot.getAxis("left").setTicks([[(i, n) for i, n in enumerate(names)]])
            self.qplot.setYRange(-0.6, len(names) - 0.4, padding=0)
        shown = data.q_values is not None and len(names) > 0
        self.qplot.setVisible(shown)
        if shown:
            self.qplot.setXRange(*bar_range(data.q_values), padding=0.05)

    def picture_box(self) -> pg.ViewBox:
        """The view box of the screen (its width wraps the caption)."""
        return self.box

    @staticmethod
    def frame_count(data: AtariFrameData) -> int:
        return int(np.shape(data.frames)[0])

    def show_frame(self, data: AtariFrameData, t: int) -> str:
        """Draw frame ``t``; returns the line of text above the picture."""
        n = self.frame_count(data)
        if n:
            self.screen.setImage(np.asarray(data.frames[t]), autoLevels=False, levels=(0, 255))
            if self._rect_due:
                self._rect_due = False
                h, w = self._shape
                self.screen.setRect(QRectF(0, 0, w, h))
        names = tuple(data.action_names)
        if n and self.qplot.isVisible():
            q = np.asarray(data.q_values[t], dtype=np.float64)
            finite = np.isfinite(q)
            q0 = np.where(finite, q, 0.0)
            greedy = int(np.nanargmax(np.where(finite, q, -np.inf))) if finite.any() else -1
            brushes = [Q_GREEDY_COLOR if a == greedy else Q_OTHER_COLOR for a in range(len(q))]
            self.qbars.setOpts(x0=np.minimum(q0, 0.0), y=np.arange(len(q)), width=np.abs(q0), height=0.6,
                               brushes=brushes)
        ret = data.episode_return
        if n and data.returns is not None and math.isfinite(float(data.returns[t])):
            ret = float(data.returns[t])
        game = f"{data.game}  ·  " if data.game else ""
        text = f"{game}episode {data.episode}  ·  step {data.step + t}  ·  return {ret:g}"
        action = int(data.actions[t]) if n else -1
        if 0 <= action < len(names):
            text += f"  ·  {names[action]}"
        return text


class EnvironmentView(FramePlayback, PlotView):
    """An :class:`EnvironmentData` (:class:`CartPoleData`, :class:`GridWorldData` or :class:`AtariFrameData`),
    animated once at its fps with the last frame held.  ``scene`` is the scene on show, ``index`` the frame drawn,
    ``timer`` the playback timer; :meth:`show_frame` draws one frame; :meth:`click_cell` edits a grid cell."""

    data_type = EnvironmentData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.info = QLabel("", self)
        self.info.setContentsMargins(6, 2, 6, 0)
        self.info.setStyleSheet("background: palette(base); color: palette(text);")   # the plots' paper
        self._layout.addWidget(self.info)
        self._layout.setSpacing(0)
        self.scene: CartPoleScene | GridScene | AtariScene | None = None
        self.graphics: pg.GraphicsLayoutWidget | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.advance)
        self.index = 0
        self._count = 0
        self._caption_text = ""
        font = QFont()
        font.setPointSizeF(9.0)
        self._metrics = QFontMetricsF(font)

    def _scene_for(self, data: EnvironmentData) -> CartPoleScene | GridScene | AtariScene:
        if isinstance(data, CartPoleData):
            cls = CartPoleScene
        elif isinstance(data, GridWorldData):
            cls = GridScene
        elif isinstance(data, AtariFrameData):
            cls = AtariScene
        else:
            raise TypeError(f"plot '{self.spec.id}': {type(data).__name__} has no picture of its own; hand the "
                            "view a CartPoleData, a GridWorldData or an AtariFrameData")
        if not isinstance(self.scene, cls):
            if self.graphics is not None:
                self._layout.removeWidget(self.graphics)
                self.graphics.deleteLater()
            self.scene = cls(self)
            self.graphics = self._adopt(self.scene.graphics)
            self.graphics.show()                  # a child added to a shown widget is shown only later
            self.scene.picture_box().sigResized.connect(self._fit_caption)
            self._caption_text = None
        return self.scene

    def _draw(self, data: EnvironmentData) -> None:
        scene = self._scene_for(data)
        new = data is not self._data
        scene.set_data(data)
        if data.caption != self._caption_text:
            self._caption_text = str(data.caption)
            self._fit_caption()
        self.timer.setInterval(max(1, int(round(1000.0 / max(float(data.fps), 1e-3)))))
        if new:
            self._count = scene.frame_count(data)
            self._show(data, 0)
            self._sync_timer()

    def _fit_caption(self, *_args) -> None:
        if self.scene is not None and self._caption_text is not None:
            _caption(self.scene.caption, self._caption_text, self._metrics, self.scene.graphics.width())

    # ---- playback ---------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        """Frames of the data on show."""
        return self._count

    def _show(self, data: EnvironmentData, t: int) -> None:
        self.index = int(t)
        text = self.scene.show_frame(data, self.index) if self._count else self.scene.show_frame(data, 0)
        if text != self.info.text():
            self.info.setText(text)

    def show_frame(self, t: int) -> None:
        """Draw frame ``t`` of the data on show (clamped to its frames)."""
        if self._data is None or self.scene is None:
            return
        self._show(self._data, min(max(int(t), 0), max(self._count - 1, 0)))

    def advance(self) -> None:
        """The next frame; at the last one the timer stops and the frame is held."""
        if self.index + 1 < self._count:
            self.show_frame(self.index + 1)
        if self.index + 1 >= self._count:
            self.timer.stop()

    @property
    def finished(self) -> bool:
        """True when the last frame of the data on show is drawn."""
        return self.index + 1 >= self._count

    def _wants_to_play(self) -> bool:
        return not self.finished

    # ---- interaction ------------------------------------------------------------------------------
    def click_cell(self, row: int, col: int) -> str | None:
        """Ask the lesson to edit grid cell (row, col): emits ``paramRequested("grid_edit", "row,col")`` and
        returns the value, if a grid world that is ``editable`` is on show; else None."""
        data = self._data
        if not isinstance(data, GridWorldData) or not data.editable:
            return None
        h, w = np.shape(data.cells)
        if not (0 <= row < h and 0 <= col < w):
            return None
        value = f"{int(row)},{int(col)}"
        self.paramRequested.emit("grid_edit", value)
        return value

    def reset_zoom(self) -> None:
        if isinstance(self.scene, GridScene) and self.scene.shape is not None:
            h, w = self.scene.shape
            self.scene.box.setRange(QRectF(0, 0, w, h), padding=0.01)
        elif isinstance(self.scene, AtariScene) and self.scene._shape is not None:
            h, w = self.scene._shape
            self.scene.box.setRange(QRectF(0, 0, w, h), padding=0.0)
        elif isinstance(self.scene, CartPoleScene):
            self.scene._geometry = None
            if self._data is not None:
                self.scene.set_data(self._data)
