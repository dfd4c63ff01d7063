"""The recurrent language model of the ``rnn_lm`` lesson on the NumPy engine (Qt-free, torch-free).

TimeEmbedding → TimeDropout → L × (Time{RNN, LSTM, GRU} → TimeDropout) → TimeAffine → TimeSoftmaxWithLoss:
the book's ``Rnnlm`` (Saitoh, *Deep Learning from Scratch 2*, 6.4) with dropout 0 and one layer, its
``BetterRnnlm`` (6.5: two LSTM layers, dropout after the embedding and after every layer, the output layer's
weights tied to the embedding) with dropout > 0, two layers and ``tie_weights``.  Recurrent layers are stateful
(truncated BPTT, 5.3): the hidden state of one batch starts the next.

Weights live in a dict ``name -> array`` shared with the PyTorch twin (``net_torch.py``), gradient comparison
and checkpoints: ``embed.W`` (V, D); per recurrent layer k = 1, 2: ``layer{k}.Wx`` (D_in, G·H), ``layer{k}.Wh``
(H, G·H), ``layer{k}.b`` (G·H,) and for a GRU ``layer{k}.b_hn`` (H,), with G = 1 (RNN), 4 (LSTM, gates i, f, g,
o), 3 (GRU, gates r, z, n); ``affine.W`` (H, V) (absent when tied: the output layer uses embed.Wᵀ) and
``affine.b`` (V,).  Everything float32.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from lessons.rnn_lm.data import PPL_WINDOW, perplexity, train_perplexity
from visualizer.core.errors import LessonConfigError
from visualizer.scratch.clipping import clip_grads
from visualizer.scratch.embedding import TimeEmbedding
from visualizer.scratch.optimizers import make_optimizer
from visualizer.scratch.trainer import NumpyTrainer
from visualizer.scratch.time_layers import TimeAffine, TimeDropout, TimeGRU, TimeLSTM, TimeRNN, TimeSoftmaxWithLoss

CELLS = ("lstm", "gru", "rnn")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
GATE_NAMES = {"lstm": ("i (input)", "f (forget)", "g (candidate)", "o (output)"),
              "gru": ("r (reset)", "z (update)", "n (candidate)"), "rnn": ()}
DTYPE = np.float32


@dataclass(frozen=True)
class LmConfig:
    """Shape of the model.  vocab_size V, embed_size D, hidden_size H, cell in CELLS, layers 1 or 2, dropout
    p in [0, 1), tie_weights (needs D = H)."""

    vocab_size: int
    embed_size: int = 100
    hidden_size: int = 100
    cell: str = "lstm"
    layers: int = 1
    dropout: float = 0.0
    tie_weights: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; use one of {', '.join(CELLS)}")
        if self.tie_weights and self.embed_size != self.hidden_size:
            raise ValueError(f"weight tying needs embed_size = hidden_size, got {self.embed_size} and "
                             f"{self.hidden_size}")

    def layer_input(self, k: int) -> int:
        """Input width of recurrent layer k (1-based)."""
        return self.embed_size if k == 1 else self.hidden_size


def make_config(vocab_size: int, hp) -> LmConfig:
    """The LmConfig of the lesson's settings (embed_size, hidden_size, cell, layers, dropout, tie_weights).
    Raises LessonConfigError for weight tying with embedding size ≠ hidden size."""
    try:
        return LmConfig(vocab_size, hp["embed_size"], hp["hidden_size"], hp["cell"], hp["layers"], hp["dropout"],
                        hp["tie_weights"])
    except ValueError:
        raise LessonConfigError(
            f"Weight tying shares the embedding matrix (V×D) with the output layer (H×V), so it needs "
            f"Embedding size = Hidden size (now {hp['embed_size']} and {hp['hidden_size']}): set them equal "
            "or turn Weight tying off.") from None


def weight_names(config: LmConfig) -> list[str]:
    """Names of the trainable arrays in parameter order (the order of ``NumpyLm.params``)."""
    names = ["embed.W"]
    for k in range(1, config.layers + 1):
        names += [f"layer{k}.Wx", f"layer{k}.Wh", f"layer{k}.b"] + ([f"layer{k}.b_hn"] if config.cell == "gru" else [])
    if not config.tie_weights:
        names.append("affine.W")
    names.append("affine.b")
    return names


def init_weights(config: LmConfig, seed: int) -> dict[str, np.ndarray]:
    """The book's initialization (``Rnnlm.__init__``), drawn in float64 from ``default_rng(seed)`` and stored as
    float32: embedding N(0, 0.01²), recurrent and output weights N(0, 1/fan_in) (Xavier), biases 0."""
    rng = np.random.default_rng(seed)
    V, D, H, G = config.vocab_size, config.embed_size, config.hidden_size, GATES[config.cell]
    w = {"embed.W": rng.standard_normal((V, D)) / 100}
    for k in range(1, config.layers + 1):
        d_in = config.layer_input(k)
        w[f"layer{k}.Wx"] = rng.standard_normal((d_in, G * H)) / np.sqrt(d_in)
        w[f"layer{k}.Wh"] = rng.standard_normal((H, G * H)) / np.sqrt(H)
        w[f"layer{k}.b"] = np.zeros(G * H)
        if config.cell == "gru":
            w[f"layer{k}.b_hn"] = np.zeros(H)
    if not config.tie_weights:
        w["affine.W"] = rng.standard_normal((H, V)) / np.sqrt(H)
    w["affine.b"] = np.zeros(V)
    return {k: np.ascontiguousarray(v, dtype=DTYPE) for k, v in w.items()}


def make_recurrent(cell: str, w: dict[str, np.ndarray], k: int, stateful: bool = True):
    """Recurrent layer k of a model from its weights (the arrays themselves, not copies)."""
    Wx, Wh, b = w[f"layer{k}.Wx"], w[f"layer{k}.Wh"], w[f"layer{k}.b"]
    if cell == "lstm":
        return TimeLSTM(Wx, Wh, b, stateful=stateful)
    if cell == "gru":
        return TimeGRU(Wx, Wh, b, w[f"layer{k}.b_hn"], stateful=stateful)
    return TimeRNN(Wx, Wh, b, stateful=stateful)


class NumpyLm:
    """The language model on the NumPy engine.  xs, ts: (N, T) int word ids -> mean cross-entropy (float).

    weights: the dict of :func:`init_weights` (used in place: the optimizer updates these arrays); rng: the
    numpy Generator the dropout masks come from (drawn after the embedding, then after each recurrent layer,
    shape (N, T, width), in that order).  ``params``/``grads``/``names`` are parallel lists."""

    def __init__(self, config: LmConfig, weights: dict[str, np.ndarray], rng: np.random.Generator | None = None) -> None:
        self.config = config
        self.weights = weights
        rng = rng if rng is not None else np.random.default_rng(0)
        self.embed = TimeEmbedding(weights["embed.W"])
        self.drops = [TimeDropout(config.dropout, rng) for _ in range(config.layers + 1)]
        self.rnns = [make_recurrent(config.cell, weights, k) for k in range(1, config.layers + 1)]
        if config.tie_weights:
            self.affine = TimeAffine.tied_to(self.embed, weights["affine.b"])
        else:
            self.affine = TimeAffine(weights["affine.W"], weights["affine.b"])
        self.loss_layer = TimeSoftmaxWithLoss(ignore_label=None)
        self.names = weight_names(config)
        grads = {"embed.W": self.embed.grads[0], "affine.b": self.affine.grads[-1]}
        if not config.tie_weights:
            grads["affine.W"] = self.affine.grads[0]
        for k, layer in enumerate(self.rnns, 1):
            for suffix, g in zip(("Wx", "Wh", "b", "b_hn"), layer.grads):
                grads[f"layer{k}.{suffix}"] = g
        self.params = [weights[n] for n in self.names]
        self.grads = [grads[n] for n in self.names]
        self.layer_inputs: list[np.ndarray] = []          # input (N, T, D_in) of each recurrent layer
        self.layer_outputs: list[np.ndarray] = []         # hidden states (N, T, H) of each recurrent layer

    # ---- state (truncated BPTT) ---------------------------------------------------------------------------
    def reset_state(self) -> None:
        for layer in self.rnns:
            layer.reset_state()

    def state(self) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
        """The carried (h, c) of every layer ((N, H) arrays or None; c is None except for an LSTM)."""
        return [(layer.h, layer.c) for layer in self.rnns]

    def set_state(self, state: list[tuple[np.ndarray | None, np.ndarray | None]]) -> None:
        for layer, (h, c) in zip(self.rnns, state):
            layer.h, layer.c = h, c

    # ---- forward / backward -----------------------------------------------------------------------------
    def hidden(self, xs: np.ndarray, train: bool) -> np.ndarray:
        """Top recurrent layer's output after dropout: (N, T, H)."""
        for d in self.drops:
            d.train = train
        h = self.drops[0].forward(self.embed.forward(xs))           # (N, T, D)
        self.layer_inputs, self.layer_outputs = [], []
        for layer, drop in zip(self.rnns, self.drops[1:]):
            self.layer_inputs.append(h)
            h = layer.forward(h)                                     # (N, T, H)
            self.layer_outputs.append(h)
            h = drop.forward(h)
        return h

    def logits(self, xs: np.ndarray, train: bool = False) -> np.ndarray:
        """Scores of the next word at every position: (N, T, V)."""
        return self.affine.forward(self.hidden(xs, train))

    def forward(self, xs: np.ndarray, ts: np.ndarray, train: bool = True) -> float:
        """Mean cross-entropy of predicting ts from xs (both (N, T))."""
        return self.loss_layer.forward(self.logits(xs, train), ts)

    def backward(self) -> None:
        """Gradients of the last forward's loss into ``grads`` (the tied matrix gets both of its shares)."""
        dout = self.affine.backward(self.loss_layer.backward())      # (N, T, H)
        for layer, drop in zip(reversed(self.rnns), reversed(self.drops[1:])):
            dout = layer.backward(drop.backward(dout))
        self.embed.backward(self.drops[0].backward(dout))
        if self.config.tie_weights:
            self.affine.accumulate_tied_grad()

    def backward_probe(self, last_only: bool) -> np.ndarray:
        """Backward of the last (evaluation-mode) forward that records ‖∂L/∂h_t‖ of the top recurrent layer:
        (T,) float64.  last_only: keep only the loss of the last time step (scaled by T, so it is that step's
        mean loss), which shows how one prediction's gradient fades (or grows) back through time.  The
        embedding's gradient is not computed; ``grads`` hold this probe's values afterwards."""
        top = self.rnns[-1]
        top.record_grad_norms = True
        dout = self.affine.backward(self.loss_layer.backward())      # (N, T, H), dropout is off in a probe
        if last_only:
            T = dout.shape[1]
            keep = dout[:, -1] * T
            dout = np.zeros_like(dout)
            dout[:, -1] = keep
        for layer in reversed(self.rnns):
            dout = layer.backward(dout)
            if layer is top:
                norms = top.grad_norms.copy()
        top.record_grad_norms = False
        return norms


def gate_activations(cell: str, w: dict[str, np.ndarray], k: int, x: np.ndarray, h: np.ndarray,
                     h0: np.ndarray) -> np.ndarray:
    """Gate activations of layer k for one sequence, from its inputs and hidden states (no loop over time).

    x: (T, D_in) the layer's input, h: (T, H) its outputs, h0: (H,) the state before step 1 -> (T, G·H):
    LSTM [i f g o] = [σ σ tanh σ](x_t Wx + h_{t−1} Wh + b); GRU [r z n] with n = tanh(x Wx_n + b_n + r ⊙
    (h_{t−1} Wh_n + b_hn)); RNN h itself (it has no gates)."""
    if cell == "rnn":
        return h
    H = h.shape[1]
    h_prev = np.concatenate([h0[None], h[:-1]], axis=0)             # (T, H)
    gx = x @ w[f"layer{k}.Wx"] + w[f"layer{k}.b"]                   # (T, G·H)
    gh = h_prev @ w[f"layer{k}.Wh"]                                  # (T, G·H)
    if cell == "lstm":
        a = gx + gh
        out = 1 / (1 + np.exp(-a))
        out[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        return out
    rz = 1 / (1 + np.exp(-(gx[:, :2 * H] + gh[:, :2 * H])))
    n = np.tanh(gx[:, 2 * H:] + rz[:, :H] * (gh[:, 2 * H:] + w[f"layer{k}.b_hn"]))
    return np.concatenate([rz, n], axis=1)


def make_trainer(net: NumpyLm, optimizer: str, lr: float) -> NumpyTrainer:
    """A NumpyTrainer for ``net`` with the scratch optimizer ``optimizer`` ("sgd", "adam"; lr live): a step on
    a batch (xs, ts, max_grad_norm) is forward, backward, the global gradient norm before clipping (clipped when
    the threshold > 0, Pascanu et al. 2013), the update.  Metrics: train_loss, train_ppl (exp of the mean loss of
    the last PPL_WINDOW steps), grad_norm and, when clipping, clip_threshold.  Arrays are named by
    :func:`weight_names`, as the torch twin reports them."""
    opt = make_optimizer(optimizer, net.params, net.grads, lr)
    recent: deque[float] = deque(maxlen=PPL_WINDOW)

    def update(batch, step: int) -> dict[str, float]:
        xs, ts, max_norm = batch
        loss = net.forward(xs, ts, train=True)
        net.backward()
        norm = clip_grads(net.grads, max_norm) if max_norm > 0 else math.sqrt(sum(float(np.vdot(g, g))
                                                                                   for g in net.grads))
        opt.step()
        recent.append(loss)
        out = {"train_loss": float(loss), "train_ppl": train_perplexity(recent), "grad_norm": float(norm)}
        return out | ({"clip_threshold": max_norm} if max_norm > 0 else {})

    trainer = NumpyTrainer.from_lists(net.names, net.params, net.grads, update, optimizers={"main": opt},
                                      hyper={"lr": lambda v: setattr(opt, "lr", v)})
    trainer.recent = recent                 # the train_ppl window, as on LmTorchTrainer (a checkpoint load clears it)
    return trainer


def fresh_perplexity(net: NumpyLm, words: np.ndarray, batch_size: int, time_size: int) -> float:
    """Perplexity of ``words`` from a zero state in evaluation mode (``data.perplexity``); the model's training
    state is restored afterwards."""
    saved = net.state()
    net.reset_state()
    try:
        return perplexity(lambda xs, ts: net.forward(xs, ts, train=False), words, batch_size, time_size)
    finally:
        net.set_state(saved)
