"""Lesson ``word2vec``: CBOW and skip-gram with negative sampling (Saitoh, *Deep Learning from Scratch 2*,
ch. 3-4; Mikolov et al. 2013) on the generated English-like corpus.

The lesson owns the data and the randomness: the corpus (``visualizer.data.corpus``), the order of the
training windows (a permutation per epoch) and the negative samples (``UnigramSampler`` with P(w) ∝
count(w)^0.75) all come from its seeded NumPy generators and are handed to the engine, so the NumPy model
(``network.py``) and its PyTorch twin (``torch_network.py``) see the same batches and the same negatives and
give the same losses.  Views: the loss, analogy accuracy and class agreement curves, an embedding projector
(PCA in 2-D or as a turnable 3-D cloud, or t-SNE, of the word vectors, recomputed while training), the
nearest neighbours of a query word and an analogy box (a : b = c : ?).  Qt-free.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lessons.word2vec.narrative import NARRATIVE
from lessons.word2vec.network import ADAM_MODES, MODELS, NumpyWord2Vec, initial_weights
from lessons.word_vectors.similarity import analogy, lookup, most_similar, parse_words
from lessons.word_vectors.wordmap import MAX_MAP_WORDS, WordMapData, view_3d, view_3d_label
from visualizer.data.corpus import generate_corpus_ids, word_classes
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import BarsData, PlotData, PlotSpec
from visualizer.scratch.negative_sampling import UnigramSampler
from lessons.word2vec import INFO

CLASS_NAMES = ("noun", "verb", "adjective", "determiner", "preposition", "pronoun", "other")
NEIGHBOURS = 10
EVAL_WINDOWS = 2000
TSNE_EVERY = 300          # steps between t-SNE layouts (each costs ~0.2-0.5 s on 150 words)
MAX_ANALOGY_QUESTIONS = 400

# Relations the grammar builds in, for the analogy accuracy: gender pairs and singular/plural pairs.
GENDER_PAIRS = (("man", "woman"), ("king", "queen"), ("boy", "girl"), ("father", "mother"), ("brother", "sister"),
                ("prince", "princess"), ("son", "daughter"), ("uncle", "aunt"), ("husband", "wife"),
                ("emperor", "empress"), ("duke", "duchess"), ("actor", "actress"), ("waiter", "waitress"),
                ("nephew", "niece"), ("grandfather", "grandmother"), ("he", "she"), ("his", "her"))
PLURAL_PAIRS = (("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("horse", "horses"), ("cow", "cows"),
                ("apple", "apples"), ("cake", "cakes"), ("book", "books"), ("ball", "balls"), ("car", "cars"),
                ("train", "trains"), ("boat", "boats"), ("house", "houses"), ("garden", "gardens"),
                ("king", "kings"), ("queen", "queens"), ("man", "men"), ("woman", "women"), ("child", "children"),
                ("mouse", "mice"), ("box", "boxes"), ("key", "keys"), ("egg", "eggs"), ("river", "rivers"))

PARAMS = (
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


def _pca(x: np.ndarray, k: int = 2) -> np.ndarray:
    """The rows of x (N, H) on their k principal axes (N, k), signs fixed (largest |loading| positive);
    columns beyond the rank of x are 0."""
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    axes = vt[:k]                                           # (k, H)
    axes = axes * np.sign(axes[np.arange(axes.shape[0]), np.abs(axes).argmax(axis=1)])[:, None]
    out = np.zeros((x.shape[0], k))
    out[:, :axes.shape[0]] = xc @ axes.T
    return out


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

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        seed = hp["seed"]
        ids, words = generate_corpus_ids(hp["corpus_size"], hp["vocab_size"], seed)
        self.corpus = ids.astype(np.int64)                               # (T,)
        self.words = list(words)
        self.word_to_id = {w: i for i, w in enumerate(self.words)}
        self.V = len(self.words)
        w = hp["window_size"]
        if self.corpus.size < 2 * w + 2:
            raise LessonConfigError(f"The corpus ({self.corpus.size} words) is shorter than one window of "
                                    f"{2 * w + 1} words: lower the window size or enlarge the corpus.")
        self.offsets = np.r_[-w:0, 1:w + 1]                              # (2w,) context positions
        self.centres = np.arange(w, self.corpus.size - w)                # (T − 2w,) window centres
        self.freq = np.bincount(self.corpus, minlength=self.V)
        self.by_freq = np.argsort(-self.freq, kind="stable")
        classes = word_classes(hp["vocab_size"])
        idx = {c: i for i, c in enumerate(CLASS_NAMES)}
        self.classes = np.array([idx.get(classes.get(wd, "other"), len(CLASS_NAMES) - 1) for wd in self.words])
        self.rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self.sampler = UnigramSampler(self.corpus, 0.75, hp["negatives"], self.rng, vocab_size=self.V)
        W_in, W_out = initial_weights(self.V, hp["hidden_size"], seed)
        if hp["engine"] == "torch":
            from lessons.word2vec.torch_network import TorchWord2Vec
            self.net = TorchWord2Vec(hp["model"], W_in, W_out, hp["lr"], hp["device"], adam=hp["adam"])
        else:
            self.net = NumpyWord2Vec(hp["model"], W_in, W_out, self.corpus, hp["lr"], adam=hp["adam"])
        self._order = np.zeros(0, dtype=np.int64)
        self._pos = 0
        self.t = 0
        self._eval = self._eval_batch(seed)
        self._questions = self._analogy_questions()
        self.query_id = self._initial(hp["query"], "cat")
        self.analogy_ids = self._initial_analogy(hp["analogy"])
        self._tsne: tuple[int, np.ndarray, np.ndarray] | None = None       # (step, word ids, layout)

    # ---- data ------------------------------------------------------------------------------------
    def _initial(self, word: str, fallback: str) -> int:
        w = word.strip().lower()
        if w in self.word_to_id:
            return self.word_to_id[w]
        if w:
            self.context.notice(f"'{w}' is not in this vocabulary: showing '{fallback}' instead.")
        return self.word_to_id.get(fallback, int(self.by_freq[min(10, self.V - 1)]))

    def _initial_analogy(self, text: str) -> tuple[int, int, int]:
        try:
            return self._parse_analogy(text)
        except LessonConfigError as e:
            self.context.notice(f"{e} Using man : woman = king : ? instead.")
            return self._parse_analogy("man woman king")

    def _parse_analogy(self, text: str) -> tuple[int, int, int]:
        a, b, c = parse_words(text, 3, "The analogy")
        return tuple(lookup(x, self.word_to_id, "The analogy's word") for x in (a, b, c))

    def _windows(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Contexts (N, 2w) and targets (N,) of windows centred at ``centres`` (N,) (the book's
        ``create_contexts_target``, for the given positions only)."""
        return self.corpus[centres[:, None] + self.offsets], self.corpus[centres]

    def _negatives(self, contexts: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Negatives drawn by the lesson: (N, S) for CBOW, (N·2w, S) for skip-gram."""
        positive = target if self.hp["model"] == "cbow" else contexts.reshape(-1)
        return self.sampler.get_negative_sample(positive)

    def _eval_batch(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
        centres = rng.choice(self.centres, size=min(EVAL_WINDOWS, self.centres.size), replace=False)
        contexts, target = self._windows(centres)
        sampler = UnigramSampler(self.corpus, 0.75, 5, rng, vocab_size=self.V)
        positive = target if self.hp["model"] == "cbow" else contexts.reshape(-1)
        return contexts, target, sampler.get_negative_sample(positive)

    def _analogy_questions(self) -> np.ndarray:
        """(Q, 4) word ids a, b, c, d with a : b = c : d from GENDER_PAIRS and PLURAL_PAIRS, all in the
        vocabulary (at most MAX_ANALOGY_QUESTIONS, the first ones of a seeded shuffle)."""
        qs = []
        for pairs in (GENDER_PAIRS, PLURAL_PAIRS):
            known = [(self.word_to_id[a], self.word_to_id[b]) for a, b in pairs
                     if a in self.word_to_id and b in self.word_to_id]
            qs += [(a, b, c, d) for a, b in known for c, d in known if a != c and b != d]
        q = np.array(qs, dtype=np.int64).reshape(-1, 4)
        if len(q) > MAX_ANALOGY_QUESTIONS:
            q = q[np.random.default_rng(0).permutation(len(q))[:MAX_ANALOGY_QUESTIONS]]
        return q

    # ---- training --------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return -(-self.centres.size // self.hp["batch_size"])

    def train_step(self) -> dict[str, float]:
        """One Adam update on the next batch of windows (a fresh permutation each epoch)."""
        if self._pos >= self._order.size:
            self._order = self.rng.permutation(self.centres)
            self._pos = 0
        centres = self._order[self._pos:self._pos + self.hp["batch_size"]]
        self._pos += centres.size
        contexts, target = self._windows(centres)
        loss = self.net.train_step(contexts, target, self._negatives(contexts, target))
        self.t += 1
        return {"train_loss": float(loss)}

    def evaluate(self) -> dict[str, float]:
        return {"val_loss": self.net.loss(*self._eval), "analogy_acc": self.analogy_accuracy(),
                "nn_same_class": self.nearest_neighbour_agreement()}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """∂L/∂W_in and ∂L/∂W_out (V, H) of the last step, float64."""
        return self.net.gradient_arrays()

    @property
    def vectors(self) -> np.ndarray:
        """The word vectors W_in (V, H) as a NumPy array (a view for the NumPy engine)."""
        return self.net.W_in if self.net.engine == "numpy" else self.net.W_in_numpy

    def analogy_accuracy(self) -> float:
        """Top-1 accuracy on the built-in analogy questions (0 if the vocabulary has none)."""
        q = self._questions
        if not len(q):
            return 0.0
        v = self.vectors.astype(np.float64)
        unit = v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-8)
        x = unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]               # (Q, H)
        scores = x @ unit.T                                             # (Q, V)
        rows = np.arange(len(q))
        for j in range(3):
            scores[rows, q[:, j]] = -np.inf
        return float(np.mean(scores.argmax(axis=1) == q[:, 3]))

    def nearest_neighbour_agreement(self, top: int = 200) -> float:
        """Share of the ``top`` most frequent words whose nearest neighbour has the same word class."""
        ids = self.by_freq[:min(top, self.V)]
        v = self.vectors[ids].astype(np.float64)
        unit = v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-8)
        sim = unit @ unit.T
        np.fill_diagonal(sim, -np.inf)
        return float(np.mean(self.classes[ids] == self.classes[ids[sim.argmax(axis=1)]]))

    def most_similar(self, word: str, top: int = NEIGHBOURS) -> list[tuple[str, float]]:
        """[(word, cosine similarity)] of the ``top`` nearest words.  LessonConfigError for unknown words."""
        ids, sims = most_similar(self.vectors, lookup(word, self.word_to_id), top)
        return [(self.words[int(i)], float(s)) for i, s in zip(ids, sims)]

    def solve_analogy(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The ``top`` answers to 'a b c' (a : b = c : ?).  LessonConfigError for bad input."""
        a, b, c = self._parse_analogy(text)
        ids, sims = analogy(self.vectors, a, b, c, top)
        return [(self.words[int(i)], float(s)) for i, s in zip(ids, sims)]

    # ---- live settings ---------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        """Learning rate, batch size, negatives, projector settings, query and analogy.  Raises
        LessonConfigError for unknown words (the previous query or analogy stays)."""
        if name == "query":
            self.query_id = lookup(str(value), self.word_to_id)
        elif name == "analogy":
            self.analogy_ids = self._parse_analogy(str(value))
        super().set_live(name, value)
        if name == "lr":
            self.net.set_lr(float(value))
        elif name == "negatives":
            self.sampler.sample_size = int(value)
        elif name == "batch_size":
            self._order = self._order[:self._pos]          # start a new permutation at the next step

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
        n = min(self.hp["projector_words"], self.V)
        top = [int(i) for i in self.by_freq[:n]]
        chosen = [self.query_id, *map(int, neighbours)]
        extra = [i for i in chosen + list(analogy_words) if i not in set(top)]
        ids = np.array(list(dict.fromkeys(top + extra)), dtype=np.int64)
        depth = cloud = angles = None
        if self.hp["projection"] == "tsne":
            pts, label = self._tsne_layout(v, ids), ("t-SNE 1", "t-SNE 2")
        elif self.hp["projection"] == "pca3d":
            angles = (float(self.hp["azimuth"]), float(self.hp["elevation"]))
            cloud = _pca(v[ids].astype(np.float64), 3)
            pts, depth = view_3d(cloud, *angles)
            label = (view_3d_label(*angles), "")
        else:
            pts, label = _pca(v[ids].astype(np.float64), 2), ("PC 1", "PC 2")
        pos = {int(w): j for j, w in enumerate(ids)}
        highlight = [pos[i] for i in chosen if i in pos]
        return WordMapData(pts, [self.words[int(i)] for i in ids], self.classes[ids].copy(), CLASS_NAMES,
                           highlight, *label, depth=depth, points3d=cloud, angles=angles)

    def _tsne_layout(self, v: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """t-SNE of the vectors of ``ids``, cached: recomputed when the words changed or TSNE_EVERY steps
        passed, starting from the previous layout so that the picture moves smoothly."""
        cached = self._tsne
        if cached is not None and np.array_equal(cached[1], ids) and self.t - cached[0] < TSNE_EVERY:
            return cached[2]
        from sklearn.manifold import TSNE
        x = v[ids].astype(np.float64)
        if cached is not None and np.array_equal(cached[1], ids):
            init = cached[2]
        else:
            init = "pca"
        perplexity = float(min(30.0, max(2.0, (len(ids) - 1) / 3)))
        layout = TSNE(2, perplexity=perplexity, init=init, random_state=0, max_iter=500, method="exact",
                      metric="cosine").fit_transform(x)     # exact: faster than Barnes-Hut at N ≤ 300; 250 of the
        # 500 iterations are the early-exaggeration phase
        self._tsne = (self.t, ids.copy(), layout)
        return layout

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        """W_in and W_out (V, H) (Adam's moments are not saved: they restart)."""
        W_in, W_out = self.net.weights()
        return {"W_in": W_in, "W_out": W_out}

    def load_checkpoint_state(self, state: dict) -> None:
        W_in, W_out = self.net.weights()
        try:
            new_in, new_out = np.asarray(state["W_in"]), np.asarray(state["W_out"])
        except KeyError as e:
            raise LessonConfigError(f"The checkpoint has no {e.args[0]!r} array: it is not from this lesson.") from None
        if new_in.shape != W_in.shape or new_out.shape != W_out.shape:
            raise LessonConfigError(f"The checkpoint's vectors are {new_in.shape}, this model's {W_in.shape}: it "
                                    "was saved with another vocabulary or vector size.")
        self.net.load_weights(new_in.astype(W_in.dtype), new_out.astype(W_out.dtype))
        self._tsne = None


LESSON = Word2VecLesson
