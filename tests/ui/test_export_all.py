"""export_all writes the same files from the GUI's views and headless (the CLI's path)."""
import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from visualizer.core.export import ExportError
from visualizer.core.session import TrainingSession
from visualizer.ui.export_all import export_all
from tests.ui.fake_lessons import AllKindsLesson


def test_gui_and_headless_export_write_the_same_files(qtbot, make_view, tmp_path):
    view = make_view(AllKindsLesson)
    view.session.step(15)
    assert view.session.wait_idle(5)
    qtbot.waitUntil(lambda: view.session.latest_snapshot().step == 15)
    gui = export_all(view.session, tmp_path / "gui", view.views)
    cli = export_all(view.session, tmp_path / "cli")
    assert sorted(p.name for p in gui) == sorted(p.name for p in cli)
    assert len(gui) == 3 * len(AllKindsLesson.plots) + 1
    for p in gui:
        if p.suffix == ".csv":
            assert p.read_text() == (tmp_path / "cli" / p.name).read_text()
        elif p.suffix == ".png":
            assert not QImage(str(p)).isNull() and not QImage(str(tmp_path / "cli" / p.name)).isNull()
        elif p.suffix == ".svg":
            ET.parse(tmp_path / "cli" / p.name)


def test_headless_export_skips_plots_without_data(tmp_path, qapp):
    session = TrainingSession(AllKindsLesson, snapshots=False)
    try:
        session.step(3)
        assert session.wait_idle(5)
        paths = export_all(session, tmp_path)
    finally:
        assert session.stop()
    assert sorted(p.name for p in paths) == ["loss.csv", "loss.png", "loss.svg", "run.json"]
    rows = list(csv.reader((tmp_path / "loss.csv").open()))
    assert len(rows) == 4


def test_read_only_folder_raises_export_error(tmp_path, qapp, monkeypatch):
    session = TrainingSession(AllKindsLesson)
    try:
        session.step(2)
        assert session.wait_idle(5)
        def deny(*a, **k):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr("tempfile.mkstemp", deny)
        with pytest.raises(ExportError, match="read-only"):
            export_all(session, tmp_path)
    finally:
        assert session.stop()


def test_export_all_creates_its_own_offscreen_app_when_there_is_none(tmp_path):
    code = ("from visualizer.core.session import TrainingSession\n"
            "from tests.ui.fake_lessons import AllKindsLesson\n"
            "from visualizer.ui.export_all import export_all\n"
            "s = TrainingSession(AllKindsLesson)\n"
            "s.step(5); s.wait_idle(5); s.snapshot_now()\n"
            f"paths = export_all(s, {str(tmp_path)!r})\n"
            "s.stop()\n"
            "print(len(paths))\n")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.pop("DISPLAY", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == str(3 * len(AllKindsLesson.plots) + 1)
