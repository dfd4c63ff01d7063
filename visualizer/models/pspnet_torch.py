"""PSPNet: a dilated feature network, the pyramid pooling module and an auxiliary branch (PyTorch).

Zhao, Shi, Qi, Wang & Jia, "Pyramid Scene Parsing Network", CVPR 2017; Ogawa, *PyTorch advanced deep learning*
ch. 3 (the book's ``PSPNet``: ``FeatureMap_convolution``, ``ResidualBlockPSP`` with dilation, ``PyramidPooling``,
``DecodePSPFeature`` and ``AuxiliaryPSPlayers``).  Two feature modules share the head:

* ``variant="small"`` (default): a three-convolution stem, then four stages of two 3x3 convolutions with a
  residual connection; the last two stages keep the resolution and dilate by 2 and 4 (output stride 8, or 4 with
  ``output_stride=4``): trains on a CPU on 64 px scenes;
* ``variant="pspnet50"``: the book's dilated ResNet-50 (three-convolution stem, bottleneck blocks 3/4/6/3, dilation
  2 and 4 in the last two stages, output stride 8) for 475 px inputs (60x60 features).

The pyramid pooling module averages the features (B, C, h, w) into 1x1, 2x2, 3x3 and 6x6 bins, reduces each to
C/4 channels with a 1x1 convolution, upsamples them back to (h, w) and concatenates them with the features
(B, 2C, h, w).  ``ppm=False`` builds the twin without it (the decoder reads the features alone): what global
context adds.  Imports torch; import it only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = ("small", "pspnet50")
BOOK_BLOCKS = (3, 4, 6, 3)          # ResNet-50's bottleneck blocks per stage
BOOK_SIZE = 475                     # the book's input size (60x60 features)


@dataclass
class PSPNetConfig:
    """n_classes: output channels (background included); variant: one of :data:`VARIANTS`; width: channels of the
    small net's first stage (stages width, 2 width, 4 width, 4 width; ignored by pspnet50); output_stride: 8 or 4
    (small only; pspnet50 is 8); bins: the pyramid's pooled sizes; ppm: False builds the twin without pyramid
    pooling; aux: the auxiliary branch on the third stage; dropout: before each classifier (the book's 0.1).
    Raises ValueError for an unknown variant, output stride or empty bins."""

    n_classes: int = 6
    variant: str = "small"
    width: int = 16
    output_stride: int = 8
    bins: tuple[int, ...] = (1, 2, 3, 6)
    ppm: bool = True
    aux: bool = True
    dropout: float = 0.1
    in_channels: int = 3

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {self.variant!r}")
        if self.output_stride not in (4, 8):
            raise ValueError(f"output_stride must be 4 or 8, not {self.output_stride}")
        if not self.bins or min(self.bins) < 1:
            raise ValueError(f"bins must be positive sizes, got {self.bins}")
        self.bins = tuple(int(b) for b in self.bins)


def conv_bn_relu(c_in: int, c_out: int, k: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """Conv (padding keeps the size at stride 1) -> BatchNorm -> ReLU: (B, c_in, H, W) -> (B, c_out, H/s, W/s)."""
    pad = dilation * (k - 1) // 2
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (a 1x1 projection when the shape changes), as in ResNet-18:
    (B, c_in, H, W) -> (B, c_out, H/stride, W/stride)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = conv_bn_relu(c_in, c_out, 3, stride, dilation)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out else
                         nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn2(self.conv2(self.conv1(x))) + self.shortcut(x))


class Bottleneck(nn.Module):
    """ResNet's bottleneck (1x1 reduce, 3x3 with stride and dilation, 1x1 expand) and a shortcut: the book's
    ``bottleNeckPSP`` (first block of a stage, projection shortcut) and ``bottleNeckIdentifyPSP`` (identity).
    (B, c_in, H, W) -> (B, c_out, H/stride, W/stride)."""

    def __init__(self, c_in: int, mid: int, c_out: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.reduce = conv_bn_relu(c_in, mid, 1)
        self.conv = conv_bn_relu(mid, mid, 3, stride, dilation)
        self.expand = nn.Sequential(nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out else
                         nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.expand(self.conv(self.reduce(x))) + self.shortcut(x))


def bottleneck_stage(n: int, c_in: int, mid: int, c_out: int, stride: int, dilation: int) -> nn.Sequential:
    """n bottleneck blocks; the first changes the shape (the book's ``ResidualBlockPSP``)."""
    return nn.Sequential(Bottleneck(c_in, mid, c_out, stride, dilation),
                         *(Bottleneck(c_out, mid, c_out, 1, dilation) for _ in range(n - 1)))


class PyramidPooling(nn.Module):
    """The pyramid pooling module: for each bin size b, adaptive average pooling to (b, b), a 1x1 convolution to
    C / len(bins) channels (BN, ReLU) and bilinear upsampling back to (h, w); the branches are concatenated with
    the input.  (B, C, h, w) -> (B, C + len(bins) * (C // len(bins)), h, w).  ``branches[i]`` is the module whose
    output (B, C // len(bins), b, b) a forward hook captures for the view (before upsampling)."""

    def __init__(self, channels: int, bins: tuple[int, ...]) -> None:
        super().__init__()
        self.bins = tuple(bins)
        reduced = channels // len(bins)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), conv_bn_relu(channels, reduced, 1)) for b in bins)
        self.out_channels = channels + reduced * len(bins)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        pooled = [F.interpolate(branch(x), size=(h, w), mode="bilinear", align_corners=True)   # (B, C/4, h, w)
                  for branch in self.branches]
        return torch.cat([x, *pooled], dim=1)                                                  # (B, 2C, h, w)


class SegmentationHead(nn.Module):
    """3x3 conv (BN, ReLU), dropout, 1x1 conv to class logits: the book's ``DecodePSPFeature`` and
    ``AuxiliaryPSPlayers``.  (B, c_in, h, w) -> (B, n_classes, h, w)."""

    def __init__(self, c_in: int, mid: int, n_classes: int, dropout: float) -> None:
        super().__init__()
        self.conv = conv_bn_relu(c_in, mid, 3)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(mid, n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.conv(x)))


def small_features(cfg: PSPNetConfig) -> tuple[nn.Module, ...]:
    """The small feature module's five parts: stem (stride 4), stage 1, stage 2 (stride 2 when the output stride
    is 8), stage 3 (dilation 2), stage 4 (dilation 4).  Channels: w, w, 2w, 4w, 4w."""
    w = cfg.width
    stem = nn.Sequential(conv_bn_relu(cfg.in_channels, w, 3, 2), conv_bn_relu(w, w), nn.MaxPool2d(3, 2, 1))
    s2 = 2 if cfg.output_stride == 8 else 1
    return (stem, BasicBlock(w, w), BasicBlock(w, 2 * w, s2), BasicBlock(2 * w, 4 * w, 1, 2),
            BasicBlock(4 * w, 4 * w, 1, 4))


def resnet50_features(cfg: PSPNetConfig) -> tuple[nn.Module, ...]:
    """The book's dilated ResNet-50: stem 3x3 convs 3->64 (stride 2), 64->64, 64->128 and a 3x3 max pool
    (stride 2); bottleneck stages 3/4/6/3 with outputs 256, 512 (stride 2), 1024 (dilation 2), 2048 (dilation 4).
    475 px -> 60x60 features."""
    stem = nn.Sequential(conv_bn_relu(cfg.in_channels, 64, 3, 2), conv_bn_relu(64, 64), conv_bn_relu(64, 128),
                         nn.MaxPool2d(3, 2, 1))
    n1, n2, n3, n4 = BOOK_BLOCKS
    return (stem, bottleneck_stage(n1, 128, 64, 256, 1, 1), bottleneck_stage(n2, 256, 128, 512, 2, 1),
            bottleneck_stage(n3, 512, 256, 1024, 1, 2), bottleneck_stage(n4, 1024, 512, 2048, 1, 4))


class PSPNet(nn.Module):
    """PSPNet.  forward(x (B, 3, H, W)) -> (logits (B, n_classes, H, W), aux logits (B, n_classes, H, W) or None).

    ``stem, stage1 .. stage4``: the feature module (stage 3's output feeds the auxiliary branch, stage 4's the
    pyramid); ``ppm``: :class:`PyramidPooling` (None in the twin without it); ``decoder``, ``aux``: the heads.
    Logits are upsampled bilinearly to the input size (Ogawa ch. 3; Zhao et al. 2017, sec. 3.3-3.4)."""

    def __init__(self, cfg: PSPNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        parts = small_features(cfg) if cfg.variant == "small" else resnet50_features(cfg)
        self.stem, self.stage1, self.stage2, self.stage3, self.stage4 = parts
        c3, c4 = (4 * cfg.width, 4 * cfg.width) if cfg.variant == "small" else (1024, 2048)
        self.ppm = PyramidPooling(c4, cfg.bins) if cfg.ppm else None
        c_dec = self.ppm.out_channels if self.ppm is not None else c4
        mid = max(c4 // 4, cfg.n_classes) if cfg.variant == "pspnet50" else c4
        self.decoder = SegmentationHead(c_dec, mid, cfg.n_classes, cfg.dropout)
        aux_mid = max(c3 // 4, 2 * cfg.n_classes)
        self.aux = SegmentationHead(c3, aux_mid, cfg.n_classes, cfg.dropout) if cfg.aux else None

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(stage 3's output (B, c3, h, w), stage 4's (B, c4, h, w)), h = H / output stride."""
        f3 = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return f3, self.stage4(f3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        size = x.shape[-2:]
        f3, f4 = self.features(x)
        z = self.ppm(f4) if self.ppm is not None else f4
        logits = F.interpolate(self.decoder(z), size=size, mode="bilinear", align_corners=True)   # (B, K, H, W)
        aux = None
        if self.aux is not None and self.training:
            aux = F.interpolate(self.aux(f3), size=size, mode="bilinear", align_corners=True)     # (B, K, H, W)
        return logits, aux


def build_pspnet(cfg: PSPNetConfig) -> PSPNet:
    """A PSPNet with PyTorch's default initialization (He-uniform convolutions), batch norm at (1, 0)."""
    return PSPNet(cfg)


def pspnet_loss(logits: torch.Tensor, aux: torch.Tensor | None, target: torch.Tensor, aux_weight: float,
                ignore_index: int = -1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The book's ``PSPLoss``: cross-entropy of the main logits plus ``aux_weight`` (0.4) times that of the
    auxiliary logits.  logits, aux: (B, K, H, W); target: (B, H, W) int64 with ``ignore_index`` for void pixels.
    Returns (total, main, aux) scalars (aux 0 when ``aux`` is None)."""
    main = F.cross_entropy(logits, target, ignore_index=ignore_index)
    if aux is None:
        return main, main, torch.zeros((), device=logits.device)
    a = F.cross_entropy(aux, target, ignore_index=ignore_index)
    return main + aux_weight * a, main, a


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
