"""Dot-product attention of the NumPy engine: AttentionWeight, WeightSum, Attention, TimeAttention.

Source: Saitoh, *Deep Learning from Scratch 2*, chapter 8 (``ch08/attention_layer.py``); Luong, Pham &
Manning, EMNLP 2015 (dot score); Bahdanau, Cho & Bengio, ICLR 2015.  The encoder's hidden states hs
(N, T, H) are scored against a decoder state h (N, H) by dot products, the scores are turned into
weights by a softmax over the encoder time axis T, and the context vector is the weighted sum of hs.

Vectorized differently from the book: its TimeAttention loops over the decoder's time steps calling one
Attention layer per step; here all Ty decoder steps are one batched matrix product each way
(scores = hs_dec @ hs_encᵀ, context = weights @ hs_enc), with no Python loop.
"""
from __future__ import annotations

import numpy as np


def _softmax_last(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, max-subtracted; same shape and dtype."""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    """ds = a ⊙ (da − Σ_j da_j a_j) over the last axis, for a = softmax(s)."""
    return a * (da - np.sum(da * a, axis=-1, keepdims=True))


class WeightSum:
    """Context vector c = Σ_t a_t hs_t.  hs: (N, T, H), a: (N, T) -> c: (N, H).

    No params.  ``backward(dc)`` returns (dhs (N, T, H), da (N, T)).  Source: Saitoh, 8.1.4."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self._cache = None

    def forward(self, hs: np.ndarray, a: np.ndarray) -> np.ndarray:
        self._cache = (hs, a)
        return (a[:, None, :] @ hs)[:, 0, :]               # (N, H)

    def backward(self, dc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hs, a = self._cache
        dhs = a[:, :, None] * dc[:, None, :]               # (N, T, H)
        da = (hs @ dc[:, :, None])[:, :, 0]                # (N, T)
        return dhs, da


class AttentionWeight:
    """Attention weights a = softmax_t(hs_t · h).  hs: (N, T, H), h: (N, H) -> a: (N, T), rows sum to 1.

    No params.  ``backward(da)`` returns (dhs (N, T, H), dh (N, H)).  Source: Saitoh, 8.1.5."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self._cache = None

    def forward(self, hs: np.ndarray, h: np.ndarray) -> np.ndarray:
        a = _softmax_last((hs @ h[:, :, None])[:, :, 0])   # (N, T)
        self._cache = (hs, h, a)
        return a

    def backward(self, da: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hs, h, a = self._cache
        ds = _softmax_backward(a, da)                      # (N, T) score gradients
        dhs = ds[:, :, None] * h[:, None, :]               # (N, T, H)
        dh = (ds[:, None, :] @ hs)[:, 0, :]                # (N, H)
        return dhs, dh


class Attention:
    """One decoder step of attention: c = WeightSum(hs, AttentionWeight(hs, h)).  hs: (N, T, H),
    h: (N, H) -> c: (N, H).  ``attention_weight`` holds the last weights (N, T).  ``backward(dc)`` returns
    (dhs, dh).  Source: Saitoh, 8.1.6."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.attention_weight_layer = AttentionWeight()
        self.weight_sum_layer = WeightSum()
        self.attention_weight: np.ndarray | None = None

    def forward(self, hs: np.ndarray, h: np.ndarray) -> np.ndarray:
        a = self.attention_weight_layer.forward(hs, h)
        self.attention_weight = a
        return self.weight_sum_layer.forward(hs, a)

    def backward(self, dc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dhs0, da = self.weight_sum_layer.backward(dc)
        dhs1, dh = self.attention_weight_layer.backward(da)
        return dhs0 + dhs1, dh


class TimeAttention:
    """Attention for every decoder step at once.  hs_enc: (N, Tx, H), hs_dec: (N, Ty, H) -> contexts
    (N, Ty, H), the inputs' dtype.

    weights = softmax over Tx of hs_dec @ hs_encᵀ, (N, Ty, Tx), kept in ``attention_weights`` (the book
    keeps a list of Ty arrays (N, Tx)); contexts = weights @ hs_enc.  ``backward(dcs)`` returns
    (dhs_enc (N, Tx, H), dhs_dec (N, Ty, H)).  No params.  Raises ValueError for mismatched shapes.
    Source: Saitoh, *Deep Learning from Scratch 2*, 8.1.7; Luong et al. 2015."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.attention_weights: np.ndarray | None = None
        self._cache = None

    def forward(self, hs_enc: np.ndarray, hs_dec: np.ndarray) -> np.ndarray:
        if hs_enc.ndim != 3 or hs_dec.ndim != 3 or hs_enc.shape[0] != hs_dec.shape[0] \
                or hs_enc.shape[2] != hs_dec.shape[2]:
            raise ValueError(f"TimeAttention needs hs_enc (N, Tx, H) and hs_dec (N, Ty, H), got "
                             f"{hs_enc.shape} and {hs_dec.shape}")
        a = _softmax_last(hs_dec @ hs_enc.transpose(0, 2, 1))           # (N, Ty, Tx)
        self.attention_weights = a
        self._cache = (hs_enc, hs_dec, a)
        return a @ hs_enc                                  # (N, Ty, H)

    def backward(self, dcs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hs_enc, hs_dec, a = self._cache
        da = dcs @ hs_enc.transpose(0, 2, 1)               # (N, Ty, Tx)
        ds = _softmax_backward(a, da)                      # score gradients (N, Ty, Tx)
        dhs_enc = a.transpose(0, 2, 1) @ dcs + ds.transpose(0, 2, 1) @ hs_dec   # (N, Tx, H)
        dhs_dec = ds @ hs_enc                              # (N, Ty, H)
        return dhs_enc, dhs_dec
