"""Data of the ``word_vectors`` lesson (Qt-free): the corpus the user chose as tokens, and its vocabulary
ranked by frequency (Saitoh, *Deep Learning from Scratch 2*, 2.3: ``preprocess``, ids of words)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.corpus import generate_corpus, load_text_corpus, preprocess, tokenize, word_classes
from visualizer.probes.word_map import class_indices

TOY_TEXT = "You say goodbye and I say hello."
GENERATED_VOCAB = 400          # the generated corpus's vocabulary: real English words only


def load_tokens(hp, context) -> list[str]:
    """The tokens of the corpus ``hp["corpus"]`` names: the book's toy sentence, a text file
    (``hp["corpus_path"]``, a notice says how many tokens were read) or ``hp["corpus_size"]`` generated words.
    Raises LessonConfigError for a file corpus without a file, or a file that is missing, empty or binary."""
    if hp["corpus"] == "toy":
        return tokenize(TOY_TEXT)
    if hp["corpus"] == "file":
        path = hp["corpus_path"].strip()
        if not path:
            raise LessonConfigError("Corpus is file but no file is chosen: pick a text file with 'Text file', "
                                    "or choose the generated corpus.")
        try:
            tokens = load_text_corpus(path)
        except ValueError as e:
            raise LessonConfigError(f"Cannot use this text file: {str(e).rstrip('.')}.") from None
        context.notice(f"Read {len(tokens):,} tokens from {path}.")
        return tokens
    return generate_corpus(hp["corpus_size"], GENERATED_VOCAB, hp["seed"])


@dataclass
class RankedCorpus:
    """A corpus whose word ids are frequency ranks (0 = the most frequent word; the toy sentence keeps the
    book's order of first appearance).  corpus: (T,) int64 ids, -1 for words outside the ``max_vocab`` kept;
    words: (V,) str; freq: (V,) counts; classes: (V,) int64 indices into ``probes.word_map.CLASS_NAMES``
    (generated corpus) or None."""

    corpus: np.ndarray
    words: list[str]
    freq: np.ndarray
    classes: np.ndarray | None

    @property
    def word_to_id(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def rank_vocabulary(tokens: list[str], kind: str, max_vocab: int) -> RankedCorpus:
    """Ids by frequency rank for ``tokens`` of corpus ``kind`` ("generated", "toy", "file").  Raises
    LessonConfigError for a corpus of a single distinct word."""
    corpus, w2i, i2w = preprocess(tokens)
    if len(w2i) < 2:
        raise LessonConfigError(f"The corpus has a single distinct word ('{i2w[0]}'): word vectors need at "
                                "least two. Choose a longer text.")
    freq = np.bincount(corpus, minlength=len(w2i))
    if kind == "toy":
        order = np.arange(len(w2i))[:max_vocab]                          # the book's order: first appearance
    else:
        order = np.argsort(-freq, kind="stable")[:max_vocab]            # (V,) ids by frequency
    rank = np.full(len(w2i), -1, dtype=np.int64)
    rank[order] = np.arange(order.size)
    words = [i2w[int(i)] for i in order]
    classes = class_indices(words, word_classes(GENERATED_VOCAB)) if kind == "generated" else None
    return RankedCorpus(rank[corpus], words, freq[order], classes)
