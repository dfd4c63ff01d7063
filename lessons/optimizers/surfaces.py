"""Loss surfaces f(x, y) of two parameters for the optimizer race, with analytic gradients.

Every surface evaluates ``value(x, y)`` with arithmetic operators only, so the same formula runs on
NumPy arrays of any shape (a whole contour grid at once) and on PyTorch tensors (the torch engine
differentiates it with autograd; the NumPy engine uses the hand-written ``gradient``).  The network
slice is the exception: a 2-parameter cut through a real MLP's loss, with its own NumPy and torch
code paths.

Sources: Saitoh, *Deep Learning from Scratch*, section 6.1.7 (f = x²/20 + y²); H. H. Rosenbrock,
"An automatic method for finding the greatest or least value of a function", Comput. J. 3 (1960);
E. M. L. Beale, "On an iterative method for finding a local minimum of a function of more than one
variable", Princeton tech. report 25 (1958); Goodfellow, Bengio & Courville, *Deep Learning*,
section 8.2 (ill-conditioning, saddle points); H. Li, Z. Xu, G. Taylor, C. Studer & T. Goldstein,
"Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018 (filter-normalized directions).
Qt-free; torch is imported only inside the torch code path.
"""
from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from visualizer.core.lesson import LessonConfigError

SURFACES = ("saitoh", "bowl", "rosenbrock", "beale", "saddle", "network")
GRID = 161                  # contour grid resolution (GRID × GRID points) of the analytic surfaces
NETWORK_GRID = 51           # the network slice costs one forward pass per point: a coarser grid


class Surface:
    """A loss surface f(x, y) on the plane.

    Class attributes: ``name`` (one of SURFACES), ``title``, ``formula`` (Unicode), ``source``;
    ``description`` and ``axis_labels``; instance attributes: ``extent`` (x_min, x_max, y_min, y_max) of the map, ``start`` (x, y) the
    default start, ``minimum`` (x*, y*) a global minimizer or None, ``f_min`` the minimum value (a
    lower bound of f on the map), ``log_levels`` (colour and contours in log10(f - f_min))."""

    name = ""
    title = ""
    formula = ""
    source = ""
    description = ""                      # a longer note for the plot's tooltip
    axis_labels = ("x", "y")

    def __init__(self, extent: tuple[float, float, float, float], start: tuple[float, float],
                 minimum: tuple[float, float] | None, f_min: float, log_levels: bool = False) -> None:
        self.extent = tuple(float(v) for v in extent)
        self.start = (float(start[0]), float(start[1]))
        self.minimum = None if minimum is None else (float(minimum[0]), float(minimum[1]))
        self.f_min = float(f_min)
        self.log_levels = log_levels

    def value(self, x: Any, y: Any) -> Any:
        """f(x, y), elementwise: x, y NumPy arrays of one shape (or floats, or torch tensors)."""
        raise NotImplementedError

    def gradient(self, x: Any, y: Any) -> tuple[Any, Any]:
        """(∂f/∂x, ∂f/∂y) elementwise, arrays shaped like x."""
        raise NotImplementedError

    def value_and_grad(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        """f and ∇f at one point p: (2,) float64 -> (float, (2,) float64)."""
        x, y = float(p[0]), float(p[1])
        gx, gy = self.gradient(x, y)
        return float(self.value(x, y)), np.array([gx, gy], dtype=np.float64)

    def torch_value(self, p: Any) -> Any:
        """f at a torch tensor p (2,) as a 0-d tensor that autograd can differentiate."""
        return self.value(p[0], p[1])

    def contains(self, x: float, y: float) -> bool:
        """True if (x, y) lies on the map (the extent)."""
        x0, x1, y0, y1 = self.extent
        return x0 <= x <= x1 and y0 <= y <= y1

    def grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs (W,), ys (H,), z (H, W) float64) with z[r, c] = f(xs[c], ys[r]): row 0 at the bottom."""
        x0, x1, y0, y1 = self.extent
        xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
        gx, gy = np.meshgrid(xs, ys)                     # (H, W) each
        return xs, ys, np.asarray(self.value(gx, gy), dtype=np.float64)


class SaitohBowl(Surface):
    """Saitoh's elongated bowl f(x, y) = x²/20 + y² (*Deep Learning from Scratch*, 6.1.7).

    ∇f = (x/10, 2y); the Hessian diag(1/10, 2) has condition number κ = 20, so the gradient points
    mostly along y and SGD zig-zags.  Minimum f = 0 at (0, 0)."""

    name = "saitoh"
    title = "Saitoh's bowl"
    formula = "f(x, y) = x²/20 + y²"
    source = "Saitoh, Deep Learning from Scratch, 6.1.7"

    def __init__(self) -> None:
        super().__init__((-10.0, 10.0, -5.0, 5.0), (-7.0, 2.0), (0.0, 0.0), 0.0)

    def value(self, x, y):
        return x * x / 20.0 + y * y

    def gradient(self, x, y):
        return x / 10.0, 2.0 * y


class QuadraticBowl(Surface):
    """The quadratic bowl f = ½(u² + κ v²) in coordinates (u, v) rotated by φ from (x, y):
    u = x cos φ + y sin φ, v = -x sin φ + y cos φ.

    The Hessian has eigenvalues 1 and κ (the condition number).  Gradient descent is stable for a
    learning rate η < 2/κ, and then shrinks the u error by only (1 - η) per step: about κ steps per
    e-fold (Goodfellow et al., *Deep Learning*, 4.3.1 and 8.2.1).  Raises LessonConfigError for
    κ < 1."""

    name = "bowl"
    title = "Quadratic bowl"
    formula = "f = ½(u² + κ·v²),  (u, v) = (x, y) rotated by φ"
    source = "Goodfellow, Bengio & Courville, Deep Learning, 4.3.1 and 8.2.1"

    def __init__(self, kappa: float = 10.0, rotation_deg: float = 0.0) -> None:
        if not (kappa >= 1.0 and math.isfinite(kappa)):
            raise LessonConfigError(f"The condition number κ must be at least 1, not {kappa:g}.")
        super().__init__((-4.0, 4.0, -3.0, 3.0), (-3.5, 2.0), (0.0, 0.0), 0.0)
        self.kappa = float(kappa)
        self.rotation_deg = float(rotation_deg)
        self.c, self.s = math.cos(math.radians(rotation_deg)), math.sin(math.radians(rotation_deg))
        self.formula = f"f = ½(u² + {self.kappa:g}·v²),  (u, v) = (x, y) rotated by {self.rotation_deg:g}°"

    def value(self, x, y):
        u = self.c * x + self.s * y
        v = -self.s * x + self.c * y
        return 0.5 * (u * u + self.kappa * v * v)

    def gradient(self, x, y):
        u = self.c * x + self.s * y
        v = -self.s * x + self.c * y
        ku = self.kappa * v
        return self.c * u - self.s * ku, self.s * u + self.c * ku


class Rosenbrock(Surface):
    """Rosenbrock's banana valley f = (1 - x)² + 100 (y - x²)² (Rosenbrock 1960).

    ∇f = (-2(1 - x) - 400 x (y - x²), 200 (y - x²)).  A narrow curved valley, easy to enter and
    slow to follow; minimum f = 0 at (1, 1)."""

    name = "rosenbrock"
    title = "Rosenbrock valley"
    formula = "f = (1 − x)² + 100·(y − x²)²"
    source = "Rosenbrock, Comput. J. 3 (1960)"

    def __init__(self) -> None:
        super().__init__((-2.0, 2.0, -1.0, 3.0), (-1.5, 2.5), (1.0, 1.0), 0.0, log_levels=True)

    def value(self, x, y):
        a = 1.0 - x
        b = y - x * x
        return a * a + 100.0 * b * b

    def gradient(self, x, y):
        b = y - x * x
        return -2.0 * (1.0 - x) - 400.0 * x * b, 200.0 * b


class Beale(Surface):
    """Beale's function f = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)² (Beale 1958).

    Flat plateaus and steep walls; minimum f = 0 at (3, 0.5)."""

    name = "beale"
    title = "Beale's function"
    formula = "f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²"
    source = "Beale, Princeton tech. report 25 (1958)"

    def __init__(self) -> None:
        super().__init__((-4.5, 4.5, -4.5, 4.5), (1.0, 1.5), (3.0, 0.5), 0.0, log_levels=True)

    def value(self, x, y):
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y * y
        t3 = 2.625 - x + x * y * y * y
        return t1 * t1 + t2 * t2 + t3 * t3

    def gradient(self, x, y):
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
        gy = 2.0 * x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y2)
        return gx, gy


class Saddle(Surface):
    """A saddle point at the origin: f = x² − y² + y⁴/4.

    Near (0, 0) this is the textbook saddle x² − y² (Hessian diag(2, -2)): a minimum along x and a
    maximum along y.  The quartic term, negligible near the origin, keeps f bounded below, so an
    optimizer that escapes the saddle settles in one of the two valleys at (0, ±√2) with f = −1
    instead of running off to −∞.  ∇f = (2x, −2y + y³)."""

    name = "saddle"
    title = "Saddle point"
    formula = "f = x² − y² + y⁴/4"
    source = "Goodfellow, Bengio & Courville, Deep Learning, 8.2.3 (saddle points)"

    def __init__(self) -> None:
        super().__init__((-2.0, 2.0, -2.5, 2.5), (-1.8, 0.01), (0.0, math.sqrt(2.0)), -1.0)

    def value(self, x, y):
        y2 = y * y
        return x * x - y2 + 0.25 * y2 * y2

    def gradient(self, x, y):
        return 2.0 * x, -2.0 * y + y * y * y


# ---- a slice through a real network's loss ---------------------------------------------------------

@dataclass(frozen=True)
class SliceConfig:
    """The network behind the slice: an MLP 2 -> hidden -> 3 (tanh) on the three-arm spiral of
    ``n_per_class`` points per class, trained full-batch with Adam for ``train_steps`` steps, float64."""

    hidden: int = 16
    n_per_class: int = 100
    train_steps: int = 400
    lr: float = 0.05
    seed: int = 0


def spiral_data(n_per_class: int, rng: np.random.Generator, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral ("Putting it together: minimal neural network case study", Karpathy): K arms
    of radius 0 to 1, angle noise N(0, 0.2²).  Returns x (K·n, 2) float64, y (K·n,) int64."""
    xs, ys = [], []
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, k, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


class NetworkSlice(Surface):
    """f(α, β) = L(θ* + α·d₁ + β·d₂): the cross-entropy L of a trained MLP along two random directions.

    θ* are the trained weights; d₁, d₂ are Gaussian directions filter-normalized as in Li et al.
    (NeurIPS 2018): every output neuron's incoming weights (a column of W: (D_in, D_out)) in d is
    rescaled to the norm of the same column in θ*; bias directions are 0 (their "ignore biases"
    setting).  ∇f = (d₁·∇L, d₂·∇L), from the MLP's backward pass.  The data are CS231n's three-arm
    spiral, x (N, 2) float64, y (N,) int64, generated from the seed (no file, no download).  The
    minimum lies near (0, 0) because θ* is a trained minimum of L; ``minimum`` and ``f_min`` are
    refined by a few gradient steps from (0, 0)."""

    name = "network"
    title = "A network's loss, 2-D slice"
    axis_labels = ("α (along d₁)", "β (along d₂)")
    source = "Li et al., Visualizing the Loss Landscape of Neural Nets, NeurIPS 2018"

    def __init__(self, config: SliceConfig = SliceConfig()) -> None:
        from visualizer.scratch.losses import SoftmaxCrossEntropy
        from visualizer.models.mlp import MLP
        from visualizer.scratch.optimizers import Adam

        super().__init__((-1.0, 1.0, -1.0, 1.0), (-0.8, 0.7), (0.0, 0.0), 0.0, log_levels=True)
        self.config = config
        n = 3 * config.n_per_class
        self.formula = "f(α, β) = L(θ* + α·d₁ + β·d₂)"
        self.description = (f"L: the cross-entropy of an MLP 2→{config.hidden}→3 (tanh) on {n} points of a "
                            "three-arm spiral, θ* its trained weights, d₁ and d₂ random filter-normalized "
                            "directions (Li et al., 2018).")
        data_seq, init_seq, dir_seq = np.random.SeedSequence([config.seed, 2018]).spawn(3)
        self.x, self.y = spiral_data(config.n_per_class, np.random.default_rng(data_seq))   # (N, 2), (N,)
        self.mlp = MLP(2, [config.hidden], 3, activation="tanh", init="xavier", dtype="float64",
                       seed=int(init_seq.generate_state(1)[0]))
        self.loss_fn = SoftmaxCrossEntropy()
        self._mlp_lock = threading.Lock()
        opt = Adam(self.mlp.params, self.mlp.grads, lr=config.lr)
        for _ in range(config.train_steps):                         # full-batch training to θ*
            self._loss_and_backward()
            opt.step()
        self.theta = [p.copy() for p in self.mlp.params]           # θ*: W1 (2, H), b1 (H,), W2 (H, 3), b2 (3,)
        rng = np.random.default_rng(dir_seq)
        self.d1 = self._direction(rng)
        self.d2 = self._direction(rng)
        self._grid_cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._refine_minimum()

    def _direction(self, rng: np.random.Generator) -> list[np.ndarray]:
        """A Gaussian direction, filter-normalized per output neuron; zero for biases."""
        out = []
        for p in self.theta:
            if p.ndim == 2:
                d = rng.standard_normal(p.shape)
                d *= np.linalg.norm(p, axis=0, keepdims=True) / (np.linalg.norm(d, axis=0, keepdims=True) + 1e-10)
            else:
                d = np.zeros_like(p)
            out.append(d)
        return out

    def _loss_and_backward(self) -> float:
        loss = self.loss_fn.forward(self.mlp.forward(self.x), self.y)
        self.mlp.backward(self.loss_fn.backward())
        return loss

    def value_and_grad(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        """L and (d₁·∇L, d₂·∇L) at θ* + p[0]·d₁ + p[1]·d₂ (one forward and backward pass)."""
        a, b = float(p[0]), float(p[1])
        with self._mlp_lock:                            # one MLP object, shared by every racer and lesson
            for w, t, u, v in zip(self.mlp.params, self.theta, self.d1, self.d2):
                np.add(t, a * u + b * v, out=w)
            loss = self._loss_and_backward()
            g = np.array([sum(float(np.vdot(u, gr)) for u, gr in zip(self.d1, self.mlp.grads)),
                          sum(float(np.vdot(v, gr)) for v, gr in zip(self.d2, self.mlp.grads))])
        return loss, g

    def value(self, x, y, dtype: str = "float64"):
        """L on arrays of (α, β) of any shape, vectorized: the first layer's pre-activation is affine in
        (α, β), so X W₁(α, β) = X W₁* + α X D₁ + β X E₁ is formed from three (N, H) products, and
        likewise the logits.  ``dtype="float32"`` halves the cost (the contour grid uses it)."""
        from threadpoolctl import threadpool_limits

        alpha = np.asarray(x, dtype=np.float64)
        beta = np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(alpha.shape, beta.shape)
        a = np.broadcast_to(alpha, shape).ravel().astype(dtype)
        b = np.broadcast_to(beta, shape).ravel().astype(dtype)
        W1, b1, W2, b2 = (t.astype(dtype) for t in self.theta)
        D1, _, D2, _ = (t.astype(dtype) for t in self.d1)
        E1, _, E2, _ = (t.astype(dtype) for t in self.d2)
        xd = self.x.astype(dtype)
        base, xd, xe = xd @ W1 + b1, xd @ D1, xd @ E1              # (N, H) each
        n, k = len(self.y), W2.shape[1]
        w2_stack = np.concatenate([W2, D2, E2], axis=1)        # (H, 3K): h W₂(α, β) = hW₂ + α hD₂ + β hE₂
        out = np.empty(a.size)
        rows = np.arange(n)
        chunk = 128
        # small products: one BLAS thread is several times faster than many fighting over 2 cores
        with threadpool_limits(limits=1, user_api="blas"):
            for i in range(0, a.size, chunk):          # chunks of grid points: (P, N, H) stays small
                pa, pb = a[i:i + chunk, None, None], b[i:i + chunk, None, None]
                h = np.tanh(base + pa * xd + pb * xe)                                # (P, N, H)
                q = (h.reshape(-1, h.shape[2]) @ w2_stack).reshape(len(pa), n, 3, k)  # (P, N, 3, K)
                z = q[:, :, 0] + pa * q[:, :, 1] + pb * q[:, :, 2] + b2             # (P, N, K) logits
                z -= z.max(axis=2, keepdims=True)
                lse = np.log(np.exp(z).sum(axis=2))                                  # (P, N)
                out[i:i + chunk] = (lse - z[:, rows, self.y]).mean(axis=1)
        return out.reshape(shape) if shape else float(out[0])

    def torch_value(self, p):
        """L at θ* + p[0]·d₁ + p[1]·d₂ in PyTorch (float64 on p's device), differentiable in p."""
        import torch
        import torch.nn.functional as F

        dev = p.device
        t = [torch.as_tensor(a, device=dev) for a in self.theta]
        u = [torch.as_tensor(a, device=dev) for a in self.d1]
        v = [torch.as_tensor(a, device=dev) for a in self.d2]
        W1, b1, W2, b2 = (ti + p[0] * ui + p[1] * vi for ti, ui, vi in zip(t, u, v))
        x = torch.as_tensor(self.x, device=dev)
        y = torch.as_tensor(self.y, device=dev)
        return F.cross_entropy(torch.tanh(x @ W1 + b1) @ W2 + b2, y)

    def grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The slice on a NETWORK_GRID² grid over the extent (computed once, then cached)."""
        with self._lock:
            if self._grid_cache is None:
                x0, x1, y0, y1 = self.extent
                xs, ys = np.linspace(x0, x1, NETWORK_GRID), np.linspace(y0, y1, NETWORK_GRID)
                gx, gy = np.meshgrid(xs, ys)
                self._grid_cache = (xs, ys, self.value(gx, gy, dtype="float32"))
            return self._grid_cache

    def _refine_minimum(self) -> None:
        """f_min and minimum: gradient descent with backtracking from (0, 0), a few dozen steps."""
        p = np.zeros(2)
        f, g = self.value_and_grad(p)
        step = 0.1
        for _ in range(40):
            q = p - step * g
            fq, gq = self.value_and_grad(q)
            if fq < f:
                p, f, g = q, fq, gq
                step *= 1.5
            else:
                step *= 0.25
        self.minimum = (float(p[0]), float(p[1]))
        self.f_min = float(f)


_SLICES: dict[SliceConfig, NetworkSlice] = {}
_SLICES_LOCK = threading.Lock()


def network_slice(seed: int = 0) -> NetworkSlice:
    """The network slice for ``seed``, built once per process (training θ* and the grid take about
    half a second) and cached: a Reset with the same seed reuses it."""
    config = SliceConfig(seed=int(seed) % (2**31))
    with _SLICES_LOCK:
        s = _SLICES.get(config)
        if s is None:
            s = _SLICES[config] = NetworkSlice(config)
    return s


def make_surface(name: str, kappa: float = 10.0, rotation_deg: float = 0.0, seed: int = 0) -> Surface:
    """The surface called ``name`` (one of SURFACES).  Raises LessonConfigError for an unknown name
    or a bad κ."""
    if name == "saitoh":
        return SaitohBowl()
    if name == "bowl":
        return QuadraticBowl(kappa, rotation_deg)
    if name == "rosenbrock":
        return Rosenbrock()
    if name == "beale":
        return Beale()
    if name == "saddle":
        return Saddle()
    if name == "network":
        return network_slice(seed)
    raise LessonConfigError(f"Unknown surface {name!r}: choose one of {', '.join(SURFACES)}.")


# ---- contour lines ---------------------------------------------------------------------------------

def contour_levels(z: np.ndarray, f_min: float, log_levels: bool, n: int = 14) -> np.ndarray:
    """n iso-levels for the field z (H, W): geometric in f - f_min for ``log_levels`` (valleys with
    values over many decades), else spaced as k² (equally spaced ellipses on a quadratic), up to the
    95th percentile of z."""
    top = float(np.percentile(z, 95))
    gap = max(top - f_min, 1e-12)
    if log_levels:
        lo = max(float(np.percentile(z, 0.5)) - f_min, gap * 1e-5)
        return f_min + np.geomspace(lo, gap, n)
    return f_min + gap * (np.arange(1, n + 1) / n) ** 2


def contour_segments(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Iso-lines of z (H, W) (z[r, c] at (xs[c], ys[r])) by marching squares, vectorized per level.

    Returns (2S, 2) float32: S line segments as consecutive point pairs (for a "pairs" line plot).
    Ambiguous saddle cells are resolved by the cell's mean value."""
    z00, z01, z10, z11 = z[:-1, :-1], z[:-1, 1:], z[1:, :-1], z[1:, 1:]   # bottom-left, -right, top-left, -right
    X0, X1 = np.meshgrid(xs[:-1], ys[:-1])[0], np.meshgrid(xs[1:], ys[:-1])[0]
    Y0, Y1 = np.meshgrid(xs[:-1], ys[:-1])[1], np.meshgrid(xs[:-1], ys[1:])[1]
    centre = 0.25 * (z00 + z01 + z10 + z11)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for level in levels:
            b00, b01, b10, b11 = z00 >= level, z01 >= level, z10 >= level, z11 >= level
            # edges: 0 bottom (00-01), 1 right (01-11), 2 top (10-11), 3 left (00-10)
            cross = np.stack([b00 != b01, b01 != b11, b10 != b11, b00 != b10], axis=-1)    # (R, C, 4)
            n_cross = cross.sum(axis=-1)
            if not n_cross.any():
                continue
            t0 = (level - z00) / (z01 - z00)
            t1 = (level - z01) / (z11 - z01)
            t2 = (level - z10) / (z11 - z10)
            t3 = (level - z00) / (z10 - z00)
            px = np.stack([X0 + t0 * (X1 - X0), X1 + 0 * t1, X0 + t2 * (X1 - X0), X0 + 0 * t3], axis=-1)
            py = np.stack([Y0 + 0 * t0, Y0 + t1 * (Y1 - Y0), Y1 + 0 * t2, Y0 + t3 * (Y1 - Y0)], axis=-1)
            two = n_cross == 2
            if two.any():
                idx = np.argsort(~cross[two], axis=-1, kind="stable")[:, :2]       # the two crossed edges
                sx, sy = px[two], py[two]
                a = np.take_along_axis(sx, idx, 1), np.take_along_axis(sy, idx, 1)
                seg = np.stack([a[0], a[1]], axis=-1)                               # (S, 2 points, 2)
                out.append(seg.reshape(-1, 2))
            four = n_cross == 4
            if four.any():
                same = (centre[four] >= level) == b00[four]
                sx, sy = px[four], py[four]
                pairs = np.where(same[:, None], np.array([[0, 1, 2, 3]]), np.array([[0, 3, 2, 1]]))
                qx, qy = np.take_along_axis(sx, pairs, 1), np.take_along_axis(sy, pairs, 1)
                out.append(np.stack([qx, qy], axis=-1).reshape(-1, 2))
    if not out:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(out).astype(np.float32)


@dataclass
class SurfaceMap:
    """A surface's colour image, levels and contour segments, computed once per surface."""

    key: str
    image: np.ndarray
    levels: tuple[float, float]
    contours: np.ndarray
    colorbar_label: str


def surface_map(surface: Surface) -> SurfaceMap:
    """The colour field (log10(f − f_min) on valley surfaces, else f), colour levels and iso-lines."""
    xs, ys, z = surface.grid()
    z = np.asarray(z, dtype=np.float64)
    lv = contour_levels(z, surface.f_min, surface.log_levels)
    segments = contour_segments(xs, ys, z, lv)
    if surface.log_levels:
        gap = np.maximum(z - surface.f_min, 0.0)
        floor = max(float(np.percentile(gap, 0.5)), float(np.percentile(gap, 95)) * 1e-5, 1e-12)
        image = np.log10(np.maximum(gap, floor))
        levels = (math.log10(floor), float(np.percentile(image, 99)))
        label = "log₁₀(f − f_min)"
    else:
        image = z
        levels = (float(surface.f_min), float(np.percentile(z, 99)))
        label = "f"
    if not levels[1] > levels[0]:
        levels = (levels[0], levels[0] + 1.0)
    return SurfaceMap(uuid.uuid4().hex, image.astype(np.float32), levels, segments, label)
