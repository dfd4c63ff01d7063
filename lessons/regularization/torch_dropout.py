"""Dropout for the torch engine whose masks come from a NumPy generator (imports torch: load lazily).

The shared classifier's torch model draws dropout masks from its own ``torch.Generator``, so the two
engines see different masks.  This lesson compares them step by step, so it swaps each
``SeededDropout`` of a ``TorchMLP`` for :class:`NumpyMaskDropout`, which draws its uniform numbers
from the same ``numpy.random.Generator`` the NumPy engine's ``Dropout`` layers use and builds the
mask exactly as ``visualizer.scratch.layers.Dropout`` does: both engines then drop the same units.
Source of the method: Srivastava et al., JMLR 15 (2014); Saitoh, *Deep Learning from Scratch*, 6.4.3.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from visualizer.torch_backend.mlp import SeededDropout


class NumpyMaskDropout(nn.Module):
    """Inverted dropout with masks drawn from ``rng`` (a ``numpy.random.Generator``).

    x: (N, H) float32/float64 -> same shape.  In training: u ~ U[0, 1) of x's shape from ``rng``,
    mask = [u >= p] / (1 - p) (the NumPy engine's formula, same dtype, same draw order); identity in
    evaluation.  Raises ValueError unless 0 <= p < 1."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = rng

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        dtype = np.float32 if x.dtype == torch.float32 else np.float64
        u = self.rng.random(tuple(x.shape), dtype=dtype)                  # (N, H)
        mask = (u >= self.p).astype(dtype)
        mask *= dtype(1.0 / (1.0 - self.p))                                # 0 or 1/(1-p)
        return x * torch.from_numpy(mask).to(x.device)


def use_numpy_masks(net: nn.Sequential, rng: np.random.Generator) -> int:
    """Replace every ``SeededDropout`` in ``net`` by a :class:`NumpyMaskDropout` drawing from ``rng``,
    in place.  Returns how many layers were replaced."""
    n = 0
    for i, module in enumerate(net):
        if isinstance(module, SeededDropout):
            net[i] = NumpyMaskDropout(module.p, rng)
            n += 1
    return n
