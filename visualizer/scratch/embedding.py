"""Embedding layers of the NumPy engine: Embedding (a row lookup) and TimeEmbedding (the same over (N, T)).

Source: Saitoh, *Deep Learning from Scratch 2*, section 4.1 ("Embedding layer") and section 5.3
(``TimeEmbedding``).  Forward gathers rows ``W[idx]``; backward scatter-adds the upstream gradient into
the rows that were read.  A word that occurs several times in the batch receives the sum of its
gradients, so the scatter must *add*: ``dW[idx] = dout`` would keep only the last occurrence.

The book scatters with ``np.add.at``.  Here :func:`scatter_add_rows` sorts the indices once and sums each
run of equal indices with ``np.add.reduceat``, which measured about 2x faster than ``np.add.at`` at the
book's shapes (700 to 1,000 looked-up rows of width 100 in a 10,000-word vocabulary, one thread, NumPy
2.4); ``benchmarks/bench_time_layers.py`` prints both.
"""
from __future__ import annotations

import numpy as np


def scatter_add_rows(dst: np.ndarray, idx: np.ndarray, src: np.ndarray, method: str = "sorted") -> None:
    """dst[idx[m]] += src[m] for every m, repeated indices summed.  dst: (V, D); idx: (M,) int; src: (M, D).

    ``method="sorted"`` (default): stable argsort of idx, ``np.add.reduceat`` over runs of equal indices,
    one fancy-indexed add of the per-word sums.  ``method="add.at"``: the book's ``np.add.at``.  Both give
    the same sums up to float round-off order.  Raises ValueError for an unknown method or mismatched shapes."""
    if idx.ndim != 1 or src.ndim != 2 or src.shape[0] != idx.shape[0] or src.shape[1] != dst.shape[1]:
        raise ValueError(f"scatter_add_rows needs idx (M,), src (M, D), dst (V, D); got {idx.shape}, "
                         f"{src.shape}, {dst.shape}")
    if method == "add.at":
        np.add.at(dst, idx, src)
        return
    if method != "sorted":
        raise ValueError(f"unknown scatter method {method!r}; use 'sorted' or 'add.at'")
    if idx.size == 0:
        return
    order = np.argsort(idx, kind="stable")
    s = idx[order]                                         # (M,) sorted word ids
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))   # first position of each word
    dst[s[starts]] += np.add.reduceat(src[order], starts, axis=0)        # (U, D), U distinct words


class Embedding:
    """Row lookup y = W[idx].  idx: any shape S of integers in [0, V) -> y: S + (D,), W's dtype.

    params = [W] with W: (V, D); ``backward(dout)`` (shape S + (D,)) writes dW (zero except the rows
    looked up, which get the summed gradients) and returns None: the input is a tensor of word ids, which
    has no gradient.  Matches ``torch.nn.functional.embedding``.  Raises ValueError for ids outside
    [0, V) or non-integer ids.  Source: Saitoh, *Deep Learning from Scratch 2*, section 4.1."""

    def __init__(self, W: np.ndarray, scatter: str = "sorted") -> None:
        if W.ndim != 2:
            raise ValueError(f"Embedding needs W: (V, D), got {W.shape}")
        self.params = [W]                                  # W: (V, D)
        self.grads = [np.zeros_like(W)]
        self.scatter = scatter
        self._idx: np.ndarray | None = None

    def forward(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx)
        W = self.params[0]
        if idx.dtype.kind not in "iu":
            raise ValueError(f"word ids must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= W.shape[0]):
            raise ValueError(f"word ids must lie in [0, {W.shape[0] - 1}], got values from {idx.min()} "
                             f"to {idx.max()}")
        self._idx = idx
        return W[idx]                                      # S + (D,)

    def backward(self, dout: np.ndarray) -> None:
        dW = self.grads[0]
        dW[...] = 0
        scatter_add_rows(dW, self._idx.reshape(-1), dout.reshape(-1, dW.shape[1]), self.scatter)


class TimeEmbedding(Embedding):
    """Embedding over a batch of sequences.  xs: (N, T) int word ids -> (N, T, D), W's dtype.

    The same lookup as :class:`Embedding` (already vectorized over every axis); the book's version loops
    over T.  Raises ValueError unless xs is 2-D.  Source: Saitoh, *Deep Learning from Scratch 2*, 5.3."""

    def forward(self, xs: np.ndarray) -> np.ndarray:
        xs = np.asarray(xs)
        if xs.ndim != 2:
            raise ValueError(f"TimeEmbedding needs word ids of shape (N, T), got {xs.shape}")
        return super().forward(xs)                         # (N, T, D)
