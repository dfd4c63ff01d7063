"""A 2-D field as a colour map (decision maps, histograms over time) with optional points on top."""
from __future__ import annotations

import html
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import ImageData, PlotSpec, ScatterData
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import class_color, colormap, symbol_pen
from visualizer.ui.plots.image_grid import aspect_margins, show_picture

GROUP_SYMBOLS = {"train": "o", "test": "s", "val": "s", "validation": "s"}
VALUE_STEPS = 256               # points coloured by value share this many brushes (one per colour-map step)
NO_VALUE_COLOR = "#9e9e9e"      # a point whose value is NaN
VALUE_EDGE = "#5f6368"          # outline of value-coloured points: seen on light and dark paper
EXTRA_SYMBOLS = ("t", "d", "+", "x", "star")


def group_symbols(groups: np.ndarray | None) -> tuple[list[str] | str, dict[str, str]]:
    """Symbol per point and the symbol of each group: train as circles, test as squares, others
    from a fixed list."""
    if groups is None:
        return "o", {}
    names = list(dict.fromkeys(str(g) for g in groups))
    table, extra = {}, iter(EXTRA_SYMBOLS * 4)
    for g in names:
        table[g] = GROUP_SYMBOLS.get(g.lower()) or next(extra)
    return [table[str(g)] for g in groups], table


@lru_cache(maxsize=32)
def value_brushes(cmap_name: str) -> np.ndarray:
    """(VALUE_STEPS + 1,) object array of shared QBrushes: the colour map at VALUE_STEPS even steps (one
    vectorised ``ColorMap.map``), then the grey of a NaN value.  Shared brush objects let pyqtgraph's symbol
    atlas draw every point from a few cached symbols."""
    rgba = colormap(cmap_name).map(np.linspace(0.0, 1.0, VALUE_STEPS), mode="byte")       # (S, 4) uint8
    brushes = [pg.mkBrush(*(int(v) for v in row)) for row in rgba] + [pg.mkBrush(NO_VALUE_COLOR)]
    out = np.empty(len(brushes), dtype=object)
    out[:] = brushes
    return out


def value_levels(values: np.ndarray, levels: tuple[float, float] | None) -> tuple[float, float]:
    """The colour levels of ``values``: ``levels`` if given, else the finite values' (min, max); widened to
    (lo, lo + 1) when empty or flat."""
    if levels is not None:
        lo, hi = float(levels[0]), float(levels[1])
    else:
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def brushes_for(values: np.ndarray, cmap_name: str, levels: tuple[float, float]) -> np.ndarray:
    """(N,) object array of QBrushes for (N,) values through the colour map at ``levels``: one index per point,
    computed on the whole array (no Python loop over points); NaN and ±Inf grey."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = levels
    finite = np.isfinite(v)
    idx = np.rint((np.where(finite, v, lo) - lo) / (hi - lo) * (VALUE_STEPS - 1))
    idx = np.clip(idx, 0, VALUE_STEPS - 1).astype(np.int64)
    idx[~finite] = VALUE_STEPS
    return value_brushes(cmap_name)[idx]


class ValueColorBar:
    """The colour bar of value-coloured points (:attr:`ScatterData.values`), inserted into a plot item's layout
    at ``column`` (right of its right axis) while points are coloured by value, and taken out otherwise."""

    def __init__(self, plot_item: pg.PlotItem, column: int) -> None:
        self.plot_item = plot_item
        self.column = column
        self._cmap = "viridis"
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap(self._cmap), interactive=False, width=12)
        self.bar.getAxis("right").enableAutoSIPrefix(False)
        self.bar.setVisible(False)
        self.shown = False
        self._label: str | None = None

    def show(self, scale: tuple[str, tuple[float, float], str] | None) -> None:
        """``scale``: (colour map name, levels, label) of the points on show, or None to hide the bar."""
        on = scale is not None
        if on != self.shown:
            self.shown = on
            if on:
                self.plot_item.layout.addItem(self.bar, 2, self.column)
            else:
                self.plot_item.layout.removeItem(self.bar)
            self.bar.setVisible(on)
        if not on:
            return
        name, levels, label = scale
        if name != self._cmap:
            self._cmap = name
            self.bar.setColorMap(colormap(name))
        if tuple(self.bar.levels()) != tuple(levels):
            self.bar.setLevels(levels)
        if label != self._label:
            self._label = label
            self.bar.setLabel("right", html.escape(label) if label else None)


class PointsOverlay:
    """Labelled points on a plot: classes by colour, groups (train/test) by symbol, with legend.

    One ScatterPlotItem per (class, group) with a single brush and symbol, which pyqtgraph draws
    from its symbol atlas; points that did not change since the last call are not set again.
    Points with ``values`` are coloured by value instead (one item per group, brushes from
    :func:`brushes_for`), the legend lists only the groups, and ``value_scale`` says what the colour bar shows:
    (colour map, levels, label), or None when the points are coloured by class."""

    def __init__(self, plot_item: pg.PlotItem, legend: pg.LegendItem | None) -> None:
        self.plot_item = plot_item
        self.legend = legend
        self.items: dict[tuple[int, str], pg.ScatterPlotItem] = {}
        self._last: tuple | None = None
        self._legend_key: tuple = ()
        self._legend_items: list[pg.ScatterPlotItem] = []
        self.value_scale: tuple[str, tuple[float, float], str] | None = None

    def _item(self, cls: int, group: str, symbol: str) -> pg.ScatterPlotItem:
        item = self.items.get((cls, group))
        if item is None:
            if cls < 0:                                     # coloured by value
                outline = symbol_pen(VALUE_EDGE, 0.8)
            else:
                outline = pg.mkPen("#ffffff", width=1) if symbol == "o" else pg.mkPen("#202124", width=1.2)
            item = pg.ScatterPlotItem(size=7, pxMode=True, symbol=symbol, brush=pg.mkBrush(class_color(cls)),
                                      pen=outline)
            item.setZValue(5 if symbol == "o" else 6)
            self.plot_item.addItem(item)
            self.items[(cls, group)] = item
        return item

    def point_count(self) -> int:
        """Points on show (for tests)."""
        return sum(len(item.data) for item in self.items.values() if item.isVisible())

    def set_points(self, data: ScatterData | None) -> None:
        if data is None or len(data.points) == 0:
            for item in self.items.values():
                item.setData([], [])
            self._last = None
            self.value_scale = None
            self._set_legend((), {})
            return
        pts = np.asarray(data.points, dtype=np.float64)
        labels = np.asarray(data.labels).astype(int)
        groups = None if data.groups is None else np.asarray(data.groups).astype(str)
        values = None if data.values is None else np.asarray(data.values, dtype=np.float64)
        scale = None
        if values is not None:
            if values.shape != (len(pts),):
                raise ValueError(f"ScatterData.values must be ({len(pts)},), one per point, got {values.shape}")
            scale = (data.colormap, value_levels(values, data.levels), str(data.colorbar_label))
        last = self._last
        if (last is not None and last[0].shape == pts.shape and np.array_equal(last[0], pts)
                and np.array_equal(last[1], labels) and
                ((groups is None and last[2] is None) or (groups is not None and last[2] is not None
                                                          and np.array_equal(last[2], groups)))
                and last[4] == scale and ((values is None and last[3] is None) or
                                          (values is not None and last[3] is not None
                                           and np.array_equal(last[3], values, equal_nan=True)))):
            return
        self._last = (pts.copy(), labels.copy(), None if groups is None else groups.copy(),
                      None if values is None else values.copy(), scale)
        self.value_scale = scale
        if values is not None:
            self._set_value_points(pts, groups, values, scale)
            return
        _symbols, table = group_symbols(groups)
        used = set()
        group_names = list(table) if groups is not None else [""]
        for cls in np.unique(labels):
            for g in group_names:
                mask = labels == cls if groups is None else (labels == cls) & (groups == g)
                if not mask.any():
                    continue
                item = self._item(int(cls), g, table.get(g, "o"))
                item.setData(x=pts[mask, 0], y=pts[mask, 1])
                item.setVisible(True)
                used.add((int(cls), g))
        for key, item in self.items.items():
            if key not in used:
                item.setData([], [])
                item.setVisible(False)
        classes = sorted(int(c) for c in np.unique(labels))
        names = [str(data.class_names[c]) if c < len(data.class_names) else f"class {c}" for c in classes]
        self._set_legend(tuple(zip(classes, names)), table)

    def _set_value_points(self, pts: np.ndarray, groups: np.ndarray | None, values: np.ndarray,
                          scale: tuple[str, tuple[float, float], str]) -> None:
        brushes = brushes_for(values, scale[0], scale[1])
        _symbols, table = group_symbols(groups)
        used = set()
        for g in (list(table) if groups is not None else [""]):
            mask = slice(None) if groups is None else groups == g
            item = self._item(-1, g, table.get(g, "o"))
            item.setData(x=pts[mask, 0], y=pts[mask, 1], brush=brushes[mask])
            item.setVisible(True)
            used.add((-1, g))
        for key, item in self.items.items():
            if key not in used:
                item.setData([], [])
                item.setVisible(False)
        self._set_legend((), table)

    def _set_legend(self, classes: tuple, groups: dict[str, str]) -> None:
        key = (classes, tuple(groups.items()))
        if self.legend is None or key == self._legend_key:
            return
        self._legend_key = key
        self.legend.setVisible(bool(classes or groups))       # no empty box over an image without points
        for it in self._legend_items:
            self.legend.removeItem(it)
        self._legend_items = []
        for c, name in classes:
            it = pg.ScatterPlotItem(symbol="o", brush=pg.mkBrush(class_color(c)), pen=pg.mkPen("w"), size=8)
            self.legend.addItem(it, name)
            self._legend_items.append(it)
        for g, sym in groups.items():
            it = pg.ScatterPlotItem(symbol=sym, brush=pg.mkBrush("#9e9e9e"), pen=pg.mkPen("#202124"), size=8)
            self.legend.addItem(it, g)
            self._legend_items.append(it)


class ImageView(PlotView):
    """An :class:`ImageData` field: row 0 at the bottom, pixel centres spanning ``extent`` in data
    units, fixed colour levels with a colour bar, and the overlay points on top.  A colour picture
    (H, W, 3) goes into a second image item as RGBA, and the colour bar is hidden while it is shown.
    A subclass that locks the aspect ratio (``plot_item.setAspectLocked(True)``: square pixels, e.g. a grid
    of decoded digits) gets margins around the plot that give the view box the picture's shape, so the
    picture fills its view box instead of floating in a band of empty space (:meth:`fit_aspect`)."""

    data_type = ImageData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.showGrid(x=False, y=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.plot_item.addItem(self.image_item)
        self.rgb_item = pg.ImageItem(axisOrder="row-major")          # colour pictures; no colour bar
        self.rgb_item.setVisible(False)
        self.plot_item.addItem(self.rgb_item)
        self.rgb = False                                             # a colour picture on show
        self._cmap_name = "viridis"
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap(self._cmap_name),
                                        interactive=False, width=14)
        self.colorbar.setImageItem(self.image_item, insert_in=self.plot_item)
        self.legend = self.plot_item.addLegend(offset=(5, 5), labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 190))
        self.overlay = PointsOverlay(self.plot_item, self.legend)
        self.legend.setVisible(False)
        self.overlay_bar = ValueColorBar(self.plot_item, 6)    # points coloured by value: their own bar
        self._rect: tuple | None = None
        self._placed: tuple | None = None                            # (rect, rgb) last given to an item
        self._labels: tuple[str, str, str] | None = None
        if spec.x_label:
            self.plot_item.setLabel("bottom", spec.x_label)
        if spec.y_label:
            self.plot_item.setLabel("left", spec.y_label)
        self._margins = (0.0, 0.0)                                  # extra (horizontal, vertical) margin
        self._fitting = False
        self.plot_item.vb.sigResized.connect(lambda *_: self.fit_aspect())

    def fit_aspect(self) -> None:
        """With the aspect ratio locked, set the plot's margins so that its view box has the shape of the
        picture's rectangle (in data units); without a lock or a picture, nothing."""
        vb = self.plot_item.vb
        if self._fitting or self._rect is None or not vb.state["aspectLocked"]:
            return
        rw, rh = abs(self._rect[2]), abs(self._rect[3])
        ratio = rw / rh * float(vb.state["aspectLocked"]) if rw > 0 and rh > 0 else 0.0
        if ratio <= 0:
            return
        margins = aspect_margins(self._margins, vb.width(), vb.height(), ratio)
        if abs(margins[0] - self._margins[0]) < 1 and abs(margins[1] - self._margins[1]) < 1:
            return
        self._margins = margins
        self._fitting = True
        try:
            self.plot_item.setContentsMargins(margins[0] / 2, margins[1] / 2, margins[0] / 2, margins[1] / 2)
            self.reset_zoom()
        finally:
            self._fitting = False

    def _draw(self, data: ImageData) -> None:
        img = np.asarray(data.image, dtype=np.float32)
        rgb = img.ndim == 3 and img.shape[2] == 3
        if img.ndim != 2 and not rgb:
            raise ValueError(f"plot '{self.spec.id}': ImageData.image must be (H, W) or (H, W, 3), got shape "
                             f"{img.shape}")
        h, w = img.shape[:2]
        lo, hi = (float(data.levels[0]), float(data.levels[1])) if data.levels else (0.0, 1.0)
        if not hi > lo:
            hi = lo + 1.0
        show_picture(self, img, rgb, (lo, hi), data.colormap)
        x0, x1, y0, y1 = data.extent if data.extent is not None else (0.0, w - 1.0, 0.0, h - 1.0)
        dx = (x1 - x0) / max(w - 1, 1)
        dy = (y1 - y0) / max(h - 1, 1)
        rect = (x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)
        if (rect, rgb) != self._placed:       # an ImageItem scales its rect by its current image: set it after
            self._placed = (rect, rgb)
            (self.rgb_item if rgb else self.image_item).setRect(QRectF(*rect))
        if rect != self._rect:
            self._rect = rect
            self.plot_item.setRange(xRange=(rect[0], rect[0] + rect[2]), yRange=(rect[1], rect[1] + rect[3]),
                                    padding=0)
            self.fit_aspect()
        labels = (data.x_label or self.spec.x_label, data.y_label or self.spec.y_label, data.colorbar_label)
        if labels != self._labels:
            self._labels = labels
            self.plot_item.setLabel("bottom", labels[0] or None)
            self.plot_item.setLabel("left", labels[1] or None)
            if labels[2]:
                self.colorbar.setLabel("right", labels[2])
        self.overlay.set_points(data.overlay)
        self.overlay_bar.show(self.overlay.value_scale)

    def reset_zoom(self) -> None:
        if self._rect is not None:
            r = self._rect
            self.plot_item.setRange(xRange=(r[0], r[0] + r[2]), yRange=(r[1], r[1] + r[3]), padding=0)
