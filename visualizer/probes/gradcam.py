"""Grad-CAM and Grad-CAM++: where in the image a convolutional layer saw evidence for a class.  Qt-free; imports
torch inside the functions.

Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
ICCV 2017; Chollet, *Deep Learning with Python* 2e, ch. 9.4.3): the class score's gradient with respect to the
layer's feature maps A (K, h, w), averaged over space, weighs each map; the map is ReLU(Σ_k w_k A_k), upsampled
bilinearly to the image.  Grad-CAM++ (Chattopadhay et al., WACV 2018, eq. 19 with the exponential score) weighs
each position of each map by α = g² / (2 g² + Σ_ab A_ab g³), so several objects of a class all count, and
w_k = Σ_ij α_ij ReLU(g_ij).
"""
from __future__ import annotations

import numpy as np


def layer_and_gradient(model, layer, x, target: int):
    """The output A of ``layer`` (1, K, h, w) and d score_target / dA for one image x (1, C, H, W), as float64
    host arrays (K, h, w) each, with the logits (n_classes,).  The model's parameter gradients are untouched."""
    import torch

    store = {}

    def hook(_module, _inputs, output):
        store["a"] = output

    handle = layer.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            xx = x.detach().clone().requires_grad_(True)       # a graph even when the weights are frozen
            logits = model(xx)                                                    # (1, n_classes)
            a = store["a"]
            (grad,) = torch.autograd.grad(logits[0, int(target)], a)
    finally:
        handle.remove()
    return (a[0].detach().double().cpu().numpy(), grad[0].double().cpu().numpy(),
            logits[0].detach().double().cpu().numpy())


def _upsample(cam: np.ndarray, size: tuple[int, int]):
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(cam, dtype=torch.float32)[None, None]
    return F.interpolate(t, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


def grad_cam(model, layer, x, target: int, *, plus_plus: bool = False) -> np.ndarray:
    """Grad-CAM (or Grad-CAM++ with ``plus_plus``) of class ``target`` at ``layer`` for one image.

    model: a torch classifier in eval mode; layer: one of its modules (its output (1, K, h, w) is A);
    x: (1, C, H, W) float32 tensor.  Returns (H, W) float32 ≥ 0, scaled so its maximum is 1 (all zeros when no
    position has positive evidence).  Raises ValueError if the layer's output is not a feature map."""
    a, g, _ = layer_and_gradient(model, layer, x, target)
    if a.ndim != 3:
        raise ValueError(f"Grad-CAM needs a convolutional layer's feature maps, got an output of shape {a.shape}")
    if plus_plus:
        g2, g3 = g ** 2, g ** 3
        denom = 2.0 * g2 + a.sum(axis=(1, 2), keepdims=True) * g3
        alpha = np.where(denom != 0.0, g2 / np.where(denom != 0.0, denom, 1.0), 0.0)    # (K, h, w)
        weights = (alpha * np.maximum(g, 0.0)).sum(axis=(1, 2))                         # (K,)
    else:
        weights = g.mean(axis=(1, 2))                                                   # (K,)
    cam = np.maximum((weights[:, None, None] * a).sum(axis=0), 0.0)                     # (h, w)
    cam = np.maximum(_upsample(cam, tuple(x.shape[-2:])), 0.0)                          # (H, W)
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).astype(np.float32)


def mass_in_mask(attribution: np.ndarray, mask: np.ndarray) -> float:
    """Share of an attribution map's mass inside the object's mask: Σ|m|·mask / Σ|m|.

    attribution: (H, W) float; mask: (H, W) bool.  Returns a float in [0, 1] (NaN for an all-zero map).  Raises
    ValueError when the shapes differ."""
    m = np.abs(np.asarray(attribution, np.float64))
    mask = np.asarray(mask, bool)
    if m.shape != mask.shape:
        raise ValueError(f"attribution {m.shape} and mask {mask.shape} differ in shape")
    total = m.sum()
    return float(m[mask].sum() / total) if total > 0 else float("nan")
