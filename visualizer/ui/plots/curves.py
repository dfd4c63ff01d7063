"""Curves over training steps (losses, accuracies, gradient norms) with live-change markers."""
from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import CurvesData, PlotSpec, fixed_y_range
from visualizer.core.runs import legend_text
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import series_color

MARKER_COLOR = "#7a5c00"
MARKER_LABEL_CHARS = 40    # a marker's label is cut here (a drawn point list is 20,000 characters); the
                           # tooltip and the CSV keep the whole text
DENSE_POINTS = 400      # above this many points a curve is drawn 1 px wide: wider antialiased
                        # lines cost Qt's raster engine about 4x more per repaint
DENSE_TURNS = 100       # ... and above this many changes of direction: a GAN's first few hundred noisy
                        # losses drawn 2 px wide took 3.5 ms per curve and repaint
LEGEND_CHARS = 34       # a run's legend entry is cut here; its tooltip and the run manager show it all
LEGEND_ROW_GAP = 3      # pixels between the legend strip and the plot area
LOG_DECADES = 6         # a log axis spans at most this many decades below the largest value shown
HOVER_HZ = 30           # mouse moves over a plot handled per second at most
CROSSHAIR_COLOR = "#5f6368"


def _short(text: str) -> str:
    """A marker's label: ``text`` cut at MARKER_LABEL_CHARS."""
    return text if len(text) <= MARKER_LABEL_CHARS else text[:MARKER_LABEL_CHARS - 1] + "…"


def direction_changes(y: np.ndarray) -> int:
    """How often a curve y (n,) turns from rising to falling or back: its zigzags."""
    d = np.sign(np.diff(y))
    d = d[d != 0]
    return int(np.count_nonzero(d[1:] != d[:-1]))


ACRONYMS = {"miou": "mIoU", "iou": "IoU", "map": "mAP", "pck": "PCK", "oks": "OKS", "ap": "AP", "ap50": "AP50",
            "ppm": "PPM", "paf": "PAF", "nms": "NMS", "kl": "KL", "td": "TD", "fid": "FID"}
"""Words of metric names written as the field writes them in a legend (``val_miou`` -> ``val mIoU``)."""


def series_label(name: str) -> str:
    """Legend text for a metric name: ``val_loss`` -> ``val loss``; ``val_loss@torch`` -> ``val loss (torch twin)``;
    the field's acronyms spelled as the field spells them (``miou_no_ppm`` -> ``mIoU no PPM``)."""
    base, _, engine = name.partition("@")
    words = [ACRONYMS.get(w.lower(), w) for w in base.split("_")]
    return " ".join(words) + (f" ({engine} twin)" if engine else "")


def faded(color, alpha: int):
    """``color`` (anything pg.mkColor takes) with the given alpha (0-255)."""
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return c


def pale(color, alpha: int):
    """``color`` as it looks at ``alpha`` (0-255) over the current theme's plot background, but opaque: a wide
    band drawn in it can be drawn as line segments (see ``CurvesView._segment``), whose overlapping ends would
    show as beads in a translucent colour.  A band keeps the background of the theme it was made in."""
    from visualizer.ui import theme      # ui-internal; imported here to keep this module's imports light

    c, bg, a = pg.mkColor(color), pg.mkColor(theme.current().background), alpha / 255.0
    return pg.mkColor(*(round(a * x + (1 - a) * y) for x, y in ((c.red(), bg.red()), (c.green(), bg.green()),
                                                                 (c.blue(), bg.blue()))))


def nice_ceil(v: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8 × 10^k that is >= v (v > 0): a round axis
    end at most 25% past v, so the current run fills at least 4/5 of the width (with 1-2-2.5-5 a 3,000-step
    run ended at 60% of an axis to 5,000)."""
    if v <= 0:
        return 1.0
    k = math.floor(math.log10(v))
    for m in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0):
        if m * 10 ** k >= v:
            return float(f"{m * 10.0 ** k:.6g}")      # 120.0, not 120.00000000000001
    return 10.0 ** (k + 1)


def _pairs(series: tuple[str, ...]) -> int:
    """How many ``val_X``/``test_X`` series have a ``train_X`` partner in ``series``."""
    return sum(1 for s in series if s.partition("_")[0] in ("val", "test") and f"train_{s.partition('_')[2]}" in series)


class RoundRange:
    """A y range that includes 0 and ends at round numbers (:func:`nice_ceil` of the largest magnitude above and
    below 0), changing only when the data leaves it or reaches less than ``fill`` of its height: for curves
    that are redrawn whole from each snapshot (the Q-values of the current episode), whose span jumps from one
    episode to the next while their scale changes slowly."""

    def __init__(self, fill: float = 0.4) -> None:
        self.fill = fill
        self.range: tuple[float, float] | None = None

    def update(self, lo: float, hi: float) -> tuple[float, float] | None:
        """New (low, high) if the range must change for data in [lo, hi], else None."""
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        if self.range is not None:
            a, b = self.range
            if a <= lo and hi <= b and (hi - lo) >= self.fill * (b - a):
                return None
        top = nice_ceil(hi * 1.02) if hi > 0 else 0.0
        bottom = -nice_ceil(-lo * 1.02) if lo < 0 else 0.0
        if top == bottom:                                  # all zeros
            top = 1.0
        self.range = (bottom, top)
        return self.range


class StickyRange:
    """An axis range that follows the data but changes only when the data leaves it or fills less
    than half of it, so axis labels and grid are re-laid out a few times per run instead of at every
    redraw (pyqtgraph's auto-range would move them 30 times a second while training)."""

    def __init__(self, margin: float = 0.06, fill: float = 0.5) -> None:
        self.margin = margin
        self.fill = fill                # the range shrinks when the data spans less than this share of it
        self.range: tuple[float, float] | None = None

    def update(self, lo: float, hi: float) -> tuple[float, float] | None:
        """New (low, high) if the range must change for data in [lo, hi], else None."""
        span = hi - lo
        if span <= max(abs(hi), abs(lo)) * 1e-6:      # a flat line: show it mid-height, not at ±1e-14
            span = max(abs(hi) * 0.2, 1.0)
            lo, hi = lo - span / 2, hi + span / 2
        if self.range is not None:
            a, b = self.range
            if a <= lo and hi <= b and span >= self.fill * (b - a):
                return None
        self.range = (lo - self.margin * span, hi + self.margin * span)
        return self.range


class CurvesView(PlotView):
    """Line plot of ``spec.series`` against the training step, one colour per series (validation and
    test dashed), with a dashed vertical line and label at every live hyperparameter change.
    ``spec.log_y`` draws a log10 y axis (non-positive values are left out).  The x axis follows the
    current run and grows in steps of 1, 2, 2.5, 5 × 10^k; a bounded metric (accuracy, a share, a
    probability: :func:`fixed_y_range`) keeps a fixed y axis such as 0–1.  Zooming with the mouse
    stops the automatic ranges until "Reset zoom"; "Show all runs" zooms out to the earlier runs too.

    A twin series ``name@engine`` (from "Compare engines") is drawn as a wide pale band of its
    series' colour under it: where the engines agree, the line runs inside the band.  Earlier runs
    (:meth:`set_previous_runs`) are drawn thin and faded behind, one legend entry per run; they are
    context: they never widen the x axis (a 50,000-step earlier run squeezed a 3,000-step current run
    against the left edge), only the y axis over the steps shown.

    The legend sits in a strip above the plot area, never on the data: its entries flow into as many
    columns as the width allows, a run's label is cut at ``LEGEND_CHARS`` (the whole text in its
    tooltip).  Moving the mouse over the plot area draws a vertical crosshair and a readout of every
    series at the nearest recorded step (at most ``HOVER_HZ`` times a second, nothing when the mouse is
    elsewhere); :meth:`set_crosshair` draws the line alone, for plots linked to the one under the mouse.

    Signals: ``clearRunsRequested()`` and ``runsDialogRequested()`` from the context menu ("Clear
    earlier runs", "Runs…"); ``hovered(step)`` with the step under the mouse (a float), or None when the
    mouse leaves the plot area."""

    data_type = CurvesData
    # The x axis shrinks when the data reaches less than x_fill of it, the y axis when the data spans less than
    # y_fill of it: a new run's short curves get a compact axis, yet axes are re-laid out (a few ms each) only
    # a few times per run.
    x_fill = 0.4
    y_fill = 0.5
    y_from_zero = False             # True: the y axis includes 0 and ends at round numbers (RoundRange)
    clearRunsRequested = Signal()
    runsDialogRequested = Signal()
    hovered = Signal(object)

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.setLabel("bottom", spec.x_label or "step")
        if spec.y_label:
            self.plot_item.setLabel("left", spec.y_label)
        if spec.log_y:
            self.plot_item.setLogMode(y=True)
        self.plot_item.disableAutoRange()
        # The legend: a strip above the plot area (row 0 of the PlotItem's layout, where a title would
        # go; the frame around the view shows the title), anchored to the top right.
        # Two legends: the current run's series in the first (short names, side by side), the earlier
        # runs below it (long names, as many per row as fit).
        self.legend = self._make_legend()
        self.run_legend = self._make_legend()
        self._legend_height = -1
        self.plot_item.vb.sigResized.connect(self._layout_legend)
        self.runs_kept = 0                  # earlier runs the lesson keeps, shown or not ("Runs…" in the menu)
        self.curves: dict[str, pg.PlotDataItem] = {}
        for name in spec.series:
            self.curves[name] = self._make_curve(name, self._series_index(name))
        self.previous: list[tuple[str, CurvesData]] = []
        self._previous_items: list[pg.PlotDataItem] = []
        self._previous_bounds: tuple[float, float, float, float] | None = None
        self._previous_xy: list[tuple[np.ndarray, np.ndarray]] = []     # (x, y on the axis' scale)
        self._previous_y: tuple[float | None, tuple[float, float]] = (None, (math.inf, -math.inf))
        self._fixed_y = fixed_y_range(spec)
        self.markers: list[pg.InfiniteLine] = []
        self._marker_keys: list[tuple[int, str]] = []
        self._x_high: float | None = None
        self._y_range = RoundRange(self.y_fill) if self.y_from_zero else StickyRange(fill=self.y_fill)
        self._x_fixed: tuple[float, float] | None = None          # CurvesData.x_range last applied
        self.manual_zoom = False
        self._setting_range = False
        self.plot_item.getViewBox().sigRangeChangedManually.connect(self._on_manual_zoom)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CROSSHAIR_COLOR, width=1))
        self.crosshair.setZValue(20)
        self.crosshair.setVisible(False)
        self.plot_item.addItem(self.crosshair, ignoreBounds=True)
        self.readout = pg.TextItem(anchor=(0, 0), color="#202124", fill=pg.mkBrush(255, 255, 255, 230),
                                   border=pg.mkPen("#9aa0a6"))
        self.readout.setZValue(30)
        self.readout.setVisible(False)
        self.plot_item.addItem(self.readout, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=HOVER_HZ,
                                           slot=self._on_mouse_moved)

    def _pen(self, name: str, i: int, dense: bool):
        # Dense curves are solid: Qt's dash stroker stops after a fixed number of dash repetitions,
        # so a long, noisy dashed validation curve was drawn only part of the way (seen on
        # mlp_digits after ~8,000 steps).  The colours still tell the series apart.
        dashed = name.startswith(("val", "test")) and not dense
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        return pg.mkPen(series_color(i), width=1 if dense else 2, style=style)

    def _series_index(self, name: str) -> int:
        """The colour index of a series: its place in the spec.  In a plot that compares several models or
        metrics (two or more train/validation pairs), ``val_X``/``test_X`` takes the colour of ``train_X``, so each
        model keeps one colour, solid for training and dashed for validation."""
        base = name.partition("@")[0]
        series = self.spec.series
        if base in series:
            prefix, _, rest = base.partition("_")
            partner = f"train_{rest}"
            if prefix in ("val", "test") and partner in series and _pairs(series) > 1:
                return series.index(partner)
            return series.index(base)
        return len(self.curves)

    def _make_curve(self, name: str, i: int) -> pg.PlotDataItem:
        # one min/max pair per pixel column ("peak" keeps the envelope): pyqtgraph's default thins only beyond
        # 5 points per pixel, so a 3,000-point run on a 600 px plot was drawn point by point
        thin = dict(autoDownsampleFactor=1.0)
        if "@" in name:                 # an engine twin: a wide pale band under its series
            # a pale 6 px band needs no antialiasing; with it, ~1,200 segments cost ~10 ms a paint
            curve = self.plot_item.plot([], [], pen=pg.mkPen(pale(series_color(i), 90), width=6), antialias=False,
                                        **thin)
            curve.setZValue(-5)
        else:
            curve = self.plot_item.plot([], [], pen=self._pen(name, i, False), **thin)
        self._segment(curve)
        curve.legend_label = series_label(name)
        curve.in_legend = False
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        curve.series_index = i
        curve.dense = False
        curve.dense_from = 0
        curve.dot = False
        return curve

    @staticmethod
    def _segment(curve: pg.PlotDataItem) -> None:
        """Draw a solid, opaque curve as separate line segments.  Qt strokes a 2 px antialiased polyline as one
        outline, which for a jagged curve (a noisy loss, an episode return) costs about 40 ms at 100 points and
        80 ms at 236 on the reference machine, against about 1-2 ms as segments; their overlapping ends do not
        show with an opaque pen.  A dashed pen keeps the polyline, so its dash pattern runs on."""
        pen = curve.opts["pen"]
        solid = pen.style() == Qt.PenStyle.SolidLine and pen.color().alphaF() == 1.0
        curve.curve.setSegmentedLineMode("on" if solid else "auto")

    @staticmethod
    def _show_dot(curve: pg.PlotDataItem, alone: bool, i: int) -> None:
        """A series with one point so far (the first episode's return, the first validation) has no line to
        draw: show that point as a dot until a second one arrives."""
        if alone != curve.dot:
            curve.dot = alone
            if alone:
                curve.setSymbol("o")
                curve.setSymbolSize(7)
                curve.setSymbolPen(None)
                curve.setSymbolBrush(series_color(i))
            else:
                curve.setSymbol(None)

    def _draw(self, data: CurvesData) -> None:
        x_lo, x_hi, y_lo, y_hi = math.inf, -math.inf, math.inf, -math.inf
        for name, (x, y) in data.series.items():
            curve = self.curves.get(name)
            if curve is None:
                curve = self.curves[name] = self._make_curve(name, self._series_index(name))
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            keep = np.isfinite(y)
            if self.spec.log_y:
                keep &= y > 0
            if not keep.all():
                x, y = x[keep], y[keep]
            if curve.dense and len(x) >= curve.dense_from:
                dense = True                                # stays thin while the curve grows
            else:
                dense = len(x) > DENSE_POINTS or direction_changes(y) > DENSE_TURNS
                curve.dense_from = len(x)
            if dense != curve.dense and "@" not in name:
                curve.dense = dense
                curve.setPen(self._pen(name, curve.series_index, dense))
                self._segment(curve)
                # A dense or jagged 1 px curve drawn without antialiasing costs about a tenth (a noisy episode
                # return over 400 episodes: 2 ms a paint antialiased), and looks the same at that density.
                curve.opts["antialias"] = curve.curve.opts["antialias"] = not dense
            if "@" not in name:
                self._show_dot(curve, len(x) == 1, curve.series_index)
            curve.setData(x, y)
            if bool(len(x)) != curve.in_legend:          # the legend lists only series with data
                curve.in_legend = bool(len(x))
                if curve.in_legend:
                    self._legend_add(curve, curve.legend_label)
                else:
                    self._legend_remove(curve)
            if len(x):
                yv = np.log10(y) if self.spec.log_y else y
                x_lo, x_hi = min(x_lo, float(x[0])), max(x_hi, float(x[-1]))
                y_lo, y_hi = min(y_lo, float(yv.min())), max(y_hi, float(yv.max()))
        self._draw_markers(list(data.markers))
        if x_hi < x_lo and self._previous_bounds is not None:     # no current data yet: the earlier runs
            x_lo, x_hi, y_lo, y_hi = self._previous_bounds
        if x_hi >= x_lo and not self.manual_zoom:
            self._update_ranges(x_lo, x_hi, y_lo, y_hi, data.x_range)

    def _previous_y_bounds(self, x_high: float) -> tuple[float, float]:
        """The lowest and highest value of the earlier runs at steps <= x_high (cached per x_high)."""
        if self._previous_y[0] != x_high:
            lo, hi = math.inf, -math.inf
            for x, y in self._previous_xy:
                y = y[x <= x_high]
                if len(y):
                    lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
            self._previous_y = (x_high, (lo, hi))
        return self._previous_y[1]

    def _update_ranges(self, x_lo: float, x_hi: float, y_lo: float, y_hi: float,
                       x_fixed: tuple[float, float] | None = None) -> None:
        self._setting_range = True
        try:
            if x_fixed is not None and x_lo >= x_fixed[0] and x_hi <= x_fixed[1]:
                if x_fixed != self._x_fixed:
                    self._x_fixed, self._x_high = x_fixed, float(x_fixed[1])
                    self.plot_item.setXRange(*x_fixed, padding=0)
            else:
                if self._x_fixed is not None:                # the data left its fixed range (or dropped it)
                    self._x_fixed = self._x_high = None
                if self._x_high is None or x_hi > self._x_high or x_hi < self.x_fill * self._x_high:
                    self._x_high = nice_ceil(max(x_hi * 1.05, x_lo + 1))
                    self.plot_item.setXRange(min(0.0, x_lo), self._x_high, padding=0)
            p_lo, p_hi = self._previous_y_bounds(self._x_high)
            y_lo, y_hi = min(y_lo, p_lo), max(y_hi, p_hi)
            if self.spec.log_y and y_hi - y_lo > LOG_DECADES:
                y_lo = y_hi - LOG_DECADES                   # a value near 0 (a loss that starts at 0) enters from below
            if self._fixed_y is not None:               # a bounded metric: 0–1, wider only if a value leaves it
                y_lo, y_hi = min(y_lo, self._fixed_y[0]), max(y_hi, self._fixed_y[1])
                pad = 0.02 * (y_hi - y_lo)              # a curve at 0 or 1 is drawn clear of the frame
                fixed = (y_lo - pad, y_hi + pad)
                y_range = None if fixed == self._y_range.range else fixed
                self._y_range.range = fixed
            else:
                y_range = self._y_range.update(y_lo, y_hi)
            if y_range is not None:
                self.plot_item.setYRange(*y_range, padding=0)
        finally:
            self._setting_range = False

    # ---- earlier runs -----------------------------------------------------------------------------
    def set_previous_runs(self, runs: list[tuple[str, CurvesData]], kept: int | None = None) -> None:
        """Draw earlier runs' curves faded behind the current ones: ``runs`` = [(label, data)], oldest
        first, the runs to show.  Each run gets one legend entry (its label names the settings that
        changed; cut at ``LEGEND_CHARS``, the whole label in its tooltip).  kept: how many earlier runs
        the lesson keeps, shown or hidden (default ``len(runs)``); with any, the menu offers "Runs…"."""
        self.runs_kept = len(runs) if kept is None else kept
        for item in self._previous_items:
            self._legend_remove(item)
            self.plot_item.removeItem(item)
        self._previous_items.clear()
        self._previous_xy.clear()
        self._previous_y = (None, (math.inf, -math.inf))
        self.previous = list(runs)
        bounds = [math.inf, -math.inf, math.inf, -math.inf]
        n = len(runs)
        for r, (label, data) in enumerate(runs):
            alpha = int(70 + 110 * (r + 1) / max(n, 1))        # older runs fainter
            style = (Qt.PenStyle.DotLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine)[r % 3]
            first = None
            for name, (x, y) in data.series.items():
                if "@" in name:
                    continue
                x = np.asarray(x, dtype=np.float64)
                y = np.asarray(y, dtype=np.float64)
                keep = np.isfinite(y) & (y > 0 if self.spec.log_y else True)
                x, y = x[keep], y[keep]
                if not len(x):
                    continue
                # a run's curves are thinned to <= 400 points, so the dash pattern survives (Qt's stroker)
                stride = max(1, len(x) // DENSE_POINTS)
                item = self.plot_item.plot(x[::stride], y[::stride], pen=pg.mkPen(
                    faded(series_color(self._series_index(name)), alpha), width=1, style=style))
                item.setZValue(-10)
                self._previous_items.append(item)
                first = first or item
                yv = np.log10(y) if self.spec.log_y else y
                self._previous_xy.append((x[::stride], yv[::stride]))
                bounds = [min(bounds[0], x[0]), max(bounds[1], x[-1]), min(bounds[2], yv.min()),
                          max(bounds[3], yv.max())]
            if first is not None:
                self._legend_add(first, label, max_chars=LEGEND_CHARS)
        self._previous_bounds = tuple(float(b) for b in bounds) if bounds[1] >= bounds[0] else None
        if self.has_data:
            self._draw(self.data)

    def context_menu(self):
        menu = super().context_menu()
        if self.runs_kept:
            menu.addSeparator()
            menu.addAction("Runs…", self.runsDialogRequested.emit)
            if self.previous:
                menu.addAction("Show all runs", self.show_all_runs)
            menu.addAction("Clear earlier runs", self.clearRunsRequested.emit)
        return menu

    # ---- the legend strip -------------------------------------------------------------------------
    def _make_legend(self) -> pg.LegendItem:
        legend = pg.LegendItem(labelTextSize="8pt", frame=False, verSpacing=-5)
        legend.layout.setContentsMargins(2, 0, 2, 0)
        legend.setParentItem(self.plot_item)
        legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-4, 0))
        legend.columns_laid = 0
        return legend

    def _legend_add(self, item, text: str, max_chars: int | None = None) -> None:
        """A legend entry for ``item``: ``text`` (plain text), cut at ``max_chars`` with the whole text
        in the entry's tooltip.  Earlier runs' entries (``max_chars`` given) go to ``run_legend``."""
        legend = self.run_legend if max_chars else self.legend
        legend.addItem(item, legend_text(text, max_chars) if max_chars else html.escape(text, quote=False))
        legend.items[-1][1].setToolTip(text)
        legend.columns_laid = 0                        # lay the entries out again
        self._layout_legend()

    def _legend_remove(self, item) -> None:
        for legend in (self.legend, self.run_legend):
            legend.removeItem(item)
            legend.columns_laid = 0
        self._layout_legend()

    def _layout_legend(self, *_args) -> None:
        """Flow each legend's entries into as many columns as fit the plot's width, stack the two
        legends at the top right and make the strip above the plot area as tall as they are, so the
        legend never covers the data."""
        height = 0
        avail = max(120.0, self.plot_item.width() - 8)     # the strip spans the axis' column too
        for legend in (self.legend, self.run_legend):
            items = legend.items
            legend.setVisible(bool(items))
            if not items:
                continue
            widths = [sample.boundingRect().width() + label.item.boundingRect().width() + 10
                      for sample, label in items]
            # the most columns whose widest entries (entry i goes to column i % cols) fit side by side
            cols = next((k for k in range(len(widths), 1, -1)
                         if sum(max(widths[j::k]) for j in range(k)) <= avail), 1)
            if cols != legend.columns_laid:
                legend.columns_laid = cols
                legend.columnCount = 0                 # setColumnCount re-lays every entry when it changes
                legend.setColumnCount(cols)
            hint = legend.layout.preferredSize()       # LegendItem.updateSize ignores the row spacing
            legend.setGeometry(QRectF(0, 0, hint.width(), hint.height()))
            legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-4, height))
            height += int(math.ceil(hint.height()))
        height += LEGEND_ROW_GAP if height else 0
        if height != self._legend_height:
            self._legend_height = height
            self.plot_item.layout.setRowFixedHeight(0, height)

    # ---- hover readout and crosshair ---------------------------------------------------------------
    def _on_mouse_moved(self, args) -> None:
        pos = args[0]
        vb = self.plot_item.vb
        if self.has_data and vb.sceneBoundingRect().contains(pos):
            p = vb.mapSceneToView(pos)
            self.hover_at(p.x(), p.y())
        elif self.readout.isVisible():
            self.hover_at(None)

    def leaveEvent(self, event) -> None:
        if self.readout.isVisible():
            self.hover_at(None)
        super().leaveEvent(event)

    def hover_at(self, step: float | None, y: float | None = None) -> None:
        """Show the crosshair at ``step`` and a readout of each series' value at its nearest recorded
        step, placed at height ``y`` (view coordinates; default: the top of the plot); None hides both.
        Emits ``hovered(step)``."""
        if step is None:
            self.set_crosshair(None)
            self.readout.setVisible(False)
            self.hovered.emit(None)
            return
        self.set_crosshair(step)
        rows = self.readout_values(step)
        if rows:
            at = rows[0][1]
            lines = [f"<b>step {at:,.0f}</b>"]
            for name, x, value in rows:
                color = pg.mkColor(series_color(self._series_index(name))).name()
                where = f" (step {x:,.0f})" if abs(x - at) >= 0.5 else ""
                lines.append(f'<span style="color:{color}">&#9632;</span> {html.escape(series_label(name))} '
                             f"{value:.4g}{where}")
            self.readout.setHtml("<br>".join(lines))
            (x0, x1), (y0, y1) = self.plot_item.vb.viewRange()
            per_px = (x1 - x0) / max(self.plot_item.vb.width(), 1.0)          # steps per pixel
            w = (self.readout.boundingRect().width() + 4) * per_px             # the box's width in steps
            # right of the line where it fits, else left of it, else as far right as it stays inside
            left = step + 2 * per_px if step + w <= x1 else step - w if step - w >= x0 else max(x0, x1 - w)
            y = y1 if y is None else y
            below = y > (y0 + y1) / 2                               # below the mouse in the upper half
            self.readout.setAnchor((0, 0 if below else 1))
            self.readout.setPos(left, y)
            self.readout.setVisible(True)
        else:
            self.readout.setVisible(False)
        self.hovered.emit(float(step))

    def readout_values(self, step: float) -> list[tuple[str, float, float]]:
        """(series name, step, value) of the point nearest ``step`` in each current series with data
        (engine twins left out)."""
        rows = []
        for name, curve in self.curves.items():
            if "@" in name or not curve.in_legend:
                continue
            x, y = curve.getOriginalDataset()
            if x is None or not len(x):
                continue
            i = int(np.clip(np.searchsorted(x, step), 1, len(x) - 1)) if len(x) > 1 else 0
            if i and abs(x[i - 1] - step) <= abs(x[i] - step):
                i -= 1
            rows.append((name, float(x[i]), float(y[i])))
        return rows

    def set_crosshair(self, step: float | None) -> None:
        """Draw the vertical crosshair at ``step`` (None: hide it); for plots linked to the one under
        the mouse."""
        if step is None:
            self.crosshair.setVisible(False)
        else:
            self.crosshair.setValue(step)
            self.crosshair.setVisible(True)

    def show_all_runs(self) -> None:
        """Zoom out to the earlier runs' steps as well as the current run's ("Reset zoom" goes back to
        following the current run)."""
        x_hi = self._x_high or 1.0
        if self._previous_bounds is not None:
            x_hi = max(x_hi, nice_ceil(self._previous_bounds[1] * 1.05))
        self.manual_zoom = True
        self._setting_range = True
        try:
            self.plot_item.setXRange(0.0, x_hi, padding=0)
            lo, hi = self._previous_y_bounds(x_hi)
            if self._y_range.range is not None:
                lo, hi = min(lo, self._y_range.range[0]), max(hi, self._y_range.range[1])
            if hi > lo:
                self.plot_item.setYRange(lo, hi, padding=0.03)
        finally:
            self._setting_range = False

    def table(self):
        """The current run's table, followed by one column per series of each earlier run."""
        table = super().table()
        if table is None or not self.previous:
            return table
        series = dict(self.data.series)
        for label, data in self.previous:
            for name, xy in data.series.items():
                series[f"{label} | {name}"] = xy
        return CurvesData(series, list(self.data.markers)).table()

    def _on_manual_zoom(self, *_args) -> None:
        if not self._setting_range:
            self.manual_zoom = True

    def _draw_markers(self, markers: list[tuple[int, str]]) -> None:
        if markers[: len(self._marker_keys)] != self._marker_keys:      # a new run: start over
            for line in self.markers:
                self.plot_item.removeItem(line)
            self.markers.clear()
            self._marker_keys.clear()
        for step, text in markers[len(self._marker_keys):]:
            self._marker_keys.append((step, text))
            if self.markers and self.markers[-1].value() == step:   # changes at one step share one line
                line = self.markers[-1]
                line.full_text = f"{line.full_text}; {text}"
                line.label.setFormat(_short(line.full_text))
                line.setToolTip(f"step {step}: {line.full_text}")
                continue
            short = _short(text)
            line = pg.InfiniteLine(pos=step, angle=90, movable=False,
                                   pen=pg.mkPen(MARKER_COLOR, width=1, style=Qt.PenStyle.DashLine),
                                   label=short,
                                   labelOpts={"position": 0.95, "color": MARKER_COLOR, "rotateAxis": (1, 0),
                                              "anchors": [(1, 0), (1, 0)]})
            line.full_text = text
            line.setToolTip(f"step {step}: {text}")
            self.plot_item.addItem(line, ignoreBounds=True)
            self.markers.append(line)

    def reset_zoom(self) -> None:
        """Go back to the automatic ranges."""
        self.manual_zoom = False
        self._x_high = None
        self._x_fixed = None
        self._y_range.range = None
        if self.has_data:
            self._draw(self.data)
