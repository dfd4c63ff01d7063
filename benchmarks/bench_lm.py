"""LSTM language model, the book's setup: time per epoch of the NumPy engine vs the book's code vs PyTorch, and
(with ``--ptb FOLDER``) the test perplexity after 4 epochs on the real Penn Treebank.

Setup of Saitoh, *Deep Learning from Scratch 2*, ch. 6 (``ch06/train_rnnlm.py``, ``Rnnlm``): embedding D = 100,
one LSTM layer H = 100, BPTT length T = 35, batch 20, SGD with learning rate 20, gradient clipping 0.25.  An
epoch of the Penn Treebank's 929,589 training tokens is ⌊929,588 / (20 · 35)⌋ = 1,327 iterations.  The issue's
targets: ≥ 2× faster per epoch than the book code (~215 s measured on one thread of this project's machines), and
test perplexity ≤ 136 after 4 epochs (the book reports about 136).

Timing (no PTB here): a generated corpus of PTB's size (929,589 tokens, 10,000-word vocabulary, from
``visualizer.core.data.corpus``).  Each engine runs ``--iters`` training iterations after a warm-up; the time per
iteration is extrapolated to the epoch's 1,327 iterations (printed as such, not measured over a whole epoch):

* ``numpy``: this lesson's model (``lessons/rnn_lm/network.py`` on ``visualizer.scratch``), its BatchStream,
  ``clip_grads`` and SGD;
* ``book``: a faithful copy of the book's code, written out below (``BookTimeEmbedding`` with one ``Embedding`` per
  step and ``np.add.at``, ``BookTimeLSTM`` calling an ``LSTM`` cell object per step with its own x_t W_x product,
  ``BookTimeAffine``, ``BookTimeSoftmaxWithLoss``, the trainer's ``get_batch`` loops, ``remove_duplicate``,
  ``clip_grads`` and ``SGD``) from ``common/time_layers.py``, ``common/layers.py``, ``common/trainer.py``,
  ``common/optimizer.py`` and ``common/util.py`` of the book's repository (MIT License, (c) 2018 Koki Saitoh);
* ``torch``: the lesson's PyTorch twin (``torch.nn.LSTM``, autograd, ``clip_grad_norm_``, ``torch.optim.SGD``).

Everything runs on one thread (threadpoolctl for NumPy's BLAS, ``torch.set_num_threads(1)``) unless
``--threads N``.

Usage:  python -m benchmarks.bench_lm [--iters 30] [--engines numpy,book,torch] [--threads 1]
        python -m benchmarks.bench_lm --ptb /path/to/ptb_folder [--epochs 4] [--engine numpy]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

PTB_TRAIN_TOKENS = 929_589
PTB_VOCAB = 10_000
BATCH, TIME, WORDVEC, HIDDEN, LR, MAX_GRAD = 20, 35, 100, 100, 20.0, 0.25
BOOK_EPOCH_SECONDS = 215.0          # the figure for the book's code, one thread


# ------------------------------------------------------------------------------------------------ #
# The book's code (ch. 5-6), CPU path, float32 ('f') as in the book
# ------------------------------------------------------------------------------------------------ #
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
# Runners
# ------------------------------------------------------------------------------------------------ #
def _config(vocab):
    from lessons.rnn_lm.network import LmConfig

    return LmConfig(vocab, WORDVEC, HIDDEN, "lstm", 1, 0.0, False)


def numpy_runner(corpus, vocab, seed):
    from lessons.rnn_lm.data import BatchStream
    from lessons.rnn_lm.network import NumpyLm, init_weights
    from visualizer.scratch.clipping import clip_grads
    from visualizer.scratch.optimizers import SGD

    config = _config(vocab)
    net = NumpyLm(config, init_weights(config, seed))
    opt = SGD(net.params, net.grads, LR)
    stream = BatchStream(corpus, BATCH, TIME)

    def step():
        xs, ts = stream.next_batch()
        loss = net.forward(xs, ts)
        net.backward()
        clip_grads(net.grads, MAX_GRAD)
        opt.step()
        return loss
    return step


def book_runner(corpus, vocab, seed):
    model = BookRnnlm(vocab, WORDVEC, HIDDEN, np.random.default_rng(seed))
    trainer = BookRnnlmTrainer(model, BookSGD(LR))
    xs, ts = corpus[:-1], corpus[1:]
    return lambda: trainer.iteration(xs, ts, BATCH, TIME, MAX_GRAD)


def torch_runner(corpus, vocab, seed):
    from lessons.rnn_lm.data import BatchStream
    from lessons.rnn_lm.network import init_weights
    from lessons.rnn_lm.torch_net import TorchTrainer

    config = _config(vocab)
    trainer = TorchTrainer(config, init_weights(config, seed), np.random.default_rng(0), "sgd", LR, "cpu")
    stream = BatchStream(corpus, BATCH, TIME)

    def step():
        xs, ts = stream.next_batch()
        return trainer.step(xs, ts, MAX_GRAD)[0]
    return step


RUNNERS = {"numpy": numpy_runner, "book": book_runner, "torch": torch_runner}


def time_per_iteration(step, iters: int, warmup: int = 3) -> tuple[float, float]:
    """(seconds per iteration over ``iters`` timed iterations, last loss)."""
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    loss = 0.0
    for _ in range(iters):
        loss = step()
    return (time.perf_counter() - t0) / iters, float(loss)


def run_timing(args) -> None:
    from visualizer.core.data.corpus import generate_corpus_ids

    t0 = time.perf_counter()
    ids, words = generate_corpus_ids(PTB_TRAIN_TOKENS, PTB_VOCAB, seed=0)
    vocab = len(words)
    iters_per_epoch = (len(ids) - 1) // (BATCH * TIME)
    print(f"corpus: generated, {len(ids):,} tokens, vocabulary {vocab:,} ({len(np.unique(ids)):,} used), "
          f"made in {time.perf_counter() - t0:.1f} s; {iters_per_epoch:,} iterations per epoch")
    print(f"setup: D = {WORDVEC}, H = {HIDDEN}, T = {TIME}, batch {BATCH}, SGD lr {LR:g}, clipping {MAX_GRAD}, "
          f"1-layer LSTM; {args.iters} timed iterations after 3 warm-up ones, extrapolated to the epoch")
    results = {}
    for name in args.engines.split(","):
        step = RUNNERS[name](ids, vocab, args.seed)
        per_iter, loss = time_per_iteration(step, args.iters)
        results[name] = per_iter * iters_per_epoch
        print(f"  {name:6s} {per_iter * 1e3:8.1f} ms / iteration  ->  {results[name]:7.1f} s / epoch "
              f"(extrapolated; last loss {loss:.3f})")
    if "numpy" in results:
        if "book" in results:
            print(f"numpy engine vs the book's code, same machine: {results['book'] / results['numpy']:.2f}x faster "
                  "per epoch (target >= 2x)")
        print(f"numpy engine vs the issue's book figure ({BOOK_EPOCH_SECONDS:.0f} s): "
              f"{BOOK_EPOCH_SECONDS / results['numpy']:.2f}x")
        if "torch" in results:
            print(f"torch twin vs numpy engine: {results['numpy'] / results['torch']:.2f}x")


def run_ptb(args) -> None:
    """Train 4 epochs on a real PTB folder with the book's setup and report the test perplexity."""
    from lessons.rnn_lm import LESSON

    hp = LESSON.hyperparameters({"dataset": "ptb_folder", "ptb_folder": args.ptb, "cell": "lstm", "layers": 1,
                                 "embed_size": WORDVEC, "hidden_size": HIDDEN, "dropout": 0.0, "tie_weights": False,
                                 "time_size": TIME, "batch_size": BATCH, "optimizer": "sgd", "lr": LR,
                                 "max_grad_norm": MAX_GRAD, "engine": args.engine, "seed": args.seed})
    lesson = LESSON(hp)
    spe = lesson.steps_per_epoch
    print(f"{lesson.corpus.name}: {spe:,} iterations per epoch, {args.epochs} epochs, engine {args.engine}")
    t0 = time.perf_counter()
    losses = []
    for it in range(spe * args.epochs):
        losses.append(lesson.train_step()["train_loss"])
        if (it + 1) % 100 == 0:
            print(f"  epoch {it // spe + 1} iter {it % spe + 1:5d}/{spe}  train ppl {math.exp(np.mean(losses)):8.2f}"
                  f"  {time.perf_counter() - t0:7.1f} s", flush=True)
            losses = []
        if (it + 1) % spe == 0:
            print(f"epoch {(it + 1) // spe}: {time.perf_counter() - t0:.1f} s so far; validation perplexity "
                  f"{lesson.evaluate()['val_ppl']:.2f} (first 10,000 words)", flush=True)
    elapsed = time.perf_counter() - t0
    ppl = lesson.test_perplexity()
    print(f"test perplexity after {args.epochs} epochs: {ppl:.2f} (target <= 136; the book: ~136); "
          f"{elapsed / args.epochs:.1f} s per epoch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=30, help="timed iterations per engine")
    parser.add_argument("--engines", default="numpy,book,torch", help="comma-separated: numpy, book, torch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1: the figures "
                        "to compare with the book's one-thread time)")
    parser.add_argument("--ptb", metavar="FOLDER", help="train on a real Penn Treebank folder and report test "
                        "perplexity instead of timing")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--engine", default="numpy", choices=("numpy", "torch"), help="engine for --ptb")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
          f"torch {torch.__version__}; {args.threads} thread(s); load average {os.getloadavg()[0]:.1f}")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        run_ptb(args) if args.ptb else run_timing(args)


if __name__ == "__main__":
    main()
