"""Steps per second and accuracy of one MLP in float64, float32, float16 (and bfloat16) on NumPy, PyTorch CPU
and PyTorch CUDA: the configurations of lesson ``precision_speed``, each run on its own.

Two sizes: the lesson's 64-64-10 MLP on the embedded 8×8 digits (batch 32), and a 784-512-512-10 MLP on
synthetic data (x ~ N(0, 1) in 784 dimensions, labels the argmax of a fixed random linear map, batch 128)
where matrix products dominate.  Every configuration starts from the same float64 weights, sees the same
batches and takes plain SGD steps (the lesson's ``net.py``); NumPy and PyTorch run on one thread each
(threadpoolctl for BLAS, ``torch.set_num_threads(1)``); CUDA rows appear when PyTorch sees a GPU, timed
with ``torch.cuda.synchronize()`` before each clock read.  After a few untimed warm-up steps each
configuration trains ``--steps`` steps (or until ``--max-seconds``); the table gives steps/s, ms/step,
speed relative to NumPy float32 and validation accuracy after those steps ("-" if cut short).

Usage (from the repository root):
    python -m benchmarks.bench_precision [--steps 400 40] [--max-seconds 60] [--sizes digits large]
        [--no-torch]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from lessons.precision_speed.net import PrecisionConfig, initial_weights, make_run
from visualizer.data.digits import load_digits_split

WARMUP = 3
LR = {"digits": 0.1, "large": 0.05}
BATCH = {"digits": 32, "large": 128}


def configs(with_torch: bool) -> list[PrecisionConfig]:
    out = [PrecisionConfig(f"np_{d}", f"NumPy {d}", "", "numpy", d) for d in ("float64", "float32", "float16")]
    if not with_torch:
        return out
    import torch

    out += [PrecisionConfig(f"cpu_{d}", f"Torch CPU {d}", "", "torch", d)
            for d in ("float64", "float32", "bfloat16", "float16")]
    if torch.cuda.is_available():
        out += [PrecisionConfig(f"cuda_{d}", f"Torch CUDA {d}", "", "torch", d, "cuda")
                for d in ("float32", "float16", "bfloat16")]
    return out


def dataset(size: str, seed: int = 0):
    """(sizes, x_train, y_train, x_val, y_val) in float64 / int64."""
    if size == "digits":
        d = load_digits_split(0.2, seed, "float64")
        return [64, 64, 10], d.x_train, d.y_train, d.x_val, d.y_val
    rng = np.random.default_rng(seed)
    teacher = rng.normal(size=(784, 10))                       # labels: argmax of a random linear map
    x = rng.normal(size=(5120, 784))
    y = np.argmax(x @ teacher, axis=1)
    return [784, 512, 512, 10], x[:4096], y[:4096], x[4096:], y[4096:]


def bench(config: PrecisionConfig, size: str, steps: int, max_seconds: float) -> dict:
    sizes, x_tr, y_tr, x_va, y_va = dataset(size)
    run = make_run(config, initial_weights(sizes, 0), x_tr, y_tr, x_va, y_va)
    rng = np.random.default_rng(1)
    batch = BATCH[size]
    sync = getattr(run, "synchronize", lambda: None)
    for _ in range(WARMUP):
        run.step(rng.integers(0, len(y_tr), batch), LR[size])
    sync()
    rng = np.random.default_rng(2)
    clock, done, finite = 0.0, 0, True
    while done < steps and clock < max_seconds:
        idx = rng.integers(0, len(y_tr), batch)
        sync()
        t0 = time.perf_counter()
        finite &= run.step(idx, LR[size]).finite
        sync()
        clock += time.perf_counter() - t0
        done += 1
    acc = run.accuracy() if done == steps else float("nan")
    return {"steps": done, "seconds": clock, "steps_per_s": done / clock, "acc": acc, "finite": finite}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["digits", "large"], choices=["digits", "large"])
    ap.add_argument("--steps", nargs="+", type=int, default=[400, 40],
                    help="timed steps per size (one value for all, or one per size)")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="cut a configuration after this many seconds")
    ap.add_argument("--no-torch", action="store_true", help="NumPy only")
    args = ap.parse_args()
    steps = dict(zip(args.sizes, args.steps if len(args.steps) == len(args.sizes) else args.steps[:1] * 2))
    with_torch = not args.no_torch
    if with_torch:
        import torch

        torch.set_num_threads(1)
        print(f"torch {torch.__version__}, CUDA: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}")
    print(f"numpy {np.__version__}; one thread each; plain SGD; warm-up {WARMUP} steps untimed")
    with threadpool_limits(limits=1):
        for size in args.sizes:
            sizes = dataset(size)[0]
            print(f"\n{size}: MLP {'-'.join(map(str, sizes))}, batch {BATCH[size]}, lr {LR[size]}, "
                  f"{steps[size]} timed steps")
            results = {c.key: (c, bench(c, size, steps[size], args.max_seconds)) for c in configs(with_torch)}
            ref = results["np_float32"][1]["steps_per_s"]
            print(f"{'configuration':24s} {'steps/s':>10s} {'ms/step':>9s} {'x NumPy f32':>12s} {'val acc':>8s}")
            for c, r in results.values():
                acc = "-" if np.isnan(r["acc"]) else f"{r['acc']:.3f}"
                note = "" if r["finite"] else "  (overflowed: inf/NaN)"
                cut = f"  ({r['steps']} steps)" if r["steps"] < steps[size] else ""
                print(f"{c.label:24s} {r['steps_per_s']:10.1f} {1000 / r['steps_per_s']:9.3f} "
                      f"{r['steps_per_s'] / ref:12.2f} {acc:>8s}{note}{cut}")


if __name__ == "__main__":
    main()
