"""How fast the ``dqn`` lesson's agents learn CartPole-v1 on this machine (issue #18).

Builds the lesson headless with its defaults (DQN: Adam 5e-4, 128×128 MLP, batch 128, buffer 20,000, an update
every 4 environment steps, target sync every 1,000, warm-up 1,000, ε 1 → 0.05 over 20,000 steps, Huber loss,
Double DQN, γ 0.99) and steps it the way the session does on the CPU (``train_step`` then ``flush`` every step),
torch on one thread.  For each seed it reports the environment steps and seconds until the 20-episode mean
return first reaches ``--target`` (475 of a possible 500), and the best 100-episode mean return seen within the
time limit, or within ``--after`` seconds after reaching it (gymnasium's "solved" criterion for CartPole-v1 is a
100-episode mean of 475).

Target (issue #18): DQN reaches a 20-episode mean ≥ 475 within 5 minutes in at least 3 of 5 seeds; REINFORCE with
a baseline learns too (``--method reinforce``).

    python -m benchmarks.bench_dqn [--seeds 0 1 2 3 4] [--minutes 5] [--method dqn|reinforce] [--set k=v ...]

Timings depend on what else runs on the machine: say so when reporting them.
"""
from __future__ import annotations

import argparse
import time


def run_seed(seed: int, method: str, minutes: float, target: float, extra: dict, after: float | None = None) -> dict:
    import torch

    from visualizer.core import registry
    torch.set_num_threads(1)
    cls = registry.get("dqn")
    lesson = cls(cls.hyperparameters({"seed": seed, "method": method, **extra}))
    run = lesson.run
    t0 = time.perf_counter()
    limit = t0 + 60 * minutes
    reached = None
    best100 = float("-inf")
    step = 0
    try:
        while time.perf_counter() < limit:
            step += 1
            lesson.train_step(step)
            m = lesson.flush()
            if "return_mean_20" in m:
                if reached is None and m["return_mean_20"] >= target:
                    reached = (step, time.perf_counter() - t0)
                if run.n_log >= 100:
                    best100 = max(best100, m["return_mean_100"])
                if reached is not None and (best100 >= 500 - 1e-9 or (after is not None and
                                                                      time.perf_counter() - t0 > reached[1] + after)):
                    break
    finally:
        lesson.close()
    return {"seed": seed, "reached": reached, "steps": step, "seconds": time.perf_counter() - t0,
            "best100": best100, "episodes": run.n_log}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--target", type=float, default=475.0)
    ap.add_argument("--method", choices=("dqn", "reinforce"), default="dqn")
    ap.add_argument("--after", type=float, default=None,
                    help="seconds to go on after the target is reached (default: until the time limit)")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="other settings, e.g. lr=1e-3")
    args = ap.parse_args()
    extra = {}
    for item in args.set:
        k, v = item.split("=", 1)
        extra[k] = v.lower() == "true" if v.lower() in ("true", "false") else (float(v) if "." in v or "e" in v
                                                                              else int(v))
    print(f"dqn lesson, method {args.method}, target 20-episode mean >= {args.target:g}, limit {args.minutes:g} "
          f"min per seed, torch on 1 thread, settings {extra or 'defaults'}", flush=True)
    ok = 0
    for seed in args.seeds:
        r = run_seed(seed, args.method, args.minutes, args.target, extra, args.after)
        if r["reached"]:
            ok += 1
            first = f"reached at step {r['reached'][0]:,} after {r['reached'][1]:.1f} s"
        else:
            first = "not reached"
        best = f"{r['best100']:.1f}" if r["best100"] > float("-inf") else "n/a (< 100 episodes)"
        print(f"seed {seed}: {first}; ran {r['steps']:,} steps / {r['episodes']:,} episodes in {r['seconds']:.1f} s "
              f"({r['steps'] / r['seconds']:,.0f} steps/s); best 100-episode mean {best}", flush=True)
    print(f"{ok} of {len(args.seeds)} seeds reached a 20-episode mean >= {args.target:g} within "
          f"{args.minutes:g} min", flush=True)


if __name__ == "__main__":
    main()
