"""The attention seq2seq of the NumPy engine (Qt-free): the decoder attends over every encoder state.
Source: Saitoh, *Deep Learning from Scratch 2*, chapter 8 (``ch08/attention_seq2seq.py``; Bahdanau, Cho &
Bengio 2015; Luong, Pham & Manning 2015); Yoon, *Python raw-coding deep learning*, ch. 14.  Shapes and
weights as ``visualizer.models.encoder_decoder``; the PyTorch twin is
``visualizer.models.attention_seq2seq_torch``."""
from __future__ import annotations

import numpy as np

from visualizer.models.encoder_decoder import Decoder, Seq2seq
from visualizer.scratch.attention import TimeAttention

class AttentionDecoder(Decoder):
    """Decoder with dot-product attention over all encoder states: the LSTM output h_t scores every encoder
    state, their softmax weights average them into a context c_t, and [c_t, h_t] (2H) goes to the affine.
    ``forward(xs (N, T), enc_hs (N, Tx, H))`` -> scores (N, T, V); ``backward(dscore)`` -> denc_hs
    (N, Tx, H); ``generate(enc_hs, start_ids, length)`` -> ids (N, length), with the weights of every
    generated step in ``attention_weights`` (N, length, Tx).  Source: Saitoh, 8.2.2; Luong et al. 2015."""

    def __init__(self, embed_W, Wx, Wh, b, affine_W, affine_b) -> None:
        super().__init__(embed_W, Wx, Wh, b, affine_W, affine_b)
        self.attention = TimeAttention()
        self.attention_weights: np.ndarray | None = None

    def _start(self, enc_hs: np.ndarray) -> None:
        h = enc_hs[:, -1, :]
        self.lstm.set_state(np.ascontiguousarray(h), np.zeros_like(h))

    def _step(self, xs: np.ndarray, enc_hs: np.ndarray) -> np.ndarray:
        dec_hs = self.lstm.forward(self.embed.forward(xs))                # (N, T, H)
        c = self.attention.forward(enc_hs, dec_hs)                       # (N, T, H)
        self._H = dec_hs.shape[2]
        return self.affine.forward(np.concatenate([c, dec_hs], axis=2))  # (N, T, V)

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        H = self._H
        dout = self.affine.backward(dscore)                # (N, T, 2H)
        dc, ddec_hs0 = dout[:, :, :H], dout[:, :, H:]
        denc_hs, ddec_hs1 = self.attention.backward(dc)
        self.embed.backward(self.lstm.backward(ddec_hs0 + ddec_hs1))
        denc_hs[:, -1, :] += self.lstm.dh
        return denc_hs                                     # (N, Tx, H)

    def generate(self, enc_hs: np.ndarray, start_ids: np.ndarray, length: int) -> np.ndarray:
        self._start(enc_hs)
        x = np.asarray(start_ids, dtype=np.int64).reshape(-1, 1)
        N = x.shape[0]
        out = np.empty((N, length), dtype=np.int64)
        weights = np.empty((N, length, enc_hs.shape[1]), dtype=enc_hs.dtype)
        for t in range(length):
            x = self._step(x, enc_hs).argmax(axis=2)
            out[:, t] = x[:, 0]
            weights[:, t] = self.attention.attention_weights[:, 0]
        self.attention_weights = weights
        return out


class AttentionSeq2seq(Seq2seq):
    """:class:`Seq2seq` whose decoder attends over every encoder state (:class:`AttentionDecoder`).
    After ``generate``, ``attention_weights`` is (N, length, Tq): row t is the weights over the question's
    characters *in reading order* (un-reversed) when output character t was produced.  Source: Saitoh, 8.2."""

    kind = "attention"
    decoder_cls = AttentionDecoder

    def _encode(self, xs: np.ndarray):
        return self.encoder.forward_all(self._questions(xs))

    def _encoder_backward(self, denc_hs: np.ndarray) -> None:
        self.encoder.backward_all(denc_hs)

    @property
    def attention_weights(self) -> np.ndarray | None:
        a = self.decoder.attention_weights
        if a is None:
            return None
        return a[:, :, ::-1] if self.reverse_input else a
