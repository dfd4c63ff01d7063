"""Word look-ups shared by the word-vector lessons: find a word or say which known words are close,
rank neighbours by cosine similarity, solve analogies a : b = c : ?  Qt-free."""
from __future__ import annotations

import difflib
from typing import Mapping, Sequence

import numpy as np

from visualizer.core.lesson import LessonConfigError


def lookup(word: str, word_to_id: Mapping[str, int], what: str = "The word") -> int:
    """The id of ``word`` (lower-cased).  Raises LessonConfigError naming the word and suggesting close
    vocabulary words (difflib) when it is not in the vocabulary."""
    w = word.strip().lower()
    if w in word_to_id:
        return word_to_id[w]
    close = difflib.get_close_matches(w, list(word_to_id), n=4, cutoff=0.6)
    hint = f" Close words in the vocabulary: {', '.join(close)}." if close else ""
    raise LessonConfigError(f"{what} '{w}' is not in the corpus's vocabulary ({len(word_to_id)} words).{hint}")


def most_similar(vectors: np.ndarray, i: int, top: int, exclude: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` rows of ``vectors`` (V, D) most cosine-similar to row i (itself and ``exclude`` left out):
    (ids (top,), similarities (top,)), best first.  Source: Saitoh DLfS2 ch. 2 ``most_similar``."""
    return nearest(vectors, vectors[i], top, exclude=(i, *exclude))


def nearest(vectors: np.ndarray, query: np.ndarray, top: int, exclude: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` rows of ``vectors`` (V, D) with the highest cosine similarity to ``query`` (D,)."""
    v = np.asarray(vectors, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    sim = (v @ q) / ((np.linalg.norm(v, axis=1) + 1e-8) * (np.linalg.norm(q) + 1e-8))    # (V,)
    if len(exclude):
        sim[np.asarray(list(exclude), dtype=np.int64)] = -np.inf
    top = max(0, min(int(top), int(np.isfinite(sim).sum())))
    order = np.argsort(-sim, kind="stable")[:top]
    return order, sim[order]


def parse_words(text: str, n: int, what: str) -> list[str]:
    """Split ``text`` into exactly n words (separators: spaces, ':', '=', ',', '?').  Raises
    LessonConfigError otherwise."""
    for sep in ":=,?":
        text = text.replace(sep, " ")
    words = [w.lower() for w in text.split()]
    if len(words) != n:
        raise LessonConfigError(f"{what} needs {n} words, got {len(words)} ('{' '.join(words)}'): "
                                f"type e.g. 'man woman king' for man : woman = king : ?")
    return words


def analogy(vectors: np.ndarray, a: int, b: int, c: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """a : b = c : ? by vector arithmetic on normalized vectors, x = b − a + c (Mikolov et al. 2013; Saitoh
    DLfS2 ch. 4 ``analogy``): (ids (top,), cosine similarities (top,)) with a, b, c excluded."""
    v = np.asarray(vectors, dtype=np.float64)
    unit = v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-8)
    return nearest(unit, unit[b] - unit[a] + unit[c], top, exclude=(a, b, c))
