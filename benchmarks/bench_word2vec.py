"""CBOW with negative sampling at the Penn Treebank's size: our scratch engine vs the book's code, per batch.

Setup of the book's ``ch04/train.py``: window 5, hidden 100, batch 100, 5 negatives, Adam (lr 0.001), on a
generated corpus of PTB's size (929,589 tokens, 10,000-word vocabulary; PTB itself cannot be downloaded
here).  One thread (threadpoolctl).  Both are timed on the same number of batches (``--batches``, default
300) and the epoch time (9,295 batches of 100 windows) is *extrapolated* from that.

"book" is the book's own code, imported from a checkout of its repository (``--book-repo DIR``, see
``benchmarks/book_repo.py``; nothing of it is copied here): ``ch04/cbow.py`` CBOW (2w Embedding layers whose
backward zeroes a dense (V, H) gradient and scatters with ``np.add.at``; ``ch04/negative_sampling_layer.py``'s
sampler calling ``np.random.choice(V, 5, replace=False, p=p)`` once per batch row), the trainer's
``remove_duplicate`` summing the 2w + 1 + S gradients of the shared W_in and W_out (``common/trainer.py``) and
``common/optimizer.py`` Adam, per batch as ``Trainer.fit`` runs them.  Without ``--book-repo`` only our engine is
timed.  The issue quotes ~33 minutes per epoch for the book's code on PTB.

Our engine is timed twice: with Adam (torch.optim.Adam's dense update, as the book) and with lazy Adam
(``SparseAdam``, torch.optim.SparseAdam's rule: only the embedding rows of the batch are updated).

``--corpus FILE`` times the real corpus instead (e.g. ``ptb.train.txt``), read by the lessons' shared reader
(``visualizer.data.corpus_file``: a ``ptb.*.txt`` file cut as the book does), ids in order of first appearance.

Usage: python -m benchmarks.bench_word2vec [--batches 300] [--book-repo DIR] [--corpus ptb.train.txt]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.book_repo import add_book_repo_option, import_book, not_timed_message
from visualizer.data.corpus import generate_corpus_ids, preprocess
from visualizer.data.corpus_file import read_corpus_tokens
from visualizer.scratch.negative_sampling import UnigramSampler

T, V, H, WINDOW, BATCH, NEG = 929_589, 10_000, 100, 5, 100, 5


def windows(corpus, centres):
    offsets = np.r_[-WINDOW:0, 1:WINDOW + 1]
    return corpus[centres[:, None] + offsets], corpus[centres]


def time_book(book_repo, corpus, batches, rng):
    """Seconds per batch of the book's CBOW from the checkout ``book_repo``: forward, backward, the book's
    ``remove_duplicate`` and Adam update, as one iteration of its ``Trainer.fit``."""
    cbow, optimizer, trainer = import_book(book_repo, "ch04.cbow", "common.optimizer", "common.trainer")
    np.random.seed(0)
    model, opt = cbow.CBOW(int(corpus.max()) + 1, H, WINDOW, corpus), optimizer.Adam()
    t = time.perf_counter()
    for _ in range(batches):
        contexts, target = windows(corpus, rng.integers(WINDOW, corpus.size - WINDOW, BATCH))
        model.forward(contexts, target)
        model.backward()
        params, grads = trainer.remove_duplicate(model.params, model.grads)
        opt.update(params, grads)
    return (time.perf_counter() - t) / batches


def time_ours(corpus, batches, rng, adam="dense"):
    from lessons.word2vec.net import NumpyWord2Vec, initial_weights

    W_in, W_out = initial_weights(int(corpus.max()) + 1, H, 0)
    net = NumpyWord2Vec("cbow", W_in, W_out, corpus, 0.001, adam=adam)
    sampler = UnigramSampler(corpus, 0.75, NEG, np.random.default_rng(1), vocab_size=int(corpus.max()) + 1)
    t = time.perf_counter()
    for _ in range(batches):
        contexts, target = windows(corpus, rng.integers(WINDOW, corpus.size - WINDOW, BATCH))
        net.train_step(contexts, target, sampler.get_negative_sample(target))
    return (time.perf_counter() - t) / batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=300, help="batches timed per engine (default 300)")
    ap.add_argument("--corpus", default="", help="a corpus file such as ptb.train.txt (default: a generated corpus "
                                                 "of PTB's size)")
    add_book_repo_option(ap)
    args = ap.parse_args()
    if args.corpus:
        ids, word_to_id, _ = preprocess(read_corpus_tokens(args.corpus))
        what = f"corpus {args.corpus}"
    else:
        ids, word_to_id = generate_corpus_ids(T, V, seed=0)
        what = "PTB-sized generated corpus"
    corpus = ids.astype(np.int64)
    per_epoch = -(-(corpus.size - 2 * WINDOW) // BATCH)
    with threadpool_limits(1):
        ours = time_ours(corpus, args.batches, np.random.default_rng(0))
        lazy = time_ours(corpus, args.batches, np.random.default_rng(0), adam="lazy")
        book = None if args.book_repo is None else time_book(args.book_repo, corpus, args.batches,
                                                            np.random.default_rng(0))
    print(f"CBOW + negative sampling, {what} ({corpus.size:,} tokens, V = {len(word_to_id):,}), window {WINDOW}, "
          f"H = {H}, batch {BATCH}, {NEG} negatives, Adam, one thread")
    print(f"timed on {args.batches} batches each; epoch = {per_epoch:,} batches (extrapolated)")
    if book is not None:
        print(f"  the book's code:            {book * 1e3:8.2f} ms/batch -> {book * per_epoch / 60:6.1f} min/epoch")

    def versus_book(t: float) -> str:
        return "" if book is None else f"{book / t:5.1f}x the book here, "
    print(f"  our scratch engine, Adam:    {ours * 1e3:8.2f} ms/batch -> {ours * per_epoch:6.1f} s/epoch   "
          f"{versus_book(ours)}{33 * 60 / (ours * per_epoch):5.1f}x the issue's ~33 min")
    print(f"  ... lazy Adam (SparseAdam): {lazy * 1e3:8.2f} ms/batch -> {lazy * per_epoch:6.1f} s/epoch   "
          f"{versus_book(lazy)}{33 * 60 / (lazy * per_epoch):5.1f}x the issue's ~33 min")
    print("  target >= 10x.  Adam = torch.optim.Adam's update (the book's; every row moves each step); lazy Adam "
          "= torch.optim.SparseAdam (only the rows in the batch; the lesson's 'Adam variant: lazy').")
    if book is None:
        print(not_timed_message())


if __name__ == "__main__":
    main()
