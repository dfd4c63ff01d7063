"""Many short texts placed in data coordinates and drawn in one paint call.

pyqtgraph's TextItem is one QGraphicsItem (with its own transform bookkeeping) per text; a 10×10
confusion matrix needs 100 of them, which costs several milliseconds per repaint.  LabelsItem keeps
(x, y, text, colour) tuples and draws them all at a fixed pixel font size, unscaled by zoom.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTransform


LABEL_GAP_PX = 6.0        # the least room between two tick labels along their axis, in pixels


def escape_label(text: str) -> str:
    """``text`` as rich text that shows it literally: ``<``, ``>`` and ``&`` escaped.  pyqtgraph draws axis
    labels and titles as HTML, so "share with |w| < 0.001" would otherwise lose "< 0.001"."""
    return html.escape(str(text), quote=False)


def _overlap(a: Sequence[float], b: Sequence[float], gap: float) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + gap and bx < ax + aw + gap and ay < by + bh and by < ay + ah


def _even_stride(boxes: Sequence[Sequence[float]], order: list[int], rows: int, gap: float) -> int:
    """The smallest k for which every k-th box (in ``order``), dealt in turn to ``rows`` rows, overlaps no other
    box of its row."""
    for k in range(1, len(order) + 1):
        chosen = order[::k]
        if all(not _overlap(boxes[a], boxes[b], gap)
               for j, a in enumerate(chosen) for b in chosen[j + rows::rows]):
            return k
    return len(order)


def thin_boxes(boxes: Sequence[Sequence[float]], evenly: bool = False, gap: float = LABEL_GAP_PX) -> list[int]:
    """Indices of the label boxes to draw so that no two drawn boxes overlap (nor come closer than ``gap``
    pixels side by side).  boxes: (x, y, width, height) in pixels, in priority order.

    ``evenly``: the boxes are categories along an axis; keep every k-th one (in order of position) for the
    smallest k with no overlap, so the shown labels are evenly spaced.  Otherwise keep boxes greedily in the
    given order (a tick level's labels before the next level's).  Returns sorted indices."""
    if evenly:
        return stagger_boxes(boxes, gap=gap, max_rows=1)[0]
    kept: list[int] = []
    for i in range(len(boxes)):
        if not any(_overlap(boxes[i], boxes[j], gap) for j in kept):
            kept.append(i)
    return sorted(kept)


def stagger_boxes(boxes: Sequence[Sequence[float]], gap: float = LABEL_GAP_PX,
                  max_rows: int = 2) -> tuple[list[int], dict[int, int]]:
    """Category labels along a horizontal axis, thinned evenly and, where that shows more of them, dealt
    alternately to up to ``max_rows`` rows.  boxes: (x, y, width, height) in pixels, all on one line.

    Returns (the sorted indices drawn, {index: row}); row r is drawn r box heights lower.  A second row is used
    only when it lets more labels show than one row does."""
    if not boxes:
        return [], {}
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][0], boxes[i][1]))
    best_rows, best_k = 1, _even_stride(boxes, order, 1, gap)
    for rows in range(2, max_rows + 1):
        if best_k == 1:
            break
        k = _even_stride(boxes, order, rows, gap)
        if k < best_k:
            best_rows, best_k = rows, k
    chosen = order[::best_k]
    return sorted(chosen), {i: j % best_rows for j, i in enumerate(chosen)}


@dataclass(frozen=True)
class Label:
    """A text at (x, y) in data units; anchor (ax, ay) in [0, 1] of the text box: (0.5, 0.5) centres
    it, (0.5, 0) hangs it below the point (in a view whose y axis points down).  offset: where the text
    box's top-left corner lies from the point, in pixels (as a label placer chose it), instead of the anchor."""

    x: float
    y: float
    text: str
    color: str = "#202124"
    offset: tuple[float, float] | None = None


def visible_boxes(boxes: Sequence[Sequence[float]], gap: float = 1.0, cell: float = 48.0) -> list[int]:
    """Indices of the boxes (x, y, width, height in pixels, in priority order) drawn when a box is dropped if it
    overlaps one drawn before it (or comes closer than ``gap`` side by side).  Boxes are bucketed in
    ``cell``-pixel squares, so the check is linear in the number of boxes for labels of about that size."""
    grid: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    for i, box in enumerate(boxes):
        x, y, w, h = box
        cells = [(cx, cy) for cx in range(math.floor((x - gap) / cell), math.floor((x + w + gap) / cell) + 1)
                 for cy in range(math.floor(y / cell), math.floor((y + h) / cell) + 1)]
        if any(_overlap(box, boxes[j], gap) for c in cells for j in grid.get(c, ())):
            continue
        kept.append(i)
        for c in cells:
            grid.setdefault(c, []).append(i)
    return kept


class LabelsItem(pg.GraphicsObject):
    """Draws ``labels`` (a list of :class:`Label`) with one font and one anchor.  A label whose box would
    overlap one drawn before it (earlier in the list) is not drawn, so texts never collide however the view is
    zoomed; ``drawn`` holds the indices drawn last."""

    def __init__(self, point_size: float = 8.0, anchor: tuple[float, float] = (0.5, 0.5)) -> None:
        super().__init__()
        self.labels: list[Label] = []
        self.anchor = anchor
        self.font = QFont()
        self.font.setPointSizeF(point_size)
        self._metrics = QFontMetricsF(self.font)
        self._bounds = QRectF()
        self.drawn: list[int] = []

    def set_labels(self, labels: list[Label]) -> None:
        if labels == self.labels:
            return
        self.prepareGeometryChange()
        self.labels = list(labels)
        if self.labels:
            xs = [l.x for l in self.labels]
            ys = [l.y for l in self.labels]
            self._bounds = QRectF(min(xs), min(ys), max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9))
        else:
            self._bounds = QRectF()
        self.update()

    def texts(self) -> list[str]:
        return [l.text for l in self.labels]

    def max_text_width(self) -> float:
        """Width in pixels of the widest line."""
        return max((self._metrics.horizontalAdvance(line) for l in self.labels for line in l.text.splitlines()),
                   default=0.0)

    def text_size(self, text: str) -> tuple[float, float]:
        """(width, height) in pixels of the box ``text`` is drawn in."""
        lines = text.splitlines() or [""]
        return (max(self._metrics.horizontalAdvance(line) for line in lines) + 2,
                self._metrics.height() * len(lines))

    def _rect(self, label: Label, p: QPointF) -> QRectF:
        w, h = self.text_size(label.text)
        if label.offset is not None:
            return QRectF(p.x() + label.offset[0], p.y() + label.offset[1], w, h)
        ax, ay = self.anchor
        return QRectF(p.x() - ax * w, p.y() - ay * h, w, h)

    def label_rects(self) -> list[QRectF]:
        """The scene rectangle of every label's text box (for tests and hit tests)."""
        transform = self.sceneTransform()
        return [self._rect(label, transform.map(QPointF(label.x, label.y))) for label in self.labels]

    def boundingRect(self) -> QRectF:
        # the texts stick out of the anchor points by a few pixels; a margin in data units suffices
        # for repaint purposes because the whole view repaints when data change
        return self._bounds.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, *args) -> None:
        if not self.labels:
            return
        transform = painter.transform()
        painter.save()
        painter.setTransform(QTransform())
        painter.setFont(self.font)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        rects = [self._rect(label, transform.map(QPointF(label.x, label.y))) for label in self.labels]
        self.drawn = visible_boxes([(r.x(), r.y(), r.width(), r.height()) for r in rects])
        for i in self.drawn:
            label, rect = self.labels[i], rects[i]
            painter.setPen(QColor(label.color))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), label.text)
        painter.restore()
