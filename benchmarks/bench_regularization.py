"""Lesson ``regularization``: how much each cure narrows the generalization gap, side by side.

For each configuration (the lesson's defaults: 200 training digits, 5 hidden layers of 100 units,
Adam at 1e-3, batch 32; then one cure switched on) and each seed, trains ``--steps`` steps on the
NumPy engine with the session's schedule (evaluate once per epoch) and prints the final validation
accuracy, the accuracy gap (training − validation, whole training set in evaluation mode), the
validation loss and the loss gap (validation − training).  Early stopping reports the restored
(best) weights and the step where it stopped.  The last block averages over seeds.

Usage (from the repository root):
    python -m benchmarks.bench_regularization [--steps 900] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse
import statistics
import time

from lessons.regularization.lesson import LESSON

CONFIGS = {
    "baseline": {},
    "L2 0.01": {"l2": 0.01},
    "L1 0.001": {"l1": 0.001},
    "dropout 0.3": {"dropout": 0.3},
    "batch norm": {"batchnorm": True},
    "noise σ 0.5": {"input_noise": 0.5},
    "early stop (10)": {"early_stopping": True, "patience": 10},
    "all combined": {"batchnorm": True, "dropout": 0.2, "l2": 0.005, "input_noise": 0.2},
}


def run(config: dict, seed: int, steps: int) -> dict:
    """Train one configuration; returns the last evaluation, the stop step and the seconds taken."""
    lesson = LESSON(LESSON.hyperparameters(dict(config, seed=seed)))
    t0 = time.perf_counter()
    stop_step = None
    for step in range(1, steps + 1):
        lesson.train_step(step)
        lesson.flush()
        if step % lesson.eval_every == 0:
            m = lesson.evaluate()
            if lesson.stopped and stop_step is None:
                stop_step = step
    return dict(m, stop=stop_step, seconds=time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=900)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    print(f"{args.steps} steps, NumPy engine, lesson defaults plus the cure named")
    print(f"{'configuration':<16} {'seed':>4} {'val acc':>8} {'gap acc':>8} {'val loss':>9} {'gap loss':>9} "
          f"{'stopped':>8} {'s':>5}")
    results: dict[str, list[dict]] = {}
    for name, config in CONFIGS.items():
        for seed in args.seeds:
            r = run(config, seed, args.steps)
            results.setdefault(name, []).append(r)
            stop = "" if r["stop"] is None else str(r["stop"])
            print(f"{name:<16} {seed:>4} {r['val_acc']:>8.3f} {r['gap_acc']:>8.3f} {r['val_loss']:>9.3f} "
                  f"{r['gap_loss']:>9.3f} {stop:>8} {r['seconds']:>5.1f}")
    print(f"\nmean over seeds {args.seeds}")
    print(f"{'configuration':<16} {'val acc':>8} {'gap acc':>8} {'val loss':>9} {'gap loss':>9}")
    for name, rs in results.items():
        mean = {k: statistics.fmean(r[k] for r in rs) for k in ("val_acc", "gap_acc", "val_loss", "gap_loss")}
        print(f"{name:<16} {mean['val_acc']:>8.3f} {mean['gap_acc']:>8.3f} {mean['val_loss']:>9.3f} "
              f"{mean['gap_loss']:>9.3f}")


if __name__ == "__main__":
    main()
