"""Run directories for the tests, written by hand in the format of the README's "The run directory" (schema 1),
so the reading side is tested on its own: run.json, metrics.jsonl, events.jsonl and snapshots of a real lesson's
plots (``mlp_digits`` trained a few steps, through :func:`visualizer.core.plot_archive.save_plots`)."""
from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path

LESSON = "mlp_digits"


@functools.lru_cache(maxsize=1)
def real_run(steps: int = 4) -> tuple[dict, dict, list[tuple[int, dict]]]:
    """(plots, run record, metric rows) of ``mlp_digits`` after ``steps`` steps on the NumPy engine: its
    snapshot (plot id -> PlotData), its ``run_record()`` and [(step, {name: value})] from its history."""
    from visualizer.core import registry
    from visualizer.core.session import TrainingSession

    session = TrainingSession(registry.get(LESSON), {"hidden_units": 16}, snapshots=True)
    try:
        session.wait_idle(60)
        session.step(steps)
        session.wait_idle(60)
        plots = dict(session.latest_snapshot().plots)
        record = session.run_record()
        x, _ = session.history.series("train_loss")
        rows = [(int(s), {n: float(session.history.series(n)[1][i]) for n in ("train_loss", "train_acc")})
                for i, s in enumerate(x)]
    finally:
        session.stop(2.0)
    return plots, record, rows


def write_run_json(folder: Path, *, status: str = "running", schema: int = 1, lesson: str = LESSON,
                   heartbeat: float | None = None, started: float | None = None, token: str = "t0k3n",
                   config: dict | None = None, **extra) -> dict:
    """run.json of a run directory, written atomically as the writer does.  Returns what was written."""
    now = time.time()
    data = {"schema": schema, "format": "dlvis-run", "lesson": lesson, "status": status,
            "writer": {"pid": 4242, "host": "gpu-server", "started": now - 5.0 if started is None else started,
                       "token": token},
            "heartbeat": now if heartbeat is None else heartbeat, "world_size": 1, "steps_requested": 500,
            "config": config if config is not None else {"lesson": lesson, "title": "MLP on handwritten digits",
                                                         "hyperparameters": {"hidden_units": 16}},
            "ended": None if status == "running" else now, "exit_code": None if status == "running" else 0}
    data.update(extra)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".run.json.tmp"
    tmp.write_text(json.dumps(data))
    os.replace(tmp, folder / "run.json")
    return data


def metrics_line(step: int, metrics: dict, t: float | None = None) -> bytes:
    """One line of metrics.jsonl (NaN and infinities as null)."""
    clean = {k: (v if v == v and abs(v) != float("inf") else None) for k, v in metrics.items()}
    return (json.dumps({"step": step, "t": float(step) / 100 if t is None else t, "metrics": clean}) + "\n").encode()


def append(folder: Path, name: str, data: bytes) -> None:
    """Append ``data`` to ``folder/name`` and flush, as the writer does."""
    with open(folder / name, "ab") as f:
        f.write(data)
        f.flush()


def event_line(step: int, kind: str, message: str, t: float = 0.0) -> bytes:
    return (json.dumps({"t": t, "step": step, "kind": kind, "message": message}) + "\n").encode()


def save_snapshot(folder: Path, step: int, plots: dict, name: str = "latest.npz", t: float = 1.0) -> Path:
    """A snapshot file under folder/snapshots (``latest.npz`` or ``step_%09d.npz``)."""
    from visualizer.core.plot_archive import save_plots

    path = folder / "snapshots" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    save_plots(path, step, plots, {"t": t})
    return path


def timeline_name(step: int) -> str:
    return f"step_{step:09d}.npz"


def make_run(folder: Path, status: str = "running", steps: int = 0) -> Path:
    """A complete run directory of ``mlp_digits``: run.json, ``steps`` metric lines (the real run's first rows
    repeated), an event, the latest snapshot and two timeline snapshots.  Returns ``folder``."""
    plots, record, rows = real_run()
    write_run_json(folder, status=status, config=record)
    (folder / "metrics.jsonl").touch()
    (folder / "events.jsonl").touch()
    for i in range(steps):
        append(folder, "metrics.jsonl", metrics_line(i + 1, rows[i % len(rows)][1]))
    append(folder, "events.jsonl", event_line(0, "notice", "Using the embedded 8x8 digits."))
    save_snapshot(folder, max(steps, 1), plots)
    for step in (max(steps // 2, 1), max(steps, 2)):
        save_snapshot(folder, step, plots, timeline_name(step), t=step / 100)
    return folder
