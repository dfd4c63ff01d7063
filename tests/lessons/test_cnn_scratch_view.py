"""The conv_explainer view of lesson cnn_scratch draws a real explanation and exports it."""
import numpy as np
import pytest

from lessons.cnn_scratch.explainer import ConvExplainerData, explain_convolution, kernel_preset, pattern
from visualizer.core.plotdata import PlotSpec

pytest.importorskip("pytestqt")


def test_explainer_view_draws_window_products_and_output(qtbot, tmp_path):
    from lessons.cnn_scratch.view import ConvExplainerView

    view = ConvExplainerView(PlotSpec("explainer", "Convolution explainer", "conv_explainer"))
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    e = explain_convolution(pattern(), kernel_preset("edge_vertical", 3), 2, 1, 8)
    view.set_data(ConvExplainerData(e, "pattern ⊛ edge vertical 3×3"))
    assert (e.row, e.col) == (1, 2)
    r = view.window_rect.rect()
    assert (r.x(), r.y(), r.width(), r.height()) == (4.0, 2.0, 3.0, 3.0)       # (col·S, row·S, K, K)
    assert view.pad_rect.isVisible()
    assert len(view.products.numbers.labels) == 9
    assert "⌊(12 + 2·1 − 3) / 2⌋ + 1 = 6" in view.text.text()
    assert f"Σ = {e.value:.3f}" in view.products.title.text
    shown = view.output.image.image
    assert np.isnan(shown).sum() == 36 - 9 and shown[1, 2] == pytest.approx(e.value)
    view.export_png(tmp_path / "explainer.png")
    view.export_csv(tmp_path / "explainer.csv")
    assert (tmp_path / "explainer.png").stat().st_size > 1000
    assert (tmp_path / "explainer.csv").read_text().splitlines()[10].startswith("sum,1,2")
