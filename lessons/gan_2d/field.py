"""What the gan_2d field view draws (Qt-free, picklable): real and fake points, D's heatmap, the generator's
gradient arrows and manifold.  GAN Lab (Kahng et al., IEEE VIS 2018) shows the same layers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualizer.core.plotdata import Table

HEATMAP_SIZE = 48               # D(x) is evaluated on a HEATMAP_SIZE² grid (one forward pass)
N_DISPLAY = 400                 # real and fake points drawn
N_ARROWS = 150                  # fakes that carry a gradient arrow
MESH = 17                       # the manifold: MESH × MESH noise grid pushed through G

@dataclass
class GanFieldData:
    """What the field view draws (Qt-free, picklable).

    extent: (x_min, x_max, y_min, y_max); heatmap: (H, W) float32 D(x) in [0, 1], row 0 at y_min;
    real: (N, 2) real samples; fake: (M, 2) G(z) of fixed display noise; arrows_from: (A, 2) fakes and
    arrows: (A, 2) −∂ℓ/∂x there (the direction the generator's loss moves each fake); mesh: (L, L, 2)
    G of an L × L grid of noise (the generator manifold); drawn: (K, 2) the drawn points in use (empty
    unless target is "drawn"); target, description, g_loss: settings for the title; g_grad: the mean
    per-sample gradient norm at the fakes; step."""

    extent: tuple[float, float, float, float]
    heatmap: np.ndarray
    real: np.ndarray
    fake: np.ndarray
    arrows_from: np.ndarray
    arrows: np.ndarray
    mesh: np.ndarray
    drawn: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    target: str = "ring"
    description: str = ""
    g_loss: str = "non-saturating"
    g_grad: float = 0.0
    step: int = 0

    def table(self) -> Table:
        """Rows: kind (real, fake, heatmap, manifold), x, y, value (D(x) for heatmap cells; the arrow's
        dx, dy for fakes with an arrow)."""
        rows: list[list] = []
        for p in self.real:
            rows.append(["real", float(p[0]), float(p[1]), "", ""])
        n_arrows = len(self.arrows)
        for i, p in enumerate(self.fake):
            a = self.arrows[i] if i < n_arrows else None
            rows.append(["fake", float(p[0]), float(p[1]), "" if a is None else float(a[0]),
                         "" if a is None else float(a[1])])
        h, w = self.heatmap.shape
        x0, x1, y0, y1 = self.extent
        xs, ys = np.linspace(x0, x1, w), np.linspace(y0, y1, h)
        for r in range(h):
            for c in range(w):
                rows.append(["D(x)", float(xs[c]), float(ys[r]), float(self.heatmap[r, c]), ""])
        for p in self.mesh.reshape(-1, 2):
            rows.append(["manifold", float(p[0]), float(p[1]), "", ""])
        return ["kind", "x", "y", "value_or_dx", "dy"], rows


class FieldProbe:
    """The fixed inputs of the field picture and its assembly.  z_display (N_DISPLAY, 2): noise of the fakes
    drawn; z_mesh (MESH², 2): a grid over the noise square (±1, or ±2σ for Gaussian noise); grid (H·W, 2):
    the heatmap's points over ``extent``, row 0 at y_min."""

    def __init__(self, z_display: np.ndarray, gaussian: bool, extent: tuple[float, float, float, float]) -> None:
        self.extent = extent
        r = 2.0 if gaussian else 1.0
        g = np.linspace(-r, r, MESH)
        self.z_mesh = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)       # (MESH², 2)
        x0, x1, y0, y1 = extent
        gx, gy = np.linspace(x0, x1, HEATMAP_SIZE), np.linspace(y0, y1, HEATMAP_SIZE)
        self.grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)      # (H·W, 2)
        self.z_field = np.concatenate([z_display, self.z_mesh])                 # (N_DISPLAY + MESH², 2)

    def data(self, gan, real: np.ndarray, drawn: np.ndarray, target: str, description: str, loss: str,
             step: int) -> GanFieldData:
        """One forward pass of D over the heatmap grid and the fakes and one of G over the display noise and
        the manifold grid (``gan.field``, either engine); real (N_DISPLAY, 2), drawn (K, 2) are copied."""
        p, fake_all, arrows = gan.field(self.grid, self.z_field, N_ARROWS, loss)
        fake = fake_all[:N_DISPLAY]
        mesh = fake_all[N_DISPLAY:].reshape(MESH, MESH, 2)
        heat = p.reshape(HEATMAP_SIZE, HEATMAP_SIZE).astype(np.float32)
        norms = np.hypot(arrows[:, 0], arrows[:, 1])
        return GanFieldData(self.extent, heat, real.copy(), fake, fake[:N_ARROWS].copy(), arrows, mesh, drawn.copy(),
                            target, description, loss, float(np.mean(norms)), step)
