"""A small VGG-style convolutional network: the student's backbone for transfer learning and interpretability.

VGG's recipe (Simonyan & Zisserman 2015; the network of Ogawa, *PyTorch advanced deep learning* ch. 1) at a
size that trains on a CPU in minutes: blocks of 3×3 convolutions with ReLU, each block ending in 2×2 max
pooling, then global average pooling and a two-layer classifier.  The module layout follows torchvision's VGG
(``features``, ``avgpool``, ``classifier``), so what a lesson does to it (freeze blocks, replace the head, hook a
layer) it can do to torchvision's VGG-16 the same way.  Imports torch at the top: import this module lazily.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from visualizer.core.checkpoint import check_state


@dataclass(frozen=True)
class SmallVGGConfig:
    """n_classes: logits K; widths: output channels of each block (a block halves the image side);
    convs_per_block: 3×3 conv + ReLU pairs per block; hidden: width of the classifier's hidden layer;
    dropout: its dropout probability; in_channels: 3 for RGB; batch_norm: a BatchNorm2d after each conv (as
    torchvision's ``vgg16_bn``; it trains the small network from scratch in a fraction of the steps)."""

    n_classes: int
    widths: tuple[int, ...] = (16, 32, 64)
    convs_per_block: int = 2
    hidden: int = 128
    dropout: float = 0.3
    in_channels: int = 3
    batch_norm: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))      # JSON gives lists


PIXEL_MEAN, PIXEL_STD = 0.5, 0.25      # inputs in [0, 1] are centred inside the network


class SmallVGG(nn.Module):
    """x: (N, C, S, S) float32 in [0, 1] -> logits (N, K); S a multiple of 2**len(widths).  The network centres
    its input itself ((x - 0.5) / 0.25), so every view feeds it the image as shown."""

    def __init__(self, cfg: SmallVGGConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c_in = cfg.in_channels
        self._blocks: list[slice] = []
        for width in cfg.widths:
            start = len(layers)
            for _ in range(cfg.convs_per_block):
                layers.append(nn.Conv2d(c_in, width, 3, padding=1))
                if cfg.batch_norm:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.ReLU(inplace=False))
                c_in = width
            layers.append(nn.MaxPool2d(2))
            self._blocks.append(slice(start, len(layers)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = self._head(cfg.n_classes)
        for m in self.features:
            if isinstance(m, nn.Conv2d):            # He initialization, as torchvision's VGG does
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def _head(self, n_classes: int) -> nn.Sequential:
        c = self.cfg
        return nn.Sequential(nn.Linear(c.widths[-1], c.hidden), nn.ReLU(), nn.Dropout(c.dropout),
                             nn.Linear(c.hidden, n_classes))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's pooled features.  x: (N, C, S, S) in [0, 1] -> (N, widths[-1])."""
        return self.avgpool(self.features((x - PIXEL_MEAN) / PIXEL_STD)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x))                                 # (N, K)

    def block_slices(self) -> list[slice]:
        """Block b's layer indices in ``features`` (b = 0 nearest the image)."""
        return list(self._blocks)

    def conv_names(self) -> list[str]:
        """Names of the Conv2d layers as ``named_modules`` gives them ("features.0", ...), image side first."""
        return [n for n, m in self.named_modules() if isinstance(m, nn.Conv2d)]

    def with_new_head(self, n_classes: int, seed: int) -> "SmallVGG":
        """A deep copy with the same backbone and a new classifier for ``n_classes`` (PyTorch's default
        initialization drawn from ``seed``)."""
        twin = copy.deepcopy(self)
        twin.cfg = SmallVGGConfig(n_classes, self.cfg.widths, self.cfg.convs_per_block, self.cfg.hidden,
                                  self.cfg.dropout, self.cfg.in_channels, self.cfg.batch_norm)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            twin.classifier = twin._head(n_classes)
        return twin


def build_small_vgg(cfg: SmallVGGConfig, seed: int) -> SmallVGG:
    """A SmallVGG with PyTorch's default initialization drawn from ``seed`` (the global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SmallVGG(cfg)


def numpy_state(model: nn.Module) -> dict[str, np.ndarray]:
    """The model's state_dict as host float32 copies (parameter name -> array)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def load_numpy_state(model: nn.Module, arrays: dict[str, np.ndarray]) -> None:
    """Load host arrays into ``model`` after :func:`visualizer.core.checkpoint.check_state` has checked every
    name, shape, number type and value (atomic: nothing changes on error).  Raises ValueError
    (LessonConfigError) naming the first missing, extra, mis-shaped or non-finite array."""
    ready = check_state(numpy_state(model), arrays, nonnegative=frozenset(
        k for k in arrays if k.endswith("num_batches_tracked")))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in ready.items()})


def small_vgg_from_shelf(shelved) -> SmallVGG:
    """Rebuild a network a lesson published with kind "small_vgg" (``visualizer.core.model_shelf``).
    Raises ValueError when the kind, config or arrays do not fit."""
    if shelved.kind != "small_vgg":
        raise ValueError(f"expected a small_vgg model, got {shelved.kind!r}")
    try:
        cfg = SmallVGGConfig(**shelved.config)
    except TypeError as exc:
        raise ValueError(f"not a SmallVGG configuration: {exc}") from exc
    model = SmallVGG(cfg)
    load_numpy_state(model, shelved.arrays)
    return model.eval()
