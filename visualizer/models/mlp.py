"""The multilayer perceptron of the NumPy engine: Linear -> [BatchNorm1d] -> activation -> [Dropout]
per hidden layer, then an output Linear producing logits.

Source: Saitoh, *Deep Learning from Scratch*, sections 5.7 (two-layer net with backpropagation) and
6.3-6.4 (batch normalisation, dropout); Goodfellow, Bengio & Courville, *Deep Learning*, chapter 6.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from visualizer.scratch.init import init_weights
from visualizer.scratch.layers import BatchNorm1d, Dropout, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "linear")
DTYPES = ("float32", "float64")


def make_activation(name: str) -> Layer | None:
    """The activation layer for a name in ACTIVATIONS ("linear" -> None: no layer).  Raises ValueError."""
    if name == "relu":
        return ReLU()
    if name == "leaky_relu":
        return LeakyReLU(0.01)
    if name == "sigmoid":
        return Sigmoid()
    if name == "tanh":
        return Tanh()
    if name == "linear":
        return None
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


class MLP:
    """Fully connected network.  x: (N, n_inputs) -> logits: (N, n_outputs), all in one dtype.

    hidden: widths of the hidden layers (may be empty: then a single Linear, i.e. logistic/softmax
    regression).  With ``batchnorm`` the hidden Linear layers have no bias (BatchNorm's mean subtraction
    cancels it; Ioffe & Szegedy 2015, section 3.2).  Weights use ``init`` ("he": He normal, "xavier": Glorot uniform; see ``init.py``) drawn
    from a generator seeded with ``seed``; biases, BatchNorm beta start at 0, gamma at 1.  Dropout masks
    come from a second, independent generator derived from the same seed.

    ``params``/``grads`` are the flat parallel lists of every layer's arrays (for an optimizer);
    ``weight_index`` lists the positions of the Linear weight matrices in them (for penalties).
    Raises ValueError for invalid sizes, names or probabilities."""

    def __init__(self, n_inputs: int, hidden: Sequence[int], n_outputs: int, activation: str = "relu",
                 init: str = "he", dropout: float = 0.0, batchnorm: bool = False,
                 dtype: str | np.dtype = "float32", seed: int = 0) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.name not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype.name}")
        sizes = [int(n_inputs), *(int(h) for h in hidden), int(n_outputs)]
        if min(sizes) < 1:
            raise ValueError(f"every layer needs at least one unit, got sizes {sizes}")
        make_activation(activation)                # validate the name before drawing weights
        init_seq, dropout_seq = np.random.SeedSequence(seed).spawn(2)
        init_rng = np.random.default_rng(init_seq)
        dropout_rng = np.random.default_rng(dropout_seq)
        self.sizes = tuple(sizes)
        self.activation = activation
        self.layers: list[Layer] = []
        self.linears: list[Linear] = []
        self.batchnorms: list[BatchNorm1d] = []
        self.hidden_ends: list[int] = []           # index in layers of each hidden layer's last map
        for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            is_output = i == len(sizes) - 2
            bias = np.zeros(d_out, self.dtype) if is_output or not batchnorm else None
            lin = Linear(init_weights(init, d_in, d_out, init_rng, self.dtype), bias)
            self.layers.append(lin)
            self.linears.append(lin)
            if is_output:
                break                              # output layer: logits, no activation
            if batchnorm:
                bn = BatchNorm1d(np.ones(d_out, self.dtype), np.zeros(d_out, self.dtype))
                self.layers.append(bn)
                self.batchnorms.append(bn)
            act = make_activation(activation)
            if act is not None:
                self.layers.append(act)
            self.hidden_ends.append(len(self.layers) - 1)
            if dropout > 0:
                self.layers.append(Dropout(dropout, dropout_rng))
        self.linears[0].input_grad = False         # the input is data: no gradient needed
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        weights = {id(lin.params[0]) for lin in self.linears}
        self.weight_index = [i for i, p in enumerate(self.params) if id(p) in weights]

    def set_train(self, train: bool) -> None:
        """Training (dropout on, batch statistics) or evaluation mode for every layer."""
        for layer in self.layers:
            layer.train = train

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, n_inputs) in the model's dtype -> logits (N, n_outputs)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward_hidden(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Logits (N, n_outputs) and the output (N, H_l) of every hidden layer after its activation."""
        outs = []
        ends = set(self.hidden_ends)
        for i, layer in enumerate(self.layers):
            x = layer.forward(x)
            if i in ends:
                outs.append(x)
        return x, outs

    def backward(self, dlogits: np.ndarray) -> None:
        """Backpropagate d loss / d logits (N, n_outputs); fills ``grads`` in place."""
        d = dlogits
        for layer in reversed(self.layers):
            d = layer.backward(d)

    @property
    def weights(self) -> list[np.ndarray]:
        """The Linear weight matrices W: (D_in, D_out), live references."""
        return [lin.params[0] for lin in self.linears]

    @property
    def weight_grads(self) -> list[np.ndarray]:
        """Gradients of the weight matrices, live references, (D_in, D_out) each."""
        return [lin.grads[0] for lin in self.linears]

    def state(self) -> dict[str, np.ndarray]:
        """Live references to every array that defines the model, by name:
        ``linear{i}.W`` (D_in, D_out), ``linear{i}.b`` (D_out,) for layers with a bias,
        ``bn{i}.gamma|beta|running_mean|running_var`` (D,)."""
        out: dict[str, np.ndarray] = {}
        for i, lin in enumerate(self.linears):
            out[f"linear{i}.W"] = lin.params[0]
            if len(lin.params) == 2:
                out[f"linear{i}.b"] = lin.params[1]
        for i, bn in enumerate(self.batchnorms):
            out[f"bn{i}.gamma"], out[f"bn{i}.beta"] = bn.params
            out[f"bn{i}.running_mean"] = bn.running_mean
            out[f"bn{i}.running_var"] = bn.running_var
        return out
