"""Transfer learning offline: validation accuracy of the three strategies after a fixed time, and steps/s.

Runs the ``transfer_learning`` lesson headless on its defaults (small VGG pretrained on 8 generated shapes → 4
target shapes, 120 training and 80 validation images per class, the same augmented batch for all three models)
for ``--seconds`` of training (or ``--steps``), evaluating every ``--eval-every`` steps, and prints the three
validation accuracies over time, the steps trained and steps/s (one step = one update of each of the three
models).  What issue #15 asks to show: fine-tuning > feature extraction > from scratch after a few minutes.
Evaluation time is not counted in steps/s.  A busy machine slows the steps but not the ordering.

Usage:  python -m benchmarks.bench_transfer [--seconds 180] [--steps 0] [--threads 1] [--seed 0] [--set k=v ...]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180.0, help="training time (evaluations excluded)")
    ap.add_argument("--steps", type=int, default=0, help="train this many steps instead (0: use --seconds)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--set", nargs="*", default=[], help="lesson settings name=value")
    args = ap.parse_args(argv)
    os.environ.setdefault("DLVIS_SHELF_DIR", tempfile.mkdtemp(prefix="bench_shelf_"))   # leave the user's shelf
    from lessons.transfer_learning.lesson import LESSON
    values = {"seed": args.seed, "cpu_threads": args.threads}
    values.update(dict(kv.split("=", 1) for kv in args.set))
    t0 = time.perf_counter()
    lesson = LESSON(LESSON.hyperparameters(values))
    print(f"built in {time.perf_counter() - t0:.1f} s: {lesson.setup.note}", flush=True)
    names = ("from_scratch", "feature_extraction", "fine_tuning")
    train_s, step = 0.0, 0
    m = lesson.evaluate()
    print(f"{'step':>6} {'train s':>8} " + " ".join(f"{n:>19}" for n in names))
    while (step < args.steps) if args.steps else (train_s < args.seconds):
        t = time.perf_counter()
        step += 1
        lesson.train_step(step)
        lesson.flush()
        train_s += time.perf_counter() - t
        if step % args.eval_every == 0:
            m = lesson.evaluate()
            print(f"{step:6d} {train_s:8.1f} " + " ".join(f"{m[f'val_acc_{n}']:19.3f}" for n in names), flush=True)
    m = lesson.evaluate()
    lesson.close()
    acc = [m[f"val_acc_{n}"] for n in names]
    print(f"after {step} steps, {train_s:.1f} s of training ({step / train_s:.1f} steps/s, {args.threads} "
          f"thread(s)): validation accuracy from scratch {acc[0]:.3f}, feature extraction {acc[1]:.3f}, "
          f"fine-tuning {acc[2]:.3f}")
    ordered = acc[2] > acc[1] > acc[0]
    print("ordering fine-tuning > feature extraction > from scratch:", "holds" if ordered else "DOES NOT hold")
    return 0 if ordered else 1


if __name__ == "__main__":
    raise SystemExit(main())
