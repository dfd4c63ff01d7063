"""Time layers of the NumPy engine: layers that take a batch of sequences (N, T, ...).

TimeAffine, TimeSoftmaxWithLoss, TimeDropout, and the recurrent layers RNN/TimeRNN, LSTM/TimeLSTM,
GRU/TimeGRU.  Source: Saitoh, *Deep Learning from Scratch 2* (O'Reilly Japan, 2018), chapters 5 to 7
(``common/time_layers.py`` in the book's code), with the house API of ``visualizer.scratch.layers``:
parallel ``params``/``grads`` lists, gradients written in place, ``backward`` returns dx.

Vectorized differently from the book.  The book's Time layers loop over T calling a cell object, and
each cell multiplies its own x_t by Wx.  Here the input projection x W_x + b of *every* time step is one
matrix product before the loop ((N·T, D) @ (D, G·H)), the Python loop over time holds only the recurrence
(h_{t-1} W_h and the elementwise gate maths), and backward collects the gate gradients of all steps in
one array so dW_x, dW_h, db and dxs are one matrix product each after the loop.  Internally the
recurrent layers keep time-major arrays (T, N, ...) so every step reads contiguous rows.

Gate conventions (chosen to equal PyTorch, so ``visualizer.models.sequence_torch`` copies weights
without reordering):

* LSTM: columns of Wx (D, 4H), Wh (H, 4H), b (4H,) are the gates **i, f, g, o** (input, forget, cell
  candidate, output), as ``torch.nn.LSTM``.  The book slices **f, g, i, o**.  One bias b (the book's);
  torch has b_ih + b_hh, so the twin puts b in b_ih and zeros in b_hh.
* GRU: **PyTorch's formulation**, columns **r, z, n** (reset, update, candidate):
  r = σ(x W_xr + h W_hr + b_r), z = σ(x W_xz + h W_hz + b_z), n = tanh(x W_xn + b_n + r ⊙ (h W_hn + b_hn)),
  h' = (1 − z) ⊙ n + z ⊙ h.  params [Wx (D, 3H), Wh (H, 3H), b (3H,), b_hn (H,)]: b_hn is the hidden-side
  bias inside the reset product, which cannot be folded into b.  The book's GRU (ch. 6 column) has no
  bias, order z, r, h̃, applies r before the product (h ⊙ r) W_hh and uses h' = (1 − z) h + z h̃.
* RNN: h' = tanh(x Wx + h Wh + b), one bias (torch: b_ih = b, b_hh = 0).

State (truncated BPTT, the book's section 5.3): with ``stateful=True`` the last hidden state (and cell)
of a forward call is the initial state of the next; backward never flows into the previous block
(its gradient with respect to the initial state is kept in ``self.dh`` (and ``self.dc``), which the
book's seq2seq encoder receives from the decoder).  ``reset_state()`` forgets the state;
``set_state(h, c=None)`` sets it (a seq2seq decoder; used only when ``stateful=True``, as in the book:
a non-stateful layer starts every forward from zeros).
"""
from __future__ import annotations


import numpy as np

from visualizer.scratch.embedding import Embedding
from visualizer.scratch.layers import Dropout


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """σ(a) in place as 0.5 tanh(a / 2) + 0.5: one transcendental pass, no overflow for any a."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _check_seq(xs: np.ndarray, Wx: np.ndarray, name: str) -> None:
    if xs.ndim != 3 or xs.shape[2] != Wx.shape[0]:
        raise ValueError(f"{name} needs xs of shape (N, T, {Wx.shape[0]}), got {xs.shape}")
    if xs.dtype != Wx.dtype:
        raise ValueError(f"{name}: xs dtype {xs.dtype} differs from the weights' {Wx.dtype}")


def _check_weights(Wx: np.ndarray, Wh: np.ndarray, biases: list[np.ndarray], gates: int, name: str) -> int:
    H = Wh.shape[0]
    ok = (Wx.ndim == 2 and Wh.shape == (H, gates * H) and Wx.shape[1] == gates * H
          and biases[0].shape == (gates * H,) and all(p.dtype == Wx.dtype for p in [Wh, *biases]))
    if len(biases) > 1:
        ok = ok and biases[1].shape == (H,)
    if not ok:
        raise ValueError(f"{name} needs Wx (D, {gates}H), Wh (H, {gates}H), b ({gates}H,) of one dtype; got "
                         f"Wx {Wx.shape} {Wx.dtype}, Wh {Wh.shape} {Wh.dtype}, "
                         f"{[(b.shape, str(b.dtype)) for b in biases]}")
    return H


# ------------------------------------------------------------------------------------------------ #
# Time-distributed layers
# ------------------------------------------------------------------------------------------------ #
class TimeAffine:
    """Affine map at every time step y_t = x_t W + b.  xs: (N, T, D) -> (N, T, H), W's dtype.

    One matrix product over all N·T rows.  Source: Saitoh, *Deep Learning from Scratch 2*, 5.4.2.

    Weight tying (Press & Wolf 2017; Inan et al. 2017; the book's ``BetterRnnlm``, 6.5.3):
    ``TimeAffine.tied_to(embedding, b)`` builds an output layer whose W is the embedding matrix's
    transpose, read afresh at every forward (a view, no copy).  Its ``params``/``grads`` hold only b, so a
    model's parameter list has the shared matrix once (the book instead removes the duplicate in its
    trainer).  Backward writes the output layer's share of dE, laid out like E (V, H), to
    ``self.tied_grad``; the model adds it after the embedding's own backward, which overwrites E's grad::

        dx = affine.backward(loss.backward()); embedding.backward(lstm.backward(dx))
        affine.accumulate_tied_grad()          # embedding.grads[0] += affine.tied_grad
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        if W.ndim != 2 or b.shape != (W.shape[1],) or W.dtype != b.dtype:
            raise ValueError(f"TimeAffine needs W (D, H) and b (H,) of one dtype, got {W.shape} {W.dtype}, "
                             f"{b.shape} {b.dtype}")
        self.params = [W, b]                               # W: (D, H), b: (H,)
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.tied: Embedding | None = None
        self.tied_grad: np.ndarray | None = None
        self._x: np.ndarray | None = None

    @classmethod
    def tied_to(cls, embedding: Embedding, b: np.ndarray) -> TimeAffine:
        """Output layer sharing the embedding matrix E (V, H): y = h Eᵀ + b.  b: (V,).  Raises ValueError
        if b does not match E's rows and dtype."""
        E = embedding.params[0]
        layer = cls(E.T, b)                                # validates shapes with the (H, V) view
        layer.params = [b]
        layer.grads = [np.zeros_like(b)]
        layer.tied = embedding
        layer.tied_grad = np.zeros_like(E)                 # (V, H)
        return layer

    @property
    def W(self) -> np.ndarray:
        """The (D, H) weight: own, or the tied embedding's transpose (a view)."""
        return self.tied.params[0].T if self.tied is not None else self.params[0]

    def forward(self, xs: np.ndarray) -> np.ndarray:
        """xs (N, T, D) -> (N, T, H).  The product goes straight into the output array and b is added in
        place (no (N·T, H) temporary)."""
        N, T, D = xs.shape
        W, b = self.W, self.params[-1]
        self._x = xs.reshape(N * T, D)
        out = np.empty((N * T, W.shape[1]), dtype=np.result_type(xs.dtype, W.dtype, b.dtype))
        np.matmul(self._x, W, out=out)
        out += b
        return out.reshape(N, T, -1)                       # (N, T, H)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        N, T, H = dout.shape
        d2 = dout.reshape(N * T, H)
        if self.tied is None:
            np.matmul(self._x.T, d2, out=self.grads[0])    # (D, H)
        else:
            np.matmul(d2.T, self._x, out=self.tied_grad)   # (V, D) = (H, D) in this layer's names
        np.matmul(np.ones(N * T, d2.dtype), d2, out=self.grads[-1])   # db = 1ᵀ d2 (H,), one BLAS pass
        return (d2 @ self.W.T).reshape(N, T, -1)          # (N, T, D)

    def accumulate_tied_grad(self) -> None:
        """Add this layer's share of the tied matrix's gradient into the embedding's grad (call after the
        embedding's backward).  Raises RuntimeError on an untied layer."""
        if self.tied is None:
            raise RuntimeError("accumulate_tied_grad() needs a layer built with TimeAffine.tied_to()")
        self.tied.grads[0] += self.tied_grad


class TimeSoftmaxWithLoss:
    """Softmax + cross-entropy at every time step, averaged over the N·T labels that count.

    xs: (N, T, V) logits, ts: (N, T) int labels -> float loss = −(1/M) Σ log softmax(x_nt)[t_nt], M the
    number of labels ≠ ``ignore_label`` (default −1, the book's padding label).  ``backward(dout=1.0)``
    returns dxs (N, T, V) = (softmax − onehot) ⊙ mask / M; it reuses the cached exponentials in place
    (a (N·T, V) array is large), so call it once per forward.  xs itself is never modified.

    Fewer passes over the (N·T, V) array than the book's (max, subtract, exp, sum, divide, then subtract
    and scale in backward): exp(xs) goes into one work array that becomes dxs, the row
    sums s are one BLAS product with a vector of ones, the loss is mean(log s − x_label), and backward
    scales each row once by mask / (M s) and subtracts at the labels.  Without the max subtraction the
    result is the same to round-off as long as no exp overflows and every row sum exceeds tiny / eps²
    of the dtype (then the terms that underflow weigh < eps² of their row); when that check fails the
    forward runs again with exp(x − max x), so very large or very negative logits stay exact.  Matches
    ``torch.nn.functional.cross_entropy(..., ignore_index=-1)``.  Raises ValueError for labels outside
    [0, V) (other than ignore_label), mismatched shapes, or a batch whose labels are all ignored.
    Source: Saitoh, *Deep Learning from Scratch 2*, 5.4.2 and 7.3.2."""

    def __init__(self, ignore_label: int | None = -1) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.ignore_label = ignore_label
        self._probs: np.ndarray | None = None
        self._cache = None

    def forward(self, xs: np.ndarray, ts: np.ndarray) -> float:
        N, T, V = xs.shape
        ts = np.asarray(ts)
        if ts.shape != (N, T) or ts.dtype.kind not in "iu":
            raise ValueError(f"labels must be integers of shape ({N}, {T}), got {ts.shape} {ts.dtype}")
        t = ts.reshape(N * T)
        mask = t != self.ignore_label if self.ignore_label is not None else np.ones(N * T, bool)
        count = int(mask.sum())
        if count == 0:
            raise ValueError(f"every label equals ignore_label={self.ignore_label}: nothing to average")
        tv = t[mask]
        if tv.min() < 0 or tv.max() >= V:
            raise ValueError(f"labels must lie in [0, {V - 1}] (or be {self.ignore_label}), got values from "
                             f"{tv.min()} to {tv.max()}")
        t = np.where(mask, t, 0)
        x2 = xs.reshape(N * T, V)
        dt = x2.dtype if x2.dtype.kind == "f" else np.dtype(np.float64)
        picked = x2[np.arange(N * T), t].astype(dt)        # (N·T,) logit of the label
        e = np.empty(x2.shape, dtype=dt)           # (N·T, V), becomes dxs in backward
        ones = np.ones(V, dt)
        # Fast path: exp of the raw logits (no max pass, no subtraction pass), valid when no exp overflowed
        # and every row sum is far above the underflow range (tiny / eps²), so the terms that underflowed
        # weigh less than eps² of their row; else the usual exp(x − max) over again.
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            np.exp(x2, out=e)
            s = e @ ones                                   # (N·T,) row sums, a BLAS pass
            info = np.finfo(dt)
            fast = bool(np.isfinite(s).all()) and float(s.min()) >= float(info.tiny) / float(info.eps) ** 2
        if not fast:
            m = x2.max(axis=1)                             # (N·T,)
            np.subtract(x2, m[:, None], out=e)
            np.exp(e, out=e)
            s = e @ ones                                   # >= 1
            picked -= m
        loss = np.sum((np.log(s) - picked)[mask]) / count
        self._probs = e                                    # unnormalised: softmax = e / s per row
        self._cache = (t, mask, count, xs.shape, s)
        return float(loss)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        if self._probs is None:
            raise RuntimeError("TimeSoftmaxWithLoss.backward() needs a forward() first (and runs once per "
                               "forward: it reuses the probabilities in place)")
        t, mask, count, shape, s = self._cache
        dx, self._probs = self._probs, None
        scale = mask.astype(dx.dtype) * dx.dtype.type(dout / count)    # (N·T,) weight of each label
        dx *= (scale / s)[:, None]                         # softmax · scale, one pass
        dx[np.arange(t.size), t] -= scale                  # − onehot · scale
        return dx.reshape(shape)                           # (N, T, V)


class TimeDropout(Dropout):
    """Inverted dropout on a batch of sequences, an independent mask per element, as the book's
    TimeDropout.  xs: (N, T, D) -> same shape.  ``train = False`` makes it the identity.  The mask comes
    from ``rng`` (numpy Generator).  Raises ValueError unless 0 <= p < 1.
    Source: Zaremba et al. 2014; Saitoh, *Deep Learning from Scratch 2*, 6.5.2."""


# ------------------------------------------------------------------------------------------------ #
# Single-step cells (the book's RNN, LSTM, GRU classes)
# ------------------------------------------------------------------------------------------------ #
class RNN:
    """One step of an Elman RNN h' = tanh(x Wx + h Wh + b).  x: (N, D), h_prev: (N, H) -> h_next (N, H).

    params [Wx (D, H), Wh (H, H), b (H,)]; ``backward(dh_next)`` writes the grads and returns
    (dx, dh_prev).  Source: Saitoh, *Deep Learning from Scratch 2*, 5.3.2; Elman 1990."""

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> None:
        _check_weights(Wx, Wh, [b], 1, "RNN")
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self._cache = None

    def forward(self, x: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
        Wx, Wh, b = self.params
        h_next = np.tanh(x @ Wx + h_prev @ Wh + b)         # (N, H)
        self._cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self._cache
        da = dh_next * (1 - h_next * h_next)               # (N, H)
        np.matmul(x.T, da, out=self.grads[0])
        np.matmul(h_prev.T, da, out=self.grads[1])
        np.sum(da, axis=0, out=self.grads[2])
        return da @ Wx.T, da @ Wh.T                        # dx (N, D), dh_prev (N, H)


class LSTM:
    """One LSTM step, gates i, f, g, o (PyTorch's order; the book uses f, g, i, o).

    x: (N, D), h_prev, c_prev: (N, H) -> (h_next, c_next), each (N, H):
    [i f g o] = [σ σ tanh σ](x Wx + h Wh + b), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
    params [Wx (D, 4H), Wh (H, 4H), b (4H,)]; ``backward(dh_next, dc_next)`` writes the grads and returns
    (dx, dh_prev, dc_prev).  Source: Hochreiter & Schmidhuber 1997; Saitoh, 6.3."""

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> None:
        self.H = _check_weights(Wx, Wh, [b], 4, "LSTM")
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self._cache = None

    def forward(self, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Wx, Wh, b = self.params
        H = self.H
        A = x @ Wx + h_prev @ Wh + b                       # (N, 4H)
        _sigmoid_(A[:, :2 * H])
        np.tanh(A[:, 2 * H:3 * H], out=A[:, 2 * H:3 * H])
        _sigmoid_(A[:, 3 * H:])
        i, f, g, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
        c_next = f * c_prev + i * g
        tanh_c = np.tanh(c_next)
        self._cache = (x, h_prev, c_prev, A, tanh_c)
        return o * tanh_c, c_next

    def backward(self, dh_next: np.ndarray, dc_next: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Wx, Wh, _ = self.params
        H = self.H
        x, h_prev, c_prev, A, tanh_c = self._cache
        i, f, g, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
        ds = dc_next + dh_next * o * (1 - tanh_c * tanh_c)
        dA = np.concatenate([ds * g * i * (1 - i), ds * c_prev * f * (1 - f), ds * i * (1 - g * g),
                             dh_next * tanh_c * o * (1 - o)], axis=1)       # (N, 4H)
        np.matmul(x.T, dA, out=self.grads[0])
        np.matmul(h_prev.T, dA, out=self.grads[1])
        np.sum(dA, axis=0, out=self.grads[2])
        return dA @ Wx.T, dA @ Wh.T, ds * f


class GRU:
    """One GRU step in PyTorch's formulation, gates r, z, n.

    x: (N, D), h_prev: (N, H) -> h_next (N, H):  r = σ(x Wx_r + h Wh_r + b_r), z = σ(x Wx_z + h Wh_z + b_z),
    n = tanh(x Wx_n + b_n + r ⊙ (h Wh_n + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
    params [Wx (D, 3H), Wh (H, 3H), b (3H,), b_hn (H,)]; ``backward(dh_next)`` returns (dx, dh_prev).
    Source: Cho et al. 2014; ``torch.nn.GRU`` documentation; the book's variant is described in the
    module docstring."""

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, b_hn: np.ndarray) -> None:
        self.H = _check_weights(Wx, Wh, [b, b_hn], 3, "GRU")
        self.params = [Wx, Wh, b, b_hn]
        self.grads = [np.zeros_like(p) for p in self.params]
        self._cache = None

    def forward(self, x: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
        Wx, Wh, b, b_hn = self.params
        H = self.H
        gx = x @ Wx + b                                    # (N, 3H)
        gh = h_prev @ Wh                                   # (N, 3H)
        gh[:, 2 * H:] += b_hn
        r = _sigmoid_(gx[:, :H] + gh[:, :H])
        z = _sigmoid_(gx[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
        self._cache = (x, h_prev, r, z, n, gh[:, 2 * H:])
        return n + z * (h_prev - n)

    def backward(self, dh_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Wx, Wh, _, _ = self.params
        x, h_prev, r, z, n, ghn = self._cache
        dan = dh_next * (1 - z) * (1 - n * n)              # d(pre-tanh of n)
        dar = dan * ghn * r * (1 - r)
        daz = dh_next * (h_prev - n) * z * (1 - z)
        dgx = np.concatenate([dar, daz, dan], axis=1)      # (N, 3H)
        dgh = np.concatenate([dar, daz, dan * r], axis=1)  # (N, 3H)
        np.matmul(x.T, dgx, out=self.grads[0])
        np.matmul(h_prev.T, dgh, out=self.grads[1])
        np.sum(dgx, axis=0, out=self.grads[2])
        np.sum(dan * r, axis=0, out=self.grads[3])
        return dgx @ Wx.T, dgh @ Wh.T + dh_next * z


# ------------------------------------------------------------------------------------------------ #
# Time recurrent layers
# ------------------------------------------------------------------------------------------------ #
class _TimeRecurrent:
    """Shared state handling of TimeRNN, TimeLSTM, TimeGRU (see the module docstring)."""

    has_cell = False

    def __init__(self, stateful: bool) -> None:
        self.stateful = bool(stateful)
        self.h: np.ndarray | None = None                   # (N, H) state carried between calls
        self.c: np.ndarray | None = None                   # (N, H), LSTM only
        self.dh: np.ndarray | None = None                  # (N, H) gradient w.r.t. the initial h
        self.dc: np.ndarray | None = None
        self.record_grad_norms = False
        self.grad_norms: np.ndarray | None = None          # (T,) ‖dL/dh_t‖ when record_grad_norms
        self._cache = None

    def reset_state(self) -> None:
        self.h, self.c = None, None

    def set_state(self, h: np.ndarray, c: np.ndarray | None = None) -> None:
        """Initial state for the next forward (with stateful=True).  h (and c for an LSTM): (N, H)."""
        if self.has_cell and c is None:
            raise ValueError("an LSTM state needs both h and c")
        if not self.has_cell and c is not None:
            raise ValueError(f"{type(self).__name__} has no cell state c")
        self.h, self.c = h, c

    def _initial(self, state: np.ndarray | None, N: int, H: int, dtype) -> np.ndarray:
        if not self.stateful or state is None:
            return np.zeros((N, H), dtype=dtype)
        if state.shape != (N, H):
            raise ValueError(f"the carried state has shape {state.shape} but this batch needs ({N}, {H}); "
                             f"call reset_state() when the batch size changes")
        return state

    def _grad_norm(self, t: int, dh: np.ndarray) -> None:
        if self.record_grad_norms:
            self.grad_norms[t] = np.sqrt(np.vdot(dh, dh))


class TimeRNN(_TimeRecurrent):
    """Elman RNN over a sequence.  xs: (N, T, D) -> hs: (N, T, H), the weights' dtype.

    h_t = tanh(x_t Wx + h_{t−1} Wh + b); params [Wx (D, H), Wh (H, H), b (H,)].  ``backward(dhs)``
    (N, T, H) returns dxs (N, T, D) and stores dh (N, H) for the initial state.  Raises ValueError for
    shape/dtype mismatches.  Source: Saitoh, *Deep Learning from Scratch 2*, 5.3."""

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, stateful: bool = False) -> None:
        super().__init__(stateful)
        self.H = _check_weights(Wx, Wh, [b], 1, "TimeRNN")
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, xs: np.ndarray) -> np.ndarray:
        Wx, Wh, b = self.params
        _check_seq(xs, Wx, "TimeRNN")
        N, T, D = xs.shape
        H = self.H
        xs_tm = np.ascontiguousarray(xs.transpose(1, 0, 2))            # (T, N, D)
        hs = np.empty((T + 1, N, H), dtype=Wx.dtype)                    # hs[0] = initial state
        hs[0] = self._initial(self.h, N, H, Wx.dtype)
        np.matmul(xs_tm.reshape(T * N, D), Wx, out=hs[1:].reshape(T * N, H))   # x W for every step
        hs[1:] += b
        for t in range(T):                                 # the recurrence: the only loop over time
            a = hs[t + 1]
            a += hs[t] @ Wh
            np.tanh(a, out=a)
        self.h = hs[T].copy()
        self._cache = (xs_tm, hs)
        return np.ascontiguousarray(hs[1:].transpose(1, 0, 2))         # (N, T, H)

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        Wx, Wh, _ = self.params
        xs_tm, hs = self._cache
        T, N, D = xs_tm.shape
        H = self.H
        dhs_tm = dhs.transpose(1, 0, 2)                    # (T, N, H) view
        dA = np.empty((T, N, H), dtype=Wx.dtype)
        dh = np.zeros((N, H), dtype=Wx.dtype)
        self.grad_norms = np.zeros(T) if self.record_grad_norms else None
        for t in range(T - 1, -1, -1):
            dh += dhs_tm[t]
            self._grad_norm(t, dh)
            h = hs[t + 1]
            np.multiply(dh, 1 - h * h, out=dA[t])
            dh = dA[t] @ Wh.T
        self.dh = dh
        dA2 = dA.reshape(T * N, H)
        np.matmul(xs_tm.reshape(T * N, D).T, dA2, out=self.grads[0])
        np.matmul(hs[:-1].reshape(T * N, H).T, dA2, out=self.grads[1])
        np.sum(dA2, axis=0, out=self.grads[2])
        return (dA2 @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)       # (N, T, D)


class TimeLSTM(_TimeRecurrent):
    """LSTM over a sequence, gates i, f, g, o (PyTorch's order).  xs: (N, T, D) -> hs: (N, T, H).

    params [Wx (D, 4H), Wh (H, 4H), b (4H,)], the weights' dtype throughout.  ``backward(dhs)``
    (N, T, H) returns dxs (N, T, D) and stores dh, dc (N, H) for the initial state.  After a forward,
    ``gates`` is (N, T, 4H): the activated gates i, f, g, o of every step (for plots).  Raises ValueError
    for shape/dtype mismatches.  Source: Saitoh, *Deep Learning from Scratch 2*, 6.3; Hochreiter &
    Schmidhuber 1997; Gers et al. 2000 (forget gate).

    ``forward(xs, x_const)`` with x_const (N, C): every step's input is the concatenation [x_const, x_t]
    (Wx is then (C + D, 4H), its first C rows for x_const), as the book's peeky decoder feeds the encoder's
    summary to every step (Saitoh, 7.5.2).  The same numbers as concatenating, but x_const Wx[:C] is one
    product per sequence instead of one per step, and backward stores ``dx_const`` (N, C), the gradient
    summed over the steps."""

    has_cell = True

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, stateful: bool = False) -> None:
        super().__init__(stateful)
        self.H = _check_weights(Wx, Wh, [b], 4, "TimeLSTM")
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.dx_const: np.ndarray | None = None

    @property
    def gates(self) -> np.ndarray:
        return self._cache[1].transpose(1, 0, 2)           # (N, T, 4H) view

    def forward(self, xs: np.ndarray, x_const: np.ndarray | None = None) -> np.ndarray:
        Wx, Wh, b = self.params
        C = 0
        if x_const is not None:
            C = x_const.shape[-1]
            if x_const.ndim != 2 or xs.ndim != 3 or x_const.shape[0] != xs.shape[0] or x_const.dtype != Wx.dtype:
                raise ValueError(f"TimeLSTM needs x_const (N, C) of the weights' dtype {Wx.dtype} with xs "
                                 f"(N, T, D), got {x_const.shape} {x_const.dtype} and {xs.shape}")
        Wx_x = Wx[C:]                                      # (D, 4H): the rows for the per-step input
        _check_seq(xs, Wx_x, "TimeLSTM")
        N, T, D = xs.shape
        H = self.H
        dt = Wx.dtype
        xs_tm = np.ascontiguousarray(xs.transpose(1, 0, 2))            # (T, N, D)
        # One exp pass over all four gates per step: σ(a) = 1 / (1 + e^(−a)) and tanh(a) = 2 σ(2a) − 1.
        # The columns are scaled once per call in the weights (−1 for i, f, o; −2 for g), not in the loop.
        scale = np.full(4 * H, -1, dtype=dt)
        scale[2 * H:3 * H] = -2
        A = (xs_tm.reshape(T * N, D) @ (Wx_x * scale)).reshape(T, N, 4 * H)   # input projection, all steps
        bias = b * scale                                   # (4H,)
        if C:
            bias = x_const @ (Wx[:C] * scale) + bias       # (N, 4H): once per sequence, added at every step
        A += bias
        Wh_s = Wh * scale                                  # (H, 4H)
        zero_start = not self.stateful or self.h is None   # h_0 = 0: step 0 needs no h_0 Wh
        hs = np.empty((T + 1, N, H), dtype=dt)
        cs = np.empty((T + 1, N, H), dtype=dt)
        tanh_c = np.empty((T, N, H), dtype=dt)
        hs[0] = self._initial(self.h, N, H, dt)
        cs[0] = self._initial(self.c, N, H, dt)
        with np.errstate(over="ignore"):                   # e^(−a) = inf for a << 0 gives σ = 0 exactly
            for t in range(T):                             # the recurrence
                a = A[t]
                if t or not zero_start:
                    a += hs[t] @ Wh_s                      # (N, 4H) scaled pre-activations
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)                    # i, f, o = σ(·); the g columns hold σ(2·)
                g = a[:, 2 * H:3 * H]
                g *= 2
                g -= 1                                     # g = tanh(·)
                c = cs[t + 1]
                np.multiply(a[:, H:2 * H], cs[t], out=c)   # f ⊙ c_{t−1}
                c += a[:, :H] * g                          # + i ⊙ g
                np.tanh(c, out=tanh_c[t])
                np.multiply(a[:, 3 * H:], tanh_c[t], out=hs[t + 1])
        self.h, self.c = hs[T].copy(), cs[T].copy()
        self._cache = (xs_tm, A, hs, cs, tanh_c, x_const, zero_start)
        return np.ascontiguousarray(hs[1:].transpose(1, 0, 2))         # (N, T, H)

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        Wx, Wh, _ = self.params
        xs_tm, A, hs, cs, tanh_c, x_const, zero_start = self._cache
        T, N, D = xs_tm.shape
        C = Wx.shape[0] - D
        H = self.H
        dhs_tm = dhs.transpose(1, 0, 2)                    # (T, N, H) view
        # Local derivatives of every step at once, so the loop holds only the chain through h and c.
        A4 = A.reshape(T, N, 4, H)
        i, f, g, o = A4[:, :, 0], A4[:, :, 1], A4[:, :, 2], A4[:, :, 3]          # (T, N, H) each
        P = np.empty((T, N, 3, H), dtype=A.dtype)         # d(i, f, g pre-activations) / dc_t
        np.multiply(g, i * (1 - i), out=P[:, :, 0])
        np.multiply(cs[:-1], f * (1 - f), out=P[:, :, 1])
        np.multiply(i, 1 - g * g, out=P[:, :, 2])
        K = o * (1 - tanh_c * tanh_c)                      # dc_t / dh_t through h = o tanh(c)
        Q = tanh_c * (o * (1 - o))                         # d(o pre-activation) / dh_t
        dA = np.empty_like(A)                              # (T, N, 4H) gate pre-activation grads
        dA4 = dA.reshape(T, N, 4, H)
        dh = np.zeros((N, H), dtype=Wx.dtype)
        dc = np.zeros((N, H), dtype=Wx.dtype)
        ds = np.empty((N, H), dtype=Wx.dtype)
        WhT = Wh.T
        self.grad_norms = np.zeros(T) if self.record_grad_norms else None
        for t in range(T - 1, -1, -1):
            dh += dhs_tm[t]
            self._grad_norm(t, dh)
            np.multiply(dh, K[t], out=ds)
            ds += dc                                       # dL/dc_t
            np.multiply(ds[:, None, :], P[t], out=dA4[t, :, :3])
            np.multiply(dh, Q[t], out=dA4[t, :, 3])
            dc = ds * f[t]
            dh = dA[t] @ WhT
        self.dh, self.dc = dh, dc
        dA2 = dA.reshape(T * N, 4 * H)
        np.matmul(xs_tm.reshape(T * N, D).T, dA2, out=self.grads[0][C:])
        if zero_start:                                     # h_0 = 0 adds nothing to dWh
            if T > 1:
                np.matmul(hs[1:-1].reshape((T - 1) * N, H).T, dA2[N:], out=self.grads[1])
            else:
                self.grads[1][...] = 0
        else:
            np.matmul(hs[:-1].reshape(T * N, H).T, dA2, out=self.grads[1])
        np.sum(dA2, axis=0, out=self.grads[2])
        if C:
            dA_sum = dA.sum(axis=0)                        # (N, 4H): x_const feeds every step
            np.matmul(x_const.T, dA_sum, out=self.grads[0][:C])
            self.dx_const = dA_sum @ Wx[:C].T              # (N, C)
        else:
            self.dx_const = None
        return (dA2 @ Wx[C:].T).reshape(T, N, D).transpose(1, 0, 2)   # (N, T, D)


class TimeGRU(_TimeRecurrent):
    """GRU over a sequence in PyTorch's formulation (gates r, z, n; see the module docstring).
    xs: (N, T, D) -> hs: (N, T, H).

    params [Wx (D, 3H), Wh (H, 3H), b (3H,), b_hn (H,)].  ``backward(dhs)`` returns dxs (N, T, D) and
    stores dh (N, H).  Raises ValueError for shape/dtype mismatches.  Source: Cho et al. 2014; Saitoh,
    *Deep Learning from Scratch 2*, ch. 6 column "GRU"; ``torch.nn.GRU``."""

    def __init__(self, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, b_hn: np.ndarray,
                 stateful: bool = False) -> None:
        super().__init__(stateful)
        self.H = _check_weights(Wx, Wh, [b, b_hn], 3, "TimeGRU")
        self.params = [Wx, Wh, b, b_hn]
        self.grads = [np.zeros_like(p) for p in self.params]

    def forward(self, xs: np.ndarray) -> np.ndarray:
        Wx, Wh, b, b_hn = self.params
        _check_seq(xs, Wx, "TimeGRU")
        N, T, D = xs.shape
        H = self.H
        dt = Wx.dtype
        xs_tm = np.ascontiguousarray(xs.transpose(1, 0, 2))            # (T, N, D)
        G = (xs_tm.reshape(T * N, D) @ Wx).reshape(T, N, 3 * H)         # x Wx + b, all steps; becomes r, z, n
        G += b
        ghn = np.empty((T, N, H), dtype=dt)                # h Wh_n + b_hn per step
        hs = np.empty((T + 1, N, H), dtype=dt)
        hs[0] = self._initial(self.h, N, H, dt)
        for t in range(T):                                 # the recurrence
            g, h = G[t], hs[t]
            gh = h @ Wh                                    # (N, 3H)
            g[:, :2 * H] += gh[:, :2 * H]
            _sigmoid_(g[:, :2 * H])                        # r, z
            np.add(gh[:, 2 * H:], b_hn, out=ghn[t])
            n = g[:, 2 * H:]
            n += g[:, :H] * ghn[t]
            np.tanh(n, out=n)
            hn = hs[t + 1]
            np.subtract(h, n, out=hn)
            hn *= g[:, H:2 * H]
            hn += n                                        # n + z ⊙ (h − n)
        self.h = hs[T].copy()
        self._cache = (xs_tm, G, ghn, hs)
        return np.ascontiguousarray(hs[1:].transpose(1, 0, 2))         # (N, T, H)

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        Wx, Wh, _, _ = self.params
        xs_tm, G, ghn, hs = self._cache
        T, N, D = xs_tm.shape
        H = self.H
        dhs_tm = dhs.transpose(1, 0, 2)
        dGx = np.empty_like(G)                             # (T, N, 3H) grads of x Wx + b
        dGh = np.empty_like(G)                             # (T, N, 3H) grads of h Wh (+ b_hn)
        dh = np.zeros((N, H), dtype=Wx.dtype)
        self.grad_norms = np.zeros(T) if self.record_grad_norms else None
        for t in range(T - 1, -1, -1):
            g, h = G[t], hs[t]
            r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            dgx, dgh = dGx[t], dGh[t]
            dh += dhs_tm[t]
            self._grad_norm(t, dh)
            dan = dgx[:, 2 * H:]
            np.multiply(dh * (1 - z), 1 - n * n, out=dan)
            np.multiply(dan * ghn[t], r * (1 - r), out=dgx[:, :H])
            np.multiply(dh * (h - n), z * (1 - z), out=dgx[:, H:2 * H])
            dgh[:, :2 * H] = dgx[:, :2 * H]
            np.multiply(dan, r, out=dgh[:, 2 * H:])
            dh = dgh @ Wh.T + dh * z
        self.dh = dh
        dGx2, dGh2 = dGx.reshape(T * N, 3 * H), dGh.reshape(T * N, 3 * H)
        np.matmul(xs_tm.reshape(T * N, D).T, dGx2, out=self.grads[0])
        np.matmul(hs[:-1].reshape(T * N, H).T, dGh2, out=self.grads[1])
        np.sum(dGx2, axis=0, out=self.grads[2])
        np.sum(dGh2[:, 2 * H:], axis=0, out=self.grads[3])
        return (dGx2 @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)      # (N, T, D)
