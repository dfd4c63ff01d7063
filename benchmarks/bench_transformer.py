"""Transformer encoder on the generated sentiment corpus: validation accuracy over training time against the
bag-of-words baseline, per phenomenon.

Runs the ``transformer`` lesson headless on its defaults (10,000 training reviews with 3% label noise, 2,000
clean validation reviews; 2 layers, 4 heads, d_model 64, sinusoidal positions, [CLS] pooling, Adam 1e-3, batch
64) for ``--minutes`` of training (evaluations excluded).  It evaluates every ``--probe-seconds`` of training to
find when validation accuracy first reaches ``--target`` (the issue: 0.95 within 5 minutes on the 2-core CPU
with one thread) and prints a row every ``--eval-seconds``: accuracy overall and per phenomenon (plain,
intensifier, negation, litotes, contrast, distractor), with the bag of words (logistic regression on word
counts, the same split) side by side.

Usage:  python -m benchmarks.bench_transformer [--minutes 5] [--threads 1] [--seed 0] [--eval-seconds 30]
        [--set k=v ...]
"""
from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="training time (evaluations excluded)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-seconds", type=float, default=30.0, help="seconds of training between table rows")
    ap.add_argument("--probe-seconds", type=float, default=1.0, help="seconds between checks of the target")
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--set", nargs="*", default=[], help="lesson settings name=value")
    args = ap.parse_args(argv)
    from visualizer.core.threads import apply_threads
    apply_threads(args.threads)
    from lessons.transformer.lesson import LESSON
    from visualizer.data.sentiment import PHENOMENA

    values = {"seed": args.seed, **dict(kv.split("=", 1) for kv in args.set)}
    t0 = time.perf_counter()
    lesson = LESSON(LESSON.hyperparameters(values))
    bow = lesson.data.bow
    print(f"built in {time.perf_counter() - t0:.1f} s: {len(lesson.data.y_train)} training reviews, "
          f"{len(lesson.data.y_val)} validation, vocabulary {len(lesson.data.vocab)}, "
          f"{sum(p.numel() for p in lesson.model.parameters())} parameters", flush=True)
    short = [p[:8] for p in PHENOMENA]
    print(f"{'':>16} {'step':>6} {'train s':>8} {'val acc':>8} " + " ".join(f"{p:>8}" for p in short))
    print(f"{'bag of words':>16} {'':>6} {'':>8} {bow['val_acc']:8.3f} "
          + " ".join(f"{bow['per_phenomenon'].get(p, float('nan')):8.3f}" for p in PHENOMENA))
    train_s, step, next_row, next_probe, reached = 0.0, 0, args.eval_seconds, args.probe_seconds, None
    last: dict = {}

    def row() -> dict:
        if last.get("step") == step:
            return last
        v = lesson.predict_val()
        last.clear()
        last.update(v)
        print(f"{'Transformer':>16} {step:6d} {train_s:8.1f} {v['acc']:8.3f} "
              + " ".join(f"{v['per'].get(p, float('nan')):8.3f}" for p in PHENOMENA), flush=True)
        return v

    while train_s < args.minutes * 60:
        t = time.perf_counter()
        step += 1
        lesson.train_step(step)
        lesson.flush()
        train_s += time.perf_counter() - t
        if reached is None and train_s >= next_probe:
            next_probe += args.probe_seconds
            if lesson.evaluate()["val_acc"] >= args.target:
                reached = (train_s, step)
                print(f"{'':>16} val acc {args.target:g} first reached after {train_s:.1f} s of training "
                      f"(step {step})", flush=True)
        if train_s >= next_row:
            next_row += args.eval_seconds
            row()
    v = row()
    lesson.close()
    print(f"after {step} steps, {train_s:.0f} s of training ({step / train_s:.1f} steps/s, {args.threads} "
          f"thread(s)): val acc {v['acc']:.3f}; bag of words {bow['val_acc']:.3f}")
    print(f"target {args.target:g} " + (f"reached after {reached[0]:.1f} s (step {reached[1]})" if reached
                                        else "NOT reached"))
    return 0 if reached is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
