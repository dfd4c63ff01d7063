"""PSPNet on generated scenes: held-out mIoU over training time, with and without pyramid pooling, and steps/s.

Runs the ``pspnet`` lesson headless on its defaults (the small PSPNet and its twin without the pyramid pooling
module on the same batches; 64 px scenes with objects up to 0.9 of the image side; 64 held-out scenes) for
``--minutes`` of training (evaluations excluded), evaluating every ``--eval-seconds`` of training, and prints both
mIoUs and object consistencies over time, the time the PSPNet takes to reach half its final mIoU, and steps/s (one
step = one update of each network).  The issue's target: mIoU >= 0.8 within 10 minutes on the 2-core CPU, one
thread.  ``--set twin=false`` trains the PSPNet alone (about twice the steps).

Usage:  python -m benchmarks.bench_pspnet [--minutes 10] [--threads 1] [--seed 0] [--eval-seconds 30] [--set k=v ...]
"""
from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="training time (evaluations excluded)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-seconds", type=float, default=30.0)
    ap.add_argument("--target", type=float, default=0.8)
    ap.add_argument("--set", nargs="*", default=[], help="lesson settings name=value")
    args = ap.parse_args(argv)
    from lessons.pspnet.lesson import LESSON
    values = {"seed": args.seed, "cpu_threads": args.threads}
    values.update(dict(kv.split("=", 1) for kv in args.set))
    t0 = time.perf_counter()
    lesson = LESSON(LESSON.hyperparameters(values))
    print(f"built in {time.perf_counter() - t0:.1f} s: {lesson.data.note}", flush=True)
    twin = "no_ppm" in lesson.trainer.modules
    print(f"{'step':>6} {'train s':>8} {'mIoU':>6} {'no PPM':>7} {'consist.':>9} {'no PPM':>7}")
    history, train_s, step, next_eval = [], 0.0, 0, args.eval_seconds

    def report() -> dict:
        m = lesson.evaluate()
        history.append((train_s, m["miou"]))
        print(f"{step:6d} {train_s:8.1f} {m['miou']:6.3f} {m.get('miou_no_ppm', float('nan')):7.3f} "
              f"{m.get('consistency', float('nan')):9.3f} {m.get('consistency_no_ppm', float('nan')):7.3f}",
              flush=True)
        return m

    while train_s < args.minutes * 60:
        t = time.perf_counter()
        step += 1
        lesson.train_step(step)
        lesson.flush()
        train_s += time.perf_counter() - t
        if train_s >= next_eval:
            report()
            next_eval += args.eval_seconds
    m = report()
    lesson.close()
    final = m["miou"]
    half = next((s for s, v in history if v >= final / 2), float("nan"))
    reached = next((s for s, v in history if v >= args.target), None)
    print(f"after {step} steps, {train_s:.0f} s of training ({step / train_s:.1f} steps/s, {args.threads} thread(s)"
          f"{', both networks' if twin else ''}): mIoU {final:.3f}"
          + (f" (without PPM {m['miou_no_ppm']:.3f})" if twin else ""))
    print(f"half the final mIoU ({final / 2:.3f}) after {half:.0f} s of training; target {args.target:g} "
          + (f"reached after {reached:.0f} s" if reached is not None else "NOT reached"))
    return 0 if reached is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
