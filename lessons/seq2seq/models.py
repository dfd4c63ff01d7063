"""Sequence-to-sequence models of the NumPy engine (Qt-free): encoder-decoder LSTMs, the peeky decoder and
attention, with Adam and gradient clipping in :class:`Seq2seqTrainer`.

Source: Saitoh, *Deep Learning from Scratch 2*, chapter 7 (``ch07/seq2seq.py``, ``peeky_seq2seq.py``:
Encoder, Decoder, PeekyDecoder, reversed input after Sutskever, Vinyals & Le 2014; the peeky decoder after
Cho et al. 2014) and chapter 8 (``ch08/attention_seq2seq.py``; Bahdanau et al. 2015, Luong et al. 2015);
Yoon, *Python raw-coding deep learning*, ch. 12 and 14 (the same ideas).  Weights are initialized as the
book does: embeddings 𝒩(0, 0.01²), LSTM and affine weights 𝒩(0, 1/fan_in), biases 0, float32.

Unlike the book, everything is vectorized over the batch: ``generate`` decodes a whole batch greedily at
once (the book decodes one question at a time), and the only Python loops are over time (the LSTM
recurrence and the greedy decoding steps).  Reversed input (``reverse_input=True``) flips each question
inside ``forward``/``generate``, so callers always pass questions in reading order.

Shapes: questions xs (N, Tq) int ids; answers ts (N, Ta) int ids whose first column is the start symbol
``_``: the decoder reads ts[:, :-1] and is trained to output ts[:, 1:] (teacher forcing).
The PyTorch twin is in ``lessons.seq2seq.torch_models`` (same weights, same numbers).
"""
from __future__ import annotations

import math

import numpy as np

from visualizer.scratch.attention import TimeAttention
from visualizer.scratch.clipping import clip_grads
from visualizer.scratch.embedding import TimeEmbedding
from visualizer.scratch.optimizers import Adam
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


class PeekySeq2seq(Seq2seq):
    """:class:`Seq2seq` with a :class:`PeekyDecoder`.  Source: Saitoh, 7.5.2."""

    kind = "peeky"
    decoder_cls = PeekyDecoder


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


MODELS = {"seq2seq": Seq2seq, "peeky": PeekySeq2seq, "attention": AttentionSeq2seq}

BOOK_ADAM_EPS = 1e-7


def book_adam_eps(t: int, beta2: float = 0.999, eps: float = BOOK_ADAM_EPS) -> float:
    """The ε that makes the PyTorch-style Adam update of step t (1-based) equal the book's.

    The book (``common/optimizer.py``) steps w -= lr_t · m / (√v + 1e-7) with
    lr_t = lr √(1 − β2^t) / (1 − β1^t): ε is added to the *uncorrected* √v.  ``torch.optim.Adam`` (and
    :class:`visualizer.scratch.optimizers.Adam`) add ε to the bias-corrected √v / √(1 − β2^t); both rules
    agree when ε_t = 1e-7 / √(1 − β2^t), which is
    about 3e-6 at the first step, 1e-6 after 10 steps and 1.3e-7 after 1,000.  With a fixed ε = 1e-8 instead,
    every weight whose gradient is below about 1e-6 moves by a full lr-sized step along its noise; at the
    start that is about 3/4 of both LSTMs' Wx and Wh (median |g| ~1e-7 on the date task: the inputs are
    embeddings of scale 0.01).  On the book's date task (benchmarks/bench_attention.py) PyTorch's rule gave
    1.2 % exact match after two epochs, the book's rule 73 % (the book's code: 51.7 %)."""
    return eps / math.sqrt(1.0 - beta2 ** t)


class BookAdam(Adam):
    """Adam with the book's ε placement (see :func:`book_adam_eps`): the scratch Adam with ε set for each
    step.  Same arguments as :class:`visualizer.scratch.optimizers.Adam`, ``eps`` = the book's 1e-7."""

    def __init__(self, params, grads, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = BOOK_ADAM_EPS) -> None:
        super().__init__(params, grads, lr, betas)
        self.book_eps = float(eps)

    def step(self) -> None:
        self.eps = book_adam_eps(self.t + 1, self.beta2, self.book_eps)
        super().step()


class Seq2seqTrainer:
    """One engine's model, Adam and clipping behind a small interface the lessons use:
    ``train_step(xs, ts)`` -> loss (float), ``generate(xs, start_id, length)`` -> (N, length) ids,
    ``attention_weights`` after generate (attention models), ``gradient_arrays()``, ``state_dict()`` /
    ``load_state_dict()``, ``lr`` and ``max_grad_norm`` attributes (live).

    Each step: forward, backward, clip the global gradient norm to ``max_grad_norm`` (0 = off), Adam with
    the book's ε (:class:`BookAdam`).  Source: Saitoh, ch. 7 (``Trainer.fit(..., max_grad=5.0)``)."""

    engine = "numpy"

    def __init__(self, kind: str, weights: dict[str, np.ndarray], reverse_input: bool = False,
                 lr: float = 1e-3, max_grad_norm: float = 5.0) -> None:
        self.model = MODELS[kind](weights, reverse_input)
        self.optimizer = BookAdam(self.model.params, self.model.grads, lr=lr)
        self.max_grad_norm = max_grad_norm
        self.last_grad_norm = float("nan")

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = value

    def train_step(self, xs: np.ndarray, ts: np.ndarray) -> float:
        loss = self.model.forward(xs, ts)
        self.model.backward()
        if self.max_grad_norm > 0:
            self.last_grad_norm = clip_grads(self.model.grads, self.max_grad_norm)
        self.optimizer.step()
        return loss

    def generate(self, xs: np.ndarray, start_id: int, length: int) -> np.ndarray:
        return self.model.generate(xs, start_id, length)

    @property
    def attention_weights(self) -> np.ndarray | None:
        return getattr(self.model, "attention_weights", None)

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """Last step's (clipped) gradients, name -> float64 copy."""
        return {n: g.astype(np.float64) for n, g in zip(self.model.names, self.model.grads)}

    def state_dict(self) -> dict[str, np.ndarray]:
        return {n: p.copy() for n, p in zip(self.model.names, self.model.params)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy weights in.  Raises ValueError naming a missing or mis-shaped array."""
        check_state(state, dict(zip(self.model.names, self.model.params)))
        for n, p in zip(self.model.names, self.model.params):
            p[...] = state[n]


def check_state(state: dict[str, np.ndarray], params: dict[str, np.ndarray]) -> None:
    """Raise ValueError unless ``state`` has every name of ``params`` with the same shape."""
    for n, p in params.items():
        if n not in state:
            raise ValueError(f"the checkpoint has no array {n!r}: it was saved by another model")
        if tuple(np.shape(state[n])) != tuple(p.shape):
            raise ValueError(f"the checkpoint's {n} has shape {tuple(np.shape(state[n]))}, this model needs "
                             f"{tuple(p.shape)}: it was saved with other sizes")


def build_trainer(engine: str, kind: str, vocab_size: int, wordvec_size: int, hidden_size: int, seed: int,
                  reverse_input: bool = False, lr: float = 1e-3, max_grad_norm: float = 5.0,
                  device: str = "cpu"):
    """A :class:`Seq2seqTrainer` (engine "numpy") or its PyTorch twin (engine "torch", imported lazily),
    both starting from :func:`init_weights` with ``seed``.  Raises ValueError for an unknown engine or
    kind; LessonConfigError for an unusable device."""
    weights = init_weights(kind, vocab_size, wordvec_size, hidden_size, seed)
    if engine == "numpy":
        return Seq2seqTrainer(kind, weights, reverse_input, lr, max_grad_norm)
    if engine == "torch":
        from lessons.seq2seq.torch_models import TorchSeq2seqTrainer
        return TorchSeq2seqTrainer(kind, weights, reverse_input, lr, max_grad_norm, device)
    raise ValueError(f"unknown engine {engine!r}")
