"""Pretrained snapshots: small checkpoints shipped with a lesson, so a narrative step can "skip ahead".

Where a narrative step needs minutes of CPU training before its picture means anything (the attention
lesson's "Your own date" needs 1,000 steps), the step declares ``snapshot="name"``
(:class:`~visualizer.core.lesson.NarrativeStep`) and the lesson package ships
``<lesson package>/snapshots/<name>.<engine>.npz``: a checkpoint in the format of
:mod:`visualizer.core.checkpoint` holding the model's weights only (``param.*``/``model.*`` arrays,
stored as float16 to keep each file near a megabyte; the optimizer is not stored and restarts afresh).
Its header's meta records how it was made: ``step`` (training steps), ``hyperparameters`` (every
setting it was trained with), ``snapshot`` = {``name``, ``metrics`` reached, ``curves`` (the run's
evaluation and loss points, replayed into the history so the plots show the run), ``script``}.

The files are written by ``assets/snapshots/train_snapshots.py``, which also writes
``assets/snapshots/provenance.json`` (command, seed, steps, metrics and sha256 of every file).  Loading
reads the file through :func:`~visualizer.core.checkpoint.load_checkpoint` (every array checked, no
pickle) and the lesson's own ``load_checkpoint_state`` (:func:`~visualizer.core.checkpoint.check_state`
before anything is assigned), exactly as File > Load weights does.  Qt-free.
"""
from __future__ import annotations

import math
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from visualizer.core.checkpoint import CheckpointError, load_checkpoint

SNAPSHOT_FOLDER = "snapshots"                         # inside the lesson's package
SCRIPT = "assets/snapshots/train_snapshots.py"        # what writes them (relative to the repository)
NOT_COPIED = frozenset({"engine", "device"})          # the learner's choice: a file per engine instead


class SnapshotError(ValueError):
    """A pretrained snapshot that cannot be used: missing, damaged, of another lesson, or with settings this
    lesson refuses.  The message is shown to the user as is; nothing has changed when it is raised."""


@dataclass(frozen=True)
class SnapshotInfo:
    """What a snapshot's header says.  steps: training steps it had; settings: name -> value it was trained
    with; metrics: name -> value its model reaches (e.g. ``val_acc``); curves: metric name -> (steps, values)
    of the run that made it; script: what trained it."""

    lesson_id: str
    name: str
    engine: str
    path: Path
    steps: int
    settings: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    curves: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    script: str = SCRIPT

    def describe(self, short: bool = False) -> str:
        """One line for the user, e.g. "trained 1,000 steps by assets/snapshots/train_snapshots.py (test
        accuracy 97.0 %)"; ``short``: without the script, "trained 1,000 steps · test accuracy 97.0 %"."""
        shown = [f"{_METRIC_NAMES.get(k, k)} {_fmt_metric(k, v)}" for k, v in sorted(self.metrics.items())]
        if short:
            return " · ".join([f"trained {self.steps:,} steps"] + shown)
        tail = f" ({', '.join(shown)})" if shown else ""
        return f"trained {self.steps:,} steps by {self.script}{tail}"

    def curve_points(self) -> list[tuple[int, dict[str, float]]]:
        """The run's recorded points as (step, {metric: value}), in step order: what the history replays."""
        points: dict[int, dict[str, float]] = {}
        for metric, (xs, ys) in self.curves.items():
            for x, y in zip(xs, ys):
                points.setdefault(int(x), {})[metric] = float(y)
        return sorted(points.items())


_METRIC_NAMES = {"val_acc": "test accuracy", "train_loss": "training loss"}


def _fmt_metric(name: str, value: float) -> str:
    return f"{100 * value:.1f} %" if name.endswith("acc") else f"{value:.4g}"


def lesson_folder(lesson_cls: type) -> Path:
    """The folder of the package that defines ``lesson_cls`` (``lessons/attention`` for
    ``lessons.attention.lesson.AttentionLesson``), installed or not."""
    module = sys.modules[lesson_cls.__module__]
    package = module.__package__ or lesson_cls.__module__.rpartition(".")[0]
    return Path(sys.modules[package].__file__).parent if package in sys.modules else Path(module.__file__).parent


def snapshot_path(lesson_cls: type, name: str, engine: str) -> Path:
    """Where the snapshot ``name`` of ``lesson_cls`` for ``engine`` ("numpy" or "torch") is shipped."""
    return lesson_folder(lesson_cls) / SNAPSHOT_FOLDER / f"{name}.{engine}.npz"


def _missing(path: Path) -> SnapshotError:
    return SnapshotError(f"The pretrained model {path.name} is missing from this installation (looked in "
                         f"{path.parent}). Nothing was changed: press Play to train instead, or recreate it "
                         f"with {SCRIPT}.")


def _info(lesson_id: str, name: str, engine: str, path: Path, meta: Mapping[str, Any]) -> SnapshotInfo:
    """The header's meta as a :class:`SnapshotInfo`.  Raises SnapshotError if it is not a snapshot's."""
    snap = meta.get("snapshot")
    steps, settings = meta.get("step"), meta.get("hyperparameters")
    if (not isinstance(snap, dict) or not isinstance(settings, dict) or not isinstance(steps, int)
            or isinstance(steps, bool) or steps < 0):
        raise SnapshotError(f"{path.name} is a checkpoint but not a pretrained snapshot (its header lacks the "
                            "steps, settings or snapshot record). Nothing was changed.")
    metrics = {str(k): float(v) for k, v in (snap.get("metrics") or {}).items()
               if isinstance(v, (int, float)) and math.isfinite(v)}
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for k, pair in (snap.get("curves") or {}).items():
        if (isinstance(pair, (list, tuple)) and len(pair) == 2 and len(pair[0]) == len(pair[1])
                and all(isinstance(v, (int, float)) and math.isfinite(v) for v in (*pair[0], *pair[1]))):
            curves[str(k)] = ([float(v) for v in pair[0]], [float(v) for v in pair[1]])
    return SnapshotInfo(lesson_id, name, engine, path, steps, dict(settings), metrics, curves,
                        str(snap.get("script") or SCRIPT))


def read_snapshot(lesson_cls: type, name: str, engine: str) -> tuple[SnapshotInfo, dict[str, np.ndarray]]:
    """Read and check the whole snapshot file (every array and its CRC, no pickle): (info, weights).

    Raises SnapshotError, naming the file and what to do, if it is missing, damaged or truncated, belongs to
    another lesson or is not a snapshot."""
    path = snapshot_path(lesson_cls, name, engine)
    if not path.is_file():
        raise _missing(path)
    try:
        state, meta = load_checkpoint(path, lesson_cls.info.id)
    except CheckpointError as e:
        raise SnapshotError(f"The pretrained model cannot be used: {e} Nothing was changed.") from None
    return _info(lesson_cls.info.id, name, engine, path, meta), state


def snapshot_caption(lesson_cls: type, name: str, engine: str, short: bool = False) -> str:
    """The line under the Skip-ahead button, read from the file's header only (cheap): "trained N steps by
    <script> (metrics)" (``short``: "trained N steps · metrics"), or why it cannot be used (missing,
    damaged)."""
    path = snapshot_path(lesson_cls, name, engine)
    if not path.is_file():
        return f"not available for the {engine} engine in this installation"
    try:
        from visualizer.core.checkpoint import _check_header, _read_header
        with zipfile.ZipFile(path) as z:
            header = _read_header(z, z.getinfo("__header__.npy"), path.name)
        _check_header(header, path.name, lesson_cls.info.id)
        return _info(lesson_cls.info.id, name, engine, path, header.get("meta", {})).describe(short)
    except (CheckpointError, SnapshotError, KeyError, OSError, ValueError, zipfile.BadZipFile, EOFError):
        return f"{path.name} is damaged: it cannot be loaded"


def settings_to_apply(lesson_cls: type, info: SnapshotInfo, current: Mapping[str, Any]) -> dict[str, Any]:
    """The settings to change so that the lesson matches the snapshot: every setting the snapshot was trained
    with (engine, device and the lesson's view settings excepted) whose value differs from ``current``.

    Raises SnapshotError, with nothing changed, if the snapshot names a setting this lesson does not have or
    a value it refuses (e.g. a snapshot of an older version of the lesson)."""
    from visualizer.core.hyperparams import HyperparameterError

    keep = NOT_COPIED | frozenset(getattr(lesson_cls, "view_params", frozenset()))
    known = {spec.name for spec in lesson_cls.all_params()}
    unknown = sorted(k for k in info.settings if k not in known)
    if unknown:
        raise SnapshotError(f"The pretrained model {info.path.name} was trained with settings this lesson does "
                            f"not have ({', '.join(unknown)}): it belongs to another version. Nothing was "
                            "changed.")
    wanted = {k: v for k, v in info.settings.items() if k not in keep}
    try:
        checked = lesson_cls.hyperparameters(dict(current) | wanted).as_dict()
    except HyperparameterError as e:
        raise SnapshotError(f"The pretrained model {info.path.name} needs settings this lesson refuses: {e} "
                            "Nothing was changed.") from None
    return {k: checked[k] for k in wanted if checked[k] != current.get(k)}


def with_fresh_optimizer(current: Mapping[str, np.ndarray], weights: Mapping[str, np.ndarray]) -> dict:
    """A full checkpoint state from a snapshot's ``weights``: the optimizer arrays (``opt.*``) the model holds
    now, in ``current``, are set to zero (a fresh optimizer: no moments, step count 0) unless the snapshot
    has them.  Every other name comes from ``weights`` only, so a missing weight is still reported by the
    lesson's check."""
    state = dict(weights)
    for key, value in current.items():
        if key.startswith("opt.") and key not in state:
            state[key] = np.zeros_like(np.asarray(value))
    return state


def load_into(lesson, path: Path | str, name: str = "", engine: str = "") -> SnapshotInfo:
    """Load the snapshot at ``path`` into ``lesson`` (on the session's worker): the file is checked by
    :func:`~visualizer.core.checkpoint.load_checkpoint`, the weights by the lesson's ``load_checkpoint_state``
    (atomic: nothing changes unless every array fits), and the optimizer restarts afresh.

    Returns the snapshot's info.  Raises SnapshotError (file missing, damaged or not a snapshot) or
    LessonConfigError (arrays that do not fit this model); the lesson is untouched then."""
    path = Path(path)
    if not path.is_file():
        raise _missing(path)
    lesson_id = type(lesson).info.id
    try:
        state, meta = load_checkpoint(path, lesson_id)
    except CheckpointError as e:
        raise SnapshotError(f"The pretrained model cannot be used: {e} Nothing was changed.") from None
    info = _info(lesson_id, name or path.name.split(".")[0], engine or lesson.hp["engine"], path, meta)
    lesson.load_checkpoint_state(with_fresh_optimizer(lesson.checkpoint_state(), state))
    return info


__all__ = ["SCRIPT", "SNAPSHOT_FOLDER", "SnapshotError", "SnapshotInfo", "lesson_folder", "load_into",
           "read_snapshot", "settings_to_apply", "snapshot_caption", "snapshot_path", "with_fresh_optimizer"]
