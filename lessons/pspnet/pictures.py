"""The ``pspnet`` lesson's pictures that need the network (torch imported inside the functions): what each part
of the decoder's input says about one class, captured with hooks (``visualizer.torch_backend.capture``)."""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import ImageGridData
from visualizer.probes.segmentation import branch_tiles


def ppm_evidence(net, x, class_index: int, bins: tuple[int, ...]) -> ImageGridData:
    """Activation × gradient of class ``class_index``'s mean logit at the pyramid pooling module's output, summed
    over each part's channels: the local features, then one tile per pyramid bin (upsampled to the feature map).
    net: a PSPNet with ``ppm``; x: (1, 3, H, W) normalized input.  Tiles (1 + len(bins), h, w) float32, a
    diverging colour map symmetric about 0.  The forward hook records the module's output and the backward hook
    its gradient (a first-order Taylor split of the score, as Grad-CAM's weighting; Selvaraju et al. 2017).  Runs
    in evaluation mode with ``torch.autograd.grad`` on the input, so no parameter gradient or batch-norm
    statistic changes; the hooks are removed afterwards."""
    import torch

    from visualizer.torch_backend.capture import Capture

    first = lambda t: t.detach()[0]                                          # noqa: E731  (C', h, w) whole
    acts = Capture({"ppm": net.ppm}, "activation", reduce=first)
    grads = Capture({"ppm": net.ppm}, "gradient", reduce=first)
    was_training = net.training
    net.eval()
    try:
        acts.request()
        grads.request()
        with torch.enable_grad():
            xi = x.detach().clone().requires_grad_(True)
            logits, _ = net(xi)                                              # (1, K, H, W)
            torch.autograd.grad(logits[0, class_index].mean(), xi)
        a, g = acts.latest()["ppm"], grads.latest()["ppm"]                  # (C + n·C/n, h, w)
    finally:
        acts.remove()
        grads.remove()
        net.train(was_training)
    contrib = a * g                                                          # (C', h, w)
    r = net.ppm.branches[0][1][0].out_channels                              # channels of one branch
    c = a.shape[0] - r * len(bins)                                           # the features come first
    maps = [contrib[:c].sum(0)] + [contrib[c + i * r:c + (i + 1) * r].sum(0) for i in range(len(bins))]
    total = float(sum(m.sum() for m in maps))
    caps = ["local features"] + [f"bin {b} ({b}×{b})" for b in bins]
    caps = [f"{cap}: {m.sum() / (abs(total) or 1.0):+.0%}" for cap, m in zip(caps, maps)]
    return branch_tiles([m.astype(np.float32) for m in maps], caps)


def tile(items, ncols: int = 2, gap: int = 2):
    """Several mask overlays of one size side by side in one AnnotatedImageData (rows of ``ncols``, ``gap``
    white pixels between), captions joined.  items: AnnotatedImageData with (H, W, 3) images and (H, W) masks
    (or none)."""
    from visualizer.core.plotdata import AnnotatedImageData

    h, w = items[0].image.shape[:2]
    nrows = -(-len(items) // ncols)
    img = np.ones((nrows * h + (nrows - 1) * gap, ncols * w + (ncols - 1) * gap, 3), np.float32)
    mask = np.zeros(img.shape[:2], np.int64)
    for k, it in enumerate(items):
        r, c = divmod(k, ncols)
        y, x = r * (h + gap), c * (w + gap)
        img[y:y + h, x:x + w] = it.image
        if it.mask is not None:
            mask[y:y + h, x:x + w] = it.mask
    caption = " | ".join(it.caption for it in items if it.caption)
    return AnnotatedImageData(img, mask=mask, mask_alpha=items[0].mask_alpha, class_names=items[0].class_names,
                              caption=caption)
