"""The matrix products alone: how fast a training step could be if everything else were free.

A seq2seq or language-model step is matrix products (BLAS) plus elementwise work, softmax, embedding gathers, clipping and
Adam.  ``seq2seq_products`` lists every matrix product that one training iteration of
``visualizer.models.seq2seq_trainer`` makes with the scratch layers (``visualizer.scratch.time_layers``: the input
projection of all steps in one product, ``h_{t−1} W_h`` per step from the second step on, ``dA W_hᵀ`` per
step, ``dW_x`` and ``dW_h`` in one product each, the peeky decoder's constant input once per sequence);
``time_products`` times them with the same shapes, dtype and count on one thread.  The result is a lower
bound for this algorithm on this machine: the speed target can only be met if the rest fits in what is left.

    python -m benchmarks.gemm_floor   (the book's peeky addition setup and its PTB language model)
"""
from __future__ import annotations

import time

import numpy as np

Product = tuple[int, int, int, int]          # (count, m, k, n): count products of (m, k) @ (k, n)


def seq2seq_products(kind: str, N: int, T_enc: int, T_dec: int, D: int, H: int, V: int) -> list[Product]:
    """Matrix products of one training iteration (forward + backward) of the scratch seq2seq.

    kind "seq2seq" (Saitoh 7.3) or "peeky" (Saitoh 7.5.2); N batch, T_enc question length, T_dec decoder steps
    (answer length − 1), D embedding size, H hidden size, V vocabulary.  Raises ValueError for another kind."""
    if kind not in ("seq2seq", "peeky"):
        raise ValueError(f"kind must be 'seq2seq' or 'peeky', got {kind!r}")
    G = 4 * H
    enc = [(1, T_enc * N, D, G), (T_enc - 1, N, H, G),                       # forward: x W_x, h W_h
           (T_enc, N, G, H), (1, D, T_enc * N, G), (1, H, (T_enc - 1) * N, G), (1, T_enc * N, G, D)]
    dec = [(1, T_dec * N, D, G), (T_dec, N, H, G),                           # stateful: step 0 has h_0 W_h
           (T_dec, N, G, H), (1, D, T_dec * N, G), (1, H, T_dec * N, G), (1, T_dec * N, G, D)]
    out_in = H
    if kind == "peeky":
        dec += [(1, N, H, G), (1, H, N, G), (1, N, G, H)]                    # x_const W_x[:H], its two grads
        out_in = 2 * H
    affine = [(1, T_dec * N, out_in, V), (1, out_in, T_dec * N, V), (1, T_dec * N, V, out_in)]
    return enc + dec + affine


def lm_products(N: int, T: int, D: int, H: int, V: int) -> list[Product]:
    """Matrix products of one training iteration of the scratch LSTM language model (``lessons.rnn_lm``, one
    layer, no weight tying): embedding → TimeLSTM → TimeAffine over the vocabulary.  N batch, T BPTT steps,
    D embedding size, H hidden size, V vocabulary (Saitoh, 6.4)."""
    G = 4 * H
    lstm = [(1, T * N, D, G), (T, N, H, G),                                  # stateful: every step has h W_h
            (T, N, G, H), (1, D, T * N, G), (1, H, T * N, G), (1, T * N, G, D)]
    affine = [(1, T * N, H, V), (1, H, T * N, V), (1, T * N, V, H)]
    return lstm + affine


def time_products(products: list[Product], repeats: int = 200, dtype=np.float32) -> float:
    """Seconds per iteration for ``products`` (median of 5 runs of ``repeats`` iterations), one thread."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    mats = [(count, rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype),
             np.empty((m, n), dtype)) for count, m, k, n in products]
    runs = []
    with threadpool_limits(1):
        for _ in range(6):
            t0 = time.perf_counter()
            for _ in range(repeats):
                for count, a, b, out in mats:
                    for _ in range(count):
                        np.matmul(a, b, out=out)
            runs.append((time.perf_counter() - t0) / repeats)
    return float(np.median(runs[1:]))                                         # the first run warms up


def flops(products: list[Product]) -> float:
    """Floating-point operations (2 m k n per product)."""
    return float(sum(2 * c * m * k * n for c, m, k, n in products))


def main() -> None:
    iters = 45_000 // 128
    products = seq2seq_products("peeky", 128, 7, 4, 16, 128, 13)
    per_iter = time_products(products)
    print(f"peeky seq2seq, addition (N=128, T=7/4, D=16, H=128, V=13): {flops(products) / 1e6:.0f} MFLOP per "
          f"iteration in {sum(c for c, *_ in products)} products; {per_iter * 1e3:.2f} ms per iteration "
          f"({flops(products) / per_iter / 1e9:.0f} GFLOP/s) -> {per_iter * iters:.2f} s per epoch of {iters} "
          f"iterations for the products alone (3x the book's 8.8 s allows {8.8 / 3:.2f} s for everything)")
    iters = 929_588 // (20 * 35)
    products = lm_products(20, 35, 100, 100, 10_000)
    per_iter = time_products(products, repeats=10)
    print(f"LSTM language model, PTB size (N=20, T=35, D=H=100, V=10,000): {flops(products) / 1e9:.2f} GFLOP per "
          f"iteration in {sum(c for c, *_ in products)} products; {per_iter * 1e3:.1f} ms per iteration "
          f"({flops(products) / per_iter / 1e9:.0f} GFLOP/s) -> {per_iter * iters:.1f} s per epoch of {iters:,} "
          f"iterations for the products alone")


if __name__ == "__main__":
    main()
