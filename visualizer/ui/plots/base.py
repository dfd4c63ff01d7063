"""The base class of every plot widget: data in, pixels out, and export to PNG, SVG, CSV and the clipboard.

A :class:`PlotView` shows one :class:`~visualizer.core.plotdata.PlotSpec`.  The lesson view calls
:meth:`PlotView.set_data` from its redraw timer with the latest data (a ``CurvesData`` built from the
metric history for curves, the snapshot's data class otherwise); subclasses create their pyqtgraph
items once and only update them in :meth:`PlotView._draw`.

Export never goes through pyqtgraph's exporters for SVG (pyqtgraph 0.14's SVGExporter fails with
current PySide6, pyqtgraph issue 3485): the widget is painted into a ``QSvgGenerator``, which keeps
lines and text as vector paths, and :mod:`visualizer.ui.svg_export` rewrites Qt's dialect as plain SVG
that librsvg, browsers and Inkscape draw alike.  Every file is written atomically through
:func:`visualizer.core.export.atomic_write`, so errors arrive as ``ExportError`` with a user-readable
message and never leave half-written files.  An exported picture (PNG, SVG, clipboard) carries a title
line above the plot: the plot's title and the lesson's, so a picture shown elsewhere says what it is.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QPoint, QRect, QSize, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QLabel, QMenu, QVBoxLayout, QWidget

from visualizer.core.export import ExportError, atomic_write, write_csv
from visualizer.core.plotdata import PlotSpec, Table
from visualizer.ui.plots.axes import install_fitted_items
from visualizer.ui.svg_export import standardize_svg
from visualizer.ui.window_settings import folder

EXPORT_FORMATS = {"png": "PNG image (*.png)", "svg": "SVG vector image (*.svg)", "csv": "CSV table (*.csv)"}
TITLE_MARGIN = 6                # pixels around the title line of an exported picture


class PlotView(QWidget):
    """One plot: ``set_data(data)`` draws it; export methods write what is drawn.

    spec: the plot's declaration.  Signals: ``message(kind, text)`` with kind ``"info"`` or
    ``"error"`` after an interactive export or copy, for the lesson view's message bar;
    ``paramRequested(name, value)`` when the user sets a lesson hyperparameter by interacting with the
    plot (dragging a start point, clicking a pixel): the lesson view applies it as if its control
    had been moved.
    Subclasses set ``data_type`` (the expected data class) and implement ``_draw``.
    """

    message = Signal(str, str)
    paramRequested = Signal(str, object)
    data_type: ClassVar[type | tuple[type, ...] | None] = None

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._data = None
        self.draw_count = 0                 # how many times set_data redrew this view
        self.settings: QSettings | None = None   # where the last export folder is kept (default QSettings())
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.setMinimumSize(260, 200)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_context_menu)
        if spec.tooltip:
            self.setToolTip(spec.tooltip)

    # ---- data -------------------------------------------------------------------------------------
    @property
    def has_data(self) -> bool:
        """True once data has been drawn."""
        return self._data is not None

    @property
    def data(self):
        """The data last drawn (a plotdata class), or None."""
        return self._data

    def set_data(self, data) -> None:
        """Draw ``data``.  Raises TypeError if it is not the data class this kind of plot shows."""
        if self.data_type is not None and not isinstance(data, self.data_type):
            expected = (self.data_type.__name__ if isinstance(self.data_type, type)
                        else " or ".join(t.__name__ for t in self.data_type))
            raise TypeError(f"plot '{self.spec.id}' ({self.spec.kind}) expects {expected}, "
                            f"got {type(data).__name__}")
        self._draw(data)
        self._data = data
        self.draw_count += 1

    def _draw(self, data) -> None:
        raise NotImplementedError

    def table(self) -> Table | None:
        """The drawn data as a CSV table (header, rows), or None before any data."""
        return None if self._data is None else self._data.table()

    # ---- pyqtgraph helpers for subclasses ---------------------------------------------------------
    def _adopt(self, graphics: pg.GraphicsView) -> pg.GraphicsView:
        """Put a pyqtgraph widget in this view and route its right-click menu to ours
        (pyqtgraph's own menu offers its broken SVG exporter)."""
        graphics.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        graphics.customContextMenuRequested.connect(
            lambda pos: self._show_context_menu(graphics.mapTo(self, pos)))
        graphics.scene().contextMenu = []
        self._layout.addWidget(graphics)
        return graphics

    @staticmethod
    def _quiet_plot_item(item: pg.PlotItem) -> None:
        """Set up a new plot item: fitted axes and title (escaped, elided with a tooltip, tick labels that never
        overlap, readable log ticks; :mod:`visualizer.ui.plots.axes`), no pyqtgraph menu or buttons, a light
        grid and cached axes.  Call it first, before labels, ticks or log mode are set."""
        install_fitted_items(item)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            item.getAxis(name).enableAutoSIPrefix(False)     # no "(x0.001)" in axis titles
        for name in ("left", "bottom", "right", "top"):
            # Replaying an axis's QPicture (tick labels, grid) on every repaint of its plot was the
            # largest cost of a frame (py-spy, bench_gui on mlp_digits: ~40% of the GUI thread).
            # Cached, an axis is re-rendered only when its ticks change.
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    @contextmanager
    def _uncached(self) -> Iterator[None]:
        """Paint without item caches (exports get vector text and lines, not cached pixmaps)."""
        items = [it for it in self.findChildren(pg.GraphicsView) for it in it.scene().items()
                 if it.cacheMode() != QGraphicsItem.CacheMode.NoCache]
        modes = [it.cacheMode() for it in items]
        for it in items:
            it.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        try:
            yield
        finally:
            for it, mode in zip(items, modes):
                it.setCacheMode(mode)

    # ---- export -----------------------------------------------------------------------------------
    def lesson_title(self) -> str:
        """The title of the lesson this plot is shown in (the first parent with a ``lesson_cls``), or ""."""
        widget = self.parentWidget()
        while widget is not None:
            cls = getattr(widget, "lesson_cls", None)
            info = getattr(cls, "info", None)
            if info is not None:
                return str(info.title)
            widget = widget.parentWidget()
        return ""

    def _title_fonts(self) -> tuple[QFont, QFont]:
        bold = QFont(self.font())
        bold.setPointSizeF(bold.pointSizeF() * 1.15)
        bold.setBold(True)
        return bold, QFont(self.font())

    def export_title_height(self) -> int:
        """Height in pixels of the title line above an exported picture."""
        return QFontMetrics(self._title_fonts()[0]).height() + 2 * TITLE_MARGIN

    def _paint_export(self, painter: QPainter, size: QSize) -> None:
        """Paint the title line (plot title, then the lesson's in a muted colour) and the widget below it,
        on the theme's plot background.  ``size``: the widget's size; the picture is taller by the title."""
        from visualizer.ui import theme      # ui-internal; imported here to keep this module's imports light

        colors = theme.current()
        band = self.export_title_height()
        painter.fillRect(QRect(0, 0, size.width(), size.height() + band), QColor(colors.background))
        bold, plain = self._title_fonts()
        painter.setFont(bold)
        painter.setPen(QColor(colors.text))
        metrics = QFontMetrics(bold)
        baseline = TITLE_MARGIN + metrics.ascent()
        width = size.width() - 2 * TITLE_MARGIN
        title = metrics.elidedText(self.spec.title, Qt.TextElideMode.ElideRight, width)
        painter.drawText(TITLE_MARGIN, baseline, title)
        lesson = self.lesson_title()
        rest = width - metrics.horizontalAdvance(title) - 16
        if lesson and rest > 40:
            painter.setFont(plain)
            painter.setPen(QColor(colors.muted))
            painter.drawText(TITLE_MARGIN + metrics.horizontalAdvance(title) + 16, baseline,
                             QFontMetrics(plain).elidedText(f"— {lesson}", Qt.TextElideMode.ElideRight, rest))
        painter.translate(0, band)
        with self._uncached():
            self.render(painter, QPoint(), renderFlags=QWidget.RenderFlag.DrawChildren)

    def render_image(self, scale: float = 2.0) -> QImage:
        """The widget painted into an image ``scale`` times its size, under a title line (the plot's and the
        lesson's titles; :meth:`export_title_height` pixels), on the theme's plot background."""
        size = self.size()
        if size.width() < 10 or size.height() < 10:
            self.resize(max(size.width(), 640), max(size.height(), 420))
            size = self.size()
        height = size.height() + self.export_title_height()
        img = QImage(QSize(int(size.width() * scale), int(height * scale)), QImage.Format.Format_ARGB32)
        img.setDevicePixelRatio(scale)
        img.fill(QColor("white"))
        painter = QPainter(img)
        try:
            self._paint_export(painter, size)
        finally:
            painter.end()
        return img

    def export_png(self, path: Path | str, scale: float = 2.0) -> None:
        """Write the plot as a PNG (``scale`` × screen size).  Raises ExportError."""
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        if not self.render_image(scale).save(buf, "PNG"):
            raise ExportError(f"Could not encode the plot '{self.spec.title}' as PNG")
        buf.close()
        payload = bytes(data)
        atomic_write(path, lambda f: f.write(payload), mode="wb")

    def svg_bytes(self) -> bytes:
        """The plot as an SVG document (vector lines and text; images embedded)."""
        size = self.size()
        if size.width() < 10 or size.height() < 10:
            self.resize(640, 420)
            size = self.size()
        height = size.height() + self.export_title_height()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        gen = QSvgGenerator()
        gen.setOutputDevice(buf)
        gen.setSize(QSize(size.width(), height))
        gen.setViewBox(QRect(0, 0, size.width(), height))
        gen.setResolution(96)            # CSS pixels: fonts get the size they have on screen
        gen.setTitle(self.spec.title)
        gen.setDescription(f"Deep Learning Visualizer plot '{self.spec.id}'")
        painter = QPainter(gen)
        try:
            self._paint_export(painter, size)
        finally:
            painter.end()
        buf.close()
        return bytes(data)

    def export_svg(self, path: Path | str) -> None:
        """Write the plot as SVG through QSvgGenerator, rewritten by :func:`standardize_svg` so that librsvg,
        browsers and Inkscape draw it as Qt does.  Raises ExportError."""
        try:
            payload = standardize_svg(self.svg_bytes())
        except ET.ParseError as exc:
            raise ExportError(f"Could not write the plot '{self.spec.title}' as SVG: {exc}") from exc
        atomic_write(path, lambda f: f.write(payload), mode="wb")

    def export_csv(self, path: Path | str) -> None:
        """Write the plotted data as CSV (the data class's ``table()``).  Raises ExportError if the
        plot has no data yet or the file cannot be written."""
        table = self.table()
        if table is None:
            raise ExportError(f"The plot '{self.spec.title}' has no data yet: train a few steps first.")
        write_csv(table, path)

    def export(self, fmt: str, path: Path | str) -> None:
        """Export as ``fmt`` (png, svg or csv) to ``path``.  Raises ExportError, ValueError for an
        unknown format."""
        if fmt == "png":
            self.export_png(path)
        elif fmt == "svg":
            self.export_svg(path)
        elif fmt == "csv":
            self.export_csv(path)
        else:
            raise ValueError(f"unknown export format {fmt!r}; use png, svg or csv")

    def copy_to_clipboard(self) -> None:
        """Put the plot on the clipboard as an image, with its CSV table as text."""
        mime = QMimeData()
        mime.setImageData(self.render_image(1.0))
        table = self.table()
        if table is not None:
            header, rows = table
            lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows[:100_000]]
            mime.setText("\n".join(lines))
        QGuiApplication.clipboard().setMimeData(mime)

    # ---- interactive ------------------------------------------------------------------------------
    def context_menu(self) -> QMenu:
        """The right-click menu: export to each format, copy, and reset the zoom."""
        menu = QMenu(self)
        for fmt in EXPORT_FORMATS:
            menu.addAction(f"Export {fmt.upper()}…", lambda f=fmt: self.export_interactively(f))
        menu.addAction("Copy to clipboard", self.copy_interactively)
        if type(self).reset_zoom is not PlotView.reset_zoom:
            menu.addSeparator()
            menu.addAction("Reset zoom", self.reset_zoom)
        return menu

    def apply_view_settings(self, settings: Mapping[str, Any]) -> None:
        """Set this plot's own view settings (a narrative step's ``view_settings``; e.g. the convolution
        explainer's kernel and stride).  Plots without settings of their own raise KeyError for any name;
        subclasses that have some raise KeyError for an unknown name and ValueError for a bad value."""
        if settings:
            raise KeyError(f"the plot '{self.spec.id}' has no settings of its own ({', '.join(settings)})")

    def reset_zoom(self) -> None:
        """Show the whole data again after the user zoomed or panned; views that zoom override it (and then
        offer "Reset zoom" in their menu)."""

    def _show_context_menu(self, pos: QPoint) -> None:
        self.context_menu().exec(self.mapToGlobal(pos))

    def export_interactively(self, fmt: str) -> str | None:
        """Ask for a file name and export; report the result through ``message``.  Returns the path
        written or None (cancelled or failed)."""
        settings = self.settings if self.settings is not None else QSettings()
        suggested = str(Path(self.last_export_dir()) / f"{self.spec.id}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, f"Export '{self.spec.title}'", suggested, EXPORT_FORMATS[fmt])
        if not path:
            return None
        if not path.lower().endswith(f".{fmt}"):
            path += f".{fmt}"
        settings.setValue("export/last_dir", str(Path(path).parent))
        return self.export_to(fmt, path)

    def last_export_dir(self) -> str:
        """The folder of the last export (from the settings) if it still exists, else the home folder."""
        settings = self.settings if self.settings is not None else QSettings()
        return folder(settings.value("export/last_dir"), str(Path.home()))

    def export_to(self, fmt: str, path: Path | str) -> str | None:
        """Export and report through ``message`` instead of raising.  Returns the path or None."""
        try:
            self.export(fmt, path)
        except ExportError as e:
            self.message.emit("error", str(e.strerror or e))
            return None
        self.message.emit("info", f"Saved {path}")
        return str(path)

    def copy_interactively(self) -> None:
        self.copy_to_clipboard()
        self.message.emit("info", f"Copied '{self.spec.title}' to the clipboard")


class MissingKindView(PlotView):
    """Shown for a plot kind no view is registered for; still exports the data's CSV."""

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._label = QLabel(f"No view is registered for plots of kind '{spec.kind}'.\n"
                             f"Add PLOT_VIEWS = {{'{spec.kind}': ...}} to the lesson's view.py.")
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setWordWrap(True)
        self._layout.addWidget(self._label)

    def _draw(self, data) -> None:
        pass
