"""A Transformer encoder that classifies a text: the sentiment classifier of Ogawa, *PyTorch advanced deep
learning* ch. 7 (the "Transformer" for IMDb) in plain PyTorch.

Token embeddings, a positional encoding (sinusoidal as in Vaswani et al. 2017 §3.5, or learned as in BERT),
a post-norm :class:`~visualizer.models.transformer_torch.TransformerStack` whose self-attention ignores the
padding, then a pooled vector and a linear head with one logit per class.  The pooled vector is the output at
the first token, [CLS] (the book and BERT: Devlin et al. 2019 §3), or the mean over the real tokens.  The
attention blocks are the shared ones of :mod:`visualizer.models.transformer_torch`, so
:func:`~visualizer.models.transformer_torch.record_attention` reads their weights for the attention views.
B batch, T tokens, D d_model, C classes.  Imports torch: import it lazily.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from visualizer.models.transformer_torch import (POSITIONAL_KINDS, PositionalEncoding, StackConfig,
                                                 TransformerStack, padding_mask)

POOLINGS = ("cls", "mean")


@dataclass(frozen=True)
class ClassifierConfig:
    """The size of a :class:`TextClassifier`: vocabulary size, max_len positions, the stack (layers, d_model,
    heads, d_ff, dropout), the positional encoding (:data:`POSITIONAL_KINDS`), the pooling (:data:`POOLINGS`),
    the number of classes and the [PAD] id.  Raises ValueError for sizes that cannot work (d_model not a
    multiple of the heads, an unknown encoding or pooling, fewer than two classes...)."""

    vocab_size: int
    max_len: int = 64
    n_layers: int = 2
    d_model: int = 64
    n_heads: int = 4
    d_ff: int = 128
    dropout: float = 0.1
    positional: str = "sinusoidal"
    pooling: str = "cls"
    n_classes: int = 2
    pad_id: int = 0

    def __post_init__(self) -> None:
        if self.vocab_size < 2 or self.max_len < 1 or self.n_classes < 2:
            raise ValueError(f"vocab_size >= 2, max_len >= 1 and n_classes >= 2 are needed: {self}")
        if self.positional not in POSITIONAL_KINDS:
            raise ValueError(f"positional encoding must be one of {POSITIONAL_KINDS}, not {self.positional!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {self.pooling!r}")
        if not 0 <= self.pad_id < self.vocab_size:
            raise ValueError(f"pad_id {self.pad_id} is outside the vocabulary of {self.vocab_size}")
        self.stack()                                   # d_model / heads / dropout checks

    def stack(self) -> StackConfig:
        """The post-norm (Vaswani et al.; the book) :class:`StackConfig` of the encoder."""
        return StackConfig(n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads, d_ff=self.d_ff,
                           dropout=self.dropout, pre_norm=False, activation="gelu")


class TextClassifier(nn.Module):
    """ids (B, T) int64, [PAD] = ``cfg.pad_id`` after the real tokens and (for [CLS] pooling) [CLS] first ->
    logits (B, C) float32.

    ``embed`` (V, D) token embeddings scaled by sqrt(D) (Vaswani et al. §3.4), ``position``
    (:class:`PositionalEncoding`), ``encoder`` (post-norm :class:`TransformerStack`; keys at [PAD] masked),
    ``head`` (Linear D -> C) on the pooled vector.  T may not exceed ``cfg.max_len`` (ValueError).
    Source: Ogawa ch. 7 (TransformerClassification: Embedder, PositionalEncoder, TransformerBlock x2,
    ClassificationHead on the first token)."""

    def __init__(self, cfg: ClassifierConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=cfg.pad_id)
        self.position = PositionalEncoding(cfg.max_len, cfg.d_model, cfg.positional)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = TransformerStack(cfg.stack())
        self.head = nn.Linear(cfg.d_model, cfg.n_classes)
        nn.init.normal_(self.embed.weight, std=cfg.d_model ** -0.5)   # x sqrt(D) below: unit-scale inputs
        with torch.no_grad():
            self.embed.weight[cfg.pad_id].zero_()

    def features(self, ids: torch.Tensor) -> torch.Tensor:
        """The encoder's output (B, T, D) for ids (B, T)."""
        mask = padding_mask(ids, self.cfg.pad_id)                              # (B, 1, 1, T)
        x = self.embed(ids) * self.cfg.d_model ** 0.5                          # (B, T, D)
        x = self.drop(self.position(x))                                        # (B, T, D)
        return self.encoder(x, mask)                                           # (B, T, D)

    def pool(self, h: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(B, T, D) encoder output -> (B, D): the first token ([CLS]) or the mean over the real tokens."""
        if self.cfg.pooling == "cls":
            return h[:, 0]                                                     # (B, D)
        real = (ids != self.cfg.pad_id).unsqueeze(-1).to(h.dtype)              # (B, T, 1)
        return (h * real).sum(1) / real.sum(1).clamp(min=1.0)                  # (B, D)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.features(ids)                                                 # (B, T, D)
        return self.head(self.pool(h, ids))                                    # (B, C)

    def positional_matrix(self) -> torch.Tensor:
        """The (max_len, D) positional encoding added to the embeddings (fixed or learned)."""
        return self.position.matrix()
