"""Walking through the generator's latent space (PyTorch; imported when the ``dcgan`` lesson builds).

Spherical and linear interpolation between two noise vectors (White 2016, *Sampling generative networks*) and
G's images for the fixed noise and an interpolation path, copied to the host once per snapshot.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between noise vectors a, b (D,) at fractions t (T,) → (T, D) (White 2016,
    *Sampling generative networks*): follows the great circle, keeping the norm a Gaussian sample has.
    Falls back to linear interpolation when a and b are (anti)parallel."""
    an, bn = a / a.norm(), b / b.norm()
    omega = torch.arccos(torch.clamp((an * bn).sum(), -1.0, 1.0))
    so = torch.sin(omega)
    if float(so) < 1e-6:
        return lerp(a, b, t)
    t = t[:, None]
    return (torch.sin((1 - t) * omega) / so) * a[None] + (torch.sin(t * omega) / so) * b[None]


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation (1 − t)·a + t·b for fractions t (T,) → (T, D)."""
    t = t[:, None]
    return (1 - t) * a[None] + t * b[None]


def interpolation_noise(fixed_z: torch.Tensor, a: int, b: int, steps: int, spherical: bool) -> torch.Tensor:
    """(steps, z_dim) noise from ``fixed_z[a]`` to ``fixed_z[b]`` (fixed_z: (n, z_dim)), endpoints exact."""
    t = torch.linspace(0.0, 1.0, steps, device=fixed_z.device)
    za, zb = fixed_z[a], fixed_z[b]
    z = slerp(za, zb, t) if spherical else lerp(za, zb, t)
    z[0], z[-1] = za, zb
    return z


@torch.no_grad()
def sample_images(G: nn.Module, fixed_z: torch.Tensor, n: int,
                  interp: tuple[int, int, int, bool] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """G's images in evaluation mode (BatchNorm running statistics) for the first ``n`` fixed noise vectors,
    (n, S, S), and for ``interp`` = (a, b, steps, spherical) the interpolation row (steps, S, S): float32 host
    copies of the first channel, one transfer.  G is back in training mode afterwards."""
    z = fixed_z[:n]
    if interp is not None:
        a, b, steps, spherical = interp
        z = torch.cat([z, interpolation_noise(fixed_z, a, b, steps, spherical)])
    G.eval()
    try:
        imgs = G(z)[:, 0].float().cpu().numpy()
    finally:
        G.train()
    return imgs[:n], (imgs[n:] if interp is not None else None)
