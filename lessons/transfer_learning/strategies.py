"""The three strategies of transfer learning as modules and optimizers, and how far their weights move.

Ogawa, *PyTorch advanced deep learning* ch. 1.3-1.5, and Chollet, *Deep Learning with Python* 2e ch. 8.3:

- **from scratch**: the same architecture with random weights, every layer trained at the base learning rate;
- **feature extraction**: the pretrained convolutional base frozen (no gradient, batch norm in inference mode),
  only the new classifier trained;
- **fine-tuning**: the pretrained base trained too, block by block at a lower learning rate (a multiplier per
  block, "discriminative learning rates" in Howard & Ruder 2018), with the blocks nearest the image frozen until
  the student unfreezes them from the top (Chollet ch. 8.3.2; Yosinski et al. 2014: lower layers are general).

Works on any VGG-like module with ``features`` (an nn.Sequential whose blocks end in MaxPool2d), ``avgpool``
and ``classifier``: the small VGG and torchvision's VGG-16.  Imports torch inside functions only.
"""
from __future__ import annotations

import math

STRATEGIES = ("from_scratch", "feature_extraction", "fine_tuning")
LABELS = {"from_scratch": "from scratch", "feature_extraction": "feature extraction", "fine_tuning": "fine-tuning"}
TIERS = ("bottom", "middle", "top")         # per-block learning-rate sliders: blocks nearest the image .. the top


def feature_blocks(net) -> list[list]:
    """The modules of ``net.features`` split into blocks, each ending at a MaxPool2d (VGG's stages), image side
    first.  Modules after the last pooling join the last block."""
    from torch import nn

    blocks, cur = [], []
    for m in net.features:
        cur.append(m)
        if isinstance(m, nn.MaxPool2d):
            blocks.append(cur)
            cur = []
    if cur:
        if blocks:
            blocks[-1].extend(cur)
        else:
            blocks.append(cur)
    return blocks


def block_params(net) -> list[list]:
    """Parameters of each block of ``net.features`` (image side first), then the classifier's, as lists."""
    groups = [[p for m in blk for p in m.parameters()] for blk in feature_blocks(net)]
    return groups + [list(net.classifier.parameters())]


def tier_of(block: int, n_blocks: int) -> str:
    """Which learning-rate slider drives ``block`` (0-based) of ``n_blocks``: the last block is "top", the first
    ceil((B − 1) / 2) blocks "bottom", the rest "middle" (small VGG: one each; VGG-16: 2, 2, 1)."""
    if block == n_blocks - 1:
        return "top"
    return "bottom" if block < math.ceil((n_blocks - 1) / 2) else "middle"


def block_lrs(base_lr: float, multipliers: dict[str, float], trainable: int, n_blocks: int) -> list[float]:
    """Learning rate of each fine-tuning param group: blocks (image side first), then the head.  Block b learns
    at base_lr × multipliers[tier_of(b)] when it is among the ``trainable`` top blocks, else 0 (frozen); the head
    always at base_lr."""
    first = n_blocks - max(0, min(trainable, n_blocks))
    lrs = [base_lr * multipliers[tier_of(b, n_blocks)] if b >= first else 0.0 for b in range(n_blocks)]
    return lrs + [base_lr]


def apply_trainable(net, optimizer, lrs: list[float]) -> None:
    """Write ``lrs`` (one per param group, as :func:`block_lrs` gives) into ``optimizer`` and freeze the blocks
    whose rate is 0: requires_grad off (no gradient is computed for them) and batch norm in inference mode
    (its running statistics stay the pretrained ones; Chollet ch. 8.3.2).  The optimizer's param groups must
    be :func:`block_params`' lists, in order."""
    blocks = feature_blocks(net)
    for group, lr, b in zip(optimizer.param_groups, lrs, range(len(lrs))):
        group["lr"] = lr
        if b < len(blocks):
            for p in group["params"]:
                p.requires_grad_(lr > 0)


def set_modes(net, frozen_blocks: int) -> None:
    """Training mode for the net, with inference mode for its ``frozen_blocks`` lowest blocks (batch norm keeps
    the pretrained statistics there) and training mode for the others (a block just unfrozen included).
    Cheap: called before every step because evaluation switches the whole net to inference mode and back."""
    if not net.training:
        net.train(True)
    for b, blk in enumerate(feature_blocks(net)):
        mode = b >= frozen_blocks
        for m in blk:
            if m.training != mode:
                m.train(mode)


def freeze(net) -> None:
    """Feature extraction: no gradient for any parameter of ``net.features``."""
    for p in net.features.parameters():
        p.requires_grad_(False)


def snapshot_weights(net) -> list:
    """Detached copies of each group's parameters (blocks, then head), flattened: the W₀ of
    :func:`relative_movement`."""
    import torch

    return [torch.cat([p.detach().flatten() for p in g]).clone() for g in block_params(net)]


def relative_movement(net, w0: list):
    """‖W − W₀‖ / ‖W₀‖ per group (blocks image side first, then the head) as a (B + 1,) tensor on the net's
    device: how far training has moved each block from where it started (the pretrained weights, or the random
    initialization for the model trained from scratch)."""
    import torch

    out = []
    for g, ref in zip(block_params(net), w0):
        w = torch.cat([p.detach().flatten() for p in g])
        out.append(torch.linalg.vector_norm(w - ref) / torch.linalg.vector_norm(ref).clamp_min(1e-12))
    return torch.stack(out)


def forward(net, x, mean, std):
    """Logits (N, K) and pooled features (N, C) of a VGG-like net for images x (N, 3, S, S) in [0, 1]:
    normalized with ``mean``/``std`` (tensors broadcastable to x), then ``features``; the logits through
    ``avgpool`` and ``classifier`` as the net's own forward does, the features averaged over space."""
    import torch

    maps = net.features((x - mean) / std)                                   # (N, C, h, w)
    logits = net.classifier(torch.flatten(net.avgpool(maps), 1))            # (N, K)
    return logits, maps.mean(dim=(2, 3))


def build_models(net, kind: str, n_classes: int, seed: int) -> dict:
    """The three models of the lesson from the pretrained ``net``, name -> module (STRATEGIES' names):

    fine_tuning and feature_extraction: copies of ``net`` with one new head (the same random weights, seed + 1):
    the whole classifier for the small VGG, the last Linear layer for VGG-16 (Ogawa ch. 1.3 replaces
    ``classifier[6]``, and feature extraction trains only that layer; fine-tuning trains the whole classifier at
    the head's rate, as Ogawa ch. 1.5 trains classifier[0] and [3] too); from_scratch: the same architecture with random weights (seed + 2) and that same new head,
    so the three differ only in where their base starts and what may change."""
    import copy

    import torch
    from torch import nn

    if kind == "small_vgg":
        from visualizer.models.small_vgg_torch import SmallVGGConfig, build_small_vgg
        ft = net.with_new_head(n_classes, seed + 1)
        c = net.cfg
        scratch = build_small_vgg(SmallVGGConfig(n_classes, c.widths, c.convs_per_block, c.hidden, c.dropout,
                                                 c.in_channels, c.batch_norm), seed + 2)
        scratch.classifier.load_state_dict(ft.classifier.state_dict())
    else:
        ft = copy.deepcopy(net)
        last = ft.classifier[-1]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            ft.classifier[-1] = nn.Linear(last.in_features, n_classes)
            scratch = copy.deepcopy(ft)
            torch.manual_seed(seed + 2)
            for m in scratch.modules():
                if m is not scratch.classifier[-1] and hasattr(m, "reset_parameters"):
                    m.reset_parameters()
    fe = copy.deepcopy(ft)
    freeze(fe)
    if kind != "small_vgg":                # Ogawa ch. 1.3: only the new classifier[6] learns on VGG-16
        for p in fe.classifier[:-1].parameters():
            p.requires_grad_(False)
    return {"from_scratch": scratch.train(), "feature_extraction": fe.train(), "fine_tuning": ft.train()}
