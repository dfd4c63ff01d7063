"""How far the openpose lesson's default settings get in ``--minutes`` of training on this CPU (issue #16).

Trains the lesson (default settings unless ``--set``: the small network on 64 px generated scenes, one torch
thread like the app's training process) and every ``--check`` seconds of training evaluates PCK@0.2 (and OKS
AP by pycocotools) of the assembled skeletons on the 100 held-out scenes, as the lesson's curve does.
Evaluation time is not counted as training time (it is printed).  Prints the figure over time, the time to
reach half the final PCK, and steps/s.  Target: PCK@0.2 >= 0.8 within 10 minutes.

    python -m benchmarks.bench_openpose [--minutes 10] [--check 30] [--set k=v]
"""
from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="minutes of training")
    ap.add_argument("--check", type=float, default=30.0, help="seconds of training between evaluations")
    ap.add_argument("--target", type=float, default=0.8, help="PCK@0.2 to reach")
    ap.add_argument("--set", action="append", default=[], dest="sets", help="a lesson setting, name=value")
    args = ap.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from lessons.openpose.lesson import LESSON
    from visualizer.core.hyperparams import parse_assignment

    torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        t_build = time.perf_counter()
        lesson = LESSON(LESSON.hyperparameters(dict(parse_assignment(s) for s in args.sets)))
        print(f"build (scene generation included): {time.perf_counter() - t_build:.1f} s")
        print(f"settings: {lesson.hp.as_dict()}")
        trained, steps, history, hit, eval_time = 0.0, 0, [], None, 0.0
        while trained < args.minutes * 60:
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < args.check:
                steps += 1
                lesson.train_step(steps)
                m = lesson.flush()
            trained += time.perf_counter() - t0
            t1 = time.perf_counter()
            ev = lesson.evaluate()
            eval_time += time.perf_counter() - t1
            history.append((trained, steps, ev["val_pck"]))
            if hit is None and ev["val_pck"] >= args.target:
                hit = (trained, steps)
            print(f"  {trained:6.1f} s, {steps:5d} steps ({steps / trained:.2f}/s): PCK@0.2 {ev['val_pck']:.3f}, "
                  f"OKS AP {ev['val_oks_ap']:.3f}, AP50 {ev['val_oks_ap50']:.3f}, loss {m.get('train_loss', 0):.4f}",
                  flush=True)
        final = history[-1][2]
        half = next(((t, s) for t, s, p in history if p >= final / 2), None)
        print(f"final PCK@0.2 {final:.3f} after {trained:.0f} s ({steps} steps, {steps / trained:.2f} steps/s); "
              f"evaluation took {eval_time / len(history):.2f} s each")
        if half:
            print(f"half the final figure ({final / 2:.3f}) first reached at {half[0]:.0f} s (step {half[1]})")
        print(f"target PCK@0.2 >= {args.target}: " + (f"reached at {hit[0]:.0f} s (step {hit[1]})" if hit
                                                        else "not reached"))


if __name__ == "__main__":
    main()
