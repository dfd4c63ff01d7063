"""A small GPT: a decoder-only Transformer language model in plain PyTorch, one readable file.

Token embedding + learned position embedding -> a pre-norm :class:`TransformerStack` with the causal mask
(GPT-2's block order; the final layer norm is the stack's ``ln_f``) -> a language-model head that shares its
weight matrix with the token embedding (weight tying, Press & Wolf 2017).  Sampling with a temperature and a
top-k cut, the context cropped to the last ``block_size`` tokens.

Sources: Radford et al., "Improving language understanding by generative pre-training" (2018, GPT) and
"Language models are unsupervised multitask learners" (2019, GPT-2: pre-norm, final layer norm, the 0.02
initialisation); Chollet, *Deep Learning with Python* 2e ch. 12.1 (text generation, sampling with a
temperature); the idea of nanoGPT (Karpathy) of one small file that a reader can hold in mind.  The attention
itself is :mod:`visualizer.models.transformer_torch` (no second implementation here).
B batch, T tokens (<= block_size), V vocabulary, D d_model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from visualizer.models.transformer_torch import StackConfig, TransformerStack, causal_mask


@dataclass(frozen=True)
class GPTConfig:
    """The size of a GPT: vocabulary V, context length ``block_size``, layers, heads, d_model, dropout.
    The feed-forward width is 4·d_model (GPT).  Raises ValueError for sizes that cannot work."""

    vocab_size: int = 65
    block_size: int = 64
    n_layers: int = 4
    n_heads: int = 4
    d_model: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if min(self.vocab_size, self.block_size, self.n_layers, self.n_heads, self.d_model) < 1:
            raise ValueError(f"vocabulary, block size, layers, heads and d_model must be positive: {self}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not a multiple of the {self.n_heads} heads")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def stack(self) -> StackConfig:
        """The :class:`StackConfig` of the pre-norm decoder stack."""
        return StackConfig(n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads,
                           d_ff=4 * self.d_model, dropout=self.dropout, pre_norm=True, activation="gelu")


def sampling_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0) -> torch.Tensor:
    """The distribution a sampler draws the next token from, given the last position's logits (B, V):
    softmax(logits / temperature) over the top_k largest logits (0 or >= V: all; ties with the k-th are kept),
    (B, V) float32 summing to 1.  temperature 0: all mass on the most likely token (greedy decoding).
    Chollet, *Deep Learning with Python* 2e ch. 12.1 (reweighting a distribution with a temperature); top-k as in
    Fan et al. (2018).  Raises ValueError for a negative temperature or top_k."""
    if temperature < 0 or top_k < 0:
        raise ValueError(f"temperature and top_k must not be negative, got {temperature}, {top_k}")
    logits = logits.float()
    if temperature == 0:
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    logits = logits / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]                  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)


class GPT(nn.Module):
    """Decoder-only Transformer language model (Radford et al. 2018/2019).

    forward(ids (B, T) int64, targets (B, T) int64 or None) -> (logits (B, T, V) float32, loss or None), the
    loss being the mean cross-entropy in nats per token.  Position t sees tokens 0..t only (causal mask), so
    ``logits[:, t]`` is the model's distribution over token t + 1.  Raises ValueError if T > block_size."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)                 # (V, D)
        self.pos_emb = nn.Embedding(cfg.block_size, cfg.d_model)                 # (block_size, D), learned
        self.drop = nn.Dropout(cfg.dropout)
        self.stack = TransformerStack(cfg.stack())                               # blocks + ln_f
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight                                   # tied: (V, D) shared
        self.register_buffer("mask", causal_mask(cfg.block_size), persistent=False)   # (1, 1, bs, bs)
        self.apply(self._init)
        for name, p in self.named_parameters():       # GPT-2: residual projections scaled by 1/sqrt(2L)
            if name.endswith(("attn.out.weight", "ffn.fc2.weight")):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, ids: torch.Tensor, targets: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        b, t = ids.shape
        if t > self.cfg.block_size:
            raise ValueError(f"{t} tokens are more than the block size {self.cfg.block_size}; crop the context")
        pos = torch.arange(t, device=ids.device)                                  # (T,)
        x = self.drop(self.tok_emb(ids) + self.pos_emb(pos))                      # (B, T, D)
        x = self.stack(x, self.mask[:, :, :t, :t])                                # (B, T, D), final LN applied
        logits = self.head(x)                                                     # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(b * t, -1), targets.reshape(b * t))
        return logits, loss

    def param_groups(self, weight_decay: float = 0.1) -> list[dict]:
        """Optimizer parameter groups: weight decay on the matrices (embeddings, linear weights), none on biases
        and layer-norm gains (as GPT-2 and nanoGPT train).  Each tied matrix appears once."""
        ps = list(self.parameters())
        return [{"params": [p for p in ps if p.dim() >= 2], "weight_decay": weight_decay},
                {"params": [p for p in ps if p.dim() < 2], "weight_decay": 0.0}]

    @torch.no_grad()
    def next_token_probs(self, ids: torch.Tensor, temperature: float = 1.0, top_k: int = 0) -> torch.Tensor:
        """The sampling distribution of the next token after each row of ``ids`` (B, T), the context cropped to
        the last block_size tokens: (B, V) float32 (see :func:`sampling_probs`).  Raises ValueError for a
        negative temperature or top_k, or an empty context."""
        if ids.shape[1] == 0:
            raise ValueError("the context is empty: give at least one token")
        logits, _ = self(ids[:, -self.cfg.block_size:])
        return sampling_probs(logits[:, -1, :], temperature, top_k)

    @torch.no_grad()
    def generate(self, ids: torch.Tensor, n_new: int, temperature: float = 1.0, top_k: int = 0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Append ``n_new`` sampled tokens to ``ids`` (B, T) -> (B, T + n_new) int64, one at a time, each fed
        back as input (Chollet ch. 12.1): p ∝ exp(logit / temperature) over the top_k most likely tokens
        (0: all); temperature 0 is greedy decoding.  The model is put in evaluation mode for the call and
        restored.  Raises ValueError as :meth:`next_token_probs` does."""
        was_training = self.training
        self.eval()
        try:
            for _ in range(max(0, int(n_new))):
                probs = self.next_token_probs(ids, temperature, top_k)           # (B, V)
                nxt = torch.multinomial(probs, 1, generator=generator)           # (B, 1)
                ids = torch.cat([ids, nxt], dim=1)
        finally:
            self.train(was_training)
        return ids


__all__ = ["GPT", "GPTConfig", "sampling_probs"]
