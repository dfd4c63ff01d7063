"""How fast tabular Q-learning finds the optimal policy of the dqn lesson's default grid world (issue #18: it
"converges to the optimal policy on the default map within seconds").

For each seed a headless :class:`lessons.dqn.grid.GridRun` steps (one environment step and one Q-learning
update per step) until its greedy policy is optimal in every non-terminal cell the start reaches
(``policy_optimal == 1.0``, judged against value iteration on the same map, ties counting as optimal),
checked every ``--check-every`` steps.  Prints steps, finished episodes and seconds (checks included) per
seed, and a summary over seeds.  ``--compare`` runs a few exploration settings side by side instead, with
their median time as a ratio to the first.

    python -m benchmarks.bench_grid_world [--seeds 5] [--lr 1.0] [--eps-start 1.0] [--eps-end 0.6]
        [--eps-decay 2000] [--gamma 0.99] [--max-steps 300000] [--compare]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from lessons.dqn.grid import GridRun
from visualizer.data.grid_world import DEFAULT_GRID_MAP


def converge(seed: int, lr: float, eps: tuple[float, float, int], gamma: float, max_steps: int,
             check_every: int, grid_map: str = DEFAULT_GRID_MAP) -> dict:
    """Train one run until its greedy policy is optimal or ``max_steps``; returns the figures."""
    hp = {"seed": seed, "gamma": gamma, "lr": lr, "eps_start": eps[0], "eps_end": eps[1],
          "eps_decay_steps": eps[2], "grid_map": grid_map}
    run = GridRun(hp)
    t0 = time.perf_counter()
    share = 0.0
    for step in range(1, max_steps + 1):
        run.step(step)
        if step % check_every == 0:
            share = run.evaluate()["policy_optimal"]
            if share == 1.0:
                break
    seconds = time.perf_counter() - t0
    return {"seed": seed, "steps": step, "episodes": run.episodes, "seconds": seconds,
            "converged": share == 1.0, "share": share, "steps_per_s": step / seconds}


def summary(rows: list[dict]) -> str:
    done = [r for r in rows if r["converged"]]
    if not done:
        return f"0/{len(rows)} seeds converged"
    s = np.array([r["seconds"] for r in done])
    n = np.array([r["steps"] for r in done])
    return (f"{len(done)}/{len(rows)} seeds converged; steps median {np.median(n):,.0f} (max {n.max():,}); "
            f"seconds median {np.median(s):.2f} (max {s.max():.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--lr", type=float, default=1.0, help="tabular step size α (the lesson's lr)")
    ap.add_argument("--eps-start", type=float, default=1.0)
    ap.add_argument("--eps-end", type=float, default=0.6)
    ap.add_argument("--eps-decay", type=int, default=2000, help="environment steps of the linear ε decay")
    ap.add_argument("--gamma", type=float, default=0.99)
    ap.add_argument("--max-steps", type=int, default=300_000)
    ap.add_argument("--check-every", type=int, default=100)
    ap.add_argument("--compare", action="store_true", help="several exploration settings side by side")
    args = ap.parse_args()

    print(f"grid world {DEFAULT_GRID_MAP!r}, γ = {args.gamma:g}, policy checked every {args.check_every} steps, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    if args.compare:
        settings = [(args.lr, (args.eps_start, args.eps_end, args.eps_decay)),
                    (args.lr, (1.0, 0.05, 20_000)), (args.lr, (1.0, 0.2, 5000)), (0.5, (1.0, 0.6, 2000)),
                    (0.1, (1.0, 0.6, 2000))]
    else:
        settings = [(args.lr, (args.eps_start, args.eps_end, args.eps_decay))]
    first = None
    for lr, eps in settings:
        print(f"\nα = {lr:g}, ε {eps[0]:g} → {eps[1]:g} over {eps[2]:,} steps")
        rows = [converge(seed, lr, eps, args.gamma, args.max_steps, args.check_every) for seed in range(args.seeds)]
        for r in rows:
            state = "optimal" if r["converged"] else f"NOT optimal ({r['share']:.0%} of cells)"
            print(f"  seed {r['seed']}: {state} after {r['steps']:,} steps, {r['episodes']:,} episodes, "
                  f"{r['seconds']:.2f} s ({r['steps_per_s']:,.0f} steps/s)")
        line = summary(rows)
        done = [r["seconds"] for r in rows if r["converged"]]
        if done:
            med = float(np.median(done))
            first = med if first is None else first
            line += f"; median time / first converged setting's: {med / first:.2f}"
        print("  " + line)


if __name__ == "__main__":
    main()
