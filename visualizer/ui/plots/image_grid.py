"""Small images in a grid with captions (first-layer weights, misclassified samples, colour photos); a
click on a tile opens it large (:class:`TileDialog`), as TF Playground and CNN Explainer do."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from visualizer.core.plotdata import ImageGridData, PlotSpec
from visualizer.ui.plots.base import PlotView
from visualizer.ui.plots.colormaps import colormap
from visualizer.ui.plots.labels import Label, LabelsItem

CAPTION_COLOR = "#202124"
ENLARGE_HINT = "Click a tile to see it large."


def caption_lines(text: str) -> str:
    """Captions such as "pred 3 / true 5" go on two lines so they fit under a small tile."""
    return "\n".join(part.strip() for part in str(text).split(" / "))


def grid_shape(n: int, ncols: int = 0) -> tuple[int, int]:
    """(rows, cols) for ``n`` tiles: ``ncols`` if given, else a near-square grid."""
    cols = ncols if ncols > 0 else max(1, math.ceil(math.sqrt(n)))
    return max(1, math.ceil(n / cols)), cols


def rgba_from_rgb(rgb: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Colour values (H, W, 3) float -> (H, W, 4) uint8 for an ImageItem: each channel mapped linearly
    from ``levels`` (low, high) to 0..255 and clipped, +Inf full, NaN and -Inf dark; alpha 0 (not
    drawn) where all three channels are NaN (the gaps between tiles), else 255."""
    lo, hi = levels
    with np.errstate(invalid="ignore", over="ignore"):
        t = (rgb.astype(np.float64) - lo) / (hi - lo)
    t = np.clip(np.nan_to_num(t, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    out = np.empty(rgb.shape[:2] + (4,), np.uint8)
    out[..., :3] = np.rint(t * 255.0)
    out[..., 3] = np.where(np.isnan(rgb).all(axis=2), 0, 255)
    return out


BAR_END_PX = 7      # room above and below the grid for half a line of the colour bar's end labels (1.0, 0)


def aspect_margins(margins: tuple[float, float], box_w: float, box_h: float, ratio: float) -> tuple[float, float]:
    """Extra (horizontal, vertical) margins, in pixels, that give a view box of ``box_w`` × ``box_h`` pixels
    (drawn with the extra ``margins`` already taken off) the width/height ``ratio`` of its picture, so an
    aspect-locked picture fills its box; the other margin is 0."""
    aw, ah = box_w + margins[0], box_h + margins[1]
    if ratio <= 0 or aw <= 1 or ah <= 1:
        return margins
    return (aw - ah * ratio, 0.0) if aw / ah > ratio else (0.0, ah - aw / ratio)


def show_picture(view, picture: np.ndarray, rgb: bool, levels: tuple[float, float], colormap_name) -> None:
    """Show ``picture`` in ``view`` (an image or image-grid view with ``image_item``, ``rgb_item``,
    ``colorbar``, ``rgb`` and ``_cmap_name``): grey values (H, W) through the colormap and colour bar at
    ``levels``, or colour (H, W, 3) mapped by :func:`rgba_from_rgb` with the colour bar hidden."""
    if rgb:
        view.rgb_item.setImage(rgba_from_rgb(picture, levels), autoLevels=False)
    else:
        view.image_item.setImage(picture, autoLevels=False, levels=levels)
        if colormap_name != view._cmap_name:
            view._cmap_name = colormap_name
            view.colorbar.setColorMap(colormap(colormap_name))
        view.colorbar.setLevels(levels)
    if rgb != view.rgb:
        view.rgb = rgb
        view.rgb_item.setVisible(rgb)
        view.image_item.setVisible(not rgb)
        view.colorbar.setVisible(not rgb)



class TileDialog(QDialog):
    """One tile of an image grid, large: its caption above it, square pixels, the grid's colour map and
    levels with a colour bar (none for colour tiles).  It follows the grid live: each redraw of the grid
    shows the same tile (by index) of the new data, so a filter or a sample can be watched as it trains.
    Non-modal; closing it only hides it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Tool, True)
        self.resize(460, 500)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.caption = QLabel()
        self.caption.setStyleSheet("font-weight: bold; color: #202124;")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        layout.addWidget(self.graphics, 1)
        self.note = QLabel("Updates live while the model trains.")
        self.note.setStyleSheet("color: #5f6368;")
        layout.addWidget(self.note)
        self.view_box = self.graphics.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view_box.addItem(self.image_item)
        self.rgb_item = pg.ImageItem(axisOrder="row-major")
        self.rgb_item.setVisible(False)
        self.view_box.addItem(self.rgb_item)
        self.rgb = False
        self._cmap_name = "gray"
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap("gray"), interactive=False, width=14)
        self.colorbar.setImageItem(self.image_item)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.index = -1
        self.tile: np.ndarray | None = None

    def show_tile(self, title: str, index: int, tile: np.ndarray, caption: str, levels: tuple[float, float],
                  colormap_name: str) -> None:
        """Show ``tile`` (H, W) or (H, W, 3), number ``index`` of the grid ``title``, with its caption."""
        self.index = index
        self.tile = np.array(tile, dtype=np.float32)
        rgb = self.tile.ndim == 3
        show_picture(self, self.tile, rgb, levels, colormap_name)
        h, w = self.tile.shape[:2]
        (self.rgb_item if rgb else self.image_item).setRect(QRectF(0, 0, w, h))
        self.view_box.setRange(QRectF(0, 0, w, h), padding=0.02)
        text = caption_lines(caption).replace("\n", " · ") if caption else ""
        self.setWindowTitle(f"{title}: tile {index + 1}")
        self.caption.setText(f"{title}, tile {index + 1}" + (f": {text}" if text else ""))


class ImageGridView(PlotView):
    """An :class:`ImageGridData`: the (N, H, W) tiles are laid out in one mosaic image (row 0 of
    each tile at the top, as in a photo), NaN between tiles, one colour bar, and each tile's caption
    under it in its caption colour (e.g. red for a wrong prediction).  Colour tiles (N, H, W, 3) go
    into a second image item as RGBA, and the colour bar is hidden while they are shown.  A click on a
    tile opens it large in ``enlarged`` (a :class:`TileDialog`, following the data live)."""

    data_type = ImageGridData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.graphics = self._adopt(pg.GraphicsLayoutWidget())
        self.graphics.ci.layout.setContentsMargins(2, BAR_END_PX, 2, BAR_END_PX)
        self.view_box = self.graphics.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view_box.addItem(self.image_item)
        self.rgb_item = pg.ImageItem(axisOrder="row-major")          # colour tiles; no colour bar
        self.rgb_item.setVisible(False)
        self.view_box.addItem(self.rgb_item)
        self.rgb = False                                             # colour tiles on show
        self._cmap_name = "gray"
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap("gray"), interactive=False, width=12)
        self.colorbar.setImageItem(self.image_item)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.captions = LabelsItem(point_size=7.5, anchor=(0.5, 0.0))
        self.view_box.addItem(self.captions)
        self._layout_key: tuple | None = None
        self.tile_origins: list[tuple[float, float]] = []     # (x, y) of each tile's top-left corner
        self.captions_fit = True
        self._pitch_x = 1.0
        self.view_box.sigResized.connect(lambda *_: self._fit_captions())
        self._range: QRectF | None = None               # the mosaic's range (with its padding)
        self._margins = (0.0, 0.0)
        self.view_box.sigResized.connect(lambda *_: self._fit_aspect())
        self._tiles: np.ndarray | None = None          # the tiles last drawn, (N, H, W[, 3])
        self._levels: tuple[float, float] = (0.0, 1.0)
        self._captions: list[str] = []
        self._colormap = "gray"
        self.enlarged: TileDialog | None = None
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.setToolTip(f"{spec.tooltip} {ENLARGE_HINT}".strip())

    def _draw(self, data: ImageGridData) -> None:
        images = np.asarray(data.images, dtype=np.float32)
        rgb = images.ndim == 4 and images.shape[3] == 3
        if images.ndim != 3 and not rgb:
            raise ValueError(f"plot '{self.spec.id}': ImageGridData.images must be (N, H, W) or (N, H, W, 3), "
                             f"got {images.shape}")
        n, h, w = images.shape[:3]
        rows, cols = grid_shape(n, data.ncols)
        has_captions = any(str(c) for c in data.captions)
        pad = max(1, round(0.12 * max(h, w)))
        lines = max((caption_lines(c).count("\n") + 1 for c in data.captions), default=1) if has_captions else 0
        cap = max(2, round(0.4 * h * lines)) if has_captions else 0
        pitch_x = w + pad
        captioned = [any(str(c) for c in data.captions[r * cols:(r + 1) * cols]) for r in range(rows)]
        row_y = np.cumsum([0] + [h + pad + (cap if captioned[r] else 0) for r in range(rows)])   # a row's top
        mosaic = np.full((int(row_y[-1]), cols * pitch_x) + images.shape[3:], np.nan, dtype=np.float32)
        self.tile_origins = []
        for i in range(n):
            r, c = divmod(i, cols)
            y0, x0 = int(row_y[r]), c * pitch_x              # only rows with a caption leave room for it
            mosaic[y0:y0 + h, x0:x0 + w] = images[i]
            self.tile_origins.append((float(x0), float(y0)))
        if data.levels is not None:
            lo, hi = float(data.levels[0]), float(data.levels[1])
        elif rgb:
            lo, hi = 0.0, 1.0
        elif n:
            lo, hi = float(np.nanmin(images)), float(np.nanmax(images))
        else:
            lo, hi = 0.0, 1.0
        if not hi > lo:
            hi = lo + 1.0
        show_picture(self, mosaic, rgb, (lo, hi), data.colormap)
        key = (n, h, w, rows, cols, cap, rgb, tuple(captioned))
        if key != self._layout_key:          # an ImageItem scales its rect by its current image: set it after
            self._layout_key = key
            item = self.rgb_item if rgb else self.image_item
            item.setRect(QRectF(0, 0, mosaic.shape[1], mosaic.shape[0]))
            self._range = QRectF(-pad, -pad, mosaic.shape[1] + pad, mosaic.shape[0] + pad)
            self.view_box.setRange(self._range, padding=0)
            self._fit_aspect()
        self._pitch_x = float(pitch_x)
        self._draw_captions(data, n, h, w, has_captions)
        self._fit_captions()
        self._tiles, self._levels, self._colormap = images, (lo, hi), data.colormap
        self._captions = [str(c) for c in data.captions]
        if self.enlarged is not None and self.enlarged.isVisible() and 0 <= self.enlarged.index < n:
            self.open_tile(self.enlarged.index)                     # the enlarged tile follows live

    def _fit_aspect(self) -> None:
        """Margins around the grid's layout that give the view box the mosaic's shape: the tiles fill it
        and the colour bar stands next to them, not at the far edge of the plot."""
        if self._range is None:
            return
        self.graphics.ci.layout.activate()     # lay out the last margins first: the box must already exclude them
        box = self.view_box.geometry()
        margins = aspect_margins(self._margins, box.width(), box.height(), self._range.width() / self._range.height())
        if abs(margins[0] - self._margins[0]) < 1 and abs(margins[1] - self._margins[1]) < 1:
            return
        self._margins = margins
        self.graphics.ci.layout.setContentsMargins(margins[0] / 2 + 1, margins[1] / 2 + BAR_END_PX,
                                                   margins[0] / 2 + 1, margins[1] / 2 + BAR_END_PX)
        self.view_box.setRange(self._range, padding=0)

    def tile_at(self, x: float, y: float) -> int | None:
        """The index of the tile under the point (x, y) in the mosaic's coordinates, or None."""
        if self._tiles is None:
            return None
        h, w = self._tiles.shape[1:3]
        for i, (x0, y0) in enumerate(self.tile_origins):
            if x0 <= x < x0 + w and y0 <= y < y0 + h:
                return i
        return None

    def open_tile(self, index: int) -> TileDialog:
        """Show tile ``index`` large (in :attr:`enlarged`, created on first use).  Raises IndexError if the
        grid has no such tile."""
        if self._tiles is None or not 0 <= index < len(self._tiles):
            raise IndexError(f"plot '{self.spec.id}' has no tile {index}")
        if self.enlarged is None:
            self.enlarged = TileDialog(self)
        caption = self._captions[index] if index < len(self._captions) else ""
        self.enlarged.show_tile(self.spec.title, index, self._tiles[index], caption, self._levels, self._colormap)
        if not self.enlarged.isVisible():
            self.enlarged.show()
        return self.enlarged

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = event.scenePos()
        if not self.view_box.sceneBoundingRect().contains(pos):
            return
        p = self.view_box.mapSceneToView(pos)
        index = self.tile_at(p.x(), p.y())
        if index is not None:
            self.open_tile(index)

    def _fit_captions(self) -> None:
        """Hide the captions when the tiles are drawn narrower than their text (e.g. 64 weight tiles
        in a small frame): overlapping labels help nobody.  They come back when there is room."""
        if not self.captions.labels:
            return
        pixel_w = self.view_box.viewPixelSize()[0]
        tile_px = self._pitch_x / pixel_w if pixel_w > 0 else 0.0
        self.captions_fit = self.captions.max_text_width() <= 1.1 * tile_px
        self.captions.setVisible(self.captions_fit)

    def _draw_captions(self, data: ImageGridData, n: int, h: int, w: int, has_captions: bool) -> None:
        labels = []
        if has_captions:
            for i in range(n):
                text = caption_lines(data.captions[i]) if i < len(data.captions) else ""
                color = (data.caption_colors[i] if i < len(data.caption_colors) and data.caption_colors[i]
                         else CAPTION_COLOR)
                x0, y0 = self.tile_origins[i]
                labels.append(Label(x0 + w / 2, y0 + h + 0.05 * h, text, color))
        self.captions.set_labels(labels)

    def reset_zoom(self) -> None:
        self.view_box.autoRange(padding=0.02)
