"""Scratch (NumPy) engine vs PyTorch CPU on the digits MLP: training steps per second and their ratio.

Both engines run through ``visualizer.models.classifier.build_classifier`` (what the lessons use), on the
same data (scikit-learn's 8x8 digits scaled to [0, 1]), the same batches, dtype, initial weights and
thread count (NumPy's BLAS pinned with threadpoolctl, PyTorch with ``torch.set_num_threads``).  Each
measurement is the best of ``--repeats`` timed runs of ``--steps`` steps, engines interleaved, after a
warm-up.  Defaults follow ``mlp_digits``: one hidden layer of 128 ReLU units, Adam, lr 3e-3.

Usage (from the repository root, or as ``python -m benchmarks.bench_engines`` once the project is
pip-installed):
    python -m benchmarks.bench_engines
    python -m benchmarks.bench_engines --hidden 128 64 --batch 64 --dtype float32 --threads 2
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info, threadpool_limits

from visualizer.models.classifier import MLPConfig, build_classifier


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, nargs="*", default=[128], help="hidden widths (default 128)")
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 64, 128], help="batch sizes")
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both NumPy's BLAS and PyTorch (default 1: the app trains on one "
                             "worker thread next to the GUI)")
    parser.add_argument("--steps", type=int, default=1000, help="steps per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def batches(n_samples: int, batch: int, steps: int, seed: int) -> list[np.ndarray]:
    """Index arrays of ``steps`` mini-batches, shuffled each epoch as the lessons do."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < steps:
        order = rng.permutation(n_samples)
        out.extend(order[i:i + batch] for i in range(0, n_samples - batch + 1, batch))
    return out[:steps]


def trainer_step(clf, device: str = "cpu"):
    """``step(x, y, n)``: one training step of classifier ``clf`` as the session runs it: through its kit
    trainer, flushed after every step on the CPU (as the session does there) and never on CUDA (the caller
    flushes when it stops the clock; the session flushes at its redraw rate)."""
    trainer = clf.trainer
    if device == "cuda":
        return lambda x, y, n: trainer.step((x, y), n)

    def step(x, y, n):
        trainer.step((x, y), n)
        trainer.flush()
    return step


def steps_per_second(clf, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray], device: str = "cpu") -> float:
    """Training steps per second of ``clf`` over the batches ``idx`` of (x, y); on CUDA the clock is read after
    ``torch.cuda.synchronize`` and the metric window is flushed once, inside the timing."""
    xb = [x[i] for i in idx]                       # batches cut before timing, for both engines alike
    yb = [y[i] for i in idx]
    step = trainer_step(clf, device)
    sync = _synchronize if device == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    for n, (bx, by) in enumerate(zip(xb, yb), 1):
        step(bx, by, n)
    if device == "cuda" and hasattr(clf, "trainer"):
        clf.trainer.flush()
    sync()
    return len(idx) / (time.perf_counter() - start)


def _synchronize() -> None:
    import torch
    torch.cuda.synchronize()


def main() -> None:
    args = parse_args()
    import torch                                   # imported here: the benchmark needs it, lessons do not

    torch.set_num_threads(args.threads)
    digits_x, digits_y = load_digits(return_X_y=True)
    digits_y = digits_y.astype(np.int64)
    blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads by default)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}, torch {torch.__version__}")
    print(f"NumPy BLAS: {'; '.join(blas)}; pinned to {args.threads}")
    print(f"torch.get_num_threads() = {torch.get_num_threads()}")
    print(f"model: 64 -> {' -> '.join(map(str, args.hidden))} -> 10, {args.activation}, {args.optimizer} "
          f"lr {args.lr}; best of {args.repeats} runs x {args.steps} steps\n")
    print(f"{'dtype':8} {'batch':>5} {'scratch steps/s':>16} {'torch steps/s':>14} {'scratch/torch':>14}")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for dtype in args.dtype:
            x = (digits_x / 16.0).astype(dtype)
            for batch in args.batch:
                config = MLPConfig(64, tuple(args.hidden), 10, activation=args.activation, dtype=dtype,
                                   seed=args.seed)
                idx = batches(len(x), batch, args.steps, args.seed)
                best = {"numpy": 0.0, "torch": 0.0}
                clfs = {e: build_classifier(config, e, optimizer=args.optimizer, lr=args.lr) for e in best}
                for engine, clf in clfs.items():
                    steps_per_second(clf, x, digits_y, idx[:100])      # warm-up
                for _ in range(args.repeats):
                    for engine, clf in clfs.items():
                        best[engine] = max(best[engine], steps_per_second(clf, x, digits_y, idx))
                print(f"{dtype:8} {batch:5d} {best['numpy']:16.0f} {best['torch']:14.0f} "
                      f"{best['numpy'] / best['torch']:13.2f}x", flush=True)


if __name__ == "__main__":
    main()
