"""Data of the ``word2vec`` lesson (Qt-free): the generated corpus as training windows in a seeded order,
negative samples, a fixed validation batch and the analogy questions the grammar builds in.

The lesson owns the randomness: one NumPy generator draws the order of the windows (a permutation per epoch)
and the negatives (``UnigramSampler``, P(w) ∝ count(w)^0.75), so both engines see the same batches.  Windows
follow the book's ``create_contexts_target`` (Saitoh, *Deep Learning from Scratch 2*, 3.3), for the positions
asked only.
"""
from __future__ import annotations

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import ChoiceParam, PathParam
from visualizer.data.corpus import generate_corpus_ids, load_text_corpus, preprocess, word_classes
from visualizer.data.ptb import PtbFormatError, file_name, ptb_folder_of, read_ptb_file
from visualizer.probes.word_map import class_indices
from visualizer.scratch.negative_sampling import UnigramSampler

EVAL_WINDOWS = 2000
DATASETS = ("generated", "ptb_folder", "file")
CLASS_VOCAB = 600                # the grammar's real words: word classes of a corpus read from a file

# The corpus, named as in rnn_lm (dataset / ptb_folder) and word_vectors (corpus_path).
CORPUS_PARAMS = (
    ChoiceParam("dataset", "Corpus", "generated", DATASETS,
                tooltip="generated: an English-like corpus made on the spot (sizes below). ptb_folder: the training "
                        "split (ptb.train.txt) of the Penn Treebank folder chosen below, read as the book does. "
                        "file: your own text file (lower-cased, punctuation split off; a file named ptb.*.txt is "
                        "read as the Penn Treebank)."),
    PathParam("ptb_folder", "Penn Treebank folder", "", "Penn Treebank (ptb.train.txt ptb.valid.txt "
              "ptb.test.txt);;Text files (*.txt);;All files (*)",
              tooltip="The folder holding ptb.train.txt (as in simple-examples/data); choose that file or type "
                      "the folder's path.", used_when=("dataset", "ptb_folder")),
    PathParam("corpus_path", "Text file", "", "Text files (*.txt);;All files (*)",
              tooltip="Used when Corpus is file: a plain-text file in UTF-8 (or Latin-1).",
              used_when=("dataset", "file")),
)
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


def load_corpus(hp, context) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The corpus ``hp["dataset"]`` names -> (ids (T,) int64, words (V,), classes (V,) int64 indices into
    ``probes.word_map.CLASS_NAMES``).  generated: ``corpus_size`` tokens of a ``vocab_size``-word vocabulary from
    ``seed``; ptb_folder: ptb.train.txt of ``hp["ptb_folder"]``; file: ``hp["corpus_path"]``, both read by the
    shared reader (``visualizer.data.corpus_file``; ids in order of first appearance, as the book's
    ``preprocess``) with their word classes from the grammar's word list where it knows the word ("other"
    elsewhere), and announced through ``context.notice``.

    Raises LessonConfigError for a missing path, an unreadable, too large or wordless file."""
    kind = hp["dataset"]
    if kind == "generated":
        ids, words = generate_corpus_ids(hp["corpus_size"], hp["vocab_size"], hp["seed"])
        return ids.astype(np.int64), list(words), class_indices(words, word_classes(hp["vocab_size"]))
    if kind == "ptb_folder":
        try:
            path = ptb_folder_of(hp["ptb_folder"]) / file_name("train")
            tokens = read_ptb_file(path)
        except PtbFormatError as e:
            raise LessonConfigError(str(e)) from None
    else:
        path = hp["corpus_path"].strip()
        if not path:
            raise LessonConfigError("Corpus is file but no file is chosen: pick a text file with 'Text file', "
                                    "or choose the generated corpus.")
        tokens = load_text_corpus(path)
    corpus, word_to_id, _ = preprocess(tokens)
    words = list(word_to_id)
    context.notice(f"Read {len(tokens):,} tokens ({len(words):,} distinct words) from {path}.")
    return corpus.astype(np.int64), words, class_indices(words, word_classes(CLASS_VOCAB))


class Windows:
    """Training windows of 2w + 1 words over ``corpus`` (T,) int64 ids of a V-word vocabulary, for ``model``
    "cbow" or "skipgram".  ``next_batch(n)`` -> (contexts (n, 2w), target (n,), negatives: (n, S) for CBOW,
    (n·2w, S) for skip-gram), windows in a fresh seeded permutation each epoch.  Raises LessonConfigError
    for a corpus shorter than one window."""

    def __init__(self, corpus: np.ndarray, vocab_size: int, window: int, model: str, negatives: int,
                 seed: int) -> None:
        if corpus.size < 2 * window + 2:
            raise LessonConfigError(f"The corpus ({corpus.size} words) is shorter than one window of "
                                    f"{2 * window + 1} words: lower the window size or enlarge the corpus.")
        self.corpus, self.V, self.model = corpus, vocab_size, model
        self.offsets = np.r_[-window:0, 1:window + 1]                    # (2w,) context positions
        self.centres = np.arange(window, corpus.size - window)           # (T − 2w,) window centres
        self.rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self.sampler = UnigramSampler(corpus, 0.75, negatives, self.rng, vocab_size=vocab_size)
        self._order = np.zeros(0, dtype=np.int64)
        self._pos = 0

    def windows(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Contexts (N, 2w) and targets (N,) of the windows centred at ``centres`` (N,)."""
        return self.corpus[centres[:, None] + self.offsets], self.corpus[centres]

    def negatives(self, contexts: np.ndarray, target: np.ndarray,
                  sampler: UnigramSampler | None = None) -> np.ndarray:
        """Negatives for the positive words: (N, S) for CBOW (the targets), (N·2w, S) for skip-gram (the
        contexts)."""
        positive = target if self.model == "cbow" else contexts.reshape(-1)
        return (sampler or self.sampler).get_negative_sample(positive)

    def next_batch(self, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The next ``batch_size`` windows of this epoch's order (fewer at the epoch's end) and their negatives."""
        if self._pos >= self._order.size:
            self._order = self.rng.permutation(self.centres)
            self._pos = 0
        centres = self._order[self._pos:self._pos + batch_size]
        self._pos += centres.size
        contexts, target = self.windows(centres)
        return contexts, target, self.negatives(contexts, target)

    def restart_order(self) -> None:
        """Start a new permutation at the next batch (after the batch size changed)."""
        self._order = self._order[:self._pos]

    def eval_batch(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """EVAL_WINDOWS fixed windows with fixed negatives (5 each), from their own generator."""
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
        centres = rng.choice(self.centres, size=min(EVAL_WINDOWS, self.centres.size), replace=False)
        contexts, target = self.windows(centres)
        return contexts, target, self.negatives(contexts, target, UnigramSampler(self.corpus, 0.75, 5, rng,
                                                                                 vocab_size=self.V))


def analogy_questions(word_to_id: dict[str, int]) -> np.ndarray:
    """(Q, 4) int64 word ids a, b, c, d with a : b = c : d from GENDER_PAIRS and PLURAL_PAIRS, all in the
    vocabulary (at most MAX_ANALOGY_QUESTIONS, the first ones of a shuffle seeded with 0)."""
    qs = []
    for pairs in (GENDER_PAIRS, PLURAL_PAIRS):
        known = [(word_to_id[a], word_to_id[b]) for a, b in pairs if a in word_to_id and b in word_to_id]
        qs += [(a, b, c, d) for a, b in known for c, d in known if a != c and b != d]
    q = np.array(qs, dtype=np.int64).reshape(-1, 4)
    if len(q) > MAX_ANALOGY_QUESTIONS:
        q = q[np.random.default_rng(0).permutation(len(q))[:MAX_ANALOGY_QUESTIONS]]
    return q
