"""The pictures of the ``transformer`` lesson as plain data (Qt-free): the positional-encoding matrix, the
embedding projector, accuracy per phenomenon against the bag of words, the typed sentence's probabilities and
the validation reviews the model gets wrong.  The attention pictures (BertViz's head and model views, the
book's [CLS] highlight) come from the shared :mod:`visualizer.probes.attention`."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lessons.transformer.data import LABELS
from visualizer.core.plotdata import BarsData, MatrixData, PredictionsData, WordMapData
from visualizer.data import sentiment
from visualizer.data.sentiment import PHENOMENA
from visualizer.data.tokenize import SPECIAL_TOKENS
from visualizer.probes.word_map import pca

# in the order of the projector's class colours: orange, blue, green, purple, vermillion, sky blue, yellow, grey
WORD_CLASSES = ("positive", "negative", "negation", "contrast", "intensifier", "subject", "special", "other")
NEGATIONS = frozenset({"not", "never", "did"})


def word_classes(itos: Sequence[str]) -> np.ndarray:
    """(V,) int64 index into :data:`WORD_CLASSES` of each vocabulary word, from the corpus's word lists."""
    pos, neg = set(sentiment.POSITIVE), set(sentiment.NEGATIVE)
    inten, contrast = set(sentiment.INTENSIFIERS), set(sentiment.CONTRASTS)
    subjects = {w for s in sentiment.SUBJECTS for w in s.split()} - {"the"}

    def cls(w: str) -> str:
        for name, words in (("positive", pos), ("negative", neg), ("negation", NEGATIONS),
                            ("intensifier", inten), ("contrast", contrast), ("subject", subjects),
                            ("special", SPECIAL_TOKENS)):
            if w in words:
                return name
        return "other"
    return np.array([WORD_CLASSES.index(cls(w)) for w in itos], dtype=np.int64)


def positional_picture(matrix: np.ndarray, kind: str, rows: int) -> MatrixData:
    """The first ``rows`` positions of the (max_len, D) positional encoding as a heat map."""
    m = np.asarray(matrix[:rows], dtype=np.float64)
    lim = float(max(np.abs(m).max(), 1e-6))
    return MatrixData(m, [str(i) for i in range(m.shape[0])], [str(j) for j in range(m.shape[1])],
                      row_title="position", col_title=f"dimension ({kind})",
                      colormap="RdBu", fmt="", levels=(-lim, lim))


def projector_picture(embeddings: np.ndarray, itos: Sequence[str], classes: np.ndarray) -> WordMapData:
    """PCA of the token embeddings (V, D) (the [PAD] row left out) with the words and their classes."""
    ids = np.arange(1, len(itos))
    points = pca(np.asarray(embeddings, dtype=np.float64)[ids], 2)
    return WordMapData(points, [itos[i] for i in ids], classes[ids].copy(), WORD_CLASSES, [],
                       "PC 1 of the token embeddings", "PC 2")


def phenomenon_table(model: dict[str, float], bow: dict[str, float], tagged: bool = True) -> MatrixData:
    """Validation accuracy per phenomenon (rows) of the Transformer and of the bag of words (columns).  With
    ``tagged`` False (IMDb has no phenomena tags) a single row 'all', and the row title says so."""
    names = ([p for p in PHENOMENA if p in bow] if tagged else []) + ["all"]
    values = np.array([[model.get(p, np.nan), bow.get(p, np.nan)] for p in names])
    return MatrixData(values, names, ["Transformer", "bag of words"],
                      row_title="phenomenon" if tagged else "IMDb has no phenomena tags",
                      col_title="validation accuracy", colormap="viridis", fmt="{:.2f}", levels=(0.0, 1.0))


def sentence_bars(probs: np.ndarray) -> BarsData:
    """The class probabilities (2,) of the typed sentence (the sentence itself is in the attention captions
    and the control)."""
    return BarsData(list(LABELS), np.asarray(probs, dtype=np.float64).copy(), "probability")


def mistakes_picture(texts: Sequence[str], tags: Sequence[str], truth: np.ndarray, pred: np.ndarray,
                     p_pos: np.ndarray, step: int, k: int = 12) -> PredictionsData:
    """Up to ``k`` validation reviews the model gets wrong, one per phenomenon in turn (the hardest kinds
    first), filled up with right ones; the accuracy over all of them."""
    wrong = np.flatnonzero(truth != pred)
    by_tag: dict[str, list[int]] = {}
    for i in wrong:
        by_tag.setdefault(tags[i], []).append(int(i))
    chosen: list[int] = []
    while len(chosen) < k and any(by_tag.values()):
        for t in list(by_tag):
            if by_tag[t] and len(chosen) < k:
                chosen.append(by_tag[t].pop(0))
    chosen += [int(i) for i in np.flatnonzero(truth == pred)[: k - len(chosen)]]
    return PredictionsData([texts[i] for i in chosen], [f"{LABELS[int(truth[i])]} ({tags[i]})" for i in chosen],
                           [f"{LABELS[int(pred[i])]} ({max(p_pos[i], 1 - p_pos[i]):.2f})" for i in chosen],
                           [bool(truth[i] == pred[i]) for i in chosen], step=step,
                           accuracy=float(np.mean(truth == pred)), columns=("validation review", "true (phenomenon)", "model (probability)"))
