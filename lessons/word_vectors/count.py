"""Count-based word vectors (Saitoh, *Deep Learning from Scratch 2*, ch. 2): co-occurrence matrix, PPMI, SVD.

Vectorized where the book loops: ``co_occurrence`` counts every pair at one distance d with one
``np.bincount`` (the only loop is over d = 1 … window), ``ppmi`` is one array expression (the book loops
over every cell), and the SVD is LAPACK's.  ``canonical_signs`` fixes the sign of each singular vector
(its largest-magnitude entry positive), so that NumPy and PyTorch, whose SVDs may return −u for u, give
the same word map.  The PyTorch twins are in ``count_torch.py``; cosine similarity and the queries in
``visualizer.probes.similarity``.  Not a network (nothing here is trained), hence not ``net.py``.  Qt-free.
"""
from __future__ import annotations

import numpy as np


def co_occurrence(corpus: np.ndarray, vocab_size: int, window: int) -> np.ndarray:
    """Co-occurrence counts C (V, V) float64: C[w, c] = how often word c appears within ``window`` words
    to the left or right of word w (the book's ``create_co_matrix``).  corpus: (T,) int ids; ids < 0
    (words outside the kept vocabulary) are skipped.  Symmetric.  Raises ValueError for window < 1."""
    if window < 1:
        raise ValueError(f"the window size must be at least 1, got {window}")
    c = np.asarray(corpus, dtype=np.int64)
    V = int(vocab_size)
    counts = np.zeros(V * V, dtype=np.int64)
    for d in range(1, window + 1):
        if d >= c.size:
            break
        left, right = c[:-d], c[d:]                           # (T - d,) word pairs at distance d
        ok = (left >= 0) & (right >= 0)
        counts += np.bincount(left[ok] * V + right[ok], minlength=V * V)
    C = counts.reshape(V, V).astype(np.float64)
    return C + C.T                                            # right neighbours and left neighbours


def ppmi(C: np.ndarray) -> np.ndarray:
    """Positive pointwise mutual information (V, V) float64 of co-occurrence counts C (V, V):
    PPMI(x, y) = max(0, log₂(C(x, y) · N / (S(x) S(y)))) with N = Σ C and S = row sums (the book's
    ``ppmi``; cells with C = 0 are 0, where the book's eps gives log₂(1e-8) < 0 and thus 0 too)."""
    C = np.asarray(C, dtype=np.float64)
    N = C.sum()
    S = C.sum(axis=0)                                         # (V,)
    denom = S[:, None] * S[None, :]
    out = np.zeros_like(C)
    nz = C > 0
    out[nz] = np.maximum(0.0, np.log2(C[nz] * N / denom[nz]))
    return out


def canonical_signs(U: np.ndarray) -> np.ndarray:
    """U (V, K) with each column's sign flipped so that its largest-magnitude entry is positive."""
    if U.size == 0:
        return U
    idx = np.abs(U).argmax(axis=0)                            # (K,)
    s = np.sign(U[idx, np.arange(U.shape[1])])
    s[s == 0] = 1.0
    return U * s


def svd_vectors(M: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Truncated SVD of the PPMI matrix M (V, V): (word vectors U[:, :k] (V, k), singular values (min(V, k),))
    with canonical signs.  Dense LAPACK SVD (numpy.linalg.svd), exact, deterministic."""
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    k = min(int(k), U.shape[1])
    return canonical_signs(U[:, :k]), s[:k]

