"""The convolution explainer: a kernel sliding over an image, one output value per step, with its numbers.

A kernel K (KH, KW) slides over an image zero-padded by P on each side, in steps of S; at each
position the output is the dot product of the kernel with the window under it plus the filter's bias,
``y[i, j] = Σ_{u,v} x_pad[i·S + u, j·S + v] · K[u, v] + b`` (Saitoh, *Deep Learning from Scratch*,
section 7.2; like every deep-learning library this is cross-correlation: the kernel is not
flipped).  The output has ``OH = ⌊(H + 2P − KH) / S⌋ + 1`` rows and as many columns by the same rule
(Saitoh, eq. 7.1).

The lesson sends :class:`ConvExplainerData`: the inputs the explainer can show (the chosen validation
image, a photo bundled with scikit-learn, a generated pattern) and the network's first-layer filters
and biases, refreshed as it trains.  What the explainer shows of it is a view setting
(:class:`ExplainerSettings`: input, kernel, size, stride, padding, learned filter), and where the
window is, :class:`ConvSlide`: after k steps the first k output cells, in raster order, are computed.
:func:`slide` works out the picture of one such moment.  Nothing here changes training.  Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache
from math import comb

import numpy as np

from visualizer.scratch.conv import conv_output_size, im2col

INPUTS = ("digit", "photo", "pattern")
KERNELS = ("edge_vertical", "edge_horizontal", "blur", "sharpen", "random", "learned")
PHOTO_SIZE = 16          # the photo is shown as PHOTO_SIZE × PHOTO_SIZE grey levels in [0, 1]
PATTERN_SIZE = 12
#: Inclusive ranges of the explainer's integer settings (kernel size K, stride S, padding P, learned filter).
RANGES = {"size": (1, 9), "stride": (1, 4), "padding": (0, 4), "filter": (0, 127)}


@dataclass(frozen=True)
class ExplainerSettings:
    """What the explainer shows: a view setting, chosen in the explainer's own controls or by a narrative
    step; changing it never changes training, starts no run and leaves no marker on the curves.

    input: one of INPUTS; kernel: one of KERNELS; size: K of a preset kernel ("learned" kernels have the
    network's own size); stride: S ≥ 1; padding: P ≥ 0; filter: which first-layer filter (modulo F) the
    "learned" kernel is, i.e. which feature map of conv 1 the output is."""

    input: str = "digit"
    kernel: str = "edge_vertical"
    size: int = 3
    stride: int = 1
    padding: int = 0
    filter: int = 0

    def __post_init__(self) -> None:
        if self.input not in INPUTS:
            raise ValueError(f"unknown explainer input {self.input!r}; choose one of {', '.join(INPUTS)}")
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown explainer kernel {self.kernel!r}; choose one of {', '.join(KERNELS)}")
        for name, (lo, hi) in RANGES.items():
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise ValueError(f"the explainer's {name} must be an integer from {lo} to {hi} (got {v!r})")

    def with_changes(self, changes: dict) -> "ExplainerSettings":
        """A copy with ``changes`` (setting name -> value) applied.  Raises KeyError for an unknown name,
        ValueError for a value out of range."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise KeyError(f"the explainer has no setting {', '.join(sorted(unknown))}; it has {', '.join(names)}")
        return replace(self, **changes)


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
    """The convolution at one moment of the slide: ``filled`` output cells computed, in raster order.

    padded: (H + 2P, W + 2P) input with its zero border; pad: P; kernel: (K, K); bias: b; stride: S;
    output: (OH, OW) the whole output map (bias included); filled: how many cells are computed (0 … OH·OW);
    mask: (OH, OW) bool, True for those cells; row, col: the current cell, the last one computed (the
    first one, not yet computed, when filled = 0), whose window's top-left corner in ``padded`` is
    (row·S, col·S); window: (K, K) the input values under the kernel; products: (K, K) window · kernel
    elementwise; total: their sum; value: total + bias = output[row, col]; formula: the output-size
    formula with the numbers."""

    padded: np.ndarray
    pad: int
    kernel: np.ndarray
    bias: float
    stride: int
    output: np.ndarray
    filled: int
    mask: np.ndarray
    row: int
    col: int
    window: np.ndarray
    products: np.ndarray
    total: float
    value: float
    formula: str

    @property
    def cells(self) -> int:
        """OH·OW, the number of window positions."""
        return self.output.size

    @property
    def partial_output(self) -> np.ndarray:
        """(OH, OW) float64: the computed cells, NaN where the window has not been yet."""
        return np.where(self.mask, self.output, np.nan)

    def dot_text(self) -> str:
        """The current cell's dot product in words, e.g. "sum of 9 products = 1.37 + bias 0.10 = 1.47"."""
        return (f"sum of {self.products.size} products = {self.total:.2f} + bias {self.bias:.2f} = "
                f"{self.value:.2f}")


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


def slide(image: np.ndarray, kernel: np.ndarray, stride: int, pad: int, filled: int,
          bias: float = 0.0) -> ConvExplanation:
    """``image`` (H, W) convolved with ``kernel`` (KH, KW) plus ``bias`` after ``filled`` steps of the sliding
    window (clipped to 0 … OH·OW): the first ``filled`` cells in raster order are computed, the window is on
    the last of them.  Raises ValueError (a message for the user) if stride < 1, pad < 0 or the kernel is
    larger than the padded image."""
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    h, w = image.shape
    kh, kw = kernel.shape
    output = convolve2d(image, kernel, stride, pad) + float(bias)       # (OH, OW)
    oh, ow = output.shape
    filled = min(max(int(filled), 0), oh * ow)
    padded = np.pad(image, pad)                                        # (H + 2P, W + 2P)
    row, col = divmod(max(filled - 1, 0), ow)
    r0, c0 = row * stride, col * stride
    window = padded[r0:r0 + kh, c0:c0 + kw].copy()                    # (KH, KW)
    products = window * kernel
    mask = (np.arange(oh * ow) < filled).reshape(oh, ow)
    formula = (f"OH = ⌊(H + 2P − K) / S⌋ + 1 = ⌊({h} + 2·{pad} − {kh}) / {stride}⌋ + 1 = {oh}"
               + ("" if w == h else f";  OW = ⌊({w} + 2·{pad} − {kw}) / {stride}⌋ + 1 = {ow}"))
    total = float(products.sum())
    return ConvExplanation(padded, pad, kernel, float(bias), stride, output, filled, mask, row, col, window,
                           products, total, total + float(bias), formula)


@dataclass
class ConvExplainerData:
    """What the lesson sends the ``conv_explainer`` plot: the material, not the picture.

    images: input kind (one of INPUTS) -> (H, W) float64 grey image; names: input kind -> its name
    (e.g. "validation image 3 (a 7)"); filters: (F, K, K) float64 the first convolution's kernels as they
    act on a grey image; biases: (F,) their biases; filter_note: how ``filters`` were made from the
    weights (e.g. "R + G + B weights" for colour filters)."""

    images: dict[str, np.ndarray]
    names: dict[str, str]
    filters: np.ndarray
    biases: np.ndarray
    filter_note: str = ""

    def kernel(self, s: ExplainerSettings) -> tuple[np.ndarray, float, str]:
        """(kernel (K, K), bias, name) of settings ``s``: a preset of size ``s.size`` with bias 0, or learned
        filter ``s.filter`` (modulo F) with its bias."""
        if s.kernel == "learned":
            f = s.filter % len(self.filters)
            note = f" ({self.filter_note})" if self.filter_note else ""
            return self.filters[f], float(self.biases[f]), f"learned filter {f} of conv 1{note}"
        return kernel_preset(s.kernel, s.size), 0.0, s.kernel.replace("_", " ")

    def explain(self, s: ExplainerSettings, filled: int) -> ConvExplanation:
        """:func:`slide` for settings ``s`` after ``filled`` steps.  Raises ValueError when the kernel does not
        fit in the padded input."""
        kernel, bias, _ = self.kernel(s)
        return slide(self.images[s.input], kernel, s.stride, s.padding, filled, bias)

    def output_shape(self, s: ExplainerSettings) -> tuple[int, int]:
        """(OH, OW) for settings ``s``, without convolving.  Raises ValueError when the kernel does not fit."""
        h, w = self.images[s.input].shape
        kh, kw = self.kernel(s)[0].shape
        return output_size(h, kh, s.stride, s.padding), output_size(w, kw, s.stride, s.padding)

    def caption(self, s: ExplainerSettings) -> str:
        """The input and kernel of settings ``s``, e.g. "pattern 12×12 ⊛ edge vertical 3×3"."""
        kernel, _, name = self.kernel(s)
        return f"{self.names[s.input]} ⊛ {name} {kernel.shape[0]}×{kernel.shape[1]}"

    def table(self, s: ExplainerSettings | None = None, filled: int | None = None) -> tuple[list[str], list[list]]:
        """CSV rows for settings ``s`` (default settings) after ``filled`` steps (default: all): the current
        cell's dot product term by term (window value, kernel weight, product), the bias, the value, then
        the output map (computed cells only)."""
        s = s or ExplainerSettings()
        e = self.explain(s, 10**9 if filled is None else filled)
        rows: list[list] = []
        k_h, k_w = e.kernel.shape
        for u in range(k_h):
            for v in range(k_w):
                rows.append(["product", e.row * e.stride + u, e.col * e.stride + v, float(e.window[u, v]),
                             float(e.kernel[u, v]), float(e.products[u, v])])
        rows.append(["bias", e.row, e.col, "", "", e.bias])
        rows.append(["value", e.row, e.col, "", "", e.value])
        oh, ow = e.output.shape
        for i in range(oh):
            for j in range(ow):
                if e.mask[i, j]:
                    rows.append(["output", i, j, "", "", float(e.output[i, j])])
        return ["part", "row", "col", "input", "kernel", "value"], rows


class ConvSlide:
    """Where the explainer's window is: its settings and how many output cells are computed.

    ``step()`` computes the next cell (raster order), ``reset()`` clears the output, ``seek(cell)`` jumps so
    that the cells up to ``cell`` are computed.  ``data`` (a :class:`ConvExplainerData`, None until the
    lesson sends one) may be replaced at any time (the learned filters change as the network trains): the
    window stays where it is.  Changing a setting that changes the output's size restarts the slide."""

    def __init__(self, settings: ExplainerSettings | None = None) -> None:
        self.settings = settings or ExplainerSettings()
        self.data: ConvExplainerData | None = None
        self.filled = 0

    @property
    def cells(self) -> int:
        """OH·OW for the current data and settings (0 without data or when the kernel does not fit)."""
        if self.data is None:
            return 0
        try:
            oh, ow = self.data.output_shape(self.settings)
        except ValueError:
            return 0
        return oh * ow

    @property
    def done(self) -> bool:
        """True when every output cell is computed."""
        return self.filled >= self.cells

    def explain(self) -> ConvExplanation:
        """The picture now.  Raises LookupError before any data, ValueError when the kernel does not fit."""
        if self.data is None:
            raise LookupError("the explainer has no data yet: the lesson has not sent any")
        return self.data.explain(self.settings, self.filled)

    def step(self) -> bool:
        """Compute one more output cell.  Returns False (and changes nothing) when all are computed."""
        if self.done:
            return False
        self.filled += 1
        return True

    def reset(self) -> None:
        """Clear the output: the window goes back to the top-left corner, nothing computed."""
        self.filled = 0

    def seek(self, cell: int) -> None:
        """Compute the cells 0 … ``cell`` (raster index, clipped to the map)."""
        self.filled = min(max(int(cell) + 1, 0), self.cells)

    def configure(self, **changes) -> None:
        """Change settings (names of :class:`ExplainerSettings`).  Raises KeyError for an unknown name and
        ValueError (a message for the user) for a value out of range or a kernel larger than the padded
        input; the previous settings stay then."""
        new = self.settings.with_changes(changes)
        old_shape = self._shape(self.settings)
        if self.data is not None:
            try:
                new_shape = self.data.output_shape(new)
            except ValueError as err:
                raise ValueError(f"The explainer cannot convolve: {err}.") from None
            if new_shape != old_shape:
                self.filled = 0
        self.settings = new

    def _shape(self, s: ExplainerSettings) -> tuple[int, int] | None:
        if self.data is None:
            return None
        try:
            return self.data.output_shape(s)
        except ValueError:
            return None


def luminance(x: np.ndarray) -> np.ndarray:
    """Grey levels of an RGB image x (3, H, W) in [0, 1]: Y = 0.299 R + 0.587 G + 0.114 B (ITU-R
    BT.601, the weights of JPEG and PIL's "L" mode), (H, W) float64."""
    return np.tensordot(np.array([0.299, 0.587, 0.114]), x.astype(np.float64), axes=1)


def explainer_data(sample: np.ndarray, sample_name: str, W: np.ndarray, b: np.ndarray | None) -> ConvExplainerData:
    """The explainer's material: validation image ``sample`` (C, H, W) named ``sample_name`` (a colour photo
    in grey levels: its luminance), the bundled photo, the pattern, and first-layer weights W (F, C, K, K)
    with biases b (F,) (None: no bias).  On a grey image (R = G = B) a colour filter acts as the sum of its
    channels' kernels, so those are the explainer's learned kernels."""
    if sample.shape[0] == 3:
        digit, name = luminance(sample), f"{sample_name} in grey (luminance Y = 0.299 R + 0.587 G + 0.114 B)"
    else:
        digit, name = sample[0].astype(np.float64), sample_name
    images = {"digit": digit, "photo": photo(), "pattern": pattern()}
    names = {"digit": name, "photo": f"photo {PHOTO_SIZE}×{PHOTO_SIZE}", "pattern": f"pattern {PATTERN_SIZE}×{PATTERN_SIZE}"}
    filters = W.sum(axis=1).astype(np.float64)                             # (F, K, K)
    biases = np.zeros(len(W)) if b is None else np.asarray(b, np.float64).reshape(-1)
    return ConvExplainerData(images, names, filters, biases, "R + G + B weights" if W.shape[1] == 3 else "")
