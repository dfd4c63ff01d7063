"""Time to 98 % validation accuracy of lesson ``cnn_scratch``'s CNN with its default settings, per seed and engine.

Builds the lesson as the app does (default hyperparameters, embedded 8×8 digits), then runs the
training loop the session runs: ``train_step`` each step, ``evaluate`` every ``eval_every`` steps
(about a quarter epoch) and at each epoch end.  The clock counts only those calls (not building the
lesson or importing torch).  Each engine runs on one thread (threadpoolctl for NumPy's BLAS,
``torch.set_num_threads(1)``).  Prints, per engine and seed, the step and the seconds at which
validation accuracy first reached 98 %, the final and best validation accuracy, and steps per
second; then the numpy / torch ratio of the times (above 1: PyTorch is faster).

Usage (from the repository root):
    python -m benchmarks.bench_cnn_digits [--budget 60] [--seeds 0 1 2 3 4] [--engines numpy torch]
        [--set lr=0.001 ...]
"""
from __future__ import annotations

import argparse
import statistics

from threadpoolctl import threadpool_limits

from benchmarks.bench_digits_accuracy import train_to_target
from lessons.cnn_scratch.lesson import LESSON

TARGET = 0.98


def run(engine: str, seed: int, budget: float, overrides: dict) -> dict:
    """Train one lesson for ``budget`` seconds; returns time/step to the target, final/best accuracy."""
    lesson = LESSON(LESSON.hyperparameters({**overrides, "engine": engine, "seed": seed}))
    return train_to_target(lesson, TARGET, budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of training per run (default 60)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--engines", nargs="+", default=["numpy", "torch"])
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="override a default hyperparameter (for tuning)")
    args = parser.parse_args()
    overrides = dict(a.split("=", 1) for a in args.set)

    defaults = LESSON.hyperparameters(overrides).as_dict()
    shown = {k: defaults[k] for k in ("filters1", "filters2", "kernel", "pooling", "hidden", "optimizer", "lr",
                                      "batch_size", "dtype", "val_fraction")}
    print(f"cnn_scratch settings: {shown}; target {TARGET:.0%} validation accuracy, {args.budget:g} s per run, "
          "one thread per engine")
    if "torch" in args.engines:
        import torch
        torch.set_num_threads(1)
    times: dict[str, list[float]] = {e: [] for e in args.engines}
    with threadpool_limits(1):
        for engine in args.engines:
            for seed in args.seeds:
                r = run(engine, seed, args.budget, overrides)
                if r["reached"]:
                    step, sec = r["reached"]
                    times[engine].append(sec)
                    hit = f"98% at step {step:5d} ({sec:5.1f} s, epoch {step / (r['steps'] / r['epochs']):4.1f})"
                else:
                    hit = "98% not reached              "
                print(f"{engine:6s} seed {seed}: {hit}  final {r['final']:.3f}  best {r['best']:.3f}  "
                      f"{r['steps_per_s']:6.1f} steps/s  ({r['steps']} steps, {r['epochs']:.1f} epochs)",
                      flush=True)
    for engine, ts in times.items():
        if ts:
            print(f"{engine}: median time to 98% {statistics.median(ts):.1f} s "
                  f"({len(ts)}/{len(args.seeds)} seeds reached it)")
    if len(args.engines) == 2 and all(times[e] for e in args.engines):
        a, b = args.engines
        print(f"ratio {a}/{b} of median times: {statistics.median(times[a]) / statistics.median(times[b]):.2f}")


if __name__ == "__main__":
    main()
