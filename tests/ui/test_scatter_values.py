"""Points with values (the replay buffer coloured by max Q) are coloured through the colour map, with a colour
bar at the data's levels, in the scatter view and on an image."""
import numpy as np
import pytest

from visualizer.core.plotdata import ImageData, PlotSpec, ScatterData
from visualizer.ui.plots import make_plot_view
from visualizer.ui.plots.colormaps import colormap
from visualizer.ui.plots.image import VALUE_STEPS, brushes_for, value_brushes, value_levels


def shown(qtbot, spec):
    view = make_plot_view(spec)
    qtbot.addWidget(view)
    view.resize(560, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def replay(n=200, levels=None, values=None) -> ScatterData:
    rng = np.random.default_rng(0)
    pts = rng.standard_normal((n, 2)).astype(np.float32)
    v = (pts[:, 0] * 10 + 50).astype(np.float32) if values is None else values
    return ScatterData(pts, np.zeros(n, int), x_label="θ", y_label="θ'", values=v, colormap="viridis",
                       colorbar_label="max Q", levels=levels)


def test_brushes_come_from_the_colour_map_and_are_shared():
    brushes = brushes_for(np.array([0.0, 0.5, 1.0, np.nan, 7.0]), "viridis", (0.0, 1.0))
    cmap = colormap("viridis")
    assert brushes[0].color().name() == cmap.map(0.0, mode="qcolor").name()
    assert brushes[2].color().name() == cmap.map(1.0, mode="qcolor").name()
    assert brushes[4] is brushes[2]                        # above the levels: clipped, the same brush object
    assert brushes[3].color().name() == "#9e9e9e"          # NaN grey
    assert len(value_brushes("viridis")) == VALUE_STEPS + 1
    assert value_levels(np.array([3.0, np.nan, 1.0]), None) == (1.0, 3.0)
    assert value_levels(np.array([2.0, 2.0]), None) == (2.0, 3.0)


def test_scatter_view_colours_by_value_with_a_colour_bar(qtbot):
    view = shown(qtbot, PlotSpec("replay", "Replay buffer", "scatter"))
    data = replay(levels=(30.0, 70.0))
    view.set_data(data)
    assert view.colorbar.shown and view.colorbar.bar.isVisible()
    assert tuple(view.colorbar.bar.levels()) == (30.0, 70.0)
    assert view.colorbar.bar.getAxis("right").labelText == "max Q"
    assert view.overlay.point_count() == 200
    item = next(it for it in view.overlay.items.values() if it.isVisible())
    i = int(np.argmax(data.values))
    spot_brush = item.data["brush"][i]
    assert spot_brush is brushes_for(data.values[i:i + 1], "viridis", (30.0, 70.0))[0]
    assert not view.legend.isVisible()                     # no class legend: colour is the value
    view.set_data(ScatterData(data.points, data.labels))          # coloured by class again
    assert not view.colorbar.shown


def test_levels_follow_the_data_when_not_given(qtbot):
    view = shown(qtbot, PlotSpec("replay", "Replay buffer", "scatter"))
    data = replay()
    view.set_data(data)
    lo, hi = view.colorbar.bar.levels()
    assert lo == pytest.approx(float(data.values.min())) and hi == pytest.approx(float(data.values.max()))


def test_values_of_the_wrong_length_are_a_clear_error(qtbot):
    view = shown(qtbot, PlotSpec("replay", "Replay buffer", "scatter"))
    with pytest.raises(ValueError, match="one per point"):
        view.set_data(replay(values=np.zeros(3, np.float32)))


def test_image_overlay_points_coloured_by_value_get_their_own_bar(qtbot):
    view = shown(qtbot, PlotSpec("field", "Value slice", "image"))
    overlay = replay(n=30, levels=(0.0, 100.0))
    view.set_data(ImageData(np.zeros((5, 6), np.float32), levels=(0, 1), overlay=overlay))
    assert view.colorbar.isVisible() and view.overlay_bar.shown
    assert tuple(view.overlay_bar.bar.levels()) == (0.0, 100.0)
    view.set_data(ImageData(np.zeros((5, 6), np.float32)))
    assert not view.overlay_bar.shown
