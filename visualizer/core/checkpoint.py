"""Checkpoints: a model's arrays in a NumPy ``.npz`` archive, written atomically, read without pickle.

A truncated or foreign file gives :class:`CheckpointError` with a message for the user; the model in
memory is untouched in that case.  Qt-free.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

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
