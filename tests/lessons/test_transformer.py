"""Lesson transformer: it learns what a bag of words cannot, every picture gets its data, the typed sentence
drives the attention views, and bad input (empty or unknown words, a 10,000-character sentence, impossible
sizes, a layer,head the model lacks) gets a clear message with the previous state kept."""
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

from lessons.transformer.lesson import LESSON
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401 (fixture)
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import PLOT_KINDS, AttentionData
from visualizer.data.sentiment import PHENOMENA

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TINY = {"n_train": 600, "d_model": 16, "n_heads": 2, "n_layers": 1, "batch_size": 32}


def make(ctx=None, **values):
    return LESSON(LESSON.hyperparameters({**TINY, **values}), ctx)


def test_lesson_package_imports_without_torch():
    code = "import sys, lessons.transformer, lessons.transformer.lesson; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_every_plot_gets_data_of_its_kind():
    lesson = make()
    for s in range(1, 6):
        lesson.train_step(s)
    assert set(lesson.flush()) == {"train_loss", "train_acc"}
    m = lesson.evaluate()
    assert set(m) == {"val_loss", "val_acc", "bag_of_words_acc"}
    snap = lesson.snapshot()
    for spec in LESSON.plots:
        if spec.kind == "curves":
            assert set(spec.series) <= {"train_loss", "train_acc"} | set(m)
        else:
            assert isinstance(snap[spec.id], PLOT_KINDS[spec.kind]), spec.id
            assert snap[spec.id].table()[1], spec.id
    head, model = snap["head_view"], snap["model_view"]
    assert (head.mode, model.mode) == ("head", "model")
    assert head.tokens[0] == "[CLS]" and head.weights.shape == (1, 2, len(head.tokens), len(head.tokens))
    np.testing.assert_allclose(head.weights.sum(-1), 1.0, atol=1e-5)
    assert head.caption.startswith("model: ")
    np.testing.assert_allclose(snap["your_sentence"].values.sum(), 1.0, atol=1e-6)
    hl = snap["highlight"]
    assert len(hl.sentences) == 6 and all(s[0] == "[CLS]" for s in hl.sentences)
    assert {lab.split(":")[0] for lab in hl.labels} >= set(PHENOMENA)          # a review of each kind
    assert all(0.0 <= float(np.max(sc)) <= 1.0 for sc in hl.scores)


def test_learns_order_where_the_bag_of_words_fails():
    lesson = make(n_train=2000, d_model=32, n_heads=4, n_layers=2, batch_size=64, lr=2e-3)
    for s in range(1, 301):
        lesson.train_step(s)
    m = lesson.evaluate()
    assert m["bag_of_words_acc"] < 0.7
    assert m["val_acc"] > 0.9 and m["val_acc"] > m["bag_of_words_acc"] + 0.25
    table = lesson.snapshot()["phenomena"]
    rows = dict(zip(table.row_labels, table.values))
    assert rows["negation"][0] > 0.8 > rows["negation"][1]          # Transformer vs bag of words


def test_typed_sentence_drives_the_attention_and_bad_sentences_keep_the_last():
    ctx = Recorder()
    lesson = make(ctx)
    lesson.set_live("sentence", "the plot was not good")
    snap = lesson.snapshot()
    assert snap["head_view"].tokens == ["[CLS]", "the", "plot", "was", "not", "good"]
    with pytest.raises(LessonConfigError, match="at least one word"):
        lesson.set_live("sentence", "   ")
    assert lesson.snapshot()["head_view"].tokens[-1] == "good"
    lesson.set_live("sentence", "the zorblax was good")
    assert "'zorblax'" in ctx.notices[-1] and "[UNK]" in ctx.notices[-1]
    assert "[UNK]" in lesson.snapshot()["model_view"].tokens


def test_a_10000_character_sentence_is_truncated_with_a_notice():
    ctx = Recorder()
    lesson = make(ctx)
    text = ("the acting was great but the plot was dull " * 250)[:10_000]
    lesson.set_live("sentence", text)
    assert "first 127 words" in ctx.notices[-1]
    head = lesson.snapshot()["head_view"]
    assert len(head.tokens) == 128 and "cut to 128 tokens" in head.caption
    long_word = make(Recorder(), sentence="x" * 10_000)                # one unknown 10,000-letter word
    assert len(long_word.context.notices[-1]) < 300


def test_impossible_sizes_are_refused_with_a_clear_message():
    with pytest.raises(LessonConfigError, match="d_model 30 is not a multiple of the 4 heads"):
        make(d_model=30, n_heads=4)


def test_empty_sentence_at_build_falls_back_with_a_notice():
    ctx = Recorder()
    lesson = make(ctx, sentence="")
    assert any("at least one word" in n for n in ctx.notices)
    assert len(lesson.snapshot()["head_view"].tokens) > 3


def test_head_and_query_choices_from_the_view():
    lesson = make(n_layers=2)
    lesson.set_live("attention_head", "0,1")
    lesson.set_live("attention_query", "3")
    snap = lesson.snapshot()
    assert (snap["head_view"].layer, snap["head_view"].head, snap["head_view"].query_index) == (0, 1, 3)
    for bad in ("2,0", "0,5", "one,two"):
        with pytest.raises(LessonConfigError, match="layer,head"):
            lesson.set_live("attention_head", bad)
    assert lesson.snapshot()["head_view"].head == 1
    lesson.set_live("attention_query", "999")                            # past the sentence: its last token
    snap = lesson.snapshot()["head_view"]
    assert snap.query_index == len(snap.tokens) - 1


def test_probe_leaves_training_on_the_fused_path():
    from visualizer.models.transformer_torch import MultiHeadAttention

    lesson = make()
    lesson.snapshot()
    lesson.train_step(1)
    assert lesson.model.training
    assert not any(m.recording or m.last_weights is not None for m in lesson.model.modules()
                   if isinstance(m, MultiHeadAttention))


def test_positional_and_projector_views_follow_the_settings():
    lesson = make(positional="learned")
    snap = lesson.snapshot()
    assert "learned" in snap["positional"].col_title
    assert snap["positional"].values.shape[1] == 16
    assert "[PAD]" not in snap["projector"].words and "good" in snap["projector"].words
    assert isinstance(snap["head_view"], AttentionData)


def _tiny_imdb(root):
    """An aclImdb folder with 4 reviews per class and split, plus one file that is not UTF-8 text."""
    words = {"pos": "a great film , the acting was wonderful and the story was great <br /><br /> loved it",
             "neg": "a dull film , the acting was awful and the story was dull <br /> hated it"}
    for split in ("train", "test"):
        for name, text in words.items():
            folder = root / "aclImdb" / split / name
            folder.mkdir(parents=True)
            for i in range(4):
                (folder / f"{i}_{8 if name == 'pos' else 2}.txt").write_text(f"{text} review {i}", encoding="utf-8")
    (root / "aclImdb" / "train" / "neg" / "9_1.txt").write_bytes(b"caf\xe9 awful \xff\xfe")
    return root / "aclImdb"


def test_imdb_folder_trains_and_names_the_skipped_file(tmp_path):
    ctx = Recorder()
    lesson = make(ctx, dataset="imdb_folder", imdb_folder=str(_tiny_imdb(tmp_path)))
    assert lesson.data.max_len == 256 and len(lesson.data.y_train) == 8 and len(lesson.data.y_val) == 8
    assert "wonderful" in lesson.data.vocab.stoi and "<br" not in " ".join(lesson.data.vocab.itos)
    assert any("train/neg/9_1.txt" in n and "not UTF-8" in n for n in ctx.notices), ctx.notices
    for s in range(1, 4):
        lesson.train_step(s)
    m = lesson.evaluate()
    assert np.isfinite(m["val_loss"]) and 0.0 <= m["bag_of_words_acc"] <= 1.0
    table = lesson.snapshot()["phenomena"]
    assert list(table.row_labels) == ["all"] and table.row_title == "IMDb has no phenomena tags"


def test_imdb_folder_missing_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(LessonConfigError, match="Choose the IMDb folder"):
        make(dataset="imdb_folder")
    with pytest.raises(LessonConfigError, match="not an IMDb folder"):
        make(dataset="imdb_folder", imdb_folder=str(tmp_path))


def test_imdb_download_offline_falls_back_to_the_generated_reviews(monkeypatch):
    from visualizer.data import imdb
    from visualizer.data.download import DownloadError

    def offline(progress=None):
        raise DownloadError("no network", "offline")
    monkeypatch.setattr(imdb, "fetch_imdb", offline)
    ctx = Recorder()
    lesson = make(ctx, dataset="imdb")
    assert lesson.data.max_len == 128 and lesson.data.tagged and len(lesson.data.y_train) == TINY["n_train"]
    assert any("IMDb" in n and "offline" in n and "aclImdb_v1.tar.gz" in n and "imdb" in n for n in ctx.notices)
    assert ctx.substitutions == [("dataset", "the generated reviews")]
