"""The lesson's two one-off image grids (Qt): feature maps whose tiles choose the filter, and heat-map overlays
with a colour bar."""
from __future__ import annotations

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


PLOT_VIEWS = {"activation_grid": ActivationGridView, "overlay_grid": OverlayGridView}
