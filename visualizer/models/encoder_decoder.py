"""The encoder-decoder (seq2seq) of the NumPy engine (Qt-free): the book's weight layout for every
sequence-to-sequence model, the encoder, the plain decoder and :class:`Seq2seq`.

Source: Saitoh, *Deep Learning from Scratch 2*, chapter 7 (``ch07/seq2seq.py``: Encoder, Decoder, Seq2seq;
reversed input after Sutskever, Vinyals & Le 2014); Yoon, *Python raw-coding deep learning*, ch. 12.  Weights
are initialized as the book does: embeddings 𝒩(0, 0.01²), LSTM and affine weights 𝒩(0, 1/fan_in), biases 0,
float32.  The peeky decoder is in ``visualizer.models.peeky``, attention in
``visualizer.models.attention_seq2seq``; the PyTorch twins in the ``*_torch`` modules beside them.

Unlike the book, everything is vectorized over the batch: ``generate`` decodes a whole batch greedily at
once (the book decodes one question at a time), and the only Python loops are over time (the LSTM
recurrence and the greedy decoding steps).  Reversed input (``reverse_input=True``) flips each question
inside ``forward``/``generate``, so callers always pass questions in reading order.

Shapes: questions xs (N, Tq) int ids; answers ts (N, Ta) int ids whose first column is the start symbol
``_``: the decoder reads ts[:, :-1] and is trained to output ts[:, 1:] (teacher forcing).
"""
from __future__ import annotations

import numpy as np

from visualizer.scratch.embedding import TimeEmbedding
from visualizer.scratch.time_layers import TimeAffine, TimeLSTM, TimeSoftmaxWithLoss

KINDS = ("seq2seq", "peeky", "attention")


def init_weights(kind: str, vocab_size: int, wordvec_size: int, hidden_size: int, seed: int,
                 dtype=np.float32) -> dict[str, np.ndarray]:
    """Initial weights by name, drawn from ``numpy.random.default_rng(seed)`` in a fixed order (the same on
    both engines).  kind: "seq2seq", "peeky" or "attention".  V, D, H = vocab, wordvec, hidden size:
    encoder.embed.W (V, D), encoder.lstm.Wx (D, 4H), .Wh (H, 4H), .b (4H,); decoder.embed.W (V, D),
    decoder.lstm.Wx (D, 4H) or (H + D, 4H) peeky, .Wh, .b; decoder.affine.W (H, V), (2H, V) for peeky and
    attention, .b (V,).  Raises ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
    V, D, H = vocab_size, wordvec_size, hidden_size
    rng = np.random.default_rng(seed)

    def randn(*shape, scale):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    dec_in = H + D if kind == "peeky" else D
    aff_in = 2 * H if kind in ("peeky", "attention") else H
    return {
        "encoder.embed.W": randn(V, D, scale=0.01),
        "encoder.lstm.Wx": randn(D, 4 * H, scale=1 / np.sqrt(D)),
        "encoder.lstm.Wh": randn(H, 4 * H, scale=1 / np.sqrt(H)),
        "encoder.lstm.b": np.zeros(4 * H, dtype),
        "decoder.embed.W": randn(V, D, scale=0.01),
        "decoder.lstm.Wx": randn(dec_in, 4 * H, scale=1 / np.sqrt(dec_in)),
        "decoder.lstm.Wh": randn(H, 4 * H, scale=1 / np.sqrt(H)),
        "decoder.lstm.b": np.zeros(4 * H, dtype),
        "decoder.affine.W": randn(aff_in, V, scale=1 / np.sqrt(aff_in)),
        "decoder.affine.b": np.zeros(V, dtype),
    }


class Encoder:
    """TimeEmbedding -> TimeLSTM.  xs (N, T) ids -> h (N, H), the last hidden state (``forward``) or all
    hidden states hs (N, T, H) (``forward_all``).  ``backward(dh)`` takes dh (N, H) (or dhs (N, T, H) with
    ``backward_all``).  Source: Saitoh, 7.3.1."""

    def __init__(self, embed_W: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> None:
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(Wx, Wh, b, stateful=False)
        self.params = self.embed.params + self.lstm.params
        self.grads = self.embed.grads + self.lstm.grads
        self._hs_shape: tuple[int, ...] | None = None

    def forward_all(self, xs: np.ndarray) -> np.ndarray:
        hs = self.lstm.forward(self.embed.forward(xs))    # (N, T, H)
        self._hs_shape = hs.shape
        return hs

    def forward(self, xs: np.ndarray) -> np.ndarray:
        return self.forward_all(xs)[:, -1, :]              # (N, H)

    def backward_all(self, dhs: np.ndarray) -> None:
        self.embed.backward(self.lstm.backward(dhs))

    def backward(self, dh: np.ndarray) -> None:
        dhs = np.zeros(self._hs_shape, dtype=dh.dtype)     # (N, T, H)
        dhs[:, -1, :] = dh
        self.backward_all(dhs)


class Decoder:
    """TimeEmbedding -> TimeLSTM (initial state h from the encoder, c = 0) -> TimeAffine.
    ``forward(xs (N, T), h (N, H))`` -> scores (N, T, V); ``backward(dscore)`` -> dh (N, H);
    ``generate(h, start_ids (N,), length)`` -> greedy ids (N, length).  Source: Saitoh, 7.3.2."""

    def __init__(self, embed_W, Wx, Wh, b, affine_W, affine_b) -> None:
        self.embed = TimeEmbedding(embed_W)
        self.lstm = TimeLSTM(Wx, Wh, b, stateful=True)
        self.affine = TimeAffine(affine_W, affine_b)
        self.layers = (self.embed, self.lstm, self.affine)
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def _start(self, h: np.ndarray) -> None:
        self.lstm.set_state(h, np.zeros_like(h))

    def _step(self, xs: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Scores (N, T, V) for decoder inputs xs (N, T), continuing the LSTM's state."""
        return self.affine.forward(self.lstm.forward(self.embed.forward(xs)))

    def forward(self, xs: np.ndarray, h: np.ndarray) -> np.ndarray:
        self._start(h)
        return self._step(xs, h)                           # (N, T, V)

    def backward(self, dscore: np.ndarray) -> np.ndarray:
        self.embed.backward(self.lstm.backward(self.affine.backward(dscore)))
        return self.lstm.dh                                # (N, H)

    def generate(self, h: np.ndarray, start_ids: np.ndarray, length: int) -> np.ndarray:
        self._start(h)
        x = np.asarray(start_ids, dtype=np.int64).reshape(-1, 1)           # (N, 1)
        out = np.empty((x.shape[0], length), dtype=np.int64)
        for t in range(length):                            # greedy decoding, all N at once
            x = self._step(x, h).argmax(axis=2)            # (N, 1)
            out[:, t] = x[:, 0]
        return out


class Seq2seq:
    """Encoder-decoder: ``forward(xs (N, Tq), ts (N, Ta))`` -> mean cross-entropy over the N·(Ta − 1)
    answer characters (teacher forcing); ``backward()`` fills ``grads``; ``generate(xs, start_id, length)``
    -> greedy answers (N, length) int64.  ``params``/``grads``/``names`` are parallel lists.

    weights: from :func:`init_weights` (used in place, not copied).  reverse_input: feed each question
    reversed (Sutskever et al. 2014).  Source: Saitoh, 7.3.3."""

    kind = "seq2seq"
    decoder_cls = Decoder

    def __init__(self, weights: dict[str, np.ndarray], reverse_input: bool = False) -> None:
        w = weights
        self.reverse_input = bool(reverse_input)
        self.encoder = Encoder(w["encoder.embed.W"], w["encoder.lstm.Wx"], w["encoder.lstm.Wh"],
                               w["encoder.lstm.b"])
        self.decoder = self.decoder_cls(w["decoder.embed.W"], w["decoder.lstm.Wx"], w["decoder.lstm.Wh"],
                                        w["decoder.lstm.b"], w["decoder.affine.W"], w["decoder.affine.b"])
        self.softmax = TimeSoftmaxWithLoss(ignore_label=None)
        self.names = list(weights)
        self.params = self.encoder.params + self.decoder.params
        self.grads = self.encoder.grads + self.decoder.grads

    @classmethod
    def create(cls, vocab_size: int, wordvec_size: int, hidden_size: int, seed: int = 0,
               reverse_input: bool = False) -> "Seq2seq":
        """A model with fresh weights (:func:`init_weights`)."""
        return cls(init_weights(cls.kind, vocab_size, wordvec_size, hidden_size, seed), reverse_input)

    def _questions(self, xs: np.ndarray) -> np.ndarray:
        return xs[:, ::-1] if self.reverse_input else xs

    def _encode(self, xs: np.ndarray):
        return self.encoder.forward(self._questions(xs))

    def forward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        state = self._encode(xs)
        score = self.decoder.forward(ts[:, :-1], state)    # (N, Ta − 1, V)
        return self.softmax.forward(score, ts[:, 1:])

    def backward(self) -> None:
        dstate = self.decoder.backward(self.softmax.backward())
        self._encoder_backward(dstate)

    def _encoder_backward(self, dh: np.ndarray) -> None:
        self.encoder.backward(dh)

    def generate(self, xs: np.ndarray, start_id: int, length: int) -> np.ndarray:
        state = self._encode(xs)
        return self.decoder.generate(state, np.full(len(xs), start_id), length)
