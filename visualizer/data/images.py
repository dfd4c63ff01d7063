"""Image resizing shared by every lesson that upscales the embedded 8×8 digits (Qt-free, engine-free)."""
from __future__ import annotations

import numpy as np


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Weights A (n_out, n_in) float64 of bilinear resizing along one axis, pixel centres aligned like
    ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``: a resized image is
    ``A_h @ img @ A_w.T``.  Raises ValueError for sizes below 1."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be >= 1, got {n_in} -> {n_out}")
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5          # (n_out,) source coordinates
    centres = np.clip(centres, 0.0, n_in - 1.0)
    lo = np.floor(centres).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = centres - lo
    a = np.zeros((n_out, n_in))
    a[np.arange(n_out), lo] += 1.0 - frac
    a[np.arange(n_out), hi] += frac
    return a


def resize_bilinear(images: np.ndarray, size: int | tuple[int, int], *, clip: tuple[float, float] | None = None,
                    dtype: np.dtype | str | None = None) -> np.ndarray:
    """Bilinear resize of a stack of images (N, H, W) -> (N, h, w) (``size`` an int for square outputs).

    Computed in float64 and returned as ``dtype`` (default: the input's float dtype, float32 for integer
    input), optionally clipped to ``clip`` = (low, high).  Raises ValueError for a non-3-D input."""
    x = np.asarray(images)
    if x.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), got {x.shape}")
    h, w = (size, size) if isinstance(size, (int, np.integer)) else size
    out = np.einsum("ih,nhw,jw->nij", bilinear_matrix(x.shape[1], int(h)), x.astype(np.float64),
                    bilinear_matrix(x.shape[2], int(w)))                # (N, h, w)
    if clip is not None:
        out = np.clip(out, *clip)
    if dtype is None:
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    return out.astype(dtype)
