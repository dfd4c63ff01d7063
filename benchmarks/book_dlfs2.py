"""The book's own code, reimplemented for the reference timings of the benchmarks (not used by the app).

A faithful copy of the CPU path, float32 ('f'), of Saitoh, *Deep Learning from Scratch 2*: ``common/layers.py``,
``common/time_layers.py``, ``common/trainer.py``, ``common/optimizer.py`` and ``common/util.py`` of the book's
repository (oreilly-japan/deep-learning-from-scratch-2, MIT License, (c) 2018 Koki Saitoh), ch. 5-6: Embedding with
``np.add.at``, an LSTM cell object per time step with its own x_t W_x product, the five-pass softmax,
``remove_duplicate``, ``clip_grads``, SGD and the RNNLM trainer's ``get_batch`` loops.  Used by ``bench_lm`` and
``bench_time_layers``.

Ch. 7-8, from the same repository: ``ch07/seq2seq.py`` (Encoder, Decoder, Seq2seq), ``ch07/peeky_seq2seq.py``
(PeekyDecoder, PeekySeq2seq), ``ch08/attention_layer.py`` (WeightSum, AttentionWeight, Attention, TimeAttention with
one Attention object per decoder step), ``ch08/attention_seq2seq.py`` (AttentionEncoder, AttentionDecoder,
AttentionSeq2seq), ``common/layers.py`` Softmax, ``common/optimizer.py`` Adam, one iteration of
``common/trainer.py`` Trainer.fit (forward, backward, remove_duplicate, clip_grads, update) and ``common/util.py``
eval_seq2seq (one question at a time, as the scripts evaluate).  The weights are drawn
in the book's order and scale (randn / 100, randn / sqrt(fan_in)) from ``numpy.random.default_rng(seed)`` instead
of the global ``np.random.randn``.  Used by ``bench_seq2seq`` and ``bench_attention``.
"""
# The book's code as written: its unused shape unpacks, `return None` and `range(0, ...)` stay.
# ruff: noqa: RUF059, RET501, PLR1711, PIE808
from __future__ import annotations

import numpy as np


def book_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def book_softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    x = np.exp(x)
    x /= x.sum(axis=1, keepdims=True)
    return x


class BookEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        W, = self.params
        self.idx = idx
        return W[idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)
        return None


class BookTimeEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.layers = None
        self.W = W

    def forward(self, xs):
        N, T = xs.shape
        V, D = self.W.shape
        out = np.empty((N, T, D), dtype="f")
        self.layers = []
        for t in range(T):
            layer = BookEmbedding(self.W)
            out[:, t, :] = layer.forward(xs[:, t])
            self.layers.append(layer)
        return out

    def backward(self, dout):
        N, T, D = dout.shape
        grad = 0
        for t in range(T):
            layer = self.layers[t]
            layer.backward(dout[:, t, :])
            grad += layer.grads[0]
        self.grads[0][...] = grad
        return None


class BookLSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        N, H = h_prev.shape
        A = np.dot(x, Wx) + np.dot(h_prev, Wh) + b
        f, g, i, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
        f, g, i, o = book_sigmoid(f), np.tanh(g), book_sigmoid(i), book_sigmoid(o)
        c_next = f * c_prev + g * i
        h_next = o * np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, b = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        tanh_c_next = np.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)
        dc_prev = ds * f
        di, df, do, dg = ds * g, ds * c_prev, dh_next * tanh_c_next, ds * i
        di *= i * (1 - i)
        df *= f * (1 - f)
        do *= o * (1 - o)
        dg *= (1 - g ** 2)
        dA = np.hstack((df, dg, di, do))
        dWh = np.dot(h_prev.T, dA)
        dWx = np.dot(x.T, dA)
        db = dA.sum(axis=0)
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return np.dot(dA, Wx.T), np.dot(dA, Wh.T), dc_prev


class BookTimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.layers = None
        self.h, self.c = None, None
        self.dh = None
        self.stateful = stateful

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, D = xs.shape
        H = Wh.shape[0]
        self.layers = []
        hs = np.empty((N, T, H), dtype="f")
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H), dtype="f")
        if not self.stateful or self.c is None:
            self.c = np.zeros((N, H), dtype="f")
        for t in range(T):
            layer = BookLSTM(*self.params)
            self.h, self.c = layer.forward(xs[:, t, :], self.h, self.c)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        Wx, Wh, b = self.params
        N, T, H = dhs.shape
        D = Wx.shape[0]
        dxs = np.empty((N, T, D), dtype="f")
        dh, dc = 0, 0
        grads = [0, 0, 0]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)
            dxs[:, t, :] = dx
            for i, grad in enumerate(layer.grads):
                grads[i] += grad
        for i, grad in enumerate(grads):
            self.grads[i][...] = grad
        self.dh = dh
        return dxs

    def set_state(self, h, c=None):
        self.h, self.c = h, c

    def reset_state(self):
        self.h, self.c = None, None


class BookTimeAffine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        N, T, D = x.shape
        W, b = self.params
        rx = x.reshape(N * T, -1)
        out = np.dot(rx, W) + b
        self.x = x
        return out.reshape(N, T, -1)

    def backward(self, dout):
        x = self.x
        N, T, D = x.shape
        W, b = self.params
        dout = dout.reshape(N * T, -1)
        rx = x.reshape(N * T, -1)
        db = np.sum(dout, axis=0)
        dW = np.dot(rx.T, dout)
        dx = np.dot(dout, W.T).reshape(*x.shape)
        self.grads[0][...] = dW
        self.grads[1][...] = db
        return dx


class BookTimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None
        self.ignore_label = -1

    def forward(self, xs, ts):
        N, T, V = xs.shape
        mask = (ts != self.ignore_label)
        xs = xs.reshape(N * T, V)
        ts = ts.reshape(N * T)
        mask = mask.reshape(N * T)
        ys = book_softmax(xs)
        ls = np.log(ys[np.arange(N * T), ts])
        ls *= mask
        loss = -np.sum(ls)
        loss /= mask.sum()
        self.cache = (ts, ys, mask, (N, T, V))
        return loss

    def backward(self, dout=1):
        ts, ys, mask, (N, T, V) = self.cache
        dx = ys
        dx[np.arange(N * T), ts] -= 1
        dx *= dout
        dx /= mask.sum()
        dx *= mask[:, np.newaxis]
        return dx.reshape((N, T, V))


class BookRnnlm:
    """``ch06/rnnlm.py``: TimeEmbedding -> TimeLSTM (stateful) -> TimeAffine -> TimeSoftmaxWithLoss."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = rng.standard_normal
        embed_W = (rn((V, D)) / 100).astype("f")
        lstm_Wx = (rn((D, 4 * H)) / np.sqrt(D)).astype("f")
        lstm_Wh = (rn((H, 4 * H)) / np.sqrt(H)).astype("f")
        lstm_b = np.zeros(4 * H).astype("f")
        affine_W = (rn((H, V)) / np.sqrt(H)).astype("f")
        affine_b = np.zeros(V).astype("f")
        self.layers = [BookTimeEmbedding(embed_W), BookTimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True),
                       BookTimeAffine(affine_W, affine_b)]
        self.loss_layer = BookTimeSoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, ts):
        for layer in self.layers:
            xs = layer.forward(xs)
        return self.loss_layer.forward(xs, ts)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


def book_remove_duplicate(params, grads):
    """``common/trainer.py``: merge shared weights (run every iteration by the book's trainer)."""
    params, grads = params[:], grads[:]
    while True:
        find_flg = False
        L = len(params)
        for i in range(0, L - 1):
            for j in range(i + 1, L):
                if params[i] is params[j]:
                    grads[i] += grads[j]
                    find_flg = True
                    params.pop(j)
                    grads.pop(j)
                elif params[i].ndim == 2 and params[j].ndim == 2 and \
                        params[i].T.shape == params[j].shape and np.all(params[i].T == params[j]):
                    grads[i] += grads[j].T
                    find_flg = True
                    params.pop(j)
                    grads.pop(j)
                if find_flg:
                    break
            if find_flg:
                break
        if not find_flg:
            break
    return params, grads


def book_clip_grads(grads, max_norm):
    total_norm = 0
    for grad in grads:
        total_norm += np.sum(grad ** 2)
    total_norm = np.sqrt(total_norm)
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for grad in grads:
            grad *= rate


class BookSGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for i in range(len(params)):
            params[i] -= self.lr * grads[i]


class BookRnnlmTrainer:
    """``common/trainer.py`` RnnlmTrainer: get_batch with Python loops, forward, backward, remove_duplicate,
    clip_grads, update."""

    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.time_idx = 0

    def get_batch(self, x, t, batch_size, time_size):
        batch_x = np.empty((batch_size, time_size), dtype="i")
        batch_t = np.empty((batch_size, time_size), dtype="i")
        data_size = len(x)
        jump = data_size // batch_size
        offsets = [i * jump for i in range(batch_size)]
        for time in range(time_size):
            for i, offset in enumerate(offsets):
                batch_x[i, time] = x[(offset + self.time_idx) % data_size]
                batch_t[i, time] = t[(offset + self.time_idx) % data_size]
            self.time_idx += 1
        return batch_x, batch_t

    def iteration(self, xs, ts, batch_size, time_size, max_grad):
        batch_x, batch_t = self.get_batch(xs, ts, batch_size, time_size)
        loss = self.model.forward(batch_x, batch_t)
        self.model.backward()
        params, grads = book_remove_duplicate(self.model.params, self.model.grads)
        book_clip_grads(grads, max_grad)
        self.optimizer.update(params, grads)
        return float(loss)


# ------------------------------------------------------------------------------------------------ #
# Ch. 7-8: seq2seq, peeky seq2seq, attention
# ------------------------------------------------------------------------------------------------ #
class BookSoftmax:
    """``common/layers.py`` Softmax."""

    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = book_softmax(x)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        sumdx = np.sum(dx, axis=1, keepdims=True)
        dx -= self.out * sumdx
        return dx


class BookEncoder:
    """``ch07/seq2seq.py`` Encoder: TimeEmbedding -> TimeLSTM (stateful=False); returns the last hidden state."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = rng.standard_normal
        embed_W = (rn((V, D)) / 100).astype("f")
        lstm_Wx = (rn((D, 4 * H)) / np.sqrt(D)).astype("f")
        lstm_Wh = (rn((H, 4 * H)) / np.sqrt(H)).astype("f")
        lstm_b = np.zeros(4 * H).astype("f")
        self.embed = BookTimeEmbedding(embed_W)
        self.lstm = BookTimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=False)
        self.params = self.embed.params + self.lstm.params
        self.grads = self.embed.grads + self.lstm.grads
        self.hs = None

    def forward(self, xs):
        xs = self.embed.forward(xs)
        hs = self.lstm.forward(xs)
        self.hs = hs
        return hs[:, -1, :]

    def backward(self, dh):
        dhs = np.zeros_like(self.hs)
        dhs[:, -1, :] = dh
        dout = self.lstm.backward(dhs)
        dout = self.embed.backward(dout)
        return dout


class BookDecoder:
    """``ch07/seq2seq.py`` Decoder: TimeEmbedding -> TimeLSTM (stateful=True, state h from the encoder) ->
    TimeAffine."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = rng.standard_normal
        embed_W = (rn((V, D)) / 100).astype("f")
        lstm_Wx = (rn((D, 4 * H)) / np.sqrt(D)).astype("f")
        lstm_Wh = (rn((H, 4 * H)) / np.sqrt(H)).astype("f")
        lstm_b = np.zeros(4 * H).astype("f")
        affine_W = (rn((H, V)) / np.sqrt(H)).astype("f")
        affine_b = np.zeros(V).astype("f")
        self.embed = BookTimeEmbedding(embed_W)
        self.lstm = BookTimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.affine = BookTimeAffine(affine_W, affine_b)
        self.params, self.grads = [], []
        for layer in (self.embed, self.lstm, self.affine):
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, h):
        self.lstm.set_state(h)
        out = self.embed.forward(xs)
        out = self.lstm.forward(out)
        score = self.affine.forward(out)
        return score

    def backward(self, dscore):
        dout = self.affine.backward(dscore)
        dout = self.lstm.backward(dout)
        dout = self.embed.backward(dout)
        dh = self.lstm.dh
        return dh

    def generate(self, h, start_id, sample_size):
        sampled = []
        sample_id = start_id
        self.lstm.set_state(h)
        for _ in range(sample_size):
            x = np.array(sample_id).reshape((1, 1))
            out = self.embed.forward(x)
            out = self.lstm.forward(out)
            score = self.affine.forward(out)
            sample_id = np.argmax(score.flatten())
            sampled.append(int(sample_id))
        return sampled


class BookSeq2seq:
    """``ch07/seq2seq.py`` Seq2seq: Encoder, Decoder, TimeSoftmaxWithLoss; ts[:, :-1] in, ts[:, 1:] out."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.encoder = BookEncoder(V, D, H, rng)
        self.decoder = BookDecoder(V, D, H, rng)
        self.softmax = BookTimeSoftmaxWithLoss()
        self.params = self.encoder.params + self.decoder.params
        self.grads = self.encoder.grads + self.decoder.grads

    def forward(self, xs, ts):
        decoder_xs, decoder_ts = ts[:, :-1], ts[:, 1:]
        h = self.encoder.forward(xs)
        score = self.decoder.forward(decoder_xs, h)
        loss = self.softmax.forward(score, decoder_ts)
        return loss

    def backward(self, dout=1):
        dout = self.softmax.backward(dout)
        dh = self.decoder.backward(dout)
        dout = self.encoder.backward(dh)
        return dout

    def generate(self, xs, start_id, sample_size):
        h = self.encoder.forward(xs)
        sampled = self.decoder.generate(h, start_id, sample_size)
        return sampled


class BookPeekyDecoder:
    """``ch07/peeky_seq2seq.py`` PeekyDecoder: h repeated and concatenated to every embedded input (LSTM input
    H + D) and to every LSTM output (affine input 2H)."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = rng.standard_normal
        embed_W = (rn((V, D)) / 100).astype("f")
        lstm_Wx = (rn((H + D, 4 * H)) / np.sqrt(H + D)).astype("f")
        lstm_Wh = (rn((H, 4 * H)) / np.sqrt(H)).astype("f")
        lstm_b = np.zeros(4 * H).astype("f")
        affine_W = (rn((H + H, V)) / np.sqrt(H + H)).astype("f")
        affine_b = np.zeros(V).astype("f")
        self.embed = BookTimeEmbedding(embed_W)
        self.lstm = BookTimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.affine = BookTimeAffine(affine_W, affine_b)
        self.params, self.grads = [], []
        for layer in (self.embed, self.lstm, self.affine):
            self.params += layer.params
            self.grads += layer.grads
        self.cache = None

    def forward(self, xs, h):
        N, T = xs.shape
        N, H = h.shape
        self.lstm.set_state(h)
        out = self.embed.forward(xs)
        hs = np.repeat(h, T, axis=0).reshape(N, T, H)
        out = np.concatenate((hs, out), axis=2)
        out = self.lstm.forward(out)
        out = np.concatenate((hs, out), axis=2)
        score = self.affine.forward(out)
        self.cache = H
        return score

    def backward(self, dscore):
        H = self.cache
        dout = self.affine.backward(dscore)
        dout, dhs0 = dout[:, :, H:], dout[:, :, :H]
        dout = self.lstm.backward(dout)
        dembed, dhs1 = dout[:, :, H:], dout[:, :, :H]
        self.embed.backward(dembed)
        dhs = dhs0 + dhs1
        dh = self.lstm.dh + np.sum(dhs, axis=1)
        return dh

    def generate(self, h, start_id, sample_size):
        sampled = []
        char_id = start_id
        self.lstm.set_state(h)
        H = h.shape[1]
        peeky_h = h.reshape(1, 1, H)
        for _ in range(sample_size):
            x = np.array([char_id]).reshape((1, 1))
            out = self.embed.forward(x)
            out = np.concatenate((peeky_h, out), axis=2)
            out = self.lstm.forward(out)
            out = np.concatenate((peeky_h, out), axis=2)
            score = self.affine.forward(out)
            char_id = np.argmax(score.flatten())
            sampled.append(char_id)
        return sampled


class BookPeekySeq2seq(BookSeq2seq):
    """``ch07/peeky_seq2seq.py`` PeekySeq2seq: Encoder, PeekyDecoder, TimeSoftmaxWithLoss."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.encoder = BookEncoder(V, D, H, rng)
        self.decoder = BookPeekyDecoder(V, D, H, rng)
        self.softmax = BookTimeSoftmaxWithLoss()
        self.params = self.encoder.params + self.decoder.params
        self.grads = self.encoder.grads + self.decoder.grads


class BookWeightSum:
    """``ch08/attention_layer.py`` WeightSum: c = sum_t a_t hs_t."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, a):
        N, T, H = hs.shape
        ar = a.reshape(N, T, 1)
        t = hs * ar
        c = np.sum(t, axis=1)
        self.cache = (hs, ar)
        return c

    def backward(self, dc):
        hs, ar = self.cache
        N, T, H = hs.shape
        dt = dc.reshape(N, 1, H).repeat(T, axis=1)
        dar = dt * hs
        dhs = dt * ar
        da = np.sum(dar, axis=2)
        return dhs, da


class BookAttentionWeight:
    """``ch08/attention_layer.py`` AttentionWeight: a = softmax_t(hs_t . h)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.softmax = BookSoftmax()
        self.cache = None

    def forward(self, hs, h):
        N, T, H = hs.shape
        hr = h.reshape(N, 1, H)
        t = hs * hr
        s = np.sum(t, axis=2)
        a = self.softmax.forward(s)
        self.cache = (hs, hr)
        return a

    def backward(self, da):
        hs, hr = self.cache
        N, T, H = hs.shape
        ds = self.softmax.backward(da)
        dt = ds.reshape(N, T, 1).repeat(H, axis=2)
        dhs = dt * hr
        dhr = dt * hs
        dh = np.sum(dhr, axis=1)
        return dhs, dh


class BookAttention:
    """``ch08/attention_layer.py`` Attention: AttentionWeight then WeightSum."""

    def __init__(self):
        self.params, self.grads = [], []
        self.attention_weight_layer = BookAttentionWeight()
        self.weight_sum_layer = BookWeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        a = self.attention_weight_layer.forward(hs, h)
        out = self.weight_sum_layer.forward(hs, a)
        self.attention_weight = a
        return out

    def backward(self, dout):
        dhs0, da = self.weight_sum_layer.backward(dout)
        dhs1, dh = self.attention_weight_layer.backward(da)
        dhs = dhs0 + dhs1
        return dhs, dh


class BookTimeAttention:
    """``ch08/attention_layer.py`` TimeAttention: one Attention object per decoder step."""

    def __init__(self):
        self.params, self.grads = [], []
        self.layers = None
        self.attention_weights = None

    def forward(self, hs_enc, hs_dec):
        N, T, H = hs_dec.shape
        out = np.empty_like(hs_dec)
        self.layers = []
        self.attention_weights = []
        for t in range(T):
            layer = BookAttention()
            out[:, t, :] = layer.forward(hs_enc, hs_dec[:, t, :])
            self.layers.append(layer)
            self.attention_weights.append(layer.attention_weight)
        return out

    def backward(self, dout):
        N, T, H = dout.shape
        dhs_enc = 0
        dhs_dec = np.empty_like(dout)
        for t in range(T):
            layer = self.layers[t]
            dhs, dh = layer.backward(dout[:, t, :])
            dhs_enc += dhs
            dhs_dec[:, t, :] = dh
        return dhs_enc, dhs_dec


class BookAttentionEncoder(BookEncoder):
    """``ch08/attention_seq2seq.py`` AttentionEncoder: returns all hidden states."""

    def forward(self, xs):
        xs = self.embed.forward(xs)
        hs = self.lstm.forward(xs)
        return hs

    def backward(self, dhs):
        dout = self.lstm.backward(dhs)
        dout = self.embed.backward(dout)
        return dout


class BookAttentionDecoder:
    """``ch08/attention_seq2seq.py`` AttentionDecoder: TimeEmbedding -> TimeLSTM (stateful=True) ->
    TimeAttention -> TimeAffine over [c, h] (2H)."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = rng.standard_normal
        embed_W = (rn((V, D)) / 100).astype("f")
        lstm_Wx = (rn((D, 4 * H)) / np.sqrt(D)).astype("f")
        lstm_Wh = (rn((H, 4 * H)) / np.sqrt(H)).astype("f")
        lstm_b = np.zeros(4 * H).astype("f")
        affine_W = (rn((2 * H, V)) / np.sqrt(2 * H)).astype("f")
        affine_b = np.zeros(V).astype("f")
        self.embed = BookTimeEmbedding(embed_W)
        self.lstm = BookTimeLSTM(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.attention = BookTimeAttention()
        self.affine = BookTimeAffine(affine_W, affine_b)
        layers = [self.embed, self.lstm, self.attention, self.affine]
        self.params, self.grads = [], []
        for layer in layers:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, enc_hs):
        h = enc_hs[:, -1]
        self.lstm.set_state(h)
        out = self.embed.forward(xs)
        dec_hs = self.lstm.forward(out)
        c = self.attention.forward(enc_hs, dec_hs)
        out = np.concatenate((c, dec_hs), axis=2)
        score = self.affine.forward(out)
        return score

    def backward(self, dscore):
        dout = self.affine.backward(dscore)
        N, T, H2 = dout.shape
        H = H2 // 2
        dc, ddec_hs0 = dout[:, :, :H], dout[:, :, H:]
        denc_hs, ddec_hs1 = self.attention.backward(dc)
        ddec_hs = ddec_hs0 + ddec_hs1
        dout = self.lstm.backward(ddec_hs)
        dh = self.lstm.dh
        denc_hs[:, -1] += dh
        self.embed.backward(dout)
        return denc_hs

    def generate(self, enc_hs, start_id, sample_size):
        sampled = []
        sample_id = start_id
        h = enc_hs[:, -1]
        self.lstm.set_state(h)
        for _ in range(sample_size):
            x = np.array([sample_id]).reshape((1, 1))
            out = self.embed.forward(x)
            dec_hs = self.lstm.forward(out)
            c = self.attention.forward(enc_hs, dec_hs)
            out = np.concatenate((c, dec_hs), axis=2)
            score = self.affine.forward(out)
            sample_id = np.argmax(score.flatten())
            sampled.append(sample_id)
        return sampled


class BookAttentionSeq2seq(BookSeq2seq):
    """``ch08/attention_seq2seq.py`` AttentionSeq2seq: AttentionEncoder, AttentionDecoder, TimeSoftmaxWithLoss."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng):
        args = vocab_size, wordvec_size, hidden_size, rng
        self.encoder = BookAttentionEncoder(*args)
        self.decoder = BookAttentionDecoder(*args)
        self.softmax = BookTimeSoftmaxWithLoss()
        self.params = self.encoder.params + self.decoder.params
        self.grads = self.encoder.grads + self.decoder.grads


BOOK_SEQ2SEQ_MODELS = {"seq2seq": BookSeq2seq, "peeky": BookPeekySeq2seq, "attention": BookAttentionSeq2seq}


def book_eval_seq2seq(model, question, correct, id_to_char, verbos=False, is_reverse=False):
    """``common/util.py`` eval_seq2seq (the scripts call it on one test question at a time, ``x_test[[i]]``);
    the printing of ``verbos`` is left out.  Returns 1 if the greedy answer is exact, else 0."""
    correct = correct.flatten()
    start_id = correct[0]
    correct = correct[1:]
    guess = model.generate(question, start_id, len(correct))
    question = "".join([id_to_char[int(c)] for c in question.flatten()])
    correct = "".join([id_to_char[int(c)] for c in correct])
    guess = "".join([id_to_char[int(c)] for c in guess])
    return 1 if guess == correct else 0


class BookAdam:
    """``common/optimizer.py`` Adam: eps 1e-7 added to the uncorrected sqrt(v), bias correction folded into lr_t."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m, self.v = [], []
            for param in params:
                self.m.append(np.zeros_like(param))
                self.v.append(np.zeros_like(param))
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for i in range(len(params)):
            self.m[i] += (1 - self.beta1) * (grads[i] - self.m[i])
            self.v[i] += (1 - self.beta2) * (grads[i] ** 2 - self.v[i])
            params[i] -= lr_t * self.m[i] / (np.sqrt(self.v[i]) + 1e-7)


class BookTrainer:
    """``common/trainer.py`` Trainer: one iteration of ``fit``'s inner loop on a batch the caller slices (the
    book's ``fit`` permutes the whole training set each epoch and slices it; its loss averaging and printing every
    ``eval_interval`` iterations are left out)."""

    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def iteration(self, batch_x, batch_t, max_grad=None):
        loss = self.model.forward(batch_x, batch_t)
        self.model.backward()
        params, grads = book_remove_duplicate(self.model.params, self.model.grads)
        if max_grad is not None:
            book_clip_grads(grads, max_grad)
        self.optimizer.update(params, grads)
        return float(loss)


def book_seq2seq_step(kind, vocab_size, wordvec_size, hidden_size, seed, lr=0.001, max_grad=5.0):
    """One training iteration of the book's ch. 7-8 setup as a callable ``step(batch_x, batch_t) -> loss``:
    ``BOOK_SEQ2SEQ_MODELS[kind]`` ("seq2seq", "peeky" or "attention") with weights drawn from
    ``numpy.random.default_rng(seed)``, Adam(lr) and clipping to ``max_grad``.  batch_x: (N, Tq) questions as the
    book's scripts feed them (already reversed, ``x_train[:, ::-1]``, where the script reverses); batch_t: (N, Ta)
    answers starting with the start symbol.  The model is ``step.model``."""
    model = BOOK_SEQ2SEQ_MODELS[kind](vocab_size, wordvec_size, hidden_size, np.random.default_rng(seed))
    trainer = BookTrainer(model, BookAdam(lr))

    def step(batch_x, batch_t):
        return trainer.iteration(batch_x, batch_t, max_grad)
    step.model = model
    return step
