"""A :class:`WordMapData` (an embedding projector): words drawn as text next to coloured dots, the query and its
neighbours emphasized; clicking a word makes it the query; a 3-D cloud turns while it is dragged.  Used by the
word_vectors and word2vec lessons.

Labels never overlap: :func:`visualizer.probes.label_layout.place_labels` places them in screen pixels, the
query and its neighbours first, then nearer words (3-D) or the data's order (the lessons list frequent words
first); a word whose label finds no free place shows it in a tooltip on hover.  Placement is redone when the
view's range or size changes (at most every PLACE_DELAY_MS).  The legend sits in the emptiest corner."""
from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QCursor, QFont
from PySide6.QtWidgets import QToolTip, QWidget

from visualizer.core.plotdata import PlotSpec, WordMapData
from visualizer.probes.label_layout import corner_box, emptiest_corner, place_labels
from visualizer.probes.word_map import view_3d, view_3d_label
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import class_color, symbol_brush
from visualizer.ui.plots.labels import Label, LabelsItem

QUERY_COLOR = "#d62728"
CLICK_RADIUS_PX = 14
DEGREES_PER_PX = 0.5        # a drag across a 400 px plot turns a 3-D cloud by 200°
PLACE_DELAY_MS = 40         # labels are placed again this long after a zoom, pan or resize
LEGEND_MARGIN_PX = 5


def _with_alpha(color: str, near: float) -> str:
    """``color`` (#rrggbb) as #aarrggbb, from 35% opaque (far, near = 0) to opaque (near = 1)."""
    if near >= 1.0 or not color.startswith("#") or len(color) != 7:
        return color
    return f"#{round(255 * (0.35 + 0.65 * near)):02x}{color[1:]}"


class WordMapView(PlotView):
    """A :class:`WordMapData`: one dot per word coloured by class, its word beside it; the query word in
    bold red, its neighbours in bold.  A click on (or near) a word emits ``paramRequested("query", word)``.
    For a 3-D cloud (data with ``points3d`` and ``angles``) a left-button drag turns it here, at once, and
    on release emits ``paramRequested("azimuth", …)`` and ``("elevation", …)`` (whole degrees)."""

    data_type = WordMapData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.legend = self.plot_item.addLegend(offset=(5, 5), labelTextSize="8pt",
                                               brush=pg.mkBrush(255, 255, 255, 190))
        self.dots = pg.ScatterPlotItem(size=6, pxMode=True, pen=pg.mkPen("#ffffff", width=0.8))
        self.dots.setZValue(4)
        self.plot_item.addItem(self.dots)
        self.labels = LabelsItem(point_size=8, anchor=(-0.05, 0.5))
        self.labels.setZValue(5)
        self.plot_item.addItem(self.labels, ignoreBounds=True)     # its margin is in data units: keep it out
        self.strong = LabelsItem(point_size=9, anchor=(-0.05, 0.5))
        self.strong.font.setWeight(QFont.Weight.Bold)
        self.strong.setZValue(6)
        self.plot_item.addItem(self.strong, ignoreBounds=True)
        self._words: list[tuple[float, float, str, str, bool]] = []   # (x, y, word, colour, strong) by priority
        self._shown_px = np.zeros((0, 2))                   # the points in scene pixels at the last placement
        self._legend_corner = ""
        self._place_timer = QTimer(self)
        self._place_timer.setSingleShot(True)
        self._place_timer.setInterval(PLACE_DELAY_MS)
        self._place_timer.timeout.connect(self.place_labels)
        self._legend_key: tuple = ()
        self._legend_items: list[pg.ScatterPlotItem] = []
        self._axis_labels: tuple[str, str] | None = None
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.graphics.scene().sigMouseMoved.connect(self._hovered)
        self._turn: tuple[float, float] | None = None       # (azimuth, elevation) shown while dragging,
        self._turn_sent: tuple[int, int] | None = None      # ... and after it until the lesson has them
        self._drag_start: tuple[float, float] | None = None
        vb = self.plot_item.getViewBox()
        self._pan_drag = vb.mouseDragEvent
        vb.mouseDragEvent = self._mouse_drag
        vb.sigRangeChanged.connect(self._schedule_placement)
        vb.sigResized.connect(self._schedule_placement)

    def _draw(self, data: WordMapData) -> None:
        if data.points3d is None or data.angles is None:
            self._turn = self._turn_sent = self._drag_start = None
        elif self._turn is not None:
            if self._turn_sent is not None and tuple(round(a) for a in data.angles) == self._turn_sent:
                self._turn = self._turn_sent = None                 # the lesson has the new angles
            else:
                pts, depth = view_3d(data.points3d, *self._turn)
                data = dataclasses.replace(data, points=pts, depth=depth, x_label=view_3d_label(*self._turn))
        pts = np.asarray(data.points, dtype=np.float64).reshape(-1, 2)
        classes = np.asarray(data.classes).astype(int)
        words = [str(w) for w in data.words]
        highlight = [int(i) for i in data.highlight if 0 <= int(i) < len(words)]
        multi = len(data.class_names) > 1
        colors = [class_color(c) if multi else "#5f6368" for c in classes]
        brushes = [symbol_brush(c) for c in colors]                 # shared: keeps pyqtgraph's symbol cache
        sizes = np.full(len(words), 6.0)
        order = np.arange(len(words))
        near = np.ones(len(words))
        if data.depth is not None and len(words):                  # a 3-D view: nearer words larger, on top
            depth = np.asarray(data.depth, dtype=np.float64)
            span = float(depth.max() - depth.min())
            near = (depth - depth.min()) / span if span > 0 else near
            sizes = np.round(3.0 + 6.0 * near)                     # whole pixels: few distinct symbols to cache
            order = np.argsort(depth, kind="stable")
        if highlight:
            sizes[highlight] = np.maximum(sizes[highlight], 9.0)
            sizes[highlight[0]] = 12.0
            brushes[highlight[0]] = symbol_brush(QUERY_COLOR)
        self.dots.setData(pts[order, 0], pts[order, 1], brush=[brushes[i] for i in order], size=sizes[order])
        hl = set(highlight)                                         # by priority: the query, its neighbours,
        self._words = [(float(pts[i, 0]), float(pts[i, 1]), words[i], QUERY_COLOR if j == 0 else "#202124", True)
                       for j, i in enumerate(highlight)]
        self._words += [(float(pts[i, 0]), float(pts[i, 1]), words[i], _with_alpha(colors[i], near[i]), False)
                        # then the nearest (3-D) or the first (2-D: the lessons list frequent words first)
                        for i in (order[::-1] if data.depth is not None else order) if i not in hl]
        key = tuple(data.class_names) if multi else ()
        if key != self._legend_key:
            self._legend_key = key
            self.legend.clear()
            self._legend_items = []
            for c, name in enumerate(key):
                item = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(class_color(c)), pen=pg.mkPen("#ffffff"))
                self._legend_items.append(item)
                self.legend.addItem(item, name)
            self.legend.setVisible(bool(key))
            self._legend_corner = ""
        axis = (data.x_label or self.spec.x_label, data.y_label or self.spec.y_label)
        if axis != self._axis_labels:
            self._axis_labels = axis
            self.plot_item.setLabel("bottom", axis[0] or None)
            self.plot_item.setLabel("left", axis[1] or None)
        self.place_labels()

    def _schedule_placement(self, *args) -> None:
        if not self._place_timer.isActive():
            self._place_timer.start()

    def _to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) data points → scene pixels (the view maps each axis linearly)."""
        vb = self.plot_item.getViewBox()
        o, ex, ey = (vb.mapViewToScene(QPointF(*p)) for p in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)))
        return np.column_stack([o.x() + xy[:, 0] * (ex.x() - o.x()), o.y() + xy[:, 1] * (ey.y() - o.y())])

    def place_labels(self) -> None:
        """Choose which words get a label, and where (none overlaps another or the legend), for the view's
        present range and size; the legend goes to the corner with the fewest points."""
        self._place_timer.stop()
        vb = self.plot_item.getViewBox()
        vb.prepareForPaint()                    # the auto-range for new data, which pyqtgraph defers to the paint
        rect = vb.sceneBoundingRect()
        bounds = (rect.left(), rect.top(), rect.right(), rect.bottom())
        xy = np.array([(x, y) for x, y, *_ in self._words], dtype=np.float64).reshape(-1, 2)
        px = self._to_pixels(xy) if len(xy) else np.zeros((0, 2))
        self._shown_px = px
        obstacles = []
        if self.legend.isVisible() and self._legend_key:
            size = self.legend.boundingRect()
            w, h = size.width(), size.height()
            corner = emptiest_corner(px, bounds, w, h, LEGEND_MARGIN_PX)
            if corner != self._legend_corner:
                self._legend_corner = corner
                right, bottom = corner.endswith("right"), corner.startswith("bottom")
                self.legend.anchor(itemPos=(float(right), float(bottom)), parentPos=(float(right), float(bottom)),
                                   offset=(-LEGEND_MARGIN_PX if right else LEGEND_MARGIN_PX,
                                           -LEGEND_MARGIN_PX if bottom else LEGEND_MARGIN_PX))
            obstacles.append(corner_box(corner, bounds, w, h, LEGEND_MARGIN_PX))
        items = [self.strong if strong else self.labels for *_, strong in self._words]
        sizes = np.array([item.text_size(word) for item, (_, _, word, _, _) in zip(items, self._words)]).reshape(-1, 2)
        placed = place_labels(px, sizes, bounds=bounds, obstacles=obstacles)
        chosen: dict[bool, list[Label]] = {True: [], False: []}
        for i in sorted(placed):
            x, y, word, color, strong = self._words[i]
            box = placed[i]
            chosen[strong].append(Label(x, y, word, color, (box[0] - px[i, 0], box[1] - px[i, 1])))
        self.strong.set_labels(chosen[True])
        self.labels.set_labels(chosen[False])

    def _hovered(self, scene_pos) -> None:
        """A tooltip with the word under the pointer (the only way to read a word whose label did not fit)."""
        px = self._shown_px
        if not len(px) or len(px) != len(self._words):
            return
        d = (px[:, 0] - scene_pos.x()) ** 2 + (px[:, 1] - scene_pos.y()) ** 2
        i = int(d.argmin())
        if d[i] <= CLICK_RADIUS_PX ** 2:
            QToolTip.showText(QCursor.pos(), self._words[i][2], self.graphics)
        else:
            QToolTip.hideText()

    def _mouse_drag(self, ev, axis=None) -> None:
        data = self.data
        if data is None or data.points3d is None or data.angles is None \
                or ev.button() != Qt.MouseButton.LeftButton or axis is not None:
            self._pan_drag(ev, axis)                                 # 2-D maps pan as usual
            return
        ev.accept()
        moved = ev.screenPos() - ev.buttonDownScreenPos()
        self.turn_by(moved.x(), moved.y(), finish=ev.isFinish())

    def turn_by(self, dx_px: float, dy_px: float, finish: bool = False) -> None:
        """Turn the shown 3-D cloud by a drag of (dx, dy) pixels from where the drag started (right: azimuth
        up; up: elevation up, at most ±90°).  With ``finish``, ask the lesson for those angles."""
        if self._drag_start is None:                                # from what is on screen now
            self._drag_start = self._turn if self._turn is not None else self.data.angles
        az0, el0 = self._drag_start
        az = (az0 + dx_px * DEGREES_PER_PX + 180.0) % 360.0 - 180.0
        el = float(np.clip(el0 - dy_px * DEGREES_PER_PX, -90.0, 90.0))
        self._turn, self._turn_sent = (az, el), None
        self._draw(self.data)
        if finish:
            self._drag_start = None
            self._turn_sent = (round(az), round(el))
            self.paramRequested.emit("azimuth", self._turn_sent[0])
            self.paramRequested.emit("elevation", self._turn_sent[1])

    def _clicked(self, event) -> None:
        data = self.data
        if data is None or len(data.words) == 0:
            return
        vb = self.plot_item.getViewBox()
        scene_pos = event.scenePos()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return
        pts = np.asarray(data.points, dtype=np.float64).reshape(-1, 2)
        scene_pts = [vb.mapViewToScene(QPointF(float(x), float(y))) for x, y in pts]
        d = np.array([(p.x() - scene_pos.x()) ** 2 + (p.y() - scene_pos.y()) ** 2 for p in scene_pts])
        i = int(d.argmin())
        if d[i] <= CLICK_RADIUS_PX ** 2 * 4:
            self.paramRequested.emit("query", str(data.words[i]))

    def point_count(self) -> int:
        """Words on the map (for tests): labelled or not."""
        return len(self._words)

    def labelled_words(self) -> list[str]:
        """The words whose label is drawn (for tests)."""
        return self.strong.texts() + self.labels.texts()

    def reset_zoom(self) -> None:
        self.plot_item.enableAutoRange()
