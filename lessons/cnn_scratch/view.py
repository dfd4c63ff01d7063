"""The ``conv_explainer`` plot kind: a kernel sliding over an image, one output cell per tick (after CNN Explainer).

Four panels: the zero-padded input with the kernel's window (red) and the original image's border (dashed
blue), the kernel with its weights, the window times the kernel elementwise, and the output feature map
filling in as the window slides, its current cell outlined in red.  A line above gives the current cell's
dot product ("sum of 9 products = 1.37 + bias 0.10 = 1.47") and the output-size formula.

The explainer has its own Play/Pause, Step, Reset and speed, run by a QTimer on the GUI thread (a step is
a small im2col product: no training involved), and its own settings (input, kernel, K, S, P, learned filter).
All of them are view settings: they change this picture only, never the lesson's hyperparameters, so they
start no run and leave no marker on the curves.  The sliding itself is :class:`~lessons.cnn_scratch.explainer.ConvSlide`
(Qt-free); the lesson sends :class:`~lessons.cnn_scratch.explainer.ConvExplainerData`, refreshed as the
network trains.  Clicking a pixel of the input or a cell of the output moves the window there.
Imported only by the UI.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QGraphicsRectItem, QHBoxLayout, QLabel,
                               QSpinBox, QStyle, QToolButton, QVBoxLayout, QWidget)

from lessons.cnn_scratch.explainer import (INPUTS, KERNELS, RANGES, ConvExplainerData, ConvExplanation, ConvSlide,
                                           ExplainerSettings)
from visualizer.core.plotdata import PlotSpec, Table
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import colormap, is_dark
from visualizer.ui.plots.labels import Label, LabelsItem

WINDOW_COLOR = "#d62728"
PAD_COLOR = "#1f77b4"
DIVERGING = "CET-D1"
SPEEDS = (1, 2, 4, 8, 16, 32)          # output cells per second
DEFAULT_SPEED = 4
INPUT_LABELS = {"digit": "validation image", "photo": "photo", "pattern": "pattern"}
KERNEL_LABELS = {"edge_vertical": "edge vertical", "edge_horizontal": "edge horizontal", "blur": "blur",
                 "sharpen": "sharpen", "random": "random", "learned": "learned (conv 1)"}
MIN_WIDTH = 360        # two plots side by side fit the plot area of a 1280-pixel window (about 700 px)
WIDE = 2.2                             # width / height of the picture above which the panels stand in one row


def _rect(color: str, width: float = 2.5, dashed: bool = False) -> QGraphicsRectItem:
    item = QGraphicsRectItem(0, 0, 1, 1)
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    item.setPen(pen)
    item.setZValue(10)
    return item


def _symmetric(a: np.ndarray) -> tuple[float, float]:
    m = float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else 1.0
    m = m or 1.0
    return -m, m


class _WheelOnlyWithFocus(QObject):
    """Event filter: the wheel changes a combo or spin box of the explainer only when it has the focus;
    otherwise the event goes on to the parent widgets (the plot area scrolls)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            parent = watched.parentWidget()
            if parent is not None:
                QApplication.sendEvent(parent, event)
            return True
        return False


class _Panel:
    """One titled image panel of the explainer (row 0 at the top, one data unit per pixel)."""

    def __init__(self, title: str, cmap: str, point_size: float = 8.0) -> None:
        self.layout = pg.GraphicsLayout()
        self.title = self.layout.addLabel(title, row=0, col=0, size="9pt")
        self.box = self.layout.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.box.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(colormap(cmap))
        self.box.addItem(self.image)
        self.numbers = LabelsItem(point_size=point_size, anchor=(0.5, 0.5))
        self.box.addItem(self.numbers, ignoreBounds=True)
        self.cmap = colormap(cmap)
        self._shape: tuple[int, int] | None = None

    def set_image(self, a: np.ndarray, levels: tuple[float, float]) -> None:
        self.image.setImage(a.astype(np.float32), autoLevels=False, levels=levels)
        if a.shape != self._shape:
            self._shape = a.shape
            self.image.setRect(QRectF(0, 0, a.shape[1], a.shape[0]))
            self.box.setRange(QRectF(-0.3, -0.3, a.shape[1] + 0.6, a.shape[0] + 0.6), padding=0)

    def cell_pixels(self) -> float:
        """On-screen size of one data cell in pixels (the panel is aspect-locked)."""
        if self._shape is None:
            return 0.0
        r = self.box.geometry()
        return min(r.width() / (self._shape[1] + 0.6), r.height() / (self._shape[0] + 0.6))

    def set_numbers(self, values: np.ndarray, texts: list[str], levels: tuple[float, float]) -> None:
        lo, hi = levels
        labels = []
        r, c = values.shape
        for i in range(r):
            for j in range(c):
                if not texts[i * c + j]:
                    continue
                t = (values[i, j] - lo) / (hi - lo) if hi > lo and np.isfinite(values[i, j]) else 0.0
                dark = is_dark(self.cmap.map(float(np.clip(t, 0, 1)), mode="qcolor"))
                labels.append(Label(j + 0.5, i + 0.5, texts[i * c + j], "#ffffff" if dark else "#000000"))
        self.numbers.set_labels(labels)


class ConvExplainerView(PlotView):
    """A sliding convolution over a :class:`ConvExplainerData`, with its own animation and settings.

    ``slide`` (a :class:`ConvSlide`) holds the settings and how many cells are computed; ``timer`` steps it
    at ``speed`` cells per second while playing.  :meth:`apply_view_settings` sets the explainer's settings
    (narrative steps use it); none of them is a lesson hyperparameter."""

    data_type = ConvExplainerData
    table_from_view = True          # "Export all" writes the CSV of what this view shows (its own settings)

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.setMinimumSize(MIN_WIDTH, 360)
        self.slide = ConvSlide(ExplainerSettings())
        self.speed = DEFAULT_SPEED
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._wheel_filter = _WheelOnlyWithFocus(self)
        self._build_controls()
        self.dot = QLabel()                       # the current cell's dot product
        self.dot.setTextFormat(Qt.TextFormat.PlainText)
        self.dot.setWordWrap(True)
        self.dot.setStyleSheet("padding: 0 4px; font-weight: bold;")
        self.text = QLabel()                      # input, kernel, S, P and the output-size formula
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setStyleSheet("padding: 0 4px; font-size: 9pt;")
        self._layout.addWidget(self.dot)
        self._layout.addWidget(self.text)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.graphics.setMinimumSize(MIN_WIDTH - 10, 200)
        self.input = _Panel("input, zero-padded", "gray")
        self.kernel = _Panel("kernel K", DIVERGING)
        self.products = _Panel("window ⊙ K", DIVERGING, 7.5)
        self.output = _Panel("output feature map", DIVERGING, 7.5)
        self.panels = (self.input, self.kernel, self.products, self.output)
        self._columns = 0
        self._arrange(2)
        self.window_rect = _rect(WINDOW_COLOR)
        self.pad_rect = _rect(PAD_COLOR, 1.5, dashed=True)
        self.input.box.addItem(self.window_rect)
        self.input.box.addItem(self.pad_rect)
        self.cell_rect = _rect(WINDOW_COLOR)
        self.output.box.addItem(self.cell_rect)
        self.output_frame = _rect("#9aa0a6", 1.0)                  # the whole output map, filled or not
        self.output.box.addItem(self.output_frame)
        self.colorbar = pg.ColorBarItem(values=(-1, 1), colorMap=colormap(DIVERGING), interactive=False,
                                        orientation="horizontal", width=8)
        self.colorbar.setToolTip("Output values: blue negative, white 0, red positive")
        self.output.layout.addItem(self.colorbar, row=2, col=0)
        self.explanation: ConvExplanation | None = None          # what is drawn now
        self.error = ""                                          # why the last setting was refused
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self._sync_controls()

    # ---- controls ---------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        bar = QWidget()
        rows = QVBoxLayout(bar)
        rows.setContentsMargins(4, 2, 4, 2)
        rows.setSpacing(2)
        style = self.style()
        self._icons = {on: style.standardIcon(QStyle.StandardPixmap.SP_MediaPause if on else
                                              QStyle.StandardPixmap.SP_MediaPlay) for on in (False, True)}
        self.play_button = self._tool_button("Play", self._icons[False], "Slide the window across the input, one "
                                             "output cell per tick (this picture only: training is not affected)")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.step_button = self._tool_button("Step", style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward),
                                             "Compute the next output cell")
        self.step_button.clicked.connect(self.step)
        self.reset_button = self._tool_button("Reset", style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
                                              "Clear the output: the window goes back to the top-left corner")
        self.reset_button.clicked.connect(self.reset)
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s} cells/s", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        self.speed_box.setToolTip("How fast the window slides while playing")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(SPEEDS[i]))
        for w in (self.play_button, self.step_button, self.reset_button):
            w.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.input_box = QComboBox()
        for name in INPUTS:
            self.input_box.addItem(INPUT_LABELS[name], name)
        self.input_box.setToolTip("validation image: the one chosen under 'Validation image' (colour photos in "
                                  "grey levels); photo: scikit-learn's bundled photo at 16×16; pattern: a "
                                  "square, a stroke and a faint block")
        self.kernel_box = QComboBox()
        for name in KERNELS:
            self.kernel_box.addItem(KERNEL_LABELS[name], name)
        self.kernel_box.setToolTip("Hand-made kernels (Sobel edges, box blur, sharpen, random) or a filter the "
                                   "network's first convolution has learned, as it is now")
        self.size_box = self._spin("size", "K", "Kernel size K×K of a hand-made kernel (learned ones have the "
                                                "network's size)")
        self.stride_box = self._spin("stride", "S", "Stride S: how far the window moves per output cell")
        self.padding_box = self._spin("padding", "P", "Padding P: zeros added around the input on each side")
        self.filter_box = self._spin("filter", "filter", "Which learned filter of conv 1 (which feature map)")
        for box in (self.input_box, self.kernel_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(9)
            box.setMaximumWidth(box.fontMetrics().horizontalAdvance("validation image") + 48)   # no wider than its text
        layout_rows = (
            (self.play_button, self.step_button, self.reset_button, ("speed", self.speed_box)),
            (("input", self.input_box), ("kernel", self.kernel_box)),
            (("K", self.size_box), ("S", self.stride_box), ("P", self.padding_box), ("filter", self.filter_box)),
        )
        for items in layout_rows:
            row = QHBoxLayout()
            row.setSpacing(4)
            for item in items:
                if isinstance(item, tuple):
                    row.addWidget(self._label(*item))
                    item = item[1]
                row.addWidget(item, 1 if item in (self.input_box, self.kernel_box) else 0)
            row.addStretch(1)
            rows.addLayout(row)
        self.input_box.currentIndexChanged.connect(lambda _i: self._changed("input", self.input_box.currentData()))
        self.kernel_box.currentIndexChanged.connect(lambda _i: self._changed("kernel", self.kernel_box.currentData()))
        for box in (self.input_box, self.kernel_box, self.speed_box):
            box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            box.installEventFilter(self._wheel_filter)
        self._layout.addWidget(bar)
        self.controls = bar

    @staticmethod
    def _tool_button(text: str, icon, tooltip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setIcon(icon)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setToolTip(tooltip)
        return button

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        label.setToolTip(buddy.toolTip())
        return label

    def _spin(self, name: str, label: str, tooltip: str) -> QSpinBox:
        box = QSpinBox()
        lo, hi = RANGES[name]
        box.setRange(lo, hi)
        box.setToolTip(tooltip)
        box.setAccessibleName(label)
        box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        box.installEventFilter(self._wheel_filter)
        box.valueChanged.connect(lambda v, n=name: self._changed(n, int(v)))
        return box

    def _sync_controls(self) -> None:
        """Show the slide's settings in the controls (without feeding them back)."""
        s = self.slide.settings
        for box, value in ((self.input_box, s.input), (self.kernel_box, s.kernel)):
            box.blockSignals(True)
            box.setCurrentIndex(box.findData(value))
            box.blockSignals(False)
        for box, value in ((self.size_box, s.size), (self.stride_box, s.stride), (self.padding_box, s.padding),
                           (self.filter_box, s.filter)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        learned = s.kernel == "learned"
        self.size_box.setEnabled(not learned)
        self.filter_box.setEnabled(learned)
        self.speed_box.blockSignals(True)
        self.speed_box.setCurrentIndex(SPEEDS.index(self.speed))
        self.speed_box.blockSignals(False)

    def _changed(self, name: str, value: Any) -> None:
        """A control moved: apply it to the slide, or say why not and put the control back."""
        self.error = ""
        try:
            self.slide.configure(**{name: value})
        except ValueError as err:
            self.error_note(str(err))
        self._sync_controls()
        self._redraw()

    def error_note(self, text: str) -> None:
        """Tell the user why a setting was refused: in the explainer's own text (until the next setting) and
        in the status bar (an "info" message: no banner that would push the plots down)."""
        self.error = text
        self.message.emit("info", text)

    # ---- animation --------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def play(self) -> None:
        """Slide one cell per 1/speed seconds until the output is full (from the start if it is full now)."""
        if self.slide.data is not None and self.slide.done:
            self.slide.reset()
        self.timer.start(max(1, round(1000 / self.speed)))
        self._set_play_button(True)
        self._redraw()

    def pause(self) -> None:
        self.timer.stop()
        self._set_play_button(False)

    def step(self) -> None:
        """Pause and compute the next output cell."""
        self.pause()
        self.slide.step()
        self._redraw()

    def reset(self) -> None:
        """Pause and clear the output."""
        self.pause()
        self.slide.reset()
        self._redraw()

    def set_speed(self, cells_per_second: int) -> None:
        """Slide at ``cells_per_second`` (one of SPEEDS) while playing.  Raises ValueError for another value."""
        if cells_per_second not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS} cells per second (got {cells_per_second})")
        self.speed = int(cells_per_second)
        if self.playing:
            self.timer.setInterval(max(1, round(1000 / self.speed)))
        self._sync_controls()

    def _tick(self) -> None:
        if self.slide.data is None:
            return                                  # wait for the lesson's first data
        if not self.slide.step():
            self.pause()
        self._redraw()
        if self.slide.done:
            self.pause()

    def _on_play_toggled(self, on: bool) -> None:
        if on != self.playing:
            self.play() if on else self.pause()

    def _set_play_button(self, on: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(on)
        self.play_button.setText("Pause" if on else "Play")
        self.play_button.setIcon(self._icons[on])
        self.play_button.blockSignals(False)

    def hideEvent(self, event) -> None:          # a narrative step that hides the explainer stops its timer
        self.pause()
        super().hideEvent(event)

    def apply_view_settings(self, settings: Mapping[str, Any]) -> None:
        """Apply settings from a narrative step: names of :class:`ExplainerSettings`, plus ``speed`` (cells/s),
        ``filled`` (cells computed) and ``playing`` (bool).  Raises KeyError for an unknown name, ValueError
        for a value the explainer cannot take (nothing changes then)."""
        settings = dict(settings)
        speed, filled, playing = settings.pop("speed", None), settings.pop("filled", None), settings.pop("playing", None)
        if speed is not None and speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS} cells per second (got {speed})")
        self.slide.configure(**settings)
        if speed is not None:
            self.set_speed(speed)
        if filled is not None:
            self.slide.filled = max(0, int(filled))
        self._sync_controls()
        if playing is not None:
            self.play() if playing else self.pause()
        self._redraw()

    # ---- drawing ----------------------------------------------------------------------------------
    def _draw(self, data: ConvExplainerData) -> None:
        self.slide.data = data
        self._redraw()

    def _redraw(self) -> None:
        if self.slide.data is None:
            self.dot.setText("Waiting for the lesson's first data…")
            return
        try:
            e = self.slide.explain()
        except ValueError as err:
            self.explanation = None
            self.dot.setText("The explainer cannot convolve with these settings.")
            self.text.setText(f"{err}. Lower K or raise P.")
            return
        self.slide.filled = e.filled                    # clipped to the map
        self.explanation = e
        self._draw_explanation(e, self.slide.data.caption(self.slide.settings))

    def _draw_explanation(self, e: ConvExplanation, caption: str) -> None:
        k_h, k_w = e.kernel.shape
        oh, ow = e.output.shape
        h_pad, w_pad = e.padded.shape
        self.input.set_image(e.padded, (min(0.0, float(e.padded.min())), max(1.0, float(e.padded.max()))))
        self.pad_rect.setRect(QRectF(e.pad, e.pad, w_pad - 2 * e.pad, h_pad - 2 * e.pad))
        self.pad_rect.setVisible(e.pad > 0)
        self.window_rect.setRect(QRectF(e.col * e.stride, e.row * e.stride, k_w, k_h))

        k_levels = _symmetric(e.kernel)
        self.kernel.set_image(e.kernel, k_levels)
        texts = [f"{v:.2g}" for v in e.kernel.ravel()]
        self.kernel.set_numbers(e.kernel, texts if self._fits(self.kernel, texts) else [""] * len(texts), k_levels)
        p_levels = _symmetric(e.products)
        self.products.set_image(e.products, p_levels)
        texts = [f"{x:.2f}×{w:.2g}\n= {p + 0.0:.2f}" for x, w, p in       # x·w = p, where that fits a cell
                 zip(e.window.ravel(), e.kernel.ravel(), e.products.ravel().round(2))]
        if not self._fits(self.products, texts):
            texts = [f"{p + 0.0:.1f}" for p in e.products.ravel().round(1)]
            if not self._fits(self.products, texts):
                texts = [""] * len(texts)
        self.products.set_numbers(e.products, texts, p_levels)
        self.products.title.setText(f"window ⊙ K  (Σ = {e.total:.2f})")

        shown = e.partial_output
        o_levels = _symmetric(e.output)
        self.output.set_image(shown, o_levels)
        texts = [f"{v + 0.0:.1f}" if f else "" for v, f in zip(e.output.ravel().round(1), e.mask.ravel())]
        self.output.set_numbers(shown, texts if self._fits(self.output, texts) else [""] * len(texts), o_levels)
        self.cell_rect.setRect(QRectF(e.col, e.row, 1, 1))
        self.cell_rect.setVisible(e.filled > 0)
        self.output_frame.setRect(QRectF(0, 0, ow, oh))
        self.output.title.setText(f"output {oh}×{ow}: {e.filled}/{e.cells}")
        self.colorbar.setLevels(o_levels)
        if e.filled:
            self.dot.setText(f"y[{e.row}, {e.col}] = {e.dot_text()}")
        else:
            self.dot.setText("Press Play or Step (above): the window computes y[0, 0] first")
        refused = f"\nRefused: {self.error}" if self.error else ""
        self.text.setText(f"{caption}:  {e.formula}{refused}")
        self._fit_text()

    @staticmethod
    def _fits(panel: _Panel, texts: list[str]) -> bool:
        """True if every text fits inside one cell of ``panel`` as drawn now (numbers never overlap)."""
        px = panel.cell_pixels()
        return all(w <= px - 2 and h <= px - 2 for w, h in map(panel.numbers.text_size, filter(None, texts)))

    def _fit_text(self) -> None:
        """Give the two wrapped text lines the height their text needs at the current width (never clipped)."""
        for label in (self.dot, self.text):
            need = label.heightForWidth(max(label.width(), 50))
            if need > 0 and need != label.minimumHeight():
                label.setMinimumHeight(need)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        g = self.graphics.size()
        self._arrange(4 if g.width() > WIDE * g.height() else 2)
        if self.explanation is not None:
            QTimer.singleShot(0, self._redraw)          # numbers in cells depend on the panels' pixel size
        self._fit_text()

    def _arrange(self, columns: int) -> None:
        """Panels in one row (a wide plot) or two rows of two (input | kernel, products | output)."""
        if columns == self._columns:
            return
        ci = self.graphics.ci
        if self._columns:
            for panel in self.panels:
                ci.removeItem(panel.layout)
        for i, panel in enumerate(self.panels):
            ci.addItem(panel.layout, row=i // columns, col=i % columns)
        self._columns = columns

    def _clicked(self, event) -> None:
        """Click on the input or the output: move the window there (the cells up to it are computed)."""
        e = self.explanation
        if e is None or event.button() != Qt.MouseButton.LeftButton:
            return
        k = e.kernel.shape[0]
        oh, ow = e.output.shape
        pos = event.scenePos()
        for panel, to_cell in ((self.input, lambda x, y: (int(y - k / 2 + 0.5) // e.stride,
                                                          int(x - k / 2 + 0.5) // e.stride)),
                               (self.output, lambda x, y: (int(y), int(x)))):
            if panel.box.sceneBoundingRect().contains(pos):
                p = panel.box.mapSceneToView(pos)
                row, col = to_cell(p.x(), p.y())
                row, col = min(max(row, 0), oh - 1), min(max(col, 0), ow - 1)
                self.pause()
                self.slide.seek(row * ow + col)
                self._redraw()
                return

    def table(self) -> Table | None:
        """The current cell's dot product and the output computed so far, as CSV rows."""
        if self.slide.data is None:
            return None
        return self.slide.data.table(self.slide.settings, self.slide.filled)


PLOT_VIEWS = {"conv_explainer": ConvExplainerView}
