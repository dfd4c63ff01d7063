"""Two-dimensional toy data sets for the playground, the user's CSV of points, and input features.

The generators follow TensorFlow Playground (Smilkov & Carter, 2016, ``src/dataset.ts``): points
lie in the square [-6, 6]², and ``noise`` is a fraction in [0, 0.5] (the UI's 0-50 %).  Moons follow
scikit-learn's ``make_moons`` in closed form; spiral and Gaussians extend to 2-5 classes.  Every
generator draws only from the ``numpy.random.Generator`` it is given, so a seed reproduces a set.

Labels are class ids ``0 .. K-1``; for two classes, class 1 is the "positive" class whose
probability the decision map shows.  Qt-free.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from visualizer.data.text_file import read_csv_rows
from visualizer.core.lesson import LessonConfigError

SYNTHETIC = ("circle", "xor", "gaussians", "spiral", "moons")
DATASETS = SYNTHETIC + ("csv",)
MULTICLASS = ("gaussians", "spiral")           # the synthetic sets that take 2..5 classes
MAX_CLASSES = 5                                # synthetic sets
MAX_CSV_CLASSES = 10
MAX_CSV_POINTS = 50_000
MAX_CSV_BYTES = 16 * 2**20                     # 50,000 lines of x1,x2,label take about 1.5 MB
MAX_COORDINATE = 1e6                           # |x1|, |x2| of a CSV point (x² must stay far from overflow)
MAX_LABEL = 1_000_000                          # |label| of a CSV point: labels are small integer class names
MIN_POINTS = 4

# (hyperparameter name, label shown on the network's input nodes), in input order.
FEATURES: tuple[tuple[str, str], ...] = (
    ("x1", "x₁"),
    ("x2", "x₂"),
    ("x1_squared", "x₁²"),
    ("x2_squared", "x₂²"),
    ("x1_times_x2", "x₁·x₂"),
    ("sin_x1", "sin x₁"),
    ("sin_x2", "sin x₂"),
)

_FEATURE_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_squared": lambda a, b: a * a,
    "x2_squared": lambda a, b: b * b,
    "x1_times_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: np.sin(a),
    "sin_x2": lambda a, b: np.sin(b),
}


@dataclass
class PointSet:
    """Labelled points in the plane.

    points: (N, 2) float64 coordinates (x₁, x₂); labels: (N,) int64 class ids in ``0 .. K-1``;
    class_names: K display names (``"0"``, ``"1"``, ... or the CSV's own label values)."""

    points: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.labels)


def _class_counts(n: int, k: int) -> list[int]:
    """Split ``n`` points into ``k`` nearly equal class sizes."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(points: list[np.ndarray], labels: list[np.ndarray], k: int) -> PointSet:
    x = np.concatenate(points).astype(np.float64)
    y = np.concatenate(labels).astype(np.int64)
    return PointSet(x, y, tuple(str(c) for c in range(k)))


def circle(n: int, noise: float, rng: np.random.Generator) -> PointSet:
    """An inner disc (class 1, radius < 2.5) inside a ring (class 0, radius 3.5-5).

    Noise shifts each point by up to ``noise``·5 in x and y *before* labelling, so labels near the
    boundary flip (TensorFlow Playground's ``classifyCircleData``).  Returns n points."""
    radius = 5.0
    n_in, n_out = _class_counts(n, 2)[::-1]
    r = np.concatenate([rng.uniform(0.0, 0.5 * radius, n_in), rng.uniform(0.7 * radius, radius, n_out)])
    angle = rng.uniform(0.0, 2 * math.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)       # (n, 2)
    shift = rng.uniform(-radius, radius, (n, 2)) * noise
    label = (np.hypot(*(pts + shift).T) < 0.5 * radius).astype(np.int64)
    return _finish([pts], [label], 2)


def xor(n: int, noise: float, rng: np.random.Generator) -> PointSet:
    """Points in the four quadrants; class 1 where x₁·x₂ >= 0 (TensorFlow Playground's
    ``classifyXORData``: coordinates uniform in [-5, 5] pushed 0.3 away from the axes; noise shifts
    the point by up to ``noise``·5 before labelling)."""
    pts = rng.uniform(-5.0, 5.0, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)
    shift = rng.uniform(-5.0, 5.0, (n, 2)) * noise
    moved = pts + shift
    label = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return _finish([pts], [label], 2)


def gaussians(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> PointSet:
    """One isotropic Gaussian blob per class, centres on a circle of radius 2√2 (for two classes at
    (2, 2) = class 0 and (-2, -2) = class 1 as in TensorFlow Playground).  The variance grows
    linearly from 0.5 (noise 0) to 4 (noise 0.5)."""
    variance = 0.5 + 7.0 * noise
    pts, labels = [], []
    for c, m in enumerate(_class_counts(n, n_classes)):
        angle = math.pi / 4 + 2 * math.pi * c / n_classes
        centre = 2 * math.sqrt(2) * np.array([math.cos(angle), math.sin(angle)])
        pts.append(centre + math.sqrt(variance) * rng.standard_normal((m, 2)))
        labels.append(np.full(m, c))
    return _finish(pts, labels, n_classes)


def spiral(n: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> PointSet:
    """Interleaved spiral arms, one per class (TensorFlow Playground's ``classifySpiralData``,
    generalised to K arms rotated by 2π/K).  Radius grows to 5 over 1.75 turns; noise adds a uniform
    offset of up to ±``noise`` to each coordinate."""
    pts, labels = [], []
    for c, m in enumerate(_class_counts(n, n_classes)):
        s = np.arange(m) / max(m, 1)
        r = 5.0 * s
        t = 1.75 * 2 * math.pi * s + 2 * math.pi * c / n_classes
        arm = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        pts.append(arm + rng.uniform(-1.0, 1.0, (m, 2)) * noise)
        labels.append(np.full(m, c))
    return _finish(pts, labels, n_classes)


def moons(n: int, noise: float, rng: np.random.Generator) -> PointSet:
    """Two interleaving half circles (scikit-learn's ``make_moons``: the upper moon is class 0),
    angles drawn uniformly, Gaussian noise of standard deviation ``noise`` in moon units, then
    centred and scaled by 3 to fill the playground's square."""
    n0, n1 = _class_counts(n, 2)
    t0 = rng.uniform(0.0, math.pi, n0)
    t1 = rng.uniform(0.0, math.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    pts = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    pts = (pts - np.array([0.5, 0.25])) * 3.0
    return _finish([pts], [np.zeros(n0), np.ones(n1)], 2)


def make_dataset(name: str, n: int, noise: float, rng: np.random.Generator, n_classes: int = 2) -> PointSet:
    """Generate the synthetic set ``name`` (one of ``SYNTHETIC``) with ``n`` points.

    noise: fraction in [0, 0.5]; n_classes: 2..5, used by ``gaussians`` and ``spiral`` only.
    Raises LessonConfigError for an unknown name, fewer than 4 points, or a bad class count."""
    if name not in SYNTHETIC:
        raise LessonConfigError(f"unknown data set {name!r}; choose one of {', '.join(SYNTHETIC)}")
    if n < MIN_POINTS:
        raise LessonConfigError(f"{n} points are too few: use at least {MIN_POINTS}")
    if not 0.0 <= noise <= 0.5:
        raise LessonConfigError(f"noise {noise:g} is outside [0, 0.5]")
    if name in MULTICLASS:
        if not 2 <= n_classes <= MAX_CLASSES:
            raise LessonConfigError(f"{name} takes 2 to {MAX_CLASSES} classes, not {n_classes}")
        if n < 2 * n_classes:
            raise LessonConfigError(f"{n} points are too few for {n_classes} classes")
        return (gaussians if name == "gaussians" else spiral)(n, noise, rng, n_classes)
    return {"circle": circle, "xor": xor, "moons": moons}[name](n, noise, rng)


# ---- the user's CSV ---------------------------------------------------------------------------------

_COLUMNS = ("x1", "x2", "label")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_points_csv(path: str | Path, max_points: int = MAX_CSV_POINTS,
                    max_bytes: int = MAX_CSV_BYTES) -> PointSet:
    """Read a user's CSV of labelled points: columns ``x1, x2, label``, one point per line.

    A header line is optional: if present it must name the columns ``x1``, ``x2`` and ``label``
    (any order, other columns ignored) or have exactly three columns.  Commas, semicolons or tabs
    separate fields; blank lines are skipped.  Coordinates must be finite numbers within
    ±``MAX_COORDINATE``; labels integers within ±``MAX_LABEL`` (e.g. 0/1 or -1/1), mapped in sorted
    order to class ids 0..K-1, whose names keep the original values.  The file is read in a stream
    and refused as soon as it exceeds ``max_points`` points or ``max_bytes`` bytes.
    Returns a :class:`PointSet`.

    Raises LessonConfigError naming the line and column for: a missing or unreadable file, missing
    columns, text in a numeric field, NaN or Inf, a coordinate beyond ±1,000,000, a label that is not
    an integer within ±1,000,000, fewer than 4 points, a single class, more than 10 classes, more
    than ``max_points`` points or a file larger than ``max_bytes``.
    """
    path = Path(path)
    name = path.name
    rows = read_csv_rows(path, max_points, max_bytes, row_word="points", who="the playground")
    if not rows:
        raise LessonConfigError(f"{name} is empty: it needs lines of x1,x2,label.")

    columns = [0, 1, 2]                              # positions of x1, x2, label
    line0, head = rows[0]
    if not any(_is_number(c) for c in head):         # a header line: no field is a number
        names = [c.lower() for c in head]
        if all(c in names for c in _COLUMNS):
            columns = [names.index(c) for c in _COLUMNS]
        elif len(head) != 3:
            missing = ", ".join(c for c in _COLUMNS if c not in names)
            raise LessonConfigError(
                f"{name}, line {line0}: the header must name the columns x1, x2 and label; "
                f"missing {missing} (found: {', '.join(head)}).")
        rows = rows[1:]
    width = max(columns) + 1

    if len(rows) > max_points:
        raise LessonConfigError(f"{name} has {len(rows):,} points; the playground takes at most "
                                f"{max_points:,}. Use a sample of the file.")
    points = np.empty((len(rows), 2), dtype=np.float64)
    raw_labels: list[int] = []
    for r, (line, row) in enumerate(rows):
        if len(row) < width:
            raise LessonConfigError(
                f"{name}, line {line}: expected {width} columns (x1, x2, label), found {len(row)}: "
                f"{','.join(row)!r}.")
        for j in range(2):
            cell = row[columns[j]]
            where = f"{name}, line {line}, column {columns[j] + 1} ({_COLUMNS[j]})"
            try:
                v = float(cell)
            except ValueError:
                raise LessonConfigError(f"{where}: {cell!r} is not a number.") from None
            if not math.isfinite(v):
                raise LessonConfigError(f"{where}: {cell!r} is not a finite number; remove or fix the point.")
            if abs(v) > MAX_COORDINATE:
                raise LessonConfigError(f"{where}: {cell} is too large; coordinates must lie between "
                                        f"-{MAX_COORDINATE:,.0f} and {MAX_COORDINATE:,.0f}. Rescale the "
                                        "column (for example divide it by a power of ten).")
            points[r, j] = v
        cell = row[columns[2]]
        where = f"{name}, line {line}, column {columns[2] + 1} (label)"
        try:
            v = float(cell)
        except ValueError:
            raise LessonConfigError(f"{where}: {cell!r} is not an integer class label "
                                    "(use numbers such as 0 and 1).") from None
        if not math.isfinite(v) or v != int(v) or abs(v) > MAX_LABEL:
            raise LessonConfigError(f"{where}: {cell!r} is not an integer class label: labels lie between "
                                    f"-{MAX_LABEL:,} and {MAX_LABEL:,} (use numbers such as 0 and 1, at most "
                                    f"{MAX_CSV_CLASSES} different ones).")
        raw_labels.append(int(v))

    if len(rows) < MIN_POINTS:
        raise LessonConfigError(f"{name} has {len(rows)} point{'s' if len(rows) != 1 else ''}; "
                                f"at least {MIN_POINTS} are needed (some to train on, some to test).")
    values, labels = np.unique(np.array(raw_labels, dtype=np.int64), return_inverse=True)
    if len(values) < 2:
        raise LessonConfigError(f"{name}: all {len(rows)} points have label {values[0]}; a classifier "
                                "needs points of at least two classes.")
    if len(values) > MAX_CSV_CLASSES:
        raise LessonConfigError(f"{name} has {len(values)} different labels; the playground takes at "
                                f"most {MAX_CSV_CLASSES} classes.")
    return PointSet(points, labels.astype(np.int64), tuple(str(v) for v in values))


# ---- features and splits ----------------------------------------------------------------------------

def feature_matrix(points: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The chosen input features of ``points`` (N, 2): (N, F) float64, columns in ``names`` order
    (names from ``FEATURES``: x1, x2, x1_squared, x2_squared, x1_times_x2, sin_x1, sin_x2).

    Raises LessonConfigError if ``names`` is empty, KeyError for an unknown name."""
    if not names:
        raise LessonConfigError("No input feature is selected: turn on at least one (for example x₁ and x₂).")
    a, b = points[:, 0], points[:, 1]
    return np.stack([_FEATURE_FUNCS[n](a, b) for n in names], axis=1)


@dataclass
class Standardizer:
    """z = (f - mean) / std per feature, with statistics of the training split (std floored at 1e-8
    so a constant feature maps to 0).  mean, std: (F,) float64."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> "Standardizer":
        return cls(features.mean(axis=0), np.maximum(features.std(axis=0), 1e-8))

    def __call__(self, features: np.ndarray, dtype: str = "float32") -> np.ndarray:
        return ((features - self.mean) / self.std).astype(dtype)


def split_indices(n: int, train_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random train/test split of ``n`` points: (train_idx, test_idx), int64 arrays; both splits
    get at least one point (n >= 2)."""
    order = rng.permutation(n)
    n_train = int(min(max(round(train_fraction * n), 1), n - 1))
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def load_points(hp, rng: np.random.Generator, context) -> PointSet:
    """The lesson's points: the chosen synthetic set (``n_points``, ``noise`` in %, ``n_classes`` for the
    multiclass sets, drawn from ``rng``) or the user's CSV (``csv_path``).  Tells ``context`` what it loaded
    or ignored.  Raises LessonConfigError for csv without a file or an unusable file."""
    name = hp["dataset"]
    if name == "csv":
        path = hp["csv_path"].strip()
        if not path:
            raise LessonConfigError("Data set is csv but no file is chosen: pick a CSV file of x1,x2,label "
                                    "lines with 'CSV file', or choose another data set.")
        points = load_points_csv(path)
        context.notice(f"Loaded {len(points)} points of {points.n_classes} classes from {path}.")
        return points
    k = hp["n_classes"]
    if name not in MULTICLASS and k != 2:
        context.notice(f"The {name} data set has two classes; 'Classes' = {k} applies to spiral and "
                       "gaussians only.")
    return make_dataset(name, hp["n_points"], hp["noise"] / 100, rng, k if name in MULTICLASS else 2)
