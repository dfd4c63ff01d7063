"""The ``ssd`` lesson's one-off view (plot kind ``ssd_probe``): the shared picture of a detection
(:class:`~visualizer.ui.plots.annotated_image.AnnotatedImageView`) on which a left drag draws a box; on release
the view asks for ``probe_box = "x0,y0,x1,y1"`` (image pixels) and the lesson answers with the default boxes of
highest IoU with it, IoU written on each."""
from __future__ import annotations

from visualizer.ui.plots.annotated_image import AnnotatedImageView


class ProbeBoxView(AnnotatedImageView):
    """An AnnotatedImageView with box drawing on, bound to the lesson's ``probe_box`` setting."""

    def __init__(self, spec, parent=None) -> None:
        super().__init__(spec, parent)
        self.enable_box_drawing("probe_box")


PLOT_VIEWS = {"ssd_probe": ProbeBoxView}
