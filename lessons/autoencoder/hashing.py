"""Semantic hashing and the latent map: binary codes, Hamming distances, retrieval precision, PCA.

Salakhutdinov & Hinton, *Semantic hashing*, Int. J. Approximate Reasoning 50 (2009): an autoencoder
whose code units are pushed to 0/1 maps each document (here: each image) to a short binary address;
similar items land at addresses a few bit flips apart, so retrieval is a Hamming-ball look-up.
Qt-free; NumPy only.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def binary_codes(activations: np.ndarray) -> np.ndarray:
    """Bits (N, B) uint8: code activations (N, B) in [0, 1] thresholded at 0.5."""
    return (activations > 0.5).astype(np.uint8)


def hamming_distances(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """Hamming distances (M, N) int32 between bit rows queries (M, B) and database (N, B), both 0/1.

    Counted with two matrix products: d = q·(1 − b)ᵀ + (1 − q)·bᵀ.  Raises ValueError if B differs."""
    if queries.shape[1] != database.shape[1]:
        raise ValueError(f"codes of different lengths: {queries.shape[1]} and {database.shape[1]} bits")
    q = queries.astype(np.float32)
    b = database.astype(np.float32)
    return np.rint(q @ (1 - b).T + (1 - q) @ b.T).astype(np.int32)


def euclidean_distances(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """Euclidean distances (M, N) float32 between rows of queries (M, C) and database (N, C)."""
    q = queries.astype(np.float32)
    b = database.astype(np.float32)
    d2 = q @ b.T                                                          # (M, N)
    d2 *= -2
    d2 += (q * q).sum(1)[:, None]
    d2 += (b * b).sum(1)[None, :]
    np.maximum(d2, 0, out=d2)
    return np.sqrt(d2, out=d2)


def precision_at_k(dist: np.ndarray, query_labels: np.ndarray, db_labels: np.ndarray, k: int = 10) -> float:
    """Mean precision@k: the share of each query's k nearest database items (by ``dist`` (M, N)) that
    have the query's label, averaged over the M queries.

    Ties at the k-th distance (common with short binary codes: many images share an address) are
    broken at random in expectation: the tied items count in proportion to the places left.  Raises
    ValueError unless 1 <= k <= N."""
    n = dist.shape[1]
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and {n}, got {k}")
    same = query_labels[:, None] == db_labels[None, :]                   # (M, N) relevant
    d_k = np.partition(dist, k - 1, axis=1)[:, k - 1:k]                   # (M, 1) the k-th distance
    less = dist < d_k
    tied = dist == d_k
    n_less = less.sum(1)
    rel_less = (less & same).sum(1)
    rel_tied = (tied & same).sum(1) / tied.sum(1)                         # share relevant among the ties
    return float(np.mean((rel_less + (k - n_less) * rel_tied) / k))


def nearest(dist_row: np.ndarray, k: int) -> np.ndarray:
    """Indices (k,) of the k smallest distances in dist_row (N,), ties by index (stable)."""
    return np.argsort(dist_row, kind="stable")[:k]


def pca_2d(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projection (N, 2) of codes (N, C) on their first two principal components, and the share of
    variance each explains (2,).  Signs are fixed (largest loading positive) so the picture does not
    flip between frames.  C = 1 gives a zero second column."""
    x = codes.astype(np.float64) - codes.mean(axis=0)
    if x.shape[1] == 1:
        return np.concatenate([x, np.zeros_like(x)], axis=1), np.array([1.0, 0.0])
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    comps = vt[:2]                                                        # (2, C)
    signs = np.sign(comps[np.arange(2), np.abs(comps).argmax(axis=1)])
    comps = comps * np.where(signs == 0, 1.0, signs)[:, None]
    var = s ** 2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    return x @ comps.T, share


class Retrieval:
    """Retrieval of training images (the database) for validation queries by their codes: Hamming
    distance between binary codes (activations thresholded at 0.5), Euclidean between real codes.

    x_val (M, D), x_train (N, D): pixels, for the raw-pixel kNN reference; y_val (M,), y_train (N,): digit
    labels (never used to train).  ``pixel_precision``: precision@k of Euclidean kNN on the pixels;
    ``chance``: the precision of random retrieval, Σ_c p_val(c)·p_train(c)."""

    def __init__(self, x_val: np.ndarray, x_train: np.ndarray, y_val: np.ndarray, y_train: np.ndarray,
                 binary: bool, k: int = 10) -> None:
        self.y_val, self.y_train, self.binary, self.k = y_val, y_train, binary, k
        self.pixel_precision = precision_at_k(euclidean_distances(x_val, x_train), y_val, y_train, k)
        pv = np.bincount(y_val, minlength=10) / len(y_val)
        pt = np.bincount(y_train, minlength=10) / len(y_train)
        self.chance = float(pv @ pt)
        self.forget()

    def distances(self, val_codes: np.ndarray, train_codes: np.ndarray, bits: int | None = None) -> np.ndarray:
        """(M, N) distances between codes (M, C) and (N, C): Hamming between the first ``bits`` bits of
        binary codes (int32), Euclidean between real codes (float32)."""
        if self.binary:
            b = bits or val_codes.shape[1]
            return hamming_distances(binary_codes(val_codes[:, :b]), binary_codes(train_codes[:, :b]))
        return euclidean_distances(val_codes, train_codes)

    def precision(self, val_codes: np.ndarray, train_codes: np.ndarray, bits: int | None = None) -> float:
        """Mean precision@k of retrieval by these codes (or their first ``bits`` bits)."""
        return precision_at_k(self.distances(val_codes, train_codes, bits), self.y_val, self.y_train, self.k)

    def metrics(self, step: int, codes: Callable[[], tuple[np.ndarray, np.ndarray]],
                every: int) -> dict[str, float]:
        """``precision_at_10`` and ``pixels_precision_at_10`` (plus ``saturated_codes``, the share of binary
        code activations below 0.1 or above 0.9) of the codes ``codes()`` gives ((M, C), (N, C)), at most
        every ``every`` steps: {} when the last measurement is more recent (each costs ~20 ms)."""
        if self._precision is not None and step - self._precision[0] < every:
            return {}
        val_codes, train_codes = codes()
        precision = self.precision(val_codes, train_codes)
        self._precision = (step, precision)
        out = {"precision_at_10": precision, "pixels_precision_at_10": self.pixel_precision}
        if self.binary:
            out["saturated_codes"] = float(np.mean((val_codes < 0.1) | (val_codes > 0.9)))
        return out

    def by_code_length(self, step: int, val_codes: np.ndarray, train_codes: np.ndarray, every: int,
                       prefixes: tuple[int, ...]) -> tuple[list[str], list[float]]:
        """(labels, precisions): pixels, each prefix of the binary code shorter than it and the whole code,
        or the real code, then chance.  Recomputed at most every ``every`` steps (else the last result)."""
        if self._bars is not None and step - self._bars[0] < every:
            return self._bars[1]
        fresh = self._precision is not None and self._precision[0] == step
        full = self._precision[1] if fresh else self.precision(val_codes, train_codes)
        c = val_codes.shape[1]
        labels, values = ["pixels (64-D)"], [self.pixel_precision]
        if self.binary:
            for b in [p for p in prefixes if p < c] + [c]:
                labels.append(f"{b} bits")
                values.append(full if b == c else self.precision(val_codes, train_codes, b))
        else:
            labels.append(f"{c}-D code")
            values.append(full)
        self._bars = (step, (labels + ["chance"], values + [self.chance]))
        return self._bars[1]

    def forget(self) -> None:
        """Drop the remembered measurements (after the weights were replaced)."""
        self._precision: tuple[int, float] | None = None        # (step, precision@k) of the last measurement
        self._bars: tuple[int, tuple[list[str], list[float]]] | None = None
