"""Lesson ``word2vec``: CBOW and skip-gram with negative sampling (Saitoh, *Deep Learning from Scratch 2*,
ch. 3-4; Mikolov et al. 2013) on the generated English-like corpus, the Penn Treebank or a text file.

The lesson owns the data and the randomness (``data.py``): the corpus (``visualizer.data.corpus``), the order
of the training windows and the negative samples all come from its seeded NumPy generators and are handed to
the engine, so the NumPy model (``net.py``, stepped by a NumpyTrainer) and its PyTorch twin (``net_torch.py``,
stepped by a TorchTrainer) see the same batches and the same negatives and give the same losses.  Views: the
loss, analogy accuracy and class agreement curves, an embedding projector (PCA in 2-D or as a turnable 3-D
cloud, or t-SNE, of the word vectors: ``visualizer.probes.word_map``), the nearest neighbours of a query word
and an analogy box (a : b = c : ?, ``visualizer.probes.similarity``).  Qt-free.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lessons.word2vec import INFO
from lessons.word2vec.data import CORPUS_PARAMS, Windows, analogy_questions, load_corpus
from lessons.word2vec.narrative import NARRATIVE
from lessons.word2vec.net import ADAM_MODES, MODELS, NumpyWord2Vec, initial_weights
from lessons.word2vec.net import make_trainer as make_numpy_trainer
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import BarsData, PlotData, PlotSpec, WordMapData
from visualizer.probes.similarity import (analogy, analogy_accuracy, class_agreement, lookup, most_similar,
                                         parse_analogy, word_scores)
from visualizer.probes.word_map import MAX_MAP_WORDS, Projector, word_map

NEIGHBOURS = 10
TSNE_EVERY = 300          # steps between t-SNE layouts (each costs ~0.2-0.5 s on 150 words)

PARAMS = (
    *CORPUS_PARAMS,
    ChoiceParam("model", "Model", "cbow", MODELS,
                tooltip="cbow: predict the centre word from the mean of its context vectors (fast). skipgram: "
                        "predict each context word from the centre word (2w predictions per window: slower, "
                        "better for rare words)."),
    IntParam("corpus_size", "Corpus tokens", 100_000, 10_000, 929_589, log=True,
             tooltip="Length of the generated corpus. 929,589 is the Penn Treebank's training set (with "
                     "'Vocabulary' 10,000: PTB's size; an epoch then takes minutes)."),
    IntParam("vocab_size", "Vocabulary", 600, 150, 10_000, log=True,
             tooltip="Distinct words of the generated corpus. Up to ~600 all are real English words; above, "
                     "pronounceable pseudo-words fill the grammar's word classes (as rare words do in PTB)."),
    IntParam("window_size", "Window size", 3, 1, 10,
             tooltip="Context words on each side of the centre word (the book uses 5 on PTB)."),
    IntParam("hidden_size", "Vector size", 50, 5, 300, log=True,
             tooltip="Dimension H of the word vectors (rows of W_in and W_out). The book uses 100."),
    IntParam("negatives", "Negative samples", 5, 1, 20, live=True,
             tooltip="Words drawn per positive example from the unigram distribution raised to 0.75, which "
                     "the model must score as 'not the target'. Applies at the next step."),
    IntParam("batch_size", "Batch size", 100, 10, 1000, live=True, log=True,
             tooltip="Windows per update (the book uses 100). Applies at the next step."),
    FloatParam("lr", "Learning rate", 0.01, 1e-4, 0.1, log=True, live=True, decimals=5,
               tooltip="Adam's step size. The book uses 0.001 for many epochs on PTB; 0.01 shows structure "
                       "within one epoch here. Applies at the next step."),
    ChoiceParam("adam", "Adam variant", "dense", ADAM_MODES,
                tooltip="dense: torch.optim.Adam: every row's moments decay at every step, so rows not in the "
                        "batch keep moving. lazy: torch.optim.SparseAdam: only the rows the batch looked up "
                        "are updated (much faster at a large vocabulary; the update differs slightly). "
                        "Applies at Reset."),
    ChoiceParam("projection", "Projector", "pca", ("pca", "pca3d", "tsne"), live=True,
                tooltip="How the H-dimensional vectors are drawn. pca: the two directions of largest variance "
                        "(a linear view, recomputed at every redraw). pca3d: the three largest, as a cloud turned "
                        "by the azimuth and elevation sliders (nearer words are drawn larger). tsne: t-SNE, which "
                        f"keeps neighbours together (non-linear, 2-D; recomputed every {TSNE_EVERY} steps, starting "
                        "from the previous layout)."),
    IntParam("azimuth", "3-D view: azimuth (°)", 30, -180, 180, live=True,
             tooltip="pca3d only: how far the cloud is turned about its vertical axis (PC 2). At 0° and "
                     "elevation 0° the screen shows PC 1 and PC 2, as the 2-D projector does."),
    IntParam("elevation", "3-D view: elevation (°)", 20, -90, 90, live=True,
             tooltip="pca3d only: how far the cloud is tilted towards you about the screen's horizontal axis "
                     "(90°: seen from above, along PC 2)."),
    IntParam("projector_words", "Projected words", 100, 10, MAX_MAP_WORDS, live=True,
             tooltip="How many of the most frequent words the projector shows (plus the query, its neighbours "
                     "and the analogy words)."),
    TextParam("query", "Nearest to", "cat", placeholder="a word", max_length=40, live=True,
              tooltip="A word whose nearest neighbours by cosine similarity are listed (click a word in the "
                      "projector to choose it)."),
    TextParam("analogy", "Analogy a : b = c : ?", "man woman king", placeholder="man woman king", max_length=80,
              live=True,
              tooltip="Three words a b c; the answer is the word whose vector is closest to b − a + c "
                      "(man : woman = king : queen)."),
)

PLOTS = (
    PlotSpec("loss", "Negative-sampling loss", "curves", series=("train_loss", "val_loss"), x_label="step",
             y_label="loss",
             tooltip="train_loss: the batch's loss before the update: −log σ(score of the true word) − Σ log "
                     "σ(−score of each negative), per window (skip-gram: summed over the 2w context words). "
                     "val_loss: the same on 2,000 fixed windows with fixed negatives."),
    PlotSpec("quality", "What the vectors learned", "curves", series=("analogy_acc", "nn_same_class"),
             x_label="step", y_label="share",
             tooltip="analogy_acc: the share of analogy questions built from the grammar (man : woman = king : "
                     "queen, cat : cats = dog : dogs …) answered right (top-1 over the vocabulary). "
                     "nn_same_class: the share of the 200 most frequent words whose nearest neighbour has the "
                     "same word class."),
    PlotSpec("projector", "Embedding projector", "word_map",
             tooltip="The word vectors (rows of W_in) projected by PCA (2-D or a turnable 3-D cloud) or t-SNE, "
                     "coloured by word class; the query in red with its neighbours in bold. Click a word to query "
                     "it; in the 3-D view, drag to turn the cloud."),
    PlotSpec("neighbours", "Nearest neighbours", "bars", y_label="cosine similarity",
             tooltip="The words whose vectors have the highest cosine similarity with the query's."),
    PlotSpec("analogy", "Analogy", "bars", y_label="cosine similarity",
             tooltip="The best answers to a : b = c : ?, ranked by the cosine similarity of their vector with "
                     "b − a + c (vectors normalized first; a, b and c are left out)."),
)


class Word2VecLesson(Lesson):
    """CBOW / skip-gram with negative sampling on a generated corpus: windows of 2w + 1 words, W_in (V, H),
    W_out (V, H), Adam.  Raises LessonConfigError from ``set_live`` for query or analogy words not in the
    vocabulary (with suggestions) or an analogy that is not three words."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset({"projection", "azimuth", "elevation", "projector_words", "query", "analogy"})
    eval_every = 100
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        seed = hp["seed"]
        self.corpus, self.words, self.classes = load_corpus(hp, self.context)   # (T,), (V,), (V,)
        self.word_to_id = {w: i for i, w in enumerate(self.words)}
        self.V = len(self.words)
        self.data = Windows(self.corpus, self.V, hp["window_size"], hp["model"], hp["negatives"], seed)
        self.by_freq = np.argsort(-np.bincount(self.corpus, minlength=self.V), kind="stable")   # (V,) ids
        W_in, W_out = initial_weights(self.V, hp["hidden_size"], seed)
        if hp["engine"] == "torch":
            from lessons.word2vec.net_torch import TorchWord2Vec, make_trainer
            self.net = TorchWord2Vec(hp["model"], W_in, W_out)
            self.trainer = make_trainer(self.net, hp["lr"], hp["adam"], hp["device"], seed)
        else:
            self.net = NumpyWord2Vec(hp["model"], W_in, W_out, self.corpus, hp["lr"], adam=hp["adam"])
            self.trainer = make_numpy_trainer(self.net)
        self.last_step = 0
        self._eval = self.data.eval_batch(seed)
        self._questions = analogy_questions(self.word_to_id)
        self.query_id = self._initial(hp["query"], "cat")
        self.analogy_ids = self._initial_analogy(hp["analogy"])
        self.projector = Projector(TSNE_EVERY)

    # ---- words -----------------------------------------------------------------------------------
    def _initial(self, word: str, fallback: str) -> int:
        w = word.strip().lower()
        if w in self.word_to_id:
            return self.word_to_id[w]
        shown = self.word_to_id.get(fallback, int(self.by_freq[min(10, self.V - 1)]))
        if w:
            self.context.notice(f"'{w}' is not in this vocabulary: showing '{self.words[shown]}' instead.")
        return shown

    def _initial_analogy(self, text: str) -> tuple[int, int, int]:
        try:
            return parse_analogy(text, self.word_to_id)
        except LessonConfigError as e:
            top = [self.words[int(i)] for i in self.by_freq[:3]]
            fallback = "man woman king" if all(w in self.word_to_id for w in ("man", "woman", "king")) \
                else " ".join(top)
            self.context.notice(f"{e} Using {' : '.join(fallback.split()[:2])} = {fallback.split()[2]} : ? instead.")
            return parse_analogy(fallback, self.word_to_id)

    # ---- training --------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return -(-self.data.centres.size // self.hp["batch_size"])

    def next_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Contexts (N, 2w), targets (N,) and negatives of the next windows (a fresh permutation each epoch)."""
        return self.data.next_batch(self.hp["batch_size"])

    def train_step(self, step: int) -> None:
        """One Adam update on the next batch of windows."""
        self.last_step = step
        super().train_step(step)

    def evaluate(self) -> dict[str, float]:
        return {"val_loss": self.net.loss(*self._eval), "nn_same_class": self.nearest_neighbour_agreement(),
                "analogy_acc": analogy_accuracy(self.vectors, self._questions)}

    @property
    def vectors(self) -> np.ndarray:
        """The word vectors W_in (V, H) as a NumPy array (a view for the NumPy engine)."""
        return self.net.W_in if self.net.engine == "numpy" else self.net.W_in_numpy

    def nearest_neighbour_agreement(self, top: int = 200) -> float:
        """Share of the ``top`` most frequent words whose nearest neighbour has the same word class."""
        return class_agreement(self.vectors, self.classes, self.by_freq[:min(top, self.V)])

    def most_similar(self, word: str, top: int = NEIGHBOURS) -> list[tuple[str, float]]:
        """[(word, cosine similarity)] of the ``top`` nearest words.  LessonConfigError for unknown words."""
        return word_scores(self.words, *most_similar(self.vectors, lookup(word, self.word_to_id), top))

    def solve_analogy(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The ``top`` answers to 'a b c' (a : b = c : ?).  LessonConfigError for bad input."""
        return word_scores(self.words, *analogy(self.vectors, *parse_analogy(text, self.word_to_id), top))

    # ---- live settings ---------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        """Learning rate (the trainer's), batch size, negatives, projector settings, query and analogy.
        Raises LessonConfigError for unknown words (the previous query or analogy stays)."""
        if name == "query":
            self.query_id = lookup(str(value), self.word_to_id)
        elif name == "analogy":
            self.analogy_ids = parse_analogy(str(value), self.word_to_id)
        super().set_live(name, value)
        if name == "negatives":
            self.data.sampler.sample_size = int(value)
        elif name == "batch_size":
            self.data.restart_order()

    def divergence_hint(self) -> str:
        return (f"The loss overflowed: Adam's learning rate ({self.hp['lr']:g}) is too high for these vectors. "
                "Lower it (the book uses 0.001) and press Reset (R).")

    # ---- views -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        v = self.vectors
        ids, sims = most_similar(v, self.query_id, NEIGHBOURS)
        a, b, c = self.analogy_ids
        an_ids, an_sims = analogy(v, a, b, c, 5)
        q = self.words[self.query_id]
        title = f"{self.words[a]} : {self.words[b]} = {self.words[c]} : ?"
        return {
            "projector": self._projector(v, ids, (a, b, c, *map(int, an_ids[:1]))),
            "neighbours": BarsData([self.words[int(i)] for i in ids], sims.copy(), f"cosine similarity to '{q}'"),
            "analogy": BarsData([self.words[int(i)] for i in an_ids], an_sims.copy(), title),
        }

    def _projector(self, v: np.ndarray, neighbours: np.ndarray, analogy_words) -> WordMapData:
        """The ``projector_words`` most frequent words plus the query, its neighbours and the analogy's words."""
        top = [int(i) for i in self.by_freq[:min(self.hp["projector_words"], self.V)]]
        chosen = [self.query_id, *map(int, neighbours)]
        ids = np.array(list(dict.fromkeys(top + chosen + list(analogy_words))), dtype=np.int64)
        angles = (float(self.hp["azimuth"]), float(self.hp["elevation"]))
        shown = self.projector.project(v, ids, self.hp["projection"], self.last_step, angles)
        return word_map(ids, words=self.words, classes=self.classes, chosen=chosen, **shown)

    # ---- checkpoints -----------------------------------------------------------------------------
    def load_checkpoint_state(self, state: dict) -> None:
        """W_in, W_out and Adam's moments (the trainer checks every array first)."""
        super().load_checkpoint_state(state)
        self.projector.reset()


LESSON = Word2VecLesson
