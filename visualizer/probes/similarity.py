"""Word-vector readouts (Qt-free): find a word or say which known words are close, rank neighbours by cosine
similarity, solve analogies a : b = c : ?, and score how well vectors group words (nearest-neighbour class
agreement, analogy accuracy).  Used by the word_vectors (counts, SVD) and word2vec lessons.

Source: Saitoh, *Deep Learning from Scratch 2*, ch. 2 (``cos_similarity``, ``most_similar``) and ch. 4
(``analogy``); Mikolov et al. 2013 (vector offsets).
"""
from __future__ import annotations

import difflib
from typing import Mapping, Sequence

import numpy as np

from visualizer.core.errors import LessonConfigError

EPS = 1e-8          # added to every norm, as the book's cos_similarity


def lookup(word: str, word_to_id: Mapping[str, int], what: str = "The word") -> int:
    """The id of ``word`` (stripped, lower-cased).  Raises LessonConfigError naming the word and suggesting
    close vocabulary words (difflib) when it is not in the vocabulary."""
    w = word.strip().lower()
    if w in word_to_id:
        return word_to_id[w]
    close = difflib.get_close_matches(w, list(word_to_id), n=4, cutoff=0.6)
    hint = f" Close words in the vocabulary: {', '.join(close)}." if close else ""
    raise LessonConfigError(f"{what} '{w}' is not in the corpus's vocabulary ({len(word_to_id)} words).{hint}")


def parse_words(text: str, n: int, what: str) -> list[str]:
    """Split ``text`` into exactly n lower-cased words (separators: spaces, ':', '=', ',', '?').  Raises
    LessonConfigError otherwise."""
    for sep in ":=,?":
        text = text.replace(sep, " ")
    words = [w.lower() for w in text.split()]
    if len(words) != n:
        raise LessonConfigError(f"{what} needs {n} words, got {len(words)} ('{' '.join(words)}'): "
                                f"type e.g. 'man woman king' for man : woman = king : ?")
    return words


def parse_analogy(text: str, word_to_id: Mapping[str, int]) -> tuple[int, int, int]:
    """The ids of the three words a, b, c of an analogy a : b = c : ? typed as text ('man woman king' or
    'man : woman = king : ?').  Raises LessonConfigError for another number of words or an unknown word."""
    a, b, c = parse_words(text, 3, "The analogy")
    return tuple(lookup(x, word_to_id, "The analogy's word") for x in (a, b, c))


def cosine_similarities(vectors: np.ndarray, i: int) -> np.ndarray:
    """Cosine similarity (V,) of every row of ``vectors`` (V, D) with row i: x·y / ((‖x‖ + ε)(‖y‖ + ε)),
    ε = 1e-8 (the book's ``cos_similarity``)."""
    norms = np.linalg.norm(vectors, axis=1) + EPS
    return (vectors @ vectors[i]) / (norms * norms[i])


def nearest(vectors: np.ndarray, query: np.ndarray, top: int,
            exclude: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` rows of ``vectors`` (V, D) with the highest cosine similarity to ``query`` (D,), rows in
    ``exclude`` left out: (ids (top,) int64, similarities (top,) float64), best first (ties: lower id)."""
    v = np.asarray(vectors, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    sim = (v @ q) / ((np.linalg.norm(v, axis=1) + EPS) * (np.linalg.norm(q) + EPS))    # (V,)
    if len(exclude):
        sim[np.asarray(list(exclude), dtype=np.int64)] = -np.inf
    top = max(0, min(int(top), int(np.isfinite(sim).sum())))
    order = np.argsort(-sim, kind="stable")[:top]
    return order, sim[order]


def most_similar(vectors: np.ndarray, i: int, top: int, exclude: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` rows of ``vectors`` (V, D) most cosine-similar to row i (itself and ``exclude`` left out):
    (ids (top,), similarities (top,)), best first.  Source: Saitoh DLfS2 ch. 2 ``most_similar``."""
    return nearest(vectors, vectors[i], top, exclude=(i, *exclude))


def word_scores(words: Sequence[str], ids: np.ndarray, scores: np.ndarray) -> list[tuple[str, float]]:
    """[(word, score)] for parallel ``ids`` (K,) and ``scores`` (K,), e.g. what :func:`most_similar` gives."""
    return [(words[int(i)], float(s)) for i, s in zip(ids, scores)]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """The rows of ``vectors`` (V, D) scaled to length 1 (float64, ε = 1e-8 added to each norm)."""
    v = np.asarray(vectors, dtype=np.float64)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + EPS)


def analogy(vectors: np.ndarray, a: int, b: int, c: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """a : b = c : ? by vector arithmetic on normalized vectors, x = b − a + c (Mikolov et al. 2013; Saitoh
    DLfS2 ch. 4 ``analogy``): (ids (top,), cosine similarities (top,)) with a, b, c excluded."""
    unit = unit_rows(vectors)
    return nearest(unit, unit[b] - unit[a] + unit[c], top, exclude=(a, b, c))


def analogy_accuracy(vectors: np.ndarray, questions: np.ndarray) -> float:
    """Top-1 accuracy of :func:`analogy` over ``questions`` (Q, 4) int ids a, b, c, d (a : b = c : d), the
    answer searched in the whole vocabulary with a, b and c left out; 0 for no questions."""
    q = np.asarray(questions, dtype=np.int64).reshape(-1, 4)
    if not len(q):
        return 0.0
    unit = unit_rows(vectors)
    scores = (unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]) @ unit.T          # (Q, V)
    rows = np.arange(len(q))
    for j in range(3):
        scores[rows, q[:, j]] = -np.inf
    return float(np.mean(scores.argmax(axis=1) == q[:, 3]))


def class_agreement(vectors: np.ndarray, classes: np.ndarray, ids: np.ndarray) -> float:
    """Share of the words ``ids`` (K,) whose nearest neighbour among the same K words, by cosine similarity
    of ``vectors`` (V, D), has the same class (``classes`` (V,) int): how well the vectors group words by
    word class.  0 for fewer than two words."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size < 2:
        return 0.0
    unit = unit_rows(vectors[ids])
    sim = unit @ unit.T                                                          # (K, K)
    np.fill_diagonal(sim, -np.inf)
    return float(np.mean(classes[ids] == classes[ids[sim.argmax(axis=1)]]))
