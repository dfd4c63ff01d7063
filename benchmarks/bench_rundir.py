"""What writing a run directory costs a headless run: steps/s without and with ``--run-dir``, side by side (issue #19).

Runs the command line itself (``python -m visualizer.cli --lesson L --headless --steps N``, one CPU thread as
the app's training process) in fresh processes, in interleaved rounds (A B A B ...: without, with), and reads the
training rate each prints (steps over training time, building excluded).  With ``--run-dir`` the run also takes
plot snapshots (at most once a second, within 3% of its time) and a background thread writes metrics.jsonl,
events.jsonl, run.json's heartbeat and the snapshots.  Prints every round, then per lesson the rates pooled over
the rounds (all steps / all training seconds) and the ratio with / without; target: with >= 0.95x without.

Usage:  python -m benchmarks.bench_rundir [--rounds 3] [--lesson mlp_digits:numpy:8000 --lesson dcgan:torch:300]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

TARGET = 0.95
RATE = re.compile(r": (\d+) steps in ([0-9.]+) s \(")
DEFAULT_LESSONS = ("mlp_digits:numpy:8000", "dcgan:torch:300")


def run_once(lesson: str, engine: str, steps: int, run_dir: str | None) -> tuple[int, float]:
    """One headless run in a fresh process: (steps trained, training seconds).  Raises RuntimeError if it
    failed or printed no rate."""
    cmd = [sys.executable, "-m", "visualizer.cli", "--lesson", lesson, "--headless", "--engine", engine,
           "--steps", str(steps), "--threads", "1"]
    if run_dir:
        cmd += ["--run-dir", run_dir]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    m = RATE.search(proc.stdout)
    if proc.returncode != 0 or m is None:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-1000:]}{proc.stderr[-2000:]}")
    return int(m.group(1)), float(m.group(2))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="pairs of runs per lesson (default 3)")
    ap.add_argument("--lesson", action="append", metavar="ID:ENGINE:STEPS",
                    help=f"lesson, engine and steps per run (repeatable; default {' '.join(DEFAULT_LESSONS)})")
    args = ap.parse_args(argv)
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="bench_rundir_") as tmp:
        for item in args.lesson or DEFAULT_LESSONS:
            lesson, engine, steps = item.split(":")
            totals = {"without": [0, 0.0], "with": [0, 0.0]}
            ratios = []
            print(f"{lesson} ({engine}, {steps} steps per run, one thread):")
            print(f"{'round':>6} {'without steps/s':>16} {'with steps/s':>13} {'ratio':>6}")
            for r in range(1, args.rounds + 1):
                rates = {}
                for label in ("without", "with"):               # interleaved: A B A B ...
                    run_dir = os.path.join(tmp, f"{lesson}_{r}") if label == "with" else None
                    n, seconds = run_once(lesson, engine, int(steps), run_dir)
                    totals[label][0] += n
                    totals[label][1] += seconds
                    rates[label] = n / seconds
                ratios.append(rates["with"] / rates["without"])
                print(f"{r:6d} {rates['without']:16.1f} {rates['with']:13.1f} {ratios[-1]:6.3f}", flush=True)
            pooled = {k: n / s for k, (n, s) in totals.items()}
            ratio = pooled["with"] / pooled["without"]
            verdicts.append(ratio >= TARGET)
            print(f"{lesson}: without {pooled['without']:.1f} steps/s, with --run-dir {pooled['with']:.1f} steps/s: "
                  f"{ratio:.3f}x (median of the rounds {statistics.median(ratios):.3f}x; target >= {TARGET}x: "
                  f"{'met' if ratio >= TARGET else 'not met'})")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
