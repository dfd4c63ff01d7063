"""The ``bert`` lesson's data (Qt-free): unlabelled text for masked-LM pretraining and a small labelled set for
fine-tuning.

Pretraining reads the shipped book's verses (``visualizer.data.book``; its last 10 % held out) and generated
review documents (2-3 sentences of one opinion, :func:`unlabelled_documents`) with their labels dropped
(``visualizer.data.sentiment``), as BERT read books and Wikipedia without labels (Devlin et al. 2019 §3.1).  Fine-tuning uses a *small* labelled set of generated reviews and a clean
validation set; unlabelled reviews that also occur in the validation set are dropped, so pretraining never
reads a validation sentence.  One word-level vocabulary (``visualizer.data.tokenize.WordVocab``, [PAD] [UNK]
[CLS] [SEP] [MASK] at ids 0..4) serves both.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.book import book_lines
from visualizer.data.sentiment import generate_sentiment, sentiment_sets
from visualizer.data.tokenize import SPECIAL_TOKENS, WordVocab

VOCAB_MAX = 4000


@dataclass
class BertData:
    """Token ids for both phases.  mlm_train (N, T) and mlm_val (M, T) int64: [CLS] words [SEP], padded with
    0; ft_train (n, T), ft_val (m, T) int64 with labels (n,), (m,) int64 (1 positive) and the validation
    reviews' texts and phenomena; counts: how many verses and reviews went into pretraining."""

    vocab: WordVocab
    mlm_train: np.ndarray
    mlm_val: np.ndarray
    ft_train: np.ndarray
    ft_train_labels: np.ndarray
    ft_val: np.ndarray
    ft_val_labels: np.ndarray
    ft_val_texts: list[str]
    ft_val_phenomena: list[str]
    counts: dict[str, int]


def build_data(max_len: int, n_unlabelled: int, n_labelled: int, n_val: int, seed: int, vocab=None) -> BertData:
    """Encode the book's verses and ``n_unlabelled`` generated reviews for pretraining, ``n_labelled`` labelled
    training reviews (3 % label noise) and ``n_val`` clean validation reviews for fine-tuning, with ``vocab``
    (e.g. BERT-base's WordPiece tokenizer) or a word vocabulary built here.  Raises LessonConfigError if the
    book is missing or a size is too small."""
    if n_labelled < 4 or n_val < 4:
        raise LessonConfigError(f"Fine-tuning needs at least 4 labelled and 4 validation reviews, got "
                                f"{n_labelled} and {n_val}.")
    verses = book_lines()
    cut = int(len(verses) * 0.9)
    train, val = sentiment_sets(n_labelled, n_val, seed=seed + 7, label_noise=0.03)
    val_set = set(val.texts)
    pool = generate_sentiment(3 * (n_unlabelled + n_unlabelled // 10 + 1), seed=seed + 11)
    reviews = unlabelled_documents([t for t in pool.texts], pool.labels, seed, [t not in val_set for t in pool.texts])
    r_train, r_val = reviews[:n_unlabelled], reviews[n_unlabelled:]
    vocab = vocab or WordVocab.build(verses[:cut] + r_train, max_size=VOCAB_MAX)

    def enc(texts):
        return vocab.encode_batch(texts, max_len, add_cls=True, add_sep=True)[0]

    return BertData(vocab, enc(verses[:cut] + r_train), enc(verses[cut:] + r_val), enc(train.texts),
                    train.labels.astype(np.int64), enc(val.texts), val.labels.astype(np.int64), list(val.texts),
                    list(val.phenomena), {"verses": cut, "reviews": len(r_train), "labelled": len(train),
                                          "validation": len(val)})


def unlabelled_documents(texts: list[str], labels: np.ndarray, seed: int, keep) -> list[str]:
    """Unlabelled review *documents*: 2 or 3 generated sentences of one opinion joined by " . ", the labels then
    dropped.  Real reviews hold one opinion over several sentences, and that coherence is what masked LM can
    learn sentiment from ("the plot was superb . the acting was [MASK]"); single generated sentences lack it.
    ``keep`` (N,) bool drops sentences (those of the validation set).  The documents come in a seeded random
    order."""
    rng = np.random.default_rng(seed + 13)
    docs = []
    for label in (0, 1):
        idx = rng.permutation([i for i in range(len(texts)) if labels[i] == label and keep[i]])
        cuts = np.cumsum(rng.integers(2, 4, size=len(idx)))
        for a, b in zip(np.r_[0, cuts[:-1]], cuts):
            if b <= len(idx):
                docs.append(" . ".join(texts[i] for i in idx[a:b]))
    return [docs[i] for i in rng.permutation(len(docs))]


def special_ids(vocab) -> list[int]:
    """The ids of [PAD] [UNK] [CLS] [SEP] [MASK] in ``vocab`` (0..4 in a word vocabulary, 0 and 100..103 in
    BERT-base's)."""
    return [vocab.stoi[t] for t in SPECIAL_TOKENS]


def maskable(ids, vocab):
    """(N, T) bool, NumPy or torch as ``ids``: True at real words (the special tokens are never chosen for masked
    LM)."""
    specials = special_ids(vocab)
    if isinstance(ids, np.ndarray):
        return ~np.isin(ids, specials)
    import torch
    return ~torch.isin(ids, torch.as_tensor(specials, device=ids.device))
