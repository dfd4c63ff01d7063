"""The shared Transformer blocks: positional encodings, attention (fused and recording paths agree), masks,
pre/post norm and the attention recorder."""
import math

import pytest

torch = pytest.importorskip("torch")

from visualizer.models.transformer_torch import (  # noqa: E402
    MultiHeadAttention, PositionalEncoding, StackConfig, TransformerStack, causal_mask, padding_mask,
    record_attention, sinusoidal_encoding)


def test_sinusoidal_encoding_follows_the_formula():
    pe = sinusoidal_encoding(50, 16)
    assert pe.shape == (50, 16)
    pos, i = 7, 3
    assert math.isclose(pe[pos, 2 * i].item(), math.sin(pos / 10000 ** (2 * i / 16)), rel_tol=1e-5)
    assert math.isclose(pe[pos, 2 * i + 1].item(), math.cos(pos / 10000 ** (2 * i / 16)), rel_tol=1e-5)
    with pytest.raises(ValueError):
        sinusoidal_encoding(0, 16)


def test_positional_encoding_rejects_long_inputs_and_unknown_kinds():
    enc = PositionalEncoding(8, 4, "learned")
    assert enc.matrix().shape == (8, 4)
    with pytest.raises(ValueError, match="longer than the 8 positions"):
        enc(torch.zeros(1, 9, 4))
    with pytest.raises(ValueError, match="positional encoding"):
        PositionalEncoding(8, 4, "rotary")


@pytest.mark.parametrize("pre_norm", [False, True])
def test_recording_path_matches_the_fused_path_and_masks(pre_norm):
    torch.manual_seed(0)
    stack = TransformerStack(StackConfig(n_layers=3, d_model=16, n_heads=4, d_ff=32, dropout=0.0,
                                         pre_norm=pre_norm)).eval()
    x = torch.randn(2, 6, 16)
    ids = torch.tensor([[5, 6, 7, 8, 0, 0], [5, 6, 7, 8, 9, 10]])
    mask = padding_mask(ids) & causal_mask(6)
    with torch.no_grad():
        fused = stack(x, mask)
        with record_attention(stack) as rec:
            recorded = stack(x, mask)
    torch.testing.assert_close(fused, recorded, atol=1e-5, rtol=1e-5)
    assert rec.weights.shape == (3, 2, 4, 6, 6) and rec.queries.shape == (3, 2, 4, 6, 4)
    torch.testing.assert_close(rec.weights.sum(-1), torch.ones(3, 2, 4, 6))
    assert rec.weights[:, 0, :, :, 4:].abs().max() == 0          # padding gets no attention
    assert rec.weights[..., 0, 1:].abs().max() == 0              # the first token sees only itself (causal)
    # the modules forget what they recorded and go back to the fused path
    assert all(not m.recording and m.last_weights is None for m in stack.modules()
               if isinstance(m, MultiHeadAttention))


def test_weights_are_the_softmax_of_scaled_scores():
    torch.manual_seed(1)
    attn = MultiHeadAttention(8, 2).eval()
    x = torch.randn(1, 3, 8)
    with torch.no_grad(), record_attention(attn) as rec:
        attn(x)
    q, k = rec.queries[0, 0], rec.keys[0, 0]                      # (H, T, d_k)
    expected = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(4), -1)
    torch.testing.assert_close(rec.weights[0, 0], expected)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="multiple"):
        StackConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="no MultiHeadAttention"):
        with record_attention(torch.nn.Linear(2, 2)):
            pass
