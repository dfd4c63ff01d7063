"""Writing run data to disk: CSV tables and ``run.json``.  Qt-free; the GUI and the CLI share it.

Every write goes to a temporary file in the target folder and is renamed into place, so a full
disk or a crash never leaves a half-written file over a good one.  Failures raise
:class:`ExportError` with a message meant for the user.
"""
from __future__ import annotations

import csv
import errno
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from visualizer.core.lesson import ENGINES
from visualizer.core.plotdata import CurvesData, PlotSpec, Table


class ExportError(OSError):
    """Export failed (read-only folder, full disk, ...).  ``str(e)`` is the message for the user, which
    names the file and says what to do (never "[Errno N]"); ``e.errno`` keeps the code when there is one."""

    def __str__(self) -> str:
        return self.strerror if self.strerror is not None else super().__str__()


def _file_in_the_way(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that exists but is a file, if any."""
    for folder in reversed(path.parents):
        try:
            if folder.exists() and not folder.is_dir():
                return folder
        except OSError:
            return None
    return None


def describe_os_error(e: OSError, path: Path | str) -> str:
    """A sentence for the user about an OSError raised while writing ``path``: what is wrong, in plain
    words, and what to do.  Never the bare "[Errno N] ..." of ``str(e)``."""
    path = Path(path)
    folder = path.parent
    code = e.errno
    head = f"Could not write {path}"
    if code in (errno.EEXIST, errno.ENOTDIR):
        blocker = _file_in_the_way(path)
        if blocker is not None:
            return f"{head}: {blocker} is a file, not a folder: choose a folder."
    if code == errno.EISDIR:
        return f"{head}: it is a folder, not a file: choose another file name."
    if code == errno.ENOSPC:
        return f"{head}: the disk is full: free some space or choose another folder, the run is kept."
    if code == getattr(errno, "EDQUOT", None):
        return (f"{head}: your disk quota is used up (the disk is full for you): free some space or choose "
                f"another folder, the run is kept.")
    if code == errno.EROFS:
        return f"{head}: {folder} is on a read-only disk: choose another folder."
    if code in (errno.EACCES, errno.EPERM):
        return (f"{head}: no permission to write into {folder} (it is read-only or belongs to another user): "
                f"choose another folder.")
    if code == errno.ENAMETOOLONG:
        return f"{head}: the name is too long for this disk: choose a shorter file or folder name."
    if code == errno.ENOENT:
        return (f"{head}: the folder {folder} does not exist (it was removed, or its disk is gone): "
                f"choose another folder.")
    if code == errno.EINVAL:
        return f"{head}: this disk does not allow that name: choose a name without special characters."
    if code == errno.EIO:
        return f"{head}: the disk reported a read or write error: check the disk or choose another folder."
    if code in (errno.EMFILE, errno.ENFILE):
        return f"{head}: too many files are open: close some programs and try again."
    reason = (e.strerror or "the system refused").rstrip(".")
    return f"{head}: {reason[:1].lower()}{reason[1:]}: check the folder, or choose another one, and try again."


def atomic_write(path: Path | str, write: Callable[[Any], None], mode: str = "w") -> None:
    """Call ``write(file)`` on a temporary file next to ``path`` and rename it to ``path``.

    Raises ExportError (the target is untouched) if anything fails."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        kwargs = {"newline": "", "encoding": "utf-8"} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise ExportError(e.errno, describe_os_error(e, path)) from e
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _cell(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return repr(float(v)) if math.isfinite(v) else ""
    return v


def write_csv(table: Table, path: Path | str) -> None:
    """Write a (header, rows) table as CSV.  Raises ExportError."""
    header, rows = table

    def write(f) -> None:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([_cell(v) for v in row])

    atomic_write(path, write)


def _json_value(x: Any) -> Any:
    """``x`` as plain JSON values: NumPy scalars and arrays as numbers and lists, paths as text, NaN and
    infinities as None (null).  Raises TypeError for anything else that JSON cannot hold."""
    if isinstance(x, dict):
        return {str(k): _json_value(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_json_value(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    raise TypeError(f"not JSON serializable: {type(x).__name__}")


def write_json(data: dict, path: Path | str) -> None:
    """Write ``data`` as indented, strict JSON (NaN/Inf become null; NumPy values and paths are
    converted).  Raises ExportError."""
    value = _json_value(data)
    atomic_write(path, lambda f: json.dump(value, f, indent=2, allow_nan=False))


def curves_data(spec: PlotSpec, history, labels: Mapping[str, str] | None = None) -> CurvesData:
    """The data a ``curves`` plot shows: its series from the history and the live-change markers.

    labels: hyperparameter name -> its control's display label ("train_mode" -> "Train"), used in the
    markers' text ("Train: both → D only"); a name without one is shown as it is.
    With "Compare engines" on, the twin's series ``name@numpy`` / ``name@torch`` follow their own."""
    series = {name: history.series(name) for name in spec.series}
    recorded = history.names()
    for name in spec.series:
        for engine in ENGINES:
            if f"{name}@{engine}" in recorded:
                series[f"{name}@{engine}"] = history.series(f"{name}@{engine}")
    labels = labels or {}
    markers = [(c.step, f"{labels.get(c.name, c.name)}: {c.old} → {c.new}") for c in history.changes()]
    return CurvesData(series, markers)


def plot_table(spec: PlotSpec, session) -> Table | None:
    """The CSV table of one plot: curves from the history, the rest from the latest snapshot
    (None if there is no data for it yet: a snapshot without it, or curves without a point)."""
    if spec.kind == "curves":
        data = curves_data(spec, session.history)
        if not any(len(x) for x, _ in data.series.values()):
            return None
        return data.table()
    data = session.latest_snapshot().plots.get(spec.id)
    return None if data is None else data.table()


def export_tables(session, folder: Path | str, tables: dict[str, Table] | None = None) -> list[Path]:
    """Write ``<plot id>.csv`` for every plot with data and ``run.json`` into ``folder``.

    tables: plot id -> a table to write instead of the session's (the GUI passes its curves views'
    tables, which include earlier runs).  Returns the paths written.  Raises ExportError on the
    first failure."""
    folder = Path(folder)
    written = []
    tables = tables or {}
    for spec in session.lesson_cls.all_plots():
        table = plot_table(spec, session)
        if table is not None and spec.id in tables:
            table = tables[spec.id]
        if table is None:
            continue
        path = folder / f"{spec.id}.csv"
        write_csv(table, path)
        written.append(path)
    path = folder / "run.json"
    write_json(session.run_record(), path)
    written.append(path)
    return written
