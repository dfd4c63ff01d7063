"""L1 and L2 weight penalties: value and gradient, for weight matrices only (not biases, not BatchNorm).

L2: penalty = l2 / 2 * sum ||W||^2, gradient l2 * W (the "weight decay" of ``torch.optim``'s
``weight_decay`` argument).  L1: penalty = l1 * sum |W|, gradient l1 * sign(W) (sign(0) = 0, the
subgradient PyTorch autograd uses).  Sources: Goodfellow, Bengio & Courville, *Deep Learning*,
sections 7.1.1 and 7.1.2; Saitoh, *Deep Learning from Scratch*, section 6.4.2.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def l2_penalty(weights: Sequence[np.ndarray], strength: float) -> float:
    """l2 / 2 * sum of squared weights over all matrices (a Python float); 0 when strength is 0."""
    if strength == 0.0:
        return 0.0
    return 0.5 * strength * float(sum(np.vdot(w, w) for w in weights))


def l1_penalty(weights: Sequence[np.ndarray], strength: float) -> float:
    """l1 * sum of absolute weights over all matrices (a Python float); 0 when strength is 0."""
    if strength == 0.0:
        return 0.0
    return strength * float(sum(np.abs(w).sum() for w in weights))


def add_l2_grad(weights: Sequence[np.ndarray], grads: Sequence[np.ndarray], strength: float) -> None:
    """grads[i] += l2 * weights[i], in place (parallel lists of equal shapes)."""
    if strength == 0.0:
        return
    for w, g in zip(weights, grads):
        g += g.dtype.type(strength) * w


def add_l1_grad(weights: Sequence[np.ndarray], grads: Sequence[np.ndarray], strength: float) -> None:
    """grads[i] += l1 * sign(weights[i]), in place (parallel lists of equal shapes)."""
    if strength == 0.0:
        return
    for w, g in zip(weights, grads):
        g += g.dtype.type(strength) * np.sign(w)
