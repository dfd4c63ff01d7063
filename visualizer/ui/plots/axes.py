"""Axis and title items that every plot view gets through :meth:`PlotView._quiet_plot_item`.

pyqtgraph draws axis labels and plot titles as rich text (HTML), lays every explicit tick label out even where
they collide, and in log mode labels all of 1..9 × 10ⁿ.  These items fix that once for every view:

* :class:`FittedAxisItem` escapes its label (``"share with |w| < 0.001"`` keeps its ``< 0.001``), elides it to
  the axis' length with the whole text in a tooltip, draws only tick labels that do not overlap (categories are
  thinned evenly, on two staggered rows where that shows more; numbers keep the coarsest level first), and in log mode puts ticks at decades and, where there
  is room, at 2 and 5 times a decade, labelled as plain numbers (``0.01``, ``200``) or powers (``10⁻⁵``);
* :class:`FittedLabelItem` replaces a plot's title: escaped, one line per ``\\n``, each elided to the plot's
  width (never cut mid-word by the widget's edge), the whole text in a tooltip.

:func:`install_fitted_items` puts both into a ``PlotItem``.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF

from visualizer.ui.plots.labels import escape_label, stagger_boxes, thin_boxes

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
PLAIN_DECADES = range(-3, 5)       # 10^k written as a plain number (0.001 … 10000) for k in this range
MIN_LOG_TICKS = 2                  # below this many 1-2-5 ticks in view, a log axis uses linear-spaced ticks
TWO_FIVE_PX = 70                   # pixels per decade from which 2·10ⁿ and 5·10ⁿ get ticks
MAX_CATEGORY_ROWS = 2              # category labels along a horizontal axis take up to this many rows


def elide(text: str, font: QFont, width: float) -> str:
    """``text`` shortened with "…" to fit ``width`` pixels in ``font`` (whole if it fits); line by line."""
    metrics = QFontMetricsF(font)
    return "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, max(width, 0.0))
                     for line in text.split("\n"))


def format_log_value(value: float) -> str:
    """A tick label of a log axis: 1-2-5 multiples of a decade as plain numbers between 0.001 and 50000
    (``0.02``, ``500``), else as ``2·10⁻⁵`` / ``10⁶``; other values with three significant digits."""
    if not math.isfinite(value) or value <= 0:
        return ""
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = value / 10.0 ** exponent
    m = round(mantissa)
    if abs(mantissa - m) > 1e-6 * mantissa or m not in (1, 2, 5):
        return f"{value:.3g}"
    if exponent in PLAIN_DECADES:
        return f"{value:.{max(0, -exponent)}f}"
    power = f"10{str(exponent).translate(SUPERSCRIPT)}"
    return power if m == 1 else f"{m}·{power}"


def log_ticks(lo: float, hi: float, length_px: float) -> list[tuple[float | None, list[float]]]:
    """Tick levels for a log axis showing log10 values ``lo`` … ``hi`` on ``length_px`` pixels.

    Level 0: decades (every k-th one when decades are closer than about 24 px); level 1: 2 and 5 times a
    decade when a decade spans at least :data:`TWO_FIVE_PX` pixels.  When fewer than :data:`MIN_LOG_TICKS`
    of those fall in view (a range narrower than a decade), evenly spaced values (300, 350, 400) at their
    log positions.  Returns pyqtgraph's ``[(spacing, [log10 values]), ...]``."""
    lo, hi = sorted((float(lo), float(hi)))
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo < 1e-12 or length_px <= 0:
        return []
    per_decade = length_px / (hi - lo)
    step = max(1, math.ceil(24.0 / per_decade))
    first = math.ceil(lo - 1e-9)
    decades = [float(d) for d in range(first, math.floor(hi + 1e-9) + 1) if d % step == 0]
    two_five: list[float] = []
    if per_decade >= TWO_FIVE_PX:
        for d in range(math.floor(lo), math.ceil(hi) + 1):
            two_five += [v for v in (d + math.log10(2.0), d + math.log10(5.0)) if lo <= v <= hi]
    if len(decades) + len(two_five) >= MIN_LOG_TICKS:
        return [(float(step), decades), (None, two_five)]
    # narrower than a decade: "nice" linear steps between the two values, placed at their logarithms
    a, b = 10.0 ** lo, 10.0 ** hi
    raw = (b - a) / max(2.0, length_px / 60.0)
    unit = 10.0 ** math.floor(math.log10(raw))
    spacing = next(m * unit for m in (1, 2, 2.5, 5, 10) if m * unit >= raw)
    values = np.arange(math.ceil(a / spacing) * spacing, b + spacing * 1e-6, spacing)
    return [(None, [math.log10(v) for v in values if v > 0])]


class FittedAxisItem(pg.AxisItem):
    """An axis whose label is plain text (escaped), elided to fit with the whole label as tooltip, whose tick
    labels never overlap, and whose log mode ticks at decades (and 2, 5 where there is room).

    ``drawn_labels``: [(QRectF in the axis' coordinates, text)] of the tick labels drawn last (for tests)."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.drawn_labels: list[tuple[QRectF, str]] = []
        self.full_label = ""
        self._fitted_length = -1.0
        self._text_rows = 1                # rows of tick labels (categories may take two)

    # ---- label ------------------------------------------------------------------------------------
    def _label_length(self) -> float:
        size = self.size()
        return float(size.height() if self.orientation in ("left", "right") else size.width()) - 8.0

    def labelString(self) -> str:
        """The label as HTML: the text (and units) escaped, elided to the axis' length."""
        units = f" ({self.labelUnitPrefix}{self.labelUnits})" if self.labelUnits else ""
        self.full_label = f"{self.labelText}{units}".strip()
        length = self._label_length()
        self._fitted_length = length
        shown = elide(self.full_label, self.label.font(), length) if length > 20 else self.full_label
        self.label.setToolTip(self.full_label if shown != self.full_label else "")
        style = ";".join(f"{k}: {v}" for k, v in self.labelStyle.items())
        return f"<span style='{style}'>{escape_label(shown)}</span>"

    def shown_label(self) -> str:
        """The label text as drawn (plain, possibly elided)."""
        return self.label.toPlainText()

    def resizeEvent(self, ev=None) -> None:     # noqa: N802 (Qt's name)
        if self.label is not None and self.labelText and abs(self._label_length() - self._fitted_length) > 0.5:
            self.label.setHtml(self.labelString())
        super().resizeEvent(ev)

    # ---- ticks ------------------------------------------------------------------------------------
    def logTickValues(self, minVal, maxVal, size, stdTicks):    # noqa: N802, N803 (pyqtgraph's names)
        return log_ticks(minVal, maxVal, size)

    def logTickStrings(self, values, scale, spacing):            # noqa: N802 (pyqtgraph's name)
        return [format_log_value(10.0 ** v * scale) for v in values]

    def generateDrawSpecs(self, p):                              # noqa: N802 (pyqtgraph's name)
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        boxes = [(r.x(), r.y(), r.width(), r.height()) for r, _, _ in text_specs]
        rows: dict[int, int] = {}
        if self._tickLevels is not None and self.orientation in ("bottom", "top"):
            keep, rows = stagger_boxes(boxes, max_rows=MAX_CATEGORY_ROWS)       # categories: 1 or 2 rows
        else:
            keep = thin_boxes(boxes, evenly=self._tickLevels is not None)
        n_rows = max(rows.values(), default=0) + 1
        sign = 1 if self.orientation == "bottom" else -1
        text_specs = [(QRectF(r).translated(0, sign * rows.get(i, 0) * r.height()), flags, text)
                      for i, (r, flags, text) in enumerate(text_specs) if i in set(keep)]
        if n_rows != self._text_rows:
            self._text_rows = n_rows
            height = max((r.height() for r, _, _ in text_specs), default=0.0)
            super()._updateMaxTextSize(height * n_rows)
        self.drawn_labels = [(QRectF(r), s) for r, _, s in text_specs]
        return axis_spec, tick_specs, text_specs

    def _updateMaxTextSize(self, x) -> None:                     # noqa: N802 (pyqtgraph's name)
        super()._updateMaxTextSize(x * self._text_rows)          # room for every row of category labels


class FittedLabelItem(pg.LabelItem):
    """A plot title: ``setText`` takes plain text (escaped here), one line per ``\\n``; each line is elided to
    the item's width and the whole text becomes the tooltip.  Unlike pyqtgraph's LabelItem its minimum width
    is small, so a long title never widens (and so clips) its plot."""

    def __init__(self, text: str = " ", parent=None, **kwargs) -> None:
        self.full_text = ""
        self._fitting = False
        super().__init__(text, parent=parent, **kwargs)

    def setText(self, text, **args) -> None:                     # noqa: N802 (pyqtgraph's name)
        self.full_text = str(text)
        self._fit(**args)

    def shown_text(self) -> str:
        """The title as drawn (plain text, lines elided)."""
        return self.item.toPlainText()

    def _fit(self, **args) -> None:
        if self._fitting:
            return
        self._fitting = True
        try:
            font = QFont(self.item.font())
            size = args.get("size", self.opts.get("size"))
            if isinstance(size, str) and size.endswith("pt"):
                font.setPointSizeF(float(size[:-2]))
            if args.get("bold", self.opts.get("bold")):
                font.setBold(True)
            width = self.size().width() - 8.0
            shown = elide(self.full_text, font, width) if width > 40 else self.full_text
            self.setToolTip(self.full_text if shown != self.full_text else "")
            html = "<br>".join(escape_label(line) for line in shown.split("\n"))
            super().setText(html, **args)
            lines = self.full_text.count("\n") + 1
            if lines > 1 and isinstance(self.parentItem(), pg.PlotItem) and self.isVisible():
                height = QFontMetricsF(font).lineSpacing() * lines + 8
                self.setMaximumHeight(height)
                self.parentItem().layout.setRowFixedHeight(0, height)
        finally:
            self._fitting = False

    def updateMin(self) -> None:                                 # noqa: N802 (pyqtgraph's name)
        bounds = self.itemRect()
        self.setMinimumWidth(min(bounds.width(), 60.0))
        self.setMinimumHeight(bounds.height())
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (min(bounds.width(), 60.0), bounds.height()),
            Qt.SizeHint.PreferredSize: (bounds.width(), bounds.height()),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()

    def resizeEvent(self, ev) -> None:                           # noqa: N802 (Qt's name)
        if not self._fitting and self.full_text:
            self._fit()
        super().resizeEvent(ev)


def install_fitted_items(plot_item: pg.PlotItem) -> None:
    """Give ``plot_item`` :class:`FittedAxisItem` axes (all four sides) and a :class:`FittedLabelItem` title.
    Call before setting labels, ticks or log mode (the old items' settings are not copied)."""
    plot_item.setAxisItems({name: FittedAxisItem(name) for name in ("left", "bottom", "right", "top")})
    for name in ("right", "top"):
        plot_item.hideAxis(name)
    old = plot_item.titleLabel
    if isinstance(old, FittedLabelItem):
        return
    title = FittedLabelItem("", size="11pt", parent=plot_item)
    plot_item.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    plot_item.titleLabel = title
    plot_item.layout.addItem(title, 0, 1)
    plot_item.setTitle(None)
