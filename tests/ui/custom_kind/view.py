"""The custom plot view of the 'dial' kind."""
from PySide6.QtWidgets import QLabel

from visualizer.ui.plots.base import PlotView


class DialView(PlotView):
    def __init__(self, spec, parent=None):
        super().__init__(spec, parent)
        self.label = QLabel("dial")
        self._layout.addWidget(self.label)

    def _draw(self, data):
        self.label.setText(str(data))


PLOT_VIEWS = {"dial": DialView}
