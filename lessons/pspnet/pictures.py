"""The ``pspnet`` lesson's pictures that need the network (torch imported inside the functions): what each part
of the decoder's input says about one class, captured with hooks (``visualizer.torch_backend.capture``)."""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import ImageGridData
from visualizer.probes.segmentation import branch_tiles


def ppm_evidence(net, x, class_index: int, bins: tuple[int, ...], class_name: str = "class") -> ImageGridData:
    """What each part of the decoder's input says about class ``class_index``: activation × gradient of the class's
    mean logit, summed over channels, for the local features (the first C channels of the pyramid pooling
    module's output, (h, w)) and for each pyramid branch's pooled output before upsampling ((b, b) for bin b,
    drawn as b x b cells).  A first-order Taylor split of the score (the weighting of Grad-CAM, Selvaraju et al.
    2017): the tiles' sums add up to the score's linear part.  net: a PSPNet with ``ppm``; x: (1, 3, H, W)
    normalized input.  Tiles (1 + len(bins), h, w) float32 (each cell's share spread over the feature-map
    pixels it covers, so that the tiles are comparable) on a diverging colour map symmetric about 0, captions
    with each part's share.  Forward hooks record the outputs and backward hooks their gradients
    (``visualizer.torch_backend.capture``); evaluation mode and ``torch.autograd.grad`` on the input, so no
    parameter gradient or batch-norm statistic changes; the hooks are removed afterwards."""
    import torch

    from visualizer.torch_backend.capture import Capture

    modules = {"features": net.ppm} | {f"bin {b}": branch for b, branch in zip(bins, net.ppm.branches)}
    first = lambda t: t.detach()[0]                                          # noqa: E731  (C, h, w), all channels
    acts = Capture(modules, "activation", reduce=first)
    grads = Capture(modules, "gradient", reduce=first)
    was_training = net.training
    net.eval()
    try:
        acts.request()
        grads.request()
        with torch.enable_grad():
            xi = x.detach().clone().requires_grad_(True)
            logits, _ = net(xi)                                              # (1, K, H, W)
            torch.autograd.grad(logits[0, class_index].mean(), xi)
        a, g = acts.latest(), grads.latest()
    finally:
        acts.remove()
        grads.remove()
        net.train(was_training)
    c = a["features"].shape[0] - sum(a[f"bin {b}"].shape[0] for b in bins)   # the features come first
    maps = [(a["features"][:c] * g["features"][:c]).sum(0)]                   # (h, w)
    maps += [(a[f"bin {b}"] * g[f"bin {b}"]).sum(0) for b in bins]          # (b, b)
    total = float(sum(m.sum() for m in maps))
    caps = [f"{class_name}: local"] + [f"bin {b} ({b}×{b})" for b in bins]
    caps = [f"{cap} / {m.sum() / (abs(total) or 1.0):+.0%}" for cap, m in zip(caps, maps)]   # " / ": 2 lines
    h, w = maps[0].shape
    density = [m * (m.shape[0] * m.shape[1] / (h * w)) for m in maps]      # per feature-map pixel: comparable
    return branch_tiles([m.astype(np.float32) for m in density], caps, ncols=3)     # 2 rows: larger tiles

