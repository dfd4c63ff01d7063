"""SSD, the single-shot multibox detector (Liu et al. 2016, "SSD: Single Shot MultiBox Detector"; Ogawa,
*PyTorch advanced deep learning* ch. 2): default boxes, box encoding, jaccard matching, MultiBoxLoss with hard
negative mining, and the detection post-processing (softmax, confidence threshold, per-class NMS, top-k).

Boxes: default boxes are (cx, cy, w, h) normalized to [0, 1] of the image side; ground truth and detections are
(x0, y0, x1, y1) normalized the same way (corner form).  Class ids of the network are 0 = background and k + 1 for
object class k.

Two variants share this file: ``SSDConfig.small()``, a few-map SSD with batch norm that trains on the CPU on
64-pixel generated scenes, and ``SSDConfig.ssd300()``, the book's SSD300: VGG-16 base with an L2Norm on conv4_3,
dilated conv6 and 1x1 conv7, extras, source maps 38/19/10/5/3/1 with 4/6/6/6/4/4 boxes per cell: 8,732 default
boxes.  Imports torch: import this module lazily.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VARIANCES = (0.1, 0.2)            # the encoding's scales for centre offsets and log sizes (Liu et al. 2016)


@dataclass
class SSDConfig:
    """The detector's shape.

    image_size: input side in pixels; num_classes: object classes + 1 (background is class 0);
    feature_maps: each source map's side in cells; steps: pixels per cell of each map; min_sizes / max_sizes:
    each map's box sizes in pixels (the square boxes have sides min and sqrt(min * max)); aspect_ratios: the
    extra ratios of each map (2 means 2 and 1/2, 3 means 3 and 1/3); base: "small" (conv + batch norm blocks)
    or "vgg16" (the book's SSD300); width: channels of the small base's first block.  Raises ValueError when
    the lists' lengths differ."""

    image_size: int = 64
    num_classes: int = 6
    feature_maps: tuple[int, ...] = (16, 8, 4, 2)
    steps: tuple[float, ...] = (4, 8, 16, 32)
    min_sizes: tuple[float, ...] = (8, 18, 30, 44)
    max_sizes: tuple[float, ...] = (18, 30, 44, 60)
    aspect_ratios: tuple[tuple[int, ...], ...] = ((2,), (2, 3), (2, 3), (2,))
    base: str = "small"
    width: int = 16
    variances: tuple[float, float] = field(default=VARIANCES)

    def __post_init__(self) -> None:
        n = len(self.feature_maps)
        if not (len(self.steps) == len(self.min_sizes) == len(self.max_sizes) == len(self.aspect_ratios) == n):
            raise ValueError("feature_maps, steps, min_sizes, max_sizes and aspect_ratios need one entry per "
                             f"source map ({n})")
        if self.base not in ("small", "vgg16"):
            raise ValueError(f"base must be 'small' or 'vgg16', not {self.base!r}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes counts the background too: at least 2, got {self.num_classes}")

    @classmethod
    def ssd300(cls, num_classes: int = 21) -> "SSDConfig":
        """The book's SSD300 (Ogawa ch. 2.4; Liu et al. 2016 table 1): VOC's 20 classes + background."""
        return cls(image_size=300, num_classes=num_classes, feature_maps=(38, 19, 10, 5, 3, 1),
                   steps=(8, 16, 32, 64, 100, 300), min_sizes=(30, 60, 111, 162, 213, 264),
                   max_sizes=(60, 111, 162, 213, 264, 315), aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2,), (2,)),
                   base="vgg16")

    def boxes_per_cell(self) -> tuple[int, ...]:
        """Default boxes per cell of each source map: 2 squares + 2 per extra ratio (4 or 6)."""
        return tuple(2 + 2 * len(r) for r in self.aspect_ratios)

    def num_default_boxes(self) -> int:
        """All default boxes: sum over maps of side² x boxes per cell (8,732 for SSD300)."""
        return sum(f * f * k for f, k in zip(self.feature_maps, self.boxes_per_cell()))


def box_shapes(cfg: SSDConfig, k: int) -> list[str]:
    """Names of the boxes of one cell of source map ``k``, in :func:`default_boxes`' order: "1", "1'" (the larger
    square), then "2", "1/2", "3", "1/3"... per aspect ratio."""
    out = ["1", "1'"]
    for r in cfg.aspect_ratios[k]:
        out += [str(r), f"1/{r}"]
    return out


def default_boxes(cfg: SSDConfig) -> np.ndarray:
    """The default boxes (DBox) of every source map, (P, 4) float32 (cx, cy, w, h) in [0, 1] (clipped).

    Order: map by map; within a map row-major cells (row i, column j); within a cell the shapes of
    :func:`box_shapes`.  Cell centres are ((j + 0.5) / f_k, (i + 0.5) / f_k) with f_k = image_size / step
    (Ogawa ch. 2.4's DBox class; Liu et al. 2016 section 2.2)."""
    out = []
    for k, f in enumerate(cfg.feature_maps):
        f_k = cfg.image_size / cfg.steps[k]
        s = cfg.min_sizes[k] / cfg.image_size
        s_prime = math.sqrt(s * (cfg.max_sizes[k] / cfg.image_size))
        shapes = [(s, s), (s_prime, s_prime)]
        for r in cfg.aspect_ratios[k]:
            q = math.sqrt(r)
            shapes += [(s * q, s / q), (s / q, s * q)]
        for i, j in itertools.product(range(f), repeat=2):
            cx, cy = (j + 0.5) / f_k, (i + 0.5) / f_k
            out.extend((cx, cy, w, h) for w, h in shapes)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def default_box_index(cfg: SSDConfig, source: int, row: int, col: int) -> int:
    """Index into :func:`default_boxes` of the first box of cell (row, col) of source map ``source``.
    Raises IndexError outside the map."""
    f = cfg.feature_maps[source]
    if not (0 <= row < f and 0 <= col < f):
        raise IndexError(f"cell ({row}, {col}) is outside source map {source + 1} ({f}x{f})")
    per = cfg.boxes_per_cell()
    start = sum(cfg.feature_maps[m] ** 2 * per[m] for m in range(source))
    return start + (row * f + col) * per[source]


# ---- box arithmetic -----------------------------------------------------------------------------------------
def center_to_corners(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) (cx, cy, w, h) -> (..., 4) (x0, y0, x1, y1)."""
    return torch.cat([boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2], -1)


def encode(matched: torch.Tensor, priors: torch.Tensor, variances=VARIANCES) -> torch.Tensor:
    """Offsets the network learns: matched (..., P, 4) corner boxes against priors (P, 4) centre form ->
    (..., P, 4) ((cx - pcx) / (v0 pw), (cy - pcy) / (v0 ph), log(w / pw) / v1, log(h / ph) / v1)."""
    c = (matched[..., :2] + matched[..., 2:]) / 2
    wh = (matched[..., 2:] - matched[..., :2]).clamp_min(1e-6)
    return torch.cat([(c - priors[:, :2]) / (variances[0] * priors[:, 2:]),
                      torch.log(wh / priors[:, 2:]) / variances[1]], -1)


def decode(loc: torch.Tensor, priors: torch.Tensor, variances=VARIANCES) -> torch.Tensor:
    """The inverse of :func:`encode`: loc (..., P, 4) offsets -> (..., P, 4) corner boxes (x0, y0, x1, y1)."""
    c = priors[:, :2] + loc[..., :2] * variances[0] * priors[:, 2:]
    wh = priors[:, 2:] * torch.exp(loc[..., 2:] * variances[1])
    return torch.cat([c - wh / 2, c + wh / 2], -1)


def pairwise_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Jaccard overlap of corner boxes a (..., M, 4) and b (P, 4) or (..., P, 4) -> (..., M, P)."""
    lt = torch.maximum(a[..., :, None, :2], b[..., None, :, :2])
    rb = torch.minimum(a[..., :, None, 2:], b[..., None, :, 2:])
    inter = (rb - lt).clamp_min(0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).prod(-1)
    return inter / (area_a[..., :, None] + area_b[..., None, :] - inter).clamp_min(1e-12)


@dataclass
class Matching:
    """The targets of one batch: loc (B, P, 4) encoded offsets, conf (B, P) int64 class ids (0 background),
    overlap (B, P) each default box's best IoU with a ground truth, forced (B, P) bool the boxes that are some
    ground truth's best (positive whatever their IoU)."""

    loc: torch.Tensor
    conf: torch.Tensor
    overlap: torch.Tensor
    forced: torch.Tensor


def match(gt_boxes: torch.Tensor, gt_labels: torch.Tensor, priors: torch.Tensor, threshold: float = 0.5,
          variances=VARIANCES) -> Matching:
    """Jaccard matching (Liu et al. 2016 section 2.2; Ogawa ch. 2.6's ``match``), a whole batch at once.

    gt_boxes: (B, M, 4) float corner boxes in [0, 1], padded; gt_labels: (B, M) int64 object class (>= 0), -1
    for padding; priors: (P, 4) centre form.  Each ground truth's best default box is positive whatever its IoU,
    then every default box whose best IoU >= threshold takes that ground truth's class + 1; the rest are
    background."""
    valid = gt_labels >= 0                                                    # (B, M)
    iou = pairwise_iou(gt_boxes, center_to_corners(priors))                   # (B, M, P)
    iou = torch.where(valid[..., None], iou, torch.full_like(iou, -1.0))
    best_prior = iou.argmax(2)                                                # (B, M)
    overlap, truth = iou.max(1)                                               # (B, P), (B, P)
    b_idx, m_idx = valid.nonzero(as_tuple=True)
    p_idx = best_prior[b_idx, m_idx]
    forced = torch.zeros_like(overlap, dtype=torch.bool)
    forced[b_idx, p_idx] = True
    truth = truth.clone()
    truth[b_idx, p_idx] = m_idx
    boost = overlap.clone()
    boost[b_idx, p_idx] = 2.0
    matched = torch.gather(gt_boxes, 1, truth[..., None].expand(-1, -1, 4))       # (B, P, 4)
    labels = torch.gather(gt_labels, 1, truth) + 1                                  # (B, P)
    conf = torch.where(boost >= threshold, labels, torch.zeros_like(labels)).clamp_min(0)
    return Matching(encode(matched, priors, variances), conf, overlap.clamp_min(0), forced)


def hard_negatives(conf_loss: torch.Tensor, positive: torch.Tensor, neg_pos: float = 3.0) -> torch.Tensor:
    """Hard negative mining (Liu et al. 2016 section 2.2): per image, the background boxes with the largest
    confidence loss, at most neg_pos x the image's positives (and at most P - 1).

    conf_loss: (B, P) float per-box cross-entropy; positive: (B, P) bool -> (B, P) bool negatives kept."""
    loss = conf_loss.detach().masked_fill(positive, 0.0)
    order = loss.argsort(1, descending=True)
    rank = order.argsort(1)                                                   # (B, P) rank of each box's loss
    num_neg = (neg_pos * positive.sum(1, keepdim=True)).clamp(max=positive.shape[1] - 1)
    return (rank < num_neg) & ~positive


@dataclass
class MultiBoxLoss:
    """SSD's loss (Liu et al. 2016 eq. 1-3; Ogawa ch. 2.6): smooth L1 on the positives' offsets plus
    cross-entropy on the positives and the hard negatives, both divided by the number of positives N.

    ``__call__(loc (B, P, 4), conf (B, P, C), gt_boxes (B, M, 4), gt_labels (B, M), priors (P, 4))`` returns
    (loss_loc, loss_conf, positive (B, P) bool, negative (B, P) bool)."""

    threshold: float = 0.5
    neg_pos: float = 3.0
    variances: tuple[float, float] = VARIANCES

    def __call__(self, loc, conf, gt_boxes, gt_labels, priors):
        with torch.no_grad():
            t = match(gt_boxes, gt_labels, priors, self.threshold, self.variances)
        positive = t.conf > 0                                                 # (B, P)
        n = positive.sum().clamp_min(1).to(loc.dtype)
        loss_loc = F.smooth_l1_loss(loc[positive], t.loc[positive], reduction="sum") / n
        ce = F.cross_entropy(conf.flatten(0, 1), t.conf.flatten(), reduction="none").view(t.conf.shape)   # (B, P)
        negative = hard_negatives(ce, positive, self.neg_pos)
        loss_conf = ce[positive | negative].sum() / n
        return loss_loc, loss_conf, positive, negative


def detect(loc: torch.Tensor, conf: torch.Tensor, priors: torch.Tensor, conf_threshold: float = 0.01,
           nms_iou: float = 0.45, top_k: int = 200, variances=VARIANCES) -> list[dict[str, torch.Tensor]]:
    """Detections per image (Ogawa ch. 2.5's Detect; Liu et al. 2016 section 3): softmax over classes, the
    (box, class) pairs scoring above ``conf_threshold``, NMS per class at ``nms_iou``
    (``torchvision.ops.batched_nms``), the ``top_k`` best.

    loc (B, P, 4), conf (B, P, C) logits -> one dict per image: boxes (n, 4) corner form in [0, 1], scores (n,),
    labels (n,) int64 object class (0-based, background excluded)."""
    from torchvision.ops import batched_nms

    probs = conf.softmax(-1)[..., 1:]                                         # (B, P, C - 1)
    boxes = decode(loc, priors, variances).clamp(0, 1)                        # (B, P, 4)
    out = []
    for b in range(loc.shape[0]):
        keep = probs[b] > conf_threshold                                      # (P, C - 1)
        p_idx, c_idx = keep.nonzero(as_tuple=True)
        scores = probs[b][p_idx, c_idx]
        if len(scores) > 20 * top_k:                                          # cap the NMS work
            scores, top = scores.topk(20 * top_k)
            p_idx, c_idx = p_idx[top], c_idx[top]
        bx = boxes[b][p_idx]
        kept = batched_nms(bx, scores, c_idx, nms_iou)[:top_k]
        out.append({"boxes": bx[kept], "scores": scores[kept], "labels": c_idx[kept]})
    return out


# ---- the network ----------------------------------------------------------------------------------------------
class L2Norm(nn.Module):
    """Channel-wise L2 normalization with a learned scale per channel (Liu et al. 2016 section 3.1, from ParseNet),
    initialized to 20.  x (B, C, H, W) -> (B, C, H, W)."""

    def __init__(self, channels: int, scale: float = 20.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), float(scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight.view(1, -1, 1, 1) * x / x.norm(dim=1, keepdim=True).clamp_min(1e-10)


def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def vgg16_layers() -> nn.ModuleList:
    """The book's VGG-16 base (Ogawa ch. 2.4 ``make_vgg``): 13 3x3 conv layers with ReLU and pooling
    (pool 3 with ceil mode: 75 -> 38), pool 5 3x3 stride 1, conv6 3x3 dilation 6 (1024), conv7 1x1 (1024).
    Index 22 is conv4_3's ReLU (source 1); the last is conv7's ReLU (source 2)."""
    layers: list[nn.Module] = []
    cin = 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "MC", 512, 512, 512, "M", 512, 512, 512):
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        elif v == "MC":
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
            cin = v
    layers += [nn.MaxPool2d(3, 1, 1), nn.Conv2d(512, 1024, 3, padding=6, dilation=6), nn.ReLU(inplace=True),
               nn.Conv2d(1024, 1024, 1), nn.ReLU(inplace=True)]
    return nn.ModuleList(layers)


VGG_SOURCE1 = 23          # layers[:23] end at conv4_3's ReLU (38 x 38 x 512 for 300 px)


class SSD(nn.Module):
    """Base network + extras + one loc and one conf 3x3 head per source map.

    forward(x (B, 3, S, S)) -> (loc (B, P, 4), conf (B, P, C)); ``self.priors`` (P, 4) is a buffer with
    :func:`default_boxes`.  After a forward, ``self.sources`` holds the source maps (list of (B, C_k, f_k, f_k)).
    Raises ValueError when a source map's size does not match the config (checked at the first forward)."""

    def __init__(self, cfg: SSDConfig) -> None:
        super().__init__()
        self.cfg = cfg
        per = cfg.boxes_per_cell()
        if cfg.base == "vgg16":
            self.vgg = vgg16_layers()
            self.l2norm = L2Norm(512)
            self.extras = nn.ModuleList([
                nn.Conv2d(1024, 256, 1), nn.Conv2d(256, 512, 3, 2, 1),       # 10 x 10
                nn.Conv2d(512, 128, 1), nn.Conv2d(128, 256, 3, 2, 1),        # 5 x 5
                nn.Conv2d(256, 128, 1), nn.Conv2d(128, 256, 3),              # 3 x 3
                nn.Conv2d(256, 128, 1), nn.Conv2d(128, 256, 3)])             # 1 x 1
            channels = [512, 1024, 512, 256, 256, 256]
        else:
            w = cfg.width
            n_maps = len(cfg.feature_maps)
            # stem to the first source map: image_size / steps[0] cells (64 px / 4 = 16 for the default)
            n_down = int(round(math.log2(cfg.steps[0])))
            stem, cin = [], 3
            for i in range(n_down):
                cout = w * min(2 ** i, 4)
                stem += [_conv_bn(cin, cout), _conv_bn(cout, cout, 2)]
                cin = cout
            stem += [_conv_bn(cin, 2 * cin)]
            self.stem = nn.Sequential(*stem)
            cin *= 2
            channels = [cin]
            blocks = []
            for _ in range(n_maps - 1):                                        # each next map halves the side
                cout = min(cin * 2, 4 * w * 2)
                blocks.append(nn.Sequential(_conv_bn(cin, cout, 2), _conv_bn(cout, cout)))
                channels.append(cout)
                cin = cout
            self.blocks = nn.ModuleList(blocks)
        self.loc = nn.ModuleList(nn.Conv2d(c, k * 4, 3, padding=1) for c, k in zip(channels, per))
        self.conf = nn.ModuleList(nn.Conv2d(c, k * cfg.num_classes, 3, padding=1) for c, k in zip(channels, per))
        self.register_buffer("priors", torch.as_tensor(default_boxes(cfg)), persistent=False)
        self.sources: list[torch.Tensor] = []
        self._checked = False

    def source_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The source maps of x (B, 3, S, S): list of (B, C_k, f_k, f_k)."""
        if self.cfg.base == "vgg16":
            for layer in self.vgg[:VGG_SOURCE1]:
                x = layer(x)
            out = [self.l2norm(x)]                                            # (B, 512, 38, 38)
            for layer in self.vgg[VGG_SOURCE1:]:
                x = layer(x)
            out.append(x)                                                     # (B, 1024, 19, 19)
            for i, layer in enumerate(self.extras):
                x = F.relu(layer(x), inplace=True)
                if i % 2 == 1:
                    out.append(x)                                             # 10, 5, 3, 1
            return out
        x = self.stem(x)
        out = [x]
        for block in self.blocks:
            x = block(x)
            out.append(x)
        return out

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        sources = self.source_maps(x)
        if not self._checked:
            sizes = tuple(s.shape[-1] for s in sources)
            if sizes != tuple(self.cfg.feature_maps):
                raise ValueError(f"source maps are {sizes} for a {x.shape[-1]} px input; the config expects "
                                 f"{tuple(self.cfg.feature_maps)}")
            self._checked = True
        self.sources = sources
        b, c = x.shape[0], self.cfg.num_classes
        loc = torch.cat([h(s).permute(0, 2, 3, 1).reshape(b, -1, 4) for h, s in zip(self.loc, sources)], 1)
        conf = torch.cat([h(s).permute(0, 2, 3, 1).reshape(b, -1, c) for h, s in zip(self.conf, sources)], 1)
        return loc, conf                                                      # (B, P, 4), (B, P, C)


__all__ = ["L2Norm", "Matching", "MultiBoxLoss", "SSD", "SSDConfig", "VARIANCES", "box_shapes", "center_to_corners",
           "decode", "default_box_index", "default_boxes", "detect", "encode", "hard_negatives", "match",
           "pairwise_iou", "vgg16_layers"]
