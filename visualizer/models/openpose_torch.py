"""OpenPose: a two-branch, multi-stage network for multi-person 2-D pose (PyTorch).

Cao, Simon, Wei & Sheikh, *Realtime multi-person 2D pose estimation using part affinity fields* (CVPR 2017), as
Ogawa's *PyTorch advanced deep learning* ch. 4 builds it (``OpenPoseNet``): a feature stem (VGG-19's first ten
convolutions and two 3×3 convolutions down to 128 channels), then T stages.  Each stage has two branches: one
regresses the confidence maps S (18 keypoints + background = 19 channels), the other the part affinity fields L
(19 limbs × (x, y) = 38 channels).  Stage 1 sees the features F; stage t ≥ 2 sees [F, S_{t−1}, L_{t−1}] and
refines the previous guess.  Every stage is supervised (intermediate supervision): the loss is the sum over
stages of the squared error of both branches (:func:`openpose_loss`).

Two variants share one builder (:func:`build_openpose`):

- ``"small"`` (default): a few narrow 3×3 layers with two 2×2 poolings (stride 4) and 2-3 stages, for 64 px
  generated scenes on a CPU;
- ``"openpose"``: the book's network at 368 px (stride 8 → 46×46 maps), 6 stages, stage 1 with 3×3
  convolutions, stages 2-6 with five 7×7 convolutions (about 52 M parameters, random initialization).

Imports torch at the top: import this module only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

N_HEAT = 19          # 18 keypoints + background
N_PAF = 38           # 19 limbs × (x, y)
VARIANTS = ("small", "openpose")
# VGG-19's first ten 3×3 convolutions (conv1_1 … conv4_2) with the three max poolings between its blocks.
VGG19_10 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512)


@dataclass(frozen=True)
class OpenPoseConfig:
    """Shape of the network.

    stem: the feature stem's layers, an int for a 3×3 convolution + ReLU with that many output channels and
    "M" for a 2×2 max pooling (the output stride is 2 ** number of "M"); features: the channels of the
    stem's last two 3×3 convolutions (the book's conv4_3_CPM 256 and conv4_4_CPM 128), i.e. the channels of F;
    stages: T ≥ 1; width: channels inside every branch; stage1_convs / stage1_kernel: the k×k convolutions of
    stage 1's branches; refine_convs / refine_kernel: those of stages 2..T; hidden: channels of the 1×1
    convolution before each branch's output (the book: 512 in stage 1, 128 later); refine_hidden: that of
    stages 2..T; n_heat, n_paf: output channels.  Raises ValueError for a size that cannot work."""

    stem: tuple = (16, "M", 32, "M")
    features: tuple[int, int] = (48, 32)
    stages: int = 3
    width: int = 32
    stage1_convs: int = 3
    stage1_kernel: int = 3
    refine_convs: int = 3
    refine_kernel: int = 5
    hidden: int = 64
    refine_hidden: int = 64
    n_heat: int = N_HEAT
    n_paf: int = N_PAF

    def __post_init__(self) -> None:
        if self.stages < 1:
            raise ValueError(f"OpenPose needs at least one stage, not {self.stages}")
        if any(k % 2 == 0 for k in (self.stage1_kernel, self.refine_kernel)):
            raise ValueError("kernel sizes must be odd (same padding)")
        if min(self.width, self.hidden, self.refine_hidden, *self.features) < 1:
            raise ValueError("channel counts must be positive")

    @property
    def stride(self) -> int:
        """Image pixels per map cell: 2 ** (number of poolings in the stem)."""
        return 2 ** sum(1 for s in self.stem if s == "M")

    @classmethod
    def book(cls, stages: int = 6) -> "OpenPoseConfig":
        """Ogawa ch. 4 / Cao et al.: VGG-19 conv1_1 … conv4_2, conv4_3_CPM 256, conv4_4_CPM 128, stage 1 with
        three 3×3 convolutions of 128 and a 1×1 of 512, stages 2-6 with five 7×7 convolutions of 128 and a
        1×1 of 128."""
        return cls(stem=VGG19_10, features=(256, 128), stages=stages, width=128, stage1_convs=3,
                   stage1_kernel=3, refine_convs=5, refine_kernel=7, hidden=512, refine_hidden=128)


def _branch(c_in: int, width: int, convs: int, kernel: int, hidden: int, c_out: int) -> nn.Sequential:
    """``convs`` k×k convolutions + ReLU, a 1×1 convolution to ``hidden`` + ReLU, a 1×1 to ``c_out`` (linear)."""
    layers: list[nn.Module] = []
    c = c_in
    for _ in range(convs):
        layers += [nn.Conv2d(c, width, kernel, padding=kernel // 2), nn.ReLU(inplace=True)]
        c = width
    layers += [nn.Conv2d(c, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, c_out, 1)]
    return nn.Sequential(*layers)


class Stage(nn.Module):
    """One stage: two branches over the same input.  x: (B, C_in, h, w) -> heat (B, n_heat, h, w),
    paf (B, n_paf, h, w)."""

    def __init__(self, c_in: int, cfg: OpenPoseConfig, first: bool) -> None:
        super().__init__()
        convs, kernel, hidden = ((cfg.stage1_convs, cfg.stage1_kernel, cfg.hidden) if first else
                                 (cfg.refine_convs, cfg.refine_kernel, cfg.refine_hidden))
        self.heat = _branch(c_in, cfg.width, convs, kernel, hidden, cfg.n_heat)
        self.paf = _branch(c_in, cfg.width, convs, kernel, hidden, cfg.n_paf)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heat(x), self.paf(x)


class OpenPoseNet(nn.Module):
    """The two-branch multi-stage network.  images (B, 3, H, W) -> a list of T pairs (heat (B, 19, H/s, W/s),
    paf (B, 38, H/s, W/s)), one per stage, s = ``cfg.stride``; the last pair is the prediction."""

    def __init__(self, cfg: OpenPoseConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c = 3
        for s in cfg.stem:
            if s == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, int(s), 3, padding=1), nn.ReLU(inplace=True)]
                c = int(s)
        for f in cfg.features:
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(inplace=True)]
            c = f
        self.features = nn.Sequential(*layers)
        refine_in = c + cfg.n_heat + cfg.n_paf
        self.stages = nn.ModuleList([Stage(c if t == 0 else refine_in, cfg, t == 0) for t in range(cfg.stages)])

    def forward(self, images: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        feat = self.features(images)                                   # (B, C, h, w)
        outs = []
        x = feat
        for stage in self.stages:
            heat, paf = stage(x)                                       # (B, 19, h, w), (B, 38, h, w)
            outs.append((heat, paf))
            x = torch.cat([feat, heat, paf], dim=1)                    # (B, C + 57, h, w)
        return outs


def build_openpose(variant: str = "small", stages: int | None = None, width: int | None = None,
                   seed: int | None = None) -> OpenPoseNet:
    """The network of ``variant`` ("small" or "openpose", :data:`VARIANTS`) with ``stages`` stages (default: 3
    for small, 6 for the book) and, for small, ``width`` channels per branch; random weights from ``seed`` when
    given.  Raises ValueError for an unknown variant."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    if variant == "openpose":
        cfg = OpenPoseConfig.book(stages or 6)
    else:
        base = OpenPoseConfig()
        cfg = OpenPoseConfig(stages=stages or base.stages, width=width or base.width)
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return OpenPoseNet(cfg)
    return OpenPoseNet(cfg)


def openpose_loss(outputs: list[tuple[torch.Tensor, torch.Tensor]], heat_target: torch.Tensor,
                  paf_target: torch.Tensor, mask: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Intermediate supervision (Cao et al. eq. 5-6; Ogawa ch. 4.5 ``OpenPoseLoss``): the sum over stages of
    the mean squared error of the confidence maps plus that of the PAFs.

    outputs: the network's list of (heat (B, 19, h, w), paf (B, 38, h, w)); heat_target, paf_target: the same
    shapes; mask: optional (B, 1, h, w) weights in [0, 1] (0 where a person is not annotated, COCO's crowd /
    unlabelled people), broadcast over channels.  Returns (total, per-stage losses).  Raises ValueError when
    shapes differ."""
    if not outputs:
        raise ValueError("no stage outputs")
    per_stage = []
    for heat, paf in outputs:
        if heat.shape != heat_target.shape or paf.shape != paf_target.shape:
            raise ValueError(f"outputs {tuple(heat.shape)}/{tuple(paf.shape)} do not match the targets "
                             f"{tuple(heat_target.shape)}/{tuple(paf_target.shape)}")
        if mask is None:
            loss = F.mse_loss(heat, heat_target) + F.mse_loss(paf, paf_target)
        else:
            loss = (((heat - heat_target) ** 2 * mask).mean() + ((paf - paf_target) ** 2 * mask).mean())
        per_stage.append(loss)
    return torch.stack(per_stage).sum(), per_stage
