"""CBOW with negative sampling at the Penn Treebank's size: our scratch engine vs the book's code, per batch.

Setup of the book's ``ch04/train.py``: window 5, hidden 100, batch 100, 5 negatives, Adam (lr 0.001), on a
generated corpus of PTB's size (929,589 tokens, 10,000-word vocabulary; PTB itself cannot be downloaded
here).  One thread (threadpoolctl).  Both are timed on the same number of batches (``--batches``, default
300) and the epoch time (9,295 batches of 100 windows) is *extrapolated* from that.

"book" is a faithful reimplementation of the per-batch work of Saitoh's code (DLfS2 ``ch04/cbow.py``,
``ch04/negative_sampling_layer.py``, ``common/layers.py``, ``common/trainer.py``, ``common/optimizer.py``):
2w separate Embedding layers whose backward zeroes a dense (V, H) gradient and scatters with ``np.add.at``;
an UnigramSampler that calls ``np.random.choice(V, 5, replace=False, p=p)`` once per batch row after
copying and renormalizing p; 1 + S EmbeddingDot layers with SigmoidWithLoss; the trainer's
``remove_duplicate`` summing the 2w + 1 + S gradients of the shared W_in and W_out; and the book's Adam.
The issue quotes ~33 minutes per epoch for the book's code on PTB.

Our engine is timed twice: with Adam (torch.optim.Adam's dense update, as the book) and with lazy Adam
(``SparseAdam``, torch.optim.SparseAdam's rule: only the embedding rows of the batch are updated).

Usage: python -m benchmarks.bench_word2vec [--batches 300]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.book_dlfs2 import BookAdam, BookEmbedding, book_remove_duplicate

from lessons.word2vec.network import NumpyWord2Vec, initial_weights
from visualizer.data.corpus import generate_corpus_ids
from visualizer.scratch.negative_sampling import UnigramSampler

T, V, H, WINDOW, BATCH, NEG = 929_589, 10_000, 100, 5, 100, 5


# ---- the book's code, condensed (same operations, same order) -----------------------------------------
class BookEmbeddingDot:
    def __init__(self, W):
        self.embed = BookEmbedding(W)
        self.params, self.grads, self.cache = self.embed.params, self.embed.grads, None

    def forward(self, h, idx):
        target_W = self.embed.forward(idx)
        out = np.sum(target_W * h, axis=1)
        self.cache = (h, target_W)
        return out

    def backward(self, dout):
        h, target_W = self.cache
        dout = dout.reshape(dout.shape[0], 1)
        self.embed.backward(dout * h)
        return dout * target_W


class BookSigmoidWithLoss:
    def forward(self, x, t):
        self.t, self.y = t, 1 / (1 + np.exp(-x))
        y2 = np.c_[1 - self.y, self.y]
        return -np.sum(np.log(y2[np.arange(len(t)), t] + 1e-7)) / len(t)

    def backward(self, dout=1):
        return (self.y - self.t) * dout / self.t.shape[0]


class BookUnigramSampler:
    def __init__(self, corpus, power, sample_size):
        counts = np.bincount(corpus, minlength=V)
        self.vocab_size, self.sample_size = V, sample_size
        self.word_p = np.power(counts, power) / np.sum(np.power(counts, power))

    def get_negative_sample(self, target):
        batch_size = target.shape[0]
        negative_sample = np.zeros((batch_size, self.sample_size), dtype=np.int32)
        for i in range(batch_size):                       # the book's CPU path: one draw per row
            p = self.word_p.copy()
            p[target[i]] = 0
            p /= p.sum()
            negative_sample[i, :] = np.random.choice(self.vocab_size, size=self.sample_size, replace=False, p=p)
        return negative_sample


class BookNegativeSamplingLoss:
    def __init__(self, W, corpus):
        self.sampler = BookUnigramSampler(corpus, 0.75, NEG)
        self.loss_layers = [BookSigmoidWithLoss() for _ in range(NEG + 1)]
        self.embed_dot_layers = [BookEmbeddingDot(W) for _ in range(NEG + 1)]
        self.params, self.grads = [], []
        for layer in self.embed_dot_layers:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, h, target):
        n = target.shape[0]
        negative_sample = self.sampler.get_negative_sample(target)
        score = self.embed_dot_layers[0].forward(h, target)
        loss = self.loss_layers[0].forward(score, np.ones(n, dtype=np.int32))
        for i in range(NEG):
            score = self.embed_dot_layers[1 + i].forward(h, negative_sample[:, i])
            loss += self.loss_layers[1 + i].forward(score, np.zeros(n, dtype=np.int32))
        return loss

    def backward(self, dout=1):
        dh = 0
        for l0, l1 in zip(self.loss_layers, self.embed_dot_layers):
            dh += l1.backward(l0.backward(dout))
        return dh


class BookCBOW:
    def __init__(self, corpus, W_in, W_out):
        self.in_layers = [BookEmbedding(W_in) for _ in range(2 * WINDOW)]
        self.ns_loss = BookNegativeSamplingLoss(W_out, corpus)
        self.params, self.grads = [], []
        for layer in self.in_layers + [self.ns_loss]:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, contexts, target):
        h = 0
        for i, layer in enumerate(self.in_layers):
            h += layer.forward(contexts[:, i])
        h *= 1 / len(self.in_layers)
        return self.ns_loss.forward(h, target)

    def backward(self, dout=1):
        dout = self.ns_loss.backward(dout)
        dout *= 1 / len(self.in_layers)
        for layer in self.in_layers:
            layer.backward(dout)


# ---- timing -----------------------------------------------------------------------------------------------
def windows(corpus, centres):
    offsets = np.r_[-WINDOW:0, 1:WINDOW + 1]
    return corpus[centres[:, None] + offsets], corpus[centres]


def time_book(corpus, batches, rng):
    W_in, W_out = initial_weights(V, H, 0)
    model, opt = BookCBOW(corpus, W_in, W_out), BookAdam()
    np.random.seed(0)
    t = time.perf_counter()
    for _ in range(batches):
        contexts, target = windows(corpus, rng.integers(WINDOW, corpus.size - WINDOW, BATCH))
        model.forward(contexts, target)
        model.backward()
        params, grads = book_remove_duplicate(model.params, model.grads)
        opt.update(params, grads)
    return (time.perf_counter() - t) / batches


def time_ours(corpus, batches, rng, adam="dense"):
    W_in, W_out = initial_weights(V, H, 0)
    net = NumpyWord2Vec("cbow", W_in, W_out, corpus, 0.001, adam=adam)
    sampler = UnigramSampler(corpus, 0.75, NEG, np.random.default_rng(1), vocab_size=V)
    t = time.perf_counter()
    for _ in range(batches):
        contexts, target = windows(corpus, rng.integers(WINDOW, corpus.size - WINDOW, BATCH))
        net.train_step(contexts, target, sampler.get_negative_sample(target))
    return (time.perf_counter() - t) / batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=300, help="batches timed per engine (default 300)")
    args = ap.parse_args()
    ids, _ = generate_corpus_ids(T, V, seed=0)
    corpus = ids.astype(np.int64)
    per_epoch = -(-(T - 2 * WINDOW) // BATCH)
    with threadpool_limits(1):
        ours = time_ours(corpus, args.batches, np.random.default_rng(0))
        lazy = time_ours(corpus, args.batches, np.random.default_rng(0), adam="lazy")
        book = time_book(corpus, args.batches, np.random.default_rng(0))
    print(f"CBOW + negative sampling, PTB-sized generated corpus ({T:,} tokens, V = {V:,}), window {WINDOW}, "
          f"H = {H}, batch {BATCH}, {NEG} negatives, Adam, one thread")
    print(f"timed on {args.batches} batches each; epoch = {per_epoch:,} batches (extrapolated)")
    print(f"  book's code (reimplemented): {book * 1e3:8.2f} ms/batch -> {book * per_epoch / 60:6.1f} min/epoch")
    print(f"  our scratch engine, Adam:    {ours * 1e3:8.2f} ms/batch -> {ours * per_epoch:6.1f} s/epoch   "
          f"{book / ours:5.1f}x the book here, {33 * 60 / (ours * per_epoch):5.1f}x the issue's ~33 min")
    print(f"  ... lazy Adam (SparseAdam): {lazy * 1e3:8.2f} ms/batch -> {lazy * per_epoch:6.1f} s/epoch   "
          f"{book / lazy:5.1f}x the book here, {33 * 60 / (lazy * per_epoch):5.1f}x the issue's ~33 min")
    print("  target >= 10x.  Adam = torch.optim.Adam's update (the book's; every row moves each step); lazy Adam "
          "= torch.optim.SparseAdam (only the rows in the batch; the lesson's 'Adam variant: lazy').")


if __name__ == "__main__":
    main()
