"""Test setup: Qt runs offscreen; no test opens a real window."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.pop("DLVIS_TRAINING", None)     # the UI tests exercise the app's default: training in a process
