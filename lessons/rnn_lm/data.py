"""Data of the ``rnn_lm`` lesson (Qt-free): the corpus as word ids, the book's truncated-BPTT batches, its
perplexity evaluation, and sampling the next word with a temperature.

Batches follow ``RnnlmTrainer.get_batch`` (Saitoh, *Deep Learning from Scratch 2*, 5.5.3): the corpus is read by
N parallel cursors N·⌊len/N⌋ apart, each advancing T words per batch, so row n of one batch continues row n of
the previous one, which is what lets a stateful layer carry its hidden state across batches.  Evaluation follows
the book's ``eval_perplexity`` (``common/util.py``): the same layout with batch 10, perplexity = exp(mean loss).
The corpus is generated, read from a Penn Treebank folder, or the Penn Treebank downloaded (offline: a notice and
the generated corpus, through ``visualizer.data.fallback.load_with_fallback``).
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.fallback import load_with_fallback
from visualizer.data.ptb import PtbFormatError, fetch_ptb, load_ptb_folder, to_ids

EOS = "<eos>"
UNK = "<unk>"
PPL_WINDOW = 20             # train perplexity: exp of the mean loss of the last steps (the book's eval_interval)


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


def ptb_corpus(folder, name: str) -> LmCorpus:
    """The Penn Treebank in ``folder`` (``visualizer.data.ptb``) as an LmCorpus.  Raises PtbFormatError."""
    c = to_ids(load_ptb_folder(folder))
    return LmCorpus(f"{name} ({len(c.train):,} training words, {c.vocab_size:,} words)", c.train, c.valid, c.test,
                    c.word_to_id, c.id_to_word)


def load_corpus(hp, context) -> LmCorpus:
    """The corpus ``hp["dataset"]`` names: "generated" (``corpus_tokens`` words of a ``vocab_size``-word
    vocabulary from ``seed``), "ptb_folder" (the folder ``hp["ptb_folder"]``) or "ptb_download" (downloaded once
    and cached, with progress; offline or damaged: a notice and the generated corpus).  Raises
    LessonConfigError for a bad Penn Treebank folder or sizes the generator refuses."""
    def generated() -> LmCorpus:
        try:
            return generated_corpus(hp["corpus_tokens"], hp["vocab_size"], hp["seed"])
        except ValueError as e:
            raise LessonConfigError(f"Cannot generate the corpus: {e}.") from None

    def downloaded() -> LmCorpus:
        folder = fetch_ptb(progress=context.progress)
        context.progress("Reading the Penn Treebank", None)
        return ptb_corpus(folder, "Penn Treebank")

    if hp["dataset"] == "ptb_folder":
        try:
            return ptb_corpus(hp["ptb_folder"], "Penn Treebank (folder)")
        except PtbFormatError as e:
            raise LessonConfigError(str(e)) from None
    if hp["dataset"] == "ptb_download":
        return load_with_fallback(context, downloaded, generated, what="Penn Treebank",
                                  instead="the generated corpus (to use a copy you have, choose ptb_folder)")
    return generated()


def prompt_words(text: str, word_to_id: dict[str, int]) -> list[str]:
    """The words of a prompt, lower-cased.  Raises LessonConfigError naming the words the vocabulary lacks, with
    close matches (difflib)."""
    words = str(text).lower().split()
    unknown = [w for w in dict.fromkeys(words) if w not in word_to_id]
    if not unknown:
        return words
    parts = []
    for w in unknown[:5]:
        close = difflib.get_close_matches(w, word_to_id.keys(), n=3, cutoff=0.6)
        parts.append(f"'{w}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    raise LessonConfigError(f"The prompt uses words the model does not know: {'; '.join(parts)}{more}. "
                            f"Use words of the {len(word_to_id):,}-word vocabulary; the previous prompt stays.")


def initial_prompt(text: str, word_to_id: dict[str, int], context) -> list[str]:
    """The prompt's words the vocabulary knows; a notice through ``context`` names the others (the lesson is
    built anyway, generating from the known words or a sentence start)."""
    try:
        return prompt_words(text, word_to_id)
    except LessonConfigError as e:
        known = [w for w in str(text).lower().split() if w in word_to_id]
        context.notice(f"{e} Generating from {' '.join(known) or 'a sentence start'} instead.")
        return known


def batches(corpus: LmCorpus, batch_size: int, time_size: int, val_tokens: int,
            eval_batch: int) -> tuple[BatchStream, np.ndarray]:
    """The training BatchStream and the first ``val_tokens`` validation words.  Raises LessonConfigError when
    the training text holds less than one batch or the validation slice less than one evaluation batch."""
    try:
        stream = BatchStream(corpus.train, batch_size, time_size)
    except ValueError as e:
        raise LessonConfigError(f"The training text is too short: {e}.") from None
    val = corpus.valid[:val_tokens]
    if (len(val) - 1) // (eval_batch * time_size) < 1:
        raise LessonConfigError(f"The validation text ({len(val):,} words) is shorter than one evaluation batch of "
                                f"{eval_batch} × {time_size}: lower BPTT length T or use a larger corpus.")
    return stream, val


def train_perplexity(losses: Sequence[float]) -> float:
    """exp(mean of the recent training losses) (the book's ``eval_interval`` perplexity), the exponent capped at
    700; NaN when the newest loss is not finite (a diverged step)."""
    if not np.isfinite(losses[-1]):
        return float("nan")
    return float(math.exp(min(np.mean(losses), 700.0)))


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
