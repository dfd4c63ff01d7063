"""The conv_explainer view of lesson cnn_scratch: a window that slides on its own timer, filling the output
cell by cell, with its own Play/Step/Reset, speed and settings (view settings), and exports."""
import numpy as np
import pytest

from lessons.cnn_scratch import explainer
from lessons.cnn_scratch.explainer import kernel_preset
from visualizer.core.plotdata import PlotSpec

pytest.importorskip("pytestqt")

SPEC = PlotSpec("explainer", "Convolution explainer", "conv_explainer")


def material():
    rng = np.random.default_rng(1)
    return explainer.explainer_data(rng.random((1, 8, 8)), "validation image 0 (a 7)",
                                    rng.normal(size=(4, 1, 3, 3)), rng.normal(size=4))


def naive(image, kernel, stride, pad):
    x = np.pad(image, pad)
    k = kernel.shape[0]
    n = (image.shape[0] + 2 * pad - k) // stride + 1
    return np.array([[np.sum(x[i * stride:i * stride + k, j * stride:j * stride + k] * kernel) for j in range(n)]
                     for i in range(n)])


@pytest.fixture
def view(qtbot):
    from lessons.cnn_scratch.view import ConvExplainerView

    v = ConvExplainerView(SPEC)
    qtbot.addWidget(v)
    v.resize(900, 560)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_steps_fill_the_output_and_move_the_window(view, tmp_path):
    view.apply_view_settings({"input": "pattern", "stride": 2, "padding": 1})
    view.set_data(material())
    assert view.slide.filled == 0 and np.isnan(view.output.image.image).all()
    assert "Press Play or Step" in view.dot.text()
    for _ in range(9):
        view.step_button.click()
    e = view.explanation
    assert (e.row, e.col) == (1, 2) and e.filled == 9
    r = view.window_rect.rect()
    assert (r.x(), r.y(), r.width(), r.height()) == (4.0, 2.0, 3.0, 3.0)       # (col·S, row·S, K, K)
    c = view.cell_rect.rect()
    assert (c.x(), c.y()) == (2.0, 1.0) and view.cell_rect.isVisible()
    assert view.pad_rect.isVisible()
    shown = view.output.image.image
    ref = naive(explainer.pattern(), kernel_preset("edge_vertical", 3), 2, 1)
    assert np.isnan(shown).sum() == 36 - 9
    np.testing.assert_allclose(shown[0], ref[0], atol=1e-6)                        # row 0 and y[1, 0..2]
    np.testing.assert_allclose(shown[1, :3], ref[1, :3], atol=1e-6)
    assert f"y[1, 2] = sum of 9 products = {e.total:.2f} + bias 0.00 = {e.value:.2f}" == view.dot.text()
    assert "⌊(12 + 2·1 − 3) / 2⌋ + 1 = 6" in view.text.text()
    assert f"Σ = {e.total:.2f}" in view.products.title.text
    assert "output 6×6: 9/36" in view.output.title.text
    assert len(view.products.numbers.labels) == 9
    view.reset_button.click()
    assert view.slide.filled == 0 and np.isnan(view.output.image.image).all()
    view.step()
    view.export_png(tmp_path / "explainer.png")
    view.export_csv(tmp_path / "explainer.csv")
    assert (tmp_path / "explainer.png").stat().st_size > 1000
    lines = (tmp_path / "explainer.csv").read_text().splitlines()
    assert lines[11].startswith("value,0,0") and len(lines) == 1 + 9 + 2 + 1        # one output cell so far


def test_play_slides_on_its_own_timer_until_the_map_is_full(view, qtbot):
    view.set_data(material())
    view.apply_view_settings({"input": "pattern", "stride": 4, "padding": 0, "speed": 32})   # 3×3 output
    assert view.slide.cells == 9
    view.play_button.click()
    assert view.playing and "Pause" in view.play_button.text()
    qtbot.waitUntil(lambda: 0 < view.slide.filled < 9, timeout=2000)
    qtbot.waitUntil(lambda: not view.playing, timeout=3000)                        # stops when full
    assert view.slide.filled == 9 and np.isfinite(view.output.image.image).all()
    assert "Play" in view.play_button.text() and not view.play_button.isChecked()
    view.play()                                                                    # Play on a full map: again
    assert view.slide.filled == 0 and view.playing
    view.pause()
    view.speed_box.setCurrentIndex(0)
    assert view.speed == 1


def test_new_data_keeps_the_window_and_uses_the_new_learned_filter(view):
    view.apply_view_settings({"input": "digit", "kernel": "learned", "filter": 2})
    data = material()
    view.set_data(data)
    for _ in range(4):
        view.step()
    assert view.explanation.bias == pytest.approx(data.biases[2])
    trained = material()
    trained.filters = trained.filters * 2.0
    view.set_data(trained)                                                         # the network trained on
    assert view.slide.filled == 4
    np.testing.assert_allclose(view.explanation.kernel, data.filters[2] * 2.0)
    assert "learned filter 2 of conv 1" in view.text.text()
    assert not view.size_box.isEnabled() and view.filter_box.isEnabled()


def test_controls_change_the_picture_and_refuse_impossible_kernels(view, qtbot):
    view.set_data(material())
    view.stride_box.setValue(2)
    assert view.slide.settings.stride == 2 and view.explanation.output.shape == (3, 3)
    view.padding_box.setValue(0)
    view.stride_box.setValue(1)
    with qtbot.waitSignal(view.message) as blocker:
        view.size_box.setValue(9)                                                  # 9 > 8 + 2·0
    assert blocker.args[0] == "info" and "larger than the padded input" in blocker.args[1]   # no banner
    assert view.size_box.value() == 3 and view.slide.settings.size == 3
    assert "Refused: The explainer cannot convolve" in view.text.text()
    view.padding_box.setValue(1)
    assert "Refused" not in view.text.text()
    view.padding_box.setValue(0)
    view.kernel_box.setCurrentIndex(view.kernel_box.findData("blur"))
    assert view.slide.settings.kernel == "blur"
    with pytest.raises(KeyError):
        view.apply_view_settings({"explain_padding": 1})
    with pytest.raises(ValueError):
        view.apply_view_settings({"speed": 1000})


def test_the_wheel_changes_an_explainer_box_only_when_it_has_the_focus(view, qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view.set_data(material())
    box = view.stride_box
    view.setFocus()
    before = box.value()
    pos = QPointF(box.width() / 2, box.height() / 2)
    event = QWheelEvent(pos, box.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(box, event)
    assert box.value() == before and view.slide.settings.stride == before


def test_panels_stand_in_a_row_when_the_plot_is_wide(view, qtbot):
    view.resize(1400, 420)
    qtbot.waitUntil(lambda: view._columns == 4)
    view.resize(480, 640)
    qtbot.waitUntil(lambda: view._columns == 2)
    assert view.minimumSizeHint().width() <= 420
