"""Plot declarations and the plain-NumPy data a lesson hands to its plots.

A lesson declares its plots with :class:`PlotSpec`.  Curves (``kind="curves"``) are drawn from the
metric history the session records; every other kind is filled from the lesson's ``snapshot()``,
which returns one of the data classes below per plot id.  :data:`PLOT_KINDS` names the data class of
each kind; the UI draws each data class with one view (``visualizer.ui.plots``).  Every data class can
turn itself into a table (:meth:`table`), which is what CSV export writes, identically in the GUI and
the CLI.  Qt-free.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence, Union

import numpy as np

@dataclass(frozen=True)
class PlotSpec:
    """One plot of a lesson.

    kind: a key of :data:`PLOT_KINDS` (the data class the plot shows), or a lesson's own kind for a
    one-off picture, whose widget the lesson's ``view`` module registers in its ``PLOT_VIEWS``.
    series: for ``kind="curves"``, the metric names drawn (keys of the step records).
    y_range: a curve (or bars) plot's fixed y axis (low, high) for a bounded metric; the axis widens only if a
    value leaves it.  None: (0, 1) where :func:`share_plot` says the plot shows shares (accuracies,
    precision, AUC, probabilities), else the axis follows the data; ``()``: always follow the data.
    main: marks the lesson's main picture, which gets the room when a narrative step shows an odd number
    of plots (so that no cell of the two-column plot grid stays empty): ``"tall"`` takes the left column
    over two rows (a square picture: a digit grid, a 2-D field), ``"wide"`` takes a whole row (a strip of
    images); ``""`` (default): not the main picture.  Raises ValueError for any other value.
    """

    id: str
    title: str
    kind: str
    series: tuple[str, ...] = ()
    x_label: str = ""
    y_label: str = ""
    log_y: bool = False
    tooltip: str = ""
    y_range: tuple[float, ...] | None = None
    main: str = ""

    def __post_init__(self) -> None:
        if self.main not in MAIN_PLACES:
            raise ValueError(f"plot '{self.id}': main must be one of {MAIN_PLACES}, not {self.main!r}")


MAIN_PLACES = ("", "tall", "wide")
"""Values of :attr:`PlotSpec.main`."""

SHARE_NAME = re.compile(r"(^|_)(acc|accuracy|precision|recall|f1|auc)(_at_\d+)?$")
SHARE_LABELS = ("accuracy", "share", "probability")


def share_plot(spec: PlotSpec) -> bool:
    """True if a curve plot shows shares in [0, 1]: its y label starts with accuracy, share or
    probability, or every series is named like ``val_acc``, ``precision_at_10``, ``auc``, ``train_f1``
    (an engine twin ``name@torch`` counts as ``name``; a ``gap_…`` difference does not)."""
    if spec.y_label.lower().startswith(SHARE_LABELS):
        return True
    names = [s.partition("@")[0] for s in spec.series]
    return bool(names) and all(SHARE_NAME.search(n) and not n.startswith("gap") for n in names)


def fixed_y_range(spec: PlotSpec) -> tuple[float, float] | None:
    """The fixed y range of a curve plot (see :attr:`PlotSpec.y_range`), or None where the axis follows
    the data (log axes always do)."""
    if spec.log_y or spec.y_range == ():
        return None
    if spec.y_range is not None:
        return (float(spec.y_range[0]), float(spec.y_range[1]))
    return (0.0, 1.0) if share_plot(spec) else None


Table = tuple[list[str], list[list]]


@dataclass
class ScatterData:
    """Labelled points.  points: (N, 2) float; labels: (N,) int class ids; groups: optional (N,) str
    such as ``"train"``/``"test"`` that the view draws with different symbols; title: an optional line
    above the plot that says what is drawn (e.g. "PCA of the 8-D code").
    values: optional (N,) float32, one number per point (e.g. max_a Q(s, a) of a stored state); when given,
    the points are coloured by it through ``colormap`` (a colour bar labelled ``colorbar_label``, levels from
    ``levels`` or the data's range) instead of by class."""

    points: np.ndarray
    labels: np.ndarray
    groups: np.ndarray | None = None
    class_names: Sequence[str] = ()
    x_label: str = ""
    y_label: str = ""
    title: str = ""
    values: np.ndarray | None = None
    colormap: str = "viridis"
    colorbar_label: str = ""
    levels: tuple[float, float] | None = None

    def table(self) -> Table:
        header = (["x", "y", "label"] + (["group"] if self.groups is not None else [])
                  + ([self.colorbar_label or "value"] if self.values is not None else []))
        rows = []
        for i in range(len(self.points)):
            row = [float(self.points[i, 0]), float(self.points[i, 1]), int(self.labels[i])]
            if self.groups is not None:
                row.append(str(self.groups[i]))
            if self.values is not None:
                row.append(float(self.values[i]))
            rows.append(row)
        return header, rows


@dataclass
class ImageData:
    """A 2-D field drawn as a colour map: image (H, W) float32, row 0 at the *bottom* (y = extent[2]);
    or a colour picture (H, W, 3) float32 with R, G, B last, each channel mapped linearly from
    ``levels`` to dark..full, without a colour bar.

    extent: (x_min, x_max, y_min, y_max) in data units; levels: (low, high) of the colour map;
    colormap: a pyqtgraph/matplotlib colormap name; overlay: optional points drawn on top."""

    image: np.ndarray
    extent: tuple[float, float, float, float] | None = None
    levels: tuple[float, float] = (0.0, 1.0)
    colormap: str = "viridis"
    overlay: ScatterData | None = None
    x_label: str = ""
    y_label: str = ""
    colorbar_label: str = ""

    @property
    def rgb(self) -> bool:
        """True for a colour picture (H, W, 3)."""
        return np.ndim(self.image) == 3

    def table(self) -> Table:
        h, w = self.image.shape[:2]
        if self.extent is None:
            xs, ys = np.arange(w, dtype=float), np.arange(h, dtype=float)
        else:
            xs = np.linspace(self.extent[0], self.extent[1], w)
            ys = np.linspace(self.extent[2], self.extent[3], h)
        if self.rgb:
            header = ["row", "col", "x", "y", "R", "G", "B"]
            rows = [[r, c, float(xs[c]), float(ys[r]), *(float(v) for v in self.image[r, c])]
                    for r in range(h) for c in range(w)]
            return header, rows
        header = ["row", "col", "x", "y", "value"]
        rows = [[r, c, float(xs[c]), float(ys[r]), float(self.image[r, c])] for r in range(h) for c in range(w)]
        return header, rows


@dataclass
class ImageGridData:
    """Small images in a grid, one caption each (row 0 at the top, like a photo).  Used for
    first-layer weights, misclassified samples, per-neuron maps.

    images: (N, H, W) float32 values drawn through ``colormap`` between ``levels`` (None: the data's
    range), or (N, H, W, 3) float32 colour images with R, G, B last, each channel mapped linearly
    from ``levels`` (default (0, 1)) to dark..full and ``colormap`` unused.  NaN pixels are not drawn."""

    images: np.ndarray
    captions: Sequence[str] = ()
    levels: tuple[float, float] | None = None
    colormap: str = "gray"
    ncols: int = 0
    caption_colors: Sequence[str] = ()

    @property
    def rgb(self) -> bool:
        """True for colour tiles (N, H, W, 3)."""
        return np.ndim(self.images) == 4

    def table(self) -> Table:
        n, h, w = self.images.shape[:3]
        if self.rgb:
            header = ["index", "caption"] + [f"p{r}_{c}_{ch}" for r in range(h) for c in range(w) for ch in "RGB"]
        else:
            header = ["index", "caption"] + [f"p{r}_{c}" for r in range(h) for c in range(w)]
        rows = []
        for i in range(n):
            cap = self.captions[i] if i < len(self.captions) else ""
            rows.append([i, cap] + [float(v) for v in self.images[i].ravel()])
        return header, rows


@dataclass
class MatrixData:
    """A labelled matrix drawn as a heatmap with its numbers: values (R, C).  Confusion matrices
    put the true class on rows and the predicted class on columns.  levels: the colour map's (low, high),
    e.g. (0, 1) for probabilities such as attention weights; None: from min(0, smallest) to the largest."""

    values: np.ndarray
    row_labels: Sequence[str]
    col_labels: Sequence[str]
    row_title: str = ""
    col_title: str = ""
    colormap: str = "viridis"
    fmt: str = "{:.0f}"
    levels: tuple[float, float] | None = None

    def table(self) -> Table:
        header = [f"{self.row_title or 'row'}\\{self.col_title or 'col'}"] + [str(c) for c in self.col_labels]
        rows = [[str(self.row_labels[r])] + [float(v) for v in self.values[r]] for r in range(self.values.shape[0])]
        return header, rows


@dataclass
class BarsData:
    """Named bars: labels (K,), values (K,) float; e.g. gradient norm per layer."""

    labels: Sequence[str]
    values: np.ndarray
    y_label: str = ""

    def table(self) -> Table:
        return ["label", "value"], [[str(l), float(v)] for l, v in zip(self.labels, self.values)]


@dataclass
class NetworkData:
    """A layered network drawn as nodes and weighted edges (TensorFlow-Playground style).

    layer_sizes: neurons per layer, inputs first; weights: one (n_in, n_out) matrix per layer
    transition; node_images: optional per-layer (n, H, W) maps of each neuron's output over the
    input plane; node_labels: per-layer names (input features)."""

    layer_sizes: Sequence[int]
    weights: Sequence[np.ndarray]
    node_images: Sequence[np.ndarray] = ()
    node_labels: Sequence[Sequence[str]] = ()
    image_levels: tuple[float, float] = (-1.0, 1.0)

    def table(self) -> Table:
        header = ["layer", "from", "to", "weight"]
        rows = []
        for layer, w in enumerate(self.weights):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    rows.append([layer, i, j, float(w[i, j])])
        return header, rows


@dataclass
class CurvesData:
    """Series over training steps, as drawn by a ``curves`` plot: series name -> (steps (N,), values (N,)),
    plus markers (step, text) for live hyperparameter changes.  x_range: a fixed x axis (low, high) where the
    data's extent is known beforehand (a CartPole episode lasts at most 500 steps), None: the axis follows the
    data."""

    series: dict[str, tuple[np.ndarray, np.ndarray]]
    markers: list[tuple[int, str]] = field(default_factory=list)
    x_range: tuple[float, float] | None = None

    def table(self) -> Table:
        """One row per step that any series has; empty cells where a series has no value there."""
        names = list(self.series)
        steps = sorted({int(s) for x, _ in self.series.values() for s in x})
        lookup = {n: dict(zip((int(s) for s in x), (float(v) for v in y))) for n, (x, y) in self.series.items()}
        rows = [[s] + [lookup[n].get(s, "") for n in names] for s in steps]
        return ["step"] + names, rows


@dataclass
class TableData(MatrixData):
    """A table of numbers, drawn as a table (not a heatmap): values (R, C) float with ``row_labels`` (R,)
    and ``col_labels`` (C,), each cell written with ``fmt`` (an empty cell for NaN); ``row_title`` heads
    the column of row labels; units: (C,) the unit of each column ("" for none, e.g. when the label is a
    unit such as "steps/s"), shown in the header as "val acc (share)" and written into the CSV header.
    Unlike a :class:`MatrixData` its columns hold different quantities (steps/s next to an accuracy), so
    the view shows the numbers only; ``colormap`` is unused."""

    units: Sequence[str] = ()

    def table(self) -> Table:
        header, rows = super().table()
        units = list(self.units) + [""] * len(self.col_labels)
        header = [self.row_title or "row"] + [f"{c} ({u})" if u else str(c) for c, u in zip(self.col_labels, units)]
        return header, rows


LINE_BREAK = "<eos>"      # in TextData words: a new line (the end-of-sentence token of the PTB corpus)


@dataclass
class TextData:
    """Generated text: the prompt's words, then the sampled ones (Saitoh, *Deep Learning from Scratch 2*,
    ch. 7, text generation).

    prompt: (P,) words; words: (K,) generated words (``LINE_BREAK`` marks a sentence end); temperature: the
    sampling temperature (0 = greedy); step: the training step the model had; note: one line on how it
    was made; separator: what joins the words (``""`` for character-level text, whose pieces carry their own
    spaces: a small GPT's samples)."""

    prompt: list[str]
    words: list[str]
    temperature: float = 1.0
    step: int = 0
    note: str = ""
    separator: str = " "

    def text(self) -> str:
        """Prompt and continuation as running text, one sentence per line."""
        sep = self.separator
        return sep.join(self.prompt + self.words).replace(f"{sep}{LINE_BREAK}{sep}", "\n").replace(
            LINE_BREAK, "\n").strip()

    def table(self) -> Table:
        rows = [[i + 1, w, "prompt"] for i, w in enumerate(self.prompt)]
        rows += [[len(self.prompt) + i + 1, w, "generated"] for i, w in enumerate(self.words)]
        return ["position", "word", "source"], rows


@dataclass
class PredictionsData:
    """K examples of a sequence model: questions, true answers and the model's answers (strings, padding
    stripped) and whether each prediction matches its answer exactly (correct, K bools).  ``step`` is the
    training step they were decoded at; ``accuracy`` the exact-match accuracy on the whole test subset
    (None: not measured); ``columns`` the three column titles.  Raises ValueError if the four sequences
    differ in length."""

    questions: Sequence[str]
    answers: Sequence[str]
    predictions: Sequence[str]
    correct: Sequence[bool]
    step: int = 0
    accuracy: float | None = None
    columns: tuple[str, str, str] = field(default=("question", "answer", "prediction"))

    def __post_init__(self) -> None:
        n = len(self.questions)
        if not (len(self.answers) == len(self.predictions) == len(self.correct) == n):
            raise ValueError("questions, answers, predictions and correct must have one entry per example")

    def table(self) -> Table:
        header = [*self.columns, "correct"]
        rows = [[q, a, p, bool(c)] for q, a, p, c in zip(self.questions, self.answers, self.predictions,
                                                        self.correct)]
        return header, rows


@dataclass
class WordMapData:
    """Words at points (an embedding projector): points (N, 2) float, words (N,) str, classes (N,) int
    indices into class_names (colours); highlight: indices of points drawn emphasized (the query word
    first, then its neighbours).  N ≤ about 150 (the view labels the words that fit, highlighted first, and
    shows the rest on hover).  depth: (N,) float or None, for a 3-D cloud seen from one direction: larger is
    nearer the viewer; the view draws nearer words larger and on top.  points3d: (N, 3) float, the cloud
    itself, and angles: (azimuth, elevation) in
    degrees that gave points and depth; with both, the view can turn the cloud while the user drags."""

    points: np.ndarray
    words: Sequence[str]
    classes: np.ndarray
    class_names: Sequence[str] = ()
    highlight: Sequence[int] = field(default_factory=list)
    x_label: str = ""
    y_label: str = ""
    depth: np.ndarray | None = None
    points3d: np.ndarray | None = None
    angles: tuple[float, float] | None = None

    def table(self) -> Table:
        rows = []
        hl = set(int(i) for i in self.highlight)
        for i, w in enumerate(self.words):
            cls = self.class_names[int(self.classes[i])] if len(self.class_names) else ""
            row = [str(w), float(self.points[i, 0]), float(self.points[i, 1]), cls, int(i in hl)]
            if self.depth is not None:
                row.append(float(self.depth[i]))
            rows.append(row)
        header = ["word", "x", "y", "class", "highlighted"]
        return (header + ["depth"] if self.depth is not None else header), rows


BOX_STYLES = ("solid", "dashed", "dotted")


@dataclass
class AnnotatedImageData:
    """A picture with what a vision model says about it drawn on top: boxes, a class mask, a heat map,
    keypoints, limbs and arrows (detection, segmentation, pose).  All coordinates are the image's pixels:
    x to the right, y *down*, pixel (r, c) covers [c, c+1) x [r, r+1), row 0 at the top like a photo.

    image: (H, W, 3) float32 RGB in [0, 1], or (H, W) float32 grey in [0, 1].
    boxes: (B, 4) float32 (x0, y0, x1, y1); box_classes: (B,) int, the colour (class k: palette colour k,
    -1: neutral grey); box_labels: (B,) text written at the box's top-left corner ("circle 0.93", "IoU 0.71");
    box_styles: (B,) one of :data:`BOX_STYLES` (e.g. ground truth solid, predictions dashed).
    mask: (H, W) int64 class ids: 0 background (not drawn), k >= 1 drawn in palette colour k - 1 at
    ``mask_alpha``, -1 a void/ignored pixel (drawn grey).
    heat: (H, W) float32 drawn through ``heat_colormap`` between ``heat_levels`` at ``heat_alpha`` with a
    colour bar labelled ``heat_label`` (a confidence map, a Grad-CAM); it may be coarser than the image
    (then it is stretched over the whole picture).
    points: (P, 2) float32 (x, y); point_classes: (P,) int colours; point_labels: (P,) text (shown on hover).
    segments: (L, 2, 2) float32 ((x0, y0), (x1, y1)) lines, e.g. limbs; segment_classes: (L,) int colours;
    segment_width: pixels on screen.
    arrows: (A, 4) float32 (x, y, dx, dy) from (x, y) to (x + dx, y + dy) (a part affinity field);
    arrow_classes: (A,) int colours.
    class_names: the name of each palette colour (the legend lists those in use); caption: a line under the
    picture.  Raises ValueError when an array's shape does not match (checked by :meth:`validate`)."""

    image: np.ndarray
    boxes: np.ndarray | None = None
    box_classes: np.ndarray | None = None
    box_labels: Sequence[str] = ()
    box_styles: Sequence[str] = ()
    mask: np.ndarray | None = None
    mask_alpha: float = 0.45
    heat: np.ndarray | None = None
    heat_levels: tuple[float, float] = (0.0, 1.0)
    heat_colormap: str = "inferno"
    heat_alpha: float = 0.6
    heat_label: str = ""
    points: np.ndarray | None = None
    point_classes: np.ndarray | None = None
    point_labels: Sequence[str] = ()
    segments: np.ndarray | None = None
    segment_classes: np.ndarray | None = None
    segment_width: float = 3.0
    arrows: np.ndarray | None = None
    arrow_classes: np.ndarray | None = None
    class_names: Sequence[str] = ()
    caption: str = ""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def rgb(self) -> bool:
        """True for a colour picture (H, W, 3)."""
        return np.ndim(self.image) == 3

    def validate(self) -> None:
        """Raise ValueError naming the first array whose shape does not fit."""
        img = np.asarray(self.image)
        if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
            raise ValueError(f"image must be (H, W) or (H, W, 3), got {img.shape}")
        h, w = img.shape[:2]
        for name, arr, tail in (("boxes", self.boxes, (4,)), ("points", self.points, (2,)),
                                ("segments", self.segments, (2, 2)), ("arrows", self.arrows, (4,))):
            if arr is not None and (np.ndim(arr) != 1 + len(tail) or np.shape(arr)[1:] != tail):
                raise ValueError(f"{name} must be (n, {', '.join(map(str, tail))}), got {np.shape(arr)}")
        for name, arr, ref in (("box_classes", self.box_classes, self.boxes),
                               ("point_classes", self.point_classes, self.points),
                               ("segment_classes", self.segment_classes, self.segments),
                               ("arrow_classes", self.arrow_classes, self.arrows)):
            if arr is not None and np.ndim(arr) != 1:
                raise ValueError(f"{name} must be one class id per item, (n,), got {np.shape(arr)}")
            if arr is not None and (ref is None or len(arr) != len(ref)):
                raise ValueError(f"{name} has {len(arr)} entries for {0 if ref is None else len(ref)} items")
        for name, seq, ref in (("box_labels", self.box_labels, self.boxes), ("box_styles", self.box_styles, self.boxes),
                               ("point_labels", self.point_labels, self.points)):
            if len(seq) and (ref is None or len(seq) != len(ref)):
                raise ValueError(f"{name} has {len(seq)} entries for {0 if ref is None else len(ref)} items")
        bad = [s for s in self.box_styles if s not in BOX_STYLES]
        if bad:
            raise ValueError(f"box style {bad[0]!r} is not one of {BOX_STYLES}")
        if self.mask is not None and np.shape(self.mask) != (h, w):
            raise ValueError(f"mask must be the image's (H, W) = {(h, w)}, got {np.shape(self.mask)}")
        if self.mask is not None:
            m = np.asarray(self.mask)
            if m.dtype.kind not in "iub" and not (m.dtype.kind == "f" and np.all(np.isfinite(m))
                                                  and np.all(m == np.round(m))):
                raise ValueError(f"mask must hold whole class ids (0 background, k >= 1, -1 void), got "
                                 f"{m.dtype} values such as {m.ravel()[np.argmax(m.ravel() != np.round(m.ravel()))]}")
        if self.heat is not None and np.ndim(self.heat) != 2:
            raise ValueError(f"heat must be (h, w), got {np.shape(self.heat)}")

    def table(self) -> Table:
        """One row per drawn item: kind (box, point, segment, arrow, mask), index, class, label and its
        coordinates; the mask as one row per class with its pixel count."""
        header = ["kind", "index", "class", "label", "x0", "y0", "x1", "y1"]
        rows: list[list] = []

        def name(k) -> str:
            k = int(k)
            return self.class_names[k] if 0 <= k < len(self.class_names) else str(k)

        def cls(arr, i):
            return "" if arr is None else name(arr[i])

        for i, b in enumerate(() if self.boxes is None else self.boxes):
            label = self.box_labels[i] if len(self.box_labels) else ""
            rows.append(["box", i, cls(self.box_classes, i), label, *(float(v) for v in b)])
        for i, p in enumerate(() if self.points is None else self.points):
            label = self.point_labels[i] if len(self.point_labels) else ""
            rows.append(["point", i, cls(self.point_classes, i), label, float(p[0]), float(p[1]), "", ""])
        for i, s in enumerate(() if self.segments is None else self.segments):
            rows.append(["segment", i, cls(self.segment_classes, i), "", *(float(v) for v in np.ravel(s))])
        for i, a in enumerate(() if self.arrows is None else self.arrows):
            x, y, dx, dy = (float(v) for v in a)
            rows.append(["arrow", i, cls(self.arrow_classes, i), "", x, y, x + dx, y + dy])
        if self.mask is not None:
            ids, counts = np.unique(np.asarray(self.mask), return_counts=True)
            for k, n in zip(ids, counts):
                label = "background" if k == 0 else "void" if k < 0 else name(k - 1)
                rows.append(["mask", int(k), label, f"{int(n)} pixels", "", "", "", ""])
        return header, rows


ATTENTION_MODES = ("head", "model", "neuron")
"""Values of :attr:`AttentionData.mode`."""


@dataclass
class AttentionData:
    """The attention weights of a Transformer for one input, every layer and head (Vaswani et al. 2017;
    the pictures follow Vig's BertViz, 2019: head view, model view, neuron view).

    tokens: the T query tokens as text; key_tokens: the S key tokens (() means the same as ``tokens``, self
    attention, S = T).
    weights: (L, H, T, S) float32 softmax outputs: ``weights[l, h, i, j]`` is how much query i of head h in
    layer l attends to key j; each row sums to 1 (a masked key has weight 0).
    mode: which picture (:data:`ATTENTION_MODES`): ``"head"`` lines from each query token (left column) to the
    key tokens (right column), width and opacity by weight, for ``head`` of ``layer`` (``head = -1``: every
    head of the layer, one colour per head); ``"model"`` every layer x head as a small heat map (rows
    layers, columns heads), the selected one outlined; ``"neuron"`` the query and key vectors of the
    selected head for ``query_index`` with their elementwise product and the scores q·k/√d_k before the
    softmax (needs ``queries`` and ``keys``).
    layer, head: the selected layer and head (0-based).
    queries: (T, d_k) float32 and keys: (S, d_k) float32 of the selected layer and head, or None.
    query_index: the query token the neuron view explains (0-based).
    causal: True for a decoder's causal mask (keys after the query are masked; drawn as such).
    caption: a line under the picture (e.g. "truncated to 128 tokens").
    Raises ValueError when a shape does not fit (checked by :meth:`validate`)."""

    tokens: Sequence[str]
    weights: np.ndarray
    key_tokens: Sequence[str] = ()
    mode: str = "head"
    layer: int = 0
    head: int = 0
    queries: np.ndarray | None = None
    keys: np.ndarray | None = None
    query_index: int = 0
    causal: bool = False
    caption: str = ""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def keys_text(self) -> Sequence[str]:
        """The key tokens (``key_tokens``, or ``tokens`` for self-attention)."""
        return self.key_tokens if len(self.key_tokens) else self.tokens

    @property
    def n_layers(self) -> int:
        """L, the number of layers."""
        return int(np.shape(self.weights)[0])

    @property
    def n_heads(self) -> int:
        """H, the number of heads per layer."""
        return int(np.shape(self.weights)[1])

    def validate(self) -> None:
        """Raise ValueError naming the first field that does not fit."""
        if self.mode not in ATTENTION_MODES:
            raise ValueError(f"attention mode must be one of {ATTENTION_MODES}, not {self.mode!r}")
        w = np.asarray(self.weights)
        t, s = len(self.tokens), len(self.keys_text)
        if w.ndim != 4 or w.shape[2:] != (t, s):
            raise ValueError(f"weights must be (layers, heads, {t} query tokens, {s} key tokens), got {w.shape}")
        if not 0 <= self.layer < w.shape[0] or not -1 <= self.head < w.shape[1]:
            raise ValueError(f"layer {self.layer}, head {self.head} is outside the {w.shape[0]} x {w.shape[1]} heads")
        for name, arr, n in (("queries", self.queries, t), ("keys", self.keys, s)):
            if arr is not None and (np.ndim(arr) != 2 or np.shape(arr)[0] != n):
                raise ValueError(f"{name} must be ({n}, d_k), got {np.shape(arr)}")
        if (self.queries is None) != (self.keys is None) or (
                self.queries is not None and np.shape(self.queries)[1] != np.shape(self.keys)[1]):
            raise ValueError("queries and keys come together, with the same d_k")
        if self.mode == "neuron" and self.queries is None:
            raise ValueError("the neuron view needs the selected head's queries and keys")
        if t and not 0 <= self.query_index < t:
            raise ValueError(f"query_index {self.query_index} is outside the {t} tokens")

    def table(self) -> Table:
        """The CSV: one row per (layer, head, query, key) with the tokens and the weight, so that one layer
        and head is the rows with that layer and head."""
        w = np.asarray(self.weights, dtype=np.float64)
        keys = self.keys_text
        rows = [[l, h, i, self.tokens[i], j, keys[j], float(w[l, h, i, j])]
                for l in range(w.shape[0]) for h in range(w.shape[1])
                for i in range(w.shape[2]) for j in range(w.shape[3])]
        return ["layer", "head", "query_index", "query_token", "key_index", "key_token", "weight"], rows


@dataclass
class HighlightedTextData:
    """Sentences with one score in [0, 1] per token, drawn as words on a background whose colour grows with
    the score: the book's highlight of the words a classifier's [CLS] token attends to (Ogawa, *PyTorch
    advanced deep learning*, ch. 7, the attention of the last layer shown over the review).

    sentences: N token lists (the words as text); scores: N float arrays, ``scores[n]`` of shape
    (len(sentences[n]),), values in [0, 1] (NaN or Inf: not scored, drawn neutral); labels: N texts shown with
    each sentence (e.g. "predicted positive, true negative"; () for none); correct: N bools (a wrong
    prediction is marked) or () for none; score_label: what the score is (the colour bar's title); caption: a
    line under the picture.
    Raises ValueError when the lengths do not fit or a finite score lies outside [0, 1]."""

    sentences: Sequence[Sequence[str]]
    scores: Sequence[np.ndarray]
    labels: Sequence[str] = ()
    correct: Sequence[bool] = ()
    score_label: str = "attention (share of the largest)"
    caption: str = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field that does not fit."""
        n = len(self.sentences)
        if len(self.scores) != n:
            raise ValueError(f"scores must hold one array per sentence ({n}), got {len(self.scores)}")
        for name, seq in (("labels", self.labels), ("correct", self.correct)):
            if len(seq) not in (0, n):
                raise ValueError(f"{name} must be empty or hold one entry per sentence ({n}), got {len(seq)}")
        for k, (words, score) in enumerate(zip(self.sentences, self.scores)):
            s = np.asarray(score, dtype=np.float64)
            if s.shape != (len(words),):
                raise ValueError(f"sentence {k}: scores must be ({len(words)},) like its tokens, got {s.shape}")
            finite = s[np.isfinite(s)]
            if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
                raise ValueError(f"sentence {k}: scores must lie in [0, 1], got {finite.min():.3g} .. "
                                 f"{finite.max():.3g}")

    def table(self) -> Table:
        """The CSV: one row per token (sentence, token index, token, score, the sentence's label)."""
        rows = []
        for k, (words, score) in enumerate(zip(self.sentences, self.scores)):
            label = str(self.labels[k]) if len(self.labels) else ""
            rows += [[k, i, str(w), float(v), label] for i, (w, v) in enumerate(zip(words, np.asarray(score)))]
        return ["sentence", "token_index", "token", "score", "label"], rows


@dataclass
class ClipData:
    """A video clip to play, with the frames a video model sampled marked (ECO, Zolfaghari et al. 2018;
    Ogawa, *PyTorch advanced deep learning* ch. 9) and an optional heat map per frame (Grad-CAM over time).

    frames: (T, H, W) float32 grey or (T, H, W, 3) float32 colour frames in [0, 1], row 0 at the top (a photo).
    sampled: (N,) int frame indices the model saw (one per segment), each in [0, T); drawn as marks on the
    film strip and highlighted while playing.
    heat: optional (T, H, W) float32 in [0, 1] drawn over each frame through ``heat_colormap`` (a frame with
    no heat map: NaN everywhere); heat_label: what it is (e.g. "Grad-CAM for 'rotate'").
    frame_scores: optional (T,) float32, one number per frame drawn under the strip (e.g. the probability of
    the true class from a window ending at that frame); score_label names it.
    fps: playback speed in frames per second (the view loops the clip).
    caption: a line under the picture (the true and predicted class).
    Raises ValueError when a shape does not fit (checked by :meth:`validate`)."""

    frames: np.ndarray
    sampled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    heat: np.ndarray | None = None
    heat_label: str = ""
    heat_colormap: str = "inferno"
    frame_scores: np.ndarray | None = None
    score_label: str = ""
    fps: float = 12.0
    caption: str = ""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def rgb(self) -> bool:
        """True for colour frames (T, H, W, 3)."""
        return np.ndim(self.frames) == 4

    def validate(self) -> None:
        """Raise ValueError naming the first field that does not fit."""
        f = np.asarray(self.frames)
        if f.ndim not in (3, 4) or (f.ndim == 4 and f.shape[3] != 3) or f.shape[0] == 0:
            raise ValueError(f"frames must be (T, H, W) or (T, H, W, 3) with T >= 1, got {f.shape}")
        t = f.shape[0]
        s = np.asarray(self.sampled)
        if s.ndim != 1 or (s.size and (s.min() < 0 or s.max() >= t)):
            raise ValueError(f"sampled must be (N,) frame indices in [0, {t}), got {s.tolist()}")
        if self.heat is not None and np.shape(self.heat) != f.shape[:3]:
            raise ValueError(f"heat must be {f.shape[:3]} (one map per frame), got {np.shape(self.heat)}")
        if self.frame_scores is not None and np.shape(self.frame_scores) != (t,):
            raise ValueError(f"frame_scores must be ({t},), got {np.shape(self.frame_scores)}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    def table(self) -> Table:
        """The CSV: one row per frame: whether it was sampled (and for which segment), its mean brightness, the
        heat map's mean and peak position (row, col) and the frame score."""
        f = np.asarray(self.frames, dtype=np.float64)
        segment = {int(i): k for k, i in enumerate(np.asarray(self.sampled).tolist())}
        rows = []
        for t in range(f.shape[0]):
            row = [t, int(t in segment), segment.get(t, ""), float(f[t].mean())]
            if self.heat is not None and np.isfinite(self.heat[t]).any():
                h = np.nan_to_num(np.asarray(self.heat[t], dtype=np.float64), nan=-np.inf)
                r, c = np.unravel_index(int(np.argmax(h)), h.shape)
                row += [float(np.nanmean(self.heat[t])), int(r), int(c)]
            else:
                row += ["", "", ""]
            row.append("" if self.frame_scores is None else float(self.frame_scores[t]))
            rows.append(row)
        return ["frame", "sampled", "segment", "mean_brightness", "heat_mean", "heat_peak_row", "heat_peak_col",
                "score"], rows


@dataclass
class EnvironmentData:
    """A reinforcement-learning environment's frames to animate (Sutton and Barto, *Reinforcement Learning*;
    Buduma, *Fundamentals of Deep Learning* ch. 13).  The base of :class:`CartPoleData`,
    :class:`GridWorldData` and :class:`AtariFrameData`; the one view of kind ``"environment"`` draws each.

    episode: the episode number the frames belong to (0-based); step: the first frame's time step in it;
    episode_return: the return so far at the last frame; fps: playback speed of the frames in frames per
    second (the view plays them once and holds the last); caption: a line under the picture."""

    episode: int = 0
    step: int = 0
    episode_return: float = 0.0
    fps: float = 30.0
    caption: str = ""

    def table(self) -> Table:   # pragma: no cover - every subclass has its own
        raise NotImplementedError


@dataclass
class CartPoleData(EnvironmentData):
    """CartPole frames (Barto, Sutton and Anderson 1983; gymnasium's ``CartPole-v1``), drawn from the state.

    states: (T, 4) float32 rows (cart position x in m, cart velocity in m/s, pole angle theta in rad with 0
    upright and positive clockwise, i.e. leaning right, pole angular velocity in rad/s), one per time step;
    actions: (T,) int, 0 pushes left and 1 right (-1: none yet); q_values: optional (T, 2) float32 Q(s, a)
    of both actions at each frame; x_threshold: |x| beyond this (m) ends the episode; theta_threshold: |theta|
    beyond this (rad) ends it; pole_half_length: m (gymnasium: 0.5).
    Raises ValueError when a shape does not fit."""

    states: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.float32))
    actions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    q_values: np.ndarray | None = None
    x_threshold: float = 2.4
    theta_threshold: float = 12 * 2 * np.pi / 360
    pole_half_length: float = 0.5

    def __post_init__(self) -> None:
        s = np.asarray(self.states)
        if s.ndim != 2 or s.shape[1] != 4:
            raise ValueError(f"states must be (T, 4): x, x_dot, theta, theta_dot; got {s.shape}")
        if np.shape(self.actions) != (s.shape[0],):
            raise ValueError(f"actions must be ({s.shape[0]},), got {np.shape(self.actions)}")
        if self.q_values is not None and np.shape(self.q_values) != (s.shape[0], 2):
            raise ValueError(f"q_values must be ({s.shape[0]}, 2), got {np.shape(self.q_values)}")

    def table(self) -> Table:
        """The CSV: one row per frame (episode, step, state, action, Q-values)."""
        rows = []
        for t, st in enumerate(np.asarray(self.states, dtype=np.float64)):
            q = ["", ""] if self.q_values is None else [float(v) for v in self.q_values[t]]
            rows.append([self.episode, self.step + t, *(float(v) for v in st), int(self.actions[t]), *q])
        return ["episode", "step", "x", "x_dot", "theta", "theta_dot", "action", "q_left", "q_right"], rows


@dataclass
class AtariFrameData(EnvironmentData):
    """Atari screens (the Arcade Learning Environment, Bellemare et al. 2013, through ``ale-py`` and gymnasium) as
    the agent saw them, with the Q-values of its actions (Mnih et al. 2015).

    frames: (T, 210, 160, 3) uint8 RGB screens, one per agent step (the last of the frames skipped), kept short
    (a few dozen at most); actions: (T,) int index into ``action_names`` of the action taken at each frame (-1:
    none yet); q_values: optional (T, A) float32 Q(s, a) of every action at each frame; action_names: the game's
    A action meanings (``env.unwrapped.get_action_meanings()``, e.g. NOOP, FIRE, RIGHT); returns: optional (T,)
    float64 unclipped return collected before each frame (else ``episode_return`` stands for all); game: its
    name.
    The CSV holds one row per frame (episode, step, action, Q-values), not the pixels.
    Raises ValueError when a shape does not fit."""

    frames: np.ndarray = field(default_factory=lambda: np.zeros((0, 210, 160, 3), dtype=np.uint8))
    actions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    q_values: np.ndarray | None = None
    action_names: tuple[str, ...] = ()
    returns: np.ndarray | None = None
    game: str = ""

    def __post_init__(self) -> None:
        f = np.asarray(self.frames)
        if f.ndim != 4 or f.shape[3] != 3:
            raise ValueError(f"frames must be (T, H, W, 3) RGB, got {f.shape}")
        if np.shape(self.actions) != (f.shape[0],):
            raise ValueError(f"actions must be ({f.shape[0]},), got {np.shape(self.actions)}")
        self.action_names = tuple(str(a) for a in self.action_names)
        if self.q_values is not None and np.shape(self.q_values) != (f.shape[0], len(self.action_names)):
            raise ValueError(f"q_values must be ({f.shape[0]}, {len(self.action_names)}): one per frame and "
                             f"action, got {np.shape(self.q_values)}")
        if self.returns is not None and np.shape(self.returns) != (f.shape[0],):
            raise ValueError(f"returns must be ({f.shape[0]},), got {np.shape(self.returns)}")

    def table(self) -> Table:
        """The CSV: one row per frame: episode, step, the return before it, the action taken (index and name), Q of
        every action."""
        rows = []
        n = len(self.action_names)
        for t in range(len(self.actions)):
            a = int(self.actions[t])
            name = self.action_names[a] if 0 <= a < n else ""
            q = [""] * n if self.q_values is None else [
                float(v) if np.isfinite(v) else "" for v in np.asarray(self.q_values[t], dtype=np.float64)]
            ret = "" if self.returns is None or not np.isfinite(self.returns[t]) else float(self.returns[t])
            rows.append([self.episode, self.step + t, ret, a, name, *q])
        return (["episode", "step", "return_before", "action", "action_name",
                 *(f"q_{name}" for name in self.action_names)], rows)


GRID_CELLS = ("empty", "wall", "goal", "pit", "start")
"""Cell codes of :class:`GridWorldData` (index = code)."""
GRID_ACTIONS = ("up", "right", "down", "left")
"""Action codes of a grid world (index = code)."""


@dataclass
class GridWorldData(EnvironmentData):
    """A grid world (Sutton and Barto ch. 3-6; Karpathy's REINFORCEjs GridWorld) with its tabular values.

    cells: (H, W) int codes of :data:`GRID_CELLS`, row 0 at the top.
    values: optional (H, W) float32 V(s) = max_a Q(s, a) (NaN on walls); q_values: optional (H, W, 4) float32
    Q(s, a) for the actions of :data:`GRID_ACTIONS` (NaN on walls and terminal cells); policy: optional (H, W)
    int greedy action per cell (-1: none, e.g. walls, terminals, unvisited); agent: (T, 2) int (row, col)
    positions to animate, one per time step (may be empty); rewards: optional (H, W) float32 reward for
    entering a cell, written on goal and pit cells; editable: the view lets the user click cells to edit
    the map (it emits ``paramRequested("grid_edit", "row,col")``).
    Raises ValueError when a shape does not fit."""

    cells: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), dtype=np.int64))
    values: np.ndarray | None = None
    q_values: np.ndarray | None = None
    policy: np.ndarray | None = None
    agent: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    rewards: np.ndarray | None = None
    editable: bool = False

    def __post_init__(self) -> None:
        c = np.asarray(self.cells)
        if c.ndim != 2 or c.size == 0 or c.min() < 0 or c.max() >= len(GRID_CELLS):
            raise ValueError(f"cells must be (H, W) codes 0..{len(GRID_CELLS) - 1}, got shape {c.shape}")
        hw = c.shape
        for name, arr, shape in (("values", self.values, hw), ("q_values", self.q_values, hw + (4,)),
                                 ("policy", self.policy, hw), ("rewards", self.rewards, hw)):
            if arr is not None and np.shape(arr) != shape:
                raise ValueError(f"{name} must be {shape}, got {np.shape(arr)}")
        a = np.asarray(self.agent)
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"agent must be (T, 2) (row, col) positions, got {a.shape}")

    def table(self) -> Table:
        """The CSV: one row per cell: its kind, reward, V, the four Q-values and the greedy action."""
        rows = []
        h, w = np.shape(self.cells)

        def num(arr, *idx):
            return "" if arr is None or not np.isfinite(arr[idx]) else float(arr[idx])

        for r in range(h):
            for c in range(w):
                pol = -1 if self.policy is None else int(self.policy[r, c])
                rows.append([r, c, GRID_CELLS[int(self.cells[r, c])], num(self.rewards, r, c),
                             num(self.values, r, c), *(num(self.q_values, r, c, a) for a in range(4)),
                             GRID_ACTIONS[pol] if pol >= 0 else ""])
        return ["row", "col", "cell", "reward", "V", "Q_up", "Q_right", "Q_down", "Q_left", "greedy_action"], rows


PlotData = Union[ScatterData, ImageData, ImageGridData, MatrixData, BarsData, NetworkData, CurvesData, TableData,
                 TextData, PredictionsData, WordMapData, AnnotatedImageData, AttentionData,
                 HighlightedTextData, ClipData, EnvironmentData]

PLOT_KINDS: dict[str, type] = {
    "curves": CurvesData,
    "image": ImageData,
    "image_grid": ImageGridData,
    "matrix": MatrixData,
    "bars": BarsData,
    "scatter": ScatterData,
    "network": NetworkData,
    "table": TableData,
    "text": TextData,
    "predictions": PredictionsData,
    "word_map": WordMapData,
    "annotated_image": AnnotatedImageData,
    "attention": AttentionData,
    "highlighted_text": HighlightedTextData,
    "clip": ClipData,
    "environment": EnvironmentData,
}
"""Plot kind -> the data class it shows (a subclass of it is shown by the same view)."""
