"""Record (or check) every lesson's metrics after a fixed number of steps from a fixed seed, on each engine.

    python -m tests.golden.record            # rewrite tests/golden/lessons.json
    python -m tests.golden.record --check    # compare with it and print the worst relative difference
    python -m tests.golden.record --engine torch --only dcgan   # rewrite one lesson's torch record

BLAS and torch are pinned to one thread.  The NumPy engine's figures then depend only on OpenBLAS's kernel (the
file records which one).  Torch's would depend on the CPU too: its own kernels are picked for AVX-512, AVX2 or
none, oneDNN's and MKL's likewise, and after 12 steps an AVX-512 and an AVX2 machine differ by up to 0.6 relative
on ssd (the record made on one failed on the other in CI).  So the torch engine runs in a child process with its
numerics pinned to code every x86-64 CPU runs (PINNED_TORCH_ENV, oneDNN and NNPACK off): there the figures were
identical on this AVX2 machine natively and told to use AVX only.  The lesson kit issue (#12) ported every lesson
onto one Trainer interface; the NumPy records were written before the port and hold what the lessons computed then.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOLDEN = Path(__file__).with_name("lessons.json")
# Metric names the port (issue #12) changed to the shared vocabulary, one name per quantity: old -> new.
RENAMED: dict[str, str] = {"loss_D": "d_loss", "loss_G": "g_loss", "D_real": "d_real", "D_fake": "d_fake",
                           "test_acc": "val_acc", "test_loss": "val_loss"}
STEPS = 12            # few enough that float32 kernels differ by < 1e-4 relative after them
SEED = 3
ROOT = Path(__file__).resolve().parents[2]
# read by ATen, MKL and oneDNN when they load: ATen's scalar kernels, MKL's reproducible code path (conditional
# numerical reproducibility), oneDNN capped to SSE4.1 should anything still reach it; one thread each
PINNED_TORCH_ENV = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "SSE41",
                    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


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


def torch_records(lesson_ids: list[str], timeout: float = 1200.0) -> dict[str, dict]:
    """Run the torch engine of each lesson in ``lesson_ids`` in one child process with pinned numerics
    (PINNED_TORCH_ENV); {"<id>/torch": record, or {"error": message} for a lesson that raised}.

    Raises RuntimeError if the child fails as a whole (its stderr in the message)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "torch.json"
        env = {**os.environ, **PINNED_TORCH_ENV}
        run = subprocess.run([sys.executable, "-m", "tests.golden.record", "--torch-child", str(out),
                              "--only", *lesson_ids], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=timeout)
        if run.returncode != 0 or not out.exists():
            raise RuntimeError(f"the pinned torch child failed ({run.returncode}):\n{run.stderr[-4000:]}")
        return json.loads(out.read_text())


def _torch_child(out: Path, lesson_ids: list[str]) -> int:
    """In the pinned child: ATen must have taken the scalar kernels; oneDNN and NNPACK are switched off so
    convolutions go through ATen and MKL's reproducible matrix products."""
    import torch
    cap = torch.backends.cpu.get_cpu_capability()
    if cap != "DEFAULT":
        print(f"ATEN_CPU_CAPABILITY=default was not honoured (capability {cap})", file=sys.stderr)
        return 2
    torch.backends.mkldnn.enabled = False
    torch.backends.nnpack.set_flags(False)
    from visualizer.core import registry
    lessons = registry.discover()
    got: dict[str, dict] = {}
    for lid in lesson_ids:
        try:
            got[f"{lid}/torch"] = run_lesson(lessons[lid], "torch")
        except Exception as e:  # noqa: BLE001  (reported per lesson by the test)
            got[f"{lid}/torch"] = {"error": f"{type(e).__name__}: {e}"}
    out.write_text(json.dumps(got))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("--only", nargs="*")
    p.add_argument("--engine", choices=["numpy", "torch"], help="only this engine's records")
    p.add_argument("--torch-child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.torch_child:
        return _torch_child(args.torch_child, args.only or [])
    arch = blas_kernel()
    from visualizer.core import registry
    lessons = registry.discover()
    old = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    # the NumPy records name the kernel they were made under; rewriting only torch records keeps that name
    out = {"blas_kernel": arch if args.engine != "torch" else old.get("blas_kernel", arch), "steps": STEPS,
           "seed": SEED, "lessons": dict(old.get("lessons", {})), "torch_env": PINNED_TORCH_ENV}
    chosen = [lid for lid in lessons if not args.only or lid in args.only]
    pinned: dict[str, dict] = {}
    if args.engine in (None, "torch"):
        t0 = time.perf_counter()
        pinned = torch_records([lid for lid in chosen if "torch" in lessons[lid].info.engines])
        print(f"torch engine, pinned child: {time.perf_counter() - t0:.1f} s", flush=True)
    for lid in chosen:
        cls = lessons[lid]
        for engine in cls.info.engines:
            if args.engine and engine != args.engine:
                continue
            key = f"{lid}/{engine}"
            t0 = time.perf_counter()
            rec = pinned[key] if engine == "torch" else run_lesson(cls, engine)
            if "error" in rec:
                raise RuntimeError(f"{key}: {rec['error']}")
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
