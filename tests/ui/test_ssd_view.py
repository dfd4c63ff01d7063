"""The ssd lesson's probe view: the shared picture with box drawing bound to ``probe_box``; a drag emits the
box, the lesson answers with the nearest default boxes, and the view draws and exports that answer."""
import pytest

torch = pytest.importorskip("torch")

from lessons.ssd.lesson import LESSON
from lessons.ssd.view import PLOT_VIEWS, ProbeBoxView
from visualizer.ui.app import configure_pyqtgraph


def test_drawing_a_box_asks_the_lesson_and_shows_its_answer(qtbot, tmp_path):
    configure_pyqtgraph()
    assert PLOT_VIEWS == {"ssd_probe": ProbeBoxView}
    spec = next(p for p in LESSON.plots if p.id == "probe")
    view = ProbeBoxView(spec)
    qtbot.addWidget(view)
    view.resize(600, 560)
    view.show()
    qtbot.waitExposed(view)
    les = LESSON(LESSON.hyperparameters({"train_scenes": 16, "batch_size": 4}))
    view.set_data(les.snapshot()["probe"])
    with qtbot.waitSignal(view.paramRequested) as sig:
        view.drag_box(10, 12, 40, 50)
    assert sig.args == ["probe_box", "10.0,12.0,40.0,50.0"]
    les.set_live(*sig.args)
    answer = les.snapshot()["probe"]
    view.set_data(answer)
    assert view.draw_count == 2 and answer.box_labels[0] == "your box"
    for fmt in ("png", "svg", "csv"):
        view.export(fmt, tmp_path / f"probe.{fmt}")
        assert (tmp_path / f"probe.{fmt}").stat().st_size > 100
    les.close()
