"""The optimizers lesson's race view: draws RaceData from a real lesson, uploads the surface once,
toggles arrows, marks diverged optimizers, emits paramRequested when the start target is dragged,
and exports CSV and PNG."""
import numpy as np
from PySide6.QtGui import QImage

from lessons.optimizers.lesson import LESSON, OPTIMIZERS
from lessons.optimizers.view import PLOT_VIEWS, RaceView, arrow_segments
from visualizer.ui.plots import make_plot_view

SPEC = next(p for p in LESSON.plots if p.id == "race")


def lesson(**values):
    return LESSON(LESSON.hyperparameters(values))


def make(qtbot):
    view = make_plot_view(SPEC, LESSON)
    assert isinstance(view, RaceView) and PLOT_VIEWS["race"] is RaceView
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    return view


def test_view_draws_paths_points_and_arrows_uploading_the_surface_once(qtbot, monkeypatch):
    view = make(qtbot)
    race = lesson()
    for _ in range(5):
        race.train_step(race.trainer.last_step + 1)
    uploads = []
    original = view.image_item.setImage
    monkeypatch.setattr(view.image_item, "setImage", lambda *a, **k: (uploads.append(1), original(*a, **k)))
    view.set_data(race.snapshot()["race"])
    assert uploads                                              # (pyqtgraph re-enters setImage for its levels)
    uploads.clear()
    for _ in range(3):
        race.train_step(race.trainer.last_step + 1)
        view.set_data(race.snapshot()["race"])
    assert view.draw_count == 4 and uploads == []               # the image only when the surface changes
    assert view.image_item.image.shape == race.map.image.shape
    for name in OPTIMIZERS:
        x, y = view.paths[name].getData()
        assert len(x) == 9 and np.allclose((x[0], y[0]), (-7.0, 2.0))
        assert len(view.update_arrows[name].getData()[0]) == 6     # one arrow: shaft and two head strokes
        assert (len(view.ellipses[name].getData()[0]) > 0) == (name in ("adagrad", "rmsprop", "adam"))
    assert len(view.grad_arrows.getData()[0]) == 6 * 6
    assert len(view.heads.data) == 6
    assert len(view.contour_item.getData()[0]) == len(race.map.contours)
    assert (view.start_target.pos().x(), view.start_target.pos().y()) == (-7.0, 2.0)

    race.set_live("show_arrows", False)
    view.set_data(race.snapshot()["race"])
    assert len(view.grad_arrows.getData()[0]) == 0
    assert all(len(view.update_arrows[n].getData()[0]) == 0 for n in OPTIMIZERS)


def test_diverged_optimizer_is_marked_and_a_new_surface_is_uploaded(qtbot):
    view = make(qtbot)
    race = lesson(lr_sgd=1.2)
    for _ in range(60):
        race.train_step(race.trainer.last_step + 1)
    data = race.snapshot()["race"]
    assert data.diverged == ("sgd",)
    view.set_data(data)
    assert view.diverged_labels["sgd"].isVisible() and not view.diverged_labels["adam"].isVisible()
    assert "diverged" in view.legend.getLabel(view.paths["sgd"]).text
    other = lesson(surface="rosenbrock", start_x=-1.5, start_y=2.5).snapshot()["race"]
    view.set_data(other)
    assert view.image_item.image.shape == other.image.shape
    assert "Rosenbrock" in view.plot_item.titleLabel.text
    vr = view.plot_item.vb.viewRange()
    assert vr[0][0] <= -2.0 and vr[0][1] >= 2.0 and vr[1][0] <= -1.0 and vr[1][1] >= 3.0


def test_dragging_the_start_target_requests_start_x_and_start_y(qtbot):
    view = make(qtbot)
    view.set_data(lesson().snapshot()["race"])
    requested = []
    view.paramRequested.connect(lambda name, value: requested.append((name, value)))
    with qtbot.waitSignal(view.paramRequested, timeout=1000):
        view.start_target.setPos(3.21234, -1.5)
        view.start_target.sigPositionChangeFinished.emit(view.start_target)    # what a finished drag emits
    assert requested == [("start_x", 3.212), ("start_y", -1.5)]
    view.set_data(lesson().snapshot()["race"])                  # an old snapshot: the target waits
    assert (view.start_target.pos().x(), view.start_target.pos().y()) == (3.212, -1.5)
    view.request_start(40.0, -0.1234)                           # clipped to the parameter range
    assert requested[-2:] == [("start_x", 10.0), ("start_y", -0.123)]


def test_export_csv_and_png(qtbot, tmp_path):
    view = make(qtbot)
    race = lesson()
    for _ in range(4):
        race.train_step(race.trainer.last_step + 1)
    view.set_data(race.snapshot()["race"])
    view.export("csv", tmp_path / "race.csv")
    lines = (tmp_path / "race.csv").read_text().splitlines()
    assert lines[0] == "optimizer,step,x,y,f" and len(lines) == 1 + 6 * 5
    assert lines[1].startswith("sgd,0,-7.0,2.0,")
    view.export("png", tmp_path / "race.png")
    img = QImage(str(tmp_path / "race.png"))
    assert not img.isNull() and img.width() >= 700


def test_arrow_segments_shaft_and_head():
    seg = arrow_segments(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [0.0, 0.0]]), head=0.5)
    assert seg.shape == (6, 2)                                  # the zero vector is left out
    assert np.allclose(seg[0], (0, 0)) and np.allclose(seg[1], (2, 0))
    assert np.all(seg[3:6:2, 0] < 2.0) and np.allclose(np.hypot(*(seg[3] - seg[2])), 0.5)
