"""A video clip playing in a loop, with the frames a video model sampled marked
(:class:`~visualizer.core.plotdata.ClipData`; the video lesson, after ECO: Zolfaghari et al. 2018 and Ogawa,
*PyTorch advanced deep learning* ch. 9).

The picture, top to bottom: the current frame (row 0 at the top, square pixels) with the optional heat map
(Grad-CAM over time) over it and the heat map's colour bar to its right; a film strip of every frame with
the sampled (segment) frames marked by a triangle and a frame, and the current frame outlined; the optional
per-frame score as a small curve with the current frame's marker; the caption; and under the picture
play/pause, a slider to scrub and the frame counter.

Playback is the view's own: a ``QTimer`` at ``data.fps`` that runs only while the view is shown and playing.
A tick costs one ``setImage`` of the frame (and of its heat map) and moving three markers; the frames are
converted to bytes once per clip.  New data (the app redraws at 30 Hz, latest wins) keeps the frame index,
so a clip that is redrawn with a new heat map keeps playing where it was; only a clip of another shape starts
again at frame 0.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget

from visualizer.core.plotdata import ClipData, PlotSpec
from visualizer.ui import theme
from visualizer.ui.plots.annotated_image import CaptionItem, wrap_text
from visualizer.ui.plots.aspect_box import AspectFit
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.playback import FramePlayback
from visualizer.ui.plots.colormaps import colormap

STRIP_THUMB_PX = 40          # film-strip thumbnails are at most this many image rows high
STRIP_HEIGHT = 58            # pixels of the film strip's row
SCORES_HEIGHT = 110          # pixels of the frame-score curve's row
AXIS_WIDTH = 46              # left axes of the strip and the score curve: equal, so their frames line up
SAMPLED_COLOR = "#0072b2"    # Okabe-Ito blue: sampled frames (triangles above the strip, dots on the curve)
SAMPLED_COLOR_DARK = "#56b4e9"
CURRENT_COLOR = "#e69f00"    # Okabe-Ito orange: the current frame's outline and marker
HEAT_OPACITY = 0.55
CAPTION_LINES = 2


def frames_u8(frames: np.ndarray) -> np.ndarray:
    """Frames (T, H, W) or (T, H, W, 3) float in [0, 1] -> uint8 of the same shape (clipped, NaN black),
    in one vectorised pass."""
    f = np.multiply(np.asarray(frames, dtype=np.float32), np.float32(255.0))     # one temporary, then in place
    f += np.float32(0.5)
    np.clip(f, 0.0, 255.0, out=f)                 # +-Inf -> 255 / 0
    f[np.isnan(f)] = 0.0
    return f.astype(np.uint8)


def film_strip(frames: np.ndarray, thumb_px: int = STRIP_THUMB_PX) -> np.ndarray:
    """The frames side by side as one picture: (T, H, W[, 3]) -> (h, T * w[, 3]), each frame subsampled by a
    whole stride so it is at most ``thumb_px`` rows high (h = ceil(H / stride))."""
    f = np.asarray(frames)
    stride = max(1, int(np.ceil(f.shape[1] / float(thumb_px))))
    thumbs = f[:, ::stride, ::stride]                                   # (T, h, w[, 3])
    t, h, w = thumbs.shape[:3]
    return np.ascontiguousarray(np.swapaxes(thumbs, 0, 1).reshape((h, t * w) + thumbs.shape[3:]))


class ClipView(FramePlayback, PlotView):
    """A :class:`ClipData`: the clip looping at its fps with heat map, film strip, frame scores and caption.

    ``index`` is the frame on show; :meth:`show_frame` shows one (as the slider does), :meth:`set_playing`
    plays or pauses (as the button does), ``timer`` is the playback timer (running only while the view is
    shown and playing)."""

    data_type = ClipData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        colors = theme.current()
        dark = colors.name == "dark"
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.graphics.setBackground(colors.background)
        layout = self.graphics.ci
        layout.layout.setContentsMargins(2, 8, 2, 2)
        layout.layout.setVerticalSpacing(2)
        # the frame and its heat map, the colour bar right beside it
        self.top = layout.addLayout(row=0, col=0)
        self.heat_title = pg.LabelItem("", size="8pt", color=colors.text)
        self.heat_title.setVisible(False)
        self.frame_box = self.top.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.fit = AspectFit(self.top, self.frame_box)
        self.frame_box.setMouseEnabled(False, False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item.setOpacity(HEAT_OPACITY)
        self.heat_item.setVisible(False)
        self.frame_box.addItem(self.image_item)
        self.frame_box.addItem(self.heat_item)
        self._heat_cmap = "inferno"
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap(self._heat_cmap), interactive=False,
                                        width=12)
        self.heat_item.setColorMap(colormap(self._heat_cmap))
        self.colorbar.getAxis("right").enableAutoSIPrefix(False)
        self.colorbar.setMaximumWidth(80)
        self._colorbar_shown = False
        # the film strip
        self.strip = layout.addPlot(row=1, col=0)
        self._quiet_plot_item(self.strip)
        self.strip.showGrid(x=False, y=False)
        self.strip.setMouseEnabled(False, False)
        self.strip.invertY(True)
        self.strip.getAxis("left").setTicks([[]])
        self.strip.getAxis("left").setStyle(showValues=False)
        self.strip.hideAxis("bottom")
        self.strip_item = pg.ImageItem(axisOrder="row-major")
        self.strip.addItem(self.strip_item)
        bg = pg.mkColor(colors.background)
        self.strip_gaps = pg.PlotCurveItem(pen=pg.mkPen(bg, width=2), connect="pairs", antialias=False)
        self.strip.addItem(self.strip_gaps)
        sampled = SAMPLED_COLOR_DARK if dark else SAMPLED_COLOR
        self.sampled_marks = pg.ScatterPlotItem(symbol="t", size=9, pen=pg.mkPen(sampled), brush=pg.mkBrush(sampled),
                                                pxMode=True)
        self.sampled_frames = pg.PlotCurveItem(pen=pg.mkPen(sampled, width=2), connect="finite", antialias=False)
        self.strip.addItem(self.sampled_frames)
        self.strip.addItem(self.sampled_marks)
        self.current_box = pg.PlotCurveItem(pen=pg.mkPen(CURRENT_COLOR, width=3), antialias=False)
        self.current_box.setZValue(10)
        self.strip.addItem(self.current_box)
        # the frame scores
        self.scores = layout.addPlot(row=2, col=0)
        self._quiet_plot_item(self.scores)
        self.scores.setMouseEnabled(False, False)
        self.scores.setXLink(self.strip)
        self.score_curve = self.scores.plot(pen=pg.mkPen(sampled, width=1.5))
        self.score_dots = pg.ScatterPlotItem(symbol="o", size=6, pen=pg.mkPen(sampled), brush=pg.mkBrush(sampled))
        self.scores.addItem(self.score_dots)
        self.score_line = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen(CURRENT_COLOR, width=2))
        self.scores.addItem(self.score_line)
        self._scores_shown = True
        self._score_title = ""
        for item in (self.strip, self.scores):
            item.getAxis("left").setWidth(AXIS_WIDTH)
        # the caption
        self.caption = CaptionItem("", size="9pt", color=colors.text)
        layout.addItem(self.caption, row=3, col=0)
        self._caption_text = ""
        self._caption_html = ""
        font = QFont()
        font.setPointSizeF(9.0)
        self._text_metrics = QFontMetricsF(font)
        grid = layout.layout
        grid.setColumnStretchFactor(0, 1)
        grid.setColumnStretchFactor(1, 0)
        grid.setRowStretchFactor(0, 1)
        for row in (1, 2, 3):
            grid.setRowStretchFactor(row, 0)
        self.frame_box.sigResized.connect(lambda *_: self._fit_caption())
        # play/pause, the slider and the frame counter
        controls = QWidget(self)
        row = QHBoxLayout(controls)
        row.setContentsMargins(4, 0, 4, 2)
        self.play_button = QToolButton(controls)
        self.play_button.setAutoRaise(True)
        self.play_button.clicked.connect(lambda: self.set_playing(not self.playing))
        self.slider = QSlider(Qt.Orientation.Horizontal, controls)
        self.slider.setRange(0, 0)
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)          # no wheel changes without focus
        self.slider.valueChanged.connect(self._scrubbed)
        self.counter = QLabel("", controls)
        self.counter.setMinimumWidth(self.counter.fontMetrics().horizontalAdvance("frame 000 / 000  ·  segment 00"))
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.counter)
        self._layout.addWidget(controls)
        # playback state
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.advance)
        self.playing = True
        self.index = 0
        self._frames: np.ndarray | None = None        # (T, H, W[, 3]) uint8 of the clip on show
        self._source = None                           # the frames array they were made from
        self._heat: np.ndarray | None = None          # (T, H, W) float32 or None
        self._segment: dict[int, int] = {}            # frame -> segment
        self._fps = 0.0
        self._heat_placed = False
        self._heat_label = ""
        self._update_button()
        self._fit_rows()

    # ---- data -------------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        """Frames of the clip on show (0 before any data)."""
        return 0 if self._frames is None else int(self._frames.shape[0])

    def _draw(self, data: ClipData) -> None:
        data.validate()
        frames = np.asarray(data.frames)
        t, h, w = frames.shape[:3]
        old_shape = None if self._frames is None else self._frames.shape
        same = data.frames is self._source or (self._source is not None and np.shape(self._source) == frames.shape
                                                and np.array_equal(self._source, frames))
        if not same:
            self._source = data.frames
            self._frames = frames_u8(frames)
            self.strip_item.setImage(film_strip(self._frames), autoLevels=False, levels=(0, 255))
            self.strip_item.setRect(QRectF(-0.5, 0.0, t, 1.0))
        if self._frames.shape != old_shape:
            self.index = 0
            self.image_item.setImage(self._frames[0], autoLevels=False, levels=(0, 255))
            self.image_item.setRect(QRectF(0, 0, w, h))
            self._heat_placed = False
            self.frame_box.setRange(QRectF(0, 0, w, h), padding=0)
            self.fit.set_ratio(w / h)
            gaps = np.repeat(np.arange(t + 1) - 0.5, 2)
            self.strip_gaps.setData(gaps, np.tile([0.0, 1.0], t + 1))
            self.strip.setRange(xRange=(-0.5, t - 0.5), yRange=(-0.38, 1.0), padding=0)
            self.slider.blockSignals(True)
            self.slider.setRange(0, t - 1)
            self.slider.blockSignals(False)
        self.index = min(self.index, t - 1)
        sampled = np.asarray(data.sampled, dtype=np.int64)
        self._segment = {int(i): k for k, i in enumerate(sampled.tolist())}
        self.sampled_marks.setData(x=sampled.astype(float), y=np.full(len(sampled), -0.2))
        x0, x1 = sampled - 0.42, sampled + 0.42             # inside the thumbnail, clear of the current outline
        nan = np.full(len(sampled), np.nan)
        xs = np.stack([x0, x1, x1, x0, x0, nan], axis=1).ravel()
        ys = np.tile([0.05, 0.05, 0.95, 0.95, 0.05, np.nan], len(sampled))
        self.sampled_frames.setData(xs, ys, connect="finite")
        self._draw_heat(data)
        self._draw_scores(data, sampled)
        if data.caption != self._caption_text:
            self._caption_text = str(data.caption)
            self._fit_caption()
        if data.fps != self._fps:
            self._fps = float(data.fps)
            self.timer.setInterval(max(1, int(round(1000.0 / self._fps))))
        self.show_frame(self.index)
        self._sync_timer()

    def _draw_heat(self, data: ClipData) -> None:
        if data.heat is None:
            self._heat = None
            self.heat_item.setVisible(False)
            self._show_colorbar(False)
            return
        self._heat = np.asarray(data.heat, dtype=np.float32)
        if data.heat_colormap != self._heat_cmap:
            self._heat_cmap = data.heat_colormap
            self.colorbar.setColorMap(colormap(data.heat_colormap))
            self.heat_item.setColorMap(colormap(data.heat_colormap))
        label = str(data.heat_label) or "heat map"
        if label != self._heat_label:                 # above the frame: a long label never fits along the bar
            self._heat_label = label
            self.heat_title.setText(html.escape(label, quote=False))
            self.heat_title.setToolTip(label)
        self.heat_item.setVisible(True)
        self._show_colorbar(True)

    def _show_colorbar(self, on: bool) -> None:
        if on == self._colorbar_shown:
            return
        self._colorbar_shown = on
        if on:
            self.top.addItem(self.heat_title, row=0, col=0, colspan=2)
            self.top.addItem(self.colorbar, row=1, col=1)
        else:
            self.top.removeItem(self.colorbar)
            self.top.removeItem(self.heat_title)
        self.colorbar.setVisible(on)
        self.heat_title.setVisible(on)

    def _draw_scores(self, data: ClipData, sampled: np.ndarray) -> None:
        shown = data.frame_scores is not None
        if shown != self._scores_shown:
            self._scores_shown = shown
            if shown:
                self.graphics.ci.addItem(self.scores, row=2, col=0)
            else:
                self.graphics.ci.removeItem(self.scores)
            self.scores.setVisible(shown)
            if shown:
                self.strip.hideAxis("bottom")
            else:
                self.strip.setLabel("bottom", "frame")
            self._fit_rows()
        if not shown:
            return
        scores = np.asarray(data.frame_scores, dtype=np.float64)
        x = np.arange(len(scores), dtype=float)
        self.score_curve.setData(x, scores)
        self.score_dots.setData(x=sampled.astype(float), y=scores[sampled])
        finite = scores[np.isfinite(scores)]
        if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            self.scores.setYRange(0.0, 1.0, padding=0.05)          # a probability or a share: fixed axis
        elif finite.size:
            self.scores.setYRange(float(finite.min()), float(finite.max()), padding=0.1)
        label = f"{data.score_label or 'score'} per frame"
        if label != self._score_title:
            self._score_title = label
            self.scores.setTitle(label, size="8pt")      # the theme escapes plot titles itself

    def _fit_rows(self) -> None:
        """Heights of the strip and score rows: fixed shares of the view's height within bounds, so the frame
        keeps most of the room in a small view."""
        height = max(self.graphics.height(), 1)
        strip = int(np.clip(0.12 * height, 30, STRIP_HEIGHT))
        if not self._scores_shown:
            strip += 34                                   # the strip carries the frame axis
        # at least about half of a small view stays for the frame (a 330 px cell of the 1280x800 window)
        scores = int(np.clip(0.2 * height, 64, SCORES_HEIGHT))
        self.strip.setMinimumHeight(strip)
        self.strip.setMaximumHeight(strip)
        self.scores.setMinimumHeight(scores)
        self.scores.setMaximumHeight(scores)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()
        self._fit_caption()

    def _fit_caption(self) -> None:
        lines = wrap_text(self._caption_text, self._text_metrics, max(self.graphics.width() - 20.0, 60.0),
                          CAPTION_LINES)
        text = "<br>".join(html.escape(line, quote=False) for line in lines)
        if text != self._caption_html:
            self._caption_html = text
            self.caption.setText(text)
            self.caption.setVisible(bool(text))
            self.graphics.setToolTip(self._caption_text if lines and lines != [self._caption_text] else "")

    # ---- playback ---------------------------------------------------------------------------------
    def show_frame(self, index: int) -> None:
        """Show frame ``index`` (wrapped into the clip): the frame, its heat map, the markers, the slider."""
        if self._frames is None:
            return
        t = self._frames.shape[0]
        self.index = int(index) % t
        self.image_item.setImage(self._frames[self.index], autoLevels=False, levels=(0, 255))
        if self._heat is not None:
            self.heat_item.setImage(self._heat[self.index], autoLevels=False, levels=(0.0, 1.0))
            if not self._heat_placed:       # an ImageItem scales its rect by its current image: set it after
                self._heat_placed = True
                h, w = self._heat.shape[1:]
                self.heat_item.setRect(QRectF(0, 0, w, h))
        i = float(self.index)
        self.current_box.setData([i - 0.5, i + 0.5, i + 0.5, i - 0.5, i - 0.5], [0.0, 0.0, 1.0, 1.0, 0.0])
        self.score_line.setValue(i)
        if self.slider.value() != self.index:
            self.slider.blockSignals(True)
            self.slider.setValue(self.index)
            self.slider.blockSignals(False)
        segment = self._segment.get(self.index)
        text = f"frame {self.index + 1} / {t}"
        self.counter.setText(text if segment is None else f"{text}  ·  segment {segment + 1}")

    def advance(self) -> None:
        """Show the next frame (the clip loops)."""
        self.show_frame(self.index + 1)

    def set_playing(self, on: bool) -> None:
        """Play (True) or pause (False) the clip."""
        self.playing = bool(on)
        self._update_button()
        self._sync_timer()

    def _scrubbed(self, value: int) -> None:
        self.show_frame(value)

    def _update_button(self) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if self.playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setToolTip("Pause the clip" if self.playing else "Play the clip")
        self.play_button.setText("Pause" if self.playing else "Play")

    def _wants_to_play(self) -> bool:
        return self.playing and self.frame_count > 1

    def reset_zoom(self) -> None:
        if self._frames is not None:
            h, w = self._frames.shape[1:3]
            self.frame_box.setRange(QRectF(0, 0, w, h), padding=0)
