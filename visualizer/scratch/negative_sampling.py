"""Negative sampling for word2vec: UnigramSampler, EmbeddingDot, NegativeSamplingLoss.

Source: Mikolov et al., "Distributed Representations of Words and Phrases and their Compositionality",
NIPS 2013 (negatives drawn from the unigram distribution raised to 3/4); Saitoh, *Deep Learning from
Scratch 2*, section 4.2 (``ch04/negative_sampling_layer.py``).

Vectorized differently from the book.  The book's CPU sampler calls ``np.random.choice(..., p=p)`` once
per batch row (each call rebuilds the cumulative distribution over the whole vocabulary), and its loss
keeps 1 + S separate EmbeddingDot layers.  Here the sampler draws every negative of the batch in one
inverse-CDF lookup (``searchsorted`` on the cumulative distribution built once), and one EmbeddingDot
scores the positive and the S negatives of every row together: idx (N, 1 + S) -> scores (N, 1 + S).
"""
from __future__ import annotations

import numpy as np

from visualizer.scratch.embedding import Embedding


class UnigramSampler:
    """Draws negative word ids with P(w) ∝ count(w)^power (power 0.75 by default).

    corpus: (L,) int word ids (the training corpus) or, with ``counts=True``, (V,) word counts;
    ``vocab_size`` pads the counts to V words (ids that never occur get probability 0).
    ``get_negative_sample(target)`` with target of any int shape S returns S + (sample_size,) int64 ids,
    each drawn independently (with replacement, as word2vec's C code and the book's GPU path) from the
    distribution with the row's own target excluded (renormalized): every draw that hits its target is
    redrawn, all collisions of the batch at once, until none is left.  Deterministic given ``rng``
    (a ``numpy.random.Generator``).  Raises ValueError for an empty corpus, negative ids, or fewer than two
    words with a positive count (no negative could differ from the target)."""

    def __init__(self, corpus: np.ndarray, power: float = 0.75, sample_size: int = 5,
                 rng: np.random.Generator | None = None, vocab_size: int | None = None,
                 counts: bool = False) -> None:
        corpus = np.asarray(corpus)
        if corpus.size == 0:
            raise ValueError("the corpus is empty: the unigram distribution needs word counts")
        if counts:
            c = corpus.astype(np.float64)
        else:
            if corpus.dtype.kind not in "iu" or corpus.min() < 0:
                raise ValueError("the corpus must hold non-negative integer word ids")
            c = np.bincount(corpus.reshape(-1), minlength=vocab_size or 0).astype(np.float64)
        if np.count_nonzero(c > 0) < 2:
            raise ValueError("negative sampling needs at least two distinct words in the corpus")
        self.vocab_size = c.size
        self.sample_size = int(sample_size)
        self.rng = rng if rng is not None else np.random.default_rng()
        p = np.power(c, power)
        self.word_p = p / p.sum()                          # (V,) float64
        self._cdf = np.cumsum(self.word_p)
        self._cdf /= self._cdf[-1]                         # exactly 1 at the end

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        u = self.rng.random(shape)
        return np.minimum(np.searchsorted(self._cdf, u, side="right"), self.vocab_size - 1)

    def get_negative_sample(self, target: np.ndarray) -> np.ndarray:
        target = np.asarray(target)
        neg = self._draw(target.shape + (self.sample_size,))           # S + (sample_size,)
        t = target[..., None]
        hit = np.nonzero(np.broadcast_to(neg == t, neg.shape))
        while hit[0].size:                                 # redraw only the collisions, all at once
            neg[hit] = self._draw((hit[0].size,))
            hit_mask = neg[hit] == np.broadcast_to(t, neg.shape)[hit]
            hit = tuple(h[hit_mask] for h in hit)
        return neg


class EmbeddingDot:
    """Scores of words against hidden vectors: s_nk = h_n · W[idx_nk].  h: (N, D), idx: (N, K) int ->
    scores (N, K), W's dtype.

    params [W (V, D)] (the output-side word vectors W_out); ``backward(dscores)`` writes dW (scatter-add)
    and returns dh (N, D).  One batched matrix product for all K words of all rows (the book scores one
    column per layer).  Source: Saitoh, *Deep Learning from Scratch 2*, 4.2.4."""

    def __init__(self, W: np.ndarray) -> None:
        self.embed = Embedding(W)
        self.params = self.embed.params
        self.grads = self.embed.grads
        self._cache = None

    def forward(self, h: np.ndarray, idx: np.ndarray) -> np.ndarray:
        target_W = self.embed.forward(idx)                 # (N, K, D)
        self._cache = (h, target_W)
        return (target_W @ h[:, :, None])[:, :, 0]         # (N, K)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        h, target_W = self._cache
        self.embed.backward(dout[:, :, None] * h[:, None, :])         # dW rows: (N, K, D)
        return (dout[:, None, :] @ target_W)[:, 0, :]      # (N, D)


class NegativeSamplingLoss:
    """Binary logistic loss of the true word against ``sample_size`` sampled negatives.

    h: (N, D) hidden vectors, target: (N,) int -> float loss = (1/N) Σ_n [ −log σ(h_n·w_t) −
    Σ_k log σ(−h_n·w_{neg_nk}) ] (the book's sum over the 1 + S binary losses, each averaged over the
    batch).  ``forward(h, target, negatives=None)`` draws the negatives (N, S) with its UnigramSampler
    unless given; the ones used are kept in ``self.negatives``.  ``backward(dout=1.0)`` writes dW_out and
    returns dh (N, D).  params [W (V, D)].  Raises ValueError for ids outside [0, V).
    Source: Mikolov et al. 2013; Saitoh, *Deep Learning from Scratch 2*, 4.2.7."""

    def __init__(self, W: np.ndarray, corpus: np.ndarray, power: float = 0.75, sample_size: int = 5,
                 rng: np.random.Generator | None = None) -> None:
        self.sample_size = int(sample_size)
        self.sampler = UnigramSampler(corpus, power, sample_size, rng, vocab_size=W.shape[0])
        self.embed_dot = EmbeddingDot(W)
        self.params = self.embed_dot.params
        self.grads = self.embed_dot.grads
        self.negatives: np.ndarray | None = None
        self._cache = None

    def forward(self, h: np.ndarray, target: np.ndarray, negatives: np.ndarray | None = None) -> float:
        target = np.asarray(target)
        if target.shape != (h.shape[0],):
            raise ValueError(f"target must have shape ({h.shape[0]},), got {target.shape}")
        if negatives is None:
            negatives = self.sampler.get_negative_sample(target)      # (N, S)
        self.negatives = negatives
        idx = np.concatenate([target[:, None], negatives], axis=1)    # (N, 1 + S): column 0 is positive
        s = self.embed_dot.forward(h, idx)                 # (N, 1 + S) scores
        sign = np.ones_like(s)
        sign[:, 0] = -1                                    # loss terms: softplus(−s_pos), softplus(s_neg)
        zs = s * sign
        loss = np.sum(np.maximum(zs, 0) + np.log1p(np.exp(-np.abs(zs)))) / s.shape[0]
        self._cache = (zs, sign)
        return float(loss)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        zs, sign = self._cache
        p = 0.5 * np.tanh(0.5 * zs) + 0.5                  # σ(zs) = d softplus(zs) / d zs
        dscore = p * sign * zs.dtype.type(dout / zs.shape[0])          # (N, 1 + S)
        return self.embed_dot.backward(dscore)             # (N, D)
