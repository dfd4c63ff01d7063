"""Scratch (NumPy) Conv2d vs PyTorch conv2d on CPU: forward + backward time and their ratio, per layer shape and for
a whole training step of the digits CNN.

Layer rows: the two convolutions of the digits CNN (``visualizer.models.cnn.CNN`` with
conv 16 3x3 pad 1 -> ReLU -> maxpool 2 -> conv 32 3x3 pad 1), batch 64 and 128, float32.  The scratch side
runs ``Conv2d.forward`` + ``Conv2d.backward`` (input gradient included, as for a middle layer); the torch
side ``torch.nn.functional.conv2d`` + ``.backward`` with an input that requires grad.  Train-step rows:
the whole digits CNN (scratch ``CNN`` vs ``TorchCNN`` built from it, same weights, same batches),
softmax cross-entropy and Adam (lr 1e-3) on both.  One thread each (NumPy's BLAS pinned with
threadpoolctl, PyTorch with ``torch.set_num_threads``): the app trains on one worker thread.  Engines are
interleaved, each timed run repeats the operation ``--inner`` times, and the table shows the median of
``--repeats`` runs after a warm-up.  Target: scratch/torch <= 2.0.

Usage (from the repository root):
    python -m benchmarks.bench_conv
    python -m benchmarks.bench_conv --quick
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Callable

import numpy as np
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info, threadpool_limits

from visualizer.models.cnn import CNN
from visualizer.scratch.conv import Conv2d
from visualizer.scratch.losses import SoftmaxCrossEntropy
from visualizer.scratch.optimizers import make_optimizer

DIGITS_SPEC = [("conv", 16, 3, 1, 1), ("relu",), ("maxpool", 2), ("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2),
               ("flatten",), ("linear", 64), ("relu",), ("linear", 10)]
# (input channels, height = width, filters) of the two digits-CNN convolutions, 3x3 kernels, pad 1
CONV_SHAPES = [(1, 8, 16), (16, 4, 32)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 128], help="batch sizes")
    parser.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS and PyTorch")
    parser.add_argument("--inner", type=int, default=200, help="operations per timed run")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per engine; the median counts")
    parser.add_argument("--quick", action="store_true", help="short run: --inner 30 --repeats 5")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.inner, args.repeats = 30, 5
    return args


def median_times(fns: dict[str, Callable[[], None]], inner: int, repeats: int) -> dict[str, float]:
    """Median seconds per call of each function, runs interleaved across functions after one warm-up run."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        for _ in range(max(inner // 5, 3)):
            fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - start) / inner)
    return {k: statistics.median(v) for k, v in times.items()}


def conv_pair(torch, batch: int, c: int, hw: int, f: int, rng: np.random.Generator):
    """Forward + backward closures of scratch Conv2d and torch conv2d on the same weights and data."""
    x = rng.normal(size=(batch, c, hw, hw)).astype(np.float32)
    W = (rng.normal(size=(f, c, 3, 3)) * np.sqrt(2 / (9 * c))).astype(np.float32)
    b = np.zeros(f, np.float32)
    dout = rng.normal(size=(batch, f, hw, hw)).astype(np.float32)
    layer = Conv2d(W, b, stride=1, pad=1)

    def scratch() -> None:
        layer.forward(x)
        layer.backward(dout)

    xt = torch.tensor(x, requires_grad=True)
    Wt, bt = torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)
    dt = torch.tensor(dout)

    def torch_fn() -> None:
        xt.grad = Wt.grad = bt.grad = None
        torch.nn.functional.conv2d(xt, Wt, bt, 1, 1).backward(dt)

    return scratch, torch_fn


def train_pair(torch, batch: int, x: np.ndarray, y: np.ndarray, seed: int):
    """One training step closure per engine: the digits CNN, cross-entropy, Adam, the same batch sequence."""
    from visualizer.models.cnn_torch import TorchCNN

    model = CNN((1, 8, 8), DIGITS_SPEC, dtype="float32", seed=seed)
    twin = TorchCNN(model)
    opt = make_optimizer("adam", model.params, model.grads, lr=1e-3)
    opt_t = torch.optim.Adam(twin.parameters(), lr=1e-3)
    loss_fn = SoftmaxCrossEntropy()
    rng = np.random.default_rng(seed)
    order = [rng.choice(len(x), batch, replace=False) for _ in range(64)]
    xb = [x[i] for i in order]                     # batches cut before timing
    yb = [y[i] for i in order]
    xbt = [torch.from_numpy(b) for b in xb]
    ybt = [torch.from_numpy(b) for b in yb]
    step = {"numpy": 0, "torch": 0}

    def scratch() -> None:
        k = step["numpy"] = (step["numpy"] + 1) % len(xb)
        loss_fn.forward(model.forward(xb[k]), yb[k])
        model.backward(loss_fn.backward())
        opt.step()

    def torch_fn() -> None:
        k = step["torch"] = (step["torch"] + 1) % len(xb)
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(twin(xbt[k]), ybt[k]).backward()
        opt_t.step()

    return scratch, torch_fn


def main() -> None:
    args = parse_args()
    import torch                                   # imported here: the benchmark needs it, lessons do not

    torch.set_num_threads(args.threads)
    blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads by default)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}, torch {torch.__version__}")
    print(f"NumPy BLAS: {'; '.join(blas)}; pinned to {args.threads}; torch threads {torch.get_num_threads()}")
    print(f"float32; median of {args.repeats} runs x {args.inner} calls, engines interleaved\n")
    print(f"{'what':38} {'batch':>5} {'scratch ms':>11} {'torch ms':>9} {'scratch/torch':>14}")
    digits_x, digits_y = load_digits(return_X_y=True)
    x = (digits_x / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    y = digits_y.astype(np.int64)
    rng = np.random.default_rng(args.seed)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        rows = []
        for c, hw, f in CONV_SHAPES:
            for batch in args.batch:
                scratch, torch_fn = conv_pair(torch, batch, c, hw, f, rng)
                rows.append((f"conv {c}x{hw}x{hw} -> {f}, 3x3 pad 1 fwd+bwd", batch, scratch, torch_fn))
        for batch in args.batch:
            scratch, torch_fn = train_pair(torch, batch, x, y, args.seed)
            rows.append(("digits CNN train step (Adam)", batch, scratch, torch_fn))
        for what, batch, scratch, torch_fn in rows:
            t = median_times({"numpy": scratch, "torch": torch_fn}, args.inner, args.repeats)
            print(f"{what:38} {batch:5d} {t['numpy'] * 1e3:11.3f} {t['torch'] * 1e3:9.3f} "
                  f"{t['numpy'] / t['torch']:13.2f}x", flush=True)


if __name__ == "__main__":
    main()
