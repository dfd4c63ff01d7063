"""Lesson rnn_lm: both engines identical (RNN, LSTM, GRU), perplexity falls, clipping, truncated-BPTT batches,
generation with a temperature, the views' shapes, prompts of unknown words, Penn Treebank folders and bad input."""
import math

import numpy as np
import pytest

from lessons.rnn_lm.data import BatchStream, eval_batches, sample_next
from lessons.rnn_lm.lesson import LESSON, VAL_HEAD, VAL_TOKENS
from lessons.rnn_lm.net import LmConfig, NumpyLm, init_weights
from tests.core.test_data_ptb import write_ptb
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData, TextData


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def build(context=None, **values):
    lesson = LESSON(LESSON.hyperparameters(values), context)
    lesson.steps_done = 0
    return lesson


def step(lesson):
    """One training step through the kit (the session's step number, then the metric window)."""
    lesson.steps_done += 1
    lesson.train_step(lesson.steps_done)
    return lesson.flush()


def rel_diff(a, b):
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), 1e-30))


@pytest.mark.parametrize("settings", [
    {"cell": "lstm"},
    {"cell": "gru"},
    {"cell": "rnn"},
    {"cell": "lstm", "layers": 2, "dropout": 0.5, "tie_weights": True},
    {"cell": "gru", "optimizer": "adam", "lr": 0.003, "max_grad_norm": 0.0},
])
def test_engines_are_identical_from_a_seed(settings):
    values = dict(settings, corpus_tokens=8000, vocab_size=300, hidden_size=32, embed_size=32, batch_size=8,
                  time_size=12, seed=3)
    values.setdefault("lr", 1.0)
    a, b = build(engine="numpy", **values), build(engine="torch", **values)
    for _ in range(10):
        ma, mb = step(a), step(b)
        assert abs(ma["train_loss"] - mb["train_loss"]) <= 1e-5 * ma["train_loss"]
        assert abs(ma["grad_norm"] - mb["grad_norm"]) <= 1e-5 * ma["grad_norm"]
        ga, gb = a.gradient_arrays(), b.gradient_arrays()
        assert ga.keys() == gb.keys()
        assert all(g.dtype == np.float64 for g in ga.values())
        assert max(rel_diff(ga[k], gb[k]) for k in ga) <= 1e-5
    wa, wb = a.numpy_weights(), b.numpy_weights()
    assert max(float(np.max(np.abs(wa[k] - wb[k]))) for k in wa) <= 1e-5
    assert a.evaluate()["val_ppl"] == pytest.approx(b.evaluate()["val_ppl"], rel=1e-5)
    pa, pb = a.probe(), b.probe()
    np.testing.assert_allclose(pa["hidden"], pb["hidden"], atol=1e-5)
    np.testing.assert_allclose(pa["grad_norms"], pb["grad_norms"], rtol=1e-3, atol=1e-12)


def test_perplexity_falls_on_the_generated_corpus():
    lesson = build(seed=1)
    first = lesson.evaluate()["val_ppl"]
    assert 800 < first < 1200                                  # untrained: about the vocabulary size (~1,000)
    metrics = [step(lesson) for _ in range(60)]
    assert set(metrics[-1]) == {"train_loss", "train_ppl", "grad_norm", "clip_threshold"}
    assert all(isinstance(v, float) for m in metrics for v in m.values())
    assert metrics[-1]["train_ppl"] < 120
    assert lesson.evaluate()["val_ppl"] < 80


def test_evaluation_leaves_the_training_state_alone():
    a, b = build(seed=4, corpus_tokens=8000, hidden_size=32), build(seed=4, corpus_tokens=8000, hidden_size=32)
    for _ in range(3):
        step(a), step(b)
    a.evaluate()
    assert step(a)["train_loss"] == step(b)["train_loss"]


def test_clipping_caps_the_gradient_norm():
    lesson = build(seed=0, max_grad_norm=0.05)
    m = step(lesson)
    clipped = math.sqrt(sum(float(np.sum(g * g)) for g in lesson.gradient_arrays().values()))
    assert m["grad_norm"] > 0.05 and clipped == pytest.approx(0.05, rel=1e-4)
    lesson.set_live("max_grad_norm", 0.0)                       # off: the update uses the full gradient
    m = step(lesson)
    full = math.sqrt(sum(float(np.sum(g * g)) for g in lesson.gradient_arrays().values()))
    assert "clip_threshold" not in m and full == pytest.approx(m["grad_norm"], rel=1e-4)


def test_batches_are_the_books_parallel_streams():
    corpus = np.arange(101, dtype=np.int32)
    stream = BatchStream(corpus, batch_size=4, time_size=5)
    assert stream.steps_per_epoch == 100 // 20
    xs, ts = stream.next_batch()
    np.testing.assert_array_equal(xs[:, 0], [0, 25, 50, 75])             # offsets 100 // 4 apart
    np.testing.assert_array_equal(ts, xs + 1)
    xs2, _ = stream.next_batch()
    np.testing.assert_array_equal(xs2[:, 0], xs[:, -1] + 1)              # each row continues where it stopped
    with pytest.raises(ValueError, match="too few"):
        BatchStream(corpus[:10], batch_size=4, time_size=5)
    batches = list(eval_batches(corpus, batch_size=2, time_size=5))
    assert len(batches) == 100 // 10 and batches[0][0][1, 0] == 50


def test_generation_is_deterministic_and_follows_the_temperature():
    lesson = build(seed=2)
    for _ in range(40):
        step(lesson)
    prompt = ["the"]
    assert lesson.generate(prompt, 20, 1.0) == lesson.generate(prompt, 20, 1.0)
    assert lesson.generate(prompt, 20, 1.0, seed=5) != lesson.generate(prompt, 20, 1.0, seed=6)
    # Greedy decoding by hand: the argmax of the model's scores, fed back.
    net = NumpyLm(lesson.config, lesson.net.weights)
    ids, greedy = [lesson.corpus.word_to_id["the"]], []
    logits = net.logits(np.array([ids], dtype=np.int32))[0, -1]
    for _ in range(15):
        nxt = int(np.argmax(logits))
        greedy.append(lesson.corpus.id_to_word[nxt])
        logits = net.logits(np.array([[nxt]], dtype=np.int32))[0, -1]
    assert lesson.generate(prompt, 15, 0.0) == greedy
    assert lesson.generate(prompt, 15, 1e-3, seed=9) == greedy           # a low temperature is nearly argmax
    hot = [lesson.generate(prompt, 15, 2.0, seed=s) for s in range(3)]
    assert all(h != greedy for h in hot)


def test_sample_next_skips_and_sharpens():
    rng = np.random.default_rng(0)
    logits = np.array([0.0, 1.0, 3.0, 2.0])
    assert sample_next(logits, 0.0, rng) == 2
    assert sample_next(logits, 0.0, rng, skip=(2,)) == 3
    draws = np.bincount([sample_next(logits, 1.0, rng) for _ in range(4000)], minlength=4) / 4000
    np.testing.assert_allclose(draws, np.exp(logits) / np.exp(logits).sum(), atol=0.03)


@pytest.mark.parametrize("cell, tiles", [("lstm", 4), ("gru", 3), ("rnn", 1)])
def test_views_have_the_documented_shapes(cell, tiles):
    lesson = build(cell=cell, hidden_size=80, time_size=20, lr=5.0)
    step(lesson)
    snap = lesson.snapshot()
    hidden, gates, bars, text = snap["hidden"], snap["gates"], snap["grad_time"], snap["generated"]
    assert isinstance(hidden, ImageData) and hidden.image.shape == (64, 20) and hidden.image.dtype == np.float32
    assert np.abs(hidden.image).max() <= 1.0
    assert isinstance(gates, ImageGridData) and gates.images.shape == (tiles, 32, 20)
    assert len(gates.captions) == tiles
    if cell != "rnn":
        sig = gates.images[[0, 1]] if cell == "gru" else gates.images[[0, 1, 3]]
        assert sig.min() >= 0 and sig.max() <= 1                           # sigmoid gates in (0, 1)
    assert isinstance(bars, BarsData) and len(bars.labels) == 20 and np.all(bars.values > 0)
    assert isinstance(text, TextData) and text.prompt == ["the"] and len(text.words) == 40
    header, rows = text.table()
    assert header == ["position", "word", "source"] and len(rows) == 41


def test_the_gates_equal_the_layers_own():
    lesson = build(cell="lstm", hidden_size=16, embed_size=16, time_size=10)
    step(lesson)
    probe = lesson.probe()
    net = NumpyLm(lesson.config, lesson.net.weights)
    net.set_state(lesson._last.state)
    net.forward(lesson._last.xs, lesson._last.ts, train=False)
    np.testing.assert_allclose(probe["gates"], net.rnns[0].gates[0], atol=1e-6)


def test_vanishing_gradient_in_a_plain_rnn():
    lesson = build(cell="rnn", lr=5.0, seed=0)
    for _ in range(30):
        step(lesson)
    norms = lesson.probe()["grad_norms"]                                  # ‖∂L_T/∂h_t‖, last word's loss
    # how far it fades depends on the trajectory (float32 round-off moves it: 4e-4 to 2.5e-2 over seeds
    # 0-3); that it fades by more than 10x over 35 steps holds for all of them
    assert norms[0] < 0.1 * norms[-1]
    lesson.set_live("grad_probe", "all_losses")
    assert lesson.probe()["grad_norms"][0] > 1e-2 * norms[-1]


def test_text_regenerates_when_the_temperature_changes():
    lesson = build()
    step(lesson)
    first = lesson.snapshot()["generated"]
    assert lesson.snapshot()["generated"] is first                         # cached
    lesson.set_live("temperature", 0.0)
    greedy = lesson.snapshot()["generated"]
    assert greedy is not first and greedy.temperature == 0.0 and "greedy" in greedy.note


def test_unknown_prompt_words_are_refused_with_suggestions():
    lesson = build()
    lesson.set_live("prompt", "the king")
    with pytest.raises(LessonConfigError, match=r"'kign' \(did you mean king.*'qqqzz'"):
        lesson.set_live("prompt", "a kign qqqzz")
    assert lesson.hp["prompt"] == "the king" and lesson.prompt_words == ["the", "king"]
    lesson.set_live("prompt", "The Queen <eos>")
    assert lesson.snapshot()["generated"].prompt == ["the", "queen", "<eos>"]


def test_unknown_words_in_a_built_prompt_give_a_notice():
    ctx = RecordingContext()
    lesson = build(ctx, prompt="the flibbertigibbet")
    assert lesson.prompt_words == ["the"] and "flibbertigibbet" in ctx.notices[0]


def test_weight_tying_needs_equal_sizes():
    with pytest.raises(LessonConfigError, match="Embedding size = Hidden size"):
        build(tie_weights=True, embed_size=64, hidden_size=100)
    lesson = build(tie_weights=True, embed_size=50, hidden_size=50)
    assert "affine.W" not in lesson.gradient_arrays()
    step(lesson)
    assert lesson.evaluate()["val_ppl"] < 1000


def test_too_little_text_is_refused():
    with pytest.raises(LessonConfigError, match="too few for batches"):
        build(corpus_tokens=5000, batch_size=128, time_size=100)


def _ptb_folder(tmp_path):
    train = "".join(" the cat sat on the mat \n a dog ran to the <unk> \n" for _ in range(40))
    valid = "".join(" a dog ran to the <unk> \n the cat sat on the mat \n" for _ in range(10))
    return write_ptb(tmp_path / "ptb", train=train, valid=valid, test=valid)


def test_a_ptb_folder_trains(tmp_path):
    folder = _ptb_folder(tmp_path)
    for path in (folder, folder / "ptb.train.txt"):
        lesson = build(dataset="ptb_folder", ptb_folder=str(path), batch_size=4, time_size=5, hidden_size=16,
                       embed_size=16)
        assert lesson.corpus.vocab_size == 11 and "Penn Treebank" in lesson.corpus.name
        for _ in range(100):
            step(lesson)
        assert lesson.evaluate()["val_ppl"] < 4
        assert lesson.test_perplexity() < 4
        assert "<unk>" not in lesson.generate(["the"], 30, 1.5)


@pytest.mark.parametrize("break_it, message", [
    (lambda f: (f / "ptb.test.txt").unlink(), r"lacks ptb\.test\.txt"),
    (lambda f: (f / "ptb.valid.txt").write_bytes(b"\x00\x00"), "not a text file"),
    (lambda f: (f / "ptb.train.txt").write_text(""), "holds no words"),
])
def test_bad_ptb_folders_are_refused(tmp_path, break_it, message):
    folder = _ptb_folder(tmp_path)
    break_it(folder)
    with pytest.raises(LessonConfigError, match=message):
        build(dataset="ptb_folder", ptb_folder=str(folder), batch_size=4, time_size=5)
    with pytest.raises(LessonConfigError, match="No Penn Treebank folder chosen"):
        build(dataset="ptb_folder")


def test_ptb_download_offline_falls_back_with_a_notice(monkeypatch, tmp_path):
    from tests.core.test_data_download import unreachable_url
    from visualizer.data import ptb

    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(ptb, "PTB", ptb.PtbSource((unreachable_url(),), dict(ptb.PTB.files), "ptb"))
    ctx = RecordingContext()
    lesson = build(ctx, dataset="ptb_download")
    assert "generated" in lesson.corpus.name
    assert any("Could not download Penn Treebank" in n and "ptb_folder" in n for n in ctx.notices)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_checkpoint_round_trip(engine):
    a = build(engine=engine, hidden_size=32)
    for _ in range(5):
        step(a)
    state = a.checkpoint_state()
    b = build(engine=engine, hidden_size=32)
    b.load_checkpoint_state(state)
    assert all(np.array_equal(b.checkpoint_state()[k], v) for k, v in state.items())
    with pytest.raises(LessonConfigError, match="has shape"):
        build(engine=engine, hidden_size=40).load_checkpoint_state(state)


def test_init_is_the_books():
    w = init_weights(LmConfig(1000, 100, 100, "lstm"), seed=0)
    assert w["embed.W"].std() == pytest.approx(0.01, rel=0.05)
    assert w["layer1.Wh"].std() == pytest.approx(0.1, rel=0.05) and w["layer1.Wx"].shape == (100, 400)
    assert not w["layer1.b"].any() and all(v.dtype == np.float32 for v in w.values())


def _long_validation(**values):
    """Generated corpus whose validation split (10 %: 15,000 words) is longer than the 10,000-word slice that the
    frequent evaluations read; 10 steps per epoch."""
    return build(corpus_tokens=150_000, vocab_size=200, hidden_size=8, embed_size=8, batch_size=128, time_size=100,
                 seed=2, **values)


def test_a_long_validation_split_is_evaluated_whole_at_each_epoch_end():
    lesson = _long_validation()
    assert len(lesson.corpus.valid) > VAL_TOKENS and lesson.corpus.test is None
    spe = lesson.steps_per_epoch
    assert spe == 10
    assert set(lesson.evaluate()) == {VAL_HEAD}                 # before training: the slice only, named as such
    for _ in range(spe - 1):
        step(lesson)
        assert set(lesson.evaluate()) == {VAL_HEAD}            # between epoch ends: the cheap slice
    step(lesson)
    m = lesson.evaluate()                                       # an epoch end: the whole split as well
    assert set(m) == {VAL_HEAD, "val_ppl", "val_loss"}
    # same code, same weights, same words (the generated corpus has no test split: test_perplexity reads the
    # whole validation split), so the very same float
    assert m["val_ppl"] == lesson.test_perplexity()
    assert m["val_loss"] == pytest.approx(math.log(m["val_ppl"]), rel=1e-12)
    assert m[VAL_HEAD] != m["val_ppl"]                          # the slice is another figure
    spec = next(p for p in LESSON.plots if p.id == "perplexity")
    assert VAL_HEAD in spec.series and "val_ppl" in spec.series
    assert "first 10,000" in spec.tooltip and "whole validation split" in spec.tooltip


def test_a_long_validation_split_in_a_session_gives_one_whole_figure_per_epoch():
    from visualizer.core.session import TrainingSession

    s = TrainingSession(LESSON, {"corpus_tokens": 150_000, "vocab_size": 200, "hidden_size": 8, "embed_size": 8,
                                 "batch_size": 128, "time_size": 100, "seed": 2})
    try:
        assert s.wait_idle(30)
        s.step(20)
        assert s.wait_idle(60) and s.step_count == 20
        steps_whole, _ = s.history.series("val_ppl")
        steps_head, _ = s.history.series(VAL_HEAD)
        assert list(steps_whole) == [10, 20]                    # the epoch ends
        assert {10, 20} <= set(steps_head) and len(steps_head) >= 2
    finally:
        s.stop()


def test_a_short_validation_split_is_evaluated_whole_every_time():
    lesson = build(seed=1, hidden_size=16, embed_size=16)       # 5,000 validation words
    assert len(lesson.corpus.valid) <= VAL_TOKENS
    assert set(lesson.evaluate()) == {"val_ppl", "val_loss"}
    step(lesson)
    m = lesson.evaluate()
    assert set(m) == {"val_ppl", "val_loss"} and VAL_HEAD not in m
    assert m["val_ppl"] == lesson.test_perplexity()
