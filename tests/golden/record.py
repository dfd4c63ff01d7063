"""Record (or check) every lesson's metrics after a fixed number of steps from a fixed seed, on each engine.

    python -m tests.golden.record            # rewrite tests/golden/lessons.json
    python -m tests.golden.record --check    # compare with it and print the worst relative difference

BLAS and torch are pinned to one thread, so the figures depend only on the BLAS kernel (the file records
which one).  The lesson kit issue (#12) ported every lesson onto one Trainer interface; this file was
written before the port and holds what the lessons computed then.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

GOLDEN = Path(__file__).with_name("lessons.json")
# Metric names the port (issue #12) changed to the shared vocabulary, one name per quantity: old -> new.
RENAMED: dict[str, str] = {"loss_D": "d_loss", "loss_G": "g_loss", "D_real": "d_real", "D_fake": "d_fake",
                           "test_acc": "val_acc", "test_loss": "val_loss"}
STEPS = 12            # few enough that float32 kernels differ by < 1e-4 relative after them
SEED = 3


def blas_kernel() -> str:
    """The BLAS kernel NumPy's OpenBLAS chose (e.g. 'SkylakeX', 'Haswell'); '' for a BLAS that names none.
    NumPy is imported first: threadpoolctl sees only loaded libraries (the first record named no kernel)."""
    import numpy  # noqa: F401  (loads the BLAS)
    from threadpoolctl import threadpool_info
    return ",".join(sorted({str(i.get("architecture")) for i in threadpool_info()
                            if i.get("user_api") == "blas" and i.get("architecture")}))


def run_lesson(cls, engine: str, steps: int = STEPS) -> dict:
    """Build ``cls`` on ``engine`` with seed SEED, run ``steps`` steps; the metrics of every step and the
    validation metrics after the last: {"train": [{name: value}, ...], "eval": {name: value}}."""
    from tests.golden.drive import step_metrics, eval_metrics
    from threadpoolctl import threadpool_limits
    torch_threads = None
    if engine == "torch":
        import torch
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(1)
    with threadpool_limits(1):
        lesson = cls(cls.hyperparameters({"seed": SEED, "engine": engine}))
        try:
            train = [step_metrics(lesson, i + 1) for i in range(steps)]
            ev = eval_metrics(lesson)
        finally:
            lesson.close()
            if torch_threads is not None:
                torch.set_num_threads(torch_threads)
    return {"train": train, "eval": ev}


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("--only", nargs="*")
    args = p.parse_args(argv)
    arch = blas_kernel()
    from visualizer.core import registry
    lessons = registry.discover()
    old = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    out = {"blas_kernel": arch, "steps": STEPS, "seed": SEED, "lessons": dict(old.get("lessons", {}))}
    for lid, cls in lessons.items():
        if args.only and lid not in args.only:
            continue
        for engine in cls.info.engines:
            key = f"{lid}/{engine}"
            t0 = time.perf_counter()
            rec = run_lesson(cls, engine)
            dt = time.perf_counter() - t0
            if args.check:
                worst = compare(old["lessons"].get(key), rec)
                print(f"{key:32s} {dt:6.1f} s  worst rel diff {worst:.3g}", flush=True)
            else:
                out["lessons"][key] = rec
                print(f"{key:32s} {dt:6.1f} s  {rec['train'][-1]}", flush=True)
    if not args.check:
        GOLDEN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


def compare(expected: dict | None, got: dict) -> float:
    """Largest relative difference between two records (inf if a metric is missing); the expected record's
    names go through RENAMED first."""
    if expected is None:
        return math.inf
    worst = 0.0
    pairs = list(zip(expected["train"], got["train"])) + [(expected["eval"], got["eval"])]
    pairs = [({RENAMED.get(k, k): v for k, v in e.items()}, g) for e, g in pairs]
    if len(expected["train"]) != len(got["train"]):
        return math.inf
    for e, g in pairs:
        for k, v in e.items():
            if k not in g:
                return math.inf
            worst = max(worst, rel(v, g[k]))
    return worst


def rel(a: float, b: float) -> float:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


if __name__ == "__main__":
    sys.exit(main())
