"""ECO: a 2D network on each sampled frame, a 3D network over their stacked feature maps (PyTorch).

Zolfaghari, Singh & Brox, "ECO: Efficient Convolutional Network for Online Video Understanding", ECCV 2018;
Ogawa, *PyTorch advanced deep learning* ch. 9.  A clip is split into N equal segments and one frame is taken from
each (:func:`visualizer.data.clips.segment_indices`).  The **2D part** turns every frame on its own into feature
maps (B·N, C, h, w); these are stacked along time into a volume (B, C, N, h, w), which the **3D part** convolves
in time and space, so it can see how things change from frame to frame.  A global average pool and one linear
layer give the class logits.

Two sizes (``ECOConfig.variant``):

* ``"eco_small"`` (default): three 3x3 convolutions (the second of stride 2) as the 2D part and two 3x3x3
  convolutions (strides (1,2,2) and 2) as the 3D part: trains on a CPU on 32 px clips;
* ``"eco_lite"``: the book's ECO-Lite, written here from the paper's description (random initial weights; the
  pretrained ones cannot be downloaded in this project): BN-Inception (Ioffe & Szegedy 2015) up to the first
  convolution of inception-3c's double-3x3 branch, which gives 96-channel 28x28 maps at 224 px, then the
  res3 to res5 stages of a 3D ResNet-18 (two basic blocks each, 128, 256, 512 channels, res4 and res5 of
  stride 2 in time and space).  The book uses 16 segments of 224 px frames.

``temporal=False`` builds the **frame-averaging twin** (TSN-style, Wang et al. 2016): the same 2D part, the same
layers after it but with temporal kernel 1 and stride 1 (each frame alone), a class score per frame and the
*mean* of the N frames' logits.  Shuffling the frames does not change its output, so it cannot tell "move left"
from "move right"; the lesson trains it next to ECO to show what temporal fusion adds.

Inputs are float frames (B, N, 3, H, W), already normalized; frames of another size are resized (bilinear) to
``image_size`` first, on the device.  Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = ("eco_small", "eco_lite")
LITE_SIZE = 224                  # the book's frame size
LITE_SEGMENTS = 16               # the book's segments per clip


@dataclass
class ECOConfig:
    """n_classes: K; variant: one of :data:`VARIANTS`; width: channels of the small 2D part's first convolution
    (2D part w, 2w, 2w; 3D part 4w, 4w; ignored by eco_lite); image_size: frames are resized to this (pixels);
    temporal: False builds the frame-averaging twin; dropout: before the classifier.
    Raises ValueError for an unknown variant, a width < 1 or an image size below 16 px."""

    n_classes: int = 12
    variant: str = "eco_small"
    width: int = 16
    image_size: int = 32
    temporal: bool = True
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {self.variant!r}")
        if self.width < 1 or self.image_size < 16 or self.n_classes < 2:
            raise ValueError(f"need width >= 1, image_size >= 16 and n_classes >= 2, got {self.width}, "
                             f"{self.image_size}, {self.n_classes}")

    @classmethod
    def eco_lite(cls, n_classes: int, **changes) -> "ECOConfig":
        """The book's ECO-Lite: 224 px frames, dropout 0.5 before the classifier."""
        return cls(**{"n_classes": n_classes, "variant": "eco_lite", "image_size": LITE_SIZE, "dropout": 0.5,
                      **changes})


# ---- building blocks -------------------------------------------------------------------------------------
def conv_bn_relu(c_in: int, c_out: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    """Conv2d (padding keeps the size at stride 1) -> BatchNorm -> ReLU: (B, c_in, H, W) -> (B, c_out, H/s, W/s)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


def conv3d_bn(c_in: int, c_out: int, kt: int, stride: tuple[int, int, int], k: int = 3) -> nn.Sequential:
    """Conv3d with kernel (kt, k, k) -> BatchNorm3d: (B, c_in, T, H, W) -> (B, c_out, T/st, H/s, W/s)."""
    return nn.Sequential(nn.Conv3d(c_in, c_out, (kt, k, k), stride, (kt // 2, k // 2, k // 2), bias=False),
                         nn.BatchNorm3d(c_out))


class Small2D(nn.Module):
    """The small 2D part: (B·N, 3, H, W) -> (B·N, 2w, H/2, W/2) feature maps."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.out_channels = 2 * width
        self.layers = nn.Sequential(conv_bn_relu(3, width), conv_bn_relu(width, 2 * width, stride=2),
                                    conv_bn_relu(2 * width, 2 * width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class Inception(nn.Module):
    """A BN-Inception module: 1x1, 1x1 -> 3x3, 1x1 -> 3x3 -> 3x3, and 3x3 average pool -> 1x1 projection,
    concatenated: (B, c_in, H, W) -> (B, c1 + c3 + cd + cp, H, W)."""

    def __init__(self, c_in: int, c1: int, c3r: int, c3: int, cdr: int, cd: int, cp: int) -> None:
        super().__init__()
        self.branch1 = conv_bn_relu(c_in, c1, 1)
        self.branch3 = nn.Sequential(conv_bn_relu(c_in, c3r, 1), conv_bn_relu(c3r, c3))
        self.branch_double = nn.Sequential(conv_bn_relu(c_in, cdr, 1), conv_bn_relu(cdr, cd), conv_bn_relu(cd, cd))
        self.branch_pool = nn.Sequential(nn.AvgPool2d(3, 1, 1), conv_bn_relu(c_in, cp, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch3(x), self.branch_double(x), self.branch_pool(x)], dim=1)


class BNInception2D(nn.Module):
    """ECO-Lite's 2D part: BN-Inception from conv1 to inception-3c's first double-3x3 convolution.
    (B·N, 3, 224, 224) -> (B·N, 96, 28, 28)."""

    def __init__(self) -> None:
        super().__init__()
        self.out_channels = 96
        self.stem = nn.Sequential(
            conv_bn_relu(3, 64, 7, 2),                                   # (., 64, 112, 112)
            nn.MaxPool2d(3, 2, ceil_mode=True),                          # (., 64, 56, 56)
            conv_bn_relu(64, 64, 1), conv_bn_relu(64, 192),              # (., 192, 56, 56)
            nn.MaxPool2d(3, 2, ceil_mode=True))                          # (., 192, 28, 28)
        self.inception_3a = Inception(192, 64, 64, 64, 64, 96, 32)       # (., 256, 28, 28)
        self.inception_3b = Inception(256, 64, 64, 96, 64, 96, 64)       # (., 320, 28, 28)
        self.inception_3c = nn.Sequential(conv_bn_relu(320, 64, 1), conv_bn_relu(64, 96))   # (., 96, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inception_3c(self.inception_3b(self.inception_3a(self.stem(x))))


class BasicBlock3D(nn.Module):
    """A 3D ResNet basic block: two (kt, 3, 3) convolutions and a shortcut (a 1x1x1 projection where the shape
    changes), ReLU after the sum.  (B, c_in, T, H, W) -> (B, c_out, T/st, H/s, W/s)."""

    def __init__(self, c_in: int, c_out: int, kt: int, stride: tuple[int, int, int]) -> None:
        super().__init__()
        self.conv1 = conv3d_bn(c_in, c_out, kt, stride)
        self.conv2 = conv3d_bn(c_out, c_out, kt, (1, 1, 1))
        self.shortcut = (nn.Identity() if c_in == c_out and stride == (1, 1, 1)
                         else conv3d_bn(c_in, c_out, 1, stride, k=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2(F.relu(self.conv1(x))) + self.shortcut(x))


def fusion_small(c_in: int, width: int, temporal: bool) -> nn.Sequential:
    """The small 3D part: (B, c_in, N, h, w) -> (B, 4w, N/2, h/4, w/4) (twin: (B, 4w, N, h/4, w/4))."""
    kt, st = (3, 2) if temporal else (1, 1)
    return nn.Sequential(nn.Sequential(conv3d_bn(c_in, 4 * width, kt, (1, 2, 2)), nn.ReLU(inplace=True)),
                         nn.Sequential(conv3d_bn(4 * width, 4 * width, kt, (st, 2, 2)), nn.ReLU(inplace=True)))


def fusion_resnet3d(c_in: int, temporal: bool) -> nn.Sequential:
    """ECO-Lite's 3D part, res3 to res5 of a 3D ResNet-18: (B, 96, 16, 28, 28) -> (B, 512, 4, 7, 7)
    (twin: temporal kernel 1 and stride 1, (B, 512, 16, 7, 7))."""
    kt, st = (3, 2) if temporal else (1, 1)
    return nn.Sequential(
        nn.Sequential(BasicBlock3D(c_in, 128, kt, (1, 1, 1)), BasicBlock3D(128, 128, kt, (1, 1, 1))),   # res3
        nn.Sequential(BasicBlock3D(128, 256, kt, (st, 2, 2)), BasicBlock3D(256, 256, kt, (1, 1, 1))),   # res4
        nn.Sequential(BasicBlock3D(256, 512, kt, (st, 2, 2)), BasicBlock3D(512, 512, kt, (1, 1, 1))))   # res5


# ---- the network -----------------------------------------------------------------------------------------
class ECO(nn.Module):
    """ECO (``cfg.temporal``) or its frame-averaging twin.  x: (B, N, 3, H, W) float -> logits (B, K).

    Modules the views hook: ``features2d`` (output (B·N, C, h, w): each frame's 2D feature maps), the stages
    of ``fusion3d`` (outputs (B, C', N', h', w')), ``head`` (the classifier)."""

    def __init__(self, cfg: ECOConfig) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.variant == "eco_lite":
            self.features2d = BNInception2D()
            self.fusion3d = fusion_resnet3d(96, cfg.temporal)
            channels = 512
        else:
            self.features2d = Small2D(cfg.width)
            self.fusion3d = fusion_small(self.features2d.out_channels, cfg.width, cfg.temporal)
            channels = 4 * cfg.width
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(channels, cfg.n_classes)

    def frame_features(self, x: torch.Tensor) -> torch.Tensor:
        """The 2D part on every frame: (B, N, 3, H, W) -> (B, C, N, h, w), stacked along time."""
        b, n = x.shape[:2]
        frames = x.flatten(0, 1)                                           # (B·N, 3, H, W)
        if frames.shape[-1] != self.cfg.image_size or frames.shape[-2] != self.cfg.image_size:
            frames = F.interpolate(frames, size=(self.cfg.image_size,) * 2, mode="bilinear", align_corners=False)
        f = self.features2d(frames)                                        # (B·N, C, h, w)
        return f.view(b, n, *f.shape[1:]).transpose(1, 2)                  # (B, C, N, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.fusion3d(self.frame_features(x))                          # (B, C', N', h', w')
        if self.cfg.temporal:
            return self.head(self.dropout(g.mean(dim=(2, 3, 4))))          # (B, K)
        per_frame = self.head(self.dropout(g.mean(dim=(3, 4)).transpose(1, 2)))   # (B, N, K) a score per frame
        return per_frame.mean(dim=1)                                       # (B, K) frame averaging


def build_eco(cfg: ECOConfig, seed: int = 0) -> ECO:
    """An ECO (or twin) with initial weights drawn from ``seed`` (PyTorch's default initialization), without
    touching the global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return ECO(cfg)


def twin_config(cfg: ECOConfig) -> ECOConfig:
    """The frame-averaging twin of ``cfg``: the same everything, no temporal fusion."""
    return replace(cfg, temporal=False)


def normalize_clips(frames: torch.Tensor) -> torch.Tensor:
    """uint8 frames (B, N, H, W, 3) -> float32 (B, N, 3, H, W), (x / 255 − 0.5) / 0.25."""
    x = frames.permute(0, 1, 4, 2, 3).float()
    return (x / 255.0 - 0.5) / 0.25


__all__ = ["BNInception2D", "ECO", "ECOConfig", "LITE_SEGMENTS", "LITE_SIZE", "VARIANTS", "build_eco",
           "normalize_clips", "twin_config"]
