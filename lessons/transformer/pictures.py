"""The pictures of the ``transformer`` lesson as plain data (Qt-free): attention of the chosen sentence
(BertViz's head and model views, Vig 2019), the words [CLS] attends to (Ogawa ch. 7's highlight), the
positional-encoding matrix, the embedding projector, accuracy per phenomenon against the bag of words, and the
validation reviews the model gets wrong."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lessons.transformer.data import LABELS
from visualizer.core.plotdata import AttentionData, BarsData, MatrixData, PredictionsData, WordMapData
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


def attention_picture(weights: np.ndarray, tokens: Sequence[str], mode: str, layer: int, head: int,
                      query: int, queries: np.ndarray | None, keys: np.ndarray | None,
                      caption: str) -> AttentionData:
    """AttentionData of one sentence: weights (L, H, T, T) of its T real tokens; queries/keys (L, H, T, d_k) or
    None; the selected ``layer``/``head`` (clamped into range) and query token."""
    layer = min(max(layer, 0), weights.shape[0] - 1)
    head = min(max(head, -1), weights.shape[1] - 1)
    q = k = None
    if queries is not None and head >= 0:
        q, k = queries[layer, head].copy(), keys[layer, head].copy()
    return AttentionData(list(tokens), weights.astype(np.float32, copy=True), mode=mode, layer=layer, head=head,
                         queries=q, keys=k, query_index=min(max(query, 0), len(tokens) - 1), caption=caption)


def cls_scores(weights: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """How much [CLS] attends to each word, as the book's highlight (Ogawa ch. 7): weights (L, B, H, T, T)
    of a batch -> per review (length − 1,) float64 in [0, 1]: the last layer's [CLS] row, averaged over the
    heads, without [CLS] itself, divided by its largest value."""
    row = weights[-1, :, :, 0, :].mean(axis=1)                                   # (B, T)
    out = []
    for b, n in enumerate(lengths):
        s = np.asarray(row[b, 1:int(n)], dtype=np.float64)
        out.append(s / s.max() if s.size and s.max() > 0 else s)
    return out


def highlight_matrix(tokens: Sequence[Sequence[str]], scores: Sequence[np.ndarray], truth: Sequence[int],
                     pred: Sequence[int]) -> MatrixData:
    """The [CLS] highlights of several reviews as one heat map: a row per review (its label says true and
    predicted class), a column per word position, the words written in the cells.  (A stand-in until the
    shared highlighted-text view exists.)"""
    width = max(len(s) for s in scores)
    values = np.full((len(scores), width), np.nan)
    for r, s in enumerate(scores):
        values[r, :len(s)] = s
    rows = [f"{'✓' if t == p else '✗'} {LABELS[t][:3]}" for t, p in zip(truth, pred)]
    return MatrixData(values, rows, [str(i + 1) for i in range(width)], row_title="review (✓ right, true class)",
                      col_title="word position: colour = [CLS] attention (last layer, mean of heads, ÷ max)",
                      colormap="inferno", fmt="", levels=(0.0, 1.0))


def positional_picture(matrix: np.ndarray, kind: str, rows: int) -> MatrixData:
    """The first ``rows`` positions of the (max_len, D) positional encoding as a heat map."""
    m = np.asarray(matrix[:rows], dtype=np.float64)
    lim = float(max(np.abs(m).max(), 1e-6))
    return MatrixData(m, [str(i) for i in range(m.shape[0])], [str(j) for j in range(m.shape[1])],
                      row_title="position", col_title=f"dimension of d_model ({kind} encoding)",
                      colormap="RdBu", fmt="", levels=(-lim, lim))


def projector_picture(embeddings: np.ndarray, itos: Sequence[str], classes: np.ndarray) -> WordMapData:
    """PCA of the token embeddings (V, D) (the [PAD] row left out) with the words and their classes."""
    ids = np.arange(1, len(itos))
    points = pca(np.asarray(embeddings, dtype=np.float64)[ids], 2)
    return WordMapData(points, [itos[i] for i in ids], classes[ids].copy(), WORD_CLASSES, [],
                       "PC 1 of the token embeddings", "PC 2")


def phenomenon_table(model: dict[str, float], bow: dict[str, float]) -> MatrixData:
    """Validation accuracy per phenomenon (rows) of the Transformer and of the bag of words (columns)."""
    names = [p for p in PHENOMENA if p in bow] + ["all"]
    values = np.array([[model.get(p, np.nan), bow.get(p, np.nan)] for p in names])
    return MatrixData(values, names, ["Transformer", "bag of words"], row_title="phenomenon",
                      col_title="validation accuracy", colormap="viridis", fmt="{:.2f}", levels=(0.0, 1.0))


def sentence_bars(probs: np.ndarray, sentence: str) -> BarsData:
    """The class probabilities (2,) of the typed sentence."""
    short = sentence if len(sentence) <= 36 else sentence[:35] + "…"
    return BarsData(list(LABELS), np.asarray(probs, dtype=np.float64).copy(), f"probability ('{short}')")


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
