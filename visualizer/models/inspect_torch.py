"""A trained torch classifier prepared for looking inside: its named activation layers, the layer Grad-CAM reads,
its class names and the input it expects.  Builders for the small VGG of the generated shapes, torchvision's
VGG-16 and the CNN the student trains in ``cnn_scratch``.  Imports torch at the top: import this module lazily.

Layer names follow the Keras VGG names Chollet uses in *Deep Learning with Python* 2e, ch. 9.4
(``block1_conv1`` ... ``block5_conv3``): the activation *after* each convolution's ReLU, which is what his
feature-map pictures show.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from visualizer.core.checkpoint import check_state


class Normalized(nn.Module):
    """(x - mean) / std per channel in front of a network that wants it (torchvision's ImageNet models), so that
    every view feeds the image as shown, in [0, 1].  x: (N, C, H, W) -> net(x_normalized)."""

    def __init__(self, net: nn.Module, mean, std) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float32)).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(np.asarray(std, np.float32)).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


@dataclass
class Inspected:
    """model: the classifier in eval mode, x (N, C, S, S) in [0, 1] -> logits (N, K); layers: name -> the module
    whose output is that layer's activation (image side first); cam_layer: the name Grad-CAM reads (the last
    convolutional activation, Selvaraju et al. 2017); class_names: (K,); image_size S and channels C of its
    input; title: what the UI calls it."""

    model: nn.Module
    layers: dict[str, nn.Module]
    cam_layer: str
    class_names: tuple[str, ...]
    image_size: int
    channels: int
    title: str
    unit_names: dict[str, str] | None = None      # module path -> display name ("features.0" -> "block1_conv1")

    def display_name(self, path: str) -> str:
        """The readable name of the module at ``path`` (as ``model.named_modules`` gives it)."""
        return (self.unit_names or {}).get(path, path)

    def copy(self) -> "Inspected":
        """A deep copy whose layers point into the copied model (for weight randomization)."""
        model = copy.deepcopy(self.model)
        index = {id(m): n for n, m in self.model.named_modules()}
        mods = dict(model.named_modules())
        layers = {name: mods[index[id(m)]] for name, m in self.layers.items()}
        return Inspected(model, layers, self.cam_layer, self.class_names, self.image_size, self.channels,
                         self.title, self.unit_names)


def _conv_activations(seq: nn.Sequential) -> dict[str, nn.Module]:
    """Keras-style names for the activation after each Conv2d of a VGG ``features`` stack: the first
    non-linearity after the conv (BatchNorm between them is skipped); a max pool starts a new block."""
    out: dict[str, nn.Module] = {}
    block, conv, pending = 1, 0, False
    for m in seq:
        if isinstance(m, nn.Conv2d):
            conv, pending = conv + 1, True
        elif pending and isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid)):
            if isinstance(m, nn.ReLU):
                m.inplace = False          # an in-place ReLU would overwrite the captured activation
            out[f"block{block}_conv{conv}"] = m
            pending = False
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            block, conv = block + 1, 0
    return out


def from_vgg_features(model: nn.Module, class_names, image_size: int, title: str, *, mean=None,
                      std=None) -> Inspected:
    """A torchvision-style VGG (``.features``, ``.avgpool``, ``.classifier``): the SmallVGG of the shapes or
    VGG-16.  mean, std: (C,) input normalization to put in front (None: the network normalizes itself).
    Raises ValueError for a network without convolutions in ``features``."""
    layers = _conv_activations(model.features)
    if not layers:
        raise ValueError("the network has no convolutional layers to look inside")
    net = Normalized(model, mean, std) if mean is not None else model
    first = next(m for m in model.features if isinstance(m, nn.Conv2d))
    prefix = "net." if net is not model else ""
    units, block, conv = {}, 1, 0
    for i, m in enumerate(model.features):
        if isinstance(m, nn.Conv2d):
            conv += 1
            units[f"{prefix}features.{i}"] = f"block{block}_conv{conv}"
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            block, conv = block + 1, 0
    linears = [n for n, m in model.classifier.named_modules() if isinstance(m, nn.Linear)]
    for k, n in enumerate(linears):
        units[f"{prefix}classifier.{n}"] = "logits" if k == len(linears) - 1 else f"fc{k + 1}"
    return Inspected(net.eval(), layers, list(layers)[-1], tuple(class_names), int(image_size),
                     int(first.in_channels), title, units)


def from_torch_cnn(model: nn.Module, class_names, image_size: int, title: str) -> Inspected:
    """A ``visualizer.models.cnn_torch.TorchCNN`` (``names`` parallel to ``layers``): the activation after each
    conv is named after the conv ("conv0", ...).  Raises ValueError for a network without convolutions."""
    layers: dict[str, nn.Module] = {}
    pending = None
    for name, m in zip(model.names, model.layers):
        if isinstance(m, nn.Conv2d):
            pending = name
            layers[name] = m                    # replaced by its activation when one follows
        elif pending and name.rstrip("0123456789") in ("relu", "leaky_relu", "sigmoid", "tanh"):
            if isinstance(m, nn.ReLU):
                m.inplace = False
            layers[pending] = m
            pending = None
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            pending = None
    if not layers:
        raise ValueError("the network has no convolutional layers to look inside")
    first = next(m for m in model.layers if isinstance(m, nn.Conv2d))
    return Inspected(model.eval(), layers, list(layers)[-1], tuple(class_names), int(image_size),
                     int(first.in_channels), title)


def cnn_from_shelf(shelved) -> nn.Module:
    """Rebuild the network ``cnn_scratch`` published (kind "cnn"; config: input_shape (C, H, W), spec, init;
    arrays named as ``CNN.state()``) as a TorchCNN in float32, eval mode.  Raises ValueError when the kind, config
    or arrays do not fit (``check_state`` checks every array before anything is loaded)."""
    from visualizer.models.cnn import CNN
    from visualizer.models.cnn_torch import TorchCNN

    if shelved.kind != "cnn":
        raise ValueError(f"expected a cnn model, got {shelved.kind!r}")
    try:
        cnn = CNN(shelved.config["input_shape"], [tuple(e) for e in shelved.config["spec"]],
                  init=shelved.config.get("init", "he"), dtype="float32", seed=0)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a CNN configuration: {exc}") from exc
    own = cnn.state()
    ready = check_state(own, shelved.arrays)           # every name, shape and value, before anything is assigned
    for k, v in own.items():
        v[...] = ready[k]
    return TorchCNN(cnn).eval()
