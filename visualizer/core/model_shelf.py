"""The model shelf: a lesson puts the network the student trained where another lesson can open it.

``interpretability`` looks inside *the student's own model*: the CNN of ``cnn_scratch`` or the network of
``transfer_learning``.  Lessons never import each other, so the trained weights travel through files: the
training lesson calls :func:`publish` (its arrays plus a ``kind`` and a JSON ``config`` from which a builder in
``visualizer.models`` rebuilds the network), and the reading lesson calls :func:`available` and :func:`load`.
One file per lesson, ``<cache>/shelf/<lesson_id>.npz``, written atomically with
:func:`visualizer.core.checkpoint.save_checkpoint`, so a crash mid-write leaves the previous model.
Qt-free and engine-free.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from visualizer.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

SHELF_ENV = "DLVIS_SHELF_DIR"          # tests point this at a temporary folder


@dataclass(frozen=True)
class ShelvedModel:
    """A published network.  kind: which builder rebuilds it ("small_vgg", "cnn", ...); config: the builder's
    JSON arguments; arrays: parameter name -> array; step: the training step it was published at; metrics:
    its last metrics (e.g. {"val_acc": 0.93}); class_names: the classes its logits stand for."""

    lesson_id: str
    kind: str
    config: dict[str, Any]
    arrays: dict[str, np.ndarray]
    step: int
    metrics: dict[str, float]
    class_names: tuple[str, ...]


def shelf_dir() -> Path:
    """``$DLVIS_SHELF_DIR`` if set, else ``shelf/`` in the download cache folder."""
    env = os.environ.get(SHELF_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from visualizer.data.download import cache_dir
    return cache_dir() / "shelf"


def publish(lesson_id: str, kind: str, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *,
            step: int, metrics: Mapping[str, float] | None = None, class_names: tuple[str, ...] = ()) -> Path:
    """Write the lesson's trained network to the shelf (replacing its previous one) and return the path.

    arrays: host copies (name -> ndarray).  Raises ExportError (read-only folder, full disk); the previous
    file then stays as it was."""
    path = shelf_dir() / f"{lesson_id}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"kind": kind, "config": dict(config), "step": int(step), "class_names": list(class_names),
            "metrics": {k: float(v) for k, v in (metrics or {}).items()}}
    save_checkpoint(path, lesson_id, dict(arrays), meta)
    return path


def available() -> list[str]:
    """Lesson ids with a model on the shelf, sorted."""
    d = shelf_dir()
    return sorted(p.stem for p in d.glob("*.npz")) if d.is_dir() else []


def load(lesson_id: str) -> ShelvedModel:
    """The model ``lesson_id`` published last.  Raises CheckpointError (missing, truncated or foreign file)."""
    path = shelf_dir() / f"{lesson_id}.npz"
    if not path.is_file():
        raise CheckpointError(f"No trained model from '{lesson_id}' yet: train it in that lesson first.")
    arrays, meta = load_checkpoint(path, lesson_id)
    try:
        return ShelvedModel(lesson_id, str(meta["kind"]), dict(meta["config"]), arrays, int(meta["step"]),
                            {k: float(v) for k, v in meta.get("metrics", {}).items()},
                            tuple(str(c) for c in meta.get("class_names", ())))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path.name} is not a shelved model: {exc}") from exc
