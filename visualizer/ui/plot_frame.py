"""A plot in a titled frame with an Export button (PNG, SVG, CSV, copy)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from visualizer.ui.plots.base import EXPORT_FORMATS, PlotView


class PlotFrame(QFrame):
    """Frame around one :class:`PlotView`: title (tooltip from the spec) and an export menu button."""

    def __init__(self, view: PlotView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setObjectName("plotFrame")
        self.setStyleSheet("#plotFrame { background: palette(base); border: 1px solid palette(mid); "
                           "border-radius: 6px; }")      # palette roles: the theme's colours
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(2)
        head = QHBoxLayout()
        self.title = QLabel(view.spec.title)
        self.title.setStyleSheet("font-weight: bold; color: palette(text);")
        if view.spec.tooltip:
            self.title.setToolTip(view.spec.tooltip)
        head.addWidget(self.title, 1)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save this plot as PNG, SVG or CSV, or copy it")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.menu = QMenu(self.export_button)
        for fmt in EXPORT_FORMATS:
            self.menu.addAction(f"{fmt.upper()}…", lambda f=fmt: view.export_interactively(f))
        self.menu.addAction("Copy to clipboard", view.copy_interactively)
        self.export_button.setMenu(self.menu)
        head.addWidget(self.export_button)
        layout.addLayout(head)
        layout.addWidget(view, 1)
        self.setMinimumHeight(300)
