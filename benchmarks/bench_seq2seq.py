"""Peeky seq2seq with reversed input on the book's addition.txt, next to the book's own figures.

Setup of Saitoh, *Deep Learning from Scratch 2*, ch. 7 (``ch07/train_seq2seq.py`` with ``is_reverse = True``
and ``PeekySeq2seq``): the book's ``dataset/addition.txt`` (../shared/data/dlfs2/), its split (shuffle with
seed 1984, the last 10 % = 5,000 questions for testing), embedding D = 16, hidden H = 128, batch 128, Adam
lr 0.001, gradient clipping 5.0, a fresh permutation of the training set each epoch.  After every epoch the
whole test set is decoded greedily (one batch, not question by question) and scored by exact match.

Reference (../shared/data/dlfs2/README.md, the book's code on a machine of this project's kind, one
thread): 98.1 % after 25 epochs, about 8.8 s per epoch.  The issue's targets: >= 95 % and >= 3x the book's
speed per epoch (<= ~2.9 s).  One thread (threadpoolctl; torch.set_num_threads(1)).

The book's code timed in the same run, from a checkout of its repository (``--book-repo DIR``; see
``benchmarks/book_repo.py``; none of it is copied here): ``ch07/seq2seq.py`` / ``ch07/peeky_seq2seq.py``,
``common/optimizer.py`` Adam and the iteration of ``common/trainer.py`` Trainer.fit (forward, backward,
``remove_duplicate``, ``clip_grads``, update) train ``--book-iters N`` batches (default 40, 0 = skip) of the same
first-epoch permutation (questions reversed once up front, as the book's script does); they are timed after 3
warm-up ones and extrapolated to the epoch's n_train // 128 iterations.  ``--timing-only`` skips the training
run: N iterations of this engine and N of the book's code on the same batches, ms per iteration side by side and
their ratio (about a minute).  Without ``--book-repo`` only this engine is timed.

Usage:  python -m benchmarks.bench_seq2seq [--epochs 25] [--engine numpy] [--variant peeky+reversed]
                                           [--book-repo DIR] [--book-iters 40] [--timing-only]
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.book_repo import add_book_repo_option, import_book, not_timed_message
from visualizer.models.seq2seq_trainer import build_trainer
from visualizer.data.seq_tasks import load_seq_file, split_seq

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dlfs2"
BOOK_MODELS = {"seq2seq": ("ch07.seq2seq", "Seq2seq"), "peeky": ("ch07.peeky_seq2seq", "PeekySeq2seq"),
               "attention": ("ch08.attention_seq2seq", "AttentionSeq2seq")}
BOOK = {"addition": {"acc": 0.981, "epochs": 25, "s_per_epoch": 8.8},
        "date": {"acc": {1: 0.0, 2: 0.517, 3: 0.999}, "epochs": 3, "s_per_epoch": 150.0}}


def stepper(trainer):
    """``step(xs, ts) -> loss``: one step of this engine's kit trainer, flushed at once as the session does on
    the CPU."""
    count = 0

    def step(xs, ts):
        nonlocal count
        count += 1
        trainer.step((xs, ts), count)
        return trainer.flush()["train_loss"]
    return step


def run(task: str, kind: str, reverse: bool, wordvec: int, hidden: int, epochs: int, engine: str,
        batch: int = 128, lr: float = 1e-3, clip: float = 5.0, seed: int = 0) -> list[dict]:
    """Train and evaluate; returns one record per epoch (train seconds, eval seconds, accuracy, loss)."""
    x, t, c2i, _ = load_seq_file(DATA / f"{task}.txt")
    (x_train, t_train), (x_test, t_test) = split_seq(x, t, seed=1984)
    trainer = build_trainer(engine, kind, len(c2i), wordvec, hidden, seed, reverse, lr, clip)
    step = stepper(trainer)
    rng = np.random.default_rng(seed)
    n = len(x_train)
    records = []
    print(f"{task}: {n} train / {len(x_test)} test questions, vocabulary {len(c2i)}, question {x.shape[1]} "
          f"chars, answer {t.shape[1]}; {kind}{' + reversed input' if reverse else ''}, D={wordvec} "
          f"H={hidden}, batch {batch}, {engine}")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        c0 = time.process_time()
        t0 = time.perf_counter()
        losses = []
        for i in range(n // batch):                     # the book's Trainer drops the last partial batch
            idx = order[i * batch:(i + 1) * batch]
            losses.append(step(x_train[idx], t_train[idx]))
        t1 = time.perf_counter()
        c1 = time.process_time()
        pred = trainer.generate(x_test, c2i["_"], t.shape[1] - 1)
        acc = float(np.all(pred == t_test[:, 1:], axis=1).mean())
        t2 = time.perf_counter()
        rec = {"epoch": epoch, "train_s": t1 - t0, "cpu_s": c1 - c0, "eval_s": t2 - t1, "acc": acc,
               "loss": float(np.mean(losses))}
        records.append(rec)
        print(f"  epoch {epoch:2d}: loss {rec['loss']:.4f}  test accuracy {acc:6.1%}  train {rec['train_s']:6.2f} s"
              f" (CPU {rec['cpu_s']:6.2f} s)  (+ decode {len(x_test):,} test questions {rec['eval_s']:.2f} s)",
              flush=True)
    return records


def book_seq2seq_step(book_repo: str | Path, kind: str, vocab_size: int, wordvec_size: int, hidden_size: int,
                      seed: int, lr: float = 1e-3, max_grad: float = 5.0):
    """One training iteration of the book's ch. 7-8 code, imported from the checkout ``book_repo``, as a callable
    ``step(batch_x, batch_t) -> loss``: the model of ``BOOK_MODELS[kind]`` ("seq2seq", "peeky" or "attention";
    weights drawn by the book's own ``np.random.randn`` after ``np.random.seed(seed)``), then what one iteration
    of ``common/trainer.py`` Trainer.fit does: forward, backward, the book's ``remove_duplicate`` and
    ``clip_grads`` (``max_grad``) and its ``Adam(lr).update``.  batch_x: (N, Tq) int questions as the book's
    scripts feed them (already reversed where the script reverses); batch_t: (N, Ta) answers starting with the
    start symbol.  The model is ``step.model``.  Raises BookRepoError for a folder that is not a checkout."""
    module_name, class_name = BOOK_MODELS[kind]
    models, optimizer, trainer, util = import_book(book_repo, module_name, "common.optimizer", "common.trainer",
                                                   "common.util")
    np.random.seed(seed)
    model = getattr(models, class_name)(vocab_size, wordvec_size, hidden_size)
    adam = optimizer.Adam(lr)

    def step(batch_x, batch_t):
        loss = model.forward(batch_x, batch_t)
        model.backward()
        params, grads = trainer.remove_duplicate(model.params, model.grads)
        util.clip_grads(grads, max_grad)
        adam.update(params, grads)
        return float(loss)
    step.model = model
    return step


def _time_steps(step, batches, warmup: int = 3) -> dict:
    """Run ``step(xs, ts)`` on the first ``warmup`` batches untimed, then on the rest; wall and process seconds
    per timed iteration, first and last timed loss."""
    for xs, ts in batches[:warmup]:
        step(xs, ts)
    timed = batches[warmup:]
    c0 = time.process_time()
    t0 = time.perf_counter()
    losses = [step(xs, ts) for xs, ts in timed]
    wall = (time.perf_counter() - t0) / len(timed)
    cpu = (time.process_time() - c0) / len(timed)
    return {"wall": wall, "cpu": cpu, "loss0": float(losses[0]), "loss1": float(losses[-1])}


def time_side_by_side(task: str, kind: str, reverse: bool, wordvec: int, hidden: int, iters: int, engine: str,
                      book_repo: str | Path | None, ours: bool = True, batch: int = 128, lr: float = 1e-3,
                      clip: float = 5.0, seed: int = 0) -> dict[str, dict]:
    """Time ``iters`` training iterations (after 3 warm-up ones) of the book's code from the checkout
    ``book_repo`` (key "book"; left out when ``book_repo`` is None) and, with ``ours``, of this engine (key
    "ours"), each from fresh weights, on the same batches: the first batches of :func:`run`'s first-epoch
    permutation.  Each record: wall and CPU seconds per iteration, first and last loss, ``iters`` and
    ``iters_per_epoch`` (n_train // batch)."""
    x, t, c2i, _ = load_seq_file(DATA / f"{task}.txt")
    (x_train, t_train), _ = split_seq(x, t, seed=1984)
    n = len(x_train)
    order = np.random.default_rng(seed).permutation(n)
    n_batches = n // batch
    idxs = [order[(i % n_batches) * batch:(i % n_batches + 1) * batch] for i in range(iters + 3)]
    x_book = x_train[:, ::-1] if reverse else x_train   # the book's script reverses the whole set once
    timed = [f"this engine ({engine})"] * ours + ["the book's code"] * (book_repo is not None)
    print(f"{task}: timing {iters} iterations of {' and '.join(timed)}, "
          f"{kind}{' + reversed input' if reverse else ''}, D={wordvec} H={hidden}, batch {batch}", flush=True)
    results = {}
    if ours:
        trainer = build_trainer(engine, kind, len(c2i), wordvec, hidden, seed, reverse, lr, clip)
        results["ours"] = _time_steps(stepper(trainer), [(x_train[i], t_train[i]) for i in idxs])
    if book_repo is not None:
        step = book_seq2seq_step(book_repo, kind, len(c2i), wordvec, hidden, seed, lr, clip)
        results["book"] = _time_steps(step, [(x_book[i], t_train[i]) for i in idxs])
    for r in results.values():
        r.update(iters=iters, iters_per_epoch=n_batches)
    return results


def print_side_by_side(results: dict[str, dict], engine: str, book_s: float) -> None:
    """ms per iteration of this engine and (when timed) the book's code in this run, extrapolated seconds per
    epoch, and the ratios (wall and CPU), plus this engine against the quoted figure ``book_s``."""
    ours, book = results["ours"], results.get("book")
    ipe = ours["iters_per_epoch"]
    print(f"\nside by side: the same {ours['iters']} batches of 128 after 3 warm-up ones, extrapolated to "
          f"{ipe} iterations per epoch")
    for name, r in ((f"this engine ({engine})", ours), ("the book's code", book)):
        if r is None:
            continue
        print(f"  {name:22s}{r['wall'] * 1e3:8.1f} ms / iteration (CPU {r['cpu'] * 1e3:7.1f} ms)  ->  "
              f"{r['wall'] * ipe:6.2f} s / epoch (CPU {r['cpu'] * ipe:6.2f} s); loss {r['loss0']:.4f} -> "
              f"{r['loss1']:.4f}")
    if book is not None:
        print(f"this engine vs the book's code timed in this run: x{book['wall'] / ours['wall']:.2f} faster "
              f"(CPU time: x{book['cpu'] / ours['cpu']:.2f}) (target >= x3)")
    print(f"this engine vs the quoted book figure ({book_s:g} s / epoch): x{book_s / (ours['wall'] * ipe):.2f} "
          f"(CPU time: x{book_s / (ours['cpu'] * ipe):.2f})")


def report(records: list[dict], book_acc: float, book_epochs: int, book_s: float, target_acc: float,
           book_timed: dict | None = None) -> None:
    """The table of this run against the book's quoted figures; with ``book_timed`` (the "book" record of
    :func:`time_side_by_side`) also against the book's code timed in this run."""
    last = records[-1]
    mean_s = float(np.mean([r["train_s"] for r in records]))
    cpu_s = float(np.mean([r["cpu_s"] for r in records]))
    print(f"\n{'':28s}{'this engine':>14s}{'book':>12s}")
    print(f"{'accuracy after epoch ' + str(last['epoch']):28s}{last['acc']:>14.1%}"
          f"{book_acc:>12.1%}   (book: after {book_epochs} epochs; target >= {target_acc:.1%})")
    print(f"{'seconds per epoch (train)':28s}{mean_s:>14.2f}{book_s:>12.1f}   speed-up x{book_s / mean_s:.1f} "
          f"(target >= x3)")
    print(f"{'CPU seconds per epoch':28s}{cpu_s:>14.2f}{book_s:>12.1f}   speed-up x{book_s / cpu_s:.1f} "
          "(process time: on a loaded machine wall time counts the other processes' turns too)")
    if book_timed:
        ipe, n = book_timed["iters_per_epoch"], book_timed["iters"]
        bw, bc = book_timed["wall"] * ipe, book_timed["cpu"] * ipe
        print(f"{'s/epoch, book code here':28s}{mean_s:>14.2f}{bw:>12.2f}   speed-up x{bw / mean_s:.2f} (this engine "
              f"vs the book's code timed in this run: {n} iterations after 3 warm-up ones, x {ipe}, extrapolated; "
              f"target >= x3)")
        print(f"{'CPU s/epoch, book code here':28s}{cpu_s:>14.2f}{bc:>12.2f}   speed-up x{bc / cpu_s:.2f}")


def add_book_options(ap: argparse.ArgumentParser) -> None:
    """``--book-repo``, ``--book-iters`` and ``--timing-only``, shared with ``bench_attention``."""
    add_book_repo_option(ap)
    ap.add_argument("--book-iters", type=int, default=40, metavar="N",
                    help="with --book-repo: time N iterations of the book's code after the run (0 = skip; "
                    "default 40); with --timing-only: the iterations timed")
    ap.add_argument("--timing-only", action="store_true",
                    help="skip the training run; time N iterations of this engine (and, with --book-repo, N of "
                    "the book's code on the same batches) and print the ratio")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--engine", choices=("numpy", "torch"), default="numpy")
    ap.add_argument("--variant", choices=("baseline", "reversed", "peeky", "peeky+reversed"),
                    default="peeky+reversed")
    add_book_options(ap)
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
          "one thread")
    if args.engine == "torch":
        import torch
        torch.set_num_threads(1)
    kind = "peeky" if args.variant.startswith("peeky") else "seq2seq"
    reverse = args.variant.endswith("reversed")
    if args.timing_only and args.book_iters < 1:
        ap.error("--timing-only needs --book-iters N with N >= 1")
    b = BOOK["addition"]
    with threadpool_limits(1):
        if args.timing_only:
            results = time_side_by_side("addition", kind, reverse, 16, 128, args.book_iters, args.engine,
                                        args.book_repo)
            print_side_by_side(results, args.engine, b["s_per_epoch"])
        else:
            records = run("addition", kind, reverse, 16, 128, args.epochs, args.engine)
            book_timed = None
            if args.book_iters > 0 and args.book_repo is not None:
                book_timed = time_side_by_side("addition", kind, reverse, 16, 128, args.book_iters, args.engine,
                                               args.book_repo, ours=False)["book"]
            report(records, b["acc"], b["epochs"], b["s_per_epoch"], 0.95, book_timed)
    if args.book_repo is None:
        print(not_timed_message())


if __name__ == "__main__":
    main()
