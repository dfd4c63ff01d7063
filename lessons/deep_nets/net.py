"""A deep fully connected classifier, plain or residual, on the NumPy engine (Qt-free).

``DeepNetConfig`` describes it; ``DeepNet`` is the NumPy network; ``NumpyDeepNet`` holds it with
softmax cross-entropy, an optimizer of ``visualizer.scratch.optimizers`` and the kit NumpyTrainer that
steps it.  The PyTorch twin (``net_torch.py``) copies the initial weights from a ``DeepNet`` of the same
config, so both engines start identical.

Architecture (``depth`` L counts the weight layers, as "ResNet-20" does):

* plain:    L - 1 hidden layers Linear -> [BatchNorm1d] -> act, then the output Linear (logits);
* residual: one hidden layer as above (the *stem*, two when L is odd), then (L - 2) // 2 residual
  blocks y = x + F(x), F = Linear -> [BatchNorm1d] -> act -> Linear (He et al. 2016, §3), then the
  output Linear.

Weight layers are numbered 1 (first) .. L (output) in forward order.  Initialization schemes
(Saitoh, *Deep Learning from Scratch*, §6.2): ``std_1`` N(0, 1), ``std_0.01`` N(0, 0.01²), ``xavier``
N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio 2010; Saitoh's "1/√n" for square layers), ``he``
N(0, 2 / fan_in) (He et al. 2015).  Biases and BN's beta start at 0, gamma at 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.deep_nets.residual import ResidualBlock
from visualizer.scratch.init import he, xavier
from visualizer.scratch.layers import BatchNorm1d, Layer, Linear
from visualizer.scratch.losses import SoftmaxCrossEntropy
from visualizer.models.mlp import make_activation
from visualizer.probes.gradient_norms import layer_norms
from visualizer.scratch.optimizers import make_optimizer
from visualizer.scratch.trainer import NumpyTrainer

INITS = ("std_1", "std_0.01", "xavier", "he")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass(frozen=True)
class DeepNetConfig:
    """n_inputs D, width H of every hidden layer, depth L >= 3 weight layers, n_classes K,
    residual / batchnorm switches, activation in ACTIVATIONS, init in INITS, dtype, seed of the weights."""

    n_inputs: int
    width: int
    depth: int
    n_classes: int
    residual: bool = False
    batchnorm: bool = False
    activation: str = "sigmoid"
    init: str = "xavier"
    dtype: str = "float32"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.depth < 3:
            raise ValueError(f"depth must be at least 3 weight layers, got {self.depth}")
        if min(self.n_inputs, self.width, self.n_classes) < 1:
            raise ValueError("every layer needs at least one unit")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise ValueError(f"unknown initialization {self.init!r}; choose one of {', '.join(INITS)}")

    @property
    def n_stem(self) -> int:
        """Plain hidden layers before the first residual block (all L - 1 when not residual)."""
        return 1 + (self.depth - 2) % 2 if self.residual else self.depth - 1

    @property
    def n_blocks(self) -> int:
        """Residual blocks (two weight layers each)."""
        return (self.depth - 2) // 2 if self.residual else 0


def init_weight(scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """W: (fan_in, fan_out) drawn by ``scheme`` in INITS (see the module docstring).  Raises ValueError."""
    if scheme == "std_1":
        return rng.normal(0.0, 1.0, (fan_in, fan_out)).astype(dtype)
    if scheme == "std_0.01":
        return rng.normal(0.0, 0.01, (fan_in, fan_out)).astype(dtype)
    if scheme == "xavier":
        return xavier(fan_in, fan_out, rng, "normal", dtype)
    if scheme == "he":
        return he(fan_in, fan_out, rng, "normal", dtype)
    raise ValueError(f"unknown initialization {scheme!r}; choose one of {', '.join(INITS)}")


class DeepNet:
    """The deep classifier on the NumPy engine.  x: (N, n_inputs) -> logits (N, n_classes).

    ``layers``: the top-level layers in forward order (Linear, BatchNorm1d, activations, ResidualBlock);
    ``linears``: every weight layer in forward order (numbered 1..L in the views); ``batchnorms``:
    every BatchNorm1d in forward order; ``params`` / ``grads``: flat parallel lists for an optimizer.
    Weights are drawn from a generator seeded with ``config.seed``, layer by layer in forward order."""

    def __init__(self, config: DeepNetConfig) -> None:
        self.config = c = config
        dt = np.dtype(c.dtype)
        rng = np.random.default_rng(c.seed)
        self.layers: list[Layer] = []
        self.linears: list[Linear] = []
        self.batchnorms: list[BatchNorm1d] = []
        self._acts: list[Layer] = []               # activation layers of the plain hidden layers
        self.blocks: list[ResidualBlock] = []

        def bn() -> BatchNorm1d | None:
            if not c.batchnorm:
                return None
            layer = BatchNorm1d(np.ones(c.width, dt), np.zeros(c.width, dt))
            self.batchnorms.append(layer)
            return layer

        def bias() -> np.ndarray | None:
            return None if c.batchnorm else np.zeros(c.width, dt)

        d_in = c.n_inputs
        for _ in range(c.n_stem):
            lin = Linear(init_weight(c.init, d_in, c.width, rng, dt), bias())
            self.linears.append(lin)
            self.layers.append(lin)
            norm = bn()
            if norm is not None:
                self.layers.append(norm)
            act = make_activation(c.activation)
            self.layers.append(act)
            self._acts.append(act)
            d_in = c.width
        for _ in range(c.n_blocks):
            W1 = init_weight(c.init, c.width, c.width, rng, dt)
            b1 = bias()
            norm = bn()
            W2 = init_weight(c.init, c.width, c.width, rng, dt)
            block = ResidualBlock(W1, b1, W2, np.zeros(c.width, dt), make_activation(c.activation), norm)
            self.linears += [block.linear1, block.linear2]
            self.layers.append(block)
            self.blocks.append(block)
        out = Linear(init_weight(c.init, c.width, c.n_classes, rng, dt), np.zeros(c.n_classes, dt))
        self.linears.append(out)
        self.layers.append(out)
        self.linears[0].input_grad = False         # the input is data
        self._act_ids = {id(a) for a in self._acts}
        self._stem_outputs: list[np.ndarray] = []
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def set_train(self, train: bool) -> None:
        """Training (batch statistics) or evaluation mode (running statistics) for every layer."""
        for layer in self.layers:
            layer.train = train

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, n_inputs) in the model's dtype -> logits (N, n_classes)."""
        acts = self._act_ids
        stem_outputs = []
        for layer in self.layers:
            x = layer.forward(x)
            if id(layer) in acts:
                stem_outputs.append(x)
        self._stem_outputs = stem_outputs
        return x

    def hidden_outputs(self) -> list[np.ndarray]:
        """After a forward: each hidden layer's activation output (N, H), stem layers then blocks."""
        return self._stem_outputs + [b.hidden for b in self.blocks]

    def backward(self, dlogits: np.ndarray) -> None:
        """Backpropagate ∂L/∂logits (N, n_classes); fills ``grads`` in place."""
        d = dlogits
        for layer in reversed(self.layers):
            d = layer.backward(d)

    def state(self) -> dict[str, np.ndarray]:
        """Live references by name: ``layer{l}.W`` (D_in, D_out) and ``layer{l}.b`` (D_out,) for l = 1..L,
        ``bn{k}.gamma|beta|running_mean|running_var`` (H,) for k = 1..(number of BN layers)."""
        out: dict[str, np.ndarray] = {}
        for l, lin in enumerate(self.linears, start=1):
            out[f"layer{l}.W"] = lin.params[0]
            if len(lin.params) == 2:
                out[f"layer{l}.b"] = lin.params[1]
        for k, norm in enumerate(self.batchnorms, start=1):
            out[f"bn{k}.gamma"], out[f"bn{k}.beta"] = norm.params
            out[f"bn{k}.running_mean"] = norm.running_mean
            out[f"bn{k}.running_var"] = norm.running_var
        return out

    def grad_state(self) -> dict[str, np.ndarray]:
        """Live references to the gradients of the trainable arrays, named as in :meth:`state`."""
        out: dict[str, np.ndarray] = {}
        for l, lin in enumerate(self.linears, start=1):
            out[f"layer{l}.W"] = lin.grads[0]
            if len(lin.grads) == 2:
                out[f"layer{l}.b"] = lin.grads[1]
        for k, norm in enumerate(self.batchnorms, start=1):
            out[f"bn{k}.gamma"], out[f"bn{k}.beta"] = norm.grads
        return out


def metric_names(config: DeepNetConfig, primary: bool) -> tuple[str, ...]:
    """The metrics a training step reports: the network's loss as loss_plain or loss_residual (the
    comparison plot), and for the lesson's own network (``primary``) also train_loss and train_acc."""
    kind = "loss_residual" if config.residual else "loss_plain"
    return ("train_loss", "train_acc", kind) if primary else (kind,)


class NumpyDeepNet:
    """A ``DeepNet`` with softmax cross-entropy and an optimizer, stepped by ``trainer`` (a kit
    NumpyTrainer: parameters named as ``DeepNet.state``, BatchNorm running statistics as extra state,
    the optimizer's state, ``lr`` live) on batches (x (B, D), y (B,) int).  The step's metrics are
    :func:`metric_names` (a twin trained alongside reports only its loss).

    optimizer in OPTIMIZERS ("momentum" uses μ = 0.9), lr > 0.  Raises ValueError for bad names."""

    engine = "numpy"

    def __init__(self, config: DeepNetConfig, optimizer: str = "momentum", lr: float = 0.01,
                 primary: bool = True) -> None:
        self.config = config
        self.net = DeepNet(config)
        self.loss = SoftmaxCrossEntropy()
        self.opt = make_optimizer(optimizer, self.net.params, self.net.grads, lr, 0.9)
        self.dtype = np.dtype(config.dtype)
        self.names = metric_names(config, primary)
        params, grads = self.net.state(), self.net.grad_state()
        running = {k: v for k, v in params.items() if k.endswith(("running_mean", "running_var"))}
        self.trainer = NumpyTrainer({k: v for k, v in params.items() if k not in running}, grads, self.update,
                                    optimizers={"main": self.opt}, extra_state=running,
                                    hyper={"lr": lambda v: setattr(self.opt, "lr", float(v))})

    def update(self, batch: tuple[np.ndarray, np.ndarray], step: int) -> dict[str, float]:
        """One update on (x (B, D), y (B,) int): mean cross-entropy and accuracy before the update."""
        x, y = batch
        self.net.set_train(True)
        logits = self.net.forward(np.asarray(x, self.dtype))         # (B, K)
        loss = self.loss.forward(logits, y)
        acc = int(np.count_nonzero(logits.argmax(axis=1) == y)) / len(y)
        self.net.backward(self.loss.backward())
        self.opt.step()
        values = {"train_loss": loss, "train_acc": acc, self.names[-1]: loss}
        return {k: values[k] for k in self.names}

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) in evaluation mode, no update."""
        self.net.set_train(False)
        logits = self.net.forward(np.asarray(x, self.dtype))
        loss = SoftmaxCrossEntropy().forward(logits, y)
        return loss, int(np.count_nonzero(logits.argmax(axis=1) == y)) / len(y)

    def _saved_bn(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(bn.running_mean.copy(), bn.running_var.copy()) for bn in self.net.batchnorms]

    def _restore_bn(self, saved: list[tuple[np.ndarray, np.ndarray]]) -> None:
        for bn, (rm, rv) in zip(self.net.batchnorms, saved):
            bn.running_mean[...] = rm
            bn.running_var[...] = rv

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Each hidden layer's activation output (N, H) float64 for x (N, D) as training sees it (batch
        statistics in BatchNorm), without changing the running statistics."""
        saved = self._saved_bn()
        self.net.set_train(True)
        try:
            self.net.forward(np.asarray(x, self.dtype))
            return [np.array(h, dtype=np.float64) for h in self.net.hidden_outputs()]
        finally:
            self._restore_bn(saved)

    def probe_gradients(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Fill the gradients for the batch (x, y) without an update or a change to the BatchNorm running
        statistics (the gradients at initialization); returns ``grad_norms()``."""
        saved = self._saved_bn()
        self.net.set_train(True)
        try:
            self.loss.forward(self.net.forward(np.asarray(x, self.dtype)), y)
            self.net.backward(self.loss.backward())
        finally:
            self._restore_bn(saved)
        return self.grad_norms()

    def grad_norms(self) -> np.ndarray:
        """‖∂L/∂W_l‖ (Frobenius) of every weight layer l = 1..L from the last step, (L,) float64."""
        return np.array(layer_norms([lin.grads[0] for lin in self.net.linears]))

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """Float64 copies of the last step's gradients, named as ``DeepNet.state``."""
        return {k: np.array(v, dtype=np.float64) for k, v in self.net.grad_state().items()}
