"""Sequence layers of the NumPy engine vs PyTorch CPU and vs the book's loop-per-step code.

1. TimeLSTM forward + backward: the scratch engine (``visualizer.scratch.time_layers.TimeLSTM``: input
   projection of all steps in one matmul, only the recurrence in the time loop), the book's TimeLSTM
   (Saitoh, *Deep Learning from Scratch 2*, ``common/time_layers.py``: one LSTM cell object per step, each
   multiplying its own x_t by Wx), and ``torch.nn.LSTM`` (autograd, CPU).  Shapes: the
   book's PTB language model (batch 20, T 35, D = H = 100) and the addition task (batch 128, D 16, H 128,
   encoder T 7, decoder T 5).
2. CBOW with negative sampling at PTB shapes (batch 100, window 5 -> 10 contexts, 5 negatives, vocab
   10,000, hidden 100): Embedding backward by sorted reduction vs the book's ``np.add.at``, and the
   vectorized UnigramSampler vs the book's row-by-row sampler (``ch04/negative_sampling_layer.py``:
   ``np.random.choice(..., replace=False, p=p)`` per row) on a Zipf-distributed PTB-sized corpus (929,589
   tokens).

The book's code is imported from a checkout of its repository (``--book-repo DIR``, see
``benchmarks/book_repo.py``; nothing of it is copied here).  Without ``--book-repo`` its columns are left out and
the benchmark says so.

Everything runs on one thread (threadpoolctl for NumPy's BLAS, ``torch.set_num_threads(1)``).  Each
figure is the best of ``--repeats`` timed runs of ``--steps`` calls, after a warm-up.

Usage:  python -m benchmarks.bench_time_layers [--steps 20] [--repeats 3] [--dtype float32]
                                              [--book-repo DIR]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.book_repo import add_book_repo_option, import_book, not_timed_message
from visualizer.scratch.embedding import scatter_add_rows
from visualizer.scratch.negative_sampling import UnigramSampler
from visualizer.scratch.time_layers import TimeLSTM


def best_time(fn, steps: int, repeats: int) -> float:
    """Best mean seconds per call over ``repeats`` runs of ``steps`` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def bench_lstm(N, T, D, H, dtype, steps, repeats, torch, book_repo=None) -> tuple[float, float | None, float]:
    """Seconds per forward + backward of TimeLSTM on (N, T, D) inputs with hidden size H: (scratch, the book's
    ``common/time_layers.py`` TimeLSTM from the checkout ``book_repo`` or None without one, torch)."""
    rng = np.random.default_rng(0)
    Wx = (rng.normal(size=(D, 4 * H)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.normal(size=(H, 4 * H)) / np.sqrt(H)).astype(dtype)
    b = np.zeros(4 * H, dtype)
    xs = rng.normal(size=(N, T, D)).astype(dtype)
    dhs = rng.normal(size=(N, T, H)).astype(dtype)
    ours = TimeLSTM(Wx, Wh, b)
    book = None
    if book_repo is not None:
        time_layers, = import_book(book_repo, "common.time_layers")
        book = time_layers.TimeLSTM(Wx.copy(), Wh.copy(), b.copy())

    def run(layer):
        return lambda: layer.backward(dhs) if layer.forward(xs) is not None else None

    from visualizer.models.sequence_torch import recurrent_from_scratch
    module = recurrent_from_scratch(ours)
    xt, dht = torch.tensor(xs, requires_grad=True), torch.tensor(dhs)

    def run_torch():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        hs, _ = module(xt)
        hs.backward(dht)

    return (best_time(run(ours), steps, repeats), None if book is None else best_time(run(book), steps, repeats),
            best_time(run_torch, steps, repeats))


def _ms(seconds: float | None, width: int) -> str:
    return f"{'-':>{width}}" if seconds is None else f"{seconds * 1e3:{width}.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="calls per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    add_book_repo_option(parser)
    args = parser.parse_args()
    import torch  # imported here: lessons never need it at import

    torch.set_num_threads(1)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; numpy "
          f"{np.__version__}, torch {torch.__version__}; one thread each; {args.dtype}; best of "
          f"{args.repeats} x {args.steps} calls\n")
    with threadpool_limits(limits=1, user_api="blas"):
        print("TimeLSTM forward + backward, ms per call")
        print(f"{'shape (N, T, D, H)':28} {'scratch':>9} {'book':>9} {'torch':>9} {'book/scratch':>13} "
              f"{'scratch/torch time':>19}")
        for label, shape in [("PTB LM (20, 35, 100, 100)", (20, 35, 100, 100)),
                             ("addition enc (128, 7, 16, 128)", (128, 7, 16, 128)),
                             ("addition dec (128, 5, 16, 128)", (128, 5, 16, 128))]:
            ours, book, tor = bench_lstm(*shape, np.dtype(args.dtype), args.steps, args.repeats, torch,
                                         args.book_repo)
            ratio = f"{'-':>13}" if book is None else f"{book / ours:12.2f}x"
            print(f"{label:28} {_ms(ours, 9)} {_ms(book, 9)} {_ms(tor, 9)} {ratio} {ours / tor:18.2f}x", flush=True)

        rng = np.random.default_rng(0)
        V, D, N, C, S = 10_000, 100, 100, 10, 5
        print(f"\nCBOW negative sampling, PTB shapes (batch {N}, {C} contexts, {S} negatives, vocab {V}, "
              f"hidden {D}), ms per call")
        dW = np.zeros((V, D), np.float32)
        for label, m in [("Embedding backward, contexts", N * C), ("EmbeddingDot backward", N * (1 + S))]:
            ranks = np.arange(1, V + 1)
            idx = rng.choice(V, size=m, p=(1 / ranks) / np.sum(1 / ranks))
            src = rng.normal(size=(m, D)).astype(np.float32)
            t = {}
            for method in ("sorted", "add.at"):
                def step(method=method, idx=idx, src=src):
                    dW[...] = 0
                    scatter_add_rows(dW, idx, src, method)
                t[method] = best_time(step, args.steps * 5, args.repeats)
            print(f"{label:30} sorted {t['sorted'] * 1e3:7.3f}  np.add.at {t['add.at'] * 1e3:7.3f}  "
                  f"add.at/sorted {t['add.at'] / t['sorted']:6.2f}x", flush=True)

        counts = np.maximum(np.round(929_589 / np.arange(1, V + 1) / np.sum(1 / np.arange(1, V + 1))), 1)
        sampler = UnigramSampler(counts, sample_size=S, rng=np.random.default_rng(0), counts=True)
        target = rng.integers(0, V, size=N)
        np.random.seed(0)
        vec = best_time(lambda: sampler.get_negative_sample(target), args.steps * 5, args.repeats)
        if args.book_repo is None:
            print(f"{'negative sampler (100 x 5)':30} vectorized {vec * 1e3:7.3f}")
            print("\n" + not_timed_message())
            return
        negative_sampling, = import_book(args.book_repo, "ch04.negative_sampling_layer")
        book_sampler = negative_sampling.UnigramSampler(np.arange(V), 0.75, S)   # vocabulary V ...
        book_sampler.word_p = sampler.word_p                                   # ... drawn by the same p
        book = best_time(lambda: book_sampler.get_negative_sample(target), max(args.steps // 4, 2), args.repeats)
        print(f"{'negative sampler (100 x 5)':30} vectorized {vec * 1e3:7.3f}  book row-by-row "
              f"{book * 1e3:8.3f}  book/vectorized {book / vec:8.1f}x")


if __name__ == "__main__":
    main()
