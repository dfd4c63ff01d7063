"""The real data of the 2-D GAN lab: target distributions on the plane [-2, 2]², and drawn ones.

Every target is an infinite sampler (a fresh mini-batch at each step, as in GAN Lab, Kahng et al.
2018): ``sample(n, rng) -> (n, 2) float64``.  The ring is the 8-Gaussian mixture of the unrolled-GAN
paper (Metz et al., ICLR 2017), the grid the 3 × 3 mixture of the same literature, the drawn target a
kernel density around the points the learner drew (each sample is a drawn point plus N(0, σ²I)
jitter).  Qt-free.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from visualizer.core.lesson import LessonConfigError

EXTENT = (-2.0, 2.0, -2.0, 2.0)          # (x_min, x_max, y_min, y_max) of the plane drawn and estimated on
TARGETS = ("ring", "grid", "two_blobs", "line", "drawn")
MIN_DRAWN = 10                           # fewest drawn points that make a distribution
MAX_DRAWN = 1500                         # most drawn points kept (the text parameter's length limit)
DRAWN_JITTER = 0.05                      # σ of the Gaussian kernel around each drawn point

TARGET_DESCRIPTIONS = {
    "ring": "8 Gaussians (σ = 0.08) evenly spaced on a circle of radius 1.4",
    "grid": "9 Gaussians (σ = 0.08) on a 3 × 3 grid with spacing 1.2",
    "two_blobs": "two Gaussians (σ = 0.25) at (−0.9, −0.6) and (0.9, 0.6), weights ⅓ and ⅔",
    "line": "a segment from (−1.5, −1) to (1.5, 1) with Gaussian thickness σ = 0.04",
    "drawn": f"the points you drew, each blurred with σ = {DRAWN_JITTER}",
}


@dataclass(frozen=True)
class Target:
    """A distribution on the plane.  Mixtures: ``centers`` (K, 2), ``weights`` (K,), ``sigma`` per
    component; the line is a segment ``centers[0] -> centers[1]``; the drawn target a mixture with one
    component per drawn point.  ``modes``: the mode centres for the coverage notice (None for the line)."""

    name: str
    kind: str                       # "mixture" or "segment"
    centers: np.ndarray
    weights: np.ndarray
    sigma: float
    description: str

    @property
    def modes(self) -> np.ndarray | None:
        return self.centers if self.kind == "mixture" and self.name != "drawn" else None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n points (n, 2) float64 drawn with ``rng``."""
        if self.kind == "segment":
            t = rng.random(n)[:, None]                                   # (n, 1)
            a, b = self.centers
            return a + t * (b - a) + self.sigma * rng.standard_normal((n, 2))
        idx = rng.choice(len(self.centers), size=n, p=self.weights)      # (n,)
        return self.centers[idx] + self.sigma * rng.standard_normal((n, 2))


def make_target(name: str, drawn: np.ndarray | None = None) -> Target:
    """The target called ``name`` (one of TARGETS); "drawn" needs ``drawn`` (N, 2) with N >= MIN_DRAWN.

    Raises LessonConfigError for an unknown name or too few drawn points."""
    if name == "ring":
        a = np.arange(8) * (2 * math.pi / 8)
        c = 1.4 * np.stack([np.cos(a), np.sin(a)], axis=1)
        return Target(name, "mixture", c, np.full(8, 1 / 8), 0.08, TARGET_DESCRIPTIONS[name])
    if name == "grid":
        g = np.array([-1.2, 0.0, 1.2])
        c = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
        return Target(name, "mixture", c, np.full(9, 1 / 9), 0.08, TARGET_DESCRIPTIONS[name])
    if name == "two_blobs":
        c = np.array([[-0.9, -0.6], [0.9, 0.6]])
        return Target(name, "mixture", c, np.array([1 / 3, 2 / 3]), 0.25, TARGET_DESCRIPTIONS[name])
    if name == "line":
        c = np.array([[-1.5, -1.0], [1.5, 1.0]])
        return Target(name, "segment", c, np.ones(1), 0.04, TARGET_DESCRIPTIONS[name])
    if name == "drawn":
        if drawn is None or len(drawn) < MIN_DRAWN:
            n = 0 if drawn is None else len(drawn)
            raise LessonConfigError(too_few_message(n))
        pts = np.asarray(drawn, dtype=np.float64)
        return Target(name, "mixture", pts, np.full(len(pts), 1 / len(pts)), DRAWN_JITTER,
                      f"{TARGET_DESCRIPTIONS[name]} ({len(pts)} points)")
    raise LessonConfigError(f"Unknown target {name!r}; choose one of {', '.join(TARGETS)}.")


def too_few_message(n: int) -> str:
    """The explanation shown when a drawing has fewer than MIN_DRAWN points."""
    return (f"The drawn distribution has {n} point{'s' if n != 1 else ''}: a GAN needs at least {MIN_DRAWN} "
            "to learn from. Press 'Draw' in the field view and click or drag on the plane to add points "
            "(the previous target is kept until then).")


def parse_points(text: str) -> np.ndarray:
    """Parse ``"x1,y1;x2,y2;..."`` into (N, 2) float64, clipped to EXTENT (empty text -> (0, 2)).

    Raises LessonConfigError for malformed pairs, non-finite numbers or more than MAX_DRAWN points."""
    text = (text or "").strip().strip(";")
    if not text:
        return np.zeros((0, 2))
    pairs = [p for p in text.split(";") if p.strip()]
    if len(pairs) > MAX_DRAWN:
        raise LessonConfigError(f"The drawing has {len(pairs)} points; at most {MAX_DRAWN} are kept. "
                                "Press 'Clear' in the field view and draw fewer strokes.")
    out = np.empty((len(pairs), 2))
    for i, pair in enumerate(pairs):
        parts = pair.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            out[i] = float(parts[0]), float(parts[1])
        except ValueError:
            raise LessonConfigError(f"Drawn point {i + 1} ({pair.strip()!r}) is not 'x,y': write the points as "
                                    "x1,y1;x2,y2;... or draw them in the field view.") from None
    if not np.all(np.isfinite(out)):
        raise LessonConfigError("The drawn points must be finite numbers.")
    x0, x1, y0, y1 = EXTENT
    out[:, 0] = np.clip(out[:, 0], x0, x1)
    out[:, 1] = np.clip(out[:, 1], y0, y1)
    return out


def format_points(points: np.ndarray) -> str:
    """The inverse of :func:`parse_points`: (N, 2) -> ``"x1,y1;x2,y2;..."`` with 2 decimals."""
    return ";".join(f"{x:.2f},{y:.2f}" for x, y in np.asarray(points, dtype=np.float64).reshape(-1, 2))


def sample_noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n noise vectors z (n, 2) float64 for the generator: U[−1, 1]² ("uniform") or N(0, I) ("gaussian")."""
    if kind == "gaussian":
        return rng.standard_normal((n, 2))
    return rng.uniform(-1.0, 1.0, (n, 2))


class RealData:
    """The lab's current target, the points the learner drew, and fixed samples of the target for the display
    and the estimates: ``sample`` (n_eval, 2), ``display`` (its first n_display), ``js_floor`` (the JS estimate
    between two samples of the target, bits) and ``radii`` (k-NN radii of its first n_coverage points, for
    coverage).  Each new target draws its samples from a fresh child of ``eval_seq``.  Raises
    LessonConfigError for a drawn target with too few points or malformed text (nothing changes then)."""

    def __init__(self, name: str, drawn_text: str, eval_seq: np.random.SeedSequence, n_eval: int,
                 n_display: int, n_coverage: int) -> None:
        self.eval_seq, self.n_eval, self.n_display, self.n_coverage = eval_seq, n_eval, n_display, n_coverage
        self.drawn = parse_points(drawn_text)
        self.use(make_target(name, self.drawn))

    def use(self, target: Target) -> None:
        """Make ``target`` the real data and draw its fixed samples."""
        from visualizer.probes import divergence
        self.target = target
        erng = np.random.default_rng(self.eval_seq.spawn(1)[0])
        self.sample = target.sample(self.n_eval, erng)
        self.display = self.sample[:self.n_display]
        self.js_floor = divergence.noise_floor(self.sample, target.sample(self.n_eval, erng), EXTENT)
        self.radii = divergence.knn_radii(self.sample[:self.n_coverage])

    def set_drawn(self, text: str, current: str) -> None:
        """New drawn points (``text``); the drawn target (if it is the ``current`` one) follows them.  Fewer than
        MIN_DRAWN points are refused while the target is "drawn", and any non-empty drawing of too few points."""
        pts = parse_points(text)
        if len(pts) < MIN_DRAWN and (current == "drawn" or len(pts) > 0):
            raise LessonConfigError(too_few_message(len(pts)))
        self.drawn = pts
        if current == "drawn":
            self.use(make_target("drawn", pts))
