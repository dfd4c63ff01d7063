"""LSTM language model, the book's setup: time per epoch of the NumPy engine vs the book's code vs PyTorch, and
(with ``--ptb FOLDER``) the test perplexity after 4 epochs on the real Penn Treebank.

Setup of Saitoh, *Deep Learning from Scratch 2*, ch. 6 (``ch06/train_rnnlm.py``, ``Rnnlm``): embedding D = 100,
one LSTM layer H = 100, BPTT length T = 35, batch 20, SGD with learning rate 20, gradient clipping 0.25.  An
epoch of the Penn Treebank's 929,589 training tokens is ⌊929,588 / (20 · 35)⌋ = 1,327 iterations.  The issue's
targets: ≥ 2× faster per epoch than the book code (~215 s measured on one thread of this project's machines), and
test perplexity ≤ 136 after 4 epochs (the book reports about 136).

Timing (no PTB here): a generated corpus of PTB's size (929,589 tokens, 10,000-word vocabulary, from
``visualizer.data.corpus``).  Each engine runs ``--iters`` training iterations after a warm-up; the time per
iteration is extrapolated to the epoch's 1,327 iterations (printed as such, not measured over a whole epoch):

* ``numpy``: this lesson's model (``lessons/rnn_lm/net.py`` on ``visualizer.scratch``), its BatchStream,
  ``clip_grads`` and SGD;
* ``book``: the book's code, imported from a checkout of its repository (``--book-repo DIR``; nothing of it is
  copied here): ``ch06/rnnlm.py`` Rnnlm (weights drawn by its own ``np.random.randn`` after
  ``np.random.seed``), ``common/optimizer.py`` SGD and the iteration of ``common/trainer.py`` RnnlmTrainer.fit
  (its ``get_batch``, forward, backward, ``remove_duplicate``, ``common/util.py`` ``clip_grads``, update).
  Without ``--book-repo`` it is left out and the benchmark says so;
* ``torch``: the lesson's PyTorch twin (``torch.nn.LSTM``, autograd, ``clip_grad_norm_``, ``torch.optim.SGD``).

Everything runs on one thread (threadpoolctl for NumPy's BLAS, ``torch.set_num_threads(1)``) unless
``--threads N``.

Usage:  python -m benchmarks.bench_lm [--iters 30] [--engines numpy,book,torch] [--threads 1]
                                      [--book-repo DIR]
        python -m benchmarks.bench_lm --ptb /path/to/ptb_folder [--epochs 4] [--engine numpy]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.book_repo import add_book_repo_option, import_book, not_timed_message

PTB_TRAIN_TOKENS = 929_589
PTB_VOCAB = 10_000
BATCH, TIME, WORDVEC, HIDDEN, LR, MAX_GRAD = 20, 35, 100, 100, 20.0, 0.25
BOOK_EPOCH_SECONDS = 215.0          # the figure for the book's code, one thread


# ------------------------------------------------------------------------------------------------ #
# Runners
# ------------------------------------------------------------------------------------------------ #
def _config(vocab):
    from lessons.rnn_lm.net import LmConfig

    return LmConfig(vocab, WORDVEC, HIDDEN, "lstm", 1, 0.0, False)


def _kit_step(trainer, stream):
    """``step() -> loss``: the next batch of ``stream`` through the lesson's kit trainer, flushed at once as the
    session does on the CPU."""
    count = 0

    def step():
        nonlocal count
        count += 1
        xs, ts = stream.next_batch()
        trainer.step((xs, ts, MAX_GRAD), count)
        return trainer.flush()["train_loss"]
    return step


def numpy_runner(corpus, vocab, seed, book_repo=None):
    from lessons.rnn_lm.data import BatchStream
    from lessons.rnn_lm.net import NumpyLm, init_weights, make_trainer

    config = _config(vocab)
    net = NumpyLm(config, init_weights(config, seed))
    return _kit_step(make_trainer(net, "sgd", LR), BatchStream(corpus, BATCH, TIME))


def book_runner(corpus, vocab, seed, book_repo):
    """One iteration of the book's ch. 6 language model from the checkout ``book_repo``: what
    ``RnnlmTrainer.fit`` does per iteration, with the book's own get_batch, Rnnlm, remove_duplicate, clip_grads
    and SGD."""
    rnnlm, optimizer, trainer, util = import_book(book_repo, "ch06.rnnlm", "common.optimizer", "common.trainer",
                                                  "common.util")
    np.random.seed(seed)
    model = rnnlm.Rnnlm(vocab, WORDVEC, HIDDEN)
    sgd = optimizer.SGD(LR)
    batches = trainer.RnnlmTrainer(model, sgd)
    batches.time_idx = 0                          # fit() starts here
    xs, ts = corpus[:-1], corpus[1:]

    def step():
        batch_x, batch_t = batches.get_batch(xs, ts, BATCH, TIME)
        loss = model.forward(batch_x, batch_t)
        model.backward()
        params, grads = trainer.remove_duplicate(model.params, model.grads)
        util.clip_grads(grads, MAX_GRAD)
        sgd.update(params, grads)
        return float(loss)
    return step


def torch_runner(corpus, vocab, seed, book_repo=None):
    from lessons.rnn_lm.data import BatchStream
    from lessons.rnn_lm.net import init_weights
    from lessons.rnn_lm.net_torch import LmTorchTrainer

    config = _config(vocab)
    trainer = LmTorchTrainer(config, init_weights(config, seed), np.random.default_rng(0), "sgd", LR, "cpu")
    return _kit_step(trainer, BatchStream(corpus, BATCH, TIME))


RUNNERS = {"numpy": numpy_runner, "book": book_runner, "torch": torch_runner}


def time_per_iteration(step, iters: int, warmup: int = 3) -> tuple[float, float]:
    """(seconds per iteration over ``iters`` timed iterations, last loss)."""
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    loss = 0.0
    for _ in range(iters):
        loss = step()
    return (time.perf_counter() - t0) / iters, float(loss)


def run_timing(args) -> None:
    from visualizer.data.corpus import generate_corpus_ids

    t0 = time.perf_counter()
    ids, words = generate_corpus_ids(PTB_TRAIN_TOKENS, PTB_VOCAB, seed=0)
    vocab = len(words)
    iters_per_epoch = (len(ids) - 1) // (BATCH * TIME)
    print(f"corpus: generated, {len(ids):,} tokens, vocabulary {vocab:,} ({len(np.unique(ids)):,} used), "
          f"made in {time.perf_counter() - t0:.1f} s; {iters_per_epoch:,} iterations per epoch")
    print(f"setup: D = {WORDVEC}, H = {HIDDEN}, T = {TIME}, batch {BATCH}, SGD lr {LR:g}, clipping {MAX_GRAD}, "
          f"1-layer LSTM; {args.iters} timed iterations after 3 warm-up ones, extrapolated to the epoch")
    results = {}
    engines = args.engines.split(",")
    if args.book_repo is None and "book" in engines:
        engines.remove("book")
    for name in engines:
        step = RUNNERS[name](ids, vocab, args.seed, args.book_repo)
        per_iter, loss = time_per_iteration(step, args.iters)
        results[name] = per_iter * iters_per_epoch
        print(f"  {name:6s} {per_iter * 1e3:8.1f} ms / iteration  ->  {results[name]:7.1f} s / epoch "
              f"(extrapolated; last loss {loss:.3f})")
    if "numpy" in results:
        if "book" in results:
            print(f"numpy engine vs the book's code, same machine: {results['book'] / results['numpy']:.2f}x faster "
                  "per epoch (target >= 2x)")
        print(f"numpy engine vs the issue's book figure ({BOOK_EPOCH_SECONDS:.0f} s): "
              f"{BOOK_EPOCH_SECONDS / results['numpy']:.2f}x")
        if "torch" in results:
            print(f"torch twin vs numpy engine: {results['numpy'] / results['torch']:.2f}x")
    if "book" in args.engines.split(",") and args.book_repo is None:
        print(not_timed_message())


def run_ptb(args) -> None:
    """Train 4 epochs on a real PTB folder with the book's setup and report the test perplexity."""
    from lessons.rnn_lm.lesson import LESSON, VAL_HEAD

    hp = LESSON.hyperparameters({"dataset": "ptb_folder", "ptb_folder": args.ptb, "cell": "lstm", "layers": 1,
                                 "embed_size": WORDVEC, "hidden_size": HIDDEN, "dropout": 0.0, "tie_weights": False,
                                 "time_size": TIME, "batch_size": BATCH, "optimizer": "sgd", "lr": LR,
                                 "max_grad_norm": MAX_GRAD, "engine": args.engine, "seed": args.seed})
    lesson = LESSON(hp)
    spe = lesson.steps_per_epoch
    print(f"{lesson.corpus.name}: {spe:,} iterations per epoch, {args.epochs} epochs, engine {args.engine}")
    t0 = time.perf_counter()
    losses = []
    for it in range(spe * args.epochs):
        lesson.train_step(it + 1)
        losses.append(lesson.flush()["train_loss"])
        if (it + 1) % 100 == 0:
            print(f"  epoch {it // spe + 1} iter {it % spe + 1:5d}/{spe}  train ppl {math.exp(np.mean(losses)):8.2f}"
                  f"  {time.perf_counter() - t0:7.1f} s", flush=True)
            losses = []
        if (it + 1) % spe == 0:
            m = lesson.evaluate()                    # an epoch end: the whole validation split too
            print(f"epoch {(it + 1) // spe}: {time.perf_counter() - t0:.1f} s so far; validation perplexity "
                  f"{m['val_ppl']:.2f} (whole split; its first 10,000 words: "
                  f"{m.get(VAL_HEAD, m['val_ppl']):.2f})", flush=True)
    elapsed = time.perf_counter() - t0
    ppl = lesson.test_perplexity()
    print(f"test perplexity after {args.epochs} epochs: {ppl:.2f} (target <= 136; the book: ~136); "
          f"{elapsed / args.epochs:.1f} s per epoch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=30, help="timed iterations per engine")
    parser.add_argument("--engines", default="numpy,book,torch", help="comma-separated: numpy, book (needs "
                        "--book-repo), torch")
    add_book_repo_option(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1: the figures "
                        "to compare with the book's one-thread time)")
    parser.add_argument("--ptb", metavar="FOLDER", help="train on a real Penn Treebank folder and report test "
                        "perplexity instead of timing")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--engine", default="numpy", choices=("numpy", "torch"), help="engine for --ptb")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
          f"torch {torch.__version__}; {args.threads} thread(s); load average {os.getloadavg()[0]:.1f}")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        run_ptb(args) if args.ptb else run_timing(args)


if __name__ == "__main__":
    main()
