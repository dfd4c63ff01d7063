"""The Transformer encoder classifier (Ogawa ch. 7): shapes, the padding mask, pooling, positional encodings,
attention recording and configuration errors."""
import pytest
import torch

from visualizer.models.text_classifier_torch import ClassifierConfig, TextClassifier
from visualizer.models.transformer_torch import MultiHeadAttention, record_attention


def model(**kw) -> TextClassifier:
    torch.manual_seed(0)
    m = TextClassifier(ClassifierConfig(**{"vocab_size": 30, "max_len": 16, "n_layers": 2, "d_model": 16,
                                           "n_heads": 4, "d_ff": 32, **kw}))
    return m.eval()


def ids(*rows, width=8) -> torch.Tensor:
    return torch.tensor([list(r) + [0] * (width - len(r)) for r in rows])


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_logits_shape_and_padding_changes_nothing(pooling):
    m = model(pooling=pooling)
    short, long = ids([2, 7, 9, 11], width=5), ids([2, 7, 9, 11], width=12)
    with torch.no_grad():
        a, b = m(short), m(long)
    assert a.shape == (1, 2) and a.dtype == torch.float32
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)      # padded keys are masked, padded rows pooled out


def test_order_changes_the_logits_and_the_position_encoding_is_what_tells():
    m = model()
    with torch.no_grad():
        a, b = m(ids([2, 7, 9, 11])), m(ids([2, 11, 9, 7]))
    assert not torch.allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("kind", ["sinusoidal", "learned"])
def test_positional_matrix(kind):
    m = model(positional=kind)
    assert m.positional_matrix().shape == (16, 16)
    learned = any(p is m.position.table for p in m.parameters())
    assert learned == (kind == "learned")


def test_record_attention_sees_every_layer_and_masks_the_padding():
    m = model()
    x = ids([2, 5, 6], [2, 5, 6, 7, 8])
    with torch.no_grad(), record_attention(m) as rec:
        m(x)
    w = rec.weights                                                    # (L, B, H, T, S)
    assert w.shape == (2, 2, 4, 8, 8)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 2, 4, 8))
    assert float(w[:, 0, :, :, 3:].abs().max()) == 0.0                # the first review's [PAD] keys
    assert not any(mod.recording for mod in m.modules() if isinstance(mod, MultiHeadAttention))


def test_recorded_and_fused_paths_agree():
    m = model()
    x = ids([2, 5, 6, 9], [2, 5])
    with torch.no_grad():
        fused = m(x)
        with record_attention(m):
            explicit = m(x)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


def test_trains_on_an_order_task():
    """Label = whether token 5 comes before token 6: a bag of words cannot tell, the encoder learns it."""
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(1)
    m = model(dropout=0.0).train()
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for _ in range(150):
        y = torch.randint(0, 2, (64,), generator=g)
        x = torch.full((64, 4), 2)
        x[:, 1], x[:, 2] = torch.where(y == 1, 5, 6), torch.where(y == 1, 6, 5)
        x[:, 3] = torch.randint(7, 30, (64,), generator=g)
        loss = torch.nn.functional.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1


@pytest.mark.parametrize("kw, words", [({"d_model": 18, "n_heads": 4}, "multiple"),
                                        ({"positional": "rotary"}, "positional"),
                                        ({"pooling": "max"}, "pooling"),
                                        ({"n_classes": 1}, "n_classes")])
def test_bad_configs_say_what_is_wrong(kw, words):
    with pytest.raises(ValueError, match=words):
        ClassifierConfig(vocab_size=30, **kw)


def test_too_long_input_is_refused():
    with pytest.raises(ValueError, match="longer"):
        model()(torch.ones(1, 17, dtype=torch.long))
