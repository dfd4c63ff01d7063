"""Lesson ``word_vectors``: count-based word vectors (Saitoh, *Deep Learning from Scratch 2*, ch. 2).

Pipeline: tokenize a corpus (``visualizer.data.corpus``), count co-occurrences within a window, turn
counts into positive pointwise mutual information (PPMI), reduce with a truncated SVD to dense word vectors,
and query them by cosine similarity (``count.py``; the torch engine computes PPMI and SVD with
``torch.linalg`` in ``count_torch.py``; queries and the word map in ``visualizer.probes``).  There is no
gradient training: each training step *reads* the next twentieth of the corpus (a NumpyTrainer without
parameters steps it and checkpoints the counts), and the counts, PPMI and SVD are recomputed on everything
read so far, so the word map can be watched forming as text comes in.  The window size is live (a recount
of what was read, well under a second at the default size).  Qt-free.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lessons.word_vectors import INFO
from lessons.word_vectors.count import co_occurrence, ppmi, svd_vectors
from lessons.word_vectors.data import load_tokens, rank_vocabulary
from lessons.word_vectors.narrative import NARRATIVE
from visualizer.core.hyperparams import ChoiceParam, IntParam, PathParam, TextParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import BarsData, MatrixData, PlotData, PlotSpec, WordMapData
from visualizer.probes.similarity import class_agreement, lookup, most_similar, word_scores
from visualizer.probes.word_map import MAX_MAP_WORDS, word_map
from visualizer.scratch.trainer import NumpyTrainer

READ_STEPS = 20                # the corpus is read in this many training steps
NEIGHBOURS = 10

PARAMS = (
    ChoiceParam("corpus", "Corpus", "generated", ("generated", "toy", "file"),
                tooltip="generated: English-like sentences from a small grammar ('the cat sat on the mat'), made "
                        "offline from the seed, 400 real words. toy: the book's sentence 'You say goodbye and I "
                        "say hello.' file: your own text file (lower-cased, punctuation split off)."),
    PathParam("corpus_path", "Text file", "", "Text files (*.txt);;All files (*)",
              tooltip="Used when Corpus is file: a plain-text file in UTF-8 (or Latin-1).",
              used_when=("corpus", "file")),
    IntParam("corpus_size", "Generated tokens", 20_000, 1_000, 300_000, log=True,
             tooltip="Length of the generated corpus in words (sentences end with <eos>, as in the Penn "
                     "Treebank). More text gives steadier counts; the PPMI and SVD cost depends on the "
                     "vocabulary, not on this."),
    IntParam("max_vocab", "Words kept", 400, 10, 1500, log=True,
             tooltip="The most frequent words that get a row of the co-occurrence matrix (V × V); the rest are "
                     "skipped. The SVD of a V × V matrix costs ~V³: keep it under ~1,000 for live updates."),
    IntParam("window_size", "Window size", 2, 1, 8, live=True,
             tooltip="How many words to the left and to the right count as the context of a word. Applies "
                     "at once: what was read so far is counted again."),
    IntParam("vector_size", "Vector size", 50, 2, 300, live=True, log=True,
             tooltip="How many singular vectors make a word vector (the book uses 100). The most-similar "
                     "query compares these dense vectors; the word map shows the first two."),
    TextParam("query", "Most similar to", "cat", placeholder="a word of the corpus", max_length=40, live=True,
              tooltip="A word whose nearest neighbours by cosine similarity are listed (click a word on the "
                      "map to choose it). Unknown words are refused with suggestions."),
    IntParam("heatmap_words", "Heatmap words", 12, 3, 30, live=True,
             tooltip="The heatmaps show the counts and PPMI of this many most frequent words."),
    IntParam("map_words", "Words on the map", 70, 5, MAX_MAP_WORDS, live=True,
             tooltip="How many of the most frequent words the 2-D map labels (plus the query and its "
                     "neighbours)."),
)

PLOTS = (
    PlotSpec("cooccurrence", "Co-occurrence counts C(w, c)", "matrix",
             tooltip="Row w, column c: how often c appeared within the window around w, for the most frequent "
                     "words. Symmetric. Frequent words such as 'the' and <eos> have large counts with "
                     "everything: raw counts mostly measure frequency."),
    PlotSpec("ppmi", "PPMI(w, c) = max(0, log₂ P(w, c) / P(w)P(c))", "matrix",
             tooltip="Positive pointwise mutual information: how much more often w and c appear together than "
                     "if they were independent, in bits, negatives clipped to 0. Frequency no longer dominates: "
                     "'the'–'cat' is unsurprising, 'eats'–'apple' is."),
    PlotSpec("word_map", "Word map: the first two singular vectors", "word_map",
             tooltip="Every word at (u₁, u₂), its first two coordinates in the SVD of the PPMI matrix, coloured "
                     "by word class (generated corpus). Words used in similar contexts land close together. "
                     "Click a word to query its neighbours; scroll to zoom."),
    PlotSpec("similar", "Most similar words", "bars", y_label="cosine similarity",
             tooltip="The words whose vectors (the first 'Vector size' singular vectors) have the highest "
                     "cosine similarity cos θ = x·y / (‖x‖‖y‖) with the query."),
    PlotSpec("spectrum", "Singular values of the PPMI matrix", "bars", y_label="singular value σ",
             tooltip="σ₁ ≥ σ₂ ≥ … of the PPMI matrix: how much of it each direction explains. Truncating to "
                     "the first k keeps the best rank-k approximation (Eckart–Young)."),
    PlotSpec("structure", "What the vectors capture", "curves",
             series=("corpus_read", "nn_same_class", "energy_2d", "nonzero_share"), x_label="step",
             y_label="share",
             tooltip="corpus_read: the share of the corpus counted. nn_same_class (generated corpus): the share of "
                     "the 200 most frequent words whose nearest neighbour has the same class (noun, verb, "
                     "adjective...). energy_2d: the share of the PPMI matrix's squared norm (Σσ²) the 2-D map "
                     "keeps. nonzero_share: the share of non-zero cells in the count matrix (sparsity)."),
)


class WordVectorsLesson(Lesson):
    """Count-based word vectors: corpus (T,) ids -> counts C (V, V) -> PPMI (V, V) -> SVD -> vectors (V, k).

    Word indices are frequency ranks (``data.rank_vocabulary``).  Raises LessonConfigError at build for a
    file corpus without a file, or a file that is missing, empty, binary or holds fewer than two words,
    and from ``set_live`` for a query word that is not in the vocabulary (suggesting close words)."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset({"query", "heatmap_words", "map_words"})
    eval_every = 1000

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        ranked = rank_vocabulary(load_tokens(hp, self.context), hp["corpus"], hp["max_vocab"])
        self.corpus, self.words, self.freq, self.classes = ranked.corpus, ranked.words, ranked.freq, ranked.classes
        self.word_to_id = ranked.word_to_id
        self.V = len(self.words)
        self.engine = hp["engine"]
        if self.engine == "torch":
            from visualizer.torch_backend.device import resolve_device
            self.device = resolve_device(hp["device"])
        n = self.corpus.size
        self.read_ends = np.unique(np.linspace(0, n, min(READ_STEPS, n) + 1).round().astype(np.int64))[1:]
        self.C = np.zeros((self.V, self.V))                   # counts of what was read, updated in place
        self._position = np.zeros(2, dtype=np.int64)          # (tokens read, read steps done)
        # no gradients: the trainer steps the reading and checkpoints the counts and the position
        self.trainer = NumpyTrainer({}, {}, self._read,
                                    extra_state={"cooccurrence": self.C, "position": self._position})
        self.query_id = self._initial_query()
        self._compute()

    def _initial_query(self) -> int:
        q = self.hp["query"].strip().lower()
        if q in self.word_to_id:
            return self.word_to_id[q]
        nouns = [i for i in range(self.V) if self.classes is not None and self.classes[i] == 0]
        fallback = nouns[0] if nouns else min(1, self.V - 1)
        if q:
            self.context.notice(f"'{q}' is not in this corpus: showing the neighbours of "
                                f"'{self.words[fallback]}' instead.")
        return fallback

    # ---- the pipeline ----------------------------------------------------------------------------
    @property
    def pos(self) -> int:
        """Tokens of the corpus read so far."""
        return int(self._position[0])

    @property
    def read_steps(self) -> int:
        return int(self._position[1])

    def _compute(self) -> None:
        """Counts of the corpus read so far, PPMI and SVD (on the lesson's engine)."""
        self.C[...] = co_occurrence(self.corpus[:self.pos], self.V, self.hp["window_size"])
        if self.engine == "torch":
            from lessons.word_vectors.count_torch import ppmi_torch, svd_vectors_torch
            M = ppmi_torch(self.C, self.device)
            self.U, self.s = svd_vectors_torch(M, self.V)
            self.M = M.cpu().numpy()
        else:
            self.M = ppmi(self.C)
            self.U, self.s = svd_vectors(self.M, self.V)

    @property
    def vectors(self) -> np.ndarray:
        """Word vectors (V, k): the first ``vector_size`` left singular vectors of the PPMI matrix."""
        return self.U[:, :min(self.hp["vector_size"], self.U.shape[1])]

    @property
    def steps_per_epoch(self) -> int:
        return len(self.read_ends)

    def _read(self, batch, step: int) -> dict[str, float]:
        """One training step: read the next slice of the corpus and recompute counts, PPMI and SVD.  Once
        everything is read, asks the session to pause (further steps change nothing)."""
        if self.read_steps < len(self.read_ends):
            self._position[:] = (self.read_ends[self.read_steps], self.read_steps + 1)
            self._compute()
        else:
            self.context.request_pause("The whole corpus is counted. Change the window size or the query to "
                                       "explore, or press Reset to read it again.")
        s2 = self.s ** 2
        out = {"corpus_read": self.pos / max(1, self.corpus.size),
               "energy_2d": float(s2[:2].sum() / s2.sum()) if s2.sum() > 0 else 0.0,
               "nonzero_share": float(np.count_nonzero(self.C) / self.C.size)}
        if self.classes is not None:
            out["nn_same_class"] = self.nearest_neighbour_agreement()
        return out

    def nearest_neighbour_agreement(self, top: int = 200) -> float:
        """Share of the ``top`` most frequent words (that occurred) whose nearest neighbour by cosine
        similarity of the word vectors has the same word class (generated corpus only)."""
        seen = np.flatnonzero(self.C[:min(top, self.V)].sum(axis=1) > 0)
        return class_agreement(self.vectors, self.classes, seen)

    # ---- live settings ---------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        """Window size: recount what was read; query: look the word up (LessonConfigError if unknown)."""
        if name == "query":
            self.query_id = lookup(str(value), self.word_to_id)
        super().set_live(name, value)
        if name == "window_size":
            self._compute()

    def most_similar(self, word: str, top: int = NEIGHBOURS) -> list[tuple[str, float]]:
        """The ``top`` words most cosine-similar to ``word``: [(word, similarity)], best first.  Raises
        LessonConfigError for an unknown word."""
        return word_scores(self.words, *most_similar(self.vectors, lookup(word, self.word_to_id), top))

    # ---- views -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        k = min(self.hp["heatmap_words"], self.V)
        labels = self.words[:k]
        ids, sims = most_similar(self.vectors, self.query_id, NEIGHBOURS)
        q = self.words[self.query_id]
        n_s = min(20, self.s.size)
        return {
            "cooccurrence": MatrixData(self.C[:k, :k].copy(), labels, labels, "word", "context",
                                       colormap="blues", fmt="{:.0f}"),
            "ppmi": MatrixData(self.M[:k, :k].copy(), labels, labels, "word", "context", colormap="blues",
                               fmt="{:.1f}"),
            "word_map": self._word_map(ids),
            "similar": BarsData([self.words[int(i)] for i in ids], sims.copy(), f"cosine similarity to '{q}'"),
            "spectrum": BarsData([str(i + 1) for i in range(n_s)], self.s[:n_s].copy(), "singular value σₖ"),
        }

    def _word_map(self, neighbours: np.ndarray) -> WordMapData:
        """The ``map_words`` most frequent words, the query and its neighbours at (u₁, u₂)."""
        n = min(self.hp["map_words"], self.V)
        chosen = [self.query_id, *map(int, neighbours)]
        ids = np.array(list(range(n)) + [i for i in chosen if i >= n], dtype=np.int64)[:MAX_MAP_WORDS + NEIGHBOURS + 1]
        pts = np.zeros((ids.size, 2))
        pts[:, :min(2, self.U.shape[1])] = self.U[ids, :2]
        return word_map(ids, pts, self.words, self.classes, chosen, "u₁", "u₂")

    # ---- checkpoints -----------------------------------------------------------------------------
    def load_checkpoint_state(self, state: dict) -> None:
        """Restore the counts (V, V) and how far the corpus was read (the trainer checks the arrays), then
        recount what was read."""
        super().load_checkpoint_state(state)
        self._compute()

    def divergence_hint(self) -> str:
        return "The counts produced an invalid number: press Reset (R)."


LESSON = WordVectorsLesson
