"""Generated clips whose class is defined only by motion: the ``video`` lesson's offline data set.

Every clip shows one object (an L, a T or a wedge, of random colour, size, orientation and position) on a noisy
background of random colour.  What the object does over time is the class.  Three families of motion, four
temporal patterns each:

================  ===================  ====================  ==========================  ===========================
family            forward              backward              forward and back            backward and forth
================  ===================  ====================  ==========================  ===========================
``move``          move right           move left             right and back              left and back
``rotate``        rotate clockwise     rotate counter-cw     clockwise and back          counter-clockwise and back
``scale``         grow                 shrink                grow and shrink             shrink and grow
================  ===================  ====================  ==========================  ===========================

Each clip has a progress u(t) ∈ [0, 1] that drives its family's quantity (x position, angle or log size) from
one end of a random range to the other: forward u = τ, backward 1 − τ, forward and back 1 − |2τ − 1|,
backward and forth |2τ − 1|, with τ = t / (T − 1).  The other two quantities stay at a random point u* of
their ranges, drawn uniformly, so **a single frame has the same distribution in every class**: u(t) at a
random t is uniform just like u*.  The four patterns of a family visit the same states in different orders,
so even the *set* of a clip's frames (what a model that averages per-frame outputs sees, TSN-style) cannot
tell them apart: such a model can at best find the family and stays at or below 1/4 of the clips right,
while a model that fuses time (ECO's 3D part) can learn all twelve classes.  Reversing time swaps forward
and backward and leaves the two "and back" patterns as they are.

Rendering is vectorized over clips, frames and pixels: each pixel's position is taken into the object's own
frame (translate, rotate, scale) and a signed distance to the shape gives an anti-aliased edge.
Source: the synthetic-data idea of issue #18; ECO (Zolfaghari et al. 2018) and Ogawa, *PyTorch advanced deep
learning* ch. 9 train on Kinetics, which this stands in for offline.
"""
from __future__ import annotations

import numpy as np

from visualizer.data.clips import ClipSet

FAMILIES: dict[str, tuple[str, str, str, str]] = {
    "move": ("move right", "move left", "right and back", "left and back"),
    "rotate": ("rotate clockwise", "rotate counter-clockwise", "clockwise and back", "counter-clockwise and back"),
    "scale": ("grow", "shrink", "grow and shrink", "shrink and grow"),
}
PATTERNS = ("forward", "backward", "forward and back", "backward and forth")
SHAPES = ("L", "T", "wedge")
CHUNK = 64                      # clips rendered at once (bounds the float32 temporaries to ~ CHUNK·T·H·W·4 B)


def class_names(families: tuple[str, ...] = tuple(FAMILIES)) -> tuple[str, ...]:
    """The class names of ``families`` in label order: family by family, the four patterns of each.
    Raises ValueError for an unknown or repeated family."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families or len(set(families)) != len(families):
        raise ValueError(f"families must be distinct names among {tuple(FAMILIES)}, got {families}")
    return tuple(name for f in families for name in FAMILIES[f])


def progress(patterns: np.ndarray, frames: int) -> np.ndarray:
    """u(t) of each clip: patterns (N,) ints in [0, 4) (see :data:`PATTERNS`) -> (N, T) float32 in [0, 1]."""
    tau = np.linspace(0.0, 1.0, frames, dtype=np.float32)[None, :]                 # (1, T)
    tri = 1.0 - np.abs(2.0 * tau - 1.0)                                            # 0 -> 1 -> 0
    table = np.concatenate([tau, 1.0 - tau, tri, 1.0 - tri])                       # (4, T)
    return table[np.asarray(patterns)]                                             # (N, T)


def _shape_distance(shape: np.ndarray, qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
    """Signed distance (object units, < 0 inside) of points (qx, qy) in the object's frame to its shape.
    shape: (N, 1, 1, 1) ints in [0, 3); qx, qy: (N, T, H, W).  Boxes use the Chebyshev distance, the wedge
    the largest of its three edge lines' distances: exact inside and near an edge, which is all the
    anti-aliasing needs."""
    def box(cx, cy, hx, hy):
        return np.maximum(np.abs(qx - cx) - hx, np.abs(qy - cy) - hy)

    ell = np.minimum(box(-0.55, 0.0, 0.35, 0.9), box(0.0, 0.55, 0.9, 0.35))      # bar on the left, foot at the bottom
    tee = np.minimum(box(0.0, -0.6, 0.9, 0.3), box(0.0, 0.15, 0.3, 0.75))         # bar on top, stem down
    # wedge: apex at (1, 0), back edge x = -0.9 from y = -0.75 to 0.75
    n1 = np.array([0.75, 1.9]) / np.hypot(0.75, 1.9)                               # normal of the lower edge
    wedge = np.maximum.reduce([-0.9 - qx,
                               n1[0] * (qx - 1.0) + n1[1] * qy,
                               n1[0] * (qx - 1.0) - n1[1] * qy])
    return np.where(shape == 0, ell, np.where(shape == 1, tee, wedge))


def make_motion_clips(n: int, *, frames: int = 16, size: int = 32, families: tuple[str, ...] = tuple(FAMILIES),
                      noise: float = 0.06, seed: int = 0, fps: float = 8.0) -> ClipSet:
    """``n`` clips, balanced over the classes of ``families`` (see the module docstring), in random order.

    frames: T (>= 2); size: H = W in pixels (>= 16); noise: standard deviation of the per-pixel Gaussian noise
    added to every frame, in [0, 1] intensity units; seed: the NumPy seed (same seed, same clips).
    Returns a :class:`ClipSet` with clips (n, T, size, size, 3) uint8 and labels (n,) int64.
    Raises ValueError for n < 1, frames < 2, size < 16, a negative noise or an unknown family."""
    names = class_names(tuple(families))
    if n < 1 or frames < 2 or size < 16 or noise < 0:
        raise ValueError(f"need n >= 1, frames >= 2, size >= 16 and noise >= 0; got n={n}, frames={frames}, "
                         f"size={size}, noise={noise}")
    rng = np.random.default_rng(seed)
    k = len(names)
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)                   # balanced, shuffled
    family = np.array([list(FAMILIES).index(f) for f in families])[labels // 4]   # (n,) 0 move, 1 rotate, 2 scale
    u = progress(labels % 4, frames)                                               # (n, T)
    u_still = rng.random((n, 3)).astype(np.float32)                                # u* of the still quantities
    u_of = [np.where((family == j)[:, None], u, u_still[:, j:j + 1]) for j in range(3)]   # 3 × (n, T)

    s = size / 32.0                                                                # lengths below are for 32 px
    r0 = rng.uniform(3.4, 4.2, n) * s                                              # half-size at u = 0 (pixels)
    grow = rng.uniform(1.7, 2.0, n)                                                # size ratio end / start
    radius = r0[:, None] * grow[:, None] ** u_of[2]                                # (n, T) half-size in pixels
    travel = rng.uniform(12.0, 16.0, n) * s                                        # x distance of the range
    margin = 7.0 * s
    x0 = margin + rng.random(n) * (size - 2 * margin - travel)
    cx = x0[:, None] + travel[:, None] * u_of[0]                                   # (n, T) pixels
    cy = np.broadcast_to(rng.uniform(margin, size - margin, n)[:, None], (n, frames))
    turn = rng.uniform(0.8, 1.1, n) * np.pi                                        # angle range (radians)
    theta = rng.uniform(0.0, 2 * np.pi, n)[:, None] + turn[:, None] * u_of[1]     # (n, T), clockwise on screen
    shape = rng.integers(0, len(SHAPES), n)
    background = rng.uniform(0.0, 0.35, (n, 3)).astype(np.float32)
    colour = rng.uniform(0.5, 1.0, (n, 3)).astype(np.float32)
    noise_seed = rng.integers(0, 2**63)

    grid = np.arange(size, dtype=np.float32) + 0.5                                 # pixel centres
    out = np.empty((n, frames, size, size, 3), dtype=np.uint8)
    noise_rng = np.random.default_rng(noise_seed)
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        sl = slice(a, b)
        dx = grid[None, None, None, :] - cx[sl, :, None, None]                     # (c, T, 1, W)
        dy = grid[None, None, :, None] - cy[sl, :, None, None]                     # (c, T, H, 1)
        cos, sin = np.cos(theta[sl])[:, :, None, None], np.sin(theta[sl])[:, :, None, None]
        rad = radius[sl][:, :, None, None]
        qx = (cos * dx + sin * dy) / rad                                           # (c, T, H, W) object frame
        qy = (-sin * dx + cos * dy) / rad
        dist = _shape_distance(shape[sl, None, None, None], qx, qy) * rad          # pixels, < 0 inside
        alpha = np.clip(0.5 - dist, 0.0, 1.0)[..., None].astype(np.float32)        # (c, T, H, W, 1)
        img = background[sl, None, None, None] * (1 - alpha) + colour[sl, None, None, None] * alpha
        img += noise_rng.normal(0.0, noise, img.shape).astype(np.float32)
        out[sl] = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    return ClipSet(out, labels, names, fps)


__all__ = ["FAMILIES", "PATTERNS", "SHAPES", "class_names", "make_motion_clips", "progress"]
