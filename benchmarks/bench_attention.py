"""Attention seq2seq with reversed input on the book's date.txt, next to the book's own figures.

Setup of Saitoh, *Deep Learning from Scratch 2*, ch. 8 (``ch08/train.py``): the book's ``dataset/date.txt``
(../shared/data/dlfs2/), its split (seed 1984, last 10 % for testing), D = 16, H = 256, batch 128, Adam lr
0.001, gradient clipping 5.0, reversed input.  Exact-match accuracy on the whole test set after each epoch
(decoded greedily in one batch).

Reference (../shared/data/dlfs2/README.md, the book's code, one thread): 0.0 % / 51.7 % / 99.9 % after
epochs 1 / 2 / 3, about 150 s per epoch.  The issue's targets: >= 99.5 % by epoch 3 and >= 3x faster per
epoch (<= 50 s).  One thread (threadpoolctl; torch.set_num_threads(1)).

Adam follows the book's rule (``visualizer.scratch.book_adam.BookAdam``: ε = 1e-7 added to the uncorrected √v).
With PyTorch's placement (ε = 1e-8 added to the bias-corrected √v) the same run reached only 0.0 % / 1.2 % /
30.2 %: that ε lets every weight with a gradient below ~1e-6 take full lr-sized steps along its noise.

The book's code, from a checkout of its repository (``--book-repo DIR``; ``ch08/attention_seq2seq.py`` with
``ch08/attention_layer.py``, ``common/optimizer.py`` Adam and the iteration of ``common/trainer.py``; nothing of it
is copied here), is timed in the same run on the same batches, as in ``bench_seq2seq``: ``--book-iters N``
(default 40, 0 = skip) after the training run, or ``--timing-only`` for N iterations of each side by side without
training.  Without ``--book-repo`` only this engine is timed.

Usage:  python -m benchmarks.bench_attention [--epochs 3] [--engine numpy] [--book-repo DIR] [--book-iters 40]
                                             [--timing-only]
"""
from __future__ import annotations

import argparse
import os
import platform

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.bench_seq2seq import (
    BOOK,
    add_book_options,
    print_side_by_side,
    report,
    run,
    time_side_by_side,
)
from benchmarks.book_repo import not_timed_message


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--engine", choices=("numpy", "torch"), default="numpy")
    add_book_options(ap)
    args = ap.parse_args()
    if args.timing_only and args.book_iters < 1:
        ap.error("--timing-only needs --book-iters N with N >= 1")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
          "one thread")
    if args.engine == "torch":
        import torch
        torch.set_num_threads(1)
    b = BOOK["date"]
    with threadpool_limits(1):
        if args.timing_only:
            results = time_side_by_side("date", "attention", True, 16, 256, args.book_iters, args.engine,
                                        args.book_repo)
            print_side_by_side(results, args.engine, b["s_per_epoch"])
        else:
            records = run("date", "attention", True, 16, 256, args.epochs, args.engine)
            book_timed = None
            if args.book_iters > 0 and args.book_repo is not None:
                book_timed = time_side_by_side("date", "attention", True, 16, 256, args.book_iters, args.engine,
                                               args.book_repo, ours=False)["book"]
            book_acc = b["acc"].get(records[-1]["epoch"], b["acc"][3])
            print("book, per epoch: " + ", ".join(f"{e}: {a:.1%}" for e, a in b["acc"].items()))
            report(records, book_acc, records[-1]["epoch"], b["s_per_epoch"], 0.995, book_timed)
    if args.book_repo is None:
        print(not_timed_message())


if __name__ == "__main__":
    main()
