"""Every registered lesson opens in the window, trains, takes a live and a structural change, resets,
exports, and closes without leaking threads, training processes or windows."""
import multiprocessing
import threading
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from visualizer.core import registry
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.ui.main_window import MainWindow
from visualizer.ui.plots import CurvesView

LESSONS = registry.infos()         # metadata only: the window imports each lesson when it opens it


def other_value(spec, current):
    """A valid value different from ``current`` (None if the spec has only one)."""
    if isinstance(spec, BoolParam):
        return not current
    if isinstance(spec, ChoiceParam):
        return next((c for c in spec.choices if c != current), None)
    if isinstance(spec, IntParam):
        return current + 1 if current < spec.high else current - 1
    if isinstance(spec, FloatParam):
        v = current * 0.5 if spec.log else (current + spec.low + spec.high) / 2
        return v if spec.low <= v <= spec.high and v != current else None
    return None


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_lesson_smoke(qtbot, settings, tmp_path, lesson_id):
    baseline = threading.active_count()
    window = MainWindow(lessons=LESSONS, lesson_id=lesson_id, settings=settings)
    qtbot.addWidget(window)
    window.resize(1500, 1000)
    window.show()
    view = window.view
    assert view is not None, f"the lesson did not open: {window.load_errors}"
    qtbot.waitUntil(lambda: view.builds >= 1, timeout=90_000)      # pspnet, ssd: 25-30 s on 2 cores
    cls = view.lesson_cls
    view.session.step(12)
    assert view.session.wait_idle(60)
    live = next(s for s in cls.params if s.live and s.name not in cls.view_params        # view settings: no marker
                and other_value(s, view.session.hp[s.name]) is not None)
    assert view.apply_param(live.name, other_value(live, view.session.hp[live.name]))
    structural = next(s for s in cls.params if not s.live and isinstance(s, (IntParam, BoolParam, ChoiceParam))
                      and s.name not in ("dataset", "csv_path") and other_value(s, view.session.hp[s.name]) is not None)
    view.session.step(3)
    assert view.session.wait_idle(60)
    shown = tuple(view.visible_plots())
    view.set_visible_plots(None)          # a first step may show no curve (cnn_scratch: the explainer alone)
    qtbot.waitUntil(lambda: any(v.markers for v in view.views.values() if isinstance(v, CurvesView)), timeout=5000)
    view.set_visible_plots(shown)
    assert view.apply_param(structural.name, other_value(structural, view.session.hp[structural.name]))
    assert view.panel.pending_bar.isVisible()
    view.reset()
    qtbot.waitUntil(lambda: view.builds >= 2, timeout=90_000)
    assert not view.messages.texts() or all("Cannot build" not in t for t in view.messages.texts())
    view.session.step(8)
    assert view.session.wait_idle(60)
    qtbot.waitUntil(lambda: view.session.latest_snapshot().step == 8, timeout=10_000)
    shown = [pid for pid in view.visible_plots()]
    for pid in shown:
        view.plot_scroll.ensureWidgetVisible(view.frames[pid])
        qtbot.waitUntil(lambda: view.views[pid].has_data, timeout=5000)
    paths = view.export_all(tmp_path)
    assert paths and not view.error_panel.isVisible(), (view.messages.texts(), view.error_panel.isVisible())
    for p in paths:
        if p.suffix == ".png":
            assert not QImage(str(p)).isNull()
        elif p.suffix == ".svg":
            assert any(el.tag.endswith("path") for el in ET.parse(p).getroot().iter())
        elif p.suffix == ".csv":
            assert len(p.read_text().splitlines()) > 1
    view.session.save_checkpoint(tmp_path / "weights.npz")
    qtbot.waitUntil(lambda: any("Checkpoint saved" in t for t in view.messages.texts()), timeout=10_000)
    data = (tmp_path / "weights.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    view.session.load_checkpoint(tmp_path / "cut.npz")
    qtbot.waitUntil(lambda: any("Could not load the checkpoint" in t for t in view.messages.texts()), timeout=10_000)
    view.session.load_checkpoint(tmp_path / "weights.npz")
    qtbot.waitUntil(lambda: any("Checkpoint loaded" in t for t in view.messages.texts()), timeout=10_000)
    assert view.training == "process" and view.session.alive        # the app's default: a training process
    window.close()
    assert not view.session.alive
    assert multiprocessing.active_children() == []
    qtbot.waitUntil(lambda: threading.active_count() == baseline, timeout=2000)
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []
