"""Lesson ``bert``: masked-LM pretraining learns, fine-tuning twins start where they should and read the same
batches, every view's data, the student's bad input (empty, no [MASK], unknown words, 10,000 characters), and a
checkpoint saved while fine-tuning."""
import numpy as np
import pytest

from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401
from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import AttentionData, BarsData, MatrixData

pytest.importorskip("torch")

TINY = {"layers": 1, "hidden": "64", "heads": 2, "max_len": 24, "n_unlabelled": 300, "n_labelled": 40,
        "batch_size": 16, "pretrain_steps": 5, "lr": 3e-3}


def build(ctx=None, **kw):
    from lessons.bert.lesson import BertLesson
    return BertLesson(BertLesson.hyperparameters({**TINY, **kw}), ctx or Recorder())


def run(lesson, first, last):
    for step in range(first, last + 1):
        lesson.train_step(step)
    return lesson.flush()


def test_masked_lm_learns(one_torch_thread):
    lesson = build(pretrain_steps=100)
    before = lesson.evaluate()
    m = run(lesson, 1, 60)
    after = lesson.evaluate()
    assert set(m) == {"mlm_loss", "mlm_acc"}
    assert after["val_mlm_loss"] < before["val_mlm_loss"] - 0.5
    assert after["val_mlm_acc"] > before["val_mlm_acc"] + 0.03
    assert not lesson.finetuning


def test_mlm_mask_follows_bert_80_10_10(one_torch_thread):
    import torch

    from visualizer.models.bert_torch import mlm_mask
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 1000, (400, 50), generator=g)
    ids[:, 0], ids[:, 40:] = 2, 0                                   # [CLS] ... padding
    inputs, pos, labels, valid = mlm_mask(ids, ids >= 5, mask_id=4, vocab_size=1000, generator=g, random_low=5)
    assert valid.sum(1).eq(6).all()                                 # round(0.15 * 39) words of each row
    picked = pos[valid]
    assert (picked >= 1).all() and (picked < 40).all()              # never [CLS] or padding
    new = inputs.gather(1, pos)[valid]
    share_mask = (new == 4).float().mean().item()
    share_kept = (new == labels[valid]).float().mean().item()
    assert 0.76 < share_mask < 0.84 and 0.07 < share_kept < 0.14
    untouched = torch.ones_like(ids, dtype=torch.bool).scatter(1, pos, ~valid)
    assert torch.equal(inputs[untouched], ids[untouched])


def test_finetuning_twins_start_from_pretrained_and_initial_weights(one_torch_thread):
    lesson = build()
    m = lesson.trainer.modules
    initial = {k: v.clone() for k, v in m["pre"].bert.state_dict().items()}
    run(lesson, 1, 5)
    assert not lesson.finetuning
    metrics = run(lesson, 6, 6)
    assert lesson.finetuning and set(metrics) == {"ft_loss_pretrained", "ft_acc_pretrained", "ft_loss_scratch",
                                                  "ft_acc_scratch"}
    pre = m["pre"].bert.state_dict()
    # the pretrained twin moved one step away from the MLM encoder; the scratch twin from the initial weights
    d_pre = max((m["pretrained"].bert.state_dict()[k] - pre[k]).abs().max().item() for k in pre)
    d_init = max((m["scratch"].bert.state_dict()[k] - initial[k]).abs().max().item() for k in initial)
    d_cross = max((m["scratch"].bert.state_dict()[k] - pre[k]).abs().max().item() for k in pre)
    assert d_pre < 1e-3 and d_init < 1e-3 and d_cross > 5e-3          # AdamW moves a weight about lr per step
    assert m["pretrained"].classifier.weight.grad is not None
    out = lesson.evaluate()
    assert "val_mlm_acc" not in out                                 # the MLM model no longer trains
    assert 0.0 <= out["val_acc_pretrained"] <= 1.0 and 0.0 <= out["val_acc_scratch"] <= 1.0
    with pytest.raises(LessonConfigError, match="Fine-tuning has already begun"):
        lesson.set_live("pretrain_steps", 50)


def test_views(one_torch_thread):
    lesson = build()
    run(lesson, 1, 3)
    snap = lesson.snapshot()
    bars, att, ctx = snap["mlm_topk"], snap["attention"], snap["contextual"]
    assert isinstance(bars, BarsData) and len(bars.labels) == 8 and np.all(np.diff(bars.values) <= 0)
    assert "[MASK]" not in bars.labels and "[PAD]" not in bars.labels
    assert isinstance(att, AttentionData) and att.weights.shape == (1, 2, len(att.tokens), len(att.tokens))
    np.testing.assert_allclose(att.weights.sum(-1), 1.0, atol=1e-5)
    assert att.tokens[0] == "[CLS]" and "[MASK]" in att.tokens
    assert isinstance(ctx, MatrixData) and ctx.values.shape == (5, 5)
    np.testing.assert_allclose(np.diag(ctx.values), 1.0, atol=1e-5)
    lesson.set_live("attention_mode", "neuron")
    lesson.set_live("attention_head", "0,1")
    lesson.set_live("attention_query", "3")
    att = lesson.snapshot()["attention"]
    assert att.mode == "neuron" and att.head == 1 and att.query_index == 3 and att.queries.shape == (len(att.tokens), 32)
    with pytest.raises(LessonConfigError, match="layers 0-0"):
        lesson.set_live("attention_head", "3,0")
    with pytest.raises(LessonConfigError, match="layer,head"):
        lesson.set_live("attention_head", "first")
    with pytest.raises(LessonConfigError, match="not in the model's vocabulary"):
        lesson.set_live("context_word", "zyzzyva")
    with pytest.raises(LessonConfigError, match="Fewer than two"):
        lesson.set_live("context_sentences", "the plot was good | the acting was bad")
    assert lesson.hp["context_sentences"].count("|") == 4          # the previous settings stay


def test_bad_sentences_keep_the_previous_one(one_torch_thread):
    ctx = Recorder()
    lesson = build(ctx)
    good = lesson.sentence
    for text, match in (("", "empty"), ("   ", "empty"), ("the plot was good", r"no \[MASK\]: put \[MASK\] in place")):
        with pytest.raises(LessonConfigError, match=match):
            lesson.set_live("sentence", text)
        assert lesson.sentence is good and lesson.hp["sentence"] != text
    lesson.set_live("sentence", "the qwertyuiop was [MASK]")
    assert lesson.sentence.tokens == ["[CLS]", "the", "[UNK]", "was", "[MASK]", "[SEP]"]
    assert "qwertyuiop" in ctx.notices[-1] and "[UNK]" in ctx.notices[-1]
    long = "the plot was [MASK] " + "and the acting was good " * 420          # about 10,000 characters
    assert len(long) > 10_000
    lesson.set_live("sentence", long)
    assert len(lesson.sentence.tokens) == 24 and "first 22 tokens" in ctx.notices[-1]
    assert lesson.snapshot()["mlm_topk"].values.size == 8
    with pytest.raises(LessonConfigError, match="within the first 22 tokens"):
        lesson.set_live("sentence", "good " * 3000 + "[MASK]")
    with pytest.raises(LessonConfigError, match="no \\[MASK\\]"):
        build(sentence="no mask here")


def test_checkpoint_saved_while_finetuning_resumes_finetuning(one_torch_thread):
    lesson = build()
    run(lesson, 1, 7)
    state = lesson.checkpoint_state()
    fresh = build()
    fresh.load_checkpoint_state(state)
    assert fresh.finetuning and fresh.trainer.phases is fresh.ft_phases
    fresh.train_step(8)                               # goes on fine-tuning: no copy of the encoder
    assert set(fresh.flush()) >= {"ft_loss_pretrained"}
    early = build()
    run(early, 1, 2)
    fresh.load_checkpoint_state(early.checkpoint_state())
    assert not fresh.finetuning


def test_hidden_size_must_fit_the_heads(one_torch_thread):
    with pytest.raises(LessonConfigError, match="multiple of the 3 attention heads"):
        build(heads=3)


def offline(*args, **kw):
    from visualizer.data.download import DownloadError
    raise DownloadError("Could not download BERT-base config.json: no network", "no network")


@pytest.fixture
def tiny_published_bert(tmp_path):
    """A tiny BERT in the published format (transformers' BertForPreTraining, test only) with a WordPiece
    vocab.txt of the reviews' words, as fetch_bert_base would return it."""
    transformers = pytest.importorskip("transformers")
    from visualizer.data.bert_weights import BertFiles
    from visualizer.data.sentiment import generate_sentiment
    from visualizer.data.tokenize import SPECIAL_TOKENS, word_split
    words = sorted({w for t in generate_sentiment(300, seed=1).texts for w in word_split(t)})
    itos = list(SPECIAL_TOKENS) + ["good"] * ("good" not in words) + words + ["blessed", "bank", "river"]
    (tmp_path / "vocab.txt").write_text("\n".join(itos) + "\n")
    cfg = transformers.BertConfig(vocab_size=len(itos), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=64, max_position_embeddings=64)
    transformers.BertForPreTraining(cfg).save_pretrained(tmp_path, safe_serialization=True)
    return BertFiles(tmp_path / "config.json", tmp_path / "vocab.txt", tmp_path / "model.safetensors")


def test_bert_base_offline_falls_back_to_the_small_model(one_torch_thread, monkeypatch):
    monkeypatch.setattr("visualizer.data.bert_weights.fetch_bert_base", offline)
    ctx = Recorder()
    lesson = build(ctx, variant="bert_base")
    assert any("BERT-base is not available" in n and "no network" in n for n in ctx.notices)
    assert ctx.substitutions[0][0] == "variant" and lesson.cfg.hidden_size == 64


def test_bert_base_files_load_into_our_bert_and_fine_tune_at_once(one_torch_thread, monkeypatch,
                                                                   tiny_published_bert):
    monkeypatch.setattr("visualizer.data.bert_weights.fetch_bert_base", lambda **kw: tiny_published_bert)
    ctx = Recorder()
    lesson = build(ctx, variant="bert_base", sentence="the plot was [MASK] but the zyx was awful")
    assert lesson.cfg.hidden_size == 32 and lesson.cfg.num_hidden_layers == 2 and lesson.hp["pretrain_steps"] == 0
    assert any("BERT-base loaded" in n for n in ctx.notices) and not ctx.substitutions
    assert lesson.vocab.stoi["[MASK]"] == 4 and "[UNK]" in lesson.sentence.tokens
    assert set(run(lesson, 1, 2)) >= {"ft_loss_pretrained", "ft_loss_scratch"}
    snap = lesson.snapshot()
    assert snap["attention"].weights.shape[:2] == (2, 2) and snap["contextual"].values.shape == (5, 5)


def test_a_corrupt_bert_base_weights_file_is_named_and_the_small_model_stands_in(one_torch_thread, monkeypatch,
                                                                                 tiny_published_bert):
    data = tiny_published_bert.weights.read_bytes()
    tiny_published_bert.weights.write_bytes(data[: len(data) // 3])
    monkeypatch.setattr("visualizer.data.bert_weights.fetch_bert_base", lambda **kw: tiny_published_bert)
    ctx = Recorder()
    lesson = build(ctx, variant="bert_base")
    assert any("model.safetensors cannot be read" in n for n in ctx.notices)
    assert ctx.substitutions[0][0] == "variant" and lesson.cfg.hidden_size == 64


def test_unlabelled_documents_hold_one_opinion_and_no_validation_sentence():
    from lessons.bert.data import unlabelled_documents
    texts = [f"pos {i}" for i in range(30)] + [f"neg {i}" for i in range(30)]
    labels = np.array([1] * 30 + [0] * 30)
    keep = [t != "pos 3" for t in texts]
    docs = unlabelled_documents(texts, labels, 0, keep)
    parts = [d.split(" . ") for d in docs]
    assert all(2 <= len(p) <= 3 for p in parts)
    assert all(len({s.split()[0] for s in p}) == 1 for p in parts)       # one opinion per document
    used = [s for p in parts for s in p]
    assert "pos 3" not in used and len(used) == len(set(used)) >= 50
