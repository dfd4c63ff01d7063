"""TensorBoard export: a run's curves, pictures, embeddings, weights and settings as TensorBoard event files.

Written through tensorboardX (the optional extra ``pip install 'deep-learning-visualizer[tensorboard]'``), read by
``tensorboard --logdir DIR``.  What goes where:

- scalars: every metric of the history at its step, tagged by :func:`scalar_tag` (``train_loss`` ->
  ``train/loss``, ``val_acc`` -> ``val/acc``, ``d_loss`` -> ``metrics/d_loss``), so TensorBoard groups the
  training and the evaluation curves in sections of their own;
- images (``plots/<plot id>``): the image views of a snapshot, :func:`plot_image`: an image (its colour map's
  range ``levels`` mapped to [0, 1], in grey for a one-channel field), an image grid as one picture, an annotated
  image's picture, a clip's frames side by side; written at most every ``image_every`` seconds of the run and
  once more at the end;
- the embedding projector (``<plot id>``): the points of the scatter and word-map views of the last snapshot with
  their labels (class names, words) as ``metadata.tsv`` (:func:`plot_embedding`);
- histograms (``weights/<name>``): every floating-point weight array of a checkpoint state (optimizer
  moments ``opt.*`` are left out);
- hyperparameters (the HParams tab): the lesson's settings at the start, the final status at the end, with the
  scalar tags as its metrics;
- text (``events/<kind>``): notices, divergence, errors.

:class:`TensorBoardWriter` has the methods of a run recorder's sink (``open``, ``metrics``, ``events``,
``snapshot``, ``checkpoint``, ``close``: see the run directory's recorder), so it can be fed live by a headless
run or after the fact by :func:`export_session_to_tensorboard`.  Qt-free and engine-free.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from visualizer.core.plotdata import (AnnotatedImageData, ClipData, ImageData, ImageGridData, ScatterData,
                                      WordMapData)
from visualizer.core.rundir import RunSink

INSTALL_HINT = "pip install 'deep-learning-visualizer[tensorboard]'"
IMAGE_EVERY_S = 10.0          # seconds of run time between two images of the same plot (the last one is always kept)
MAX_STRIP_FRAMES = 16         # a clip's frames shown side by side (evenly spaced when it has more)
SECTIONS = ("train", "val", "test")
# a run's status -> TensorBoard's HParams status (which has no "stopped": such a run shows as unknown)
STATUS_NAMES = {"done": "STATUS_SUCCESS", "stopped": "STATUS_UNKNOWN", "diverged": "STATUS_FAILURE",
                "error": "STATUS_FAILURE", "running": "STATUS_RUNNING"}


class TensorBoardExportError(RuntimeError):
    """The export cannot run: tensorboardX is missing (the message says how to install it) or the folder cannot
    be written."""


def require_tensorboardx() -> None:
    """Raise TensorBoardExportError, saying how to install it, if tensorboardX cannot be imported."""
    try:
        import tensorboardX  # noqa: F401
    except ImportError as e:
        raise TensorBoardExportError(f"TensorBoard export needs tensorboardX, which is not installed ({e}): "
                                     f"{INSTALL_HINT}") from None


def _summary_writer(logdir: Path):
    require_tensorboardx()
    from tensorboardX import SummaryWriter
    try:
        logdir.mkdir(parents=True, exist_ok=True)
        return SummaryWriter(logdir=str(logdir), flush_secs=1)
    except OSError as e:
        raise TensorBoardExportError(f"Cannot write TensorBoard files to {logdir}: {e.strerror or e}") from e


def scalar_tag(name: str) -> str:
    """The TensorBoard tag of metric ``name``: ``train_loss`` -> ``train/loss``, ``val_acc@torch`` ->
    ``val/acc@torch``; a name of no section goes under ``metrics/`` (``d_loss`` -> ``metrics/d_loss``)."""
    head, sep, rest = name.partition("_")
    if sep and rest and head in SECTIONS:
        return f"{head}/{rest}"
    return f"metrics/{name}"


def _unit(a: np.ndarray, levels: tuple[float, float] | None) -> np.ndarray:
    """``a`` mapped linearly from ``levels`` (None: its finite range) to [0, 1], clipped; NaN -> 0."""
    a = np.asarray(a, dtype=np.float64)
    if levels is None:
        finite = a[np.isfinite(a)]
        levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    lo, hi = float(levels[0]), float(levels[1])
    scale = hi - lo if hi > lo else 1.0
    return np.clip(np.nan_to_num((a - lo) / scale, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0).astype(np.float32)


def _grid(tiles: np.ndarray, ncols: int = 0, pad: int = 1) -> np.ndarray:
    """(N, H, W[, 3]) tiles in [0, 1] -> one (rows*(H+pad)-pad, cols*(W+pad)-pad[, 3]) picture, row-major, with
    ``pad`` pixels of black between the tiles."""
    n, h, w = tiles.shape[:3]
    cols = ncols if ncols > 0 else int(math.ceil(math.sqrt(n)))
    cols = max(1, min(cols, n))
    rows = int(math.ceil(n / cols))
    out = np.zeros((rows * (h + pad) - pad, cols * (w + pad) - pad) + tiles.shape[3:], dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tiles[i]
    return out


def plot_image(data: Any) -> np.ndarray | None:
    """The picture TensorBoard shows for one plot's data: (H, W) grey or (H, W, 3) RGB float32 in [0, 1], row 0
    at the top; None for data that is not a picture.

    ImageData: ``levels`` -> [0, 1] (a field's row 0 is at the bottom, so it is flipped); ImageGridData: the tiles
    in a grid of ``ncols`` columns (0: about square) between ``levels`` (None: the data's range); AnnotatedImageData:
    its picture (boxes and marks are not drawn); ClipData: up to :data:`MAX_STRIP_FRAMES` frames side by side."""
    if isinstance(data, ImageData):
        img = np.asarray(data.image)
        if img.ndim not in (2, 3) or img.size == 0:
            return None
        return np.ascontiguousarray(_unit(img, data.levels)[::-1])
    if isinstance(data, ImageGridData):
        tiles = np.asarray(data.images)
        if tiles.ndim not in (3, 4) or tiles.shape[0] == 0:
            return None
        levels = data.levels if data.levels is not None or not data.rgb else (0.0, 1.0)
        return _grid(_unit(tiles, levels), data.ncols)
    if isinstance(data, AnnotatedImageData):
        img = np.asarray(data.image)
        return _unit(img, (0.0, 1.0)) if img.ndim in (2, 3) and img.size else None
    if isinstance(data, ClipData):
        frames = np.asarray(data.frames)
        pick = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), MAX_STRIP_FRAMES)).round().astype(int))
        return _grid(_unit(frames[pick], (0.0, 1.0)), ncols=len(pick))
    return None


def _clean_label(text: Any) -> str:
    """A metadata.tsv cell: no tab, no line break, not empty."""
    s = re.sub(r"[\t\r\n]+", " ", str(text)).strip()
    return s or "(blank)"


def plot_embedding(data: Any) -> tuple[np.ndarray, list, list[str] | None] | None:
    """The embedding projector's input for one plot's data: (points (N, D) float32, metadata rows, header or None),
    or None for data without points.  ScatterData: one label column (the class name, or the label number where
    the plot names no classes); WordMapData: the words and their class (``word``, ``class``), in 3-D where the
    view has the cloud (``points3d``)."""
    if isinstance(data, ScatterData):
        pts = np.asarray(data.points, dtype=np.float32)
        if pts.ndim != 2 or len(pts) == 0:
            return None
        names = list(data.class_names)
        labels = [_clean_label(names[int(k)] if 0 <= int(k) < len(names) else int(k))
                  for k in np.asarray(data.labels).ravel()]
        return pts, labels, None
    if isinstance(data, WordMapData):
        pts = np.asarray(data.points3d if data.points3d is not None else data.points, dtype=np.float32)
        if pts.ndim != 2 or len(pts) == 0:
            return None
        names = list(data.class_names)
        classes = np.asarray(data.classes).ravel()
        rows = [[_clean_label(w), _clean_label(names[int(classes[i])] if len(names) else int(classes[i]))]
                for i, w in enumerate(data.words)]
        return pts, rows, ["word", "class"]
    return None


def _hparam_value(v: Any) -> str | bool | float | None:
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    return str(v)


def _finite_rows(rows: Iterable[tuple[int, float, Mapping[str, float]]]):
    for step, t, metrics in rows:
        for name, value in metrics.items():
            if value is not None and math.isfinite(float(value)):
                yield int(step), float(t), name, float(value)


class TensorBoardWriter(RunSink):
    """A run sink (:class:`~visualizer.core.rundir.RunSink`, fed live by the headless run's recorder) that writes
    TensorBoard event files into ``logdir`` (created if missing).  It asks for the model's state at the end of the
    run (``wants_final_state``) for its weight histograms, besides the checkpoints of ``--checkpoint-every``.

    Call order: :meth:`open` once, then :meth:`metrics`, :meth:`events`, :meth:`snapshot` and :meth:`checkpoint`
    as the run goes, from one thread, then :meth:`close`.  image_every: seconds of run time (the ``t`` given to
    :meth:`snapshot`) between two images of the same plot; the last snapshot's images and embeddings are written by
    :meth:`close`.  Raises TensorBoardExportError if tensorboardX is missing or ``logdir`` cannot be created; the
    methods raise OSError when a write fails (the caller disables the sink)."""

    name = "TensorBoard"
    wants_final_state = True

    def __init__(self, logdir: Path | str, image_every: float = IMAGE_EVERY_S) -> None:
        self.logdir = Path(logdir)
        self.image_every = float(image_every)
        self._writer = _summary_writer(self.logdir)
        self._image_t: dict[str, float] = {}
        self._image_step: dict[str, int] = {}
        self._latest: tuple[int, float, dict] | None = None
        self._scalar_tags: set[str] = set()
        self._hparams: dict[str, Any] = {}
        self._closed = False
        self.counts = {"scalar tags": 0, "images": 0, "embeddings": 0, "histograms": 0}   # written so far

    # ---- the sink interface -------------------------------------------------------------------------
    def open(self, session_info: Mapping[str, Any]) -> None:
        """Write the run's settings: ``session_info`` is :meth:`SessionReadout.run_record` (its
        ``hyperparameters``, ``lesson``, ``engine``, ``device``, ``seed``) as HParams, and the whole record as
        text (``run/config``)."""
        from tensorboardX.summary import hparams
        import json

        hp = {k: _hparam_value(v) for k, v in dict(session_info.get("hyperparameters") or {}).items()}
        for key in ("lesson", "engine", "device", "seed"):
            if key in session_info:
                hp.setdefault(key, _hparam_value(session_info[key]))
        self._hparams = {k: v for k, v in hp.items() if v is not None}
        _exp, ssi, _sei = hparams(self._hparams, {})
        self._file_writer().add_summary(ssi)
        text = json.dumps(session_info, indent=1, default=str, sort_keys=True)
        self._writer.add_text("run/config", "```\n" + text + "\n```", 0)

    def metrics(self, rows: list[tuple[int, float, dict[str, float]]]) -> None:
        """Add each (step, t, {name: value}) row's finite values as scalars (``t``: seconds since the start; the
        event's wall time is the writer's clock)."""
        for step, _t, name, value in _finite_rows(rows):
            tag = scalar_tag(name)
            self._writer.add_scalar(tag, value, step)
            self._scalar_tags.add(tag)
        self.counts["scalar tags"] = len(self._scalar_tags)

    def events(self, events: list[dict]) -> None:
        """Add each event {"t", "step", "kind", "message"} as text under ``events/<kind>``."""
        for ev in events:
            kind = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(ev.get("kind", "event"))) or "event"
            self._writer.add_text(f"events/{kind}", str(ev.get("message", "")), int(ev.get("step", 0)))

    def snapshot(self, step: int, t: float, plots: Mapping[str, Any]) -> None:
        """Keep ``plots`` (plot id -> PlotData) as the latest snapshot and write the pictures of the plots whose
        last image is at least ``image_every`` seconds older than ``t``."""
        self._latest = (int(step), float(t), dict(plots))
        for plot_id, data in plots.items():
            last = self._image_t.get(plot_id)
            if last is not None and t - last < self.image_every:
                continue
            if self._add_image(plot_id, data, int(step)):
                self._image_t[plot_id] = float(t)

    def checkpoint(self, step: int, state: Mapping[str, np.ndarray]) -> None:
        """Add a histogram of every floating-point weight array of ``state`` (name -> array, a lesson's
        ``checkpoint_state``) under ``weights/<name>``; optimizer entries (``opt.*``), integer arrays and
        non-finite values are left out."""
        for name, arr in state.items():
            if name.startswith("opt."):
                continue
            a = np.asarray(arr)
            if a.dtype.kind != "f" or a.size == 0:
                continue
            a = a[np.isfinite(a)].astype(np.float64, copy=False)
            if a.size:
                self._writer.add_histogram(f"weights/{name}", a, int(step))
                self.counts["histograms"] += 1

    def close(self, status: str, exit_code: int | None) -> None:
        """Write the last snapshot's pictures (where not written at its step) and embeddings, the HParams
        experiment (its metrics: every scalar tag) and the run's status, and close the files."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._latest is not None:
                step, _t, plots = self._latest
                for plot_id, data in plots.items():
                    if self._image_step.get(plot_id) != step:
                        self._add_image(plot_id, data, step)
                    self._add_embedding(plot_id, data, step)
            self._write_hparams_end(status)
            if exit_code is not None:
                self._writer.add_text("run/status", f"{status} (exit code {exit_code})", 0)
        finally:
            self._writer.close()

    def describe(self) -> str:
        """What was written, in words, and how to look at it."""
        parts = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        return f"Exported to TensorBoard in {self.logdir} ({parts}); view with: tensorboard --logdir {self.logdir}"

    # ---- parts --------------------------------------------------------------------------------------
    def _file_writer(self):
        return self._writer._get_file_writer()

    def _add_image(self, plot_id: str, data: Any, step: int) -> bool:
        img = plot_image(data)
        if img is None:
            return False
        self._writer.add_image(f"plots/{plot_id}", img, step, dataformats="HWC" if img.ndim == 3 else "HW")
        self._image_step[plot_id] = step
        self.counts["images"] += 1
        return True

    def _add_embedding(self, plot_id: str, data: Any, step: int) -> None:
        emb = plot_embedding(data)
        if emb is None:
            return
        points, meta, header = emb
        self._writer.add_embedding(points, metadata=meta, global_step=step, tag=plot_id, metadata_header=header)
        self.counts["embeddings"] += 1

    def _write_hparams_end(self, status: str) -> None:
        from tensorboardX.proto.api_pb2 import Status
        from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.summary import hparams

        exp, _ssi, _sei = hparams(self._hparams, {tag: 0.0 for tag in sorted(self._scalar_tags)})
        self._file_writer().add_summary(exp)
        sei = SessionEndInfo(status=Status.Value(STATUS_NAMES.get(status, "STATUS_UNKNOWN")))
        content = HParamsPluginData(session_end_info=sei, version=0)
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="hparams",
                                                                       content=content.SerializeToString()))
        self._file_writer().add_summary(Summary(value=[Summary.Value(tag="_hparams_/session_end_info",
                                                                     metadata=meta)]))


def history_rows(history) -> list[tuple[int, float, dict[str, float]]]:
    """A :class:`~visualizer.core.history.MetricHistory` as sink rows (step, 0.0, {name: value}) in step order,
    one per step that has values (a series' points as kept: a long run's history holds every k-th point)."""
    by_step: dict[int, dict[str, float]] = {}
    for name in history.names():
        steps, values = history.series(name)
        for s, v in zip(steps.tolist(), values.tolist()):
            by_step.setdefault(int(s), {})[name] = float(v)
    return [(s, 0.0, by_step[s]) for s in sorted(by_step)]


def export_session_to_tensorboard(session, logdir: Path | str, state: Mapping[str, np.ndarray] | None = None,
                                  status: str = "done") -> str:
    """Write a session's run as TensorBoard files into ``logdir``: its settings (``run_record``), every metric
    series at its steps, the latest snapshot's pictures and embeddings, and histograms of ``state`` (a lesson's
    ``checkpoint_state``; None: none).  Returns a one-line summary for the user.  Raises TensorBoardExportError
    (tensorboardX missing, folder not writable) or OSError (a write failed)."""
    writer = TensorBoardWriter(logdir)
    try:
        writer.open(session.run_record())
        writer.metrics(history_rows(session.history))
        snap = session.latest_snapshot()
        step = max(int(session.step_count), 0)
        if snap.plots:
            writer.snapshot(snap.step, 0.0, snap.plots)
        if state:
            writer.checkpoint(step, state)
    finally:
        writer.close(status, None)
    return writer.describe()
