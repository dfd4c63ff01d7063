"""PyTorch twin of ``visualizer.models.peeky`` (imports torch): the decoder sees the encoder's summary h at
every step, concatenated to each embedded input and to each LSTM output.  Source: Saitoh, *Deep Learning
from Scratch 2*, 7.5.2 (after Cho et al. 2014)."""
from __future__ import annotations

import torch

from visualizer.models.encoder_decoder_torch import TorchSeq2seq


class TorchPeekySeq2seq(TorchSeq2seq):
    """:class:`TorchSeq2seq` with the peeky decoder (LSTM input width H + D, affine input width 2H)."""

    kind = "peeky"

    def _decode(self, xs: torch.Tensor, enc_hs: torch.Tensor, state):
        e = self.dec_embed[xs]                             # (N, T, D)
        N, T = xs.shape
        h = enc_hs[:, -1, :]                               # (N, H)
        hs = h[:, None, :].expand(N, T, h.shape[1])        # (N, T, H)
        out, state = self.dec_lstm(torch.cat([hs, e], dim=2), state)
        return torch.cat([hs, out], dim=2) @ self.aff_W + self.aff_b, state, None
