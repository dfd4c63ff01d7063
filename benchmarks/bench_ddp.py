"""Does a torchrun run with 2 processes learn like one process with the same global batch?  (issue #19)

For each lesson (dcgan, vae), three headless runs of ``--steps`` steps through the CLI, one CPU thread each:
  * single(s):  one process, global batch B (the lesson's default), seed s;
  * ddp(s):     ``torchrun --standalone --nproc-per-node 2`` (gloo), B / 2 per process on disjoint shards,
                gradients averaged by DDP, seed s (the same initial weights as single(s), another data order);
  * single(s'): one process, seed s' (other initial weights and data order): the seed-to-seed noise.
Every run exports its curves (CSV; torchrun's rank 0 alone).  Each curve is expanded to one value per step (a
record holds the mean since the previous record: every step in one process, every 10 steps and at each
evaluation under torchrun), smoothed by a trailing moving average of ``--window`` steps, and compared from step
``window`` on: the mean absolute difference ddp(s) vs single(s) against single(s') vs single(s).  Verdict: the
DDP curve matches when its difference is at most ``--tolerance`` (1.5) times the seed-to-seed one.  Also the
final smoothed values and the training steps/s the CLI reports (building and start-up excluded).

    python -m benchmarks.bench_ddp [--steps 400] [--lessons dcgan,vae] [--window 50] [--seeds 0,1]
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CURVES = {"dcgan": ("losses.csv", ("d_loss", "g_loss")), "vae": ("loss.csv", ("train_loss",))}
RATE = re.compile(r": (\d+) steps in ([\d.]+) s \(([\d.]+) steps/s\)")


def run(lesson: str, steps: int, seed: int, out: Path, ddp: bool) -> float:
    """One headless run exporting to ``out``; returns the training steps/s the CLI printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                                            "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"] if ddp
                else [sys.executable])
    cmd = [*launcher, "-m", "visualizer.cli", "--headless", "--lesson", lesson, "--steps", str(steps),
           "--set", f"seed={seed}", "--threads", "1", "--export", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    m = RATE.search(r.stdout)
    if r.returncode != 0 or m is None:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return float(m.group(3))


def per_step(path: Path, name: str, steps: int) -> np.ndarray:
    """The curve ``name`` of an exported CSV as one value per step 1..steps: each record's value fills the
    steps since the previous record (its window)."""
    with open(path, newline="") as f:
        rows = [(int(r["step"]), float(r[name])) for r in csv.DictReader(f) if r.get(name)]
    out = np.full(steps, np.nan)
    prev = 0
    for step, value in rows:
        out[prev:step] = value
        prev = step
    return out


def smooth(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` steps; entry i averages steps i - window + 1 .. i (NaN before)."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    out = np.full(len(x), np.nan)
    out[window - 1:] = (c[window:] - c[:-window]) / window
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--lessons", default="dcgan,vae")
    ap.add_argument("--window", type=int, default=50)
    ap.add_argument("--seeds", default="0,1", help="s,s': the seed of the compared runs and of the noise run")
    ap.add_argument("--tolerance", type=float, default=1.5)
    args = ap.parse_args()
    s, s2 = (int(v) for v in args.seeds.split(","))
    t_start = time.perf_counter()
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        for lesson in args.lessons.split(","):
            csv_name, names = CURVES[lesson]
            runs = {"single(s)": (s, False), "ddp(s)": (s, True), "single(s')": (s2, False)}
            rates, curves = {}, {}
            for label, (seed, ddp) in runs.items():
                out = Path(tmp) / f"{lesson}-{label}"
                rates[label] = run(lesson, args.steps, seed, out, ddp)
                curves[label] = {n: smooth(per_step(out / csv_name, n, args.steps), args.window) for n in names}
            print(f"\n{lesson}: {args.steps} steps, global batch = the default, moving average {args.window} steps; "
                  f"s = {s}, s' = {s2}")
            for label, rate in rates.items():
                print(f"  {label:11s} {rate:7.1f} steps/s" + ("  (2 processes, gloo)" if "ddp" in label else ""))
            for n in names:
                a, d, b = curves["single(s)"][n], curves["ddp(s)"][n], curves["single(s')"][n]
                ok = np.isfinite(a) & np.isfinite(d) & np.isfinite(b)
                diff_ddp = float(np.mean(np.abs(d[ok] - a[ok])))
                noise = float(np.mean(np.abs(b[ok] - a[ok])))
                ratio = diff_ddp / noise if noise > 0 else float("inf")
                good = ratio <= args.tolerance
                verdicts.append((lesson, n, good))
                print(f"  {n}: mean |ddp(s) - single(s)| = {diff_ddp:.4f}; seed-to-seed |single(s') - single(s)| = "
                      f"{noise:.4f}; ratio {ratio:.2f}; final smoothed: single(s) {a[-1]:.4f}, ddp(s) {d[-1]:.4f}, "
                      f"single(s') {b[-1]:.4f}  -> {'within' if good else 'OUTSIDE'} the noise")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")
    bad = [f"{lesson}.{n}" for lesson, n, good in verdicts if not good]
    print("verdict: the 2-process curves match the single-process ones within the seed-to-seed noise"
          if not bad else f"verdict: NOT within {args.tolerance}x the seed-to-seed noise: {', '.join(bad)}")


if __name__ == "__main__":
    main()
