"""Weight initialisation: Xavier/Glorot and He/Kaiming, each uniform or normal.

Sources: X. Glorot & Y. Bengio, "Understanding the difficulty of training deep feedforward neural
networks", AISTATS 2010 (variance 2 / (fan_in + fan_out), proposed with a uniform distribution);
K. He et al., "Delving Deep into Rectifiers", ICCV 2015 (variance 2 / fan_in, proposed with a normal
distribution); Saitoh, *Deep Learning from Scratch*, section 6.2.  The formulas match
``torch.nn.init.xavier_uniform_/xavier_normal_/kaiming_uniform_/kaiming_normal_`` with gain 1
(Xavier) and ReLU gain sqrt(2) (He), fan_in mode.
"""
from __future__ import annotations

import math

import numpy as np

INITS = ("he", "xavier")
DISTRIBUTIONS = ("uniform", "normal")


def xavier(fan_in: int, fan_out: int, rng: np.random.Generator, distribution: str = "uniform",
           dtype: np.dtype | str = np.float32) -> np.ndarray:
    """Glorot/Xavier weights W: (fan_in, fan_out) with Var[W] = 2 / (fan_in + fan_out).

    uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); normal: N(0, 2 / (fan_in + fan_out)).
    Raises ValueError for an unknown distribution or non-positive sizes."""
    _check_sizes(fan_in, fan_out)
    var = 2.0 / (fan_in + fan_out)
    return _draw(var, (fan_in, fan_out), rng, distribution, dtype)


def he(fan_in: int, fan_out: int, rng: np.random.Generator, distribution: str = "normal",
       dtype: np.dtype | str = np.float32) -> np.ndarray:
    """He/Kaiming weights W: (fan_in, fan_out) with Var[W] = 2 / fan_in (for ReLU layers).

    normal: N(0, 2 / fan_in); uniform: U(-a, a) with a = sqrt(6 / fan_in).
    Raises ValueError for an unknown distribution or non-positive sizes."""
    _check_sizes(fan_in, fan_out)
    var = 2.0 / fan_in
    return _draw(var, (fan_in, fan_out), rng, distribution, dtype)


def init_weights(name: str, fan_in: int, fan_out: int, rng: np.random.Generator,
                 dtype: np.dtype | str = np.float32) -> np.ndarray:
    """Weights by scheme name, each in the distribution its paper proposed.

    "he" -> He normal, "xavier" -> Glorot uniform.  Returns W: (fan_in, fan_out) in ``dtype``.
    Raises ValueError for an unknown name."""
    if name == "he":
        return he(fan_in, fan_out, rng, "normal", dtype)
    if name == "xavier":
        return xavier(fan_in, fan_out, rng, "uniform", dtype)
    raise ValueError(f"unknown initialisation {name!r}; choose one of {', '.join(INITS)}")


def _check_sizes(fan_in: int, fan_out: int) -> None:
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"layer sizes must be positive, got fan_in={fan_in}, fan_out={fan_out}")


def _draw(var: float, shape: tuple[int, int], rng: np.random.Generator, distribution: str,
          dtype: np.dtype | str) -> np.ndarray:
    if distribution == "normal":
        w = rng.normal(0.0, math.sqrt(var), size=shape)
    elif distribution == "uniform":
        a = math.sqrt(3.0 * var)
        w = rng.uniform(-a, a, size=shape)
    else:
        raise ValueError(f"unknown distribution {distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}")
    return w.astype(dtype)
