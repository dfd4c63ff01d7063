"""Plot snapshots on disk: a lesson's ``snapshot()`` (plot id -> PlotData) as one ``.npz`` file, and back.

A run directory (``visualizer.core.rundir``) keeps the latest snapshot of every view and a timeline of
earlier ones in this format, so a run trained elsewhere can be shown with the lesson's own views.  The file is a
NumPy ``.npz`` archive read with ``allow_pickle=False``: every array of every plot is one member
(``a0``, ``a1``, ...), and the member ``header.json`` (UTF-8 JSON as uint8) holds the rest::

    {"format": "dlvis-plots", "version": 1, "step": 1200, "meta": {...},
     "plots": {"samples": {"type": "ImageGridData", "fields": {"images": {"array": "a0"}, "captions": [...]}}}}

A field's value is encoded as: an array -> ``{"array": member}`` (numeric and string dtypes; an object
array is stored as a list); a list or tuple -> ``{"tuple": [...]}`` for tuples, a JSON list otherwise; a dict ->
``{"dict": [[key, value], ...]}``; None, bool, int, float, str as themselves (NaN and infinities as
``{"float": "nan"}``), a nested data class -> ``{"plot": {...}}``.  Only data classes are written and read:
those of :mod:`visualizer.core.plotdata` by name, and a lesson's own (e.g. SAGAN's attention-pixel data) as
``"lessons.<id>.<module>:<Class>"``, which a reader accepts only from the package of the lesson it was told it
is reading.  A file cannot name any other type, so loading runs no code from the file.  Qt-free.
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from visualizer.core import plotdata

FORMAT = "dlvis-plots"
VERSION = 1
HEADER = "header.json"
# the data classes a file may name: every dataclass defined in visualizer.core.plotdata except PlotSpec
PLOT_TYPES: dict[str, type] = {
    name: obj for name, obj in vars(plotdata).items()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == plotdata.__name__
    and name != "PlotSpec"}


class PlotArchiveError(ValueError):
    """A snapshot file that cannot be read: damaged, truncated, of another format version, or naming a type
    that is not a plot data class.  The message says which file and why; nothing was assigned."""


def encode_plots(plots: Mapping[str, Any]) -> tuple[dict, dict[str, np.ndarray], list[str]]:
    """``plots`` (plot id -> PlotData) as (header ``plots`` entry, arrays member -> ndarray, skipped ids).
    A plot that is not a data class of plotdata or of a lesson package is skipped and named in the third
    item."""
    arrays: dict[str, np.ndarray] = {}
    out: dict[str, dict] = {}
    skipped: list[str] = []
    for pid, data in plots.items():
        try:
            out[pid] = _encode_plot(data, arrays)
        except TypeError:
            skipped.append(pid)
    return out, arrays, skipped


def type_name(cls: type) -> str:
    """How a file names a plot data type: "ImageData", or "lessons.sagan.lesson:AttentionPixelData".  Raises
    TypeError for a type that is neither a plotdata class nor a data class of a lesson package."""
    if PLOT_TYPES.get(cls.__name__) is cls:
        return cls.__name__
    if dataclasses.is_dataclass(cls) and cls.__module__.startswith("lessons."):
        return f"{cls.__module__}:{cls.__qualname__}"
    raise TypeError(f"{cls.__name__} is not a plot data type")


def resolve_type(name: Any, lesson_id: str | None) -> type | None:
    """The data class a file names, or None: plotdata classes by name; a lesson's own only from the package of
    ``lesson_id`` (imported from this installation, never from the file)."""
    if not isinstance(name, str):
        return None
    if ":" not in name:
        return PLOT_TYPES.get(name)
    module, _, qual = name.partition(":")
    package = f"lessons.{lesson_id}" if lesson_id else None
    if package is None or not (module == package or module.startswith(package + ".")) or "." in qual:
        return None
    try:
        cls = getattr(importlib.import_module(module), qual, None)
    except ImportError:
        return None
    return cls if isinstance(cls, type) and dataclasses.is_dataclass(cls) else None


def _encode_plot(data: Any, arrays: dict[str, np.ndarray]) -> dict:
    name = type_name(type(data))
    return {"type": name, "fields": {f.name: _encode(getattr(data, f.name), arrays)
                                     for f in dataclasses.fields(data) if f.init}}


def _encode(v: Any, arrays: dict[str, np.ndarray]) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {"plot": _encode_plot(v, arrays)}
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            return {"list": [_encode(x, arrays) for x in v.tolist()]}
        key = f"a{len(arrays)}"
        arrays[key] = np.ascontiguousarray(v)
        return {"array": key}
    if isinstance(v, np.generic):
        return _encode(v.item(), arrays)
    if isinstance(v, float) and not math.isfinite(v):
        return {"float": repr(v)}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, tuple):
        return {"tuple": [_encode(x, arrays) for x in v]}
    if isinstance(v, (list, range)):
        return [_encode(x, arrays) for x in v]
    if isinstance(v, Mapping):
        return {"dict": [[_encode(k, arrays), _encode(x, arrays)] for k, x in v.items()]}
    raise TypeError(f"cannot store a {type(v).__name__} in a plot snapshot")


def _decode(v: Any, arrays: Mapping[str, np.ndarray], lesson_id: str | None = None) -> Any:
    if isinstance(v, list):
        return [_decode(x, arrays, lesson_id) for x in v]
    if isinstance(v, dict):
        if "array" in v:
            return arrays[v["array"]]
        if "tuple" in v:
            return tuple(_decode(x, arrays, lesson_id) for x in v["tuple"])
        if "list" in v:
            return np.array([_decode(x, arrays, lesson_id) for x in v["list"]], dtype=object)
        if "dict" in v:
            return {_hashable(_decode(k, arrays, lesson_id)): _decode(x, arrays, lesson_id) for k, x in v["dict"]}
        if "float" in v:
            return float(v["float"])
        if "plot" in v:
            return _decode_plot("(nested)", v["plot"], arrays, lesson_id)
        raise ValueError(f"unknown encoding {sorted(v)}")
    return v


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def decode_plots(entry: Mapping[str, Any], arrays: Mapping[str, np.ndarray], lesson_id: str | None = None) \
        -> dict[str, Any]:
    """The header's ``plots`` entry and its arrays back as plot id -> PlotData; ``lesson_id``: the lesson whose
    own data classes may appear.  Raises PlotArchiveError for an unknown type, a missing array or fields the
    data class refuses."""
    return {pid: _decode_plot(pid, item, arrays, lesson_id) for pid, item in entry.items()}


def _decode_plot(pid: str, item: Any, arrays: Mapping[str, np.ndarray], lesson_id: str | None) -> Any:
    cls = resolve_type(item.get("type"), lesson_id) if isinstance(item, dict) else None
    if cls is None:
        raise PlotArchiveError(f"plot {pid!r} names {item.get('type') if isinstance(item, dict) else item!r}, "
                               "which is not a plot data type of this lesson")
    try:
        fields = {k: _decode(x, arrays, lesson_id) for k, x in item["fields"].items()}
        return cls(**fields)
    except PlotArchiveError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise PlotArchiveError(f"plot {pid!r} ({cls.__name__}) cannot be rebuilt: {type(e).__name__}: {e}") \
            from None


def save_plots(path: Path | str, step: int, plots: Mapping[str, Any], meta: Mapping[str, Any] | None = None) \
        -> list[str]:
    """Write ``plots`` at ``step`` to ``path`` atomically (a temporary file beside it, then ``os.replace``: a
    reader sees the old file or the new one, never half of one).  Returns the plot ids skipped (types this
    format does not hold).  Raises OSError (a full disk, no permission; the temporary file is removed)."""
    path = Path(path)
    entry, arrays, skipped = encode_plots(plots)
    header = {"format": FORMAT, "version": VERSION, "step": int(step), "meta": dict(meta or {}), "plots": entry}
    members = {**arrays, HEADER: np.frombuffer(json.dumps(header, allow_nan=False).encode(), dtype=np.uint8)}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **members)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return skipped


def load_plots(path: Path | str, lesson_id: str | None = None) -> tuple[int, dict[str, Any], dict]:
    """Read a file written by :func:`save_plots`: (step, plot id -> PlotData, meta); ``lesson_id``: the lesson
    the file belongs to (its own data classes are allowed).  Raises PlotArchiveError for a damaged, truncated or
    foreign file, or one of a newer format version; OSError if it cannot be read."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            if HEADER not in z.files:
                raise PlotArchiveError(f"{path.name} is not a plot snapshot (no {HEADER})")
            header = json.loads(bytes(z[HEADER]).decode())
            arrays = {k: z[k] for k in z.files if k != HEADER}
    except PlotArchiveError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PlotArchiveError(f"{path.name} is damaged or truncated: {type(e).__name__}: {e}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PlotArchiveError(f"{path.name} is not a plot snapshot of this app")
    if header.get("version") != VERSION:
        raise PlotArchiveError(f"{path.name} is plot snapshot format version {header.get('version')!r}; this "
                               f"version of the app reads version {VERSION}")
    try:
        step = int(header["step"])
        plots = decode_plots(header["plots"], arrays, lesson_id)
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, PlotArchiveError):
            raise
        raise PlotArchiveError(f"{path.name} has a damaged header: {type(e).__name__}: {e}") from None
    return step, plots, dict(header.get("meta") or {})
