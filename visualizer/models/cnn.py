"""A sequential convolutional classifier of the NumPy engine, built from a list of layer specs.

Example, the digits CNN (input 1 x 8 x 8, logits for 10 classes)::

    CNN(input_shape=(1, 8, 8),
        spec=[("conv", 16, 3, 1, 1), ("relu",), ("maxpool", 2),
              ("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2),
              ("flatten",), ("linear", 64), ("relu",), ("linear", 10)])

Sources: Saitoh, *Deep Learning from Scratch*, section 7.5 (SimpleConvNet) and 8.1 (deeper CNN);
LeCun et al., "Gradient-based learning applied to document recognition", Proc. IEEE 1998 (LeNet);
He et al., ICCV 2015 (He initialisation), Glorot & Bengio, AISTATS 2010 (Xavier initialisation).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from visualizer.scratch.conv import AvgPool2d, BatchNorm2d, Conv2d, Flatten, GlobalAvgPool2d, MaxPool2d
from visualizer.scratch.init import INITS, init_weights
from visualizer.scratch.layers import BatchNorm1d, Dropout, Layer, Linear
from visualizer.models.mlp import ACTIVATIONS, DTYPES, make_activation

# kind -> (argument names, defaults of the optional trailing ones); see the CNN docstring.
# A pooling stride of None means "equal to the window".
SPEC_KINDS: dict[str, tuple[tuple[str, ...], tuple]] = {
    "conv": (("filters", "kernel", "stride", "pad"), (1, 0)),
    "maxpool": (("pool", "stride", "pad"), (None, 0)),
    "avgpool": (("pool", "stride", "pad"), (None, 0)),
    "gap": ((), ()),
    "flatten": ((), ()),
    "linear": (("units",), ()),
    "batchnorm": ((), ()),
    "dropout": (("p",), ()),
    **{name: ((), ()) for name in ACTIVATIONS if name != "linear"},
}


def conv_weights(init: str, shape: tuple[int, int, int, int], rng: np.random.Generator,
                 dtype: np.dtype | str = np.float32) -> np.ndarray:
    """Filters W: (F, C, KH, KW) with fan_in = C*KH*KW and fan_out = F*KH*KW, as ``torch.nn.init`` counts.

    "he": He normal, Var = 2 / fan_in; "xavier": Glorot uniform U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
    Raises ValueError for an unknown name."""
    f, c, kh, kw = shape
    fan_in, fan_out = c * kh * kw, f * kh * kw
    if init == "he":
        w = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    elif init == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-a, a, size=shape)
    else:
        raise ValueError(f"unknown initialisation {init!r}; choose one of {', '.join(INITS)}")
    return w.astype(dtype)


def _describe(entry: Sequence) -> str:
    return "(" + ", ".join(repr(e) for e in entry) + ("," if len(entry) == 1 else "") + ")"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


class CNN:
    """Sequential convolutional network.  x: (N, C, H, W) -> logits: (N, K), all in one dtype.

    ``spec`` lists one tuple per layer, kind first:
    ("conv", filters, kernel, stride=1, pad=0) Conv2d with square kernels;
    ("maxpool", pool, stride=pool, pad=0), ("avgpool", pool, stride=pool, pad=0);
    ("gap",) global average pooling (N, C, H, W) -> (N, C); ("flatten",) (N, C, H, W) -> (N, C*H*W);
    ("linear", units) on (N, D) features; ("batchnorm",) BatchNorm2d on feature maps, BatchNorm1d on
    vectors (the conv/linear layer just before it then has no bias); ("dropout", p) inverted dropout;
    an activation ("relu",), ("leaky_relu",), ("sigmoid",), ("tanh",).  The last layer must give (N, K)
    logits.  Conv and Linear weights use ``init`` ("he": He normal, "xavier": Glorot uniform) drawn from
    a generator seeded with ``seed``; biases and BatchNorm beta start at 0, gamma at 1; dropout masks
    come from a second generator derived from the same seed.

    Attributes: ``layers`` (one per spec entry), ``names`` (parallel: "conv0", "relu0", "maxpool0",
    "flatten0", "linear0", "bn0", ...), ``shapes`` (each layer's output shape without N),
    ``params``/``grads`` (flat parallel lists for an optimizer), ``weight_index`` (positions of the
    conv and linear weights in them, for penalties), ``need_input_grad`` (whether ``backward``
    returns d loss / d x, e.g. for saliency maps; off by default, which skips the first conv's dx).
    Raises ValueError with a readable message for an unknown kind, wrong arguments, a kernel or window
    larger than the feature map at some layer, a conv layer after flattening, a linear layer on feature
    maps, or a last layer that does not produce (N, K) logits."""

    def __init__(self, input_shape: Sequence[int], spec: Sequence[Sequence], init: str = "he",
                 dtype: str | np.dtype = "float32", seed: int = 0) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.name not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype.name}")
        if init not in INITS:
            raise ValueError(f"unknown initialisation {init!r}; choose one of {', '.join(INITS)}")
        input_shape = tuple(int(s) for s in input_shape)
        if len(input_shape) != 3 or min(input_shape) < 1:
            raise ValueError(f"input_shape must be (C, H, W) with positive sizes, got {input_shape}")
        spec = [tuple(entry) for entry in spec]
        if not spec:
            raise ValueError("the network needs at least one layer")
        init_seq, dropout_seq = np.random.SeedSequence(seed).spawn(2)
        init_rng = np.random.default_rng(init_seq)
        dropout_rng = np.random.default_rng(dropout_seq)
        self.input_shape = input_shape
        self.spec = spec
        self.init = init
        self.layers: list[Layer] = []
        self.names: list[str] = []
        self.shapes: list[tuple[int, ...]] = []
        counts: dict[str, int] = {}
        shape: tuple[int, ...] = input_shape
        for k, entry in enumerate(spec):
            kind, args = self._parse(k, entry)
            followed_by_bn = k + 1 < len(spec) and len(spec[k + 1]) > 0 and spec[k + 1][0] == "batchnorm"
            where = f"layer {k} {_describe(entry)}"
            try:
                layer, shape = self._build(kind, args, shape, followed_by_bn, init_rng, dropout_rng)
            except ValueError as err:
                raise ValueError(f"{where} gets input {_shape_text(shape)}: {err}") from None
            prefix = "bn" if kind == "batchnorm" else kind
            self.names.append(f"{prefix}{counts.get(prefix, 0)}")
            counts[prefix] = counts.get(prefix, 0) + 1
            self.layers.append(layer)
            self.shapes.append(shape)
        if len(shape) != 1:
            raise ValueError(f"the last layer must produce logits (N, K), but gives feature maps "
                             f"{_shape_text(shape)}: end with ('flatten',) or ('gap',) and a ('linear', K)")
        self.n_classes = shape[0]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        weights = {id(layer.params[0]) for layer in self.layers if isinstance(layer, (Conv2d, Linear))}
        self.weight_index = [i for i, p in enumerate(self.params) if id(p) in weights]
        self._need_input_grad = True
        self.need_input_grad = False

    @staticmethod
    def _parse(k: int, entry: tuple) -> tuple[str, list]:
        """Kind and full argument list (defaults filled in) of spec entry k.  Raises ValueError."""
        if not entry or entry[0] not in SPEC_KINDS:
            kind = entry[0] if entry else None
            raise ValueError(f"layer {k}: unknown kind {kind!r}; choose one of {', '.join(SPEC_KINDS)}")
        kind, args = entry[0], list(entry[1:])
        names, defaults = SPEC_KINDS[kind]
        required = len(names) - len(defaults)
        where = f"layer {k} {_describe(entry)}"
        if not required <= len(args) <= len(names):
            expected = ", ".join(names[:required]) + ("" if not defaults else
                                                      " [, " + ", ".join(names[required:]) + "]")
            raise ValueError(f"{where}: {kind} takes ({expected}), got {len(args)} "
                             f"argument{'s' if len(args) != 1 else ''}")
        args += list(defaults[len(args) - required:])
        for name, value in zip(names, args):
            if name == "p":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                    raise ValueError(f"{where}: dropout probability must be at least 0 and below 1, got {value!r}")
            elif value is None and kind in ("maxpool", "avgpool") and name == "stride":
                continue                           # stride = window
            elif isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{where}: {name} must be a whole number, got {value!r}")
            elif name in ("filters", "kernel", "units", "pool", "stride") and value < 1:
                raise ValueError(f"{where}: {name} must be at least 1, got {value}")
            elif name == "pad" and value < 0:
                raise ValueError(f"{where}: padding must be 0 or more, got {value}")
        return kind, args

    def _build(self, kind: str, args: list, shape: tuple[int, ...], followed_by_bn: bool,
               init_rng: np.random.Generator, dropout_rng: np.random.Generator) -> tuple[Layer, tuple[int, ...]]:
        """One layer for a parsed spec entry on inputs of ``shape`` (no N), and its output shape."""
        dt = self.dtype
        maps = len(shape) == 3
        if kind == "conv":
            if not maps:
                raise ValueError("a conv layer needs feature maps (C, H, W); put it before ('flatten',)")
            filters, kernel, stride, pad = args
            W = conv_weights(self.init, (filters, shape[0], kernel, kernel), init_rng, dt)
            layer = Conv2d(W, None if followed_by_bn else np.zeros(filters, dt), stride, pad)
            return layer, layer.output_shape(shape)
        if kind in ("maxpool", "avgpool"):
            if not maps:
                raise ValueError(f"{kind} needs feature maps (C, H, W); put it before ('flatten',)")
            pool, stride, pad = args
            layer = (MaxPool2d if kind == "maxpool" else AvgPool2d)(pool, stride, pad)
            return layer, layer.output_shape(shape)
        if kind in ("flatten", "gap"):
            if not maps:
                raise ValueError(f"{kind} needs feature maps (C, H, W); the input is already flat")
            if kind == "flatten":
                return Flatten(), (shape[0] * shape[1] * shape[2],)
            return GlobalAvgPool2d(), (shape[0],)
        if kind == "linear":
            if maps:
                raise ValueError("a linear layer needs vectors; put ('flatten',) or ('gap',) before it")
            units = args[0]
            W = init_weights(self.init, shape[0], units, init_rng, dt)   # (D_in, D_out)
            return Linear(W, None if followed_by_bn else np.zeros(units, dt)), (units,)
        if kind == "batchnorm":
            bn = BatchNorm2d if maps else BatchNorm1d
            return bn(np.ones(shape[0], dt), np.zeros(shape[0], dt)), shape
        if kind == "dropout":
            return Dropout(float(args[0]), dropout_rng), shape
        return make_activation(kind), shape

    @property
    def need_input_grad(self) -> bool:
        """Whether ``backward`` computes and returns d loss / d x (N, C, H, W).  Setting it to False skips
        the first conv layer's input gradient (the input is data), as autograd does without requires_grad."""
        return self._need_input_grad

    @need_input_grad.setter
    def need_input_grad(self, value: bool) -> None:
        self._need_input_grad = bool(value)
        if hasattr(self.layers[0], "input_grad"):
            self.layers[0].input_grad = self._need_input_grad

    def set_train(self, train: bool) -> None:
        """Training (dropout on, batch statistics) or evaluation mode for every layer."""
        for layer in self.layers:
            layer.train = train

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError(f"the network takes images (N, {', '.join(map(str, self.input_shape))}), "
                             f"got shape {x.shape}")
        return x

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> logits (N, K) in the model's dtype (x is converted to it).
        Raises ValueError for images of another shape."""
        x = self._check_input(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward_all(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output, in order (feature maps (N, C_k, H_k, W_k), then vectors; the last are the
        logits (N, K)).  The arrays are the layers' own outputs (may be views); copy before keeping them."""
        x = self._check_input(x)
        outs = []
        for layer in self.layers:
            x = layer.forward(x)
            outs.append(x)
        return outs

    def backward(self, dlogits: np.ndarray) -> np.ndarray | None:
        """Backpropagate d loss / d logits (N, K); fills ``grads`` in place.  Returns d loss / d x
        (N, C, H, W) when ``need_input_grad`` is set, else None."""
        d = dlogits
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d if self._need_input_grad else None

    def state(self) -> dict[str, np.ndarray]:
        """Live references to every array that defines the model, by name: ``conv{i}.W`` (F, C, KH, KW)
        as in torch, ``conv{i}.b`` (F,), ``linear{i}.W`` (D_in, D_out), ``linear{i}.b`` (D_out,),
        ``bn{i}.gamma|beta|running_mean|running_var`` (C,) (biases only where the layer has one)."""
        out: dict[str, np.ndarray] = {}
        for name, layer in zip(self.names, self.layers):
            if isinstance(layer, (Conv2d, Linear)):
                out[f"{name}.W"] = layer.params[0]
                if len(layer.params) == 2:
                    out[f"{name}.b"] = layer.params[1]
            elif isinstance(layer, BatchNorm1d):   # BatchNorm2d too
                out[f"{name}.gamma"], out[f"{name}.beta"] = layer.params
                out[f"{name}.running_mean"] = layer.running_mean
                out[f"{name}.running_var"] = layer.running_var
        return out

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """float64 copies of the last backward's parameter gradients, named and laid out as ``state()``
        (``conv0.W``, ``conv0.b``, ``linear0.W`` (D_in, D_out), ``bn0.gamma``, ...)."""
        out: dict[str, np.ndarray] = {}
        for name, layer in zip(self.names, self.layers):
            if isinstance(layer, (Conv2d, Linear)):
                keys = ("W", "b")
            elif isinstance(layer, BatchNorm1d):
                keys = ("gamma", "beta")
            else:
                continue
            for key, g in zip(keys, layer.grads):
                out[f"{name}.{key}"] = g.astype(np.float64)
        return out
