"""Is the GUI responsive while the attention views follow a training Transformer?  (issue #17: sentences up to 128
tokens, all layers x heads of a 4 x 4 model, event-loop p99 <= 50 ms while training.)

A 4-layer, 4-head encoder classifier (``visualizer.models.transformer_torch``: embeddings, sinusoidal positions,
post-norm ``TransformerStack``, d_model 64, the [CLS] vector -> 2 classes) trains on the generated sentiment corpus
(``visualizer.data.sentiment``, reviews padded to 128 tokens, batch 16, no dropout, Adam) in a background thread with one torch
thread.  Between its steps, at the app's redraw rate (``REDRAW_HZ``, 30 Hz), that thread runs a probe forward pass on
one 128-token input under ``record_attention`` (never a training step) and leaves the AttentionData of the head view
(every head of one layer) and of the model view (every layer x head) in a latest-wins slot, as a lesson's snapshot
would.  The GUI thread redraws both views from the slot at the redraw rate (``set_data`` and a synchronous repaint,
whose time is the "draw time per update") while a 10 ms timer measures how late the event loop answers (as
``benchmarks.gui_phase`` does).  A neuron view is drawn too with ``--neuron``.

Offscreen (QT_QPA_PLATFORM=offscreen unless set).  Run it alone (``flock /tmp/h/heavy.lock`` on a shared machine).

Usage:  python -m benchmarks.bench_attention_view [--seconds 30] [--size 700x500] [--neuron]
"""
from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

PROBE_MS = 10              # the latency probe's period (as benchmarks.gui_phase)
TARGET_P99_MS = 50.0
TOKENS = 128


def build(seed: int = 0):
    """(model, optimizer, training ids (N, 128), labels (N,), probe ids (1, 128), probe tokens)."""
    import torch
    from torch import nn

    from visualizer.data.sentiment import generate_sentiment
    from visualizer.data.tokenize import WordVocab
    from visualizer.models.transformer_torch import PositionalEncoding, StackConfig, TransformerStack

    data = generate_sentiment(4000, seed=seed)
    vocab = WordVocab.build(data.texts)
    ids, _lengths = vocab.encode_batch(data.texts, TOKENS)
    long_text = " ".join(data.texts[:40])                       # several reviews: a 128-token probe input
    enc = vocab.encode(long_text, TOKENS)

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(len(vocab), 64)
            self.pos = PositionalEncoding(TOKENS, 64)
            self.stack = TransformerStack(StackConfig(n_layers=4, d_model=64, n_heads=4, d_ff=128, dropout=0.0))
            self.head = nn.Linear(64, 2)

        def forward(self, x):
            from visualizer.models.transformer_torch import padding_mask
            h = self.stack(self.pos(self.embed(x)), padding_mask(x))        # (B, T, D)
            return self.head(h[:, 0])                                       # (B, 2) from [CLS]

    torch.manual_seed(seed)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return (model, opt, torch.from_numpy(ids), torch.from_numpy(np.asarray(data.labels)),
            torch.from_numpy(enc.ids[None]), list(enc.tokens))


class Trainer(threading.Thread):
    """Trains in steps of batch 16 and, every 1/redraw_hz seconds, probes the attention of one input."""

    def __init__(self, parts, redraw_hz: float, layer: int = 1) -> None:
        super().__init__(daemon=True)
        self.model, self.opt, self.ids, self.labels, self.probe_ids, self.tokens = parts
        self.period = 1.0 / redraw_hz
        self.layer = layer
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.latest: tuple | None = None          # (head data, model data, neuron data), latest wins
        self.steps = 0
        self.probes = 0
        self.probe_ms: list[float] = []
        self.losses: list[float] = []

    def probe(self) -> None:
        import torch

        from visualizer.models.transformer_torch import record_attention
        from visualizer.probes.attention import attention_data

        t0 = time.perf_counter()
        self.model.eval()
        with torch.no_grad(), record_attention(self.model) as rec:
            self.model(self.probe_ids)
        self.model.train()
        tokens = self.tokens
        out = (attention_data(rec, tokens, mode="head", layer=self.layer, head=-1, caption=f"step {self.steps}"),
               attention_data(rec, tokens, mode="model", layer=self.layer, head=2),
               attention_data(rec, tokens, mode="neuron", layer=self.layer, head=2, query_index=0))
        with self.lock:
            self.latest = out
        self.probes += 1
        self.probe_ms.append(1000 * (time.perf_counter() - t0))

    def run(self) -> None:
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(1)
        rng = np.random.default_rng(0)
        last = 0.0
        while not self.stop.is_set():
            if time.perf_counter() - last >= self.period:
                last = time.perf_counter()
                self.probe()
            idx = torch.from_numpy(rng.integers(0, len(self.ids), 16))
            loss = F.cross_entropy(self.model(self.ids[idx]), self.labels[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.steps += 1
            self.losses.append(loss.item())

    def take(self):
        with self.lock:
            out, self.latest = self.latest, None
        return out


def percentiles(ms: list[float]) -> str:
    a = np.asarray(ms) if ms else np.zeros(1)
    return f"median {np.median(a):6.1f}  p99 {np.percentile(a, 99):6.1f}  max {a.max():6.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to train and redraw")
    ap.add_argument("--size", default="700x500", help="each view's size, WxH (a plot cell of the 1600x1000 window)")
    ap.add_argument("--neuron", action="store_true", help="draw the neuron view too")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    import torch
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    from visualizer.core.plotdata import PlotSpec
    from visualizer.ui.app import configure_pyqtgraph
    from visualizer.ui.lesson_view import REDRAW_HZ
    from visualizer.ui.plots import make_plot_view

    configure_pyqtgraph()
    w, h = (int(v) for v in args.size.lower().split("x"))
    modes = ["head", "model"] + (["neuron"] if args.neuron else [])
    views = {}
    for k, mode in enumerate(modes):
        view = make_plot_view(PlotSpec(f"attention_{mode}", f"Attention ({mode} view)", "attention"))
        view.resize(w, h)
        view.move(k * (w + 10), 0)
        view.show()
        views[mode] = view
    app.processEvents()

    t_build = time.perf_counter()
    trainer = Trainer(build(), REDRAW_HZ)
    print(f"4 layers x 4 heads, d_model 64, {TOKENS}-token probe input, batch 16; built in "
          f"{time.perf_counter() - t_build:.1f} s; views {w}x{h}: {', '.join(modes)}; redraw {REDRAW_HZ} Hz; "
          f"{os.cpu_count()} CPUs, torch {torch.__version__} one thread")
    draw_ms: dict[str, list[float]] = {m: [] for m in modes}
    lines: list[int] = []
    lateness: list[float] = []
    last = [time.perf_counter()]

    def probe_timer() -> None:
        now = time.perf_counter()
        lateness.append(1000 * max(0.0, now - last[0] - PROBE_MS / 1000))
        last[0] = now

    def redraw() -> None:
        latest = trainer.take()
        if latest is None:
            return
        for mode, data in zip(("head", "model", "neuron"), latest):
            if mode not in views:
                continue
            t0 = time.perf_counter()
            views[mode].set_data(data)
            views[mode].canvas.repaint()
            views[mode].footer.repaint()
            draw_ms[mode].append(1000 * (time.perf_counter() - t0))
        lines.append(views["head"].lines_drawn)

    latency = QTimer()
    latency.setInterval(PROBE_MS)
    latency.timeout.connect(probe_timer)
    frames = QTimer()
    frames.setInterval(int(round(1000 / REDRAW_HZ)))
    frames.timeout.connect(redraw)
    loop = QEventLoop()
    QTimer.singleShot(int(args.seconds * 1000), loop.quit)
    trainer.start()
    t0 = time.perf_counter()
    last[0] = t0
    latency.start()
    frames.start()
    loop.exec()
    elapsed = time.perf_counter() - t0
    trainer.stop.set()
    trainer.join()
    latency.stop()
    frames.stop()

    p99 = float(np.percentile(lateness, 99)) if lateness else float("nan")
    print(f"training: {trainer.steps} steps in {elapsed:.1f} s ({trainer.steps / elapsed:.1f} steps/s), loss "
          f"{np.mean(trainer.losses[:20]):.3f} -> {np.mean(trainer.losses[-20:]):.3f}")
    print(f"probe forwards (training thread): {trainer.probes} ({trainer.probes / elapsed:.1f}/s), "
          f"ms {percentiles(trainer.probe_ms)}")
    for mode in modes:
        print(f"draw time per update, {mode:>6} view (set_data + repaint, ms): {percentiles(draw_ms[mode])}  "
              f"({len(draw_ms[mode])} updates, {len(draw_ms[mode]) / elapsed:.1f}/s)")
    print(f"head view lines drawn per update: median {int(np.median(lines)) if lines else 0}")
    print(f"event-loop latency (a {PROBE_MS} ms timer, ms late): {percentiles(lateness)}")
    verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
    print(f"event-loop p99 {p99:.1f} ms against the target {TARGET_P99_MS:.0f} ms: {verdict} it")
    for view in views.values():
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
