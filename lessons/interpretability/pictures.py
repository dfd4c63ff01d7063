"""The lesson's pictures as PlotData (Qt-free): feature maps, heat-map overlays with their share of mass on the
object, the sanity check's maps and similarities, the class probabilities."""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import BarsData, ImageGridData, MatrixData
from visualizer.probes.gradcam import mass_in_mask

HEAT = "inferno"              # perceptually uniform, colour-blind safe; bright = strong evidence
MAX_MAPS = 64                 # feature maps shown of one layer


def _rgb(image: np.ndarray) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) for display (grey repeated for one channel)."""
    img = np.asarray(image, np.float32).transpose(1, 2, 0)
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def inferno_rgb(values: np.ndarray) -> np.ndarray:
    """(H, W) in [0, 1] -> (H, W, 3) through matplotlib's inferno colour map (the colour bar's)."""
    from matplotlib import colormaps
    return colormaps[HEAT](np.clip(values, 0, 1))[..., :3].astype(np.float32)


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """A heat map (H, W) ≥ 0, scaled to its maximum, blended over the image (C, H, W): (H, W, 3) float32.  Where
    the map is weak the image shows through (the blend weight grows with the heat)."""
    h = np.abs(np.asarray(heat, np.float64))
    h = h / h.max() if h.max() > 0 else h
    w = (alpha * np.sqrt(h))[..., None]
    return ((1 - w) * _rgb(image) + w * inferno_rgb(h)).astype(np.float32)


def feature_maps(acts: np.ndarray, layer: str, channel: int) -> ImageGridData:
    """A layer's activation maps (K, h, w) for one image, each scaled by the layer's largest value; the
    selected channel's caption is marked."""
    acts = np.asarray(acts[:MAX_MAPS], np.float32)
    top = float(acts.max()) if acts.size and acts.max() > 0 else 1.0
    caps = [f"[{k}]" if k == channel else str(k) for k in range(len(acts))]
    colors = ["#d62728" if k == channel else "" for k in range(len(acts))]
    return ImageGridData(acts / top, caps, (0.0, 1.0), "viridis", ncols=int(np.ceil(np.sqrt(len(acts)))),
                         caption_colors=colors)


def heat_grid(image: np.ndarray, maps: dict[str, np.ndarray], mask: np.ndarray | None,
              first: str | None = None) -> ImageGridData:
    """The image (captioned ``first`` when given) followed by each map as an overlay; captions name the method
    and, when the object's mask is known, the share of the map's mass on the object."""
    tiles, caps = [], []
    if first is not None:
        tiles.append(_rgb(image))
        caps.append(first)
    for name, m in maps.items():        # name may carry a second line; the share goes last
        tiles.append(overlay(image, m))
        share = f"\non object {mass_in_mask(m, mask):.0%}" if mask is not None else ""
        caps.append(f"{name}{share}")
    return ImageGridData(np.stack(tiles), caps, (0.0, 1.0), HEAT, ncols=len(tiles))


def sanity_grid(result) -> ImageGridData:
    """Rows: methods; columns: randomization depth (trained, then cumulatively from the top); each tile |map| /
    its maximum, captioned with the rank correlation ρ to the trained map."""
    short = {"integrated gradients": "IG"}
    tiles, caps = [], []
    for method, maps in result.maps.items():
        for d, m in enumerate(maps):
            a = np.abs(m)
            tiles.append(a / a.max() if a.max() > 0 else a)
            rho = result.similarity[method][d]
            caps.append(short.get(method, method) if d == 0 else f"ρ {rho:.2f}" if np.isfinite(rho) else "flat")
    return ImageGridData(np.stack(tiles).astype(np.float32), caps, (0.0, 1.0), HEAT, ncols=len(result.depths))


def sanity_matrix(result) -> MatrixData:
    """Spearman ρ of each method's |map| with the trained one (rows: methods, columns: depth)."""
    vals = np.array([result.similarity[m] for m in result.maps], np.float64)
    cols = ["trained"] + [f"+{d}" for d in result.depths[1:]]
    return MatrixData(vals, list(result.maps), cols, "method", "layers randomized (from the top)", "RdBu_r",
                      "{:.2f}", (-1.0, 1.0))


def probabilities(probs: np.ndarray, class_names, top: int = 8) -> BarsData:
    """The largest class probabilities (top ``top``), highest first."""
    order = np.argsort(probs)[::-1][:top]
    return BarsData([str(class_names[i]) for i in order], probs[order].astype(np.float64), "probability")


def pictures(images: list[np.ndarray], captions: list[str]) -> ImageGridData:
    """Colour pictures (H, W, 3) in [0, 1] of one size side by side, square pixels, a caption each."""
    images = [np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a for a in images]     # grey networks' pictures
    return ImageGridData(np.stack(images).astype(np.float32), captions, (0.0, 1.0), "gray", ncols=len(images))


def resized(image: np.ndarray, side: int) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (side, side, 3) for display next to a picture of that size (bilinear)."""
    import torch
    import torch.nn.functional as F
    t = F.interpolate(torch.as_tensor(np.asarray(image, np.float32))[None], size=(side, side), mode="bilinear",
                      align_corners=False)[0].numpy()
    return _rgb(np.clip(t, 0, 1))
