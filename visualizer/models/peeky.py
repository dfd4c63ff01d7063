"""The peeky seq2seq of the NumPy engine (Qt-free): the decoder sees the encoder's summary h at every
step.  Source: Saitoh, *Deep Learning from Scratch 2*, 7.5.2 (``ch07/peeky_seq2seq.py``, after Cho et al.
2014).  Shapes and weights as ``visualizer.models.encoder_decoder``; the PyTorch twin is
``visualizer.models.peeky_torch``."""
from __future__ import annotations

import numpy as np

from visualizer.models.encoder_decoder import Decoder, Seq2seq

class PeekyDecoder(Decoder):
    """A decoder that "peeks" at the encoder's summary h at every step: h is concatenated to every
    embedded input (LSTM input width H + D) and to every LSTM output (affine input width 2H).
    Shapes as :class:`Decoder`; ``backward`` returns dh (N, H) summed over all the places h went.
    Source: Saitoh, 7.5.2 (after Cho et al. 2014)."""

    def _step(self, xs: np.ndarray, h: np.ndarray) -> np.ndarray:
        N, T = xs.shape
        H = h.shape[1]
        # [h, embed(x_t)] Wx for every t: the LSTM takes h as x_const, so h Wx[:H] is one product per
        # sequence (the same numbers as concatenating h to every step's input, as the book does).
        out = self.lstm.forward(self.embed.forward(xs), x_const=h)          # (N, T, H)
        self._H = H
        hs = np.broadcast_to(h[:, None, :], (N, T, H))
        return self.affine.forward(np.concatenate([hs, out], axis=2))  # (N, T, V)

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        H = self._H
        dout = self.affine.backward(dscore)                # (N, T, 2H)
        dhs0, dout = dout[:, :, :H], dout[:, :, H:]
        self.embed.backward(self.lstm.backward(np.ascontiguousarray(dout)))    # (N, T, D) embeddings' grads
        return self.lstm.dh + dhs0.sum(axis=1) + self.lstm.dx_const       # (N, H)


class PeekySeq2seq(Seq2seq):
    """:class:`Seq2seq` with a :class:`PeekyDecoder`.  Source: Saitoh, 7.5.2."""

    kind = "peeky"
    decoder_cls = PeekyDecoder
