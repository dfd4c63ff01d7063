"""Pixel attributions with Captum: saliency, integrated gradients and occlusion for one image and one class.
Qt-free; imports torch and captum inside the functions.

Saliency (Simonyan, Vedaldi & Zisserman, ICLR workshop 2014): |∂S_c/∂x|, the largest over colour channels.
Integrated gradients (Sundararajan, Taly & Yan, ICML 2017): (x − x′) ∫ ∂S_c/∂x(x′ + α(x − x′)) dα from a black
baseline x′, summed over channels (its values add up to S_c(x) − S_c(x′)).  Occlusion (Zeiler & Fergus, ECCV
2014): how much the class score drops when a grey square hides each place.  All three are computed by Captum
(``captum.attr``), a library its authors keep; this module only chooses the settings and reduces the channels.
"""
from __future__ import annotations

import numpy as np

METHODS = ("saliency", "integrated gradients", "occlusion")


def occlusion_window(size: int) -> tuple[int, int]:
    """Occluding square side and stride for an image side ``size``: about a fifth of the image, half-overlapping."""
    side = max(2, round(size / 5))
    return side, max(1, side // 2)


def attributions(model, x, target: int, *, methods=METHODS, ig_steps: int = 32) -> dict[str, np.ndarray]:
    """The attribution maps of class ``target`` for one image.

    model: a torch classifier in eval mode; x: (1, C, H, W) float32 tensor in [0, 1].  Returns method name ->
    (H, W) float32: saliency ≥ 0; integrated gradients and occlusion signed (positive: evidence for the class).
    Raises ValueError for an unknown method name."""
    import torch
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown attribution methods {sorted(unknown)}; choose from {METHODS}")
    x = x.detach()
    out: dict[str, np.ndarray] = {}
    with torch.enable_grad():
        if "saliency" in methods:
            s = Saliency(model).attribute(x.clone().requires_grad_(True), target=int(target), abs=True)
            out["saliency"] = s[0].amax(dim=0).detach().cpu().numpy().astype(np.float32)          # (H, W)
        if "integrated gradients" in methods:
            ig = IntegratedGradients(model).attribute(x.clone().requires_grad_(True), baselines=torch.zeros_like(x),
                                                      target=int(target), n_steps=int(ig_steps))
            out["integrated gradients"] = ig[0].sum(dim=0).detach().cpu().numpy().astype(np.float32)
    if "occlusion" in methods:
        side, stride = occlusion_window(int(x.shape[-1]))
        c = int(x.shape[1])
        with torch.no_grad():
            occ = Occlusion(model).attribute(x, target=int(target), sliding_window_shapes=(c, side, side),
                                             strides=(c, stride, stride), baselines=0.5,
                                             perturbations_per_eval=16)
        out["occlusion"] = occ[0].mean(dim=0).cpu().numpy().astype(np.float32)
    return out
