"""The SAGAN attention view: clicking a pixel asks for attention_pixel, clicking a sample for attention_sample."""
import numpy as np
from PySide6.QtCore import QPointF, Qt

from lessons.sagan.lesson import AttentionPixelData, SaganLesson
from lessons.sagan.view import AttentionPixelView


class FakeClick:
    def __init__(self, pos):
        self._pos = pos

    def button(self):
        return Qt.MouseButton.LeftButton

    def scenePos(self):
        return self._pos


def _data():
    rng = np.random.default_rng(0)
    samples = rng.uniform(-1, 1, (16, 16, 16)).astype(np.float32)
    att = rng.uniform(0, 1, (8, 8)).astype(np.float32)
    return AttentionPixelData(samples[2], att / att.sum(), 5 * 16 + 6, 2, samples, 0.1)


def test_clicks_set_the_params(qtbot):
    spec = next(p for p in SaganLesson.plots if p.id == "attention")
    view = AttentionPixelView(spec)
    qtbot.addWidget(view)
    view.resize(700, 360)
    view.show()
    view.set_data(_data())
    qtbot.wait(50)
    pos = view.image_box.mapViewToScene(QPointF(9.5, 3.5))               # column 9, row 3
    with qtbot.waitSignal(view.paramRequested) as blocker:
        view._clicked(FakeClick(pos))
    assert blocker.args == ["attention_pixel", 3 * 16 + 9]
    pos = view.samples_box.mapViewToScene(QPointF(18 + 8, 2 * 18 + 8))   # tile row 2, column 1
    with qtbot.waitSignal(view.paramRequested) as blocker:
        view._clicked(FakeClick(pos))
    assert blocker.args == ["attention_sample", 2 * 4 + 1]
    assert view.table()[1][0][:2] == [2, 5 * 16 + 6]
