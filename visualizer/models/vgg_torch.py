"""VGG-16 and VGG-19 (Simonyan & Zisserman 2015, configurations D and E) laid out as torchvision lays them out.

The modules carry torchvision's names: ``features`` (an nn.Sequential of 3×3 convolutions with padding 1, each
followed by a ReLU, and a 2×2 max pooling after each block), ``avgpool`` (adaptive average pooling to 7×7) and
``classifier`` (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear), so the state-dict keys are exactly
torchvision's (``features.0.weight`` ... ``classifier.6.bias``) and a torchvision checkpoint loads into it.  A
``width_div`` divides every convolution's channel count, which gives the same keys with small shapes (the tests
load such a state dict; Ogawa, *PyTorch advanced deep learning* ch. 1, uses the full width).  The ReLUs are not
in-place, so forward and backward hooks see each convolution's own output.  Imports torch at the top: import
this module lazily.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

# Output channels per convolution, "M" a 2×2 max pooling (configurations D and E of the paper, table 1).
LAYOUTS: dict[str, tuple[int | str, ...]] = {
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"),
}


@dataclass(frozen=True)
class VGGConfig:
    """arch: "vgg16" or "vgg19"; width_div: divides every convolution's channels (1 = the paper's widths);
    hidden: width of the two hidden classifier layers (4096 in the paper); n_classes: logits K (1000 for
    ImageNet); dropout: the classifier's dropout probability.  Raises ValueError for an unknown arch or a
    width_div that does not divide 64."""

    arch: str = "vgg16"
    width_div: int = 1
    hidden: int = 4096
    n_classes: int = 1000
    dropout: float = 0.5

    def __post_init__(self) -> None:
        if self.arch not in LAYOUTS:
            raise ValueError(f"unknown VGG architecture {self.arch!r}; choose from {', '.join(LAYOUTS)}")
        if self.width_div < 1 or 64 % self.width_div:
            raise ValueError(f"width_div must divide 64, got {self.width_div}")
        if self.hidden < 1 or self.n_classes < 1:
            raise ValueError(f"hidden and n_classes must be >= 1, got {self.hidden}, {self.n_classes}")


class VGG(nn.Module):
    """x: (N, 3, H, W) float32, ImageNet-normalized (mean/std of :mod:`visualizer.data.vgg_weights`), H, W >= 32
    -> logits (N, n_classes).  Five blocks halve the image side each; the 7×7 adaptive pooling makes the
    classifier's input (N, 512 / width_div * 49) whatever the image size."""

    def __init__(self, cfg: VGGConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c_in = 3
        for item in LAYOUTS[cfg.arch]:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                c_out = int(item) // cfg.width_div
                layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.ReLU(inplace=False)]
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(c_in * 7 * 7, cfg.hidden), nn.ReLU(inplace=False), nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(inplace=False), nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.n_classes))
        for m in self.modules():                 # He initialization for convolutions, small normal for linears
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.avgpool(self.features(x))                                    # (N, C, 7, 7)
        return self.classifier(torch.flatten(h, 1))                           # (N, K)
