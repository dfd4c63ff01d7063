"""PyTorch twin of ``visualizer.models.encoder_decoder`` (imports torch: load only on the torch engine's path).

The same encoder-decoder on the same weights (the scratch layout of
:func:`visualizer.models.encoder_decoder.init_weights`): the LSTMs are ``torch.nn.LSTM`` built by
``visualizer.models.sequence_torch.recurrent_from_scratch`` (their hidden-side bias is frozen at 0, so the one
trainable bias is the scratch b), the embeddings and the affine layer are plain parameters used as ``W[ids]``
and ``x @ W + b``.  The peeky and attention twins (``peeky_torch``, ``attention_seq2seq_torch``) override
:meth:`TorchSeq2seq._decode`.  Source: Saitoh, *Deep Learning from Scratch 2*, 7.3.
"""
from __future__ import annotations

import numpy as np
import torch

from visualizer.models.sequence_torch import recurrent_from_scratch, time_softmax_cross_entropy
from visualizer.scratch.time_layers import TimeLSTM

TRANSPOSED = (".Wx", ".Wh")          # scratch names whose torch tensor is the transpose (LSTM weights)


def _lstm(weights: dict[str, np.ndarray], prefix: str) -> torch.nn.LSTM:
    layer = TimeLSTM(weights[f"{prefix}.Wx"], weights[f"{prefix}.Wh"], weights[f"{prefix}.b"])
    module = recurrent_from_scratch(layer)
    module.bias_hh_l0.requires_grad_(False)               # b lives in bias_ih only (scratch has one b)
    return module


class TorchSeq2seq(torch.nn.Module):
    """The plain encoder-decoder (see ``visualizer.models.encoder_decoder.Seq2seq``).
    ``forward(xs (N, Tq), ts (N, Ta))`` long -> mean cross-entropy (scalar tensor);
    ``generate(xs, start_id, length)`` -> greedy answers (N, length) long.  weights: the scratch layout of
    ``init_weights`` (copied); reverse_input: feed each question reversed."""

    kind = "seq2seq"

    def __init__(self, weights: dict[str, np.ndarray], reverse_input: bool = False) -> None:
        super().__init__()
        self.reverse_input = bool(reverse_input)
        P = torch.nn.Parameter
        self.enc_embed = P(torch.from_numpy(weights["encoder.embed.W"].copy()))
        self.enc_lstm = _lstm(weights, "encoder.lstm")
        self.dec_embed = P(torch.from_numpy(weights["decoder.embed.W"].copy()))
        self.dec_lstm = _lstm(weights, "decoder.lstm")
        self.aff_W = P(torch.from_numpy(weights["decoder.affine.W"].copy()))
        self.aff_b = P(torch.from_numpy(weights["decoder.affine.b"].copy()))

    def named_scratch_params(self) -> dict[str, torch.Tensor]:
        """The trainable tensors by scratch name (LSTM weights as torch stores them: transposed)."""
        return {"encoder.embed.W": self.enc_embed, "encoder.lstm.Wx": self.enc_lstm.weight_ih_l0,
                "encoder.lstm.Wh": self.enc_lstm.weight_hh_l0, "encoder.lstm.b": self.enc_lstm.bias_ih_l0,
                "decoder.embed.W": self.dec_embed, "decoder.lstm.Wx": self.dec_lstm.weight_ih_l0,
                "decoder.lstm.Wh": self.dec_lstm.weight_hh_l0, "decoder.lstm.b": self.dec_lstm.bias_ih_l0,
                "decoder.affine.W": self.aff_W, "decoder.affine.b": self.aff_b}

    def scratch_gradients(self) -> dict[str, np.ndarray]:
        """The last backward's gradients in the scratch layout and order: name -> float64 NumPy copy
        (LSTM Wx (D, 4H), Wh (H, 4H) transposed back).  Copies to the host: not for the step path."""
        out = {}
        for name, p in self.named_scratch_params().items():
            g = p.grad.detach()
            out[name] = (g.T if name.endswith(TRANSPOSED) else g).double().cpu().numpy()
        return out

    def _encode(self, xs: torch.Tensor) -> torch.Tensor:
        if self.reverse_input:
            xs = xs.flip(1)
        hs, _ = self.enc_lstm(self.enc_embed[xs])          # (N, Tq, H)
        return hs

    def _decode(self, xs: torch.Tensor, enc_hs: torch.Tensor, state):
        """Scores (N, T, V) for decoder inputs xs (N, T), the LSTM state after them and the attention
        weights (None here)."""
        out, state = self.dec_lstm(self.dec_embed[xs], state)           # (N, T, H)
        return out @ self.aff_W + self.aff_b, state, None

    def _initial(self, enc_hs: torch.Tensor):
        h0 = enc_hs[:, -1, :][None].contiguous()          # (1, N, H)
        return h0, torch.zeros_like(h0)

    def forward(self, xs: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
        enc_hs = self._encode(xs)
        score, _, _ = self._decode(ts[:, :-1], enc_hs, self._initial(enc_hs))
        return time_softmax_cross_entropy(score, ts[:, 1:])

    @torch.no_grad()
    def generate(self, xs: torch.Tensor, start_id: int, length: int) -> torch.Tensor:
        enc_hs = self._encode(xs)
        state = self._initial(enc_hs)
        x = torch.full((xs.shape[0], 1), start_id, dtype=torch.long, device=xs.device)
        out, weights = [], []
        for _ in range(length):
            score, state, w = self._decode(x, enc_hs, state)
            x = score.argmax(dim=2)                        # (N, 1)
            out.append(x)
            if w is not None:
                weights.append(w)
        self._generated_weights(weights)
        return torch.cat(out, dim=1)

    def _generated_weights(self, weights: list[torch.Tensor]) -> None:
        """Keep what a model with attention needs of one generate() call (nothing here)."""
