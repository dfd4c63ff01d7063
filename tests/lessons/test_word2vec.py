"""Lesson word2vec: engines identical, the loss falls, vectors group words, analogies, bad input."""
import numpy as np
import pytest

from lessons.word2vec.lesson import LESSON
from visualizer.core.lesson import LessonConfigError, LessonContext


def build(**values):
    values.setdefault("corpus_size", 30_000)
    lesson = LESSON(LESSON.hyperparameters(values), LessonContext())
    lesson.steps_done = 0
    return lesson


def step(lesson):
    """One training step through the kit (the session's step number, then the metric window)."""
    lesson.steps_done += 1
    lesson.train_step(lesson.steps_done)
    return lesson.flush()


@pytest.mark.parametrize("adam", ["dense", "lazy"])
@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_engines_give_identical_losses_and_gradients(model, adam):
    a = build(model=model, engine="numpy", lr=0.01, adam=adam)
    b = build(model=model, engine="torch", lr=0.01, adam=adam)
    for _ in range(25):
        la, lb = step(a)["train_loss"], step(b)["train_loss"]
        assert abs(la - lb) <= 1e-5 * max(1.0, abs(la))
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert set(ga) == set(gb) == {"model.W_in", "model.W_out"}
    for k in ga:
        assert ga[k].dtype == np.float64
        np.testing.assert_allclose(ga[k], gb[k], atol=1e-6)
    np.testing.assert_allclose(a.vectors, b.vectors, atol=1e-5)
    assert a.evaluate()["val_loss"] == pytest.approx(b.evaluate()["val_loss"], abs=1e-5)


def test_lazy_adam_moves_only_the_rows_looked_up():
    """adam=lazy (torch.optim.SparseAdam): a step leaves the rows of words outside the batch as they were;
    dense Adam moves them (their moments keep decaying), so the two runs differ after the first step."""
    lazy, dense = build(adam="lazy", lr=0.01), build(adam="dense", lr=0.01)
    for _ in range(3):
        step(lazy), step(dense)
    before = lazy.net.weights()
    step(lazy)
    after = lazy.net.weights()
    for w0, w1, g in zip(before, after, lazy.net.grads):
        moved = np.any(w0 != w1, axis=1)
        assert moved.any() and not moved.all()
        assert not moved[~np.any(g != 0, axis=1)].any()     # no gradient row -> not moved
    assert not np.allclose(lazy.net.weights()[0], dense.net.weights()[0], atol=1e-7)


def test_cbow_learns_classes_and_analogies():
    lesson = build(corpus_size=100_000)
    first = lesson.evaluate()
    losses = [step(lesson)["train_loss"] for _ in range(2 * lesson.steps_per_epoch)]
    last = lesson.evaluate()
    assert np.mean(losses[-100:]) < 0.8 * np.mean(losses[:20])
    assert last["val_loss"] < 0.8 * first["val_loss"]
    assert last["nn_same_class"] > 0.85
    animals = {"dog", "bird", "horse", "cow", "rabbit", "fish", "mouse", "lion", "fox", "bear", "duck", "cats",
               "dogs", "birds"}
    assert len({w for w, _ in lesson.most_similar("cat", 5)} & animals) >= 2
    royal_women = {"queen", "princess", "empress", "duchess", "lady"}
    assert lesson.solve_analogy("man woman king", 3)[0][0] in royal_women
    assert last["analogy_acc"] > first["analogy_acc"]


def test_skipgram_loss_decreases():
    lesson = build(model="skipgram", window_size=2)
    losses = [step(lesson)["train_loss"] for _ in range(lesson.steps_per_epoch)]
    assert np.mean(losses[-50:]) < 0.8 * np.mean(losses[:10])


def test_unknown_words_raise_and_keep_the_previous_state():
    lesson = build()
    lesson.set_live("query", "dog")
    with pytest.raises(LessonConfigError, match=r"'dgo' is not in .*Close words.*dog"):
        lesson.set_live("query", "dgo")
    assert lesson.hp["query"] == "dog" and lesson.words[lesson.query_id] == "dog"
    before = lesson.analogy_ids
    with pytest.raises(LessonConfigError, match=r"'kign' is not in .*king"):
        lesson.set_live("analogy", "man woman kign")
    with pytest.raises(LessonConfigError, match="needs 3 words"):
        lesson.set_live("analogy", "man woman")
    assert lesson.analogy_ids == before and lesson.hp["analogy"] == "man woman king"
    lesson.set_live("analogy", "cat : cats = dog : ?")
    snap = lesson.snapshot()
    assert snap["analogy"].y_label == "cat : cats = dog : ?" and len(snap["analogy"].labels) == 5


def test_unknown_initial_words_fall_back_with_notices():
    class Ctx(LessonContext):
        def __init__(self):
            self.notes = []

        def notice(self, message):
            self.notes.append(message)

    ctx = Ctx()
    lesson = LESSON(LESSON.hyperparameters({"corpus_size": 20_000, "query": "zebraz", "analogy": "a b"}), ctx)
    assert lesson.words[lesson.query_id] == "cat"
    assert len(ctx.notes) == 2 and "zebraz" in ctx.notes[0] and "3 words" in ctx.notes[1]


def test_live_settings_and_projector():
    lesson = build()
    for _ in range(20):
        step(lesson)
    lesson.set_live("negatives", 2)
    lesson.set_live("batch_size", 37)
    lesson.set_live("lr", 0.02)
    step(lesson)
    assert lesson.net.opt.lr == pytest.approx(0.02)
    assert lesson.data.sampler.sample_size == 2
    snap = lesson.snapshot()
    proj = snap["projector"]
    assert proj.points.shape == (len(proj.words), 2) and len(proj.words) >= 100
    assert proj.words[proj.highlight[0]] == "cat" and proj.x_label == "PC 1"
    lesson.set_live("projection", "tsne")
    lesson.set_live("projector_words", 30)
    t1 = lesson.snapshot()["projector"]
    assert t1.x_label == "t-SNE 1" and np.all(np.isfinite(t1.points))
    assert lesson.snapshot()["projector"].points is t1.points or np.array_equal(
        lesson.snapshot()["projector"].points, t1.points)          # cached between TSNE_EVERY steps


def test_checkpoint_round_trip():
    a = build()
    for _ in range(10):
        step(a)
    b = build()
    b.load_checkpoint_state(a.checkpoint_state())
    np.testing.assert_array_equal(a.vectors, b.vectors)
    state = a.checkpoint_state()
    assert any(k.startswith("opt.") for k in state)         # Adam's moments come along
    assert all(np.array_equal(v, b.checkpoint_state()[k]) for k, v in state.items())
    with pytest.raises(LessonConfigError, match="has shape"):
        build(hidden_size=10).load_checkpoint_state(a.checkpoint_state())


def test_pca3d_projector_turns_the_cloud():
    from visualizer.probes.word_map import pca, view_3d

    lesson = build()
    for _ in range(20):
        step(lesson)
    flat = lesson.snapshot()["projector"]
    lesson.set_live("projection", "pca3d")
    lesson.set_live("azimuth", 0)
    lesson.set_live("elevation", 0)
    front = lesson.snapshot()["projector"]
    np.testing.assert_allclose(front.points, flat.points, atol=1e-9)        # seen from the front: PC 1, PC 2
    assert front.depth.shape == (len(front.words),) and front.words == flat.words
    lesson.set_live("azimuth", 90)
    side = lesson.snapshot()["projector"]
    np.testing.assert_allclose(np.abs(side.points[:, 0]), np.abs(front.depth), atol=1e-9)  # PC 3 across
    np.testing.assert_allclose(np.abs(side.depth), np.abs(front.points[:, 0]), atol=1e-9)
    assert "azimuth 90°" in side.x_label and side.table()[0][-1] == "depth"
    # a rotation keeps distances: the 3-D cloud is only turned, never stretched
    cloud = pca(np.random.default_rng(0).normal(size=(40, 6)), 3)
    screen, depth = view_3d(cloud, 37, -21)
    turned = np.column_stack([screen, depth])
    d0 = np.linalg.norm(cloud[:, None] - cloud[None], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(turned[:, None] - turned[None], axis=-1), d0, atol=1e-9)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        view_3d(cloud[:, :2], 0, 0)


# ---- issue 14: a corpus file (the Penn Treebank's layout), through the shared reader ---------------------------
PTB_LINES = " the cat sat on the mat \n a dog ran to the <unk> \n the man and the woman saw a king \n"


@pytest.mark.parametrize("how", ["ptb_folder", "ptb_file", "file"])
def test_a_penn_treebank_file_is_the_corpus(tmp_path, how):
    folder = tmp_path / "ptb"
    folder.mkdir()
    for split in ("train", "valid", "test"):
        (folder / f"ptb.{split}.txt").write_text(PTB_LINES * 40)
    notes = []

    class Ctx(LessonContext):
        def notice(self, message):
            notes.append(message)

    values = {"ptb_folder": {"dataset": "ptb_folder", "ptb_folder": str(folder)},
              "ptb_file": {"dataset": "ptb_folder", "ptb_folder": str(folder / "ptb.train.txt")},
              "file": {"dataset": "file", "corpus_path": str(folder / "ptb.train.txt")}}[how]
    lesson = LESSON(LESSON.hyperparameters({**values, "window_size": 2, "batch_size": 20}), Ctx())
    assert lesson.words[:7] == ["the", "cat", "sat", "on", "mat", "<eos>", "a"]   # the book's first-appearance ids
    assert lesson.corpus.size == 40 * (7 + 7 + 9) and "<unk>" in lesson.word_to_id
    assert any("Read 920 tokens" in n for n in notes)
    lesson.steps_done = 0
    first = step(lesson)["train_loss"]
    for _ in range(30):
        last = step(lesson)["train_loss"]
    assert np.isfinite(last) and last < first
    assert lesson.solve_analogy("man woman king")                   # the words are in this corpus


def test_a_corpus_file_that_is_missing_or_not_chosen_is_a_config_error(tmp_path):
    with pytest.raises(LessonConfigError, match="no file is chosen"):
        build(dataset="file")
    with pytest.raises(LessonConfigError, match="does not exist"):
        build(dataset="ptb_folder", ptb_folder=str(tmp_path / "nope"))
    with pytest.raises(LessonConfigError, match="does not exist"):
        build(dataset="file", corpus_path=str(tmp_path / "nope.txt"))


def test_the_fallback_notice_names_the_word_shown(tmp_path):
    """A corpus without the default query word ('cat'): the notice names the word actually shown."""
    path = tmp_path / "corpus.txt"
    path.write_text("the dog ran to a house . a bird sang on the roof .\n" * 60)
    notes = []

    class Ctx(LessonContext):
        def notice(self, message):
            notes.append(message)

    lesson = LESSON(LESSON.hyperparameters({"dataset": "file", "corpus_path": str(path), "query": "zebra",
                                            "window_size": 2, "batch_size": 20}), Ctx())
    shown = lesson.words[lesson.query_id]
    note = next(n for n in notes if "'zebra' is not in this vocabulary" in n)
    assert shown != "cat" and f"showing '{shown}' instead" in note
