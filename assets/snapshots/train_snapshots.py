"""Train the pretrained snapshots that narrative steps load with "Skip ahead", and write their provenance.

    PYTHONPATH=. python assets/snapshots/train_snapshots.py            # all (about 4 minutes on one core)
    PYTHONPATH=. python assets/snapshots/train_snapshots.py attention  # only those of one lesson

Each snapshot trains the lesson's default model (plus the step's settings) with the app's own
``TrainingSession``, headless, on one CPU thread, seed 0, for the steps its narrative describes.  The
weights (no optimizer state) are stored as float16 in ``lessons/<id>/snapshots/<name>.<engine>.npz``
(:mod:`visualizer.core.checkpoint` format; see :mod:`visualizer.core.snapshots`).  A lesson that runs on
both engines gets a file for each: the torch file holds the very weights the NumPy engine learned,
converted to PyTorch's layout.  Every file is then loaded back into a fresh lesson through the app's own
loading path and evaluated; those metrics go into the file's header and into
``assets/snapshots/provenance.json`` with the command, seed, steps, settings and sha256 of every file.
``tests/core/test_snapshots.py`` checks the files against that record.

Run it from the repository root after changing a model whose snapshot is shipped (its arrays would no
longer fit), and commit the new files once.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE = ROOT / "assets" / "snapshots" / "provenance.json"
SCRIPT = "assets/snapshots/train_snapshots.py"
MAX_CURVE_POINTS = 120           # training-loss points kept per snapshot (bin means); evaluations all kept


@dataclass(frozen=True)
class Plan:
    """One snapshot: ``lesson`` trained ``steps`` steps with ``settings`` over the defaults, saved as ``name``."""

    lesson: str
    name: str
    steps: int
    settings: dict[str, Any] = field(default_factory=dict)
    note: str = ""


PLANS = (
    Plan("attention", "dates_1000_steps", 1000,
         note="the 300 + 700 steps of the narrative's steps 2 and 3; 'Alignment appears' and 'Your own date'"),
    Plan("seq2seq", "peeky_reversed_3000_steps", 3000, {"variant": "peeky+reversed"},
         note="the 3,000 steps of 'The peeky decoder' (peeky + reversed)"),
)


def _to_float16(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Weights only (no ``opt.*``), float arrays as float16 (checked to fit)."""
    out = {}
    for key, value in state.items():
        if key.startswith("opt."):
            continue
        value = np.asarray(value)
        if value.dtype.kind == "f":
            if value.size and float(np.max(np.abs(value))) > 6e4:
                raise SystemExit(f"{key}: values beyond float16's range; store it as float32")
            value = value.astype(np.float16)
        out[key] = value
    return out


def _thin(steps: np.ndarray, values: np.ndarray, most: int) -> tuple[list[float], list[float]]:
    """At most ``most`` points: means over equal bins of consecutive points."""
    if len(steps) <= most:
        return [float(s) for s in steps], [float(v) for v in values]
    bins = np.array_split(np.arange(len(steps)), most)
    return ([round(float(steps[b].mean()), 1) for b in bins], [float(values[b].mean()) for b in bins])


def _curves(history) -> dict[str, tuple[list[float], list[float]]]:
    out = {}
    for name in history.names():
        steps, values = history.series(name)
        if name == "epoch":
            continue
        out[name] = _thin(steps, values, MAX_CURVE_POINTS if name.startswith("train") else 10_000)
    return out


def _torch_weights(lesson_cls, values: dict[str, Any], scratch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The NumPy engine's weights in the torch twin's layout: a torch lesson is built with the same settings and
    its model's ``named_scratch_params`` (scratch name -> tensor, LSTM weights transposed) receive them."""
    import torch

    from visualizer.models.encoder_decoder_torch import TRANSPOSED

    lesson = lesson_cls(lesson_cls.hyperparameters(dict(values, engine="torch", device="cpu")))
    try:
        model = lesson.trainer.modules["model"]
        with torch.no_grad():
            for name, tensor in model.named_scratch_params().items():
                w = scratch[f"param.{name}"]
                tensor.copy_(torch.from_numpy(np.ascontiguousarray(w.T if name.endswith(TRANSPOSED) else w)))
        return lesson.checkpoint_state()
    finally:
        lesson.close()


def _evaluate(lesson_cls, values: dict[str, Any], engine: str, weights: dict[str, np.ndarray]) -> dict[str, float]:
    """Metrics of ``weights`` loaded into a fresh lesson on ``engine`` through the app's loading path."""
    from visualizer.core.snapshots import with_fresh_optimizer

    lesson = lesson_cls(lesson_cls.hyperparameters(dict(values, engine=engine, device="cpu")))
    try:
        lesson.load_checkpoint_state(with_fresh_optimizer(lesson.checkpoint_state(), weights))
        return {k: float(v) for k, v in lesson.evaluate().items()}
    finally:
        lesson.close()


def train(plan: Plan) -> list[dict[str, Any]]:
    """Train ``plan``, write its file(s); their provenance entries."""
    from visualizer.core import registry
    from visualizer.core.checkpoint import save_checkpoint
    from visualizer.core.session import TrainingSession
    from visualizer.core.snapshots import snapshot_path

    lesson_cls = registry.get(plan.lesson)
    values = dict(plan.settings, engine="numpy", device="cpu", seed=0)
    session = TrainingSession(lesson_cls, values, snapshots=False)
    try:
        if not session.wait_idle(600) or session.lesson is None:
            raise SystemExit(f"{plan.lesson}: the lesson did not build: {session.drain_events()}")
        t0 = time.perf_counter()
        session.step(plan.steps)
        if not session.wait_idle(3600) or session.step_count != plan.steps:
            raise SystemExit(f"{plan.lesson}: training stopped at step {session.step_count}: {session.drain_events()}")
        seconds = time.perf_counter() - t0
        settings = session.applied.as_dict()
        state = session.lesson.checkpoint_state()          # the worker is idle: nothing else touches the lesson
        curves = _curves(session.history)
    finally:
        session.stop(5.0)
    print(f"{plan.lesson}/{plan.name}: {plan.steps} steps in {seconds:.0f} s")
    files = {"numpy": _to_float16(state)}
    if "torch" in lesson_cls.info.engines:
        files["torch"] = _to_float16(_torch_weights(lesson_cls, settings, state))
    entries = []
    for engine, weights in files.items():
        metrics = _evaluate(lesson_cls, settings, engine, weights)
        path = snapshot_path(lesson_cls, plan.name, engine)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"step": plan.steps, "hyperparameters": dict(settings, engine=engine),
                "snapshot": {"name": plan.name, "metrics": metrics, "curves": curves, "script": SCRIPT,
                             "trained_on": "numpy"}}
        save_checkpoint(path, lesson_cls.info.id, weights, meta)
        data = path.read_bytes()
        entries.append({"lesson": plan.lesson, "name": plan.name, "engine": engine,
                        "file": path.relative_to(ROOT).as_posix(), "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(), "steps": plan.steps, "seed": 0,
                        "settings": plan.settings, "trained_on": "numpy", "train_seconds": round(seconds, 1),
                        "metrics": metrics, "note": plan.note})
        shown = ", ".join(f"{k} = {v:.4f}" for k, v in metrics.items())
        print(f"  {path.relative_to(ROOT)}: {len(data) / 1e6:.2f} MB, {shown}")
    return entries


def main(argv: list[str]) -> int:
    from visualizer.core.threads import apply_threads, choose_threads

    threads = apply_threads(choose_threads(1))
    wanted = set(argv) or {p.lesson for p in PLANS}
    old = json.loads(PROVENANCE.read_text()) if PROVENANCE.exists() else {"snapshots": []}
    kept = [e for e in old.get("snapshots", []) if e["lesson"] not in wanted]
    entries = [e for plan in PLANS if plan.lesson in wanted for e in train(plan)]
    import torch
    record = {
        "script": SCRIPT,
        "command": f"PYTHONPATH=. python {SCRIPT}" + (f" {' '.join(sorted(argv))}" if argv else ""),
        "threads": threads.describe(),
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__},
        "snapshots": sorted(kept + entries, key=lambda e: (e["lesson"], e["name"], e["engine"])),
    }
    PROVENANCE.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {PROVENANCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
