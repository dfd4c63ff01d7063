"""The race view (plot kind ``race``): the loss surface as a colour map with iso-lines, every
optimizer's path, its current point and arrows, and the start point as a draggable target.

Every pyqtgraph item is created once in the constructor; :meth:`RaceView._draw` only calls
``setData``/``setPos`` on them.  The surface image and its contour segments are uploaded only when
``RaceData.surface_key`` changes (a new surface), not at every frame.  Dragging the target emits
``paramRequested("start_x", x)`` and ``paramRequested("start_y", y)``, which the lesson view turns
into the live settings (the race restarts from there).
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QGraphicsItem, QWidget

from lessons.optimizers.lesson import RaceData
from visualizer.core.plotdata import PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import series_color, symbol_brush, symbol_pen

SURFACE_COLORMAP = pg.ColorMap(np.array([0.0, 0.45, 1.0]),
                               [pg.mkColor("#fbfcfe"), pg.mkColor("#d3deeb"), pg.mkColor("#8ea3bd")])
START_RANGE = (-10.0, 10.0)             # the start_x / start_y parameter range
ARROW_FRACTION = 0.12                   # the longest arrow of a kind spans this share of the map
ELLIPSE_FRACTION = 0.07                 # the largest adaptive-scale half-axis, as a share of the map
REQUEST_TIMEOUT = 1.5                   # seconds the dragged target waits for the race to restart there
_CIRCLE = np.linspace(0.0, 2.0 * math.pi, 33)


def arrow_segments(origins: np.ndarray, vectors: np.ndarray, head: float) -> np.ndarray:
    """Arrows as line-segment pairs: the shaft and two head strokes at ±155° from it, ``head`` long
    (at most 35 % of the shaft).  origins, vectors: (K, 2) -> (6K', 2) points for a
    ``connect="pairs"`` curve, K' <= K (zero, NaN and infinite vectors are left out)."""
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, 2)
    length = np.hypot(v[:, 0], v[:, 1])
    keep = np.isfinite(length) & (length > 0) & np.all(np.isfinite(o), axis=1)
    o, v, length = o[keep], v[keep], length[keep]
    tip = o + v
    u = v / length[:, None]
    h = np.minimum(head, 0.35 * length)[:, None]

    def turned(angle: float) -> np.ndarray:
        c, s = math.cos(angle), math.sin(angle)
        return np.stack([c * u[:, 0] - s * u[:, 1], s * u[:, 0] + c * u[:, 1]], axis=1)

    wing1 = tip + h * turned(math.radians(155))
    wing2 = tip + h * turned(math.radians(-155))
    return np.stack([o, tip, tip, wing1, tip, wing2], axis=1).reshape(-1, 2)     # (6K', 2)


class RaceView(PlotView):
    """A :class:`RaceData`: surface (colour + iso-lines), paths, current points (× when diverged),
    arrows −∇f (black), Δθ (the optimizer's colour) and the adaptive scale η/(√v + ε) as an ellipse,
    a legend, and the draggable start target ⊕."""

    data_type = RaceData
    if not hasattr(PlotView, "paramRequested"):       # the framework adds it to PlotView; until then, here
        paramRequested = Signal(str, object)

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.setAspectLocked(True)            # −∇f is perpendicular to the iso-lines only at 1:1
        self.plot_item.setLabel("bottom", spec.x_label or "x")
        self.plot_item.setLabel("left", spec.y_label or "y")

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-20)
        self.plot_item.addItem(self.image_item)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=SURFACE_COLORMAP, interactive=False, width=12)
        self.colorbar.setImageItem(self.image_item, insert_in=self.plot_item)
        self.contour_item = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen((70, 80, 95, 120), width=1))
        self.contour_item.setZValue(-10)
        self.plot_item.addItem(self.contour_item)
        # The surface and its thousands of iso-line segments do not change while the race runs: paint
        # them from a cached pixmap (re-rendered only when the view is zoomed or resized).
        for item in (self.image_item, self.contour_item):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.minimum_item = pg.ScatterPlotItem(size=14, symbol="star", brush=pg.mkBrush("#ffffff"),
                                               pen=pg.mkPen("#202124", width=1))
        self.minimum_item.setZValue(-5)
        self.plot_item.addItem(self.minimum_item)

        # bottom left: the default start points lie top left
        self.legend = self.plot_item.addLegend(offset=(5, -5), labelTextSize="8pt",
                                               brush=pg.mkBrush(255, 255, 255, 200))
        self.paths: dict[str, pg.PlotCurveItem] = {}
        self.update_arrows: dict[str, pg.PlotCurveItem] = {}
        self.ellipses: dict[str, pg.PlotCurveItem] = {}
        self.diverged_labels: dict[str, pg.TextItem] = {}
        self.grad_arrows = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen("#202124", width=1.5))
        self.grad_arrows.setZValue(8)
        self.plot_item.addItem(self.grad_arrows)
        self.heads = pg.ScatterPlotItem(size=9, pxMode=True)
        self.heads.setZValue(10)
        self.plot_item.addItem(self.heads)
        self.start_target = pg.TargetItem(pos=(0.0, 0.0), size=18, symbol="crosshair", movable=True,
                                          pen=pg.mkPen("#202124", width=2), hoverPen=pg.mkPen("#d62728", width=2),
                                          brush=pg.mkBrush(255, 255, 255, 160), label="start",
                                          labelOpts={"color": "#202124", "offset": (10, -12)})
        self.start_target.setZValue(20)
        self.start_target.setToolTip("Drag to move the start point θ₀ of every optimizer (restarts the race)")
        self.start_target.sigPositionChangeFinished.connect(self._on_start_moved)
        self.plot_item.addItem(self.start_target)

        self._order: tuple[str, ...] = ()
        self._surface_key: str | None = None
        self._extent: tuple[float, float, float, float] | None = None
        self._legend_key: tuple = ()
        self._requested: tuple[float, float, float] | None = None      # (x, y, time) of a drag
        self._shown_start: tuple[float, float] | None = None

    # ---- items per optimizer (created once per name) ------------------------------------------------
    def _ensure_items(self, order: tuple[str, ...]) -> None:
        if order == self._order:
            return
        self._order = order
        for i, name in enumerate(order):
            if name in self.paths:
                continue
            color = series_color(i)
            # 1 px: Qt's raster engine strokes wider antialiased lines several times slower (with 2 px
            # the six paths took 60 % of a frame's paint time)
            path = pg.PlotCurveItem(pen=pg.mkPen(color, width=1))
            path.setZValue(5)
            self.plot_item.addItem(path)
            self.paths[name] = path
            arrow = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(color, width=2))
            arrow.setZValue(9)
            self.plot_item.addItem(arrow)
            self.update_arrows[name] = arrow
            ellipse = pg.PlotCurveItem(pen=pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            ellipse.setZValue(7)
            self.plot_item.addItem(ellipse)
            self.ellipses[name] = ellipse
            label = pg.TextItem("diverged", color=color, anchor=(0, 1))
            label.setZValue(12)
            label.setVisible(False)
            self.plot_item.addItem(label)
            self.diverged_labels[name] = label

    def _set_legend(self, data: RaceData) -> None:
        key = tuple((n, n in data.diverged) for n in data.order if n in data.trajectories)
        if key == self._legend_key:
            return
        self._legend_key = key
        self.legend.clear()
        for name, diverged in key:
            label = data.labels.get(name, name) + (" — diverged" if diverged else "")
            self.legend.addItem(self.paths[name], label)

    # ---- drawing -----------------------------------------------------------------------------------
    def _set_surface(self, data: RaceData) -> None:
        self._surface_key = data.surface_key
        img = np.asarray(data.image, dtype=np.float32)
        h, w = img.shape
        lo, hi = float(data.levels[0]), float(data.levels[1])
        self.image_item.setImage(img, autoLevels=False, levels=(lo, hi))
        self.colorbar.setLevels((lo, hi))
        self.colorbar.setLabel("right", data.colorbar_label)
        x0, x1, y0, y1 = data.extent
        dx, dy = (x1 - x0) / max(w - 1, 1), (y1 - y0) / max(h - 1, 1)
        self.image_item.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy))
        c = np.asarray(data.contours, dtype=np.float64)
        self.contour_item.setData(c[:, 0], c[:, 1]) if len(c) else self.contour_item.setData([], [])
        if data.minimum is not None:
            self.minimum_item.setData([data.minimum[0]], [data.minimum[1]])
        else:
            self.minimum_item.setData([], [])
        self.plot_item.setTitle(f"{data.title}:  {data.formula}", size="9pt")
        self.plot_item.setLabel("bottom", data.x_label)
        self.plot_item.setLabel("left", data.y_label)
        tip = self.spec.tooltip + (f"\n\n{data.description}" if data.description else "")
        self.setToolTip(tip)
        self._extent = tuple(float(v) for v in data.extent)
        self.reset_zoom(data.start)

    def _draw(self, data: RaceData) -> None:
        self._ensure_items(tuple(data.order))
        if data.surface_key != self._surface_key:
            self._set_surface(data)
        x0, x1, y0, y1 = data.extent
        size = min(x1 - x0, y1 - y0)
        heads_pos, heads_brush, heads_symbol = [], [], []
        origins, grads, names_live = [], [], []
        for i, name in enumerate(data.order):
            path = self.paths[name]
            pts = data.trajectories.get(name)
            label = self.diverged_labels[name]
            if pts is None or len(pts) == 0:
                path.setData([], [])
                path.setVisible(False)
                label.setVisible(False)
                continue
            path.setVisible(True)
            path.setData(pts[:, 0], pts[:, 1])
            last = pts[-1]
            diverged = name in data.diverged
            heads_pos.append(last)
            heads_brush.append(symbol_brush(series_color(i)))
            heads_symbol.append("x" if diverged else "o")
            label.setVisible(diverged)
            if diverged:
                label.setPos(float(last[0]), float(last[1]))
            elif name in data.gradients:
                origins.append(last)
                grads.append(-np.asarray(data.gradients[name], dtype=np.float64))
                names_live.append(name)
        if heads_pos:
            pos = np.array(heads_pos)
            self.heads.setData(pos=pos, brush=heads_brush, symbol=heads_symbol, pen=symbol_pen("#202124", 1.0))
        else:
            self.heads.setData([], [])
        self._draw_arrows(data, origins, grads, names_live, size)
        self._set_legend(data)
        self._place_target(data.start)

    def _draw_arrows(self, data: RaceData, origins: list, grads: list, names: list[str], size: float) -> None:
        show = bool(data.show_arrows) and bool(names)
        head = 0.03 * size
        if show:
            o = np.array(origins)
            g = np.array(grads)
            gmax = float(np.max(np.hypot(g[:, 0], g[:, 1])))
            seg = arrow_segments(o, g * (ARROW_FRACTION * size / gmax), head) if gmax > 0 else np.zeros((0, 2))
            self.grad_arrows.setData(seg[:, 0], seg[:, 1]) if len(seg) else self.grad_arrows.setData([], [])
            ups = np.array([data.updates.get(n, np.zeros(2)) for n in names], dtype=np.float64)
            umax = float(np.max(np.hypot(ups[:, 0], ups[:, 1]))) if len(ups) else 0.0
            scales = [np.asarray(data.scales[n], dtype=np.float64) for n in names if n in data.scales]
            smax = max((float(np.max(s)) for s in scales), default=0.0)
        else:
            self.grad_arrows.setData([], [])
        for name in self._order:
            arrow, ellipse = self.update_arrows[name], self.ellipses[name]
            if not show or name not in names:
                arrow.setData([], [])
                ellipse.setData([], [])
                continue
            k = names.index(name)
            u = ups[k]
            if umax > 0 and np.any(u != 0):
                seg = arrow_segments(o[k:k + 1], u[None] * (ARROW_FRACTION * size / umax), head)
                arrow.setData(seg[:, 0], seg[:, 1])
            else:
                arrow.setData([], [])
            s = data.scales.get(name)
            if s is not None and smax > 0 and math.isfinite(smax):
                a, b = (np.asarray(s, dtype=np.float64) * (ELLIPSE_FRACTION * size / smax))
                ellipse.setData(o[k, 0] + a * np.cos(_CIRCLE), o[k, 1] + b * np.sin(_CIRCLE))
            else:
                ellipse.setData([], [])

    # ---- the start target --------------------------------------------------------------------------
    def _place_target(self, start: tuple[float, float]) -> None:
        if getattr(self.start_target, "moving", False):
            return                                       # the user is dragging it
        if self._requested is not None:
            rx, ry, t = self._requested
            if abs(start[0] - rx) < 1e-6 and abs(start[1] - ry) < 1e-6 or time.monotonic() - t > REQUEST_TIMEOUT:
                self._requested = None
            else:
                return                                   # the race has not restarted there yet
        start = (float(start[0]), float(start[1]))
        if start != self._shown_start:
            self._shown_start = start
            self.start_target.setPos(*start)

    def request_start(self, x: float, y: float) -> tuple[float, float]:
        """Ask for the start (x, y), clipped to the parameter range and rounded to 3 decimals: emits
        ``paramRequested`` for start_x and start_y.  Returns the point requested."""
        lo, hi = START_RANGE
        x = round(min(max(float(x), lo), hi), 3)
        y = round(min(max(float(y), lo), hi), 3)
        self._requested = (x, y, time.monotonic())
        self.start_target.setPos(x, y)
        self.paramRequested.emit("start_x", x)
        self.paramRequested.emit("start_y", y)
        return x, y

    def _on_start_moved(self, target) -> None:
        p = target.pos()
        self.request_start(p.x(), p.y())

    # ---- zoom --------------------------------------------------------------------------------------
    def reset_zoom(self, start: tuple[float, float] | None = None) -> None:
        """Show the whole map (and the start point, if it lies off the map)."""
        if self._extent is None:
            return
        x0, x1, y0, y1 = self._extent
        if start is None and self._data is not None:
            start = self._data.start
        if start is not None:
            x0, x1 = min(x0, start[0]), max(x1, start[0])
            y0, y1 = min(y0, start[1]), max(y1, start[1])
        self.plot_item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)


PLOT_VIEWS = {"race": RaceView}
