"""Lesson gpt: a tiny character-level GPT on the shipped book builds, trains, evaluates in nats per character,
keeps samples at its milestones, draws causal attention and next-character bars for the prompt, and handles bad
input (empty prompt, 10,000 characters, unknown characters, temperature 0, top-k bounds, a bad head) with a
message and nothing lost."""
import math
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.gpt.data import read_prompt
from lessons.gpt.lesson import LESSON
from lessons.gpt.probe import pieces
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401
from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import HyperparameterError
from visualizer.core.plotdata import AttentionData, BarsData, TextData

TINY = {"n_layers": 1, "n_heads": 2, "d_model": 16, "block_size": 32, "batch_size": 4, "sample_chars": 20}


class Keyed(Recorder):
    """Also records keyed notices as the window shows them: key -> message, withdrawn by clear_notice."""

    def __init__(self):
        super().__init__()
        self.keyed = {}

    def keyed_notice(self, key, message):
        self.keyed[key] = message

    def clear_notice(self, key):
        self.keyed.pop(key, None)


def make(ctx=None, **values):
    return LESSON(LESSON.hyperparameters(TINY | values), ctx)


@pytest.fixture
def lesson(one_torch_thread):
    les = make(Keyed())
    yield les
    les.close()


def test_lesson_package_imports_without_torch():
    code = "import sys, lessons.gpt; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_training_lowers_the_validation_loss_from_uniform(lesson):
    v = lesson.text.vocab_size
    first = lesson.evaluate()["val_loss"]
    assert abs(first - math.log(v)) < 0.3                                    # about ln 71 nats/char untrained
    lesson.hp.set("lr", 1e-2)
    lesson.set_live("lr", 1e-2)
    for step in range(1, 81):
        lesson.train_step(step)
    m = lesson.flush()
    assert math.isfinite(m["train_loss"])
    assert lesson.evaluate()["val_loss"] < first - 0.8


def test_snapshot_views(lesson):
    lesson.train_step(1)
    snap = lesson.snapshot()
    att = snap["attention"]
    assert isinstance(att, AttentionData) and att.causal and att.mode == "model"
    assert att.weights.shape == (1, 2, len("And Jesus said unto them"), len("And Jesus said unto them"))
    assert np.triu(att.weights, 1).max() == 0.0                              # the causal mask: nothing above
    assert att.tokens[3] == "␣" and att.query_index == len(att.tokens) - 1
    bars = snap["next_char"]
    assert isinstance(bars, BarsData) and len(bars.labels) == 15 and np.all(np.diff(bars.values) <= 0)
    sample = snap["samples"]
    assert isinstance(sample, TextData) and sample.separator == ""
    assert sample.text().startswith("And Jesus said unto them") and len(sample.text()) >= 24 + 15
    assert "step 0 (untrained)" in snap["history"].text()


def test_samples_are_kept_at_the_milestones(lesson):
    for step in range(1, 101):
        lesson.train_step(step)
    steps = [h[0] for h in lesson.history]
    assert steps == [0, 100] and lesson.history[1][1] is not None
    text = lesson.snapshot()["history"].text()
    assert "step 100, val" in text and "nats/char" in text
    assert text.index("step 100") < text.index("step 0 (untrained)")          # newest first


def test_pieces_keep_the_text_exactly():
    s = "And he said,\nFollow me.  \n\nAmen"
    td = TextData(pieces("And "), pieces(s[4:]), separator="")
    assert td.text() == s.strip()
    assert TextData(["a", "b"], ["c"]).text() == "a b c"                     # the word-level default is unchanged


def test_empty_prompt_samples_from_a_line_break(lesson):
    lesson.set_live("prompt", "")
    assert lesson.prompt.text == "\n" and "prompt" not in lesson.context.keyed
    assert lesson.snapshot()["attention"].tokens == ["⏎"]
    assert lesson.snapshot()["samples"].text()


def test_a_prompt_of_10000_characters_keeps_the_last_block(lesson):
    long = ("And he said unto them, " * 500)[:10_000]
    lesson.set_live("prompt", long)
    assert lesson.hp["prompt"] == long.strip()                              # the typed text is kept
    assert lesson.prompt.text == long.strip()[-32:]
    assert "10,000 characters" in lesson.context.keyed["prompt"] and "last 32" in lesson.context.keyed["prompt"]
    assert len(lesson.snapshot()["attention"].tokens) == 32
    lesson.set_live("prompt", "Amen")
    assert "prompt" not in lesson.context.keyed                            # the notice goes when it no longer holds


def test_unknown_characters_are_dropped_and_named(lesson):
    lesson.set_live("prompt", "Jésus {said} €")
    note = lesson.context.keyed["prompt"]
    assert "'é'" in note and "'{'" in note and "'€'" in note
    assert lesson.prompt.text == "Jsus said "
    lesson.set_live("prompt", "ééé")
    assert lesson.prompt.text == "\n" and "line break" in lesson.context.keyed["prompt"]


def test_temperature_zero_is_greedy_and_top_k_bounds(lesson):
    for step in range(1, 21):
        lesson.train_step(step)
    lesson.set_live("temperature", 0.0)
    bars = lesson.snapshot()["next_char"]
    assert bars.values[0] == 1.0 and np.all(bars.values[1:] == 0.0)
    greedy = lesson.snapshot()["samples"].text()
    lesson.set_live("temperature", 1.0)
    lesson.set_live("top_k", 1)
    assert lesson.snapshot()["samples"].text() == greedy                    # top-1 sampling is greedy
    lesson.set_live("top_k", 100)                                           # more than the 71 characters: all
    assert np.isclose(lesson._probe().probs.sum(), 1.0) and np.all(lesson._probe().probs > 0)
    lesson.set_live("top_k", 3)
    assert np.count_nonzero(lesson._probe().probs) == 3
    with pytest.raises(HyperparameterError, match="Top-k"):
        lesson.hyperparameters(TINY | {"top_k": -1})


def test_bad_attention_head_or_query_keeps_the_previous(lesson):
    lesson.set_live("attention_head", "0,1")                                # as the attention view sends it
    assert lesson.head == (0, 1)
    for bad in ("1,0", "0,2", "x", "0,-2", "0,1,2"):
        with pytest.raises(LessonConfigError):
            lesson.set_live("attention_head", bad)
    assert lesson.head == (0, 1) and lesson.hp["attention_head"] == "0,1"
    lesson.set_live("attention_mode", "head")
    lesson.set_live("attention_head", "0,all")
    assert lesson.snapshot()["attention"].head == -1
    with pytest.raises(LessonConfigError):
        lesson.set_live("attention_query", "two")
    lesson.set_live("attention_mode", "neuron")
    lesson.set_live("attention_query", "2")
    att = lesson.snapshot()["attention"]
    assert att.mode == "neuron" and att.query_index == 2 and att.queries.shape == (len(att.tokens), 8)


def test_d_model_not_a_multiple_of_the_heads_is_refused(one_torch_thread):
    with pytest.raises(LessonConfigError, match="multiple"):
        make(n_heads=3, d_model=16)


def test_read_prompt_drops_unknown_then_crops():
    from visualizer.data.tokenize import CharVocab
    p = read_prompt("abcxyz" * 3, CharVocab.build("abcdefghij\n"), 4)
    assert p.text == "cabc" and p.ids.tolist() == [3, 1, 2, 3]
    assert "'x', 'y', 'z'" in p.notes[0] and "last 4" in p.notes[1]


# ---- the student's own text file (text=file) ------------------------------------------------------------------
PROSE = ("Le cœur a ses raisons que la raison ne connaît point. Déjà l'été s'achève; über die Brücke gehen wir "
         "müde nach Hause, et nous écrivons encore une fois à notre frère.\n")


def from_file(tmp_path, data: bytes, ctx=None, **values):
    path = tmp_path / "mine.txt"
    path.write_bytes(data)
    return make(ctx, text="file", text_path=str(path), **values)


def test_a_windows_1252_file_trains_and_the_notice_names_its_encoding(tmp_path, one_torch_thread):
    text = PROSE * 8
    ctx = Keyed()
    les = from_file(tmp_path, text.encode("cp1252"), ctx)                   # œ is 0x9c, only in Windows-1252
    try:
        assert {"é", "ü", "î", "œ"} <= set(les.text.chars) and les.text.vocab_size == len(set(text))
        assert les.text.name == "mine.txt" and len(les.text.val) == round(0.1 * len(text))
        assert les.text.vocab.decode(les.text.val) == text[-len(les.text.val):]      # the last 10% held out
        assert any("Windows-1252" in n and "not UTF-8" in n for n in ctx.notices), ctx.notices
        for step in range(1, 4):
            les.train_step(step)
        assert math.isfinite(les.flush()["train_loss"]) and math.isfinite(les.evaluate()["val_loss"])
        assert "Jesus" not in les.snapshot()["attention"].tokens                # prompt letters outside the text
    finally:
        les.close()


def test_a_utf8_file_with_a_bom_is_read_without_a_notice_of_encoding(tmp_path, one_torch_thread):
    ctx = Keyed()
    les = from_file(tmp_path, b"\xef\xbb\xbf" + (PROSE * 8).encode("utf-8"), ctx)
    try:
        assert "\ufeff" not in les.text.chars and "œ" in les.text.chars
        assert ctx.notices and not any("encoding" in n or "UTF" in n for n in ctx.notices), ctx.notices
        les.train_step(1)
        assert math.isfinite(les.flush()["train_loss"])
    finally:
        les.close()


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"  \n\n  ", "is empty"),
    (bytes(range(256)) * 8, "not a text file"),
    ((PROSE * 2).encode(), "needs at least 660"),            # 20 blocks of 32 + 1
], ids=["empty", "white-space", "binary", "too-short"])
def test_an_empty_binary_or_short_file_is_refused_clearly(tmp_path, one_torch_thread, data, message):
    with pytest.raises(LessonConfigError, match=message):
        from_file(tmp_path, data)


def test_file_without_a_path_or_a_missing_file_is_refused(tmp_path, one_torch_thread):
    with pytest.raises(LessonConfigError, match="no file is chosen"):
        make(text="file")
    with pytest.raises(LessonConfigError, match="does not exist"):
        make(text="file", text_path=str(tmp_path / "gone.txt"))


def test_live_sample_follows_early_training_closely(lesson):
    """The live sample is regenerated at steps 1, 2, 4, 8, 16, ... (early text changes fast), then every
    GEN_EVERY steps; in between the cached one is shown with the step it came from."""
    seen = set()
    for step in range(1, 21):
        lesson.train_step(step)
        seen.add(lesson.snapshot()["samples"].step)
    assert seen == {1, 2, 4, 8, 16}
