"""Generated shapes: a seeded image set for transfer learning and interpretability, with each object's mask.

Each image holds one object whose *shape* is its class, drawn with a random colour and texture fill (solid,
stripes, checks, dots or a gradient), size, position and rotation, over a textured background with small
clutter blobs and pixel noise.  Only the outline tells the classes apart; colour, texture and place are
nuisances a network has to learn to ignore, as it has to ignore grass behind an ant.  The object's pixel mask
is known, so a picture of attribution (Grad-CAM, saliency) can be scored by the share of its mass on the object.

The shapes split into :data:`SOURCE_CLASSES`, on which a small VGG is pretrained, and :data:`TARGET_CLASSES`, which
it never sees: transfer learning then goes from the source to a few examples of the target, the way Ogawa's
*PyTorch advanced deep learning* ch. 1 goes from ImageNet to 120 ants and 120 bees per class.  The idea of a
synthetic shape set is old (e.g. Matterport's "shapes" for Mask R-CNN); this generator is the project's own.

Drawing is vectorized over the images of one class: every shape is an inequality in the object's own
(rotated, scaled) coordinates, evaluated on a 2× supersampled grid and averaged down, so edges are anti-aliased.
NumPy only; about 0.1 s per 100 images at 32 px on one core.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from visualizer.data.labelled_images import LabelledImages

Mask = Callable[[np.ndarray, np.ndarray], np.ndarray]      # object coordinates (x, y) in [-1, 1] -> bool


def _polygon(k: int, radius: float = 0.9) -> Mask:
    """Regular k-gon with circumradius ``radius``: rho cos((phi mod 2pi/k) - pi/k) <= radius cos(pi/k)."""
    def inside(x, y):
        rho, phi = np.hypot(x, y), np.arctan2(y, x) + np.pi / 2
        sector = np.mod(phi, 2 * np.pi / k) - np.pi / k
        return rho * np.cos(sector) <= radius * np.cos(np.pi / k)
    return inside


def _star(x, y):
    rho, phi = np.hypot(x, y), np.arctan2(y, x) + np.pi / 2
    t = 1.0 - np.abs(np.mod(phi, 2 * np.pi / 5) - np.pi / 5) / (np.pi / 5)     # 1 at a tip, 0 between tips
    return rho <= 0.38 + 0.6 * t


def _heart(x, y):
    x, y = 1.15 * x, 1.15 * -y + 0.15
    return (x * x + y * y - 1.0) ** 3 - x * x * y ** 3 <= 0.0


SHAPES: dict[str, Mask] = {
    "circle": lambda x, y: x * x + y * y <= 0.8 ** 2,
    "square": lambda x, y: np.maximum(np.abs(x), np.abs(y)) <= 0.68,
    "triangle": _polygon(3, 0.95),
    "star": _star,
    "cross": lambda x, y: ((np.abs(x) < 0.28) & (np.abs(y) < 0.9)) | ((np.abs(y) < 0.28) & (np.abs(x) < 0.9)),
    "ring": lambda x, y: (x * x + y * y <= 0.9 ** 2) & (x * x + y * y >= 0.5 ** 2),
    "hexagon": _polygon(6, 0.88),
    "heart": _heart,
    "crescent": lambda x, y: (x * x + y * y <= 0.9 ** 2) & ((x - 0.45) ** 2 + y * y >= 0.75 ** 2),
    "arrow": lambda x, y: (((np.abs(y) < 0.2) & (x > -0.9) & (x < 0.15))
                           | ((x >= 0.0) & (x <= 0.9) & (np.abs(y) <= 0.95 * (0.9 - x)))),
    "hourglass": lambda x, y: (np.abs(y) >= 0.8 * np.abs(x)) & (np.abs(y) <= 0.88) & (np.abs(x) <= 0.8),
    "tee": lambda x, y: (((np.abs(x) < 0.22) & (y > -0.55) & (y < 0.9))
                         | ((y <= -0.45) & (y > -0.9) & (np.abs(x) < 0.85))),
}
SOURCE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "ring", "hexagon", "heart")
TARGET_CLASSES: tuple[str, ...] = ("crescent", "arrow", "hourglass", "tee")
TEXTURES = ("solid", "stripes", "checks", "dots", "gradient")
SUPERSAMPLE = 2
SCALE = (0.38, 0.62)         # the object's radius as a share of half the image side (uniform in this range)


def _texture(kind: np.ndarray, u: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-image texture weight in [0, 1] between two colours, with a random angle and frequency per image.
    kind: (n,) indices into TEXTURES; u, v: (n, H, W) image coordinates.  Returns (n, H, W) float32."""
    n = len(kind)
    angle = rng.uniform(0, np.pi, (n, 1, 1))
    freq = rng.uniform(6.0, 14.0, (n, 1, 1))
    return texture_weight(kind, angle, freq, u, v)


def texture_weight(kind: np.ndarray, angle: np.ndarray, freq: np.ndarray, u: np.ndarray, v: np.ndarray
                   ) -> np.ndarray:
    """Texture weight in [0, 1] between two colours: solid (0), stripes, checks, dots or a linear gradient.
    kind: (n,) indices into TEXTURES; angle (radians), freq (radians per unit of u): (n, 1, 1); u, v: (n, H, W)
    coordinates (the image spans [-1, 1]).  Returns (n, H, W) float32."""
    out = np.empty(u.shape, np.float32)
    for k in np.unique(kind):                            # only the textures in use, each on its own images
        idx = np.flatnonzero(kind == k)
        a, f, uu, vv = angle[idx], freq[idx], u[idx], v[idx]
        along = uu * np.cos(a) + vv * np.sin(a)
        across = -uu * np.sin(a) + vv * np.cos(a)
        if TEXTURES[k] == "solid":
            out[idx] = 0.0
        elif TEXTURES[k] == "stripes":
            out[idx] = np.sin(f * along) > 0
        elif TEXTURES[k] == "checks":
            out[idx] = (np.sin(f * along) > 0) ^ (np.sin(f * across) > 0)
        elif TEXTURES[k] == "dots":
            du, dv = np.mod(f * along / np.pi, 2.0) - 1.0, np.mod(f * across / np.pi, 2.0) - 1.0
            out[idx] = du ** 2 + dv ** 2 < 0.35
        else:                                                                       # gradient
            out[idx] = 0.5 + 0.5 * np.clip(along, -1, 1)
    return out


def _colours(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Object colours a, b and background colours c, d: each (n, 3, 1, 1) float32 in [0, 1].  The object's
    mean brightness differs from the background's by at least 0.25, so the outline is always visible."""
    a, b, c, d = (rng.uniform(0, 1, (n, 3)).astype(np.float32) for _ in range(4))
    b = 0.6 * a + 0.4 * b                                    # the second object colour stays near the first
    d = 0.7 * c + 0.3 * d
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    lum = lambda col: (col * weights).sum(axis=1)       # noqa: E731  (not a BLAS product: the same bits on every kernel)
    gap = lum((a + b) / 2) - lum((c + d) / 2)                # (n,)
    push = np.where(np.abs(gap) < 0.25, np.sign(gap + 1e-6) * (0.25 - np.abs(gap)), 0.0)[:, None]
    a, b = np.clip(a + push / 2, 0, 1), np.clip(b + push / 2, 0, 1)
    c, d = np.clip(c - push / 2, 0, 1), np.clip(d - push / 2, 0, 1)
    return tuple(col[:, :, None, None] for col in (a, b, c, d))


def _draw(shape: Mask, n: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n images of one shape class: images (n, 3, size, size) float32 in [0, 1], masks (n, size, size) bool."""
    s = size * SUPERSAMPLE
    grid = (np.arange(s, dtype=np.float32) + 0.5) / s * 2.0 - 1.0
    v, u = np.meshgrid(grid, grid, indexing="ij")                  # (s, s) rows = y, columns = x
    u, v = np.broadcast_to(u, (n, s, s)), np.broadcast_to(v, (n, s, s))
    scale = rng.uniform(*SCALE, (n, 1, 1)).astype(np.float32)
    cx, cy = (rng.uniform(-1, 1, (n, 1, 1)).astype(np.float32) * (0.9 - scale) for _ in range(2))
    rot = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)
    du, dv = u - cx, v - cy
    x = (du * np.cos(rot) + dv * np.sin(rot)) / scale
    y = (-du * np.sin(rot) + dv * np.cos(rot)) / scale
    obj = shape(x, y)                                               # (n, s, s) bool
    # clutter: three small blobs (discs or short bars) of any colour, under the object
    clutter = np.zeros((n, s, s), bool)
    clutter_col = np.zeros((n, 3, s, s), np.float32)
    for _ in range(3):
        bx, by = (rng.uniform(-0.9, 0.9, (n, 1, 1)).astype(np.float32) for _ in range(2))
        r = rng.uniform(0.06, 0.13, (n, 1, 1)).astype(np.float32)
        bar = rng.random((n, 1, 1)) < 0.5
        blob = np.where(bar, (np.abs(u - bx) < 2.2 * r) & (np.abs(v - by) < 0.45 * r),
                        (u - bx) ** 2 + (v - by) ** 2 < r * r)
        col = rng.uniform(0, 1, (n, 3, 1, 1)).astype(np.float32)
        clutter_col = np.where(blob[:, None], col, clutter_col)
        clutter |= blob
    a, b, c, d = _colours(n, rng)
    fg_w = _texture(rng.integers(0, len(TEXTURES), n), u, v, rng)[:, None]          # (n, 1, s, s)
    bg_kind = rng.choice([0, 1, 3, 4], n)                                            # no checks behind
    bg_w = _texture(bg_kind, u, v, rng)[:, None]
    img = c + (d - c) * bg_w                                                          # background (n, 3, s, s)
    img = np.where(clutter[:, None], clutter_col, img)
    img = np.where(obj[:, None], a + (b - a) * fg_w, img)
    img = img.reshape(n, 3, size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(3, 5))  # anti-aliased (n, 3, S, S)
    img += rng.normal(0.0, 0.03, img.shape).astype(np.float32)
    mask = obj.reshape(n, size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(2, 4)) >= 0.5
    return np.clip(img, 0.0, 1.0).astype(np.float32), mask


def generate_shapes(classes: Sequence[str], n_per_class: int, size: int = 32, seed: int = 0) -> LabelledImages:
    """``n_per_class`` images of each shape in ``classes``, shuffled, with masks.

    classes: names from :data:`SHAPES`; size: side in pixels (16..128); seed: the whole set is a function of it
    (class i draws from ``default_rng([seed, i])``, so adding a class does not change the others).
    Returns LabelledImages: images (N, 3, S, S) float32 [0, 1], labels (N,) int64, masks (N, S, S) bool.
    Raises ValueError for an unknown shape, a repeated class, n_per_class < 1 or a size outside 16..128."""
    unknown = [c for c in classes if c not in SHAPES]
    if unknown:
        raise ValueError(f"unknown shape {unknown[0]!r}; the shapes are {', '.join(SHAPES)}")
    if len(set(classes)) != len(classes) or not classes:
        raise ValueError(f"classes must be distinct and at least one, got {list(classes)}")
    if n_per_class < 1 or not 16 <= size <= 128:
        raise ValueError(f"need n_per_class >= 1 and 16 <= size <= 128, got {n_per_class} and {size}")
    images, masks, labels = [], [], []
    for label, name in enumerate(classes):
        rng = np.random.default_rng([seed, SHAPE_IDS[name]])
        img, mask = _draw(SHAPES[name], n_per_class, size, rng)
        images.append(img)
        masks.append(mask)
        labels.append(np.full(n_per_class, label, np.int64))
    order = np.random.default_rng([seed, 1_000]).permutation(n_per_class * len(classes))
    return LabelledImages(np.concatenate(images)[order], np.concatenate(labels)[order], tuple(classes),
                          np.concatenate(masks)[order], f"generated shapes ({size} px, seed {seed})")


SHAPE_IDS = {name: i for i, name in enumerate(SHAPES)}


def _split(classes: Sequence[str], n_train: int, n_val: int, size: int, seed: int
           ) -> tuple[LabelledImages, LabelledImages]:
    """Training and validation sets of the same classes from disjoint seeds."""
    train = generate_shapes(classes, n_train, size, seed)
    val = generate_shapes(classes, n_val, size, seed + 10_007)
    return train, LabelledImages(val.images, val.labels, val.class_names, val.masks,
                                 val.source.replace("seed", "validation, seed"))


def source_sets(n_train_per_class: int = 500, n_val_per_class: int = 100, size: int = 32, seed: int = 0
                ) -> tuple[LabelledImages, LabelledImages]:
    """The pretraining set: :data:`SOURCE_CLASSES`, (train, validation)."""
    return _split(SOURCE_CLASSES, n_train_per_class, n_val_per_class, size, seed)


def target_sets(n_train_per_class: int = 120, n_val_per_class: int = 80, size: int = 32, seed: int = 0
                ) -> tuple[LabelledImages, LabelledImages]:
    """The transfer set: :data:`TARGET_CLASSES`, which the source model never saw, (train, validation).
    120 training images per class, as hymenoptera has about 120 ants and 120 bees."""
    return _split(TARGET_CLASSES, n_train_per_class, n_val_per_class, size, seed)
