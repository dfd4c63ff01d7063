"""What a video classifier (ECO, :mod:`visualizer.models.eco_torch`) sees in one clip, as PlotData.  Qt-free;
imports torch inside the functions.

:func:`read_clip` runs the model once on the clip's sampled frames (evaluation mode, the model's training mode
restored after) with forward hooks on its 2D part and its first 3D stage, and back-propagates the class score to
the 2D feature maps for **Grad-CAM over time** (Selvaraju et al., ICCV 2017, applied per frame as in class
activation views of video networks): for frame n, the gradient averaged over space weighs each of its maps,
cam_n = ReLU(Σ_k w_nk A_nk), upsampled to the frame.  All frames share one scale (the largest value of the
clip), so a frame the network ignored stays dark.  (``visualizer.probes.gradcam.grad_cam`` does this for one
image; here the batch axis holds the clip's frames, each with its own weights, so the per-frame form is written
out.)  :func:`prefix_probabilities` gives the class probabilities from the frames up to each time t: how the
answer forms as the clip plays.

Source: Zolfaghari et al., "ECO", ECCV 2018; Ogawa, *PyTorch advanced deep learning* ch. 9.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.core.plotdata import ClipData, ImageData, ImageGridData, MatrixData
from visualizer.data.clips import segment_indices


@dataclass
class ClipReadout:
    """One clip through the model.  sampled: (N,) frame indices; maps2d: (N, C, h, w) float32 2D feature maps;
    act3d: (C', N') float32 mean activation of each channel of the first 3D stage at each time step;
    probs: (K,) float32 softmax; target: the class Grad-CAM explains; cam: (N, H, W) float32 in [0, 1]."""

    sampled: np.ndarray
    maps2d: np.ndarray
    act3d: np.ndarray
    probs: np.ndarray
    target: int
    cam: np.ndarray


def _clip_tensor(clips: np.ndarray, device):
    """(B, N, H, W, 3) uint8 host frames -> normalized float (B, N, 3, H, W) on ``device``."""
    import torch
    from visualizer.models.eco_torch import normalize_clips
    return normalize_clips(torch.from_numpy(np.ascontiguousarray(clips)).to(device))


def read_clip(model, clip: np.ndarray, segments: int, target: int | None = None) -> ClipReadout:
    """Run ``model`` (an :class:`~visualizer.models.eco_torch.ECO`) on the middle frame of each of ``segments``
    segments of ``clip`` (T, H, W, 3) uint8, with Grad-CAM for class ``target`` (None: the predicted class).
    Raises ValueError if the clip has fewer frames than segments."""
    import torch
    import torch.nn.functional as F

    sampled = segment_indices(clip.shape[0], segments)
    device = next(model.parameters()).device
    x = _clip_tensor(clip[sampled][None], device)                                  # (1, N, 3, H, W)
    store = {}
    hooks = [model.features2d.register_forward_hook(lambda m, i, o: store.__setitem__("a2d", o)),
             model.fusion3d[0].register_forward_hook(lambda m, i, o: store.__setitem__("a3d", o))]
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits = model(x.requires_grad_(True))[0].float()                      # (K,)
            k = int(logits.argmax()) if target is None else int(target)
            a2d = store["a2d"]                                                     # (N, C, h, w)
            (g,) = torch.autograd.grad(logits[k], a2d)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    a, g = a2d.detach().float(), g.float()
    cam = F.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1, keepdim=True))  # (N, 1, h, w)
    cam = F.interpolate(cam, size=clip.shape[1:3], mode="bilinear", align_corners=False)[:, 0]   # (N, H, W)
    peak = cam.max()
    cam = cam / peak if float(peak) > 0 else cam
    act3d = store["a3d"].detach().float()[0].mean(dim=(2, 3))                      # (C', N')
    return ClipReadout(sampled, a.cpu().numpy(), act3d.cpu().numpy(), torch.softmax(logits.detach(), 0).cpu().numpy(),
                       k, cam.clamp(0, 1).cpu().numpy())


def prefix_probabilities(model, clip: np.ndarray, segments: int) -> np.ndarray:
    """Class probabilities from the frames 0..t, for each t: (K, T) float32; NaN for t + 1 < segments (too few
    frames to sample).  One batched forward pass in evaluation mode.  Raises ValueError if the clip has fewer
    frames than segments."""
    import torch

    t_all = clip.shape[0]
    ends = np.arange(segments, t_all + 1)                                          # prefix lengths
    if not len(ends):
        segment_indices(t_all, segments)                                           # raises with its message
    idx = np.stack([segment_indices(int(e), segments) for e in ends])              # (P, N)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            probs = torch.softmax(model(_clip_tensor(clip[idx], device)).float(), dim=1).cpu().numpy()   # (P, K)
    finally:
        model.train(was_training)
    out = np.full((probs.shape[1], t_all), np.nan, dtype=np.float32)
    out[:, ends - 1] = probs.T
    return out


# ---- PlotData ------------------------------------------------------------------------------------------
def clip_data(clip: np.ndarray, r: ClipReadout, class_names, label: int, true_scores: np.ndarray | None,
              fps: float) -> ClipData:
    """The clip (T, H, W, 3) uint8 with the sampled frames marked, Grad-CAM on them (NaN on the others) and the
    probability of the true class ``label`` from each prefix under the strip."""
    t, h, w = clip.shape[:3]
    heat = np.full((t, h, w), np.nan, dtype=np.float32)
    heat[r.sampled] = r.cam
    pred = int(np.argmax(r.probs))
    scores = None if true_scores is None else np.nan_to_num(true_scores, nan=0.0).astype(np.float32)
    return ClipData(clip.astype(np.float32) / 255.0, r.sampled.astype(np.int64), heat,
                    f"Grad-CAM for '{class_names[r.target]}'", frame_scores=scores,
                    score_label=f"p('{class_names[label]}') from frames 0..t", fps=fps,
                    caption=f"true: {class_names[label]} · predicted: {class_names[pred]} ({r.probs[pred]:.0%})")


def feature_map_grid(r: ClipReadout, channels: int = 4) -> ImageGridData:
    """The ``channels`` most active 2D feature maps of every sampled frame: rows = channels, columns = frames
    (ncols N), the same channels in every frame, one colour scale."""
    n, c = r.maps2d.shape[:2]
    top = np.argsort(-r.maps2d.mean(axis=(0, 2, 3)))[:min(channels, c)]           # most active over the clip
    tiles = r.maps2d[:, top].transpose(1, 0, 2, 3).reshape(-1, *r.maps2d.shape[2:])   # (channels·N, h, w)
    captions = [f"ch {ch} · frame {int(f)}" for ch in top for f in r.sampled]
    hi = float(tiles.max()) if tiles.size and tiles.max() > 0 else 1.0
    return ImageGridData(tiles.astype(np.float32), captions, (0.0, hi), "viridis", ncols=n)


def activation_over_time(r: ClipReadout) -> ImageData:
    """The first 3D stage's channels (rows, sorted by when they peak) over its time steps (columns)."""
    act = r.act3d                                                                  # (C', N')
    order = np.lexsort((-act.max(axis=1), act.argmax(axis=1)))                     # by peak time, then height
    img = act[order][::-1]                                                         # earliest peak on top
    hi = float(img.max()) if img.size and img.max() > 0 else 1.0
    return ImageData(np.ascontiguousarray(img, dtype=np.float32), None, (0.0, hi),     # pixel centres at 0, 1, ...
                     "viridis", x_label="segment n (the first 3D stage keeps the time resolution)",
                     y_label="channel (sorted by peak time)", colorbar_label="mean activation")


def probability_matrix(probs: np.ndarray, class_names, frames_shown: int | None = None) -> MatrixData:
    """(K, T) prefix probabilities as a class × frame matrix (levels 0..1), NaN columns (too few frames) left
    out."""
    cols = np.where(np.isfinite(probs).all(axis=0))[0][:frames_shown]
    return MatrixData(probs[:, cols].astype(np.float32), list(class_names), [str(int(t)) for t in cols],
                      "class", "last frame seen (t)", "viridis", "{:.2f}", (0.0, 1.0))


__all__ = ["ClipReadout", "activation_over_time", "clip_data", "feature_map_grid", "prefix_probabilities",
           "probability_matrix", "read_clip"]
