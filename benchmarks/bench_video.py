"""ECO vs frame averaging on the generated motion clips, on this CPU (issue #18).

Builds the ``video`` lesson with its defaults (small ECO, 8 segments, 2,400 training clips of 16 frames at
32 px, 12 classes, Adam 3e-3, batch 16, torch on one thread as the app's training process) and trains it
through the Lesson API (``train_step``, ``flush``, ``evaluate``), both models on the same batches, for
``--seconds`` of wall time (building and evaluation included).  Every ``--every`` seconds it prints both
validation accuracies; at the end the first time ECO reached the target, and a verdict: ECO >= 95 % within the
time, frame averaging < 40 %.

Usage:  python -m benchmarks.bench_video [--seconds 180] [--every 15] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys
import time

TARGET_ECO, LIMIT_TWIN = 0.95, 0.40


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--every", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    import torch

    from lessons.video.lesson import LESSON
    from visualizer.core.threads import apply_threads
    apply_threads(args.threads)                         # BLAS and torch, as the app's training process
    start = time.perf_counter()
    lesson = LESSON(LESSON.hyperparameters({"seed": args.seed}))
    k = len(lesson.train_set.class_names)
    print(f"video: {k} classes, {len(lesson.train_set)} training / {len(lesson.val_set)} validation clips, "
          f"segments {lesson.hp['segments']}, batch {lesson.hp['batch_size']}, torch threads "
          f"{torch.get_num_threads()}; built in {time.perf_counter() - start:.1f} s")
    print(f"{'seconds':>8} {'steps':>6} {'ECO val acc':>12} {'frame avg val acc':>18}")
    step, reached, next_eval, best_twin, last = 0, None, start + args.every, 0.0, {}
    try:
        while True:
            step += 1
            lesson.train_step(step)
            lesson.flush()
            now = time.perf_counter()
            if now >= next_eval or now - start >= args.seconds:
                last = lesson.evaluate()
                t = time.perf_counter() - start
                eco, twin = last["ECO_val_acc"], last["frame_averaging_val_acc"]
                best_twin = max(best_twin, twin)
                print(f"{t:8.1f} {step:6d} {eco:12.3f} {twin:18.3f}", flush=True)
                if reached is None and eco >= TARGET_ECO:
                    reached = (t, step)
                next_eval = time.perf_counter() + args.every
                if t >= args.seconds:
                    break
    finally:
        lesson.close()
    ok = reached is not None and best_twin < LIMIT_TWIN
    when = f"at {reached[0]:.0f} s (step {reached[1]})" if reached else "not within the time"
    print(f"ECO reached {TARGET_ECO:.0%} {when}; final ECO {last['ECO_val_acc']:.3f}, frame averaging "
          f"{last['frame_averaging_val_acc']:.3f} (best {best_twin:.3f}, chance {1 / k:.3f}): "
          f"{'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
