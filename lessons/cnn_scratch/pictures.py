"""The lesson's image grids: first-layer filters, feature maps per layer, activation and gradient maps of one
convolution, saliency and the gradient-ascent pattern, built from NumPy arrays (Qt-free).

Grey images (C = 1) are drawn with a colour map and a colour bar; colour photos (C = 3) as RGB pictures,
channels last.  Follows Saitoh, *Deep Learning from Scratch*, section 7.6 (visualizing a CNN).
"""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import ImageGridData
from visualizer.probes.gradient_ascent import gradient_ascent
from visualizer.probes.saliency import maps_and_gradients, saliency

MAPS_PER_LAYER = 8          # feature-map tiles per layer in the "feature_maps" grid
ASCENT_EVERY = 50           # training steps between two gradient-ascent recomputations (~10-30 ms each)
ASCENT_STEPS = 30
DIVERGING = "CET-D1"


def hwc(x: np.ndarray) -> np.ndarray:
    """Colour image(s) from channels-first (..., 3, H, W) to channels-last (..., H, W, 3), as
    ``ImageGridData`` draws them."""
    return np.moveaxis(x, -3, -1)


def upsample(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour enlargement of a map (h', w') to (h, w) (h' dividing h), so that maps of every
    layer fit one grid; each pixel of a pooled map becomes a block."""
    rh, rw = max(1, h // a.shape[0]), max(1, w // a.shape[1])
    big = np.repeat(np.repeat(a, rh, axis=0), rw, axis=1)
    outp = np.full((h, w), np.nan)
    outp[:big.shape[0], :big.shape[1]] = big[:h, :w]
    return outp


def filter_grid(W: np.ndarray) -> ImageGridData:
    """First-layer filters W (F, C, K, K): C = 3 as colours, each filter scaled to its own largest |weight|
    (0 is grey); C = 1 on one symmetric diverging scale."""
    W = W.astype(np.float32)
    names = [f"f{j}" for j in range(len(W))]
    if W.shape[1] == 3:
        m = np.abs(W).max(axis=(1, 2, 3), keepdims=True)
        tiles = 0.5 + 0.5 * W / np.where(m > 0, m, 1.0)
        return ImageGridData(hwc(tiles), names, (0.0, 1.0), ncols=8)                 # (F, K, K, 3)
    m = float(np.abs(W).max()) or 1.0
    return ImageGridData(W[:, 0], names, (-m, m), DIVERGING, ncols=8)                  # (F, K, K)


def feature_map_grid(outs: list[np.ndarray], spec: list[tuple], conv_layers: list[int], h: int,
                     w: int) -> ImageGridData:
    """One row per conv (after its ReLU) and per pooling layer: its first MAPS_PER_LAYER maps of one image,
    each row scaled to its maximum and enlarged to (h, w).  outs: every layer's output (1, F, h', w')."""
    tiles, captions = [], []
    for li, s in enumerate(spec):
        if s[0] not in ("conv", "maxpool", "avgpool"):
            continue
        shown = li + 1 if s[0] == "conv" and li + 1 < len(spec) and spec[li + 1][0] == "relu" else li
        name = (f"conv{conv_layers.index(li) + 1}" if s[0] == "conv"
                else f"pool{sum(1 for t in spec[:li + 1] if t[0] in ('maxpool', 'avgpool'))}")
        maps = outs[shown][0]                                                  # (F, h', w')
        top = float(np.abs(maps).max()) or 1.0
        for c in range(min(MAPS_PER_LAYER, len(maps))):
            tiles.append(upsample(maps[c] / top, h, w))
            captions.append(f"{name}·{c}")
        for _ in range(MAPS_PER_LAYER - min(MAPS_PER_LAYER, len(maps))):
            tiles.append(np.full((h, w), np.nan))
            captions.append("")
    return ImageGridData(np.array(tiles, np.float32), captions, (0.0, 1.0), "viridis", ncols=MAPS_PER_LAYER)


def layer_grids(acts: np.ndarray, dacts: np.ndarray, layer_no: int) -> tuple[ImageGridData, ImageGridData]:
    """Activation maps acts (F, h, w) (after ReLU) and their gradients dL/d(map) dacts (F, h, w) of conv
    ``layer_no``: (activations on [0, max], gradients on a symmetric diverging scale)."""
    top = float(acts.max()) or 1.0
    gtop = float(np.abs(dacts).max()) or 1.0
    names = [f"conv{layer_no}·{c}" for c in range(len(acts))]
    cols = min(8, len(acts))
    return (ImageGridData(acts.astype(np.float32), names, (0.0, top), "viridis", ncols=cols),
            ImageGridData(dacts.astype(np.float32), names, (-gtop, gtop), DIVERGING, ncols=cols))


def saliency_grid(image: np.ndarray, sal: np.ndarray, captions: list[str]) -> ImageGridData:
    """The image (C, H, W) and its saliency sal (H, W) scaled to 1; for colour photos also the image seen
    through the saliency (saliency in grey, white: salient)."""
    s_top = float(sal.max()) or 1.0
    if image.shape[0] == 3:
        rgb = hwc(image)                                                       # (H, W, 3)
        s = np.repeat((sal / s_top)[:, :, None], 3, axis=2)
        return ImageGridData(np.stack([rgb, s, rgb * s]).astype(np.float32),
                             captions + ["image × saliency"], (0.0, 1.0), ncols=3)
    return ImageGridData(np.stack([image[0], sal / s_top]).astype(np.float32), captions, (0.0, 1.0),
                         "inferno", ncols=2)


def ascent_grid(pattern: np.ndarray, caption: str) -> ImageGridData:
    """The gradient-ascent pattern (C, H, W) in [0, 1], grey or colour."""
    picture = hwc(pattern) if pattern.shape[0] == 3 else pattern[0]
    return ImageGridData(picture[None].astype(np.float32), [caption], (0.0, 1.0), "gray", ncols=1)


class CNNPictures:
    """Every image grid of the lesson for a scratch CNN's current weights, with the costly readouts cached:
    feature maps, their gradients and saliency per (weights, image); gradient ascent per ASCENT_EVERY steps.

    spec: the CNN's layer spec; conv_layers: indices of its conv layers; x_val (M, C, H, W), y_val (M,): the
    validation images; class_names: one per class; seed: seeds the ascent's starting noise."""

    def __init__(self, spec: list[tuple], conv_layers: list[int], x_val: np.ndarray, y_val: np.ndarray,
                 class_names, seed: int) -> None:
        self.spec, self.conv_layers = spec, conv_layers
        self.x_val, self.y_val, self.class_names, self.seed = x_val, y_val, class_names, seed
        self._maps: tuple | None = None
        self._ascent: tuple | None = None

    def clear(self) -> None:
        """Forget the cached readouts (after the weights changed other than by a training step)."""
        self._maps = self._ascent = None

    def maps(self, net, step: int, i: int):
        """(outputs, gradients, logits, saliency) of validation image i for ``net`` at training ``step``."""
        if self._maps is None or self._maps[0] != (step, i):
            x = self.x_val[i:i + 1]
            outs, grads, logits = maps_and_gradients(net.layers, x, int(self.y_val[i]))
            sal = saliency(net.layers, x, int(logits.argmax()))
            self._maps = ((step, i), outs, grads, logits, sal)
        return self._maps[1:]

    def ascent(self, net, step: int, conv: int, f: int):
        """(pattern (C, H, W), mean activation before, after) of filter f of layer ``conv``."""
        key = (step // ASCENT_EVERY, conv, f)
        if self._ascent is None or self._ascent[0] != key:
            x0 = 0.5 + 0.05 * np.random.default_rng(self.seed).standard_normal(self.x_val[:1].shape)
            self._ascent = (key, *gradient_ascent(net.layers, conv, f, x0.astype(self.x_val.dtype), ASCENT_STEPS))
        return self._ascent[1:]

    def grids(self, net, step: int, i: int, filter_layer: int, filter_index: int) -> dict[str, ImageGridData]:
        """Plot id -> grid for ``net`` (a scratch CNN in evaluation mode) at training ``step``: validation
        image i, conv ``filter_layer`` (from 1) inspected and its filter ``filter_index`` (modulo F) ascended."""
        outs, grads, logits, sal = self.maps(net, step, i)
        layer_no = min(filter_layer, len(self.conv_layers))
        conv = self.conv_layers[layer_no - 1]
        act = conv + 1 if self.spec[conv + 1][0] == "relu" else conv
        activations, gradients = layer_grids(outs[act][0], grads[act][0], layer_no)     # (F, h', w')
        f = filter_index % self.spec[conv][1]
        pattern, before, after = self.ascent(net, step, conv, f)
        cn, h, w = self.class_names, self.x_val.shape[2], self.x_val.shape[3]
        captions = [f"image {i}: true {cn[int(self.y_val[i])]}", f"saliency of class {cn[int(logits.argmax())]}"]
        return {
            "filters": filter_grid(net.layers[self.conv_layers[0]].params[0]),                # (F, C, K, K)
            "feature_maps": feature_map_grid(outs, self.spec, self.conv_layers, h, w),
            "activations": activations, "gradients": gradients,
            "saliency": saliency_grid(self.x_val[i], sal, captions),
            "ascent": ascent_grid(pattern, f"conv{layer_no} filter {f}: mean activation {before:.2f} → {after:.2f}"),
        }
