"""Transformer building blocks in plain PyTorch, shared by the ``transformer``, ``bert`` and ``gpt`` lessons.

One module per idea, with the shapes in comments: positional encodings (sinusoidal or learned), multi-head
scaled dot-product attention that can record its weights, queries and keys for the attention views, the
position-wise feed-forward network, one block with post-norm (Vaswani et al. 2017; BERT) or pre-norm
(GPT-2), and a stack of blocks.  Sources: Vaswani et al., "Attention is all you need" (2017) §3; Ogawa,
*PyTorch advanced deep learning* ch. 7 (Transformer) and ch. 8 (BERT); Radford et al. (2019, GPT-2:
pre-norm).  B batch, T query length, S key length, D d_model, H heads, d_k = D / H.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

POSITIONAL_KINDS = ("sinusoidal", "learned")
ACTIVATIONS = ("gelu", "relu")


def sinusoidal_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The fixed positional encoding of Vaswani et al. (2017) §3.5: (max_len, d_model) float32 with
    ``PE[pos, 2i] = sin(pos / 10000^(2i/d))`` and ``PE[pos, 2i+1] = cos(...)``.  Raises ValueError for a
    non-positive size."""
    if max_len < 1 or d_model < 1:
        raise ValueError(f"max_len and d_model must be positive, got {max_len}, {d_model}")
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]                      # (T, 1)
    rate = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(pos * rate)
    pe[:, 1::2] = torch.cos(pos * rate[: d_model // 2])
    return pe


class PositionalEncoding(nn.Module):
    """Adds position information to token embeddings: ``x + P[:T]``.

    kind: ``"sinusoidal"`` (fixed, a buffer) or ``"learned"`` (a trained (max_len, D) table, as in BERT and
    GPT).  Input and output (B, T, D); T may not exceed max_len (ValueError)."""

    def __init__(self, max_len: int, d_model: int, kind: str = "sinusoidal") -> None:
        super().__init__()
        if kind not in POSITIONAL_KINDS:
            raise ValueError(f"positional encoding must be one of {POSITIONAL_KINDS}, not {kind!r}")
        self.kind, self.max_len = kind, max_len
        if kind == "learned":
            self.table = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        else:
            self.register_buffer("table", sinusoidal_encoding(max_len, d_model), persistent=False)

    def matrix(self) -> torch.Tensor:
        """The (max_len, D) encoding matrix (for the positional-encoding view)."""
        return self.table.detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        if t > self.max_len:
            raise ValueError(f"a sequence of {t} tokens is longer than the {self.max_len} positions encoded")
        return x + self.table[:t]                                                   # (B, T, D)


def causal_mask(t: int, device=None) -> torch.Tensor:
    """(1, 1, T, T) bool, True where query i may attend key j (j <= i): a decoder's causal mask."""
    return torch.ones(t, t, dtype=torch.bool, device=device).tril()[None, None]


def padding_mask(token_ids: torch.Tensor, pad_id: int = 0) -> torch.Tensor:
    """(B, 1, 1, S) bool, True at real tokens and False at padding, from (B, S) int64 token ids."""
    return (token_ids != pad_id)[:, None, None, :]


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017 §3.2):
    ``softmax(Q K^T / sqrt(d_k) + mask) V`` per head, heads concatenated and projected.

    Linear maps ``query``, ``key``, ``value`` (D -> D, split into H heads of d_k) and ``out`` (D -> D).
    forward(x (B, T, D), mask (B|1, 1, T|1, S) bool True = may attend, or None; context (B, S, D) for
    cross-attention, default x) -> (B, T, D).  While :attr:`recording` is on (see :func:`record_attention`)
    it keeps ``last_weights`` (B, H, T, S), ``last_queries`` (B, H, T, d_k) and ``last_keys`` (B, H, S, d_k),
    detached; otherwise it runs PyTorch's fused ``scaled_dot_product_attention`` and keeps nothing.
    Raises ValueError if D is not a multiple of H."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not a multiple of the {n_heads} heads")
        self.n_heads, self.d_k = n_heads, d_model // n_heads
        self.query, self.key, self.value = (nn.Linear(d_model, d_model) for _ in range(3))
        self.out = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.recording = False
        self.last_weights = self.last_queries = self.last_keys = None

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, H, T, d_k)."""
        b, t, _ = x.shape
        return x.view(b, t, self.n_heads, self.d_k).transpose(1, 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                context: torch.Tensor | None = None) -> torch.Tensor:
        kv = x if context is None else context
        q, k, v = self.split(self.query(x)), self.split(self.key(kv)), self.split(self.value(kv))  # (B, H, ·, d_k)
        p = self.dropout if self.training else 0.0
        if self.recording:
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)                 # (B, H, T, S)
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            self.last_weights, self.last_queries, self.last_keys = weights.detach(), q.detach(), k.detach()
            y = F.dropout(weights, p, self.training) @ v                            # (B, H, T, d_k)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        b, _, t, _ = y.shape
        return self.out(y.transpose(1, 2).reshape(b, t, -1))                      # (B, T, D)


class FeedForward(nn.Module):
    """The position-wise feed-forward network: ``fc2(act(fc1(x)))``, D -> d_ff -> D (Vaswani et al. 2017
    §3.3); activation ``"gelu"`` (BERT, GPT, erf form) or ``"relu"`` (the original).  (B, T, D) -> (B, T, D)."""

    def __init__(self, d_model: int, d_ff: int, activation: str = "gelu", dropout: float = 0.0) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        self.fc1, self.fc2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.act(self.fc1(x))))


class TransformerBlock(nn.Module):
    """One Transformer layer: self-attention and feed-forward, each with a residual connection and layer
    norm.  ``pre_norm=False``: ``x = LN(x + Attn(x)); x = LN(x + FFN(x))`` (Vaswani et al.; BERT).
    ``pre_norm=True``: ``x = x + Attn(LN(x)); x = x + FFN(LN(x))`` (GPT-2).  (B, T, D) -> (B, T, D)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, dropout: float = 0.0, pre_norm: bool = False,
                 activation: str = "gelu", eps: float = 1e-5) -> None:
        super().__init__()
        self.attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.ffn = FeedForward(d_model, d_ff, activation, dropout)
        self.ln1, self.ln2 = nn.LayerNorm(d_model, eps=eps), nn.LayerNorm(d_model, eps=eps)
        self.drop = nn.Dropout(dropout)
        self.pre_norm = pre_norm

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.pre_norm:
            x = x + self.drop(self.attn(self.ln1(x), mask))
            return x + self.ffn(self.ln2(x))
        x = self.ln1(x + self.drop(self.attn(x, mask)))
        return self.ln2(x + self.ffn(x))


@dataclass(frozen=True)
class StackConfig:
    """The size of a stack of Transformer blocks: layers L, d_model D, heads H, d_ff, dropout, pre/post
    norm, activation and layer-norm eps."""

    n_layers: int = 2
    d_model: int = 64
    n_heads: int = 4
    d_ff: int = 128
    dropout: float = 0.1
    pre_norm: bool = False
    activation: str = "gelu"
    eps: float = 1e-5

    def __post_init__(self) -> None:
        if min(self.n_layers, self.d_model, self.n_heads, self.d_ff) < 1:
            raise ValueError(f"layers, d_model, heads and d_ff must be positive: {self}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not a multiple of the {self.n_heads} heads")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class TransformerStack(nn.Module):
    """L :class:`TransformerBlock` s in a row (an encoder, or with a causal mask a decoder), plus a final
    layer norm for pre-norm stacks (GPT-2).  forward(x (B, T, D), mask) -> (B, T, D)."""

    def __init__(self, cfg: StackConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.blocks = nn.ModuleList(
            TransformerBlock(cfg.d_model, cfg.n_heads, cfg.d_ff, dropout=cfg.dropout, pre_norm=cfg.pre_norm,
                             activation=cfg.activation, eps=cfg.eps) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.eps) if cfg.pre_norm else nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, mask)
        return self.ln_f(x)


@dataclass
class AttentionRecord:
    """What :func:`record_attention` caught in one forward pass, stacked over the model's attention modules
    in registration order: weights (L, B, H, T, S), queries (L, B, H, T, d_k), keys (L, B, H, S, d_k),
    float32 on the CPU."""

    weights: torch.Tensor | None = None
    queries: torch.Tensor | None = None
    keys: torch.Tensor | None = None


@contextmanager
def record_attention(model: nn.Module) -> Iterator[AttentionRecord]:
    """Within the block, every :class:`MultiHeadAttention` in ``model`` keeps its weights, queries and
    keys; on exit they are stacked into the yielded :class:`AttentionRecord` and the modules forget them.
    Use it for a probe forward pass on one input (under ``torch.no_grad()``), never for training steps: the
    recording path is the explicit softmax, slower than the fused one.  Raises ValueError if ``model`` has
    no attention module."""
    mods = [m for m in model.modules() if isinstance(m, MultiHeadAttention)]
    if not mods:
        raise ValueError(f"{type(model).__name__} has no MultiHeadAttention module to record")
    record = AttentionRecord()
    for m in mods:
        m.recording = True
    try:
        yield record
        if all(m.last_weights is not None for m in mods):
            record.weights = torch.stack([m.last_weights.float().cpu() for m in mods])
            record.queries = torch.stack([m.last_queries.float().cpu() for m in mods])
            record.keys = torch.stack([m.last_keys.float().cpu() for m in mods])
    finally:
        for m in mods:
            m.recording = False
            m.last_weights = m.last_queries = m.last_keys = None
