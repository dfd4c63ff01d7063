"""Gradient clipping by the global norm (Pascanu, Mikolov & Bengio, ICML 2013; Saitoh, *Deep Learning from
Scratch 2*, 5.5.3 ``clip_grads``), the same rule as ``torch.nn.utils.clip_grad_norm_``."""
from __future__ import annotations

import numpy as np


def clip_grads(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale every gradient in place by rate = max_norm / (‖g‖ + 1e-6) when that rate is below 1, where
    ‖g‖ = sqrt(Σ over all arrays of Σ g²) is the global L2 norm.  Returns ‖g‖ before clipping (float).

    grads: arrays of any shapes and float dtype.  Pass each array once: a tied matrix listed twice
    would be counted twice.  Raises ValueError unless max_norm > 0."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    total = 0.0
    for g in grads:
        flat = g.reshape(-1)
        total += float(np.dot(flat, flat))
    total_norm = float(np.sqrt(total))
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for g in grads:
            g *= g.dtype.type(rate)
    return total_norm
