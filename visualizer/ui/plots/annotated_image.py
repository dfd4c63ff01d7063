"""A picture with what a vision model says about it: boxes, a class mask, a heat map, keypoints, limbs and
arrows (:class:`~visualizer.core.plotdata.AnnotatedImageData`; detection, segmentation and pose lessons).

Built to be redrawn at the app's 30 Hz while a model trains (STYLE.md): every pyqtgraph item is created once
and only ``setImage``/``setData`` again; the picture, mask and heat map are three ``ImageItem`` s with fixed
levels (the mask pre-coloured as RGBA through a small lookup table); all boxes of one (class, style) are one
``PlotCurveItem`` polyline with NaN breaks, all limbs of a class one ``connect="pairs"`` curve, all arrows of
a class one more (shaft and two head strokes each), so 3000 boxes cost a few items, not 3000.  Box labels are
painted by one item (:class:`BoxLabelsItem`) on small tags in the box's colour, placed without overlap in
screen pixels (at most :data:`MAX_BOX_LABELS`, in the data's order: a producer lists the boxes that matter
first).  The caption sits under the picture, the colour bar of the heat map and the legend of the classes in
use to its right: nothing covers the data.

Interaction for lessons (off by default): :meth:`AnnotatedImageView.enable_box_drawing` (a left drag draws a
rubber band; on release ``paramRequested(name, "x0,y0,x1,y1")`` in image pixels) and
:meth:`AnnotatedImageView.enable_click` (``paramRequested(name, "x,y")``).  :meth:`~AnnotatedImageView.drag_box`
and :meth:`~AnnotatedImageView.click_at` drive the same code as the mouse (for tests and narrative steps).
A lesson that wants them subclasses the view in its ``view.py`` under a kind of its own (a shared kind keeps its
one view), e.g.::

    class ProbeBoxView(AnnotatedImageView):
        def __init__(self, spec, parent=None):
            super().__init__(spec, parent)
            self.enable_box_drawing("probe_box")      # a TextParam of the lesson: "x0,y0,x1,y1"

    PLOT_VIEWS = {"ssd_probe": ProbeBoxView}           # PlotSpec("probe", "...", "ssd_probe")

Several pictures at once: :func:`visualizer.probes.annotated.mosaic` tiles them into one data object.
"""
from __future__ import annotations

import html
import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QTransform
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import BOX_STYLES, AnnotatedImageData, PlotSpec
from visualizer.probes.label_layout import overlaps
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import CLASS_COLORS, class_color, colormap, is_dark
from visualizer.ui.plots.image_grid import aspect_margins

MAX_BOX_LABELS = 40          # box labels drawn at most (the first boxes in the data's order that find room)
LABEL_TRIES = 4 * MAX_BOX_LABELS   # boxes tried for a label at most (placement stays cheap with 3000 boxes)
CROWDED_BOXES = 200          # more boxes than this are outlined 1 px wide (less clutter, cheaper to paint)
WIDE_DASHED = 60             # more dashed or dotted boxes than this are drawn 1 px wide: Qt dashes a 2 px pen ~18x
                             # slower than a 1 px one (1500 dashed boxes: 49 ms against 2.8 ms a frame)
DASHES = {"dashed": (4.0, 2.5), "dotted": (1.0, 1.5)}   # dash patterns, in pen widths
NEUTRAL = "#9e9e9e"          # class -1 (no class) and void mask pixels
VOID_RGBA = (158, 158, 158)
CAPTION_COLOR = "#202124"
EDGE_PX = 9                  # room above the picture: the colour bar's top tick label is not clipped
CAPTION_LINES = 3            # a longer caption (a mosaic's) is elided; the whole is in the tooltip
DRAG_MIN_PX = 4.0            # a press and release closer than this (screen pixels) is a click, not a drag


def color_of(k: int) -> str:
    """The colour of class ``k``: :func:`class_color` for the first ten, then the same ten hues darker (classes
    10-19: VOC's 20 classes stay apart) and lighter (20-29), cycling after that; neutral grey for a negative
    class."""
    k = int(k)
    if k < 0:
        return NEUTRAL
    n = len(CLASS_COLORS)
    base = class_color(k % n)
    shade = (k // n) % 3
    if shade == 0:
        return base
    c = pg.mkColor(base)
    rgb = np.array(c.getRgb()[:3], dtype=float)
    rgb = rgb * 0.55 if shade == 1 else 255.0 - 0.5 * (255.0 - rgb)
    return "#{:02x}{:02x}{:02x}".format(*(int(round(v)) for v in rgb))


def picture_rgb(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) or (H, W) float picture in [0, 1] -> (H, W, 3) uint8 (grey repeated), clipped; NaN black."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = img[:, :, None]
    out = np.clip(np.nan_to_num(img, nan=0.0, posinf=1.0, neginf=0.0) * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(out, img.shape[:2] + (3,)))


def mask_rgba(mask: np.ndarray, alpha: float) -> np.ndarray:
    """A class mask (H, W) int -> (H, W, 4) uint8 RGBA: 0 transparent, k >= 1 in :func:`color_of` (k - 1)
    at opacity ``alpha``, negative (void) grey at ``alpha``.  One table lookup, no loop over pixels."""
    n = 3 * len(CLASS_COLORS)                                     # the colours :func:`color_of` tells apart
    a = int(round(255 * min(max(float(alpha), 0.0), 1.0)))
    lut = np.zeros((n + 2, 4), np.uint8)
    lut[0] = (*VOID_RGBA, a)                                      # index 0: void
    for k in range(n):                                            # index k + 2: class k
        lut[k + 2] = (*pg.mkColor(color_of(k)).getRgb()[:3], a)
    m = np.asarray(mask).astype(np.int64, copy=False)
    index = np.where(m > 0, (m - 1) % n + 2, np.where(m < 0, 0, 1))
    return lut[index]


def box_polyline(boxes: np.ndarray) -> np.ndarray:
    """Boxes (B, 4) x0, y0, x1, y1 -> their outlines as one polyline with NaN breaks, (6B, 2)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x0, y0, x1, y1 = b.T
    xs = np.stack([x0, x1, x1, x0, x0, np.full_like(x0, np.nan)], axis=1)
    ys = np.stack([y0, y0, y1, y1, y0, np.full_like(y0, np.nan)], axis=1)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def arrow_pairs(arrows: np.ndarray, head: float = 0.3) -> np.ndarray:
    """Arrows (A, 4) x, y, dx, dy -> point pairs for one ``connect="pairs"`` curve (6A', 2): the shaft and
    two head strokes ``head`` × the arrow's length long at ±30°.  Zero and non-finite arrows are left out."""
    a = np.asarray(arrows, dtype=np.float64).reshape(-1, 4)
    o, v = a[:, :2], a[:, 2:]
    length = np.hypot(v[:, 0], v[:, 1])
    keep = np.isfinite(length) & (length > 1e-9) & np.isfinite(o).all(axis=1)
    o, v = o[keep], v[keep]
    tip = o + v
    c, s = math.cos(math.radians(150)), math.sin(math.radians(150))
    back1 = np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], axis=1) * head
    back2 = np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]], axis=1) * head
    return np.stack([o, tip, tip, tip + back1, tip, tip + back2], axis=1).reshape(-1, 2)


def format_box(x0: float, y0: float, x1: float, y1: float, width: float, height: float) -> str:
    """The box with corners (x0, y0), (x1, y1) in image pixels as "x0,y0,x1,y1": ordered so x0 <= x1 and
    y0 <= y1, clipped to the image (``width`` × ``height``), rounded to 0.1 pixel."""
    xa, xb = sorted((min(max(x0, 0.0), width), min(max(x1, 0.0), width)))
    ya, yb = sorted((min(max(y0, 0.0), height), min(max(y1, 0.0), height)))
    return ",".join(f"{round(v, 1):.1f}" for v in (xa, ya, xb, yb))


def wrap_text(text: str, metrics: QFontMetricsF, width: float, max_lines: int) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels, at most ``max_lines`` (the last one elided
    with "…" when text is left over).  Joined captions ("a | b | c") break between their parts where a part
    fits on a line, else at spaces."""
    if not text:
        return []
    lines: list[str] = []
    line = ""
    for part in text.split(" | "):
        trial = f"{line} | {part}" if line else part
        if metrics.horizontalAdvance(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line + " |")
            line = ""
        for word in part.split(" "):
            trial = f"{line} {word}" if line else word
            if metrics.horizontalAdvance(trial) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines[max_lines - 1:] = [" ".join(lines[max_lines - 1:])]
    return [metrics.elidedText(l, Qt.TextElideMode.ElideRight, width) for l in lines]


def _classes(arr, n: int) -> np.ndarray:
    return np.full(n, -1, np.int64) if arr is None else np.asarray(arr).astype(np.int64).reshape(-1)


class CaptionItem(pg.LabelItem):
    """A label whose width the layout decides (its text is wrapped to fit by the view): it asks for its
    text's height but no width, so a long caption never widens the picture's column."""

    def updateMin(self) -> None:          # pyqtgraph calls it on every text change and resize
        super().updateMin()
        self.setMinimumWidth(0)

    def sizeHint(self, hint, constraint):
        size = super().sizeHint(hint, constraint)
        if hint in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            size.setWidth(0)
        return size


class BoxLabelsItem(pg.GraphicsObject):
    """The labels of the boxes, painted by one item on small tags in each box's colour (white or dark text
    by the colour's lightness), so they read on any picture.  Placed at paint time in screen pixels, so zoom
    never makes them overlap: each label tries just above its box's top-left corner, then inside it, then
    under the box's bottom-left corner, then inside that, and is left out when all of those overlap a label
    already placed or leave the picture.  At most :data:`MAX_BOX_LABELS` are drawn, from the first
    :data:`LABEL_TRIES` labelled boxes in the data's order; ``drawn`` holds the indices drawn last."""

    def __init__(self, point_size: float = 7.5) -> None:
        super().__init__()
        self.font = QFont()
        self.font.setPointSizeF(point_size)
        self._metrics = QFontMetricsF(self.font)
        self.boxes = np.zeros((0, 4))
        self.texts: list[str] = []
        self.colors: list[str] = []
        self.index: list[int] = []            # the box each label belongs to
        self.picture = QRectF()               # the image's rectangle: labels stay inside it
        self.drawn: list[int] = []            # indices into ``index`` drawn last
        self._placed_key: tuple | None = None
        self._placed: list[tuple[int, QRectF]] = []

    def set_labels(self, boxes: np.ndarray, texts: Sequence[str], classes: np.ndarray, picture: QRectF) -> None:
        """boxes (B, 4) in image pixels with their label texts and classes (B,) int (the tag's colour);
        empty texts get no label."""
        keep = [i for i, t in enumerate(texts) if t][:LABEL_TRIES]
        self.prepareGeometryChange()
        self.boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)[keep]
        self.texts = [str(texts[i]) for i in keep]
        self.colors = [color_of(classes[i]) for i in keep]
        self.index = keep
        self.picture = QRectF(picture)
        self._placed_key = None
        self.update()

    def boundingRect(self) -> QRectF:
        return self.picture.adjusted(-1, -1, 1, 1)

    def place(self, transform: QTransform) -> list[tuple[int, QRectF]]:
        """(label, screen rectangle) of the labels drawn under ``transform`` (image pixels -> screen)."""
        m = (transform.m11(), transform.m12(), transform.m21(), transform.m22(), transform.dx(), transform.dy())
        key = (m, id(self.texts))
        if key == self._placed_key:
            return self._placed
        placed: list[tuple[int, QRectF]] = []
        if self.texts:
            corners = np.stack([self.boxes[:, [0, 2]].min(axis=1), self.boxes[:, [1, 3]].min(axis=1),
                                self.boxes[:, [0, 2]].max(axis=1), self.boxes[:, [1, 3]].max(axis=1)], axis=1)
            sx, sy = m[0], m[3]
            scr = np.stack([corners[:, 0] * sx + m[4], corners[:, 1] * sy + m[5],
                            corners[:, 2] * sx + m[4], corners[:, 3] * sy + m[5]], axis=1)
            pic = transform.mapRect(self.picture)
            bounds = (pic.left() - 0.5, pic.top() - 0.5, pic.right() + 0.5, pic.bottom() + 0.5)
            taken = np.empty((MAX_BOX_LABELS, 4))
            h = self._metrics.height() + 2
            for i, text in enumerate(self.texts):
                w = self._metrics.horizontalAdvance(text) + 6
                x0, y0, _x1, y1 = scr[i]
                cand = np.array([(x0, y0 - h, x0 + w, y0), (x0, y0, x0 + w, y0 + h),
                                 (x0, y1, x0 + w, y1 + h), (x0, y1 - h, x0 + w, y1)])
                free = ((cand[:, 0] >= bounds[0]) & (cand[:, 1] >= bounds[1])
                        & (cand[:, 2] <= bounds[2]) & (cand[:, 3] <= bounds[3]))
                if placed:
                    free &= ~overlaps(cand, taken[:len(placed)]).any(axis=1)
                if not free.any():
                    continue
                box = cand[int(free.argmax())]
                taken[len(placed)] = box
                placed.append((i, QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])))
                if len(placed) >= MAX_BOX_LABELS:
                    break
        self._placed_key, self._placed = key, placed
        return placed

    def placed_now(self) -> list[tuple[int, QRectF]]:
        """(label, viewport rectangle) of the labels as the first view of the scene shows them now."""
        views = self.scene().views() if self.scene() is not None else []
        return self.place(self.deviceTransform(views[0].viewportTransform())) if views else []

    def paint(self, painter: QPainter, *args) -> None:
        if not self.texts:
            self.drawn = []
            return
        transform = painter.transform()
        placed = self.place(transform)
        self.drawn = [i for i, _ in placed]
        painter.save()
        painter.setTransform(QTransform())
        painter.setFont(self.font)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        for i, rect in placed:
            color = QColor(self.colors[i])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRect(rect)
            painter.setPen(QColor("#ffffff" if is_dark(color) else "#111111"))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self.texts[i])
        painter.restore()


class AnnotatedImageView(PlotView):
    """An :class:`AnnotatedImageData`: the picture (row 0 at the top, square pixels) with its caption under
    it, the class mask and the heat map over it (the heat map's colour bar to the right), boxes, limbs,
    arrows and keypoints (hover a keypoint for its label) in their classes' colours, and a legend of the
    classes in use to the right of the picture."""

    data_type = AnnotatedImageData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.graphics.setBackground("w")
        layout = self.graphics.ci
        self.view_box = layout.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.mask_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        for z, item in enumerate((self.image_item, self.mask_item, self.heat_item)):
            item.setZValue(z - 10)
            self.view_box.addItem(item)
        self.mask_item.setVisible(False)
        self.heat_item.setVisible(False)
        self._heat_cmap = "inferno"
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap(self._heat_cmap), interactive=False,
                                        width=12)
        self.colorbar.setImageItem(self.heat_item)
        self._colorbar_shown = False
        self.legend = pg.LabelItem("", justify="left", size="8pt")
        self._legend_html = ""
        self.caption = CaptionItem("", size="9pt", color=CAPTION_COLOR)
        layout.addItem(self.caption, row=1, col=0)
        self._caption_text = ""
        self._caption_html = ""
        self._legend_entries: list[str] = []
        self._fitting_texts = False
        font = QFont()
        font.setPointSizeF(9.0)
        self._text_metrics = QFontMetricsF(font)
        layout.addItem(self.legend, row=0, col=2)
        grid = layout.layout                          # the picture takes the room; bar and legend their own width
        grid.setColumnStretchFactor(0, 1)
        grid.setColumnStretchFactor(1, 0)
        grid.setColumnStretchFactor(2, 0)
        self.colorbar.setMaximumWidth(90)
        self.box_items: dict[tuple[int, str], pg.PlotCurveItem] = {}
        self.segment_items: dict[int, pg.PlotCurveItem] = {}
        self.arrow_items: dict[int, pg.PlotCurveItem] = {}
        self.point_items: dict[int, pg.ScatterPlotItem] = {}
        self.box_labels = BoxLabelsItem()
        self.box_labels.setZValue(20)
        self.view_box.addItem(self.box_labels)
        # the box being drawn: white dashes over a dark line, seen on light and dark pictures alike
        self.rubber_band_shadow = pg.PlotCurveItem(pen=pg.mkPen("#202124", width=3), antialias=False)
        self.rubber_band = pg.PlotCurveItem(pen=pg.mkPen("#ffffff", width=1, style=Qt.PenStyle.DashLine),
                                            antialias=False)
        for z, item in ((30, self.rubber_band_shadow), (31, self.rubber_band)):
            item.setZValue(z)
            item.setVisible(False)
            self.view_box.addItem(item)
        self.size_px: tuple[int, int] | None = None     # (H, W) of the picture on show
        self._range: QRectF | None = None
        self._margins = (0.0, 0.0)
        layout.layout.setContentsMargins(1, EDGE_PX, 1, 1)
        self.view_box.sigResized.connect(lambda *_: (self._fit_aspect(), self._fit_texts(), self._fit_points()))
        self.box_counts: dict[tuple[int, str], int] = {}      # boxes drawn per (class, style), for tests
        self.box_param: str | None = None
        self.click_param: str | None = None
        self._press: tuple[QPointF, QPointF] | None = None      # (screen, image) point of a left press
        self._dragging = False
        self.graphics.viewport().installEventFilter(self)

    # ---- items, created on first use and reused -----------------------------------------------------
    def _curve(self, table: dict, key, pen: QPen, z: float, connect: str) -> pg.PlotCurveItem:
        item = table.get(key)
        if item is None:
            item = pg.PlotCurveItem(pen=pen, connect=connect, antialias=False)
            item.setZValue(z)
            self.view_box.addItem(item)
            table[key] = item
        return item

    def _box_item(self, cls: int, style: str, width: float) -> pg.PlotCurveItem:
        item = self.box_items.get((cls, style))
        if item is not None and item.opts["pen"].widthF() == width:
            return item
        pen = pg.mkPen(color_of(cls), width=width)
        if style != "solid":
            pen.setDashPattern(list(DASHES[style]))
        if item is not None:
            item.setPen(pen)
            return item
        return self._curve(self.box_items, (cls, style), pen, 10, "finite")

    def _segment_item(self, cls: int, width: float) -> pg.PlotCurveItem:
        item = self.segment_items.get(cls)
        if item is not None and item.opts["pen"].widthF() == width:
            return item
        pen = pg.mkPen(color_of(cls), width=width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        item = self._curve(self.segment_items, cls, pen, 5, "pairs")
        if item.opts["pen"].widthF() != pen.widthF():
            item.setPen(pen)
        return item

    def _arrow_item(self, cls: int) -> pg.PlotCurveItem:
        return self._curve(self.arrow_items, cls, pg.mkPen(color_of(cls), width=1.5), 7, "pairs")

    def _point_item(self, cls: int) -> pg.ScatterPlotItem:
        item = self.point_items.get(cls)
        if item is None:
            item = pg.ScatterPlotItem(size=self.point_size(), pxMode=True, symbol="o", brush=pg.mkBrush(color_of(cls)),
                                      pen=pg.mkPen("#ffffff", width=1), hoverable=True,
                                      tip=lambda x, y, data: f"{data} ({x:.1f}, {y:.1f})" if data else
                                      f"({x:.1f}, {y:.1f})")
            item.setZValue(15)
            self.view_box.addItem(item)
            self.point_items[cls] = item
        return item

    def point_size(self) -> float:
        """Keypoint markers' diameter in screen pixels: 7 on a picture drawn 320 px or more, down to
        5 on a small one, where 18 keypoints of a person would otherwise merge into one blot."""
        side = min(self.view_box.width(), self.view_box.height())
        return float(np.clip(round(side / 45.0), 5, 7)) if side > 0 else 7.0

    def _fit_points(self) -> None:
        size = self.point_size()
        for item in self.point_items.values():
            if item.opts["size"] != size:
                item.setSize(size)

    @staticmethod
    def _clear_unused(table: dict, used: set) -> None:
        for key, item in table.items():
            if key not in used and item.isVisible():
                item.setData([], [])
                item.setVisible(False)

    def graphics_item_count(self) -> int:
        """Items in the picture's view box (for tests: 3000 boxes must not make 3000 items)."""
        return len(self.view_box.addedItems)

    # ---- drawing -----------------------------------------------------------------------------------
    def _draw(self, data: AnnotatedImageData) -> None:
        data.validate()
        img = np.asarray(data.image)
        h, w = img.shape[:2]
        self.image_item.setImage(picture_rgb(img), autoLevels=False, levels=(0, 255))
        rect = QRectF(0, 0, w, h)
        if self.size_px != (h, w):          # an ImageItem scales its rect by its current image: set it after
            self.size_px = (h, w)
            self.image_item.setRect(rect)
            self._range = QRectF(rect)
            self.view_box.setRange(self._range, padding=0)
            self._fit_aspect()
        self._draw_mask(data, rect)
        self._draw_heat(data, rect)
        self._draw_boxes(data, rect)
        self._draw_segments(data)
        self._draw_arrows(data)
        self._draw_points(data)
        self._draw_legend(data)
        if str(data.caption) != self._caption_text:
            self._caption_text = str(data.caption)
            self._fit_texts()

    def _draw_mask(self, data: AnnotatedImageData, rect: QRectF) -> None:
        if data.mask is None:
            self.mask_item.setVisible(False)
            return
        self.mask_item.setImage(mask_rgba(data.mask, data.mask_alpha), autoLevels=False, levels=(0, 255))
        self.mask_item.setRect(rect)
        self.mask_item.setVisible(True)

    def _draw_heat(self, data: AnnotatedImageData, rect: QRectF) -> None:
        if data.heat is None:
            self.heat_item.setVisible(False)
            self._show_colorbar(False)
            return
        lo, hi = float(data.heat_levels[0]), float(data.heat_levels[1])
        if not hi > lo:
            hi = lo + 1.0
        heat = np.asarray(data.heat, dtype=np.float32)
        self.heat_item.setImage(heat, autoLevels=False, levels=(lo, hi))
        self.heat_item.setRect(rect)                    # a coarser map is stretched over the whole picture
        self.heat_item.setOpacity(float(data.heat_alpha))
        if data.heat_colormap != self._heat_cmap:
            self._heat_cmap = data.heat_colormap
            self.colorbar.setColorMap(colormap(data.heat_colormap))
        if tuple(self.colorbar.levels()) != (lo, hi):
            self.colorbar.setLevels((lo, hi))
        label = str(data.heat_label)
        if self.colorbar.getAxis("right").labelText != label:
            self.colorbar.setLabel("right", html.escape(label) if label else None)
        self.heat_item.setVisible(True)
        self._show_colorbar(True)

    def _show_colorbar(self, on: bool) -> None:
        if on == self._colorbar_shown:
            return
        self._colorbar_shown = on
        layout = self.graphics.ci
        if on:
            layout.addItem(self.colorbar, row=0, col=1)
        else:
            layout.removeItem(self.colorbar)
        self.colorbar.setVisible(on)
        self._fit_aspect()

    def _draw_boxes(self, data: AnnotatedImageData, rect: QRectF) -> None:
        used: set = set()
        self.box_counts = {}
        n = 0 if data.boxes is None else len(data.boxes)
        if n:
            boxes = np.asarray(data.boxes, dtype=np.float64)
            classes = _classes(data.box_classes, n)
            styles = np.asarray(data.box_styles) if len(data.box_styles) else np.full(n, "solid")
            style_code = np.zeros(n, np.int64)
            for s, name in enumerate(BOX_STYLES):
                style_code[styles == name] = s
            key = classes * len(BOX_STYLES) + style_code
            order = np.argsort(key, kind="stable")
            keys, starts = np.unique(key[order], return_index=True)
            ends = np.append(starts[1:], n)
            line = box_polyline(boxes[order])
            width = 2.0 if n <= CROWDED_BOXES else 1.0
            dashed_width = 2.0 if (style_code > 0).sum() <= WIDE_DASHED else 1.0
            for k, a, b in zip(keys, starts, ends):
                cls, style = int(k // len(BOX_STYLES)), BOX_STYLES[int(k % len(BOX_STYLES))]
                item = self._box_item(cls, style, width if style == "solid" else min(width, dashed_width))
                item.setData(line[6 * a:6 * b, 0], line[6 * a:6 * b, 1])
                item.setVisible(True)
                used.add((cls, style))
                self.box_counts[(cls, style)] = int(b - a)
            self.box_labels.set_labels(boxes, list(data.box_labels), classes, rect)
        else:
            self.box_labels.set_labels(np.zeros((0, 4)), [], np.zeros(0, np.int64), rect)
        self._clear_unused(self.box_items, used)

    def _draw_segments(self, data: AnnotatedImageData) -> None:
        used: set = set()
        n = 0 if data.segments is None else len(data.segments)
        if n:
            seg = np.asarray(data.segments, dtype=np.float64).reshape(n, 2, 2)
            classes = _classes(data.segment_classes, n)
            for cls in np.unique(classes):
                pts = seg[classes == cls].reshape(-1, 2)
                item = self._segment_item(int(cls), float(data.segment_width))
                item.setData(pts[:, 0], pts[:, 1])
                item.setVisible(True)
                used.add(int(cls))
        self._clear_unused(self.segment_items, used)

    def _draw_arrows(self, data: AnnotatedImageData) -> None:
        used: set = set()
        n = 0 if data.arrows is None else len(data.arrows)
        if n:
            arrows = np.asarray(data.arrows, dtype=np.float64)
            classes = _classes(data.arrow_classes, n)
            for cls in np.unique(classes):
                pairs = arrow_pairs(arrows[classes == cls])
                if not len(pairs):
                    continue
                item = self._arrow_item(int(cls))
                item.setData(pairs[:, 0], pairs[:, 1])
                item.setVisible(True)
                used.add(int(cls))
        self._clear_unused(self.arrow_items, used)

    def _draw_points(self, data: AnnotatedImageData) -> None:
        used: set = set()
        n = 0 if data.points is None else len(data.points)
        if n:
            pts = np.asarray(data.points, dtype=np.float64)
            classes = _classes(data.point_classes, n)
            labels = np.array([str(t) for t in data.point_labels] if len(data.point_labels) else [""] * n,
                              dtype=object)
            for cls in np.unique(classes):
                sel = classes == cls
                item = self._point_item(int(cls))
                item.setData(x=pts[sel, 0], y=pts[sel, 1], data=labels[sel], size=self.point_size())
                item.setVisible(True)
                used.add(int(cls))
        self._clear_unused(self.point_items, used)

    def classes_in_use(self, data: AnnotatedImageData) -> list[int]:
        """The classes drawn (box, point, limb and arrow classes, mask ids - 1), sorted; -1 for no class or
        void mask pixels."""
        found: set[int] = set()
        for arr in (data.box_classes, data.point_classes, data.segment_classes, data.arrow_classes):
            if arr is not None and len(arr):
                found.update(int(k) for k in np.unique(np.asarray(arr)))
        if data.mask is not None:
            m = np.asarray(data.mask).astype(np.int64, copy=False).ravel()
            counts = np.bincount(np.maximum(m, -1) + 1)        # a bincount: np.unique sorts (10 ms at 475 px)
            found.update(int(k) - 2 for k in np.flatnonzero(counts) if k >= 2)
            if counts[0]:
                found.add(-1)
        return sorted(found)

    def _draw_legend(self, data: AnnotatedImageData) -> None:
        names = list(data.class_names)
        entries = []
        for k in self.classes_in_use(data):
            if k < 0:
                name = "void" if data.mask is not None and np.asarray(data.mask).min() < 0 else "other"
            else:
                name = names[k] if k < len(names) else f"class {k}"
            entries.append(f"<span style='color:{color_of(k)}'>&#9632;</span>&nbsp;{html.escape(str(name))}")
        self._legend_entries = entries
        self._fit_texts()

    def _fit_texts(self) -> None:
        """Lay out the legend (in as many columns as the height needs) and the caption (wrapped to the
        picture's width, at most :data:`CAPTION_LINES` lines, the rest elided; the whole in the tooltip)."""
        if self._fitting_texts:
            return
        self._fitting_texts = True
        try:
            for _ in range(3):                  # the picture's new size re-wraps the caption: until it settles
                if not self._fit_texts_once():
                    break
        finally:
            self._fitting_texts = False

    def _fit_texts_once(self) -> bool:
        """One pass of :meth:`_fit_texts`; True if the legend or the caption changed."""
        changed = False
        line_h = self._text_metrics.lineSpacing()
        room = max(self.graphics.height() - EDGE_PX - 8 - self.caption.height(), line_h)
        rows = max(1, int(room // (line_h + 1)))
        cols = [self._legend_entries[i:i + rows] for i in range(0, len(self._legend_entries), rows)]
        if len(cols) > 1:
            cells = "".join(f"<td style='padding-right:6px'>{'<br>'.join(c)}</td>" for c in cols)
            text = f"<table cellspacing='0' cellpadding='0'><tr>{cells}</tr></table>"
        else:
            text = "<br>".join(self._legend_entries)
        if text != self._legend_html:
            self._legend_html = text
            self.legend.setText(text, color=CAPTION_COLOR)
            width = self.legend.item.boundingRect().width() + 4 if text else 0.0
            self.legend.setMinimumWidth(width)
            self.legend.setMaximumWidth(width)
            changed = True
        lines = wrap_text(self._caption_text, self._text_metrics, max(self.view_box.width(), 60.0),
                          CAPTION_LINES)
        caption = "<br>".join(html.escape(line) for line in lines)
        if caption != self._caption_html:
            self._caption_html = caption
            self.caption.setText(caption, color=CAPTION_COLOR)
            self.graphics.setToolTip(self._caption_text if len(lines) and lines != [self._caption_text]
                                     else "")
            changed = True
        if changed:
            self._fit_aspect()
        return changed

    # ---- layout ------------------------------------------------------------------------------------
    def _fit_aspect(self) -> None:
        """Margins around the layout that give the view box the picture's shape, so the picture fills it and
        the colour bar and legend stand right next to it."""
        if self._range is None:
            return
        self.graphics.ci.setGeometry(self.graphics.range)    # back to the widget's size if it had outgrown it
        self.graphics.ci.layout.activate()
        box = self.view_box.geometry()
        # a layout wider or taller than the widget (its items' minimum sizes won) has less room than it thinks
        whole, room = self.graphics.ci.geometry(), self.graphics.viewport().rect()
        over = (max(0.0, whole.width() - room.width()), max(0.0, whole.height() - room.height()))
        margins = aspect_margins((self._margins[0] - over[0], self._margins[1] - over[1]), box.width(),
                                 box.height(), self._range.width() / self._range.height())
        margins = (max(0.0, margins[0]), max(0.0, margins[1]))
        if abs(margins[0] - self._margins[0]) < 1 and abs(margins[1] - self._margins[1]) < 1:
            return
        self._margins = margins
        self.graphics.ci.layout.setContentsMargins(margins[0] / 2 + 1, margins[1] / 2 + EDGE_PX, margins[0] / 2 + 1,
                                                   margins[1] / 2 + 1)
        self.view_box.setRange(self._range, padding=0)

    def reset_zoom(self) -> None:
        if self._range is not None:
            self.view_box.setRange(self._range, padding=0)

    # ---- interaction -------------------------------------------------------------------------------
    def enable_box_drawing(self, param_name: str | None) -> None:
        """A left drag on the picture draws a box and, on release, emits ``paramRequested(param_name,
        "x0,y0,x1,y1")`` (image pixels, :func:`format_box`); a click without a drag draws nothing.  Panning
        with the mouse is off while drawing is on.  None turns drawing off."""
        self.box_param = param_name or None
        on = self.box_param is not None
        self.view_box.setMouseEnabled(x=not on, y=not on)
        self.graphics.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def enable_click(self, param_name: str | None) -> None:
        """A left click on the picture emits ``paramRequested(param_name, "x,y")`` (image pixels, rounded to
        0.1, clipped to the image).  None turns it off."""
        self.click_param = param_name or None

    def _to_image(self, screen: QPointF) -> QPointF:
        return self.view_box.mapSceneToView(self.graphics.mapToScene(screen.toPoint()))

    def _on_picture(self, p: QPointF) -> bool:
        if self.size_px is None:
            return False
        h, w = self.size_px
        return 0 <= p.x() <= w and 0 <= p.y() <= h

    def press(self, p: QPointF, screen: QPointF | None = None) -> bool:
        """A left press at image point ``p`` (and ``screen`` point); True if it starts a drag or click."""
        if (self.box_param is None and self.click_param is None) or not self._on_picture(p):
            self._press = None
            return False
        self._press = (screen if screen is not None else QPointF(p), QPointF(p))
        self._dragging = False
        return True

    def move(self, p: QPointF, screen: QPointF | None = None) -> None:
        """The pointer moved to ``p`` with the button held: the rubber band follows."""
        if self._press is None or self.box_param is None:
            return
        s0, p0 = self._press
        if screen is not None and not self._dragging:
            self._dragging = math.hypot(screen.x() - s0.x(), screen.y() - s0.y()) >= DRAG_MIN_PX
        elif screen is None:
            self._dragging = self._dragging or p != p0
        if self._dragging:
            x0, y0, x1, y1 = (float(v) for v in format_box(p0.x(), p0.y(), p.x(), p.y(), *self._wh()).split(","))
            for item in (self.rubber_band_shadow, self.rubber_band):
                item.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
                item.setVisible(True)

    def release(self, p: QPointF, screen: QPointF | None = None) -> str | None:
        """The button came up at ``p``: emit the box (after a drag) or the click.  Returns the value emitted."""
        if self._press is None:
            return None
        s0, p0 = self._press
        self._press = None
        self.rubber_band.setVisible(False)
        self.rubber_band_shadow.setVisible(False)
        if screen is not None:
            dragged = self._dragging or math.hypot(screen.x() - s0.x(), screen.y() - s0.y()) >= DRAG_MIN_PX
        else:
            dragged = self._dragging or p != p0
        self._dragging = False
        if dragged and self.box_param is not None:
            value = format_box(p0.x(), p0.y(), p.x(), p.y(), *self._wh())
            x0, y0, x1, y1 = (float(v) for v in value.split(","))
            if x1 > x0 and y1 > y0:
                self.paramRequested.emit(self.box_param, value)
                return value
            return None
        if not dragged and self.click_param is not None:
            w, h = self._wh()
            value = f"{round(min(max(p0.x(), 0.0), w), 1):.1f},{round(min(max(p0.y(), 0.0), h), 1):.1f}"
            self.paramRequested.emit(self.click_param, value)
            return value
        return None

    def _wh(self) -> tuple[float, float]:
        h, w = self.size_px if self.size_px is not None else (0, 0)
        return float(w), float(h)

    def drag_box(self, x0: float, y0: float, x1: float, y1: float) -> str | None:
        """Drag from (x0, y0) to (x1, y1) in image pixels, as the mouse does; returns the value emitted."""
        if not self.press(QPointF(x0, y0)):
            return None
        self.move(QPointF(x1, y1))
        return self.release(QPointF(x1, y1))

    def click_at(self, x: float, y: float) -> str | None:
        """Click at (x, y) in image pixels, as the mouse does; returns the value emitted."""
        if not self.press(QPointF(x, y)):
            return None
        return self.release(QPointF(x, y))

    def eventFilter(self, obj, event) -> bool:
        if obj is not self.graphics.viewport() or (self.box_param is None and self.click_param is None):
            return super().eventFilter(obj, event)
        t = event.type()
        grab = self.box_param is not None        # with box drawing on, the picture's drags are ours
        if t == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            screen = event.position()
            return self.press(self._to_image(screen), screen) and grab
        if t == QEvent.Type.MouseMove and self._press is not None:
            screen = event.position()
            self.move(self._to_image(screen), screen)
            return grab
        if t == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton \
                and self._press is not None:
            screen = event.position()
            self.release(self._to_image(screen), screen)
            return grab
        return super().eventFilter(obj, event)
