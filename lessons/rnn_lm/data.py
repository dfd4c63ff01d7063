"""Data of the ``rnn_lm`` lesson (Qt-free): the corpus as word ids, the book's truncated-BPTT batches, its
perplexity evaluation, and sampling the next word with a temperature.

Batches follow ``RnnlmTrainer.get_batch`` (Saitoh, *Deep Learning from Scratch 2*, 5.5.3): the corpus is read by
N parallel cursors N·⌊len/N⌋ apart, each advancing T words per batch, so row n of one batch continues row n of
the previous one, which is what lets a stateful layer carry its hidden state across batches.  Evaluation follows
the book's ``eval_perplexity`` (``common/util.py``): the same layout with batch 10, perplexity = exp(mean loss).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

EOS = "<eos>"
UNK = "<unk>"


@dataclass
class LmCorpus:
    """A language-modelling corpus.  train / valid: (T,) int32 word ids; test: (T,) int32 or None;
    word_to_id / id_to_word: the vocabulary; name: what the UI calls it."""

    name: str
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray | None
    word_to_id: dict[str, int]
    id_to_word: dict[int, str]

    @property
    def vocab_size(self) -> int:
        return len(self.word_to_id)


def generated_corpus(n_tokens: int, vocab_size: int, seed: int, valid_fraction: float = 0.1) -> LmCorpus:
    """The app's generated English-like corpus (``visualizer.data.corpus``): the first 90% of ``n_tokens``
    for training, the rest for validation, one vocabulary.  Raises ValueError for sizes the generator refuses."""
    from visualizer.data.corpus import generate_corpus, preprocess

    corpus, word_to_id, id_to_word = preprocess(generate_corpus(n_tokens, vocab_size, seed))
    n_valid = max(2, int(round(len(corpus) * valid_fraction)))
    return LmCorpus(f"generated ({len(corpus):,} tokens, {len(word_to_id):,} words)", corpus[:-n_valid],
                    corpus[-n_valid:], None, word_to_id, id_to_word)


class BatchStream:
    """The book's truncated-BPTT batches.  corpus: (L,) int ids -> ``next_batch()`` = (xs, ts), each (N, T) int32,
    ts the words that follow xs.  Row n reads from offset n·⌊(L−1)/N⌋, advancing T words per batch (wrapping).

    Raises ValueError if the corpus has fewer than N·T + 1 words."""

    def __init__(self, corpus: np.ndarray, batch_size: int, time_size: int) -> None:
        self.xs, self.ts = corpus[:-1], corpus[1:]
        self.batch_size, self.time_size = batch_size, time_size
        size = len(self.xs)
        if size < batch_size * time_size:
            raise ValueError(f"the corpus has {len(corpus):,} words, too few for batches of {batch_size} × "
                             f"{time_size}: use a smaller batch size or time size, or a larger corpus")
        self.offsets = np.arange(batch_size) * (size // batch_size)          # (N,)
        self.time_idx = 0

    @property
    def steps_per_epoch(self) -> int:
        """The book's ``max_iters``: ⌊(L−1) / (N·T)⌋."""
        return len(self.xs) // (self.batch_size * self.time_size)

    def peek(self) -> tuple[np.ndarray, np.ndarray]:
        """The batch ``next_batch`` would return, without advancing."""
        pos = (self.offsets[:, None] + self.time_idx + np.arange(self.time_size)) % len(self.xs)   # (N, T)
        return self.xs[pos], self.ts[pos]

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        batch = self.peek()
        self.time_idx += self.time_size
        return batch


def eval_batches(corpus: np.ndarray, batch_size: int = 10, time_size: int = 35) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The book's ``eval_perplexity`` batches: ⌊(L−1)/(N·T)⌋ batches (xs, ts) of (N, T), rows ⌊(L−1)/N⌋ apart."""
    size = len(corpus)
    max_iters = (size - 1) // (batch_size * time_size)
    jump = (size - 1) // batch_size
    offsets = np.arange(batch_size) * jump
    steps = np.arange(time_size)
    for it in range(max_iters):
        pos = offsets[:, None] + it * time_size + steps                    # (N, T)
        yield corpus[pos % size], corpus[(pos + 1) % size]


def perplexity(loss_fn: Callable[[np.ndarray, np.ndarray], float], corpus: np.ndarray, batch_size: int = 10,
               time_size: int = 35) -> float:
    """exp(mean loss) over ``eval_batches``; loss_fn(xs, ts) is a stateful evaluation-mode forward.  Raises
    ValueError if the corpus holds less than one batch."""
    losses = [loss_fn(xs, ts) for xs, ts in eval_batches(corpus, batch_size, time_size)]
    if not losses:
        raise ValueError(f"{len(corpus):,} words are too few to evaluate batches of {batch_size} × {time_size}")
    return float(np.exp(np.mean(losses)))


def sample_next(logits: np.ndarray, temperature: float, rng: np.random.Generator, skip: tuple[int, ...] = ()) -> int:
    """The next word id from scores (V,): drawn from softmax(logits / temperature), or the argmax when
    temperature is 0.  Ids in ``skip`` (e.g. <unk>, as the book's ``generate`` does) are never chosen."""
    z = np.asarray(logits, dtype=np.float64).copy()
    if skip:
        z[list(skip)] = -np.inf
    if temperature <= 0:
        return int(np.argmax(z))
    z /= temperature
    z -= z.max()
    p = np.exp(z)
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), len(p) - 1))
