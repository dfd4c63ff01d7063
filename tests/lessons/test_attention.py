"""Lesson attention: the heatmaps (rows sum to 1, characters as labels), the typed date, bad files,
engines in lockstep, learning on a tiny task."""
import itertools

import numpy as np
import pytest

from lessons.attention.lesson import LESSON
from lessons.attention.lesson import SPACE
from visualizer.core.lesson import LessonConfigError

torch = pytest.importorskip("torch")


def make(**values):
    values = {"examples": 1000, "hidden_size": 16, "test_examples": 50, **values}
    return LESSON(LESSON.hyperparameters(values))


def test_attention_maps_have_characters_as_labels_and_rows_summing_to_one():
    lesson = make()
    for step in range(1, 4):
        lesson.train_step(step)
    snap = lesson.snapshot()
    m = snap["attention"]
    assert m.values.shape == (10, 29)
    np.testing.assert_allclose(m.values.sum(axis=1), 1.0, atol=1e-5)
    assert (m.values >= 0).all()
    question = lesson.decode(lesson.x_test[:1])[0].ljust(29)
    assert "".join(m.col_labels) == question.replace(" ", SPACE)
    assert len(m.row_labels) == 10 and m.col_title.startswith(f"input: {question.rstrip()}  →  ")
    yours = snap["your_attention"]
    assert yours.col_title.startswith("input: Tuesday, September 27, 1994  →  ")
    assert yours.col_title.endswith("".join(yours.row_labels).replace(SPACE, " ").rstrip())
    np.testing.assert_allclose(yours.values.sum(axis=1), 1.0, atol=1e-5)


def test_heatmap_is_in_reading_order_when_the_input_is_reversed():
    a, b = make(reverse_input=True), make(reverse_input=False)
    for lesson in (a, b):
        lesson.snapshot()
    ids = a.x_test[:3]
    a.trainer.generate(ids, a.start_id, a.answer_length)
    w = a.trainer.attention_weights                         # (3, 10, 29) in reading order
    raw = a.trainer.model.decoder.attention_weights         # in the encoder's (reversed) order
    np.testing.assert_array_equal(w, raw[:, :, ::-1])


def test_engines_in_lockstep_and_their_attention_agrees():
    a, b = make(engine="numpy", seed=4), make(engine="torch", seed=4)
    for step in range(1, 4):
        a.train_step(step)
        b.train_step(step)
        assert a.flush()["train_loss"] == pytest.approx(b.flush()["train_loss"], abs=1e-5)
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert ga.keys() == gb.keys()
    for k in ga:
        assert np.abs(ga[k] - gb[k]).max() <= 1e-4 * (np.abs(ga[k]).max() + 1e-8), k
    np.testing.assert_allclose(a.snapshot()["attention"].values, b.snapshot()["attention"].values, atol=1e-5)


def test_typed_date_is_translated_and_unknown_characters_are_refused():
    lesson = make()
    lesson.set_live("your_date", "9/27/94")
    first = lesson.snapshot()["your_attention"]
    assert first.col_title.startswith("input: 9/27/94  →") and first.values.shape == (10, 29)
    with pytest.raises(LessonConfigError, match=r"'\.'"):
        lesson.set_live("your_date", "27.09.1994")
    assert lesson.hp["your_date"] == "9/27/94"              # the previous input is kept
    assert lesson.snapshot()["your_attention"].col_title.startswith("input: 9/27/94  →")
    with pytest.raises(LessonConfigError, match="at most 29"):
        lesson.set_live("your_date", "Wednesday, September 27, 1994!!")
    lesson.set_live("example", 7)
    assert lesson.snapshot()["attention"].col_title.startswith(
        "input: " + lesson.decode(lesson.x_test[7:8])[0])
    with pytest.raises(LessonConfigError, match="test questions"):
        lesson.set_live("example", 4000)                    # 1,000 examples -> 100 test questions
    assert lesson.hp["example"] == 7


def test_a_task_whose_characters_do_not_fit_the_default_date_still_builds(tmp_path):
    lines = ["".join(w) + "_" + "".join(reversed(w)) for w in itertools.product("abcd", repeat=3)]
    (tmp_path / "rev.txt").write_text("\n".join(lines) + "\n")
    notices = []

    class Ctx:
        def progress(self, *a):
            pass

        def notice(self, msg):
            notices.append(msg)

    lesson = LESSON(LESSON.hyperparameters({"task_file": str(tmp_path / "rev.txt"), "hidden_size": 16}), Ctx())
    assert notices and "at most 3" in notices[0] and "first test question" in notices[0]
    assert lesson.snapshot()["your_attention"].values.shape == (3, 3)


def test_attention_learns_a_tiny_task(tmp_path):
    lines = ["".join(w) + "_" + "".join(reversed(w)) for w in itertools.product("abcde", repeat=4)]
    (tmp_path / "rev.txt").write_text("\n".join(lines) + "\n")
    lesson = make(task_file=str(tmp_path / "rev.txt"), hidden_size=32, lr=0.01, batch_size=32,
                  reverse_input=False)
    assert lesson.evaluate()["val_acc"] < 0.2
    for step in range(1, 301):
        lesson.train_step(step)
    assert lesson.evaluate()["val_acc"] > 0.6
    # Writing a word backwards, output character t looks mostly at input character 3 − t.
    w = lesson.snapshot()["attention"].values
    assert (w.argmax(axis=1) == np.array([3, 2, 1, 0])).mean() >= 0.75


@pytest.mark.parametrize("text, expected", [
    ("9/27/94 _1994-09-27\n9/27/1994_1994-09-27\n", "line 2"),
    ("9/27/94 _1994-09-27\n9/27/94  1994-09-27\n", "line 2 .*no '_'"),
    ("", "no examples"),
])
def test_bad_files_are_config_errors(tmp_path, text, expected):
    (tmp_path / "bad.txt").write_text(text)
    with pytest.raises(LessonConfigError, match=expected):
        make(task_file=str(tmp_path / "bad.txt"))


def test_lesson_declares_the_book_and_a_narrative():
    assert LESSON.info.track == "Sequences & language" and LESSON.info.order == 50
    assert 5 <= len(LESSON.narrative) <= 7
    assert LESSON.supports_engine_comparison()
    assert all(spec.tooltip for spec in LESSON.params) and all(p.tooltip for p in LESSON.plots)
