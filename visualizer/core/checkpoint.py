"""Checkpoints: a model's arrays in a NumPy ``.npz`` archive, written atomically, read without pickle.

A truncated or foreign file gives :class:`CheckpointError` with a message for the user; the model in
memory is untouched in that case.  Qt-free.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.export import atomic_write

FORMAT = "dlvis-checkpoint-1"


class CheckpointError(ValueError):
    """The file is not a readable checkpoint of this lesson (truncated, corrupt, other lesson)."""


def save_checkpoint(path: Path | str, lesson_id: str, state: dict[str, np.ndarray], meta: dict | None = None) -> None:
    """Write ``state`` (name -> array) to ``path`` with the lesson id and ``meta`` (JSON) alongside.

    Raises ExportError (read-only folder, full disk)."""
    header = json.dumps({"format": FORMAT, "lesson": lesson_id, "meta": meta or {}})
    arrays = {f"array/{k}": np.asarray(v) for k, v in state.items()}
    atomic_write(path, lambda f: np.savez(f, __header__=np.array(header), **arrays), mode="wb")


def load_checkpoint(path: Path | str, lesson_id: str) -> tuple[dict[str, np.ndarray], dict]:
    """Read a checkpoint written by :func:`save_checkpoint` for ``lesson_id``: (state, meta).

    Raises CheckpointError if the file is missing, truncated, not a checkpoint or of another lesson."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if "__header__" not in z.files:
                raise CheckpointError(f"{path.name} is not a Deep Learning Visualizer checkpoint")
            header = json.loads(str(z["__header__"]))
            state = {k[len("array/"):]: z[k] for k in z.files if k.startswith("array/")}
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
        raise CheckpointError(f"{path.name} is damaged or truncated and cannot be read ({e})") from None
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} has an unknown checkpoint format {header.get('format')!r}")
    if header.get("lesson") != lesson_id:
        raise CheckpointError(f"{path.name} belongs to lesson {header.get('lesson')!r}, not {lesson_id!r}")
    return state, header.get("meta", {})


def check_state(expected: Mapping[str, np.ndarray | tuple[tuple[int, ...], np.dtype | str]],
                state: Mapping[str, object], *, allow_nonfinite: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Validate a checkpoint ``state`` against what a model holds, before anything is assigned.

    expected: name -> the model's current array (or a (shape, dtype) pair).  Every expected name must be in
    ``state`` with the same shape and a numeric dtype that casts safely to the expected kind (float arrays
    accept any float or integer array; integer arrays only integers), and float arrays must be finite
    (names in ``allow_nonfinite`` excepted).  Extra names are an error too: they mean another model.

    Returns name -> array converted to the expected dtype (new arrays, ready to assign).  Raises
    LessonConfigError naming the first offending array; nothing is assigned by this function."""
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"it lacks {_names(missing)}")
        if extra:
            parts.append(f"it has arrays this model does not: {_names(extra)}")
        raise LessonConfigError(f"The checkpoint does not fit this model: {'; '.join(parts)}. "
                                "It was saved with other settings or by another lesson.")
    out: dict[str, np.ndarray] = {}
    for name, ref in expected.items():
        shape, dtype = ((tuple(ref.shape), ref.dtype) if isinstance(ref, np.ndarray)
                        else (tuple(ref[0]), np.dtype(ref[1])))
        value = state[name]
        try:
            arr = np.asarray(value)
        except Exception as e:           # an object numpy cannot hold as an array
            raise LessonConfigError(f"The checkpoint's array {name!r} is not an array ({type(e).__name__}).") from None
        if arr.dtype.kind not in "fiub":
            raise LessonConfigError(f"The checkpoint's array {name!r} holds {arr.dtype} values, not numbers.")
        if np.dtype(dtype).kind in "iub" and arr.dtype.kind == "f":
            raise LessonConfigError(f"The checkpoint's array {name!r} holds floats where this model keeps integers.")
        if tuple(arr.shape) != shape:
            raise LessonConfigError(f"The checkpoint's array {name!r} has shape {tuple(arr.shape)}; this model "
                                    f"needs {shape}. It was saved with other layer sizes.")
        if arr.dtype.kind == "f" and name not in allow_nonfinite and not np.all(np.isfinite(arr)):
            raise LessonConfigError(f"The checkpoint's array {name!r} contains NaN or infinite values: it was "
                                    "saved from a run that diverged.")
        out[name] = np.array(arr, dtype=dtype, copy=True)
    return out


def _names(names: list[str], most: int = 4) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
