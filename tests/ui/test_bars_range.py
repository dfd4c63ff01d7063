"""Bars of a bounded quantity (probabilities) keep the fixed y axis their spec gives; others follow the data."""
import numpy as np

from visualizer.core.plotdata import BarsData, PlotSpec
from visualizer.ui.plots import make_plot_view


def shown(qtbot, spec, data):
    view = make_plot_view(spec)
    qtbot.addWidget(view)
    view.resize(520, 380)
    view.show()
    view.set_data(data)
    qtbot.wait(5)
    return view.plot_item.getViewBox().viewRange()[1]


def test_probability_bars_have_a_fixed_axis(qtbot):
    low, high = shown(qtbot, PlotSpec("p", "p", "bars", y_range=(0.0, 1.0)), BarsData(["a", "b"], np.array([0.3, 0.1])))
    assert low <= 0.0 and 0.99 <= high <= 1.1


def test_bars_without_a_range_follow_the_data(qtbot):
    low, high = shown(qtbot, PlotSpec("p", "p", "bars"), BarsData(["a", "b"], np.array([0.3, 0.1])))
    assert high < 0.5
