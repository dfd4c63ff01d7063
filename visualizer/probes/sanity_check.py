"""Adebayo et al.'s sanity check for saliency maps: randomize the weights layer by layer from the top and see
whether the maps change.  Qt-free; imports torch inside the functions.

Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim, "Sanity Checks for Saliency Maps", NeurIPS 2018, sec. 3
(cascading randomization): the classifier's top layer is re-initialized first, then each layer below it in
turn, and each method's map is compared with the trained network's by the Spearman rank correlation of the
absolute values.  A map that stays the same while the weights that produce the decision are destroyed was never
explaining the model (it shows the image's edges instead).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SANITY_METHODS = ("Grad-CAM", "saliency", "integrated gradients")


def explain(inspected, x, target: int, method: str) -> np.ndarray:
    """One map (H, W) float32 of class ``target`` for image x (1, C, H, W): "Grad-CAM", "Grad-CAM++" (at the
    inspected network's ``cam_layer``) or a method of :mod:`visualizer.probes.attribution`.  Raises ValueError
    for an unknown method."""
    from visualizer.probes.attribution import attributions
    from visualizer.probes.gradcam import grad_cam

    if method in ("Grad-CAM", "Grad-CAM++"):
        return grad_cam(inspected.model, inspected.layers[inspected.cam_layer], x, target,
                        plus_plus=method == "Grad-CAM++")
    return attributions(inspected.model, x, target, methods=(method,))[method]


def randomization_units(model) -> list[tuple[str, list]]:
    """The layers cascading randomization re-initializes, top (logits) first: each Conv2d or Linear with the
    BatchNorm that follows it, as (name, modules)."""
    from torch import nn

    units: list[tuple[str, list]] = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            units.append((name, [m]))
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and units:
            units[-1][1].append(m)
    return units[::-1]


def rank_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of |a| and |b| over the pixels (Adebayo et al. 2018, sec. 3); NaN when either
    map is constant (e.g. a Grad-CAM that went all zero)."""
    from scipy.stats import spearmanr

    a, b = np.abs(np.ravel(a)), np.abs(np.ravel(b))
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


@dataclass
class SanityResult:
    """depths: "trained", then the name of each layer randomized so far (cumulative, top first), (D,);
    maps: method -> (D, H, W) float32; similarity: method -> (D,) float64 rank correlation with the trained map."""

    depths: list[str]
    maps: dict[str, np.ndarray]
    similarity: dict[str, np.ndarray]


def cascading_randomization(inspected, x, target: int, *, methods=SANITY_METHODS, max_depths: int = 8,
                            seed: int = 0) -> SanityResult:
    """Re-initialize the layers of a *copy* of ``inspected`` from the top, one more at a time, and compute each
    method's map of class ``target`` for x (1, C, H, W) after each step.  With more layers than ``max_depths``
    the maps are drawn at ``max_depths`` depths spread evenly (all layers are still randomized in order).  The
    inspected network is left untouched.  Raises ValueError for an unknown method."""
    import torch

    work = inspected.copy()
    units = randomization_units(work.model)
    shown = set(np.unique(np.linspace(1, len(units), min(max_depths, len(units))).round().astype(int)))
    depths = ["trained"]
    maps = {m: [explain(work, x, target, m)] for m in methods}
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for k, (name, modules) in enumerate(units, start=1):
            for mod in modules:
                mod.reset_parameters()
                if hasattr(mod, "reset_running_stats"):
                    mod.reset_running_stats()
            if k in shown:
                with torch.enable_grad():
                    for m in methods:
                        maps[m].append(explain(work, x, target, m))
                depths.append(inspected.display_name(name))
    stacked = {m: np.stack(v).astype(np.float32) for m, v in maps.items()}
    sim = {m: np.array([rank_similarity(v[0], v[i]) for i in range(len(v))]) for m, v in stacked.items()}
    return SanityResult(depths, stacked, sim)
