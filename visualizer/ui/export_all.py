"""Export every plot of a run (PNG, SVG, CSV) plus ``run.json`` into a folder.

The GUI's "Export all…" and the headless CLI both call :func:`export_all`, so they write the same
files: the CSV files and ``run.json`` come from :func:`visualizer.core.export.export_tables`, and a
PNG and an SVG are rendered for exactly the plots that got a CSV.
"""
from __future__ import annotations

import os
from pathlib import Path

from visualizer.core.export import ExportError, curves_data, export_tables
from visualizer.core.plotdata import PlotSpec

EXPORT_SIZE = (800, 520)        # pixels of a plot rendered for export when no on-screen view is used


def ensure_app():
    """The running QApplication, or a new one on the offscreen platform when there is none (CLI)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from visualizer.ui.app import configure_pyqtgraph

        app = QApplication(["dl-visualizer-export"])
        configure_pyqtgraph()
    return app


def plot_data(spec: PlotSpec, session):
    """What plot ``spec`` shows now: CurvesData from the history for curves, else the latest snapshot's
    data for it (None if there is none yet)."""
    if spec.kind == "curves":
        return curves_data(spec, session.history)
    return session.latest_snapshot().plots.get(spec.id)


def export_all(session, folder: Path | str, views: dict | None = None) -> list[Path]:
    """Write ``<plot>.png``, ``<plot>.svg`` and ``<plot>.csv`` for every plot with data, and ``run.json``.

    session: a :class:`~visualizer.core.session.TrainingSession`; folder: created if missing;
    views: plot id -> on-screen PlotView to render (the GUI passes its views so the files look like the
    window); plots without a visible view are rendered offscreen at ``EXPORT_SIZE`` from the session's
    history and latest snapshot.  Returns the paths written, CSV and run.json first.
    Raises ExportError (read-only folder, full disk, ...) with a message for the user.
    """
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtWidgets import QApplication

    from visualizer.ui.plots import make_plot_view

    app = ensure_app()
    folder = Path(folder)
    # curves with earlier runs, and views whose own settings decide what they show (the conv explainer)
    overrides = {pid: view.table() for pid, view in (views or {}).items()
                 if (getattr(view, "previous", None) or getattr(view, "table_from_view", False))
                 and view.table() is not None}
    written = export_tables(session, folder, overrides)
    with_csv = {p.stem for p in written if p.suffix == ".csv"}
    for spec in session.lesson_cls.all_plots():
        if spec.id not in with_csv:
            continue
        data = plot_data(spec, session)
        view = (views or {}).get(spec.id)
        temporary = view is None or not view.isVisible()
        if temporary:
            view = make_plot_view(spec, session.lesson_cls)
            view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            view.resize(*EXPORT_SIZE)
            view.show()
        try:
            if data is not None:
                view.set_data(data)
            app.processEvents()
            for fmt in ("png", "svg"):
                path = folder / f"{spec.id}.{fmt}"
                view.export(fmt, path)
                written.append(path)
        except ExportError:
            raise
        except Exception as e:          # a view that cannot draw this data: say which plot
            raise ExportError(f"Could not render the plot '{spec.title}' for export: {type(e).__name__}: {e}") from e
        finally:
            if temporary:
                view.close()
                view.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)     # free the offscreen views now
    return written
