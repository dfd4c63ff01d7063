"""Numerical gradient check by central differences (Saitoh, *Deep Learning from Scratch*, section 4.4;
CS231n notes "Gradient checks").  Use float64 arrays: float32 round-off swamps the differences.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from visualizer.core.trainer import relative_error


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences (f(x + h) - f(x - h)) / 2h, one element at a time.

    f: a function of no arguments that reads ``x`` (perturbed in place and restored); x: any shape,
    float64.  Returns an array of x's shape.  Raises ValueError unless x is a float64 array."""
    if x.dtype != np.float64:
        raise ValueError(f"numerical gradients need float64 arrays, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: x is contiguous here
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array")
    for i in range(flat.size):                     # a loop over elements is the point of a check
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


__all__ = ["numerical_gradient", "relative_error"]
