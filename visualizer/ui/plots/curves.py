"""Curves over training steps (losses, accuracies, gradient norms) with live-change markers."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from visualizer.core.plotdata import CurvesData, PlotSpec, fixed_y_range
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import series_color

MARKER_COLOR = "#7a5c00"
MARKER_LABEL_CHARS = 40    # a marker's label is cut here (a drawn point list is 20,000 characters); the
                           # tooltip and the CSV keep the whole text
DENSE_POINTS = 400      # above this many points a curve is drawn 1 px wide: wider antialiased
                        # lines cost Qt's raster engine about 4x more per repaint
DENSE_TURNS = 100       # ... and above this many changes of direction: a GAN's first few hundred noisy
                        # losses drawn 2 px wide took 3.5 ms per curve and repaint


def _short(text: str) -> str:
    """A marker's label: ``text`` cut at MARKER_LABEL_CHARS."""
    return text if len(text) <= MARKER_LABEL_CHARS else text[:MARKER_LABEL_CHARS - 1] + "…"


def direction_changes(y: np.ndarray) -> int:
    """How often a curve y (n,) turns from rising to falling or back: its zigzags."""
    d = np.sign(np.diff(y))
    d = d[d != 0]
    return int(np.count_nonzero(d[1:] != d[:-1]))


def series_label(name: str) -> str:
    """Legend text for a metric name: ``val_loss`` -> ``val loss``; ``val_loss@torch`` -> ``val loss (torch twin)``."""
    base, _, engine = name.partition("@")
    return base.replace("_", " ") + (f" ({engine} twin)" if engine else "")


def faded(color, alpha: int):
    """``color`` (anything pg.mkColor takes) with the given alpha (0-255)."""
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return c


def nice_ceil(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is >= v (v > 0)."""
    if v <= 0:
        return 1.0
    k = math.floor(math.log10(v))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10 ** k >= v:
            return m * 10 ** k
    return 10.0 ** (k + 1)


class StickyRange:
    """An axis range that follows the data but changes only when the data leaves it or fills less
    than half of it, so axis labels and grid are re-laid out a few times per run instead of at every
    redraw (pyqtgraph's auto-range would move them 30 times a second while training)."""

    def __init__(self, margin: float = 0.06) -> None:
        self.margin = margin
        self.range: tuple[float, float] | None = None

    def update(self, lo: float, hi: float) -> tuple[float, float] | None:
        """New (low, high) if the range must change for data in [lo, hi], else None."""
        span = hi - lo
        if span <= max(abs(hi), abs(lo)) * 1e-6:      # a flat line: show it mid-height, not at ±1e-14
            span = max(abs(hi) * 0.2, 1.0)
            lo, hi = lo - span / 2, hi + span / 2
        if self.range is not None:
            a, b = self.range
            if a <= lo and hi <= b and span >= 0.5 * (b - a):
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
    against the left edge), only the y axis over the steps shown."""

    data_type = CurvesData
    clearRunsRequested = Signal()

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
        self.legend = self.plot_item.addLegend(offset=(-10, 10), labelTextSize="8pt",
                                               brush=pg.mkBrush(255, 255, 255, 210))
        self._legend_corner = "top"
        self.curves: dict[str, pg.PlotDataItem] = {}
        for i, name in enumerate(spec.series):
            self.curves[name] = self._make_curve(name, i)
        self.previous: list[tuple[str, CurvesData]] = []
        self._previous_items: list[pg.PlotDataItem] = []
        self._previous_bounds: tuple[float, float, float, float] | None = None
        self._previous_xy: list[tuple[np.ndarray, np.ndarray]] = []     # (x, y on the axis' scale)
        self._previous_y: tuple[float | None, tuple[float, float]] = (None, (math.inf, -math.inf))
        self._fixed_y = fixed_y_range(spec)
        self.markers: list[pg.InfiniteLine] = []
        self._marker_keys: list[tuple[int, str]] = []
        self._x_high: float | None = None
        self._y_range = StickyRange()
        self.manual_zoom = False
        self._setting_range = False
        self.plot_item.getViewBox().sigRangeChangedManually.connect(self._on_manual_zoom)

    def _pen(self, name: str, i: int, dense: bool):
        # Dense curves are solid: Qt's dash stroker stops after a fixed number of dash repetitions,
        # so a long, noisy dashed validation curve was drawn only part of the way (seen on
        # mlp_digits after ~8,000 steps).  The colours still tell the series apart.
        dashed = name.startswith(("val", "test")) and not dense
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        return pg.mkPen(series_color(i), width=1 if dense else 2, style=style)

    def _series_index(self, name: str) -> int:
        base = name.partition("@")[0]
        if base in self.spec.series:
            return self.spec.series.index(base)
        return len(self.curves)

    def _make_curve(self, name: str, i: int) -> pg.PlotDataItem:
        if "@" in name:                 # an engine twin: a wide pale band under its series
            curve = self.plot_item.plot([], [], pen=pg.mkPen(faded(series_color(i), 90), width=6))
            curve.setZValue(-5)
        else:
            curve = self.plot_item.plot([], [], pen=self._pen(name, i, False))
        curve.legend_label = series_label(name)
        curve.in_legend = False
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        curve.series_index = i
        curve.dense = False
        curve.dense_from = 0
        return curve

    def _draw(self, data: CurvesData) -> None:
        x_lo, x_hi, y_lo, y_hi, ends = math.inf, -math.inf, math.inf, -math.inf, []
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
            curve.setData(x, y)
            if bool(len(x)) != curve.in_legend:          # the legend lists only series with data
                curve.in_legend = bool(len(x))
                if curve.in_legend:
                    self.legend.addItem(curve, curve.legend_label)
                else:
                    self.legend.removeItem(curve)
            if len(x):
                yv = np.log10(y) if self.spec.log_y else y
                x_lo, x_hi = min(x_lo, float(x[0])), max(x_hi, float(x[-1]))
                y_lo, y_hi = min(y_lo, float(yv.min())), max(y_hi, float(yv.max()))
                ends.append(float(np.mean(yv[-max(1, len(yv) // 10):])))
        self._draw_markers(list(data.markers))
        if x_hi < x_lo and self._previous_bounds is not None:     # no current data yet: the earlier runs
            x_lo, x_hi, y_lo, y_hi = self._previous_bounds
        if x_hi >= x_lo and not self.manual_zoom:
            self._update_ranges(x_lo, x_hi, y_lo, y_hi, ends)

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

    def _update_ranges(self, x_lo: float, x_hi: float, y_lo: float, y_hi: float, ends: list[float]) -> None:
        self._setting_range = True
        try:
            if self._x_high is None or x_hi > self._x_high or x_hi < 0.4 * self._x_high:
                self._x_high = nice_ceil(max(x_hi * 1.05, x_lo + 1))
                self.plot_item.setXRange(min(0.0, x_lo), self._x_high, padding=0)
            p_lo, p_hi = self._previous_y_bounds(self._x_high)
            y_lo, y_hi = min(y_lo, p_lo), max(y_hi, p_hi)
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
        a, b = self._y_range.range
        corner = "bottom" if ends and np.mean(ends) > a + 0.55 * (b - a) else "top"
        if corner != self._legend_corner:      # keep the legend off the ends of the curves
            self._legend_corner = corner
            if corner == "top":
                self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-10, 10))
            else:
                self.legend.anchor(itemPos=(1, 1), parentPos=(1, 1), offset=(-10, -10))

    # ---- earlier runs -----------------------------------------------------------------------------
    def set_previous_runs(self, runs: list[tuple[str, CurvesData]]) -> None:
        """Draw earlier runs' curves faded behind the current ones: ``runs`` = [(label, data)], oldest
        first.  Each run gets one legend entry (its label names the settings that changed)."""
        for item in self._previous_items:
            self.legend.removeItem(item)
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
                self.legend.addItem(first, label)
        self._previous_bounds = tuple(float(b) for b in bounds) if bounds[1] >= bounds[0] else None
        if self.has_data:
            self._draw(self.data)

    def context_menu(self):
        menu = super().context_menu()
        if self.previous:
            menu.addAction("Show all runs", self.show_all_runs)
            menu.addAction("Clear earlier runs", self.clearRunsRequested.emit)
        return menu

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
        self._y_range.range = None
        if self.has_data:
            self._draw(self.data)
