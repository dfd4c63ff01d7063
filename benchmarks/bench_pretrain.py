"""Pretraining the source model of transfer learning: seconds and validation accuracy, 2 threads vs 1.

Runs ``visualizer.models.shapes_pretrained.pretrain`` (the small VGG on the 8 generated source shapes, 30
epochs, as the shipped weights were made) with 2 torch threads and then with 1, and prints the time of each,
their ratio and the validation accuracy.  Target (issue #15): pretraining takes <= 2 minutes on 2 CPU cores.
Run it on a quiet machine: other processes on the cores lengthen both times.

Usage:  python -m benchmarks.bench_pretrain [--epochs 30] [--threads 2,1]
"""
from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", default="2,1", help="comma-separated torch thread counts to run, in order")
    args = ap.parse_args(argv)
    from visualizer.data.shapes import SOURCE_CLASSES
    from visualizer.models.shapes_pretrained import pretrain
    counts = [int(t) for t in args.threads.split(",")]
    rows = []
    for threads in counts:
        t0 = time.perf_counter()
        _, info = pretrain(args.epochs, threads=threads)
        rows.append((threads, time.perf_counter() - t0, info["val_acc"]))
        print(f"threads {threads}: {rows[-1][1]:6.1f} s (data included), validation accuracy {info['val_acc']:.3f} "
              f"on {len(SOURCE_CLASSES)} source shapes", flush=True)
    base = rows[-1][1]
    for threads, seconds, _ in rows:
        print(f"threads {threads}: {seconds / base:.2f}x the time of {counts[-1]} thread(s); "
              f"{seconds / 120:.2f}x the 120 s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
