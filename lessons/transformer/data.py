"""The data of the ``transformer`` lesson (Qt-free): the generated sentiment corpus
(:mod:`visualizer.data.sentiment`) or IMDb (:mod:`visualizer.data.imdb`: downloaded once, or the user's aclImdb
folder), its word vocabulary (:class:`visualizer.data.tokenize.WordVocab`), the encoded arrays and the
bag-of-words baseline, and the checks on a sentence the student types."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.sentiment import SentimentSet, bag_of_words_accuracy, sentiment_sets
from visualizer.data.tokenize import Encoded, WordVocab

MAX_TOKENS = 128          # the longest input the model reads ([CLS] included); longer sentences are truncated
N_VAL = 2000
LABELS = ("negative", "positive")
IMDB_MAX_TOKENS = 256     # IMDb reviews are cut to 256 tokens, as in Ogawa ch. 7
IMDB_VOCAB = 20_000       # the most frequent training words (seen at least twice) IMDb's vocabulary keeps
IMDB_TAG = "imdb"         # the phenomenon tag of every IMDb review: IMDb has no phenomena tags


@dataclass
class SentimentData:
    """Training and validation reviews, encoded.  x_train (N, T) int64 ids with [CLS] first and [PAD] = 0
    after the words, y_train (N,) int64 (0 negative, 1 positive; 3% of them flipped: label noise); x_val
    (M, T), y_val (M,) clean; T = the longest review + 1; ``bow``: the bag-of-words baseline
    (:func:`visualizer.data.sentiment.bag_of_words_accuracy`); max_len: the longest input the model reads
    ([CLS] included; 128, IMDb 256); source: a line naming the data.  IMDb reviews carry no label noise and the
    tag ``"imdb"`` instead of a phenomenon."""

    train: SentimentSet
    val: SentimentSet
    vocab: WordVocab
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    bow: dict
    max_len: int = MAX_TOKENS
    source: str = "generated reviews"

    @property
    def tagged(self) -> bool:
        """True when the reviews carry phenomenon tags (the generated corpus; IMDb has none)."""
        return IMDB_TAG not in self.val.phenomena


def _encoded(train: SentimentSet, val: SentimentSet, vocab: WordVocab, max_len: int, source: str) -> SentimentData:
    x_train, len_train = vocab.encode_batch(train.texts, max_len)
    x_val, len_val = vocab.encode_batch(val.texts, max_len)
    t = int(max(len_train.max(), len_val.max()))
    return SentimentData(train, val, vocab, x_train[:, :t].copy(), train.labels.copy(), x_val[:, :t].copy(),
                         val.labels.copy(), bag_of_words_accuracy(train, val), max_len, source)


def load_data(n_train: int, seed: int, label_noise: float = 0.03) -> SentimentData:
    """``n_train`` generated training reviews and 2,000 validation reviews (none of them in the training set),
    the vocabulary of the training reviews, the ids padded to the longest review, and the bag-of-words
    baseline fitted on the same split (~0.55 validation accuracy)."""
    train, val = sentiment_sets(n_train, N_VAL, seed=seed, label_noise=label_noise)
    return _encoded(train, val, WordVocab.build(train.texts), MAX_TOKENS, "generated reviews")


def _tagged(texts: list[str], labels: np.ndarray) -> SentimentSet:
    return SentimentSet(texts, labels, [IMDB_TAG] * len(texts), np.zeros(len(texts), dtype=bool))


def imdb_data(root, per_class: int, seed: int, context) -> SentimentData:
    """IMDb from the aclImdb folder ``root``: ``per_class`` training reviews of each class drawn at random with
    ``seed`` (from train/), and at most 1,000 of each class from test/ for validation; the vocabulary of the
    training reviews (words seen twice or more, at most 20,000 entries), reviews cut to 256 tokens, and the
    bag of words on the same reviews.  Files the reader skipped are named through ``context.notice`` (the
    first five).  Raises LessonConfigError when ``root`` is no aclImdb folder or nothing in it can be read."""
    from visualizer.data.imdb import load_imdb

    context.progress("Reading the IMDb reviews", None)
    texts, labels, skipped = load_imdb(root, "train", per_class, seed)
    val_texts, val_labels, val_skipped = load_imdb(root, "test", min(per_class, N_VAL // 2), seed)
    skipped += val_skipped
    if skipped:
        context.notice(f"IMDb: {len(skipped)} review file(s) in {root} skipped, the run goes on without them: "
                       + "; ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "") + ".")
    try:
        vocab = WordVocab.build(texts, min_count=2, max_size=IMDB_VOCAB)
    except ValueError:
        raise LessonConfigError(f"IMDb: the {len(texts)} training reviews in {root} repeat no word; a "
                                "vocabulary needs words seen at least twice.") from None
    context.progress("Reading the IMDb reviews", 1.0)
    return _encoded(_tagged(texts, labels), _tagged(val_texts, val_labels), vocab, IMDB_MAX_TOKENS,
                    f"IMDb: {len(texts)} training and {len(val_texts)} test reviews")


def build_data(hp, context) -> SentimentData:
    """The reviews ``hp["dataset"]`` asks for: generated (the default), IMDb downloaded once (offline: the
    generated reviews, with a notice that says why and how to get the file) or the user's aclImdb folder
    (``hp["imdb_folder"]``; LessonConfigError when it is empty or cannot be read)."""
    from lessons.transformer.specs import IMDB, IMDB_FOLDER

    n, seed = hp["imdb_per_class"], hp["seed"]
    if hp["dataset"] == IMDB_FOLDER:
        if not hp["imdb_folder"].strip():
            raise LessonConfigError("Choose the IMDb folder (aclImdb, holding train/pos, train/neg, test/pos and "
                                    "test/neg).")
        return imdb_data(hp["imdb_folder"].strip(), n, seed, context)
    if hp["dataset"] == IMDB:
        from visualizer.data.download import cache_dir
        from visualizer.data.fallback import load_with_fallback
        from visualizer.data.imdb import IMDB_FILENAME, fetch_imdb

        def primary() -> SentimentData:
            return imdb_data(fetch_imdb(progress=context.progress), n, seed, context)
        hint = (f"To train on IMDb without a network, copy {IMDB_FILENAME} into {cache_dir() / 'imdb'} (the "
                "imdb/ folder under the cache folder), or unpack it and choose imdb_folder.")
        return load_with_fallback(context, primary, lambda: load_data(hp["n_train"], seed), what="the IMDb reviews",
                                  instead="the generated reviews", param="dataset", hint=hint)
    return load_data(hp["n_train"], seed)


def encode_sentence(vocab: WordVocab, text: str, max_len: int = MAX_TOKENS) -> tuple[Encoded, list[str]]:
    """A typed sentence as (:class:`Encoded` of at most ``max_len`` ids, [CLS] first, notices for the
    student: the words the vocabulary does not know (read as [UNK]) and a truncation).  Raises
    LessonConfigError for a sentence with no word."""
    enc = vocab.encode(text, max_len)
    if enc.length <= 1:
        raise LessonConfigError("Your sentence: type at least one word (e.g. 'the plot was not good').")
    notes = []
    if enc.unknown:
        unknown = list(dict.fromkeys(enc.unknown))
        shown = ", ".join(f"'{w if len(w) <= 24 else w[:23] + '…'}'" for w in unknown[:8]) + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else "")
        notes.append(f"Your sentence: the vocabulary of the reviews does not know {shown}; the model reads "
                     f"{'it' if len(unknown) == 1 else 'them'} as [UNK].")
    if enc.truncated:
        notes.append(f"Your sentence is longer than the model reads: only its first {max_len - 1} words and "
                     f"marks (plus [CLS]) are classified and drawn.")
    return enc, notes
