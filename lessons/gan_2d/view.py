"""The GAN field view (plot kind ``gan_field``): D(x) as a heatmap, real and fake samples, the
generator's gradient arrows at the fakes, the generator manifold, and drawing a target with the mouse.

Every pyqtgraph item is created once; :meth:`GanFieldView._draw` only calls ``setImage``/``setData``
(the heatmap with fixed levels 0..1, all arrows in one ``connect="pairs"`` curve, the whole manifold
mesh in one ``connect="finite"`` curve).  Layer check boxes hide items in the view only.

Drawing: with **Draw** on, clicking or dragging on the plane adds points to a sketch (at most one per
0.04 units along a stroke).  When a stroke ends and the sketch has at least ``MIN_DRAWN`` points, the
view emits ``paramRequested("drawn_points", "x1,y1;x2,y2;...")`` and, if needed,
``paramRequested("target", "drawn")``; with fewer it says how many are missing.  **Clear**
empties the sketch (the lesson keeps its last accepted target until a new one is drawn).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QWidget

from lessons.gan_2d.field import GanFieldData
from lessons.gan_2d.targets import MAX_DRAWN, MIN_DRAWN, format_points
from visualizer.core.plotdata import PlotSpec
from visualizer.ui.plots.base import PlotView

FIELD_COLORMAP = pg.ColorMap(np.array([0.0, 0.5, 1.0]),
                             [pg.mkColor("#c9b3e6"), pg.mkColor("#ffffff"), pg.mkColor("#a9dcb4")])
REAL_COLOR = "#1b7a3e"
FAKE_COLOR = "#6a2c91"
ARROW_COLOR = "#303030"
ARROW_MAX = 0.35            # the longest arrow (data units) ...
ARROW_REF = 1.0             # ... approached as |∂ℓ/∂x| ≫ this; |g| = ARROW_REF gives half of it
DOT_SIZE = 4.5              # sample dots' diameter in pixels
STROKE_STEP = 0.04          # a dragged stroke adds a point every STROKE_STEP data units


def arrow_segments(origins: np.ndarray, vectors: np.ndarray, head: float = 0.06) -> np.ndarray:
    """Arrows as point pairs for one ``connect="pairs"`` curve: shaft and two head strokes.
    origins, vectors: (K, 2) -> (6K', 2), zero and non-finite vectors left out."""
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, 2)
    length = np.hypot(v[:, 0], v[:, 1])
    keep = np.isfinite(length) & (length > 1e-12) & np.all(np.isfinite(o), axis=1)
    o, v, length = o[keep], v[keep], length[keep]
    tip = o + v
    u = v / length[:, None]
    h = np.minimum(head, 0.4 * length)[:, None]
    c, s = math.cos(math.radians(150)), math.sin(math.radians(150))
    w1 = tip + h * np.stack([c * u[:, 0] - s * u[:, 1], s * u[:, 0] + c * u[:, 1]], axis=1)
    w2 = tip + h * np.stack([c * u[:, 0] + s * u[:, 1], -s * u[:, 0] + c * u[:, 1]], axis=1)
    return np.stack([o, tip, tip, w1, tip, w2], axis=1).reshape(-1, 2)


def scaled_arrows(gradients: np.ndarray) -> np.ndarray:
    """Arrow vectors (K, 2) for gradients (K, 2): same direction, length ARROW_MAX·|g|/(|g| + ARROW_REF),
    so a vanishing gradient draws a vanishing arrow while large ones stay on the map."""
    g = np.asarray(gradients, dtype=np.float64)
    n = np.hypot(g[:, 0], g[:, 1])[:, None]
    return g * (ARROW_MAX / (n + ARROW_REF))


def dot_segments(points: np.ndarray) -> np.ndarray:
    """Each point (N, 2) as a tiny segment (2N, 2) for a ``connect="pairs"`` curve drawn with a wide
    round-capped pen: a dot.  Non-finite points are left out."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    p = p[np.all(np.isfinite(p), axis=1)]
    return np.stack([p, p + (1e-4, 0.0)], axis=1).reshape(-1, 2)


def _dot_pen(color: str, size: float):
    pen = pg.mkPen(color, width=size)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def mesh_polyline(mesh: np.ndarray) -> np.ndarray:
    """The rows and columns of an (L, L, 2) mesh as one polyline with NaN breaks: (2L(L+1), 2)."""
    m = np.asarray(mesh, dtype=np.float64)
    gap = np.full((m.shape[0], 1, 2), np.nan)
    rows = np.concatenate([m, gap], axis=1).reshape(-1, 2)
    cols = np.concatenate([m.transpose(1, 0, 2), gap], axis=1).reshape(-1, 2)
    return np.concatenate([rows, cols])


class GanFieldView(PlotView):
    """A :class:`GanFieldData` on the plane, with layer check boxes and the drawing tool."""

    data_type = GanFieldData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(4, 0, 4, 0)
        row.setSpacing(6)
        self.layer_boxes: dict[str, QCheckBox] = {}
        for key, label, tip in (("heatmap", "D(x)", "The discriminator's output over the plane"),
                                ("real", "real", "Real samples (green)"),
                                ("fake", "fake", "Fake samples G(z) (purple)"),
                                ("arrows", "arrows", ("−∂L_G/∂x at the fakes: where the generator's loss "
                                                      "pushes them")),
                                ("mesh", "mesh", "The generator manifold: a grid of noise mapped through G")):
            box = QCheckBox(label)
            box.setChecked(True)
            box.setToolTip(tip)
            box.toggled.connect(self._apply_layers)
            row.addWidget(box)
            self.layer_boxes[key] = box
        row.addStretch(1)
        self.draw_button = QPushButton("Draw")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(f"Click or drag on the plane to draw your own target distribution "
                                    f"(at least {MIN_DRAWN} points; each stroke updates the target)")
        self.draw_button.toggled.connect(self._draw_mode_changed)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start a new sketch (the current target stays until you draw "
                                     f"{MIN_DRAWN} new points)")
        self.clear_button.clicked.connect(self.clear_drawing)
        row.addWidget(self.draw_button)
        row.addWidget(self.clear_button)
        self._layout.addWidget(bar)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        # a fixed height: the text changes every frame and must not make the window re-layout
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status.setStyleSheet("color: #444; padding-left: 4px;")
        self._layout.addWidget(self.status)

        self.graphics = self._adopt(pg.PlotWidget())
        self.plot_item = self.graphics.getPlotItem()
        self._quiet_plot_item(self.plot_item)
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.setAspectLocked(True)
        self.plot_item.setLabel("bottom", spec.x_label or "x₁")
        self.plot_item.setLabel("left", spec.y_label or "x₂")
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setZValue(-20)
        self.plot_item.addItem(self.heatmap)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=FIELD_COLORMAP, interactive=False,
                                        width=12, label="D(x)")
        self.colorbar.setImageItem(self.heatmap, insert_in=self.plot_item)
        self.mesh = pg.PlotCurveItem(connect="finite", pen=pg.mkPen((90, 90, 90, 110), width=1))
        self.mesh.setZValue(-5)
        self.plot_item.addItem(self.mesh)
        # Samples as round-capped zero-length segments of one curve each: a ScatterPlotItem's setData
        # costs ~10× more per frame (a Python record per spot), which halved the frame rate.
        # (not antialiased: round dots need no smoothing, and it is much cheaper to paint)
        self.real = pg.PlotCurveItem(connect="pairs", pen=_dot_pen(REAL_COLOR, DOT_SIZE), antialias=False)
        self.fake = pg.PlotCurveItem(connect="pairs", pen=_dot_pen(FAKE_COLOR, DOT_SIZE), antialias=False)
        self.real.setZValue(2)
        self.fake.setZValue(3)
        self.plot_item.addItem(self.real)
        self.plot_item.addItem(self.fake)
        self.arrows = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(ARROW_COLOR, width=1))
        self.arrows.setZValue(4)
        self.plot_item.addItem(self.arrows)
        self.sketch = pg.ScatterPlotItem(size=7, symbol="x", pen=pg.mkPen("#e8710a", width=1.5),
                                         brush=pg.mkBrush("#e8710a"))
        self.sketch.setZValue(10)
        self.plot_item.addItem(self.sketch)
        self._extent: tuple[float, float, float, float] | None = None
        self._rect_key: tuple | None = None
        self._sketch: list[tuple[float, float]] = []
        self._stroking = False
        self.graphics.viewport().installEventFilter(self)

    # ---- drawing the data --------------------------------------------------------------------------
    def _draw(self, data: GanFieldData) -> None:
        x0, x1, y0, y1 = data.extent
        h, w = data.heatmap.shape
        self.heatmap.setImage(data.heatmap, autoLevels=False, levels=(0.0, 1.0))
        key = (tuple(data.extent), h, w)
        if key != self._rect_key:              # setRect scales by the image's size: after setImage
            self._rect_key = key
            dx, dy = (x1 - x0) / max(w - 1, 1), (y1 - y0) / max(h - 1, 1)
            self.heatmap.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy))
            self._extent = (x0, x1, y0, y1)
            self.reset_zoom()
        self._set_dots(self.real, data.real)
        self._set_dots(self.fake, data.fake)
        seg = arrow_segments(data.arrows_from, scaled_arrows(data.arrows))
        if len(seg):
            self.arrows.setData(seg[:, 0], seg[:, 1])
        else:
            self.arrows.setData([], [])
        line = mesh_polyline(data.mesh)
        self.mesh.setData(line[:, 0], line[:, 1])
        if not self.draw_button.isChecked():
            self.status.setText(f"{data.target} · step {data.step} · mean |∂L_G/∂x| {data.g_grad:.3g}")
            self.status.setToolTip(f"Target: {data.description}. Generator loss: {data.g_loss}. The arrows "
                                   "show −∂ℓ/∂x at the fakes; their length grows with |∂ℓ/∂x| and "
                                   "saturates.")

    @staticmethod
    def _set_dots(item: pg.PlotCurveItem, points: np.ndarray) -> None:
        d = dot_segments(points)
        item.setData(d[:, 0], d[:, 1]) if len(d) else item.setData([], [])

    def _apply_layers(self) -> None:
        items = {"heatmap": self.heatmap, "real": self.real, "fake": self.fake, "arrows": self.arrows,
                 "mesh": self.mesh}
        for key, box in self.layer_boxes.items():
            items[key].setVisible(box.isChecked())

    def reset_zoom(self) -> None:
        """Show the whole plane."""
        if self._extent is not None:
            x0, x1, y0, y1 = self._extent
            self.plot_item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)

    # ---- drawing a target --------------------------------------------------------------------------
    @property
    def sketch_points(self) -> np.ndarray:
        """The sketch so far, (K, 2)."""
        return np.array(self._sketch, dtype=np.float64).reshape(-1, 2)

    def _draw_mode_changed(self, on: bool) -> None:
        self.plot_item.vb.setMouseEnabled(x=not on, y=not on)
        self.graphics.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if on and not self._sketch and self._data is not None and len(self._data.drawn):
            self._sketch = [tuple(map(float, p)) for p in self._data.drawn]      # continue the drawing in use
            self._show_sketch()
        if on:
            self._hint()
        else:
            self.sketch.setData([], [])
            if self._data is not None:
                self._draw(self._data)

    def _show_sketch(self) -> None:
        pts = self.sketch_points
        self.sketch.setData(pos=pts) if len(pts) else self.sketch.setData([], [])

    def _hint(self) -> None:
        n = len(self._sketch)
        if n < MIN_DRAWN:
            self.status.setText(f"Drawing: {n} point{'s' if n != 1 else ''} — click or drag to add at least "
                                f"{MIN_DRAWN - n} more (the target changes when a stroke ends with "
                                f"{MIN_DRAWN} or more).")
        else:
            self.status.setText(f"Drawing: {n} points in use as the target. Keep drawing to add, "
                                "'Clear' to start over, 'Draw' again to stop.")

    def add_point(self, x: float, y: float, force: bool = True) -> bool:
        """Add (x, y) to the sketch (clipped to the plane); unless ``force``, only if it lies at least
        STROKE_STEP from the last point.  Returns True if added."""
        if self._extent is not None:
            x0, x1, y0, y1 = self._extent
            x, y = min(max(x, x0), x1), min(max(y, y0), y1)
        if len(self._sketch) >= MAX_DRAWN:
            return False
        if not force and self._sketch:
            lx, ly = self._sketch[-1]
            if math.hypot(x - lx, y - ly) < STROKE_STEP:
                return False
        self._sketch.append((float(x), float(y)))
        self._show_sketch()
        return True

    def finish_stroke(self) -> bool:
        """End of a stroke: emit the sketch as the target if it has at least MIN_DRAWN points.
        Returns True if it was emitted."""
        self._stroking = False
        if len(self._sketch) < MIN_DRAWN:
            self._hint()
            return False
        self.paramRequested.emit("drawn_points", format_points(self.sketch_points))
        if self._data is None or self._data.target != "drawn":
            self.paramRequested.emit("target", "drawn")
        self._hint()
        return True

    def clear_drawing(self) -> None:
        """Empty the sketch (the lesson's target is unchanged)."""
        self._sketch = []
        self._show_sketch()
        if self.draw_button.isChecked():
            self._hint()

    def _to_data(self, pos) -> QPointF:
        return self.plot_item.vb.mapSceneToView(self.graphics.mapToScene(pos.toPoint()))

    def eventFilter(self, obj, event) -> bool:
        if obj is not self.graphics.viewport() or not self.draw_button.isChecked():
            return super().eventFilter(obj, event)
        t = event.type()
        if t == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            p = self._to_data(event.position())
            self._stroking = True
            self.add_point(p.x(), p.y(), force=True)
            self._hint()
            return True
        if t == QEvent.Type.MouseMove and self._stroking:
            p = self._to_data(event.position())
            if self.add_point(p.x(), p.y(), force=False):
                self._hint()
            return True
        if t == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton and self._stroking:
            self.finish_stroke()
            return True
        return super().eventFilter(obj, event)


PLOT_VIEWS = {"gan_field": GanFieldView}
