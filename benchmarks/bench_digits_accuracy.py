"""Time to 97 % validation accuracy of lesson ``mlp_digits`` with its default settings, per seed and engine.

Builds the lesson as the app does (default hyperparameters, embedded 8×8 digits), then runs the
training loop the session runs: ``train_step`` each step, ``evaluate`` every ``eval_every`` steps and
at each epoch end.  The clock counts only those calls (not building the lesson or importing torch).
Prints, per engine and seed, the step and the seconds at which validation accuracy first reached
97 %, the final and best validation accuracy after ``--epochs`` epochs, and steps per second; then
the torch / numpy ratio of the times (a ratio above 1 means the NumPy engine is faster).

Usage (from the repository root, or anywhere once the project is pip-installed):
    python -m benchmarks.bench_digits_accuracy [--epochs 30] [--seeds 0 1 2 3 4] [--budget 30]
"""
from __future__ import annotations

import argparse
import statistics
import time

from lessons.mlp_digits.lesson import LESSON

TARGET = 0.97


def train_to_target(lesson, target: float, budget: float, max_steps: int | None = None) -> dict:
    """Run the session's training loop on ``lesson`` (``train_step``; ``evaluate`` every ``eval_every``
    steps and at each epoch end) for ``budget`` seconds of those calls, or ``max_steps``.  Returns the
    (step, seconds) at which validation accuracy first reached ``target`` (None if never), the final
    and best validation accuracy, steps, seconds, steps/s and epochs.  Closes the lesson."""
    spe = lesson.steps_per_epoch
    clock = 0.0
    reached = None
    accs = []
    step = 0
    while clock < budget and (max_steps is None or step < max_steps):
        t0 = time.perf_counter()
        step += 1
        lesson.train_step(step)
        lesson.flush()                     # the session flushes after every step on the CPU
        if step % lesson.eval_every == 0 or step % spe == 0:
            acc = lesson.evaluate()["val_acc"]
            clock += time.perf_counter() - t0
            accs.append(acc)
            if reached is None and acc >= target:
                reached = (step, clock)
        else:
            clock += time.perf_counter() - t0
    lesson.close()
    return {"reached": reached, "final": accs[-1], "best": max(accs), "steps": step, "seconds": clock,
            "steps_per_s": step / clock, "epochs": step / spe}


def run(engine: str, seed: int, epochs: int, budget: float) -> dict:
    """Train one lesson; returns time/step to the target, final/best validation accuracy, steps/s."""
    lesson = LESSON(LESSON.hyperparameters({"engine": engine, "seed": seed}))
    return train_to_target(lesson, TARGET, budget, max_steps=epochs * lesson.steps_per_epoch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per run (default 30)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--budget", type=float, default=30.0, help="seconds of training per run at most")
    parser.add_argument("--engines", nargs="+", default=["numpy", "torch"])
    args = parser.parse_args()

    defaults = LESSON.hyperparameters({}).as_dict()
    shown = {k: defaults[k] for k in ("hidden_layers", "hidden_units", "activation", "optimizer", "lr",
                                      "batch_size", "dtype", "val_fraction")}
    print(f"mlp_digits defaults: {shown}")
    print(f"target: {TARGET:.0%} validation accuracy within {args.budget:g} s; {args.epochs} epochs per run\n")
    print(f"{'engine':<7}{'seed':>5}{'step@97%':>10}{'s@97%':>9}{'final acc':>11}{'best acc':>10}"
          f"{'steps':>7}{'s total':>9}{'steps/s':>9}")
    results: dict[str, list[dict]] = {}
    for engine in args.engines:
        results[engine] = []
        for seed in args.seeds:
            r = run(engine, seed, args.epochs, args.budget)
            results[engine].append(r)
            step97, t97 = r["reached"] if r["reached"] else ("never", float("nan"))
            print(f"{engine:<7}{seed:>5}{step97:>10}{t97:>9.3f}{r['final']:>11.4f}{r['best']:>10.4f}"
                  f"{r['steps']:>7}{r['seconds']:>9.2f}{r['steps_per_s']:>9.0f}")
    print()
    for engine, rs in results.items():
        times = [r["reached"][1] for r in rs if r["reached"]]
        ok = sum(1 for r in rs if r["reached"] and r["reached"][1] <= args.budget)
        worst = f"{max(times):.3f} s" if times else "n/a"
        print(f"{engine}: reached 97% within {args.budget:g} s on {ok}/{len(rs)} seeds; worst time {worst}; "
              f"median final accuracy {statistics.median(r['final'] for r in rs):.4f}")
    if "numpy" in results and "torch" in results:
        pairs = [(n["reached"][1], t["reached"][1]) for n, t in zip(results["numpy"], results["torch"])
                 if n["reached"] and t["reached"]]
        if pairs:
            ratio = statistics.median(t / n for n, t in pairs)
            print(f"time to 97%, torch / numpy (median over seeds): {ratio:.2f}x")
        sps = statistics.median(t["steps_per_s"] / n["steps_per_s"]
                                for n, t in zip(results["numpy"], results["torch"]))
        print(f"steps per second, numpy / torch (median over seeds): {1 / sps:.2f}x")


if __name__ == "__main__":
    main()
