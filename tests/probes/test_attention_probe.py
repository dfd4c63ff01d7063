"""Attention readouts from a real recorded forward pass: shapes of each mode, truncation with a notice, the
[CLS] highlight's range and order, per-(layer, head) CSVs."""
import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from visualizer.core.plotdata import AttentionData, HighlightedTextData  # noqa: E402
from visualizer.models.transformer_torch import (StackConfig, TransformerStack, causal_mask,  # noqa: E402
                                                 record_attention)
from visualizer.probes.attention import (attention_data, cls_highlight, cls_scores, head_tables,  # noqa: E402
                                         truncate_tokens, write_head_csvs)


def recorded(b=2, t=6, layers=2, heads=4, d=16, causal=False):
    torch.manual_seed(0)
    model = TransformerStack(StackConfig(n_layers=layers, d_model=d, n_heads=heads, d_ff=32, dropout=0.0)).eval()
    with torch.no_grad(), record_attention(model) as rec:
        model(torch.randn(b, t, d), causal_mask(t) if causal else None)
    return rec


def test_each_mode_gets_the_weights_of_its_batch_item_and_the_selected_heads_vectors():
    rec = recorded()
    tokens = ["[CLS]", "a", "b", "c", "d", "[SEP]"]
    for mode in ("head", "model", "neuron"):
        data = attention_data(rec, tokens, batch=1, mode=mode, layer=1, head=2, query_index=3)
        assert isinstance(data, AttentionData) and data.mode == mode
        assert data.weights.shape == (2, 4, 6, 6) and data.weights.dtype == np.float32
        np.testing.assert_allclose(data.weights, rec.weights[:, 1].numpy())
        np.testing.assert_allclose(data.weights.sum(axis=-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(data.queries, rec.queries[1, 1, 2].numpy())
        np.testing.assert_allclose(data.keys, rec.keys[1, 1, 2].numpy())
        assert data.queries.shape == (6, 4) and (data.layer, data.head, data.query_index) == (1, 2, 3)
    all_heads = attention_data(rec, tokens, mode="head", head=-1)
    assert all_heads.head == -1
    assert attention_data(rec, tokens, mode="neuron", head=-1).head == 0      # the neuron view needs one head


def test_padding_after_the_real_tokens_is_cut_and_bad_input_is_named():
    rec = recorded(t=8)
    data = attention_data(rec, ["[CLS]", "x", "y"], mode="model")
    assert data.weights.shape == (2, 4, 3, 3) and len(data.tokens) == 3
    with pytest.raises(ValueError, match="9 tokens but the record has 8"):
        attention_data(rec, list("abcdefghi"))
    with pytest.raises(ValueError, match="batch item 5"):
        attention_data(rec, ["a"], batch=5)

    class Empty:
        weights = queries = keys = None

    with pytest.raises(ValueError, match="no weights"):
        attention_data(Empty(), ["a"])
    clamped = attention_data(rec, ["a", "b"], layer=9, head=9, query_index=9)   # a control outlived the model
    assert (clamped.layer, clamped.head, clamped.query_index) == (1, 3, 1)


def test_long_inputs_are_truncated_with_a_notice():
    tokens, notice = truncate_tokens([f"w{i}" for i in range(300)])
    assert len(tokens) == 128 and tokens[-1] == "w127" and notice == "showing the first 128 of 300 tokens"
    assert truncate_tokens(["a", "b"]) == (["a", "b"], "")
    with pytest.raises(ValueError):
        truncate_tokens(["a"], 0)
    rec = recorded(b=1, t=20)
    data = attention_data(rec, [f"t{i}" for i in range(20)], max_tokens=5, caption="sentence 3")
    assert data.weights.shape == (2, 4, 5, 5)
    assert data.caption == "sentence 3 · showing the first 5 of 20 tokens"


def test_causal_records_have_no_weight_on_later_keys():
    rec = recorded(causal=True)
    data = attention_data(rec, list("abcdef"), mode="model", causal=True)
    upper = np.triu(np.ones((6, 6), bool), 1)
    assert data.causal and np.all(data.weights[..., upper] == 0)


def test_cls_highlight_scores_lie_in_zero_one_with_the_strongest_word_at_one():
    rec = recorded(b=2, t=6)
    sentences = [["[CLS]", "not", "bad", "[SEP]"], ["[CLS]", "good", "film", "ever", "seen", "[SEP]"]]
    weights = [rec.weights[:, n].numpy()[:, :, :len(s), :len(s)] for n, s in enumerate(sentences)]
    data = cls_highlight(weights, sentences, ["pred positive", "pred positive"], [True, False])
    assert isinstance(data, HighlightedTextData) and len(data.scores) == 2
    for s, toks, w in zip(data.scores, sentences, weights):
        assert s.shape == (len(toks),) and s.min() >= 0 and s.max() == pytest.approx(1.0)
        assert s[0] == 0 and s[-1] == 0                                      # [CLS] and [SEP] are not scored
        raw = w[-1, :, 0, :].mean(axis=0)                                     # last layer, mean over heads
        assert np.argmax(s) == 1 + np.argmax(raw[1:-1])                     # the strongest real word is 1
        np.testing.assert_allclose(s[1:-1], raw[1:-1] / raw[1:-1].max(), rtol=1e-5)
    assert "last layer, mean over heads" in data.caption
    one = cls_scores(weights[0], sentences[0], head=2, layer=0)
    raw = weights[0][0, 2, 0, 1:3]
    np.testing.assert_allclose(one[1:3], raw / raw.max(), rtol=1e-5)
    with pytest.raises(ValueError):
        cls_scores(weights[0], sentences[0], head=7)
    with pytest.raises(ValueError, match="2 weight arrays for 1 sentences"):
        cls_highlight(weights, sentences[:1])


def test_one_csv_per_layer_and_head_holds_the_weight_matrix(tmp_path):
    rec = recorded(b=1, t=3)
    data = attention_data(rec, ["a", "b", "c"])
    tables = head_tables(data)
    assert sorted(tables) == [(l, h) for l in range(2) for h in range(4)]
    header, rows = tables[(1, 2)]
    assert header == ["query \\ key", "a", "b", "c"] and [r[0] for r in rows] == ["a", "b", "c"]
    np.testing.assert_allclose(np.array([r[1:] for r in rows]), data.weights[1, 2], rtol=1e-6)
    paths = write_head_csvs(data, tmp_path / "csv")
    assert len(paths) == 8 and paths[0].name == "attention_layer0_head0.csv"
    read = list(csv.reader(paths[-1].open()))
    assert read[0] == header and len(read) == 4


def test_the_click_parameters_parse_and_bad_values_are_named():
    from visualizer.probes.attention import parse_head, parse_query

    assert parse_head("1,2") == (1, 2) and parse_head(" 0 , -1 ") == (0, -1)
    assert parse_query("7") == 7
    for bad in ("1", "a,b", "1,2,3", "-1,0", "0,-2"):
        with pytest.raises(ValueError, match="attention head"):
            parse_head(bad)
    for bad in ("x", "-3", "1.5"):
        with pytest.raises(ValueError, match="attention query"):
            parse_query(bad)


def test_the_data_owns_its_arrays():
    rec = recorded(b=1, t=4)
    data = attention_data(rec, list("abcd"), mode="neuron")
    before = data.weights.copy(), data.queries.copy()
    rec.weights.zero_()
    rec.queries.zero_()
    np.testing.assert_array_equal(data.weights, before[0])
    np.testing.assert_array_equal(data.queries, before[1])
