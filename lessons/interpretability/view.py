"""The lesson's one-off views (Qt): feature maps whose tiles choose the filter, heat-map overlays with a colour
bar, and class probabilities whose bars choose the class the maps explain."""
from __future__ import annotations

from PySide6.QtCore import Qt

from visualizer.ui.plots.bars import BarsView
from visualizer.ui.plots.colormaps import colormap
from visualizer.ui.plots.image_grid import ImageGridView


class ActivationGridView(ImageGridView):
    """An ImageGridData of a layer's feature maps: a click on a tile asks for that channel
    (``paramRequested("channel", index)``), which makes the filter view climb towards its pattern."""

    def open_tile(self, index: int):
        if self._tiles is None or not 0 <= index < len(self._tiles):
            raise IndexError(f"plot '{self.spec.id}' has no tile {index}")
        self.paramRequested.emit("channel", int(index))
        return None


class OverlayGridView(ImageGridView):
    """An ImageGridData of colour tiles that are heat maps laid over an image: the colour bar stays, showing the
    heat map's colour map from 0 to its maximum (``data.colormap``, levels 0..1)."""

    def _draw(self, data) -> None:
        super()._draw(data)
        if self.rgb:
            self.colorbar.setColorMap(colormap(data.colormap))
            self._cmap_name = data.colormap
            self.colorbar.setLevels((0.0, 1.0))
            self.colorbar.setVisible(True)


class ClassBarsView(BarsView):
    """A BarsData of class probabilities: a click on a bar asks to explain that class
    (``paramRequested("target_class", name)``)."""

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)

    def request_class(self, index: int) -> str | None:
        """Ask for the class of bar ``index``; returns its name (None when there is no such bar)."""
        labels = list(getattr(self, "_labels", []))
        if not 0 <= index < len(labels):
            return None
        self.paramRequested.emit("target_class", str(labels[index]))
        return str(labels[index])

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot_item.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        self.request_class(int(round(vb.mapSceneToView(event.scenePos()).x())))


PLOT_VIEWS = {"activation_grid": ActivationGridView, "overlay_grid": OverlayGridView, "class_bars": ClassBarsView}
