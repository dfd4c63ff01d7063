"""Plot widgets: ONE view class per plot data class, and :func:`make_plot_view` that picks one for a spec.

Each view declares the data class it draws (``PlotView.data_type``) and is registered once with
:func:`register_view`, the way napari maps a layer type to its visual: a spec's kind names a data class
(:data:`visualizer.core.plotdata.PLOT_KINDS`), the data class names its view, and a subclass of a data
class is drawn by its parent's view unless it has one of its own.

A lesson's one-off picture (a GAN's field, the optimizer race) is a kind of its own: the optional
``view.py`` next to the lesson's ``__init__.py`` defines ``PLOT_VIEWS = {"kind": PlotViewSubclass}``.  It is
imported only when the lesson's plots are built, so the lesson's model stays Qt-free, and it cannot
replace the view of a shared kind.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

from visualizer.core.plotdata import PLOT_KINDS, PlotSpec
from visualizer.ui.plots.annotated_image import AnnotatedImageView
from visualizer.ui.plots.attention import AttentionView, HighlightedTextView
from visualizer.ui.plots.bars import BarsView
from visualizer.ui.plots.base import MissingKindView, PlotView
from visualizer.ui.plots.clip import ClipView
from visualizer.ui.plots.curves import CurvesView
from visualizer.ui.plots.environment import EnvironmentView
from visualizer.ui.plots.image import ImageView
from visualizer.ui.plots.image_grid import ImageGridView
from visualizer.ui.plots.matrix import MatrixView
from visualizer.ui.plots.network import NetworkView
from visualizer.ui.plots.predictions import PredictionsView
from visualizer.ui.plots.scatter import ScatterView
from visualizer.ui.plots.table import TableView
from visualizer.ui.plots.text import TextView
from visualizer.ui.plots.word_map import WordMapView

DATA_VIEWS: dict[type, type[PlotView]] = {}
"""Plot data class -> the one view class that draws it (filled by :func:`register_view`)."""


def register_view(view_cls: type[PlotView]) -> type[PlotView]:
    """Make ``view_cls`` the view of its ``data_type``; returns it (usable as a class decorator).

    Raises TypeError if ``data_type`` is not one class, ValueError if another view already draws it."""
    data_type = view_cls.data_type
    if not isinstance(data_type, type):
        raise TypeError(f"{view_cls.__name__}.data_type must be one data class to be registered, not {data_type!r}")
    existing = DATA_VIEWS.get(data_type)
    if existing is not None and existing is not view_cls:
        raise ValueError(f"{data_type.__name__} is already drawn by {existing.__name__}: one view per data class")
    DATA_VIEWS[data_type] = view_cls
    return view_cls


for _view in (CurvesView, ImageView, ImageGridView, MatrixView, BarsView, ScatterView, NetworkView, TableView,
              TextView, PredictionsView, WordMapView, AnnotatedImageView, AttentionView,
              HighlightedTextView, ClipView, EnvironmentView):
    register_view(_view)


def view_for(data_type: type) -> type[PlotView] | None:
    """The view of ``data_type``, or of its nearest registered base class; None if there is none."""
    for t in data_type.__mro__:
        if t in DATA_VIEWS:
            return DATA_VIEWS[t]
    return None


def kind_view(kind: str) -> type[PlotView] | None:
    """The shared view of a plot kind (a key of ``PLOT_KINDS``), or None for a lesson's own kind."""
    data_type = PLOT_KINDS.get(kind)
    return None if data_type is None else view_for(data_type)


def lesson_plot_views(lesson_cls) -> dict[str, type[PlotView]]:
    """``PLOT_VIEWS`` of the ``view`` module in the lesson's package, or {} if the package has none.

    Raises ValueError if it names a shared kind (those have one view, :data:`DATA_VIEWS`)."""
    if lesson_cls is None:
        return {}
    package = sys.modules[lesson_cls.__module__].__package__
    if not package:
        return {}
    name = f"{package}.view"
    try:
        if importlib.util.find_spec(name) is None:
            return {}
    except (ImportError, ValueError):
        return {}
    views = dict(importlib.import_module(name).PLOT_VIEWS)
    shared = sorted(set(views) & set(PLOT_KINDS))
    if shared:
        raise ValueError(f"{name}.PLOT_VIEWS names shared plot kinds {shared}: their views are in "
                         "visualizer.ui.plots; give a one-off picture a kind of its own")
    return views


def make_plot_view(spec: PlotSpec, lesson_cls=None, parent=None) -> PlotView:
    """A new view for ``spec``: the shared view of its kind's data class, else the lesson's own view for
    its kind, else a placeholder that names the missing kind (and still exports CSV)."""
    cls = kind_view(spec.kind) or lesson_plot_views(lesson_cls).get(spec.kind) or MissingKindView
    return cls(spec, parent)


__all__ = ["DATA_VIEWS", "PlotView", "register_view", "view_for", "kind_view", "make_plot_view",
           "lesson_plot_views", "CurvesView", "ImageView", "ImageGridView", "MatrixView", "BarsView", "ScatterView",
           "NetworkView", "TableView", "TextView", "PredictionsView", "WordMapView", "AnnotatedImageView",
           "AttentionView", "HighlightedTextView", "ClipView", "EnvironmentView", "MissingKindView"]
