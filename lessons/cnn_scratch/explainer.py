"""The convolution explainer: one output value of a 2-D convolution, worked out with its numbers.

A kernel K (KH, KW) slides over an image zero-padded by P on each side, in steps of S; at each
position the output is the dot product of the kernel with the window under it,
``y[i, j] = Σ_{u,v} x_pad[i·S + u, j·S + v] · K[u, v]`` (Saitoh, *Deep Learning from Scratch*,
section 7.2; like every deep-learning library this is cross-correlation: the kernel is not
flipped).  The output has ``OH = ⌊(H + 2P − KH) / S⌋ + 1`` rows and as many columns by the same rule
(Saitoh, eq. 7.1).  :func:`explain_convolution` computes everything the explainer view draws:
the padded input, the window, the elementwise products and their sum, and the output map filled up
to the current position.  Inputs come from the lesson's data (a digit), a photo bundled with
scikit-learn (``china.jpg``, downscaled) or a generated pattern.  Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable
from math import comb

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import BoolParam, ChoiceParam, IntParam
from visualizer.scratch.conv import conv_output_size, im2col

INPUTS = ("digit", "photo", "pattern")
KERNELS = ("edge_vertical", "edge_horizontal", "blur", "sharpen", "random", "learned")
PHOTO_SIZE = 16          # the photo is shown as PHOTO_SIZE × PHOTO_SIZE grey levels in [0, 1]
PATTERN_SIZE = 12

#: The explainer's controls (live); LIVE: those that change its picture and are checked before they apply.
PARAMS = (
    ChoiceParam("explain_input", "Explainer input", "digit", INPUTS, live=True,
                tooltip="digit: the chosen validation image (in grey levels, its luminance, for colour "
                        "photos); photo: scikit-learn's bundled photo at 16×16; pattern: a square, a stroke "
                        "and a faint block."),
    ChoiceParam("explain_kernel", "Explainer kernel", "edge_vertical", KERNELS, live=True,
                tooltip="edge filters (Sobel), blur (box), sharpen, random, or a learned first-layer "
                        "filter of the network (its own size)."),
    IntParam("explain_kernel_size", "Explainer kernel size K", 3, 1, 9, live=True,
             tooltip="K×K kernel of the explainer. Larger than the padded input is an error."),
    IntParam("explain_stride", "Explainer stride S", 1, 0, 4, live=True,
             tooltip="How far the window moves per output pixel. Must be at least 1."),
    IntParam("explain_padding", "Explainer padding P", 0, 0, 4, live=True,
             tooltip="Zeros added around the input on each side."),
    IntParam("explain_position", "Explainer position", 0, 0, 4095, live=True,
             tooltip="Output pixel being computed, in reading order (wraps around). Click the "
                     "explainer's input or output to move it."),
    BoolParam("explain_follow", "Window follows the steps", False, live=True,
              tooltip="Move the explainer's window one position per training step (set the speed limit "
                      "to a few steps per second to watch)."),
)
LIVE = ("explain_input", "explain_kernel", "explain_kernel_size", "explain_stride", "explain_padding",
        "explain_position")


def output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """Output length of a convolution along one axis: ⌊(size + 2·pad − kernel) / stride⌋ + 1.

    Raises ValueError with a message for the user if stride < 1, pad < 0, kernel < 1 or the kernel
    does not fit in the padded input (Saitoh, eq. 7.1; the engine's ``conv_output_size``)."""
    return conv_output_size(size, kernel, stride, pad)


def kernel_preset(name: str, size: int, seed: int = 0) -> np.ndarray:
    """A (size, size) float64 kernel.

    edge_vertical: Sobel-like, [1 2 1]ᵀ·[−1 0 1] for size 3 (responds to vertical edges, dark to
    bright from left to right); edge_horizontal: its transpose; blur: the box filter 1/size²;
    sharpen: 2·δ − box (the centre pixel minus its blurred surroundings, added to itself); random:
    N(0, 1/size²) from ``seed``.  A 1×1 edge kernel is 0 (one pixel has no edge).  ("learned" kernels come from the network, not from here.)
    Raises ValueError for an unknown name or size < 1."""
    if size < 1:
        raise ValueError(f"The kernel size must be at least 1 (got {size}).")
    box = np.full((size, size), 1.0 / size**2)
    if name == "blur":
        return box
    if name == "sharpen":
        k = -box
        k[size // 2, size // 2] += 2.0
        return k
    if name in ("edge_vertical", "edge_horizontal"):
        smooth = np.array([comb(size - 1, i) for i in range(size)], dtype=np.float64)   # 1 2 1, 1 4 6 4 1
        ramp = np.linspace(-1.0, 1.0, size) if size > 1 else np.zeros(1)
        k = np.outer(smooth, ramp * (size // 2 if size > 1 else 1))     # (size, size), rows × columns
        return k if name == "edge_vertical" else k.T.copy()
    if name == "random":
        return np.random.default_rng(seed).normal(0.0, 1.0 / size, (size, size))
    raise ValueError(f"unknown kernel preset {name!r}; choose one of {', '.join(KERNELS[:-1])}")


@lru_cache(maxsize=1)
def photo() -> np.ndarray:
    """scikit-learn's bundled photo ``china.jpg`` as grey levels (PHOTO_SIZE, PHOTO_SIZE) float64 in
    [0, 1]: the central square, averaged over blocks of pixels.  No download."""
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image("china.jpg").astype(np.float64) / 255.0        # (427, 640, 3)
    grey = rgb @ np.array([0.299, 0.587, 0.114])                          # (427, 640) ITU-R 601 luma
    h, w = grey.shape
    side = min(h, w) // PHOTO_SIZE * PHOTO_SIZE
    top, left = (h - side) // 2, (w - side) // 2
    square = grey[top:top + side, left:left + side]
    b = side // PHOTO_SIZE
    return square.reshape(PHOTO_SIZE, b, PHOTO_SIZE, b).mean(axis=(1, 3))  # (16, 16)


def pattern() -> np.ndarray:
    """A generated (PATTERN_SIZE, PATTERN_SIZE) float64 test pattern in [0, 1]: a bright square with
    vertical and horizontal edges and a diagonal stroke, to show what edge kernels pick up."""
    n = PATTERN_SIZE
    img = np.zeros((n, n))
    img[2:7, 2:7] = 1.0                         # square: two vertical and two horizontal edges
    d = np.arange(6, n)
    img[d, d] = 0.6                             # a diagonal stroke in the lower right
    img[8:11, 1:4] = 0.3                        # a faint block
    return img


@dataclass
class ConvExplanation:
    """One convolution worked out at one output position.

    padded: (H + 2P, W + 2P) input with its zero border; pad: P; kernel: (K, K); stride: S;
    row, col: the output position (the window's top-left corner in ``padded`` is (row·S, col·S));
    window: (K, K) the input values under the kernel; products: (K, K) window · kernel elementwise;
    value: their sum = output[row, col] (+ bias, 0 here); output: (OH, OW) the whole output map;
    filled: (OH, OW) bool, the positions computed up to this one in raster order; position: the
    raster index row·OW + col; formula: the output-size formula with the numbers."""

    padded: np.ndarray
    pad: int
    kernel: np.ndarray
    stride: int
    row: int
    col: int
    window: np.ndarray
    products: np.ndarray
    value: float
    output: np.ndarray
    filled: np.ndarray
    position: int
    formula: str


def convolve2d(image: np.ndarray, kernel: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Cross-correlation of one channel: image (H, W), kernel (KH, KW) -> (OH, OW) float64.

    Computed as the engine does it: im2col turns the image into one row per receptive field
    (OH·OW, KH·KW) and a single matrix product with the flattened kernel gives every output value
    (Saitoh, section 7.4).  Raises ValueError for settings :func:`output_size` rejects."""
    h, w = image.shape
    kh, kw = kernel.shape
    oh, ow = output_size(h, kh, stride, pad), output_size(w, kw, stride, pad)
    col = im2col(np.asarray(image, np.float64)[None, None], kh, kw, stride, pad)   # (OH·OW, KH·KW)
    return (col @ np.asarray(kernel, np.float64).ravel()).reshape(oh, ow)


def explain_convolution(image: np.ndarray, kernel: np.ndarray, stride: int, pad: int,
                        position: int) -> ConvExplanation:
    """Everything the explainer shows for ``image`` (H, W) convolved with ``kernel`` (K, K) at output
    position ``position`` (a raster index, taken modulo OH·OW so that it wraps around).

    Raises ValueError (a message for the user) if stride < 1, pad < 0 or the kernel is larger than
    the padded image."""
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    h, w = image.shape
    k = kernel.shape[0]
    oh, ow = output_size(h, k, stride, pad), output_size(w, kernel.shape[1], stride, pad)
    output = convolve2d(image, kernel, stride, pad)
    padded = np.pad(image, pad)                                        # (H + 2P, W + 2P)
    position = int(position) % (oh * ow)
    row, col = divmod(position, ow)
    r0, c0 = row * stride, col * stride
    window = padded[r0:r0 + k, c0:c0 + kernel.shape[1]].copy()        # (K, K)
    products = window * kernel
    filled = (np.arange(oh * ow) <= position).reshape(oh, ow)
    formula = (f"OH = ⌊(H + 2P − K) / S⌋ + 1 = ⌊({h} + 2·{pad} − {k}) / {stride}⌋ + 1 = {oh}"
               + ("" if w == h else f";  OW = ⌊({w} + 2·{pad} − {kernel.shape[1]}) / {stride}⌋ + 1 = {ow}"))
    return ConvExplanation(padded, pad, kernel, stride, row, col, window, products, float(products.sum()),
                           output, filled, position, formula)


@dataclass
class ConvExplainerData:
    """What the ``conv_explainer`` plot draws: a :class:`ConvExplanation` plus a caption.

    caption names the input and the kernel (e.g. "digit 7 ⊛ edge_vertical 3×3")."""

    explanation: ConvExplanation
    caption: str = ""

    def table(self) -> tuple[list[str], list[list]]:
        """CSV rows: the dot product term by term (window value, kernel weight, product), its sum,
        then the whole output map."""
        e = self.explanation
        rows: list[list] = []
        k_h, k_w = e.kernel.shape
        for u in range(k_h):
            for v in range(k_w):
                rows.append(["product", e.row * e.stride + u, e.col * e.stride + v, float(e.window[u, v]),
                             float(e.kernel[u, v]), float(e.products[u, v])])
        rows.append(["sum", e.row, e.col, "", "", e.value])
        oh, ow = e.output.shape
        for i in range(oh):
            for j in range(ow):
                rows.append(["output", i, j, "", "", float(e.output[i, j])])
        return ["part", "row", "col", "input", "kernel", "value"], rows


def luminance(x: np.ndarray) -> np.ndarray:
    """Grey levels of an RGB image x (3, H, W) in [0, 1]: Y = 0.299 R + 0.587 G + 0.114 B (ITU-R
    BT.601, the weights of JPEG and PIL's "L" mode), (H, W) float64."""
    return np.tensordot(np.array([0.299, 0.587, 0.114]), x.astype(np.float64), axes=1)


def input_image(kind: str, sample: np.ndarray, sample_name: str) -> tuple[np.ndarray, str]:
    """The explainer's input (H, W) float64 and its name: kind "photo", "pattern", or "digit": the
    lesson's image ``sample`` (C, H, W) named ``sample_name`` (a colour photo in grey levels, its luminance)."""
    if kind == "photo":
        return photo(), f"photo {PHOTO_SIZE}×{PHOTO_SIZE}"
    if kind == "pattern":
        return pattern(), f"pattern {PATTERN_SIZE}×{PATTERN_SIZE}"
    if sample.shape[0] == 3:
        return luminance(sample), f"{sample_name} in grey: luminance Y = 0.299 R + 0.587 G + 0.114 B"
    return sample[0].astype(np.float64), sample_name


def learned_kernel(W: np.ndarray, f: int) -> tuple[np.ndarray, str]:
    """Filter ``f`` (modulo F) of first-layer weights W (F, C, K, K) as an explainer kernel (K, K) float64
    and its name; on a grey image (R = G = B) a colour filter acts as the sum of its channels' kernels."""
    f = f % W.shape[0]
    if W.shape[1] == 1:
        return W[f, 0].astype(np.float64), f"learned filter {f} of conv 1"
    return W[f].sum(axis=0).astype(np.float64), f"learned filter {f} of conv 1 (R + G + B weights)"


def choose_kernel(name: str, size: int, seed: int, filter_index: int,
                  first_layer: Callable[[], np.ndarray]) -> tuple[np.ndarray, str]:
    """The explainer's kernel and its name: a preset (see :func:`kernel_preset`) of ``size``, or for "learned"
    filter ``filter_index`` of the network's first-layer weights ``first_layer()`` (F, C, K, K)."""
    if name == "learned":
        return learned_kernel(first_layer(), filter_index)
    return kernel_preset(name, size, seed=seed), name.replace("_", " ")


def explainer_data(image: np.ndarray, input_name: str, kernel: np.ndarray, kernel_name: str, stride: int,
                   pad: int, position: int) -> ConvExplainerData:
    """:func:`explain_convolution` with a caption.  Raises LessonConfigError when the kernel does not fit in
    the padded input or the stride is below 1."""
    try:
        e = explain_convolution(image, kernel, stride, pad, position)
    except ValueError as err:
        raise LessonConfigError(f"The explainer cannot convolve: {err}.") from None
    k = kernel.shape[0]
    return ConvExplainerData(e, f"{input_name} ⊛ {kernel_name} {k}×{k}")
