"""What the ``rnn_lm`` views show (Qt-free, torch-free): the last training batch replayed with the current
weights on the NumPy model in evaluation mode (hidden states, gate activations, ‖∂L/∂h_t‖ back through time),
those readouts as plot data, and text sampled from the model (Saitoh, *Deep Learning from Scratch 2*, 7.1:
``generate``).  Both engines are replayed on the NumPy model, from the weights in its layout."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lessons.rnn_lm.data import EOS, UNK, LmCorpus, sample_next
from lessons.rnn_lm.net import GATE_NAMES, LmConfig, NumpyLm, gate_activations
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData, PlotData

MAX_UNITS = 64              # hidden units shown in the hidden-state heatmap
MAX_GATE_UNITS = 32         # hidden units shown per gate tile (tiles stay near square, captions readable)


@dataclass
class LastBatch:
    """What the views replay: the last training batch (N, T) and the state each layer started it from
    ((h, c) NumPy (N, H) arrays or None; on the torch engine the module's state, converted when replayed)."""

    xs: np.ndarray
    ts: np.ndarray
    state: list = field(default_factory=list)


def state_to_numpy(state: list) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
    """Layer states as NumPy (h, c) pairs: NumPy pairs stay, torch's LSTM (h, c) and RNN/GRU h ((1, N, H)
    tensors) are copied to the host, None becomes (None, None)."""
    out = []
    for s in state:
        if s is None or (isinstance(s, tuple) and s[0] is None):
            out.append((None, None))
        elif isinstance(s, tuple) and isinstance(s[0], np.ndarray):
            out.append(s)
        elif isinstance(s, tuple):                                            # torch LSTM (h, c), (1, N, H)
            out.append((s[0][0].detach().cpu().numpy(), s[1][0].detach().cpu().numpy()))
        else:                                                                 # torch RNN/GRU h, (1, N, H)
            out.append((s[0].detach().cpu().numpy(), None))
    return out


def replay(config: LmConfig, weights: dict[str, np.ndarray], last: LastBatch, last_only: bool) -> dict:
    """The last batch again, in evaluation mode: hidden (T, H) and gates (T, G·H) of the last layer for the first
    sequence, grad_norms (T,) = ‖∂L/∂h_t‖ of the last layer (``last_only``: the last word's loss only)."""
    net = NumpyLm(config, weights)
    state = state_to_numpy(last.state)
    net.set_state(state)
    net.forward(last.xs, last.ts, train=False)
    norms = net.backward_probe(last_only)
    x, h = net.layer_inputs[-1][0], net.layer_outputs[-1][0]                 # (T, D_in), (T, H)
    h0 = state[-1][0][0] if state[-1][0] is not None else np.zeros(h.shape[1], h.dtype)
    return {"hidden": h.copy(), "gates": gate_activations(config.cell, weights, config.layers, x, h, h0),
            "grad_norms": norms}


def replay_views(probe: dict, cell: str) -> dict[str, PlotData]:
    """The ``hidden`` image (first 64 units × T), the ``gates`` tiles (first 32 units × T per gate) and the
    ``grad_time`` bars of a :func:`replay`."""
    T, H = probe["hidden"].shape
    n = min(MAX_UNITS, H)
    hidden = ImageData(np.ascontiguousarray(probe["hidden"][:, :n].T, dtype=np.float32), (1.0, float(T), 0.0, n - 1.0),
                       (-1.0, 1.0), "CET-D1", x_label="time step t", y_label="hidden unit", colorbar_label="h")
    n = min(MAX_GATE_UNITS, H)
    if cell == "rnn":
        tiles = probe["gates"][:, :n].T[None]                                # (1, n, T)
        captions = ["no gates: an RNN has only h = tanh(x Wx + h Wh + b)"]
    else:
        G = len(GATE_NAMES[cell])
        tiles = np.stack([probe["gates"][:, g * H:g * H + n].T for g in range(G)])   # (G, n, T)
        captions = list(GATE_NAMES[cell])
    gates = ImageGridData(np.ascontiguousarray(tiles, dtype=np.float32), captions, (-1.0, 1.0), "CET-D1",
                          ncols=2 if len(tiles) == 4 else len(tiles))
    norms = np.maximum(probe["grad_norms"], 1e-30)
    return {"hidden": hidden, "gates": gates,
            "grad_time": BarsData([f"{t + 1}" for t in range(T)], norms, y_label="‖∂L/∂h_t‖")}


def generate(config: LmConfig, weights: dict[str, np.ndarray], corpus: LmCorpus, prompt: list[str],
             n_words: int, temperature: float, seed: int) -> list[str]:
    """``n_words`` words sampled after ``prompt`` (words of the vocabulary; empty: start of a sentence), each fed
    back as the next input, with ``weights`` in evaluation mode (no dropout), from a zero state; ``<unk>`` is
    never generated (the book skips it too).  Deterministic for a seed."""
    net = NumpyLm(config, weights)
    w2i, i2w = corpus.word_to_id, corpus.id_to_word
    ids = [w2i[w] for w in prompt] or [w2i.get(EOS, 0)]
    rng = np.random.default_rng(seed)
    skip = (w2i[UNK],) if UNK in w2i else ()
    logits = net.logits(np.asarray([ids], dtype=np.int32))[0, -1]            # (V,)
    out = []
    for _ in range(n_words):
        nxt = sample_next(logits, temperature, rng, skip)
        out.append(i2w[nxt])
        logits = net.logits(np.asarray([[nxt]], dtype=np.int32))[0, -1]
    return out
