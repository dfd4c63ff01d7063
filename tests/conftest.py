"""Test setup: Qt runs offscreen; no test opens a real window."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.pop("DLVIS_TRAINING", None)     # the UI tests exercise the app's default: training in a process

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_model_shelf(tmp_path_factory, monkeypatch):
    """Every test gets its own model shelf: a lesson that publishes its network (cnn_scratch at evaluation)
    never writes into the user's cache, and none reads another test's model."""
    monkeypatch.setenv("DLVIS_SHELF_DIR", str(tmp_path_factory.mktemp("shelf")))
