"""Lesson seq2seq: models on both engines, variants, the predictions table, bad task files, learning."""
import itertools

import numpy as np
import pytest

from lessons.seq2seq.lesson import LESSON
from visualizer.models.encoder_decoder import init_weights
from visualizer.models.seq2seq_trainer import build_trainer
from visualizer.data.seq_tasks import generate_addition, generate_dates, parse_seq_lines
from visualizer.core.lesson import LessonConfigError

torch = pytest.importorskip("torch")


def make(**values):
    return LESSON(LESSON.hyperparameters(values))


def reverse_task(path, letters="abcde", length=3):
    """A tiny task: write the word backwards (125 examples), in the book's format."""
    lines = ["".join(w) + "_" + "".join(reversed(w)) for w in itertools.product(letters, repeat=length)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("kind, gen", [("seq2seq", generate_addition), ("peeky", generate_addition),
                                       ("attention", generate_dates)])
def test_engines_give_the_same_losses_gradients_and_answers(kind, gen):
    x, t, c2i, _ = parse_seq_lines(gen(400, 1))
    a = build_trainer("numpy", kind, len(c2i), 8, 24, seed=5, reverse_input=True)
    b = build_trainer("torch", kind, len(c2i), 8, 24, seed=5, reverse_input=True)
    rng = np.random.default_rng(0)
    for step in range(1, 5):
        idx = rng.integers(0, 400, 32)
        a.step((x[idx], t[idx]), step)
        b.step((x[idx], t[idx]), step)
        assert a.flush()["train_loss"] == pytest.approx(b.flush()["train_loss"], abs=1e-5)
        ga, gb = a.gradient_arrays(), b.gradient_arrays()
        assert list(ga) == list(gb)
        for name in ga:
            assert ga[name].shape == gb[name].shape
            scale = np.abs(ga[name]).max() + 1e-8
            assert np.abs(ga[name] - gb[name]).max() / scale < 1e-4, name
    sb = {n: p.detach().numpy() for n, p in b.model.named_scratch_params().items()}
    for name, wa in a.params.items():
        wb = sb[name].T if name.endswith((".Wx", ".Wh")) else sb[name]
        np.testing.assert_allclose(wa, wb, atol=1e-5)
    # greedy answers: the argmax of float32 scores that the two engines compute to within about 1e-5 (the
    # weights above agree to that).  Where a question's two best characters score closer than that (here the
    # attention model has one gap of 1.2e-5 among its 64 × 4 choices) the engines may pick differently, and the
    # rest of that answer follows; other BLAS kernels or thread counts move such near-ties.  So all but 2 of
    # the 64 answers must be the same.
    same = (a.generate(x[:64], c2i["_"], 4) == b.generate(x[:64], c2i["_"], 4)).all(axis=1)
    assert same.sum() >= 62, f"{64 - same.sum()} of 64 answers differ between the engines"


def test_initial_weights_have_the_books_shapes():
    w = init_weights("peeky", 13, 16, 128, seed=0)
    assert w["decoder.lstm.Wx"].shape == (128 + 16, 512) and w["decoder.affine.W"].shape == (256, 13)
    assert w["encoder.embed.W"].dtype == np.float32 and w["encoder.lstm.b"].sum() == 0
    w2 = init_weights("seq2seq", 13, 16, 128, seed=0)
    assert w2["decoder.lstm.Wx"].shape == (16, 512) and w2["decoder.affine.W"].shape == (128, 13)


def test_generation_is_batched_and_equals_one_by_one():
    x, t, c2i, _ = parse_seq_lines(generate_addition(200, 2))
    tr = build_trainer("numpy", "peeky", len(c2i), 8, 16, seed=1, reverse_input=True)
    for step in range(1, 6):
        tr.step((x[:64], t[:64]), step)
    batch = tr.generate(x[:10], c2i["_"], 4)
    single = np.concatenate([tr.generate(x[i:i + 1], c2i["_"], 4) for i in range(10)])
    # a (10, H) and a (1, H) product may round differently in the last bit, but here the two best scores
    # of every choice lie at least 1e-2 apart: the characters are the same
    np.testing.assert_array_equal(batch, single)


def test_variants_build_different_models_and_curves():
    losses = {}
    for variant in ("baseline", "reversed", "peeky", "peeky+reversed"):
        lesson = make(variant=variant, examples=1000, hidden_size=16, seed=3)
        losses[variant] = []
        for step in range(1, 4):
            lesson.train_step(step)
            losses[variant].append(lesson.flush()["train_loss"])
    # Same seed, same batches: reversing changes what the encoder reads, peeky adds weights.
    assert losses["baseline"][0] != losses["reversed"][0]
    assert losses["baseline"][0] != losses["peeky"][0]
    assert losses["peeky"][1] != losses["peeky+reversed"][1]
    assert make(variant="peeky", examples=1000, hidden_size=16).trainer.model.decoder.lstm.params[0].shape == (32, 64)


def test_accuracy_rises_on_a_tiny_task(tmp_path):
    lesson = make(task_file=str(reverse_task(tmp_path / "rev.txt")), variant="peeky+reversed", hidden_size=64,
                  batch_size=32, lr=0.01, test_examples=50)
    assert lesson.evaluate()["val_acc"] < 0.2
    for step in range(1, 251):
        lesson.train_step(step)
        loss = lesson.flush()["train_loss"]
    assert loss < 0.3
    assert lesson.evaluate()["val_acc"] > 0.6


def test_predictions_table_marks_right_and_wrong(tmp_path):
    lesson = make(examples=1000, hidden_size=16)
    lesson.sample_count = 5
    data = lesson.snapshot()["predictions"]
    assert len(data.questions) == 5
    truth = [a.rstrip() for a in lesson.decode(lesson.t_test[:5, 1:])]
    assert list(data.answers) == truth
    assert list(data.correct) == [p == a for p, a in zip(data.predictions, data.answers)]
    for q, a in zip(data.questions, data.answers):
        x, y = q.split("+")
        assert int(x) + int(y) == int(a)
    # Force one prediction right and one wrong: the flags follow the whole-answer match.
    pred = lesson.t_test[:5, 1:].copy()
    pred[1, 0] = (pred[1, 0] + 1) % len(lesson.char_to_id)
    lesson._eval = (lesson.last_step, min(lesson.hp["test_examples"], len(lesson.x_test)),
                    np.concatenate([pred, lesson._test_predictions()[5:]]))
    data = lesson.snapshot()["predictions"]
    assert data.correct[0] and not data.correct[1]
    header, rows = data.table()
    assert header == ["question", "answer", "prediction", "correct"] and rows[1][3] is False


@pytest.mark.parametrize("text, expected", [
    ("12+3 _15 \n1+2 _3  \n", "line 2"),
    ("12+3 _15 \n12+3  15 \n", "line 2 .*no '_'"),
    ("", "no examples"),
])
def test_bad_task_files_are_config_errors_naming_the_line(tmp_path, text, expected):
    (tmp_path / "bad.txt").write_text(text)
    with pytest.raises(LessonConfigError, match=expected):
        make(task_file=str(tmp_path / "bad.txt"))


def test_too_small_file_and_missing_file(tmp_path):
    (tmp_path / "few.txt").write_text("1+1_2\n" * 5)
    with pytest.raises(LessonConfigError, match="too few"):
        make(task_file=str(tmp_path / "few.txt"))
    with pytest.raises(LessonConfigError, match="does not exist"):
        make(task_file=str(tmp_path / "missing.txt"))


def _grad_norm(lesson):
    return np.sqrt(sum(float((g ** 2).sum()) for g in lesson.gradient_arrays().values()))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_live_settings_checkpoint_and_gradients(engine):
    lesson = make(examples=1000, hidden_size=16, engine=engine)
    lesson.train_step(1)
    lesson.set_live("lr", 0.01)
    lr = (lesson.trainer.optimizer.lr if engine == "numpy"
          else lesson.trainer.optimizers["adam"].param_groups[0]["lr"])
    assert lr == 0.01
    lesson.set_live("max_grad", 1e-3)                     # far below the gradient's norm: clipping binds
    lesson.train_step(2)
    grads = lesson.gradient_arrays()
    assert all(g.dtype == np.float64 for g in grads.values()) and "decoder.affine.W" in grads
    assert _grad_norm(lesson) == pytest.approx(1e-3, rel=1e-3)    # clipped to the live max_grad
    lesson.set_live("max_grad", 0.0)                      # off
    lesson.train_step(3)
    assert _grad_norm(lesson) > 1e-2
    state = lesson.checkpoint_state()
    other = make(examples=1000, hidden_size=16, seed=9, engine=engine)
    other.load_checkpoint_state(state)
    for name, value in other.checkpoint_state().items():
        np.testing.assert_array_equal(value, state[name])
    # the same next steps from the same weights and optimizer state (moments, step count) and settings
    other.set_live("lr", 0.01)
    other.set_live("max_grad", 0.0)
    lesson.flush()
    for step in (4, 5):
        batch = lesson.next_batch()
        for les in (lesson, other):
            les.trainer.step(batch, step)
        assert lesson.flush()["train_loss"] == other.flush()["train_loss"]
    with pytest.raises(LessonConfigError, match="other layer sizes"):
        make(examples=1000, hidden_size=32, engine=engine).load_checkpoint_state(state)
    bad = dict(state)
    bad[next(iter(bad))] = np.full_like(bad[next(iter(bad))], np.nan)
    with pytest.raises(LessonConfigError, match="NaN"):
        other.load_checkpoint_state(bad)


def test_lesson_declares_the_book_and_a_narrative():
    assert LESSON.info.track == "Sequences & language" and LESSON.info.order == 40
    assert 5 <= len(LESSON.narrative) <= 7
    assert LESSON.supports_engine_comparison()
    assert all(spec.tooltip for spec in LESSON.params) and all(p.tooltip for p in LESSON.plots)


def test_adam_follows_the_books_rule():
    """The book's Adam (common/optimizer.py): w -= lr √(1−β2^t)/(1−β1^t) · m / (√v + 1e-7)."""
    from visualizer.scratch.book_adam import BookAdam
    rng = np.random.default_rng(3)
    w = rng.standard_normal(50).astype(np.float32)
    w0, g = w.copy(), np.zeros_like(w)
    opt = BookAdam([w], [g], lr=1e-3)
    ref, m, v = w.astype(np.float64), np.zeros(50), np.zeros(50)
    for t in range(1, 30):
        g[...] = rng.standard_normal(50) * np.logspace(-9, -1, 50)     # tiny gradients: where ε matters
        opt.step()
        m += 0.1 * (g - m)
        v += 0.001 * (g.astype(np.float64) ** 2 - v)
        ref -= 1e-3 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w, ref, atol=1e-6, rtol=0)
    # the PyTorch-style ε (1e-8 added to the bias-corrected √v) moves the tiny-gradient weights much further
    from visualizer.scratch.optimizers import Adam
    w2, g2 = w0.copy(), np.zeros_like(w0)
    plain = Adam([w2], [g2], lr=1e-3)
    rng = np.random.default_rng(3)
    rng.standard_normal(50)
    for t in range(1, 30):
        g2[...] = rng.standard_normal(50) * np.logspace(-9, -1, 50)
        plain.step()
    assert np.abs(w2 - w0)[:10].mean() > 10 * np.abs(w - w0)[:10].mean()
