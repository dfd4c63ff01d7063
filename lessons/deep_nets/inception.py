"""An Inception module on the NumPy engine, with its PyTorch twin (Qt-free; torch imported lazily).

Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, figure 2(b): four parallel branches see
the same input and their feature maps are concatenated along the channel axis:

* 1×1 convolution;
* 1×1 convolution (a *bottleneck* that reduces the channels) -> 3×3 convolution;
* 1×1 bottleneck -> 5×5 convolution;
* 3×3 max pooling (stride 1) -> 1×1 convolution (the *pool projection*).

Every convolution is followed by ReLU and padded so that all branches keep the input's H × W (the
concatenation needs equal sizes).  The 1×1 bottlenecks cut the cost of the large kernels: a 5×5
convolution from C to F channels costs 25·C·F multiply-adds per pixel, a 1×1 reduction to R channels
first costs C·R + 25·R·F.  Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 7.

In this lesson a 3×3 *stem* convolution (1 -> 8 channels, ReLU) turns an 8×8 digit into 8 feature maps
before the module, as GoogLeNet's stem does for photos.  The weights are random (He initialization,
He et al. 2015), not trained: the lesson shows the module's shapes and what each branch's receptive
field does to the same input.  Built on ``visualizer.scratch.conv`` (Conv2d, MaxPool2d).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from visualizer.core.plotdata import ImageGridData
from visualizer.scratch.conv import Conv2d, MaxPool2d
from visualizer.scratch.layers import Layer, ReLU

BRANCHES = ("1×1", "3×3", "5×5", "pool→1×1")


@dataclass(frozen=True)
class InceptionConfig:
    """Channel counts: in_channels C of the stem's input; stem F₀ maps; per branch: c1 (1×1),
    r3 -> c3 (bottleneck, 3×3), r5 -> c5 (bottleneck, 5×5), cp (pool projection)."""

    in_channels: int = 1
    stem: int = 8
    c1: int = 4
    r3: int = 4
    c3: int = 6
    r5: int = 2
    c5: int = 4
    cp: int = 4

    @property
    def out_channels(self) -> int:
        """Channels of the concatenated output: c1 + c3 + c5 + cp."""
        return self.c1 + self.c3 + self.c5 + self.cp

    def shapes(self) -> dict[str, tuple[int, int, int, int]]:
        """Weight shapes (F, C, KH, KW) by name; every convolution also has a bias (F,)."""
        s = self.stem
        return {"stem": (s, self.in_channels, 3, 3), "b1": (self.c1, s, 1, 1),
                "b2_reduce": (self.r3, s, 1, 1), "b2": (self.c3, self.r3, 3, 3),
                "b3_reduce": (self.r5, s, 1, 1), "b3": (self.c5, self.r5, 5, 5),
                "b4": (self.cp, s, 1, 1)}


def he_conv_weights(config: InceptionConfig, rng: np.random.Generator,
                    dtype: str | np.dtype = "float32") -> dict[str, np.ndarray]:
    """He-normal weights N(0, 2 / (C·KH·KW)) and zero biases for every convolution of ``config``:
    ``{name}.W`` (F, C, KH, KW) and ``{name}.b`` (F,), names as ``InceptionConfig.shapes``."""
    out: dict[str, np.ndarray] = {}
    for name, (f, c, kh, kw) in config.shapes().items():
        out[f"{name}.W"] = rng.normal(0.0, math.sqrt(2.0 / (c * kh * kw)), (f, c, kh, kw)).astype(dtype)
        out[f"{name}.b"] = np.zeros(f, dtype=dtype)
    return out


class _Sequence(Layer):
    """Layers applied in order; params/grads concatenated.  Shapes as the layers'."""

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        self.layers = list(layers)
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class InceptionModule(Layer):
    """Inception module (Szegedy et al. 2015, fig. 2b).  x: (N, C, H, W) -> y: (N, c1+c3+c5+cp, H, W).

    weights: ``{name}.W`` / ``{name}.b`` for b1, b2_reduce, b2, b3_reduce, b3, b4 as
    ``InceptionConfig.shapes`` (the stem is not part of the module).  ``branch_outputs`` holds the four
    branches' feature maps (N, F_k, H, W) of the last forward, in ``BRANCHES`` order.  backward splits
    dout along the channels, runs each branch backward and sums the four dx.  Raises ValueError for
    weights of the wrong shapes (via Conv2d) or an input whose channel count differs from the weights'."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        super().__init__()

        def conv(name: str) -> Conv2d:
            W = weights[f"{name}.W"]
            return Conv2d(W, weights[f"{name}.b"], stride=1, pad=W.shape[2] // 2)   # "same" padding

        self.branches = [
            _Sequence(conv("b1"), ReLU()),
            _Sequence(conv("b2_reduce"), ReLU(), conv("b2"), ReLU()),
            _Sequence(conv("b3_reduce"), ReLU(), conv("b3"), ReLU()),
            _Sequence(MaxPool2d(3, stride=1, pad=1), conv("b4"), ReLU()),
        ]
        self.params = [p for b in self.branches for p in b.params]
        self.grads = [g for b in self.branches for g in b.grads]
        self.branch_outputs: list[np.ndarray] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.branch_outputs = [b.forward(x) for b in self.branches]    # (N, F_k, H, W) each
        return np.concatenate(self.branch_outputs, axis=1)              # (N, ΣF_k, H, W)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        sizes = np.cumsum([o.shape[1] for o in self.branch_outputs])[:-1]
        parts = np.split(dout, sizes, axis=1)                           # (N, F_k, H, W) each
        dx = None
        for branch, d in zip(self.branches, parts):
            g = branch.backward(np.ascontiguousarray(d))
            dx = g if dx is None else dx + g
        return dx                                                       # (N, C, H, W)


class InceptionDemo:
    """Stem conv 3×3 + ReLU, then an ``InceptionModule``, with random He weights drawn from ``seed``.

    ``run(image)``: image (H, W) in [0, 1] -> (stem maps (F₀, H, W), [branch maps (F_k, H, W)] × 4,
    concatenated (ΣF_k, H, W)), float64, on the NumPy engine or (``engine="torch"``) with
    ``torch.nn.functional`` on the same weights."""

    def __init__(self, config: InceptionConfig = InceptionConfig(), seed: int = 0, dtype: str = "float32") -> None:
        self.config = config
        self.dtype = np.dtype(dtype)
        self.weights = he_conv_weights(config, np.random.default_rng(seed), self.dtype)
        self.stem = _Sequence(Conv2d(self.weights["stem.W"], self.weights["stem.b"], pad=1), ReLU())
        self.module = InceptionModule(self.weights)
        self.stem.layers[0].input_grad = False

    def run(self, image: np.ndarray, engine: str = "numpy"):
        x = np.asarray(image, dtype=self.dtype)[None, None]                 # (1, 1, H, W)
        if engine == "torch":
            stem, branches, concat = inception_torch(self.weights, x)
        else:
            stem = self.stem.forward(x)
            concat = self.module.forward(stem)
            branches = self.module.branch_outputs
        as64 = lambda a: np.array(a[0], dtype=np.float64)
        return as64(stem), [as64(b) for b in branches], as64(concat)


def inception_torch(weights: dict[str, np.ndarray], x: np.ndarray):
    """The stem and the Inception module in PyTorch (``F.conv2d``, ``F.max_pool2d``) on the same weights.

    x: (N, C, H, W) NumPy -> (stem (N, F₀, H, W), [four branch outputs (N, F_k, H, W)], concat), NumPy
    arrays of x's dtype.  Imports torch."""
    import torch
    import torch.nn.functional as F

    t = {k: torch.as_tensor(v) for k, v in weights.items()}

    def conv(name: str, h):
        W = t[f"{name}.W"]
        return F.relu(F.conv2d(h, W, t[f"{name}.b"], padding=W.shape[2] // 2))

    with torch.no_grad():
        stem = conv("stem", torch.as_tensor(x))
        b1 = conv("b1", stem)
        b2 = conv("b2", conv("b2_reduce", stem))
        b3 = conv("b3", conv("b3_reduce", stem))
        b4 = conv("b4", F.max_pool2d(stem, 3, stride=1, padding=1))
        concat = torch.cat([b1, b2, b3, b4], dim=1)
    return stem.numpy(), [b.numpy() for b in (b1, b2, b3, b4)], concat.numpy()


def inception_grid(demo: InceptionDemo, image: np.ndarray, label: str, engine: str,
                   maps_per_row: int = 4) -> ImageGridData:
    """The Inception view: a first row with the input ``image`` (H, W), the mean stem map and the mean of
    the concatenated output; then one row per branch with its first ``maps_per_row`` feature maps, each
    scaled to its own maximum (levels 0..1); blank tiles are NaN.  ``label`` captions the input."""
    stem, branches, concat = demo.run(image, engine)

    def unit(m: np.ndarray) -> np.ndarray:
        peak = float(np.max(m))
        return m / peak if peak > 0 else m

    blank = np.full_like(image, np.nan, dtype=np.float64)
    tiles = [image.astype(np.float64), unit(stem.mean(axis=0)), unit(concat.mean(axis=0))]
    sizes = "+".join(str(b.shape[0]) for b in branches)
    captions = [label, f"stem: {stem.shape[0]} maps", f"concat: {sizes}={concat.shape[0]} ch"]
    tiles += [blank] * (maps_per_row - 3)
    captions += [""] * (maps_per_row - 3)
    for name, maps in zip(BRANCHES, branches):
        for k in range(maps_per_row):
            tiles.append(unit(maps[k]) if k < len(maps) else blank)
            captions.append(f"{name} #{k + 1}" if k < len(maps) else "")
    return ImageGridData(np.stack(tiles).astype(np.float32), captions, (0.0, 1.0), "viridis", ncols=maps_per_row)
