"""Qt views: main window, lesson browser, lesson view, controls, plots and export.  The only package
that imports PySide6, pyqtgraph and superqt."""
from visualizer.ui.qt_compat import protect_none

protect_none()      # PySide6 6.12.0 on Python 3.11 leaks references to None; see qt_compat.py
