"""The lesson's one-off views: a feature-map click chooses the filter, a bar click the class, overlays keep their
colour bar."""
import numpy as np
import pytest

pytest.importorskip("torch")

from lessons.interpretability.specs import PLOTS  # noqa: E402
from lessons.interpretability.view import ActivationGridView, ClassBarsView, OverlayGridView  # noqa: E402
from visualizer.core.plotdata import BarsData, ImageGridData  # noqa: E402

SPECS = {p.id: p for p in PLOTS}


def test_clicking_a_feature_map_asks_for_its_channel(qtbot):
    view = ActivationGridView(SPECS["activations"])
    qtbot.addWidget(view)
    view.set_data(ImageGridData(np.random.rand(6, 5, 5).astype(np.float32), [str(i) for i in range(6)], (0, 1)))
    with qtbot.waitSignal(view.paramRequested) as sig:
        view.open_tile(4)
    assert sig.args == ["channel", 4]
    assert view.enlarged is None                      # it chooses the filter instead of enlarging the tile
    with pytest.raises(IndexError):
        view.open_tile(6)


def test_clicking_a_bar_asks_to_explain_that_class(qtbot):
    view = ClassBarsView(SPECS["probabilities"])
    qtbot.addWidget(view)
    view.set_data(BarsData(["star", "ring", "cross"], np.array([0.7, 0.2, 0.1])))
    with qtbot.waitSignal(view.paramRequested) as sig:
        assert view.request_class(1) == "ring"
    assert sig.args == ["target_class", "ring"]
    assert view.request_class(3) is None


def test_heat_map_overlays_keep_their_colour_bar(qtbot):
    view = OverlayGridView(SPECS["class_maps"])
    qtbot.addWidget(view)
    view.set_data(ImageGridData(np.random.rand(3, 8, 8, 3).astype(np.float32), ["a", "b", "c"], (0, 1), "inferno"))
    assert view.rgb and view.colorbar.isVisible()
