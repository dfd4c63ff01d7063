"""PyTorch twin of ``visualizer.models.attention_seq2seq`` (imports torch): dot-product attention of each
decoder state over every encoder state.  Source: Saitoh, *Deep Learning from Scratch 2*, 8.2; Luong, Pham &
Manning 2015."""
from __future__ import annotations

import torch

from visualizer.models.encoder_decoder_torch import TorchSeq2seq
from visualizer.models.sequence_torch import time_attention


class TorchAttentionSeq2seq(TorchSeq2seq):
    """:class:`TorchSeq2seq` whose decoder attends over every encoder state, [c_t, h_t] (2H) into the affine.
    After ``generate``, ``attention_weights`` (N, length, Tq) holds each output character's weights over
    the question's characters in reading order (un-reversed)."""

    kind = "attention"

    def __init__(self, weights, reverse_input: bool = False) -> None:
        super().__init__(weights, reverse_input)
        self.attention_weights: torch.Tensor | None = None

    def _decode(self, xs: torch.Tensor, enc_hs: torch.Tensor, state):
        out, state = self.dec_lstm(self.dec_embed[xs], state)           # (N, T, H)
        c, weights = time_attention(enc_hs, out)                          # (N, T, H), (N, T, Tq)
        return torch.cat([c, out], dim=2) @ self.aff_W + self.aff_b, state, weights

    def _generated_weights(self, weights: list[torch.Tensor]) -> None:
        if not weights:
            return
        a = torch.cat(weights, dim=1)                      # (N, length, Tq)
        self.attention_weights = a.flip(2) if self.reverse_input else a
