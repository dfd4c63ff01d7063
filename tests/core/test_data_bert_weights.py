"""BERT-base files: the published digests, the download through pooch from a loopback server serving tiny files
in the published formats (a config.json, a vocab.txt, a safetensors file), cache hits, offline and checksum
failures, and the config reader's checks."""
import hashlib
import json

import numpy as np
import pytest

from tests.core.test_data_download import serve_folder, unreachable_url
from visualizer.core.errors import LessonConfigError
from visualizer.data import bert_weights
from visualizer.data.bert_weights import BERT_FILES, BertFiles, PublishedFile, read_bert_config
from visualizer.data.download import DownloadError

# config.json of google-bert/bert-base-uncased as the hub publishes it (sorted keys, indent 2, newline).
PUBLISHED_CONFIG = {
    "architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": False,
    "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
    "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
    "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute",
    "transformers_version": "4.6.0.dev0", "type_vocab_size": 2, "use_cache": True, "vocab_size": 30522}


def published_config_bytes(config=PUBLISHED_CONFIG):
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()


def test_published_config_matches_its_digest_and_reads(tmp_path):
    data = published_config_bytes()
    spec = BERT_FILES["config"]
    assert len(data) == spec.size and "sha256:" + hashlib.sha256(data).hexdigest() == spec.known_hash
    path = tmp_path / "config.json"
    path.write_bytes(data)
    config = read_bert_config(path)
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (768, 12, 12)
    assert config["layer_norm_eps"] == 1e-12 and config["hidden_act"] == "gelu" and config["vocab_size"] == 30522
    assert config["hidden_dropout_prob"] == 0.1                         # other keys are kept
    for key in ("vocab", "safetensors", "pytorch"):
        assert BERT_FILES[key].known_hash.startswith("sha256:") and len(BERT_FILES[key].known_hash) == 7 + 64


@pytest.mark.parametrize("text, match", [
    ('{"hidden_size": 768,', "not valid JSON \\(line 1"),
    ("[1, 2]", "JSON list, not an object"),
    (json.dumps({k: v for k, v in PUBLISHED_CONFIG.items() if k not in ("vocab_size", "hidden_act")}),
     "lacks vocab_size, hidden_act"),
    (json.dumps({**PUBLISHED_CONFIG, "num_hidden_layers": "12"}), "num_hidden_layers = '12'"),
    (json.dumps({**PUBLISHED_CONFIG, "hidden_size": 0}), "hidden_size = 0"),
    (json.dumps({**PUBLISHED_CONFIG, "layer_norm_eps": -1}), "layer_norm_eps = -1"),
    (json.dumps({**PUBLISHED_CONFIG, "hidden_act": 3}), "hidden_act = 3"),
    (json.dumps({**PUBLISHED_CONFIG, "num_attention_heads": 7}), "7 attention heads do not divide"),
])
def test_broken_configs_are_named(tmp_path, text, match):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(LessonConfigError, match=match):
        read_bert_config(path)


def test_missing_and_undecodable_config(tmp_path):
    with pytest.raises(LessonConfigError, match="does not exist"):
        read_bert_config(tmp_path / "nope.json")
    with pytest.raises(LessonConfigError, match="is a folder"):
        read_bert_config(tmp_path)
    (tmp_path / "huge.json").write_bytes(b" " * (2 << 20))
    with pytest.raises(LessonConfigError, match="huge.json is 2.0 MB; a BERT config here may hold at most 1.0 MB"):
        read_bert_config(tmp_path / "huge.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LessonConfigError, match="not UTF-8"):
        read_bert_config(tmp_path / "bin.json")


def tiny_published_files(folder):
    """A tiny config.json, vocab.txt and model.safetensors in folder; returns BERT_FILES-like specs."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tiny = {**PUBLISHED_CONFIG, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 16, "vocab_size": 7, "max_position_embeddings": 16}
    (folder / "config.json").write_bytes(published_config_bytes(tiny))
    (folder / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s\n")
    save_file({"bert.embeddings.word_embeddings.weight": np.ones((7, 8), np.float32)},
              str(folder / "model.safetensors"))
    specs = {}
    for key, name in (("config", "config.json"), ("vocab", "vocab.txt"), ("safetensors", "model.safetensors")):
        data = (folder / name).read_bytes()
        specs[key] = PublishedFile(name, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))
    return specs


def test_fetch_through_pooch_from_a_loopback_server(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    served = tmp_path / "served"
    for key, spec in tiny_published_files(served).items():
        monkeypatch.setitem(BERT_FILES, key, spec)
    assert not bert_weights.bert_base_present()

    monkeypatch.setattr(bert_weights, "BERT_MIRRORS", (unreachable_url(),))
    with pytest.raises(DownloadError, match="Could not download BERT-base config.json.*could not connect"):
        bert_weights.fetch_bert_base()
    assert not (tmp_path / "cache" / "bert-base-uncased" / "config.json").exists()

    with serve_folder(served) as (url, requested):
        monkeypatch.setattr(bert_weights, "BERT_MIRRORS", (unreachable_url(), url))   # first address fails
        fractions = []
        files = bert_weights.fetch_bert_base(progress=lambda m, f: fractions.append(f))
        assert requested == ["/config.json", "/vocab.txt", "/model.safetensors"] and 1.0 in fractions
    assert isinstance(files, BertFiles) and files.weights_format == "safetensors"
    assert files.weights.parent == tmp_path / "cache" / "bert-base-uncased"
    assert read_bert_config(files.config)["hidden_size"] == 8
    assert files.vocab.read_text().splitlines()[5] == "the"
    assert bert_weights.bert_base_present()
    assert bert_weights.fetch_bert_base() == files                       # the server is gone: cached

    # A damaged cached weights file is not used: with the server gone, the download error says so.
    files.weights.write_bytes(b"\0" * BERT_FILES["safetensors"].size)
    with pytest.raises(DownloadError, match="model.safetensors.*damaged"):
        bert_weights.fetch_bert_base()


def test_a_changed_file_on_the_server_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    served = tmp_path / "served"
    for key, spec in tiny_published_files(served).items():
        monkeypatch.setitem(BERT_FILES, key, spec)
    monkeypatch.setitem(BERT_FILES, "vocab", PublishedFile("vocab.txt", "sha256:" + "0" * 64, 10))
    with serve_folder(served) as (url, _):
        monkeypatch.setattr(bert_weights, "BERT_MIRRORS", (url,))
        with pytest.raises(DownloadError, match="vocab.txt.*does not match its published checksum"):
            bert_weights.fetch_bert_base()
    assert not (tmp_path / "cache" / "bert-base-uncased" / "vocab.txt").exists()
    with pytest.raises(ValueError, match="safetensors, pytorch"):
        bert_weights.fetch_bert_base(weights="onnx")
