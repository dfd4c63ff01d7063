"""Attention seq2seq with reversed input on the book's date.txt, next to the book's own figures.

Setup of Saitoh, *Deep Learning from Scratch 2*, ch. 8 (``ch08/train.py``): the book's ``dataset/date.txt``
(../shared/data/dlfs2/), its split (seed 1984, last 10 % for testing), D = 16, H = 256, batch 128, Adam lr
0.001, gradient clipping 5.0, reversed input.  Exact-match accuracy on the whole test set after each epoch
(decoded greedily in one batch).

Reference (../shared/data/dlfs2/README.md, the book's code, one thread): 0.0 % / 51.7 % / 99.9 % after
epochs 1 / 2 / 3, about 150 s per epoch.  The issue's targets: >= 99.5 % by epoch 3 and >= 3x faster per
epoch (<= 50 s).  One thread (threadpoolctl; torch.set_num_threads(1)).

Adam follows the book's rule (``lessons.seq2seq.models.BookAdam``: ε = 1e-7 added to the uncorrected √v).
With PyTorch's placement (ε = 1e-8 added to the bias-corrected √v) the same run reached only 0.0 % / 1.2 % /
30.2 %: that ε lets every weight with a gradient below ~1e-6 take full lr-sized steps along its noise.

Usage:  python -m benchmarks.bench_attention [--epochs 3] [--engine numpy]
"""
from __future__ import annotations

import argparse
import os
import platform

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.bench_seq2seq import BOOK, report, run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--engine", choices=("numpy", "torch"), default="numpy")
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
          "one thread")
    if args.engine == "torch":
        import torch
        torch.set_num_threads(1)
    with threadpool_limits(1):
        records = run("date", "attention", True, 16, 256, args.epochs, args.engine)
    b = BOOK["date"]
    book_acc = b["acc"].get(records[-1]["epoch"], b["acc"][3])
    print("book, per epoch: " + ", ".join(f"{e}: {a:.1%}" for e, a in b["acc"].items()))
    report(records, book_acc, records[-1]["epoch"], b["s_per_epoch"], 0.995)


if __name__ == "__main__":
    main()
