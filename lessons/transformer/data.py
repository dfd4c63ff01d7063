"""The data of the ``transformer`` lesson (Qt-free): the generated sentiment corpus
(:mod:`visualizer.data.sentiment`), its word vocabulary (:class:`visualizer.data.tokenize.WordVocab`), the
encoded arrays and the bag-of-words baseline, and the checks on a sentence the student types."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.sentiment import SentimentSet, bag_of_words_accuracy, sentiment_sets
from visualizer.data.tokenize import Encoded, WordVocab

MAX_TOKENS = 128          # the longest input the model reads ([CLS] included); longer sentences are truncated
N_VAL = 2000
LABELS = ("negative", "positive")


@dataclass
class SentimentData:
    """Training and validation reviews, encoded.  x_train (N, T) int64 ids with [CLS] first and [PAD] = 0
    after the words, y_train (N,) int64 (0 negative, 1 positive; 3% of them flipped: label noise); x_val
    (M, T), y_val (M,) clean; T = the longest review + 1; ``bow``: the bag-of-words baseline
    (:func:`visualizer.data.sentiment.bag_of_words_accuracy`)."""

    train: SentimentSet
    val: SentimentSet
    vocab: WordVocab
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    bow: dict


def load_data(n_train: int, seed: int, label_noise: float = 0.03) -> SentimentData:
    """``n_train`` generated training reviews and 2,000 validation reviews (none of them in the training set),
    the vocabulary of the training reviews, the ids padded to the longest review, and the bag-of-words
    baseline fitted on the same split (~0.55 validation accuracy)."""
    train, val = sentiment_sets(n_train, N_VAL, seed=seed, label_noise=label_noise)
    vocab = WordVocab.build(train.texts)
    x_train, len_train = vocab.encode_batch(train.texts, MAX_TOKENS)
    x_val, len_val = vocab.encode_batch(val.texts, MAX_TOKENS)
    t = int(max(len_train.max(), len_val.max()))
    return SentimentData(train, val, vocab, x_train[:, :t].copy(), train.labels.copy(), x_val[:, :t].copy(),
                         val.labels.copy(), bag_of_words_accuracy(train, val))


def encode_sentence(vocab: WordVocab, text: str) -> tuple[Encoded, list[str]]:
    """A typed sentence as (:class:`Encoded` of at most :data:`MAX_TOKENS` ids, [CLS] first, notices for the
    student: the words the vocabulary does not know (read as [UNK]) and a truncation).  Raises
    LessonConfigError for a sentence with no word."""
    enc = vocab.encode(text, MAX_TOKENS)
    if enc.length <= 1:
        raise LessonConfigError("Your sentence: type at least one word (e.g. 'the plot was not good').")
    notes = []
    if enc.unknown:
        unknown = list(dict.fromkeys(enc.unknown))
        shown = ", ".join(f"'{w if len(w) <= 24 else w[:23] + '…'}'" for w in unknown[:8]) + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else "")
        notes.append(f"Your sentence: the vocabulary of the reviews does not know {shown}; the model reads "
                     f"{'it' if len(unknown) == 1 else 'them'} as [UNK].")
    if enc.truncated:
        notes.append(f"Your sentence is longer than the model reads: only its first {MAX_TOKENS - 1} words and "
                     f"marks (plus [CLS]) are classified and drawn.")
    return enc, notes
