"""What writing a run directory costs a headless run: steps/s without and with ``--run-dir``, side by side (issue #19).

Two measurements, both interleaved (A B A B ...: without, with) so that a machine whose load drifts hurts both
alike:

* ``blocks`` (default): one process per lesson trains one TrainingSession set up as the CLI sets it up for
  ``--run-dir`` (snapshots at most once a second within 3% of the time, a RunRecorder feeding a
  RunDirectoryWriter from its background thread) in blocks of ``--block`` seconds; in the "without" blocks the
  recorder's history listener is detached and snapshots are off, as in a plain headless run.  Per block: steps
  per wall second, and process CPU seconds per step (all threads: training and writing), which a loaded machine
  disturbs less.  The writer's tail (rows still queued when a "with" block ends) is written before the next
  block starts and counted in that block's CPU time.
* ``cli``: the command line itself in fresh processes (``python -m visualizer.cli ... --headless`` without and
  with ``--run-dir``), reading the training rate each prints (building excluded).

Prints every pair, then per lesson the pooled rates (all steps / all seconds) and the ratio with / without;
target: with >= 0.95x without.  One CPU thread, as the app's training process.

Usage:  python -m benchmarks.bench_rundir [--mode blocks|cli|both] [--pairs 6] [--block 1.5]
            [--lesson mlp_digits:numpy --lesson dcgan:torch] [--cli-steps 6000]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = 0.95
RATE = re.compile(r": (\d+) steps in ([0-9.]+) s \(")
DEFAULT_LESSONS = ("mlp_digits:numpy", "dcgan:torch")


def verdict(ratio: float) -> str:
    return f"target >= {TARGET}x: {'met' if ratio >= TARGET else 'not met'}"


# ---- in-process blocks ----------------------------------------------------------------------------------------
def train_block(session, seconds: float) -> tuple[int, float, float]:
    """Train for about ``seconds``: (steps, wall s, process CPU s).  Wall time runs to the pause; the step under
    way then is counted too (one step more in every block, with or without)."""
    first = session.step_count
    w0, c0 = time.perf_counter(), time.process_time()
    session.step(10**9)
    time.sleep(seconds)
    session.pause()
    wall = time.perf_counter() - w0
    if not session.wait_idle(120):
        raise RuntimeError("the step under way did not finish within 120 s")
    return session.step_count - first, wall, time.process_time() - c0


def run_blocks(lesson_id: str, engine: str, pairs: int, block: float, folder: str) -> float:
    from visualizer.core import registry
    from visualizer.core.rundir import RunDirectoryWriter, RunRecorder
    from visualizer.core.session import TrainingSession
    from visualizer.core.threads import apply_threads

    apply_threads(1)
    session = TrainingSession(registry.get(lesson_id), {"engine": engine}, snapshots=True, snapshot_budget=0.03,
                              max_snapshot_hz=1.0)          # the CLI's settings with --run-dir
    if not session.wait_idle(600) or session.lesson is None:
        raise RuntimeError(f"{lesson_id} did not build: {[e.message for e in session.drain_events()]}")
    writer = RunDirectoryWriter(os.path.join(folder, lesson_id))
    writer.claim()
    recorder = RunRecorder(session, [writer], steps_requested=0)
    recorder.start()
    train_block(session, min(block, 2.0))                   # warm-up, not counted
    totals = {"without": [0, 0.0, 0.0], "with": [0, 0.0, 0.0]}
    ratios = []
    print(f"{lesson_id} ({engine}, blocks of {block:g} s, one thread):")
    print(f"{'pair':>5} {'without steps/s':>16} {'with steps/s':>13} {'ratio':>6} {'CPU ms/step w/o':>16} "
          f"{'with':>7} {'ratio':>6}")
    try:
        for i in range(1, pairs + 1):
            row = {}
            for label in ("without", "with"):
                on = label == "with"
                session.snapshots_enabled = on
                if on:
                    recorder.attach()
                else:
                    recorder.detach()
                n, wall, cpu = train_block(session, block)
                if on:                                     # the writer's tail, counted in this block's CPU
                    recorder.detach()
                    c0 = time.process_time()
                    time.sleep(2 * recorder.interval)
                    cpu += time.process_time() - c0
                t = totals[label]
                t[0] += n
                t[1] += wall
                t[2] += cpu
                row[label] = (n / wall, 1000 * cpu / n)
            ratios.append(row["with"][0] / row["without"][0])
            print(f"{i:5d} {row['without'][0]:16.1f} {row['with'][0]:13.1f} {ratios[-1]:6.3f} "
                  f"{row['without'][1]:16.3f} {row['with'][1]:7.3f} {row['without'][1] / row['with'][1]:6.3f}",
                  flush=True)
    finally:
        session.snapshots_enabled = True
        recorder.close("done", 0)
        session.stop(5.0)
    rate = {k: n / wall for k, (n, wall, _) in totals.items()}
    cpu = {k: cpu / n for k, (n, _, cpu) in totals.items()}
    ratio, cpu_ratio = rate["with"] / rate["without"], cpu["without"] / cpu["with"]
    print(f"{lesson_id}: without {rate['without']:.1f} steps/s, with the run directory {rate['with']:.1f} steps/s: "
          f"{ratio:.3f}x (median of the pairs {statistics.median(ratios):.3f}x); CPU per step "
          f"{1000 * cpu['without']:.3f} vs {1000 * cpu['with']:.3f} ms: {cpu_ratio:.3f}x; {verdict(ratio)}")
    return ratio


# ---- the command line in fresh processes -------------------------------------------------------------------------
def run_cli(lesson: str, engine: str, steps: int, run_dir: str | None) -> tuple[int, float]:
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


def run_cli_pairs(lesson: str, engine: str, steps: int, pairs: int, folder: str) -> float:
    totals = {"without": [0, 0.0], "with": [0, 0.0]}
    ratios = []
    print(f"{lesson} ({engine}, command line, {steps} steps per run, one thread):")
    print(f"{'pair':>5} {'without steps/s':>16} {'with steps/s':>13} {'ratio':>6}")
    for i in range(1, pairs + 1):
        rates = {}
        for label in ("without", "with"):
            n, seconds = run_cli(lesson, engine, steps, os.path.join(folder, f"cli_{lesson}") if label == "with"
                                 else None)
            totals[label][0] += n
            totals[label][1] += seconds
            rates[label] = n / seconds
        ratios.append(rates["with"] / rates["without"])
        print(f"{i:5d} {rates['without']:16.1f} {rates['with']:13.1f} {ratios[-1]:6.3f}", flush=True)
    pooled = {k: n / s for k, (n, s) in totals.items()}
    ratio = pooled["with"] / pooled["without"]
    print(f"{lesson} (command line): without {pooled['without']:.1f} steps/s, with --run-dir {pooled['with']:.1f} "
          f"steps/s: {ratio:.3f}x (median of the pairs {statistics.median(ratios):.3f}x); {verdict(ratio)}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("blocks", "cli", "both"), default="blocks")
    ap.add_argument("--pairs", type=int, default=6, help="pairs of blocks or runs per lesson (default 6)")
    ap.add_argument("--block", type=float, default=1.5, help="seconds per block (default 1.5)")
    ap.add_argument("--cli-steps", type=int, default=6000, help="steps per command-line run (default 6000)")
    ap.add_argument("--lesson", action="append", metavar="ID:ENGINE",
                    help=f"lesson and engine (repeatable; default {' '.join(DEFAULT_LESSONS)})")
    args = ap.parse_args(argv)
    ratios = []
    with tempfile.TemporaryDirectory(prefix="bench_rundir_") as tmp:
        for item in args.lesson or DEFAULT_LESSONS:
            lesson, engine = item.split(":")
            if args.mode in ("blocks", "both"):
                ratios.append(run_blocks(lesson, engine, args.pairs, args.block, tmp))
            if args.mode in ("cli", "both"):
                ratios.append(run_cli_pairs(lesson, engine, args.cli_steps, args.pairs, tmp))
    return 0 if all(r >= TARGET for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
