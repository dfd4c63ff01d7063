"""The gan_2d field view: draws a snapshot with items created once, exports, and turns mouse strokes
into the drawn target through paramRequested."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from lessons.gan_2d.field import N_ARROWS
from lessons.gan_2d.lesson import Gan2D
from lessons.gan_2d.targets import MIN_DRAWN, parse_points
from lessons.gan_2d.view import (
    PLOT_VIEWS,
    GanFieldView,
    arrow_segments,
    mesh_polyline,
    scaled_arrows,
)
from visualizer.ui.app import configure_pyqtgraph


@pytest.fixture
def field_view(qtbot):
    configure_pyqtgraph()
    spec = next(p for p in Gan2D.plots if p.id == "field")
    view = GanFieldView(spec)
    qtbot.addWidget(view)
    view.resize(700, 650)
    view.show()
    qtbot.waitExposed(view)
    return view


def snapshot(**values):
    les = Gan2D(Gan2D.hyperparameters(values))
    for step in range(1, 4):
        les.train_step(step)
    return les.snapshot()["field"]


def test_registered():
    assert PLOT_VIEWS == {"gan_field": GanFieldView}


def test_helpers():
    seg = arrow_segments(np.zeros((3, 2)), np.array([[1.0, 0], [0, 0], [np.nan, 1]]))
    assert seg.shape == (6, 2) and np.allclose(seg[1], [1, 0])
    a = scaled_arrows(np.array([[3.0, 4.0], [1e-6, 0.0]]))
    assert np.hypot(*a[0]) == pytest.approx(0.35 * 5 / 6) and np.hypot(*a[1]) < 1e-6
    line = mesh_polyline(np.zeros((4, 4, 2)))
    assert line.shape == (2 * 4 * 5, 2) and np.isnan(line[4]).all()


def test_draws_every_layer_and_exports(field_view, tmp_path):
    data = snapshot()
    items_before = list(field_view.plot_item.items)
    field_view.set_data(data)
    field_view.set_data(snapshot(seed=1))
    assert field_view.draw_count == 2
    assert list(field_view.plot_item.items) == items_before        # no item is created per frame
    assert field_view.heatmap.image.shape == data.heatmap.shape
    r = field_view.heatmap.mapRectToParent(field_view.heatmap.boundingRect())     # covers the plane
    half = 4.0 / (data.heatmap.shape[1] - 1) / 2
    assert (r.left(), r.right(), r.top(), r.bottom()) == pytest.approx((-2 - half, 2 + half, -2 - half, 2 + half))
    assert field_view.heatmap.levels is not None and tuple(field_view.heatmap.levels) == (0.0, 1.0)
    assert len(field_view.real.getData()[0]) == 2 * len(data.real)
    assert len(field_view.fake.getData()[0]) == 2 * len(data.fake)
    xs, _ys = field_view.arrows.getData()
    assert len(xs) == 6 * N_ARROWS
    assert "step 3" in field_view.status.text()
    field_view.layer_boxes["mesh"].setChecked(False)
    assert not field_view.mesh.isVisible()
    field_view.export("svg", tmp_path / "f.svg")
    assert any(el.tag.endswith("path") for el in ET.parse(tmp_path / "f.svg").getroot().iter())
    field_view.export("csv", tmp_path / "f.csv")
    assert len((tmp_path / "f.csv").read_text().splitlines()) > 2000
    field_view.export("png", tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_drawing_emits_the_target(field_view, qtbot):
    field_view.set_data(snapshot())
    requests = []
    field_view.paramRequested.connect(lambda n, v: requests.append((n, v)))
    field_view.draw_button.setChecked(True)
    assert not field_view.plot_item.vb.state["mouseEnabled"][0]     # no panning while drawing
    vp = field_view.graphics.viewport()
    center = vp.rect().center()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=center)      # one point: too few
    assert len(field_view.sketch_points) == 1 and requests == []
    assert f"{MIN_DRAWN - 1} more" in field_view.status.text()
    p = field_view.sketch_points[0]
    assert abs(p[0]) < 0.3 and abs(p[1]) < 0.3                     # the centre of the plane
    # a stroke: points at least STROKE_STEP apart along it, emitted when it ends
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=center + QPoint(-150, 60))
    for dx in range(-150, 151, 10):
        qtbot.mouseMove(vp, center + QPoint(dx, 60))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=center + QPoint(150, 60))
    pts = field_view.sketch_points
    assert len(pts) >= MIN_DRAWN
    assert [n for n, _v in requests] == ["drawn_points", "target"] and requests[1][1] == "drawn"
    np.testing.assert_allclose(parse_points(requests[0][1]), pts, atol=0.006)
    assert np.ptp(pts[1:, 0]) > 1.0 and np.ptp(pts[1:, 1]) < 0.05   # a horizontal stroke below the centre
    assert pts[1, 1] < p[1]
    field_view.clear_drawing()
    assert len(field_view.sketch_points) == 0 and len(requests) == 2   # clearing keeps the target
    field_view.draw_button.setChecked(False)
    assert field_view.plot_item.vb.state["mouseEnabled"][0]


def test_drawing_continues_the_target_in_use(field_view):
    data = snapshot(target="drawn", drawn_points=";".join(f"{x:.2f},0.5" for x in np.linspace(-1, 1, 12)))
    field_view.set_data(data)
    requests = []
    field_view.paramRequested.connect(lambda n, v: requests.append((n, v)))
    field_view.draw_button.setChecked(True)
    assert len(field_view.sketch_points) == 12
    field_view.add_point(0.0, -1.0)
    assert field_view.finish_stroke()
    assert [n for n, _v in requests] == ["drawn_points"]              # already the drawn target
    assert len(parse_points(requests[0][1])) == 13
