"""Lesson word_vectors: counts, PPMI and SVD as in the book, both engines equal, queries and bad input."""
import numpy as np
import pytest

from lessons.word_vectors.count import canonical_signs, co_occurrence, ppmi, svd_vectors
from lessons.word_vectors.lesson import LESSON
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.data.corpus import preprocess
from visualizer.probes.similarity import cosine_similarities

# Saitoh DLfS2 ch. 2, "you say goodbye and i say hello ." with window 1: the book prints these matrices.
BOOK_C = np.array([[0, 1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 1, 0], [0, 1, 0, 1, 0, 0, 0], [0, 0, 1, 0, 1, 0, 0],
                   [0, 1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1, 0]])
BOOK_PPMI = np.array([[0, 1.807, 0, 0, 0, 0, 0], [1.807, 0, 0.807, 0, 0.807, 0.807, 0],
                      [0, 0.807, 0, 1.807, 0, 0, 0], [0, 0, 1.807, 0, 1.807, 0, 0],
                      [0, 0.807, 0, 1.807, 0, 0, 0], [0, 0.807, 0, 0, 0, 0, 2.807], [0, 0, 0, 0, 0, 2.807, 0]])


def build(**values):
    return LESSON(LESSON.hyperparameters(values), LessonContext())


def step(lesson):
    """One training step through the kit (the session's step number, then the metric window)."""
    lesson.steps_done = getattr(lesson, "steps_done", 0) + 1
    lesson.train_step(lesson.steps_done)
    return lesson.flush()


def read_all(lesson):
    for _ in range(lesson.steps_per_epoch):
        metrics = step(lesson)
    return metrics


def test_counts_and_ppmi_match_the_book():
    corpus, w2i, _ = preprocess("You say goodbye and I say hello.")
    C = co_occurrence(corpus, len(w2i), 1)
    np.testing.assert_array_equal(C, BOOK_C)
    np.testing.assert_allclose(ppmi(C), BOOK_PPMI, atol=5e-4)
    # PPMI by hand for (you, say): C = 1, N = 14, S(you) = 1, S(say) = 4 -> log2(14 / 4) = 1.807
    assert ppmi(C)[0, 1] == pytest.approx(np.log2(14 / 4))
    sims = cosine_similarities(C.astype(float), w2i["you"])
    # the book's most_similar('you'): goodbye, i and hello at 0.7071, each sharing the context 'say'
    for w in ("goodbye", "i", "hello"):
        assert sims[w2i[w]] == pytest.approx(1 / np.sqrt(2), abs=1e-7)


def test_window_counts_both_sides_and_skips_dropped_words():
    C = co_occurrence(np.array([0, 1, 2, -1, 0]), 3, 2)
    assert C[0, 1] == 1 and C[1, 2] == 1 and C[0, 2] == 2 and C[1, 0] == 1     # 0-2 at distance 2, twice
    np.testing.assert_array_equal(C, C.T)
    with pytest.raises(ValueError, match="window"):
        co_occurrence(np.array([0, 1]), 2, 0)


def test_svd_reconstructs_and_signs_are_canonical():
    rng = np.random.default_rng(0)
    M = rng.random((30, 30))
    M = M + M.T
    U, s = svd_vectors(M, 30)
    assert U.shape == (30, 30) and np.all(np.diff(s) <= 1e-12)
    assert np.all(U[np.abs(U).argmax(axis=0), np.arange(30)] > 0)
    np.testing.assert_allclose(canonical_signs(-U), U)


def test_engines_give_the_same_ppmi_and_vectors():
    a, b = build(corpus_size=8000), build(corpus_size=8000, engine="torch")
    ma, mb = read_all(a), read_all(b)
    np.testing.assert_allclose(a.M, b.M, atol=1e-12)
    np.testing.assert_allclose(a.s, b.s, rtol=1e-10)
    # singular vectors of well-separated singular values agree (up to the canonical sign)
    gap = np.abs(np.diff(a.s)) / a.s[0]
    ok = np.flatnonzero((np.concatenate(([1.0], gap)) > 1e-6) & (np.concatenate((gap, [1.0])) > 1e-6))[:50]
    np.testing.assert_allclose(a.U[:, ok], b.U[:, ok], atol=1e-8)
    assert ma == pytest.approx(mb, abs=1e-9)


def test_reading_the_generated_corpus_groups_words_by_class():
    lesson = build()
    assert lesson.steps_per_epoch == 20
    first = step(lesson)
    last = read_all(lesson)
    assert first["corpus_read"] == pytest.approx(0.05, abs=0.01) and last["corpus_read"] == 1.0
    assert last["nn_same_class"] > 0.85
    neighbours = [w for w, _ in lesson.most_similar("cat", 5)]
    animals = {"dog", "bird", "horse", "cow", "rabbit", "fish", "mouse", "lion", "fox", "bear", "duck"}
    assert len(set(neighbours) & animals) >= 3, neighbours
    verbs = [w for w, _ in lesson.most_similar("eats", 5)]
    assert all(w.endswith(("s", "ed")) or w in ("ate", "bought", "sold", "cut", "found", "bit") for w in verbs), verbs
    royals = [w for w, _ in lesson.most_similar("king", 5)]
    assert "queen" in royals or "prince" in royals
    snap = lesson.snapshot()
    wm = snap["word_map"]
    assert wm.points.shape == (len(wm.words), 2) and len(wm.words) >= 70
    assert wm.words[wm.highlight[0]] == "cat"
    assert snap["cooccurrence"].values.shape == (12, 12)
    assert np.all(np.diff(snap["spectrum"].values) <= 1e-12)
    assert len(snap["similar"].labels) == 10
    assert wm.table()[1][0][0] == wm.words[0]


def test_play_after_the_end_pauses():
    class Ctx(LessonContext):
        paused = ""

        def request_pause(self, message):
            self.paused = message

    ctx = Ctx()
    lesson = LESSON(LESSON.hyperparameters({"corpus": "toy"}), ctx)
    assert lesson.steps_per_epoch == 8
    read_all(lesson)
    np.testing.assert_array_equal(lesson.C[np.ix_([0, 1], [0, 1])], [[0, 1], [1, 0]])
    assert not ctx.paused
    step(lesson)
    assert "whole corpus" in ctx.paused


def test_live_window_recounts_and_query_errors_keep_state():
    lesson = build(corpus_size=5000)
    read_all(lesson)
    before = lesson.C.sum()
    lesson.set_live("window_size", 4)
    assert lesson.C.sum() == pytest.approx(2 * before, rel=0.01)
    lesson.set_live("query", "dog")
    with pytest.raises(LessonConfigError, match=r"'dgo' is not in .*Close words.*dog"):
        lesson.set_live("query", "dgo")
    assert lesson.hp["query"] == "dog" and lesson.words[lesson.query_id] == "dog"
    with pytest.raises(LessonConfigError, match="not in"):
        lesson.most_similar("zzzz")


def test_file_corpus_and_bad_files(tmp_path):
    good = tmp_path / "t.txt"
    good.write_text("The cat sat on the mat. The dog sat on the rug. A cat and a dog.\n" * 5)
    lesson = build(corpus="file", corpus_path=str(good), query="cat")
    read_all(lesson)
    assert lesson.words[0] == "the" and lesson.snapshot()["word_map"].class_names == ("word",)
    with pytest.raises(LessonConfigError, match="no file is chosen"):
        build(corpus="file")
    empty = tmp_path / "e.txt"
    empty.write_text("")
    with pytest.raises(LessonConfigError, match="empty"):
        build(corpus="file", corpus_path=str(empty))
    binary = tmp_path / "b.txt"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(LessonConfigError, match="binary"):
        build(corpus="file", corpus_path=str(binary))
    one = tmp_path / "o.txt"
    one.write_text("hello hello hello")
    with pytest.raises(LessonConfigError, match="single distinct word"):
        build(corpus="file", corpus_path=str(one))


def test_unknown_initial_query_falls_back_with_a_notice():
    class Ctx(LessonContext):
        notes = []

        def notice(self, message):
            self.notes.append(message)

    ctx = Ctx()
    lesson = LESSON(LESSON.hyperparameters({"corpus": "toy", "query": "cat"}), ctx)
    assert "not in this corpus" in ctx.notes[-1]
    assert 0 <= lesson.query_id < lesson.V


def test_checkpoint_round_trip():
    a = build(corpus_size=3000)
    for _ in range(5):
        step(a)
    state = a.checkpoint_state()
    b = build(corpus_size=3000)
    b.load_checkpoint_state(state)
    np.testing.assert_array_equal(a.C, b.C)
    assert b.pos == a.pos and b.read_steps == 5
    toy = build(corpus="toy")
    with pytest.raises(LessonConfigError, match="'state.cooccurrence' has shape"):
        toy.load_checkpoint_state(state)
    assert toy.pos == 0 and not toy.C.any()                  # a checkpoint that does not fit changes nothing
