"""How far the ssd lesson's default settings get in ``--minutes`` of training on this CPU (one torch thread).

Trains the lesson (default settings unless ``--set k=v``) and every ``--check`` seconds of training evaluates
mAP@0.5 on the 200 held-out generated scenes (the lesson's own evaluation: COCO-style AP per class at IoU 0.5,
checked against torchmetrics in tests/probes/test_detection.py).  Evaluation time is not counted as training.
Prints mAP and AP per class over time, the time to reach half the final mAP, and steps/s.
Target (issue #16): mAP@0.5 >= 0.8 within 10 minutes.

    python -m benchmarks.bench_ssd [--minutes 10] [--check 30] [--set k=v ...]
"""
from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="minutes of training")
    ap.add_argument("--check", type=float, default=30.0, help="seconds of training between evaluations")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from lessons.ssd.lesson import LESSON
    from visualizer.core.hyperparams import parse_assignment

    torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        t_build = time.perf_counter()
        lesson = LESSON(LESSON.hyperparameters(dict(parse_assignment(s) for s in args.sets)))
        print(f"built in {time.perf_counter() - t_build:.1f} s; settings: {lesson.hp.as_dict()}")
        print(f"default boxes: {lesson.cfg.num_default_boxes()}")
        trained, steps, curve = 0.0, 0, []
        limit = 60.0 * args.minutes
        while trained < limit:
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < min(args.check, limit - trained):
                steps += 1
                lesson.train_step(steps)
                m = lesson.flush()
            trained += time.perf_counter() - t0
            t1 = time.perf_counter()
            v = lesson.evaluate()
            per_class = " ".join(f"{c} {v.get('val_ap_' + c, float('nan')):.2f}" for c in lesson.class_names)
            curve.append((trained, steps, v["val_map"]))
            print(f"  {trained:6.1f} s, {steps:5d} steps ({steps / trained:.2f}/s): mAP@0.5 {v['val_map']:.3f} "
                  f"[{per_class}] train loc {m['train_loss_loc']:.3f} conf {m['train_loss_conf']:.3f} "
                  f"(eval {time.perf_counter() - t1:.2f} s)", flush=True)
        final = curve[-1][2]
        half = next((t for t, _, v in curve if v >= final / 2), float("nan"))
        best = max(v for _, _, v in curve)
        hit = next((t for t, _, v in curve if v >= 0.8), None)
        print(f"final mAP@0.5 {final:.3f} (best {best:.3f}) after {trained:.0f} s, {steps} steps "
              f"({steps / trained:.2f} steps/s); half the final figure at {half:.0f} s; "
              f"0.8 reached: {'at %.0f s' % hit if hit is not None else 'no'}")


if __name__ == "__main__":
    main()
