"""Feature extractors for neural style transfer: random multi-scale convolutions, or VGG-19's layers.

Gatys, Ecker & Bethge (2016) match Gram matrices of VGG-19's conv1_1 ... conv5_1 (style) and conv4_2 (content).
Ustyuzhaninov, Brendel, Gatys & Bethge (2017, "What does it take to generate natural textures?") showed that
*random* convolution filters at several scales, with a ReLU, already synthesize convincing textures: the Gram
matrix of many random, rectified filter responses pins down the local colour and edge statistics of an image.
:class:`RandomFeatures` is such a network (seeded, nothing to download): five stages of convolutions with several
kernel sizes side by side (multi-scale), each followed by a ReLU and, between stages, 2×2 average pooling (the
pooling Gatys et al. preferred over max pooling for synthesis).  :class:`VGGStyleFeatures` taps a torchvision
VGG-19 at the layers Gatys et al. used.

Both map an image batch (N, 3, H, W) float32 in [0, 1] to ``{layer name: (N, C_l, H_l, W_l)}`` for the names in
``style_layers`` (five, shallow to deep) and ``content_layer``; both normalize the input with ImageNet's mean and
standard deviation inside ``forward``.  Imports torch at the top: import this module lazily.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)        # as visualizer.data.vgg_weights (no import: that module is numpy-only)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class RandomFeaturesConfig:
    """widths: output channels of the five stages; kernel_sizes: the kernel sizes used side by side in every
    stage (its channels split evenly among them); seed: the filters' seed.  Raises ValueError for a width
    smaller than the number of kernel sizes, an even kernel size or not exactly five stages."""

    widths: tuple[int, ...] = (48, 64, 96, 128, 128)
    kernel_sizes: tuple[int, ...] = (3, 5, 7)
    seed: int = 0
    zero_mean: bool = False

    def __post_init__(self) -> None:
        if len(self.widths) != 5:
            raise ValueError(f"RandomFeatures has five stages; got widths {self.widths}")
        if any(k % 2 == 0 or k < 1 for k in self.kernel_sizes):
            raise ValueError(f"kernel sizes must be odd and positive, got {self.kernel_sizes}")
        if min(self.widths) < len(self.kernel_sizes):
            raise ValueError(f"every stage needs at least one channel per kernel size ({len(self.kernel_sizes)}), "
                             f"got widths {self.widths}")


class MultiScaleConv(nn.Module):
    """Convolutions with several odd kernel sizes ("same" padding, replicating the border; any H, W >= 1) side
    by side, outputs concatenated: (N, C_in, H, W) -> (N, C_out, H, W), ``C_out`` split as evenly as the kernel
    sizes allow."""

    def __init__(self, c_in: int, c_out: int, kernel_sizes: tuple[int, ...]) -> None:
        super().__init__()
        n = len(kernel_sizes)
        split = [c_out // n + (1 if i < c_out % n else 0) for i in range(n)]
        self.convs = nn.ModuleList(nn.Conv2d(c_in, c, k, padding=k // 2, padding_mode="replicate")
                                   for c, k in zip(split, kernel_sizes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(x) for conv in self.convs], dim=1)          # (N, C_out, H, W)


class RandomFeatures(nn.Module):
    """Five stages of random multi-scale convolutions + ReLU, 2×2 average pooling between stages (Ustyuzhaninov
    et al. 2017).  Filters are drawn from N(0, 1) with a seeded generator, made zero-mean (a filter then answers
    to structure, not to brightness) and scaled to He's standard deviation √(2 / fan_in), so every stage's
    activations keep their size; biases are zero.  Weights never train (``requires_grad`` False).

    forward: (N, 3, H, W) float32 in [0, 1], H, W >= 16 -> {"layer1": (N, w1, H, W), "layer2": (N, w2, H/2, W/2),
    ..., "layer5": (N, w5, H/16, W/16)}.  style_layers: all five; content_layer: "layer3" (at 1/4 of the
    image's side; the random stages keep less of an object's shape than VGG-19's, so the content layer sits one
    stage shallower than Gatys's conv4_2, which is at 1/8)."""

    style_layers = ("layer1", "layer2", "layer3", "layer4", "layer5")
    content_layer = "layer3"
    description = "random multi-scale convolutions (seeded, no download)"

    def __init__(self, cfg: RandomFeaturesConfig = RandomFeaturesConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        c_in = 3
        self.stages = nn.ModuleList()
        for w in cfg.widths:
            self.stages.append(MultiScaleConv(c_in, w, cfg.kernel_sizes))
            c_in = w
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self._init_random(cfg.seed)
        self.requires_grad_(False)
        self.eval()

    @torch.no_grad()
    def _init_random(self, seed: int) -> None:
        gen = torch.Generator().manual_seed(int(seed))
        for stage in self.stages:
            for conv in stage.convs:
                w = torch.randn(conv.weight.shape, generator=gen)                  # (C_out, C_in, k, k)
                if self.cfg.zero_mean:
                    w -= w.mean(dim=(1, 2, 3), keepdim=True)
                fan_in = w[0].numel()
                w *= np.sqrt(2.0 / fan_in) / w.std(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
                conv.weight.copy_(w)
                conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = (x - self.mean) / self.std
        out = {}
        for i, stage in enumerate(self.stages):
            if i:
                h = nn.functional.avg_pool2d(h, 2)
            h = torch.relu(stage(h))
            out[f"layer{i + 1}"] = h                                        # (N, w_i, H / 2^i, W / 2^i)
        return out


# torchvision's VGG-19 ``features`` indices of the ReLU after each convolution Gatys et al. use.
VGG19_TAPS = {"conv1_1": 1, "conv2_1": 6, "conv3_1": 11, "conv4_1": 20, "conv4_2": 22, "conv5_1": 29}


class VGGStyleFeatures(nn.Module):
    """VGG-19's convolution layers up to conv5_1, tapped after the ReLUs of conv1_1, conv2_1, conv3_1, conv4_1,
    conv5_1 (style) and conv4_2 (content), as Gatys et al. (2016) do; max pooling is replaced by average pooling
    (their sec. 2).  ``vgg``: a torchvision-layout VGG-19 (``visualizer.data.vgg_weights.load_vgg("vgg19")``, or
    ``build_vgg("vgg19", width_div)`` in tests) whose ``features`` has the 37 modules of configuration E.  Weights
    are frozen.  forward: (N, 3, H, W) in [0, 1], H, W >= 16 -> {name: (N, C, H_l, W_l)}.  Raises ValueError for
    a network whose features do not have VGG-19's layout."""

    style_layers = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    content_layer = "conv4_2"
    description = "VGG-19 with ImageNet weights (conv1_1…conv5_1 for style, conv4_2 for content)"

    def __init__(self, vgg: nn.Module) -> None:
        super().__init__()
        feats = list(getattr(vgg, "features", []))
        if len(feats) != 37 or not all(isinstance(feats[i - 1], nn.Conv2d) for i in VGG19_TAPS.values()):
            raise ValueError(f"expected VGG-19's 37 feature modules (convolutions before indices "
                             f"{sorted(VGG19_TAPS.values())}), got {len(feats)} modules")
        layers = [nn.AvgPool2d(2) if isinstance(m, nn.MaxPool2d) else m for m in feats[:max(VGG19_TAPS.values()) + 1]]
        for m in layers:
            if isinstance(m, nn.ReLU):
                m.inplace = False
        self.layers = nn.Sequential(*layers)
        self._names = {i: name for name, i in VGG19_TAPS.items()}
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = (x - self.mean) / self.std
        out = {}
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i in self._names:
                out[self._names[i]] = h
        return out


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrices of feature maps (Gatys et al. 2016, eq. 3), normalized by the number of positions:
    (N, C, H, W) -> (N, C, C) with G[c, d] = Σ_p F[c, p] F[d, p] / (H W)."""
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)                                   # (N, C, HW)
    return f @ f.transpose(1, 2) / (h * w)                              # (N, C, C)
