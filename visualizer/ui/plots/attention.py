"""Attention pictures after Vig's BertViz (2019): the head view, the model view and the neuron view of an
:class:`~visualizer.core.plotdata.AttentionData`, and the book's highlighted words of a
:class:`~visualizer.core.plotdata.HighlightedTextData` (Ogawa, *PyTorch advanced deep learning*, ch. 7).

Built for the app's 30 Hz redraws while a model trains (issue #17: 128 tokens, all layers x heads of a 4 x 4
model, event-loop p99 <= 50 ms).  Each picture is painted by one widget (:class:`Canvas`) with
QPainter, not built from one graphics item per line or cell:

- head view: the lines of a head are batched by weight into :data:`WEIGHT_BINS` batches, one pen each
  (opacity and width grow with the weight), each drawn by one ``drawLines`` call (one QPainterPath of
  thousands of crossing lines is stroked by Qt as a whole: ~100x slower); weights under :data:`MIN_WEIGHT`
  are left out, at most :data:`MAX_LINES` lines are drawn (the strongest: the threshold rises and the
  legend says so), and only those crossing the visible part, so 128 x 128 tokens x 16 heads cost a few
  dozen batches;
- model view: every layer x head heat map comes from ONE RGBA image of the whole model (colours looked up in
  one NumPy indexing), drawn cell by cell into a grid with gaps; masked (causal) cells are grey;
- neuron view: the vectors of the selected head as rows of coloured cells, each block an image.

Long inputs: rows are at least :data:`MIN_ROW` pixels high and the picture scrolls (token labels never
overlap; long tokens are elided, spaces and line breaks of a character model shown as ␣ and ⏎).  The caption
and the colour bar (or the line legend) sit in a fixed footer under the scrolled picture.

Interaction (the contract of the lessons ``transformer``, ``bert`` and ``gpt``): a click on a cell of the
model view or on a head chip of the head view emits ``paramRequested("attention_head", "l,h")``; a click on a
query token (head view's left column, neuron view's query column) emits ``paramRequested("attention_query",
"i")``.  The view follows the click at once (the weights of every head are in the data) until the next data
arrives.  Hovering a token of the head view shows only its lines (view-local).  :meth:`AttentionView.click_cell`,
:meth:`~AttentionView.click_chip`, :meth:`~AttentionView.click_query` and :meth:`~AttentionView.hover_token`
drive the same code as the mouse (tests, narrative steps).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from visualizer.core.plotdata import AttentionData, HighlightedTextData, PlotSpec
from visualizer.ui.plots.annotated_image import color_of, wrap_text
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import colormap, is_dark

MIN_WEIGHT = 0.01            # head view: lines of a smaller weight are not drawn
MAX_LINES = 1500             # head view: at most this many lines (the strongest); keeps a frame cheap
SMOOTH_LINES = 600           # more lines than this are drawn without antialiasing (about half the cost)
WEIGHT_BINS = (0.01, 0.05, 0.12, 0.25, 0.5)     # lower edges of the line bins (one batch and pen per bin)
BIN_ALPHA = (0.16, 0.32, 0.52, 0.75, 0.95)
BIN_WIDTH = (1.0, 1.0, 1.0, 1.7, 2.4)           # wider than 1 px only while few (Qt strokes a wide
THICK_MAX = 120                                 # antialiased line ~10x slower than a 1 px one)
MIN_ROW = 11.0               # pixels per token row at least; more tokens scroll
MAX_ROW = 24.0
MAX_TOKEN_CHARS = 16         # longer tokens are elided (the whole token is in the CSV)
MARGIN = 8.0
GAP = 4.0                    # model view: pixels between two heat maps
MASKED_RGBA = (200, 200, 200, 255)
SELECTED = "#d55e00"         # outline of the selected head (Okabe-Ito vermillion); marked tokens on it lighter
MARKED_INK = "#111111"       # text on a marked token (light orange in both themes)
WEIGHT_MAP = "viridis"       # attention weights (model view), colour ∝ √weight
DIVERGING_MAP = "rdbu_r"     # neuron view: negative blue, positive red
HIGHLIGHT_MAP = "oranges"    # highlighted words
SHOWN_CHARS = {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}


def shown_token(token: str, max_chars: int = MAX_TOKEN_CHARS) -> str:
    """A token as the views print it: a blank, line break or tab as ␣, ⏎, ⇥ (a character model's tokens), other
    whitespace made visible, longer than ``max_chars`` elided with "…"."""
    t = str(token)
    if t in SHOWN_CHARS:
        return SHOWN_CHARS[t]
    t = t.replace("\n", "⏎").replace("\t", "⇥")
    return t if len(t) <= max_chars else t[:max_chars - 1] + "…"


def head_color(h: int) -> str:
    """The colour of head ``h`` in the head view and its chips (the class colours, then darker and lighter)."""
    return color_of(h)


@lru_cache(maxsize=16)
def _lut(name: str, n: int) -> np.ndarray:
    lut = np.ascontiguousarray(colormap(name).getLookupTable(0.0, 1.0, n, alpha=True), dtype=np.uint8)
    lut = lut.reshape(n, 4)
    lut.flags.writeable = False
    return lut


def lut_rgba(name: str, n: int = 256) -> np.ndarray:
    """The colour map ``name`` as an (n, 4) uint8 RGBA lookup table (shared, read-only)."""
    return _lut(name, n)


def weight_colors(weights: np.ndarray, causal_mask: np.ndarray | None = None) -> np.ndarray:
    """Attention weights (..., T, S) in [0, 1] -> (..., T, S, 4) uint8 RGBA in :data:`WEIGHT_MAP` with the colour
    ∝ √weight (small weights of long inputs stay visible); NaN/Inf as 0; masked cells (``causal_mask`` (T, S)
    True) grey."""
    w = np.nan_to_num(np.array(weights, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    np.clip(w, 0.0, 1.0, out=w)                    # in place, and one 4-byte gather below: ~4x faster than
    np.sqrt(w, out=w)                              # the plain expressions for 4 x 4 heads of 128 tokens
    w *= 255.0
    w += 0.5
    index = w.astype(np.uint8)
    rgba = lut_rgba(WEIGHT_MAP).view(np.uint32).reshape(256)[index].view(np.uint8).reshape(index.shape + (4,))
    if causal_mask is not None:
        rgba[..., causal_mask, :] = MASKED_RGBA
    return rgba


def diverging_colors(values: np.ndarray, scale: float) -> np.ndarray:
    """Values -> (..., 4) uint8 RGBA in :data:`DIVERGING_MAP` over (-scale, +scale); NaN as 0."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=scale, neginf=-scale)
    t = np.clip(0.5 + 0.5 * v / max(scale, 1e-12), 0.0, 1.0)
    return lut_rgba(DIVERGING_MAP)[np.rint(t * 255).astype(np.int64)]


def robust_scale(values: np.ndarray) -> float:
    """The largest finite |value| (1.0 if there is none), the half range of a diverging colour scale."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v)]
    return float(v.max()) if v.size and v.max() > 0 else 1.0


def rgba_image(rgba: np.ndarray) -> QImage:
    """(H, W, 4) uint8 -> a QImage that owns a copy of the pixels."""
    a = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = a.shape[:2]
    return QImage(a.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def pool_weights(w: np.ndarray, f: int, mask: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Weights (L, H, T, S) averaged over blocks of ``f`` queries x ``f`` keys -> (L, H, ceil(T/f), ceil(S/f))
    (a last, shorter block is averaged over its own cells); NaN/Inf count as 0.  ``mask`` (T, S) True = masked
    -> a block is masked when all its cells are."""
    w = np.nan_to_num(np.asarray(w, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    T, S = w.shape[2:]
    rows, cols = np.arange(0, T, f), np.arange(0, S, f)
    summed = np.add.reduceat(np.add.reduceat(w, rows, axis=2), cols, axis=3)
    counts = np.diff(np.append(rows, T))[:, None] * np.diff(np.append(cols, S))[None, :]
    pooled = summed / counts
    if mask is not None:
        m = np.add.reduceat(np.add.reduceat(mask.astype(np.int32), rows, axis=0), cols, axis=1)
        mask = m == counts
    return pooled.astype(np.float32), mask


def causal_cells(t: int, s: int) -> np.ndarray:
    """(T, S) bool: True where key j comes after query i (j > i + S - T, the keys' offset for a cache)."""
    return np.arange(s)[None, :] > np.arange(t)[:, None] + (s - t)


def strongest_lines(w: np.ndarray, max_lines: int = MAX_LINES, min_weight: float = MIN_WEIGHT
                    ) -> tuple[np.ndarray, float]:
    """The lines of the head view: ``w`` (K, T, S) weights of K heads -> (indices (N, 3) of (head, query, key)
    with weight >= threshold, the threshold).  The threshold is ``min_weight`` unless more than ``max_lines``
    lines pass it; then it rises to the ``max_lines``-th largest weight.  NaN/Inf are left out."""
    w = np.where(np.isfinite(w), w, 0.0)
    threshold = float(min_weight)
    vals = w[w >= threshold]
    if len(vals) > max_lines:
        threshold = max(threshold, float(np.partition(vals, len(vals) - max_lines)[len(vals) - max_lines]))
    idx = np.argwhere(w >= threshold)
    if len(idx) > max_lines:                       # ties at the threshold: keep the first ones
        idx = idx[:max_lines]
    return idx, threshold


@dataclass
class Rows:
    """Where the token rows of a column picture lie: ``top`` of row 0 and ``height`` of a row, in pixels."""

    top: float
    height: float
    count: int

    def center(self, i) -> float | np.ndarray:
        return self.top + (np.asarray(i) + 0.5) * self.height

    def at(self, y: float) -> int:
        """The row at pixel ``y``, or -1 outside."""
        i = int(math.floor((y - self.top) / self.height)) if self.height > 0 else -1
        return i if 0 <= i < self.count else -1


_WIDTHS: dict[tuple[int, str], float] = {}


def widest_token(tokens, font: QFont) -> float:
    """The width in pixels of the widest of ``tokens`` as :func:`shown_token` prints them in ``font`` (cached per
    pixel size and token: a 128-token redraw measures no text twice)."""
    px = font.pixelSize()
    fm = None
    widest = 0.0
    for t in tokens:
        key = (px, str(t))
        w = _WIDTHS.get(key)
        if w is None:
            if fm is None:
                fm = QFontMetricsF(font)
            if len(_WIDTHS) > 50_000:
                _WIDTHS.clear()
            w = _WIDTHS[key] = fm.horizontalAdvance(shown_token(t))
        widest = max(widest, w)
    return widest


def font_scale() -> float:
    """The app's text size factor (View > Larger text), 1.0 outside the app."""
    from visualizer.ui import theme     # ui-internal; as in base.py, kept out of the import of this module

    return theme.font_scale()


def px(size: float) -> int:
    """A font's pixel size at the app's text size factor."""
    return int(round(size * font_scale()))


def min_row() -> float:
    """The least height of a token row in pixels (:data:`MIN_ROW` at the text size factor)."""
    return MIN_ROW * font_scale()


def token_font(row_height: float) -> QFont:
    font = QFont()
    font.setPixelSize(int(max(8, min(px(14), round(row_height * 0.72)))))
    return font


def paint_colorbar(painter: QPainter, rect: QRectF, cmap: str, ticks: list[tuple[float, str]], title: str,
                   ink: QColor) -> None:
    """A horizontal colour bar in ``rect`` (the gradient on top, tick labels under it, the title to its left).
    ticks: (position in 0..1 along the bar, text)."""
    font = QFont()
    font.setPixelSize(px(11))
    fm = QFontMetricsF(font)
    painter.setFont(font)
    painter.setPen(ink)
    title_w = fm.horizontalAdvance(title) + 10 if title else 0.0
    painter.drawText(QRectF(rect.left(), rect.top(), title_w, 14), int(Qt.AlignmentFlag.AlignVCenter), title)
    bar = QRectF(rect.left() + title_w, rect.top() + 2, max(20.0, rect.width() - title_w - 16), 10)
    lut = lut_rgba(cmap)[None, :, :]
    painter.drawImage(bar, rgba_image(lut))
    painter.setPen(QPen(ink, 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(bar)
    last_right = -1e9
    for pos, text in ticks:
        x = bar.left() + pos * bar.width()
        w = fm.horizontalAdvance(text)
        left = min(max(x - w / 2, bar.left() - 4), bar.right() + 12 - w)
        if left < last_right + 6:
            continue
        painter.drawLine(QPointF(x, bar.bottom()), QPointF(x, bar.bottom() + 3))
        painter.drawText(QPointF(left, bar.bottom() + 4 + fm.ascent()), text)
        last_right = left + w


def wrap_words(text: str, fm: QFontMetricsF, width: float, max_lines: int = 3) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels, at most ``max_lines`` (the last elided): the shared
    :func:`visualizer.ui.plots.annotated_image.wrap_text`."""
    return wrap_text(" ".join(str(text).split()), fm, width, max_lines)


def theme_colors() -> tuple[QColor, QColor, QColor]:
    """(background, text, muted) of the current theme."""
    from visualizer.ui import theme     # ui-internal; as in base.py, kept out of the import of this module

    t = theme.current()
    return QColor(t.background), QColor(t.text), QColor(t.muted)


class Canvas(QWidget):
    """A widget that its view paints (``view.paint_canvas``) and that forwards mouse moves, clicks and leaves."""

    def __init__(self, view: "ScrolledPictureView") -> None:
        super().__init__()
        self.view = view
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:       # the app's text size changed: new fonts and row heights
            self.view.refit()
        super().changeEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        try:
            # an explicit clip to the exposed rectangle: Qt then rasterizes only the visible part of each
            # line (the head view's lines of 128 tokens: ~20 ms instead of ~100 ms a frame)
            painter.setClipRect(event.rect())
            self.view.exposed = QRectF(event.rect())
            self.view.paint_canvas(painter, QSize(self.width(), self.height()))
        finally:
            painter.end()

    def mouseMoveEvent(self, event) -> None:
        self.view.canvas_hover(event.position())

    def leaveEvent(self, event) -> None:
        self.view.canvas_hover(None)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.view.canvas_click(event.position())
        else:
            super().mousePressEvent(event)


class Footer(QWidget):
    """The fixed strip under the scrolled picture: caption and colour bar or legend (``view.paint_footer``)."""

    def __init__(self, view: "ScrolledPictureView") -> None:
        super().__init__()
        self.view = view
        self.fit()

    def fit(self) -> None:
        """Room for two caption lines and a colour bar at the current text size."""
        font = QFont()
        font.setPixelSize(px(11))
        self.setFixedHeight(int(math.ceil(max(58.0, 4 * QFontMetricsF(font).lineSpacing() + 6))))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        try:
            self.view.paint_footer(painter, QSize(self.width(), self.height()))
        finally:
            painter.end()


class ScrolledPictureView(PlotView):
    """A plot painted by its own code on a canvas in a vertical scroll area (long inputs scroll, labels keep a
    readable size), with a fixed footer.  Subclasses implement ``paint_canvas``, ``paint_footer``,
    ``canvas_height`` (the least height the picture needs), ``canvas_hover`` and ``canvas_click``."""

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.canvas = Canvas(self)
        self.scroll = QScrollArea()
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.canvas)
        self.footer = Footer(self)
        self.exposed: QRectF | None = None        # the part of the canvas being painted (None: all of it)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.scroll, 1)
        self._layout.addWidget(self.footer)
        self.setAutoFillBackground(True)

    def _draw(self, data) -> None:
        self._data = data          # the painters read it; set before the size change repaints
        self._prepare(data)
        need = int(math.ceil(self.canvas_height(data)))
        if self.canvas.minimumHeight() != need:
            self.canvas.setMinimumHeight(need)
        self.canvas.update()
        self.footer.update()

    def refit(self) -> None:
        """Size the canvas for the data again (after a change of the text size) and repaint."""
        if self._data is not None:
            self.canvas.setMinimumHeight(int(math.ceil(self.canvas_height(self._data))))
        self.footer.fit()
        self.canvas.update()
        self.footer.update()

    def _prepare(self, data) -> None:
        """Per-data work before painting (subclasses)."""

    def canvas_height(self, data) -> float:
        return 0.0

    def paint_canvas(self, painter: QPainter, size: QSize) -> None:
        raise NotImplementedError

    def paint_footer(self, painter: QPainter, size: QSize) -> None:
        raise NotImplementedError

    def canvas_hover(self, pos: QPointF | None) -> None:
        pass

    def _visible(self, y: float, margin: float) -> bool:
        """Whether a row centred at ``y`` lies in (or within ``margin`` of) the part being painted."""
        return self.exposed is None or self.exposed.top() - margin <= y <= self.exposed.bottom() + margin

    def canvas_click(self, pos: QPointF) -> None:
        pass

    def picture_size(self) -> QSize:
        """The canvas's size (the scrolled picture), for tests."""
        return QSize(self.canvas.width(), self.canvas.height())

    def _paint_caption(self, painter: QPainter, size: QSize, caption: str, top: float, lines: int = 2) -> float:
        """The caption in muted text from ``top``, wrapped; returns the y under it."""
        _bg, _ink, muted = theme_colors()
        font = QFont()
        font.setPixelSize(px(11))
        fm = QFontMetricsF(font)
        painter.setFont(font)
        painter.setPen(muted)
        y = top
        for line in wrap_words(caption, fm, size.width() - 2 * MARGIN, lines):
            painter.drawText(QPointF(MARGIN, y + fm.ascent()), line)
            y += fm.lineSpacing()
        return y


class AttentionView(ScrolledPictureView):
    """An :class:`AttentionData` in its ``mode``: ``"head"`` (query tokens left, key tokens right, a line per
    (query, key) with opacity and width by weight; one head, or every head of the layer in its colour with head
    chips on top), ``"model"`` (every layer x head as a small heat map, rows layers, columns heads, the selected
    one outlined) or ``"neuron"`` (for the selected head and query token: q, every k_j, q∘k_j, the scores
    q·k_j/√d_k and the softmax weights).  A causal mask is greyed (model, neuron) or named in the legend
    (head)."""

    data_type = AttentionData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.hovered: tuple[str, int] | None = None      # ("query" | "key", token index) under the mouse
        self._layer: int | None = None                    # view-local selection after a click, until new data
        self._head: int | None = None
        self._query: int | None = None
        self.line_threshold = MIN_WEIGHT                  # the weight under which lines were left out, last paint
        self.lines_drawn = 0
        self.paths_drawn = 0                              # batched line paths painted last (head view)
        self._mosaic: QImage | None = None
        self._mosaic_key = None
        self._mosaic_cell = (0, 0)

    # ---- selection -------------------------------------------------------------------------------------------
    @property
    def layer(self) -> int:
        return self._layer if self._layer is not None else (self._data.layer if self._data else 0)

    @property
    def head(self) -> int:
        return self._head if self._head is not None else (self._data.head if self._data else 0)

    @property
    def query(self) -> int:
        return self._query if self._query is not None else (self._data.query_index if self._data else 0)

    def _prepare(self, data: AttentionData) -> None:
        self._layer = self._head = self._query = None
        if self.hovered is not None and self.hovered[1] >= (len(data.tokens) if self.hovered[0] == "query"
                                                             else len(data.keys_text)):
            self.hovered = None
        self._mosaic = None

    def canvas_height(self, data: AttentionData) -> float:
        if data.mode == "model":
            return 0.0
        n = max(len(data.tokens), len(data.keys_text)) + (1 if data.mode == "neuron" else 0)
        width = self.scroll.viewport().width()
        return self._header_height(data, width) + n * min_row() + 2 * MARGIN

    def _header_height(self, data: AttentionData | None = None, width: int = 0) -> float:
        """Pixels above the picture: the title line, and in the head view a second line of head chips when
        they do not fit beside the title."""
        if data is not None and data.mode == "head" and self._chips(data, width)[1]:
            return 52.0
        return 30.0

    def _rows(self, size: QSize, n: int, extra: int = 0, center: bool = False) -> Rows:
        """``n`` token rows (after ``extra`` rows) under the header, as high as fit between :func:`min_row` and
        :data:`MAX_ROW`; ``center``: rows that leave room are centred in it."""
        top = self._header_height(self._data, size.width()) + MARGIN
        avail = size.height() - top - MARGIN
        h = min(MAX_ROW * font_scale(), max(min_row(), avail / max(1, n + extra)))
        if center:
            top += max(0.0, (avail - (n + extra) * h) / 2)
        return Rows(top + extra * h, h, n)

    # ---- painting --------------------------------------------------------------------------------------------
    def paint_canvas(self, painter: QPainter, size: QSize) -> None:
        bg, ink, muted = theme_colors()
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), bg)
        data = self._data
        if data is None:
            painter.setPen(muted)
            painter.drawText(QRectF(0, 0, size.width(), size.height()), int(Qt.AlignmentFlag.AlignCenter),
                             "The attention appears after the first probe of the model.")
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        if not len(data.tokens) or not len(data.keys_text):
            painter.setPen(muted)
            painter.drawText(QRectF(0, 0, size.width(), size.height()), int(Qt.AlignmentFlag.AlignCenter),
                             "No tokens to show: the input is empty.")
            return
        if data.mode == "head":
            self._paint_head(painter, size, data, ink, muted)
        elif data.mode == "model":
            self._paint_model(painter, size, data, ink, muted)
        else:
            self._paint_neuron(painter, size, data, ink, muted)

    @staticmethod
    def _title_font() -> QFont:
        font = QFont()
        font.setPixelSize(px(13))
        font.setBold(True)
        return font

    def _title(self, painter: QPainter, text: str, ink: QColor, width: float) -> None:
        """The picture's title line, elided to ``width`` pixels."""
        font = self._title_font()
        fm = QFontMetricsF(font)
        painter.setFont(font)
        painter.setPen(ink)
        painter.drawText(QPointF(MARGIN, MARGIN + fm.ascent()),
                         fm.elidedText(text, Qt.TextElideMode.ElideRight, width - 2 * MARGIN))

    # head view -------------------------------------------------------------------------------------------------
    def _head_geometry(self, size: QSize, data: AttentionData):
        rows = self._rows(size, max(len(data.tokens), len(data.keys_text)), center=True)
        font = token_font(rows.height)
        fm = QFontMetricsF(font)
        widest = max(widest_token(data.tokens, font), widest_token(data.keys_text, font))
        label_w = min(widest + 6, size.width() * 0.3)
        span = max(60.0, min(size.width() - 2 * MARGIN - 2 * label_w, 520.0))
        left = (size.width() - span) / 2          # x where the query lines start
        return rows, font, fm, label_w, left, left + span

    def _head_title(self) -> str:
        return f"Layer {self.layer} · " + ("all heads" if self.head < 0 else f"head {self.head}")

    def _chips(self, data: AttentionData, width: float) -> tuple[list[QRectF], bool]:
        """The head chips' rectangles (beside the title, else on a second line; narrower for many heads) and
        whether they take the second line."""
        n = data.n_heads
        x0 = MARGIN + QFontMetricsF(self._title_font()).horizontalAdvance("Layer 00 · all heads") + 12
        avail = width - x0 - MARGIN
        chip = min(20.0, avail / n - 4)
        second = chip < 13.0
        if second:
            x0, avail = MARGIN, width - 2 * MARGIN
            chip = max(6.0, min(20.0, avail / n - 4))
        y = MARGIN - 1 + (22.0 if second else 0.0)
        return [QRectF(x0 + h * (chip + 4), y, chip, 18.0) for h in range(n)], second

    def _chip_rects(self, data: AttentionData) -> list[QRectF]:
        return self._chips(data, self.canvas.width())[0]

    def _paint_head(self, painter: QPainter, size: QSize, data: AttentionData, ink: QColor, muted: QColor) -> None:
        layer, head = self.layer, self.head
        self._title(painter, self._head_title(), ink, size.width())
        chip_font = QFont()
        chip_font.setPixelSize(px(10))
        painter.setFont(chip_font)
        rects, _second = self._chips(data, size.width())
        for h, rect in enumerate(rects):
            color = QColor(head_color(h))
            on = head < 0 or h == head
            painter.setPen(QPen(color, 1.5))
            painter.setBrush(color if on else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(QColor("#ffffff" if on and is_dark(color) else "#111111") if on else ink)
            if rect.width() >= QFontMetricsF(chip_font).horizontalAdvance(str(h)) + 2:
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), str(h))
        rows, font, fm, label_w, x_left, x_right = self._head_geometry(size, data)
        w = np.asarray(data.weights[layer], dtype=np.float64)          # (H, T, S)
        heads = list(range(data.n_heads)) if head < 0 else [head]
        ws = w[heads]
        if self.hovered is not None:
            side, k = self.hovered
            keep = np.zeros_like(ws, dtype=bool)
            if side == "query":
                keep[:, k, :] = True
            else:
                keep[:, :, k] = True
            ws = np.where(keep, ws, 0.0)
        idx, threshold = strongest_lines(ws)
        self.line_threshold, self.lines_drawn, self.paths_drawn = threshold, len(idx), 0
        vals = ws[idx[:, 0], idx[:, 1], idx[:, 2]] if len(idx) else np.zeros(0)
        bins = np.searchsorted(np.asarray(WEIGHT_BINS), vals, side="right") - 1
        bins = np.clip(bins, 0, len(WEIGHT_BINS) - 1)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        thick_ok = int((bins >= 3).sum()) <= THICK_MAX
        # heads side by side within a row (up to 2 px apart), so that their colours do not blend into one line
        spread = min(2.0, 0.8 * rows.height / max(len(heads), 1))
        offsets = [(k - (len(heads) - 1) / 2) * spread for k in range(len(heads))]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(idx) <= SMOOTH_LINES)
        for k, h in enumerate(heads):
            base = QColor(head_color(h))
            mine = idx[:, 0] == k
            for b in range(len(WEIGHT_BINS)):
                sel = mine & (bins == b)
                if not sel.any():
                    continue
                qi, kj = idx[sel, 1], idx[sel, 2]
                ya, yb = rows.center(qi) + offsets[k], rows.center(kj) + offsets[k]
                if self.exposed is not None:            # lines wholly above or below the visible part
                    seen = ((np.minimum(ya, yb) <= self.exposed.bottom() + 2)
                            & (np.maximum(ya, yb) >= self.exposed.top() - 2))
                    ya, yb = ya[seen], yb[seen]
                y0, y1 = ya.tolist(), yb.tolist()
                color = QColor(base)
                color.setAlphaF(BIN_ALPHA[b])
                pen = QPen(color, BIN_WIDTH[b] if thick_ok else 1.0)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                painter.setPen(pen)
                # one drawLines call per batch: Qt strokes each line on its own, where one QPainterPath of
                # thousands of crossing subpaths is stroked as a whole (128 tokens x 16 heads: 5.8 s a frame)
                painter.drawLines([QLineF(x_left, a, x_right, c) for a, c in zip(y0, y1)])
                self.paths_drawn += 1
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # token columns
        painter.setFont(font)
        hovered = self.hovered
        for side, tokens, x in (("query", data.tokens, x_left), ("key", data.keys_text, x_right)):
            for i, tok in enumerate(tokens):
                y = rows.center(i)
                if not self._visible(y, rows.height):
                    continue
                text = fm.elidedText(shown_token(tok), Qt.TextElideMode.ElideRight, label_w - 6)
                tw = fm.horizontalAdvance(text)
                tx = x - 6 - tw if side == "query" else x + 6
                if hovered == (side, i):
                    painter.fillRect(QRectF(tx - 3, y - rows.height / 2, tw + 6, rows.height),
                                     QColor(SELECTED).lighter(170))
                painter.setPen(QColor(MARKED_INK) if hovered == (side, i) else ink)
                painter.drawText(QPointF(tx, y - fm.height() / 2 + fm.ascent()), text)

    def _head_hit(self, pos: QPointF) -> tuple[str, int] | None:
        data = self._data
        size = QSize(self.canvas.width(), self.canvas.height())
        rows, _font, _fm, label_w, x_left, x_right = self._head_geometry(size, data)
        i = rows.at(pos.y())
        if i < 0:
            return None
        if x_left - label_w - 6 <= pos.x() <= x_left + 4 and i < len(data.tokens):
            return ("query", i)
        if x_right - 4 <= pos.x() <= x_right + label_w + 6 and i < len(data.keys_text):
            return ("key", i)
        return None

    # model view ------------------------------------------------------------------------------------------------
    def _model_geometry(self, size: QSize, data: AttentionData) -> tuple[float, float, float]:
        """(x of the first column, y of the first row, cell size) of the model view's grid."""
        font = QFont()
        font.setPixelSize(px(11))
        fm = QFontMetricsF(font)
        left, top = MARGIN + fm.horizontalAdvance("layer 00") + 8, self._header_height(data) + fm.height() + 4
        L, H = data.n_layers, data.n_heads
        cell_w = (size.width() - left - MARGIN) / H - GAP
        cell_h = (size.height() - top - MARGIN) / L - GAP
        cell = max(6.0, min(cell_w, cell_h))
        grid_w = H * (cell + GAP) - GAP
        left = max(left, left + (size.width() - left - MARGIN - grid_w) / 2)
        return left, top, cell

    def _mosaic_image(self, data: AttentionData, cell: float) -> tuple[QImage, int, int]:
        """The colours of every layer x head as one image (rows layer-major, columns head-major) and the size
        (t, s) of one head in it: the weights averaged over blocks of queries and keys when a cell has fewer
        pixels than tokens (a 12 x 12 model of 128 tokens colours 16x fewer cells)."""
        w = np.asarray(data.weights)                                      # (L, H, T, S)
        L, H, T, S = w.shape
        f = max(1, int(min(T, S) // max(cell, 1.0)))                       # tokens per pixel
        key = (id(data), f)
        if self._mosaic is None or self._mosaic_key != key:
            mask = causal_cells(T, S) if data.causal else None
            if f > 1:
                w, mask = pool_weights(w, f, mask)
            t, s = w.shape[2:]
            rgba = weight_colors(w, mask)                                 # (L, H, t, s, 4)
            rgba = rgba.transpose(0, 2, 1, 3, 4).reshape(L * t, H * s, 4)
            self._mosaic, self._mosaic_key, self._mosaic_cell = rgba_image(rgba), key, (t, s)
        return self._mosaic, *self._mosaic_cell

    def _paint_model(self, painter: QPainter, size: QSize, data: AttentionData, ink: QColor, muted: QColor) -> None:
        L, H = data.n_layers, data.n_heads
        T, S = len(data.tokens), len(data.keys_text)
        self._title(painter, f"{L} layers × {H} heads", ink, size.width())
        left, top, cell = self._model_geometry(size, data)
        image, T, S = self._mosaic_image(data, cell)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, cell < max(T, S))
        label_font = QFont()
        label_font.setPixelSize(px(11))
        fm = QFontMetricsF(label_font)
        painter.setFont(label_font)
        painter.setPen(ink)
        step = max(1, math.ceil((fm.horizontalAdvance("head 00") + 4) / (cell + GAP)))
        for h in range(0, H, step):
            x = left + h * (cell + GAP)
            painter.drawText(QRectF(x - 10, top - fm.height() - 3, cell + 20, fm.height()), int(Qt.AlignmentFlag.AlignCenter),
                             f"head {h}" if cell > fm.horizontalAdvance("head 00") else str(h))
        rstep = max(1, math.ceil(fm.height() / (cell + GAP)))
        for l in range(L):
            y = top + l * (cell + GAP)
            if l % rstep == 0:
                painter.drawText(QRectF(MARGIN, y, left - MARGIN - 6, cell),
                                 int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"layer {l}")
            for h in range(H):
                x = left + h * (cell + GAP)
                painter.drawImage(QRectF(x, y, cell, cell), image, QRectF(h * S, l * T, S, T))
        sel_l, sel_h = self.layer, self.head
        if sel_h >= 0:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(SELECTED), 2.5))
            painter.drawRect(QRectF(left + sel_h * (cell + GAP) - 2, top + sel_l * (cell + GAP) - 2,
                                    cell + 4, cell + 4))

    def _model_hit(self, pos: QPointF) -> tuple[int, int] | None:
        data = self._data
        left, top, cell = self._model_geometry(QSize(self.canvas.width(), self.canvas.height()), data)
        h = int(math.floor((pos.x() - left) / (cell + GAP)))
        l = int(math.floor((pos.y() - top) / (cell + GAP)))
        if not (0 <= l < data.n_layers and 0 <= h < data.n_heads):
            return None
        if pos.x() - left - h * (cell + GAP) > cell or pos.y() - top - l * (cell + GAP) > cell:
            return None                                                   # in a gap
        return l, h

    # neuron view -----------------------------------------------------------------------------------------------
    def neuron_values(self, data: AttentionData | None = None) -> dict[str, np.ndarray]:
        """What the neuron view shows for the selected query i: ``q`` (d_k,), ``k`` (S, d_k), ``qk`` (S, d_k)
        the elementwise q∘k_j, ``scores`` (S,) q·k_j/√d_k, ``weights`` (S,) the softmax weights of the data,
        ``masked`` (S,) bool (a causal mask's keys after i)."""
        data = data or self._data
        i = min(self.query, len(data.tokens) - 1)
        q = np.asarray(data.queries, dtype=np.float64)[i]
        k = np.asarray(data.keys, dtype=np.float64)
        d_k = k.shape[1]
        qk = q[None, :] * k
        scores = qk.sum(axis=1) / math.sqrt(d_k)
        head = max(self.head, 0)
        weights = np.asarray(data.weights, dtype=np.float64)[self.layer, head, i]
        masked = causal_cells(len(data.tokens), len(data.keys_text))[i] if data.causal else np.zeros(len(k), bool)
        return {"q": q, "k": k, "qk": qk, "scores": scores, "weights": weights, "masked": masked}

    @staticmethod
    def _number_font(row_height: float) -> QFont:
        font = QFont()
        font.setPixelSize(int(max(8, min(px(11), row_height * 0.7))))
        return font

    def _neuron_geometry(self, size: QSize, data: AttentionData):
        rows = self._rows(size, len(data.keys_text), extra=1)
        font = token_font(rows.height)
        fm = QFontMetricsF(font)
        qw = min(widest_token(data.tokens, font) + 10, size.width() * 0.18)
        kw = min(widest_token(data.keys_text, font) + 10, size.width() * 0.18)
        d_k = np.shape(data.keys)[1]
        x_q = MARGIN                                   # query column
        x_k = x_q + qw + 14                            # key labels
        x_vec = x_k + kw + 4                           # k block, then q∘k block
        num_w = QFontMetricsF(self._number_font(rows.height)).horizontalAdvance("0.00") + 4
        score_w, weight_w = num_w + 14, num_w + 52           # a score cell; a weight bar and its number
        room = size.width() - x_vec - MARGIN - score_w - weight_w - 3 * 10
        if room < 2 * d_k * 1.5:                             # narrow: the weight bars give way first
            weight_w = max(num_w + 12, weight_w - (2 * d_k * 1.5 - room))
            room = size.width() - x_vec - MARGIN - score_w - weight_w - 3 * 10
        cw = max(0.5, min(14.0, room / (2 * d_k)))           # under a pixel a cell is averaged with its neighbours
        return rows, font, fm, qw, kw, x_q, x_k, x_vec, cw, score_w, weight_w

    def _paint_neuron(self, painter: QPainter, size: QSize, data: AttentionData, ink: QColor,
                      muted: QColor) -> None:
        head = max(self.head, 0)
        v = self.neuron_values(data)
        i = min(self.query, len(data.tokens) - 1)
        d_k = v["k"].shape[1]
        self._title(painter, f"Layer {self.layer} · head {head} · query {i} “{shown_token(data.tokens[i])}”", ink,
                    size.width())
        rows, font, fm, qw, kw, x_q, x_k, x_vec, cw, score_w, weight_w = self._neuron_geometry(size, data)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, cw < 1.0)
        h = rows.height
        # query column (clickable)
        painter.setFont(font)
        qrows = Rows(rows.top, h, len(data.tokens))
        for j, tok in enumerate(data.tokens):
            y = qrows.center(j)
            if not self._visible(y, h):
                continue
            text = fm.elidedText(shown_token(tok), Qt.TextElideMode.ElideRight, qw - 8)
            if j == i:
                painter.fillRect(QRectF(x_q, y - h / 2, qw, h), QColor(SELECTED).lighter(170))
            painter.setPen(QColor(MARKED_INK) if j == i else ink)
            painter.drawText(QPointF(x_q + qw - 4 - fm.horizontalAdvance(text), y - fm.height() / 2 + fm.ascent()),
                             text)
        # headers (the row above the keys)
        small = QFont()
        small.setPixelSize(px(10))
        painter.setFont(small)
        painter.setPen(muted)
        sk = robust_scale(np.concatenate([v["q"], v["k"].ravel()]))
        sqk = robust_scale(v["qk"][~v["masked"]] if (~v["masked"]).any() else v["qk"])
        ss = robust_scale(v["scores"][~v["masked"]] if (~v["masked"]).any() else v["scores"])
        block = d_k * cw
        x_qk = x_vec + block + 10
        x_s = x_qk + block + 10
        x_w = x_s + score_w + 10
        head_y = rows.top - h - 14
        sfm = QFontMetricsF(small)
        for x, wdt, long, short in ((x_vec, block + 8, f"q, k  (±{sk:.2g})", "q, k"),
                                    (x_qk, block + 8, f"q∘k  (±{sqk:.2g})", "q∘k"),
                                    (x_s, score_w + 8, "q·k/√d", "q·k/√d"), (x_w, weight_w, "softmax", "softmax")):
            text = long if sfm.horizontalAdvance(long) <= wdt else short
            painter.drawText(QRectF(x, head_y, wdt, 13), int(Qt.AlignmentFlag.AlignLeft),
                             sfm.elidedText(text, Qt.TextElideMode.ElideRight, wdt))
        # q row (above the keys, over the k block)
        painter.setFont(font)
        painter.setPen(ink)
        qy = rows.top - h
        painter.drawText(QPointF(x_vec - 4 - fm.horizontalAdvance("q"), qy + h / 2 - fm.height() / 2 + fm.ascent()),
                         "q")
        painter.drawImage(QRectF(x_vec, qy + 1, block, h - 2), rgba_image(diverging_colors(v["q"][None, :], sk)))
        # key rows: k, q∘k as two images; scores and weights per row
        S = v["k"].shape[0]
        painter.drawImage(QRectF(x_vec, rows.top, block, S * h), rgba_image(diverging_colors(v["k"], sk)))
        qk_rgba = diverging_colors(v["qk"], sqk)
        qk_rgba[v["masked"]] = MASKED_RGBA
        painter.drawImage(QRectF(x_qk, rows.top, block, S * h), rgba_image(qk_rgba))
        s_rgba = diverging_colors(v["scores"], ss)
        weights = np.nan_to_num(v["weights"], nan=0.0, posinf=1.0, neginf=0.0)
        num_font = self._number_font(h)
        nfm = QFontMetricsF(num_font)
        for j, tok in enumerate(data.keys_text):
            y = rows.center(j)
            if not self._visible(y, h):
                continue
            painter.setFont(font)
            painter.setPen(muted if v["masked"][j] else ink)
            text = fm.elidedText(shown_token(tok), Qt.TextElideMode.ElideRight, kw - 8)
            painter.drawText(QPointF(x_k + kw - 4 - fm.horizontalAdvance(text), y - fm.height() / 2 + fm.ascent()),
                             text)
            cell = QRectF(x_s, y - h / 2 + 1, score_w, h - 2)
            painter.setFont(num_font)
            if v["masked"][j]:
                painter.fillRect(cell, QColor(*MASKED_RGBA))
                painter.setPen(QColor("#444444"))
                painter.drawText(cell, int(Qt.AlignmentFlag.AlignCenter), "masked")
                continue
            color = QColor(*[int(c) for c in s_rgba[j]])
            painter.fillRect(cell, color)
            if h >= 10:
                painter.setPen(QColor("#ffffff" if is_dark(color) else "#111111"))
                score = v["scores"][j]
                painter.drawText(cell, int(Qt.AlignmentFlag.AlignCenter),
                                 f"{score:.2f}" if np.isfinite(score) else "–")
            wj = float(np.clip(weights[j], 0.0, 1.0))
            bar_w = weight_w - nfm.horizontalAdvance("0.00") - 6
            bar = QRectF(x_w, y - h / 2 + 2, max(0.5, bar_w * wj), h - 4)
            painter.fillRect(bar, QColor(head_color(head)))
            painter.setPen(ink)
            painter.drawText(QRectF(x_w + bar_w, y - h / 2, weight_w - bar_w, h),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"{wj:.2f}")

    def _neuron_hit(self, pos: QPointF) -> int | None:
        data = self._data
        size = QSize(self.canvas.width(), self.canvas.height())
        rows, _f, _fm, qw, *_ = self._neuron_geometry(size, data)
        i = Rows(rows.top, rows.height, len(data.tokens)).at(pos.y())
        return i if i >= 0 and MARGIN <= pos.x() <= MARGIN + qw else None

    # footer ----------------------------------------------------------------------------------------------------
    def paint_footer(self, painter: QPainter, size: QSize) -> None:
        bg, ink, muted = theme_colors()
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), bg)
        data = self._data
        if data is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        causal = " · causal mask: a token sees only itself and earlier tokens" if data.causal else ""
        if data.mode == "head":
            note = (f"line width and opacity = weight (< {self.line_threshold:.2g} hidden){causal} · hover a token"
                    " for its lines only")
            y = self._paint_caption(painter, size, " · ".join(t for t in (data.caption, note) if t), 4, lines=4)
            return
        if data.mode == "model":
            note = "click a head to select it" + (" · masked cells grey" + causal if data.causal else "")
            y = self._paint_caption(painter, size, " · ".join(t for t in (data.caption, note) if t), 2, lines=2)
            ticks = [(math.sqrt(t), f"{t:g}") for t in (0.0, 0.01, 0.05, 0.25, 0.5, 1.0)]
            paint_colorbar(painter, QRectF(MARGIN, max(y + 2, size.height() - 30), min(size.width() - 2 * MARGIN,
                           520), 28), WEIGHT_MAP, ticks, "weight (colour ∝ √weight)", ink)
            return
        d_k = np.shape(data.keys)[1]
        note = (f"rows: key tokens · d_k = {d_k} · colours relative to each block's largest |value|{causal}"
                " · click a query token (left) to follow it")
        y = self._paint_caption(painter, size, " · ".join(t for t in (data.caption, note) if t), 2, lines=2)
        ticks = [(0.0, "−max"), (0.5, "0"), (1.0, "+max")]
        paint_colorbar(painter, QRectF(MARGIN, max(y + 2, size.height() - 30), min(size.width() - 2 * MARGIN, 420),
                                       28), DIVERGING_MAP, ticks, "value", ink)

    # ---- export ----------------------------------------------------------------------------------------------
    def context_menu(self):
        """The plot's menu plus "Export CSV per layer and head…" (one weight matrix per file)."""
        menu = super().context_menu()
        menu.addSeparator()
        action = menu.addAction("Export CSV per layer and head…", self.export_head_csvs_interactively)
        action.setEnabled(self._data is not None)
        return menu

    def export_head_csvs(self, folder) -> list:
        """Write ``<plot id>_layer<l>_head<h>.csv`` (:func:`visualizer.probes.attention.write_head_csvs`: rows
        query tokens, columns key tokens) into ``folder``; returns the paths.  Raises ExportError without data or
        when a file cannot be written."""
        from visualizer.core.export import ExportError
        from visualizer.probes.attention import write_head_csvs

        if self._data is None:
            raise ExportError(f"The plot '{self.spec.title}' has no data yet: train a few steps first.")
        try:
            return write_head_csvs(self._data, folder, stem=self.spec.id)
        except ExportError:
            raise
        except OSError as e:                       # the folder could not be made
            raise ExportError(f"Could not write the CSV files into {folder}: {e.strerror or e}") from e

    def export_head_csvs_interactively(self) -> list | None:
        """Ask for a folder, export one CSV per layer and head, report through ``message``."""
        from PySide6.QtWidgets import QFileDialog

        from visualizer.core.export import ExportError

        folder = QFileDialog.getExistingDirectory(self, f"Export '{self.spec.title}' per layer and head",
                                                  self.last_export_dir())
        if not folder:
            return None
        try:
            paths = self.export_head_csvs(folder)
        except ExportError as e:
            self.message.emit("error", str(e.strerror or e))
            return None
        self.message.emit("info", f"Saved {len(paths)} CSV files in {folder}")
        return paths

    # ---- interaction -----------------------------------------------------------------------------------------
    def canvas_hover(self, pos: QPointF | None) -> None:
        data = self._data
        if data is None:
            return
        if data.mode == "head":
            self.hover_token(*(self._head_hit(pos) or (None, -1)) if pos is not None else (None, -1))
        elif data.mode == "model" and pos is not None:
            hit = self._model_hit(pos)
            self.canvas.setToolTip(f"layer {hit[0]}, head {hit[1]}: click to select it" if hit else "")

    def canvas_click(self, pos: QPointF) -> None:
        data = self._data
        if data is None:
            return
        if data.mode == "model":
            hit = self._model_hit(pos)
            if hit is not None:
                self.click_cell(*hit)
        elif data.mode == "head":
            for h, rect in enumerate(self._chip_rects(data)):
                if rect.contains(pos):
                    self.click_chip(h)
                    return
            hit = self._head_hit(pos)
            if hit is not None and hit[0] == "query":
                self.click_query(hit[1])
        else:
            i = self._neuron_hit(pos)
            if i is not None:
                self.click_query(i)

    def hover_token(self, side: str | None, i: int = -1) -> None:
        """Show only the lines of query (``side="query"``) or key (``"key"``) token ``i``; ``side=None`` or
        ``i < 0`` shows all lines again.  View-local: emits nothing."""
        hovered = (side, int(i)) if side in ("query", "key") and i >= 0 else None
        if hovered != self.hovered:
            self.hovered = hovered
            self.canvas.update()
            self.footer.update()

    def click_cell(self, layer: int, head: int) -> str:
        """Select ``head`` of ``layer`` (a model-view cell): emits ``paramRequested("attention_head", "l,h")``;
        returns the value.  Raises ValueError outside the data's layers and heads."""
        data = self._data
        if data is not None and not (0 <= layer < data.n_layers and 0 <= head < data.n_heads):
            raise ValueError(f"layer {layer}, head {head} is outside the {data.n_layers} x {data.n_heads} heads")
        self._layer, self._head = int(layer), int(head)
        value = f"{int(layer)},{int(head)}"
        self.canvas.update()
        self.paramRequested.emit("attention_head", value)
        return value

    def click_chip(self, head: int) -> str:
        """A head chip of the head view: selects ``head`` of the shown layer (emits ``attention_head``)."""
        return self.click_cell(self.layer, head)

    def click_query(self, i: int) -> str:
        """Select query token ``i``: emits ``paramRequested("attention_query", "i")``; returns the value.
        Raises ValueError outside the tokens."""
        data = self._data
        if data is not None and not 0 <= i < len(data.tokens):
            raise ValueError(f"query {i} is outside the {len(data.tokens)} tokens")
        self._query = int(i)
        self.canvas.update()
        self.paramRequested.emit("attention_query", str(int(i)))
        return str(int(i))


class HighlightedTextView(ScrolledPictureView):
    """A :class:`HighlightedTextData`: each sentence's label line (a wrong prediction marked ✗), then its words
    on backgrounds from white to orange by score, wrapped to the width; the colour bar in the footer."""

    data_type = HighlightedTextData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._layout_width = -1
        self._height = 0.0

    def _fonts(self) -> tuple[QFont, QFont]:
        word, label = QFont(), QFont()
        word.setPixelSize(px(14))
        label.setPixelSize(px(11))
        return word, label

    def _layout_words(self, width: float, data: HighlightedTextData):
        """[(kind, rect, text, score)] with kind "label" or "word", and the total height."""
        word_font, label_font = self._fonts()
        fm, lfm = QFontMetricsF(word_font), QFontMetricsF(label_font)
        items = []
        y = MARGIN
        line_h = fm.height() + 8
        for k, (words, scores) in enumerate(zip(data.sentences, data.scores)):
            if len(data.labels):
                mark = ""
                if len(data.correct):
                    mark = "✓ " if data.correct[k] else "✗ "
                items.append(("label", QRectF(MARGIN, y, width - 2 * MARGIN, lfm.height()),
                              mark + str(data.labels[k]), float(bool(data.correct[k])) if len(data.correct) else 1.0))
                y += lfm.height() + 3
            x = MARGIN
            for word, score in zip(words, np.asarray(scores, dtype=np.float64)):
                text = shown_token(word, 40)
                w = fm.horizontalAdvance(text) + 8
                if x + w > width - MARGIN and x > MARGIN:
                    x, y = MARGIN, y + line_h
                items.append(("word", QRectF(x, y, min(w, width - 2 * MARGIN), line_h - 3), text, float(score)))
                x += w + 3
            y += line_h + 8
        return items, y

    def canvas_height(self, data: HighlightedTextData) -> float:
        width = max(200, self.scroll.viewport().width())
        return self._layout_words(width, data)[1]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._data is not None:
            self.canvas.setMinimumHeight(int(self.canvas_height(self._data)))

    def paint_canvas(self, painter: QPainter, size: QSize) -> None:
        bg, ink, muted = theme_colors()
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), bg)
        if self._data is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        word_font, label_font = self._fonts()
        lut = lut_rgba(HIGHLIGHT_MAP)
        for kind, rect, text, score in self._layout_words(size.width(), self._data)[0]:
            if kind == "label":
                painter.setFont(label_font)
                painter.setPen(QColor("#b3261e") if score < 0.5 else muted)
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
                continue
            if np.isfinite(score):
                color = QColor(*[int(c) for c in lut[int(round(np.clip(score, 0, 1) * 255))]])
            else:
                color = QColor(*MASKED_RGBA)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setFont(word_font)
            painter.setPen(QColor("#ffffff" if is_dark(color) else "#111111"))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)

    def canvas_hover(self, pos: QPointF | None) -> None:
        self.canvas.setToolTip(self.word_at(pos) if pos is not None else "")

    def word_at(self, pos: QPointF) -> str:
        """"word: score" of the word under ``pos`` (canvas pixels), or ""."""
        if self._data is None:
            return ""
        for kind, rect, text, score in self._layout_words(self.canvas.width(), self._data)[0]:
            if kind == "word" and rect.contains(pos):
                return f"{text}: {score:.2f}" if np.isfinite(score) else f"{text}: not scored"
        return ""

    def paint_footer(self, painter: QPainter, size: QSize) -> None:
        bg, ink, _muted = theme_colors()
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), bg)
        if self._data is None:
            return
        y = self._paint_caption(painter, size, self._data.caption, 2, lines=2)
        paint_colorbar(painter, QRectF(MARGIN, max(y + 2, size.height() - 30), min(size.width() - 2 * MARGIN, 420),
                                       28), HIGHLIGHT_MAP, [(t, f"{t:g}") for t in (0.0, 0.25, 0.5, 0.75, 1.0)],
                       self._data.score_label, ink)
