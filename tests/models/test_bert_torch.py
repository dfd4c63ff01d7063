"""Our BERT against the ``transformers`` library's on the same tiny random weights (a test-only reference), and
the loader of the published checkpoint format: both file formats, old gamma/beta names, corrupt files and wrong
shapes (atomic: the model keeps its weights)."""
import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from visualizer.models.bert_checkpoint_torch import (BertCheckpointError, load_bert_checkpoint,  # noqa: E402
                                                     published_to_ours)
from visualizer.models.bert_torch import (BertConfig, BertForPreTraining, BertForSequenceClassification,  # noqa: E402
                                          BertModel)

TINY = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
            max_position_embeddings=20, type_vocab_size=2)


@pytest.fixture(scope="module")
def hf_model():
    torch.manual_seed(0)
    cfg = transformers.BertConfig(**TINY, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    m = transformers.BertForPreTraining(cfg).eval()
    with torch.no_grad():            # random (not zero) biases and LayerNorm parameters, so names really matter
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return m


def inputs():
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, TINY["vocab_size"], (3, 9), generator=g)
    types = torch.randint(0, 2, (3, 9), generator=g)
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    return ids, types, mask


def ours(kind=BertForPreTraining):
    return kind(BertConfig(**TINY, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).eval()


def compare(hf_model, model, with_heads=True):
    ids, types, mask = inputs()
    with torch.no_grad():
        ref = hf_model(input_ids=ids, token_type_ids=types, attention_mask=mask, output_hidden_states=True)
        seq_ref = ref.hidden_states[-1]
        pooled_ref = hf_model.bert(input_ids=ids, token_type_ids=types, attention_mask=mask).pooler_output
        if isinstance(model, BertModel):
            seq, pooled = model(ids, types, mask)
        else:
            mlm, nsp, seq = model(ids, types, mask)
            pooled = model.bert(ids, types, mask)[1]
    real = mask.bool()
    torch.testing.assert_close(seq[real], seq_ref[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(pooled, pooled_ref, atol=1e-5, rtol=1e-5)
    if with_heads:
        torch.testing.assert_close(mlm[real], ref.prediction_logits[real], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(nsp, ref.seq_relationship_logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("safe", [True, False])
def test_save_pretrained_files_load_and_match_transformers(hf_model, tmp_path, safe):
    hf_model.save_pretrained(tmp_path, safe_serialization=safe)
    files = [p for p in tmp_path.iterdir() if p.suffix in (".safetensors", ".bin")]
    assert len(files) == 1
    cfg = BertConfig.from_json(tmp_path / "config.json")
    assert cfg.num_hidden_layers == 2 and cfg.layer_norm_eps == 1e-12
    model = ours()
    report = load_bert_checkpoint(model, files[0])
    assert not report.missing_heads
    compare(hf_model, model)


def test_torch_save_with_old_gamma_beta_names_and_bare_encoder(hf_model, tmp_path):
    sd = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
          for k, v in hf_model.state_dict().items()}
    sd["bert.embeddings.position_ids"] = torch.arange(20)[None]
    torch.save(sd, tmp_path / "pytorch_model.bin")
    model = ours()
    load_bert_checkpoint(model, tmp_path / "pytorch_model.bin")
    compare(hf_model, model)
    # a bare BertModel file (no "bert." prefix) into our bare BertModel: the heads are skipped
    torch.save(hf_model.bert.state_dict(), tmp_path / "encoder.bin")
    enc = ours(BertModel)
    report = load_bert_checkpoint(enc, tmp_path / "encoder.bin")
    compare(hf_model, enc, with_heads=False)
    assert not report.missing_heads
    # the pretraining file into a classifier: encoder loaded, the new classifier keeps its initial weights
    clf = ours(BertForSequenceClassification)
    before = clf.classifier.weight.clone()
    report = load_bert_checkpoint(clf, tmp_path / "pytorch_model.bin")
    assert report.missing_heads == ["classifier.bias", "classifier.weight"]
    assert torch.equal(clf.classifier.weight, before)
    assert any(s.startswith("cls.") for s in report.skipped)


def test_names_map_with_and_without_prefix():
    assert published_to_ours("bert.encoder.layer.3.attention.self.query.weight") == \
        "bert.encoder.blocks.3.attn.query.weight"
    assert published_to_ours("encoder.layer.3.output.LayerNorm.gamma") == "bert.encoder.blocks.3.ln2.weight"
    assert published_to_ours("encoder.layer.0.attention.output.LayerNorm.beta") == "bert.encoder.blocks.0.ln1.bias"
    assert published_to_ours("cls.predictions.transform.dense.weight") == "mlm.dense.weight"
    assert published_to_ours("bert.encoder.layer.0.attention.self.qkv.weight") is None


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def unchanged(model, before):
    return all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_corrupt_and_truncated_files_leave_the_model_unchanged(hf_model, tmp_path):
    hf_model.save_pretrained(tmp_path, safe_serialization=True)
    good = (tmp_path / "model.safetensors").read_bytes()
    model = ours()
    before = snapshot(model)
    for name, data in (("trunc.safetensors", good[: len(good) // 2]), ("noise.safetensors", b"\x00garbage" * 50),
                       ("trunc.bin", b"PK\x03\x04 not a zip"), ("empty.bin", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(BertCheckpointError, match=name.replace(".", r"\.")):
            load_bert_checkpoint(model, tmp_path / name)
        assert unchanged(model, before)
    with pytest.raises(BertCheckpointError, match="does not exist"):
        load_bert_checkpoint(model, tmp_path / "absent.bin")


def test_wrong_shape_or_unknown_tensor_names_it_and_changes_nothing(hf_model, tmp_path):
    sd = dict(hf_model.state_dict())
    model = ours()
    before = snapshot(model)
    bad = dict(sd, **{"bert.encoder.layer.1.intermediate.dense.weight": torch.zeros(7, 16)})
    torch.save(bad, tmp_path / "shape.bin")
    with pytest.raises(BertCheckpointError, match=r"encoder\.layer\.1\.intermediate\.dense\.weight.*\(7, 16\)"):
        load_bert_checkpoint(model, tmp_path / "shape.bin")
    assert unchanged(model, before)
    torch.save(dict(sd, **{"bert.encoder.layer.0.attention.self.qkv.weight": torch.zeros(3)}), tmp_path / "x.bin")
    with pytest.raises(BertCheckpointError, match="qkv"):
        load_bert_checkpoint(model, tmp_path / "x.bin")
    missing = {k: v for k, v in sd.items() if "layer.1." not in k}
    torch.save(missing, tmp_path / "missing.bin")
    with pytest.raises(BertCheckpointError, match="missing"):
        load_bert_checkpoint(model, tmp_path / "missing.bin")
    nan = dict(sd, **{"bert.pooler.dense.bias": torch.full((16,), float("nan"))})
    torch.save(nan, tmp_path / "nan.bin")
    with pytest.raises(BertCheckpointError, match="pooler"):
        load_bert_checkpoint(model, tmp_path / "nan.bin")
    assert unchanged(model, before)


def test_config_from_dict_errors(tmp_path):
    with pytest.raises(ValueError, match="missing hidden_size"):
        BertConfig.from_dict({k: v for k, v in TINY.items() if k != "hidden_size"})
    with pytest.raises(ValueError, match="multiple"):
        BertConfig.from_dict(dict(TINY, num_attention_heads=3))
    with pytest.raises(ValueError, match="gpt2"):
        BertConfig.from_dict(dict(TINY, model_type="gpt2"))
    with pytest.raises(ValueError, match="integer"):
        BertConfig.from_dict(dict(TINY, hidden_size="big"))
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read"):
        BertConfig.from_json(tmp_path / "c.json")
    (tmp_path / "ok.json").write_text(json.dumps(BertConfig(**TINY).to_dict()))
    assert BertConfig.from_json(tmp_path / "ok.json") == BertConfig(**TINY)


def test_mlm_decoder_is_tied_and_gradients_flow():
    model = ours()
    model.train()
    ids, types, mask = inputs()
    mlm, nsp, _ = model(ids, types, mask)
    assert mlm.shape == (3, 9, TINY["vocab_size"]) and nsp.shape == (3, 2)
    mlm.sum().backward()
    assert model.bert.embeddings.word_embeddings.weight.grad is not None
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == sum(p.numel() for p in dict(model.named_parameters()).values())
    assert "mlm.word_embeddings" not in dict(model.named_parameters())
