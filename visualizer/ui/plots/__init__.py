"""Plot widgets, one module per plot kind, and :func:`make_plot_view` that picks one for a spec.

A lesson may add kinds (or replace a built-in one) with an optional ``view.py`` next to its
``__init__.py`` that defines ``PLOT_VIEWS = {"kind": PlotViewSubclass}``; it is imported only when
the lesson's plots are built, so the lesson's model stays Qt-free.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

from visualizer.core.plotdata import PlotSpec
from visualizer.ui.plots.bars import BarsView
from visualizer.ui.plots.base import MissingKindView, PlotView
from visualizer.ui.plots.curves import CurvesView
from visualizer.ui.plots.image import ImageView
from visualizer.ui.plots.image_grid import ImageGridView
from visualizer.ui.plots.matrix import MatrixView
from visualizer.ui.plots.network import NetworkView
from visualizer.ui.plots.scatter import ScatterView

PLOT_VIEWS: dict[str, type[PlotView]] = {
    "curves": CurvesView,
    "image": ImageView,
    "image_grid": ImageGridView,
    "matrix": MatrixView,
    "bars": BarsView,
    "scatter": ScatterView,
    "network": NetworkView,
}


def lesson_plot_views(lesson_cls) -> dict[str, type[PlotView]]:
    """``PLOT_VIEWS`` from the ``view`` module next to the lesson's package, or {} if it has none."""
    if lesson_cls is None:
        return {}
    module = sys.modules.get(lesson_cls.__module__)
    package = getattr(module, "__package__", None) or lesson_cls.__module__.rpartition(".")[0]
    if not package:
        return {}
    name = f"{package}.view"
    try:
        if importlib.util.find_spec(name) is None:
            return {}
    except (ImportError, ValueError):
        return {}
    return dict(getattr(importlib.import_module(name), "PLOT_VIEWS", {}))


def make_plot_view(spec: PlotSpec, lesson_cls=None, parent=None) -> PlotView:
    """A new view for ``spec``: the lesson's own view for its kind if it registers one, else the
    built-in one, else a placeholder that names the missing kind (and still exports CSV)."""
    cls = lesson_plot_views(lesson_cls).get(spec.kind) or PLOT_VIEWS.get(spec.kind) or MissingKindView
    return cls(spec, parent)


__all__ = ["PLOT_VIEWS", "PlotView", "make_plot_view", "lesson_plot_views", "CurvesView", "ImageView",
           "ImageGridView", "MatrixView", "BarsView", "ScatterView", "NetworkView", "MissingKindView"]
