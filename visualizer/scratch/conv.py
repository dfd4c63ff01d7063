"""Convolutional layers of the NumPy engine: Conv2d, MaxPool2d, AvgPool2d, Flatten, GlobalAvgPool2d,
BatchNorm2d, and the im2col / col2im transforms behind them.

Same API as ``layers.py``: parallel lists ``params`` / ``grads`` (gradients written in place),
``forward(x)`` caches what ``backward(dout)`` needs, ``backward`` returns dx.  Images are batches of
feature maps in PyTorch's layout (N, C, H, W); convolution weights are (F, C, KH, KW) as in
``torch.nn.Conv2d``.  All arrays keep the dtype of the input / parameters (float32 or float64).

im2col unrolls every receptive field (the C x KH x KW input patch one output pixel sees) into a row of
a matrix, so a convolution becomes one matrix product; col2im sums the rows back onto the image for
the backward pass.  Both loop over the KH x KW kernel offsets at most, never over pixels or samples.

Sources: Saitoh, *Deep Learning from Scratch*, chapter 7 (sections 7.2-7.5, im2col / col2im);
Stanford CS231n notes "Convolutional Neural Networks"; Goodfellow, Bengio & Courville, *Deep Learning*,
chapter 9; Ioffe & Szegedy, ICML 2015 (batch normalisation); Lin, Chen & Yan, "Network in Network",
ICLR 2014 (global average pooling).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from visualizer.scratch.layers import BatchNorm1d, Layer


def conv_output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """Output length of a convolution or pooling window along one axis: (size + 2 pad - kernel) // stride + 1.

    Raises ValueError with a readable message when stride < 1, pad < 0, kernel < 1 or the kernel does
    not fit into the padded input (kernel > size + 2 pad)."""
    size, kernel, stride, pad = int(size), int(kernel), int(stride), int(pad)
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if pad < 0:
        raise ValueError(f"padding must be 0 or more, got {pad}")
    if kernel < 1:
        raise ValueError(f"kernel size must be at least 1, got {kernel}")
    if size < 1:
        raise ValueError(f"the input must be at least 1 pixel wide, got {size}")
    if kernel > size + 2 * pad:
        raise ValueError(f"kernel {kernel} is larger than the padded input {size + 2 * pad} "
                         f"({size} + 2×{pad}); use a smaller kernel, more padding or a larger feature map")
    return (size + 2 * pad - kernel) // stride + 1


def _pad(x: np.ndarray, pad: int, value: float = 0.0) -> np.ndarray:
    """x: (N, C, H, W) -> (N, C, H + 2 pad, W + 2 pad), border filled with ``value`` (x itself when pad = 0)."""
    if pad == 0:
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * pad, w + 2 * pad), value, dtype=x.dtype)
    xp[:, :, pad:pad + h, pad:pad + w] = x
    return xp


def _windows(xp: np.ndarray, kh: int, kw: int, stride: int, oh: int, ow: int) -> np.ndarray:
    """Read-only strided view (N, C, OH, OW, KH, KW) of every receptive field of a padded input xp (N, C, H', W')."""
    sn, sc, sh, sw = xp.strides
    n, c = xp.shape[:2]
    return as_strided(xp, shape=(n, c, oh, ow, kh, kw),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def _accumulate(dwin: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int) -> np.ndarray:
    """Adjoint of ``_windows``: sum window gradients dwin (N, C, OH, OW, KH, KW) onto the image.

    Returns dx (N, C, H, W); padding rows are dropped.  Loops over the KH x KW kernel offsets only."""
    n, c, h, w = x_shape
    _, _, oh, ow, kh, kw = dwin.shape
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=dwin.dtype)
    h_span, w_span = stride * (oh - 1) + 1, stride * (ow - 1) + 1
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + h_span:stride, j:j + w_span:stride] += dwin[:, :, :, :, i, j]
    if pad == 0:
        return dxp
    return dxp[:, :, pad:pad + h, pad:pad + w]


# Channels-last helpers.  The layers below keep feature maps in (N, H, W, C) memory and hand them on
# as (N, C, H, W) views (``a.transpose(0, 3, 1, 2)``), so every copy moves whole channel vectors:
# unrolling receptive fields this way is about ten times faster than from (N, C, H, W) memory.

def _pad_hwc(x: np.ndarray, pad: int, value: float = 0.0) -> np.ndarray:
    """x: (N, C, H, W) (any strides) -> padded channels-last copy-or-view (N, H + 2 pad, W + 2 pad, C)."""
    xh = x.transpose(0, 2, 3, 1)                   # (N, H, W, C) view
    if pad == 0:
        return xh
    n, h, w, c = xh.shape
    xp = np.full((n, h + 2 * pad, w + 2 * pad, c), value, dtype=x.dtype)
    xp[:, pad:pad + h, pad:pad + w, :] = xh
    return xp


def _windows_hwc(xp: np.ndarray, kh: int, kw: int, stride: int, oh: int, ow: int) -> np.ndarray:
    """Read-only view (N, OH, OW, KH, KW, C) of the receptive fields of a padded xp (N, H', W', C)."""
    sn, sh, sw, sc = xp.strides
    n, c = xp.shape[0], xp.shape[3]
    return as_strided(xp, shape=(n, oh, ow, kh, kw, c),
                      strides=(sn, sh * stride, sw * stride, sh, sw, sc), writeable=False)


def _new_dx_hwc(x_shape: tuple[int, ...], pad: int, dtype: np.dtype) -> np.ndarray:
    n, c, h, w = x_shape
    return np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=dtype)   # (N, H', W', C)


def _offset(a: np.ndarray, i: int, j: int, stride: int, oh: int, ow: int) -> np.ndarray:
    """View (N, OH, OW, C) of a (N, H', W', C) at kernel offset (i, j): the pixels that offset sees."""
    return a[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride, :]


def _crop_hwc(dxp: np.ndarray, pad: int) -> np.ndarray:
    """(N, H', W', C) padded gradient -> dx as an (N, C, H, W) view without the padding."""
    if pad:
        dxp = dxp[:, pad:dxp.shape[1] - pad, pad:dxp.shape[2] - pad, :]
    return dxp.transpose(0, 3, 1, 2)


def _check_image(x: np.ndarray, who: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{who} needs a batch of feature maps (N, C, H, W), got shape {x.shape}")


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Unroll receptive fields into rows.  x: (N, C, H, W) -> col: (N*OH*OW, C*KH*KW), same dtype.

    Row n*OH*OW + i*OW + j holds the C x KH x KW patch (channel-major, as ``W.reshape(F, -1)`` of a
    (F, C, KH, KW) kernel) seen by output pixel (i, j) of sample n; zero padding of ``pad`` pixels.
    Saitoh section 7.4.3.  Raises ValueError for a non-4-D input or a kernel that does not fit."""
    _check_image(x, "im2col")
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    win = _windows(_pad(x, pad), kh, kw, stride, oh, ow)          # (N, C, OH, OW, KH, KW) view
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)   # one copy


def col2im(col: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    """Adjoint of ``im2col``: add every row of col (N*OH*OW, C*KH*KW) back onto its receptive field.

    Returns (N, C, H, W) for ``x_shape`` = (N, C, H, W); overlapping fields add up, padding is dropped.
    Saitoh section 7.4.3.  Raises ValueError when col's shape does not match x_shape and the kernel."""
    n, c, h, w = x_shape
    oh, ow = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    if col.shape != (n * oh * ow, c * kh * kw):
        raise ValueError(f"col2im expects col of shape {(n * oh * ow, c * kh * kw)} for input {tuple(x_shape)}, "
                         f"got {col.shape}")
    dwin = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 1, 2, 4, 5)
    return _accumulate(dwin, (n, c, h, w), stride, pad)


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as in PyTorch) y = W * x + b.  x: (N, C, H, W) -> y: (N, F, OH, OW).

    W: (F, C, KH, KW) filters, b: (F,) biases or None (``params`` = [W, b] or [W]), one dtype;
    OH = (H + 2 pad - KH) // stride + 1, likewise OW.  Computed by im2col and one matrix product;
    backward fills ``grads`` in place and returns dx, or None when ``input_grad`` is False (first
    layer, whose input is data).  Saitoh section 7.4; CS231n "Convolutional Neural Networks".

    For speed the unrolled matrix is built from channels-last memory with its columns in (KH, KW, C)
    order instead of ``im2col``'s (C, KH, KW): the same matrix up to a permutation of columns, matched
    by permuting the filters the same way; the output is an (N, F, OH, OW) view of (N, OH, OW, F) memory.
    The input gradient (col2im) is one product per kernel offset, added onto the pixels it saw.
    Raises ValueError for malformed W/b, stride < 1, pad < 0, an input with C' != C channels or
    smaller than the kernel."""

    def __init__(self, W: np.ndarray, b: np.ndarray | None, stride: int = 1, pad: int = 0) -> None:
        super().__init__()
        if W.ndim != 4 or (b is not None and (b.shape != (W.shape[0],) or W.dtype != b.dtype)):
            raise ValueError(f"Conv2d needs W: (F, C, KH, KW) and b: (F,) of one dtype, got W {W.shape} "
                             f"{W.dtype}, b {None if b is None else (b.shape, b.dtype)}")
        if int(stride) < 1 or int(pad) < 0:
            raise ValueError(f"Conv2d needs stride >= 1 and pad >= 0, got stride {stride}, pad {pad}")
        self.params = [W] if b is None else [W, b]  # W: (F, C, KH, KW), b: (F,)
        self.grads = [np.zeros(p.shape, p.dtype) for p in self.params]   # C-contiguous: filled in place
        self.stride, self.pad = int(stride), int(pad)
        self.input_grad = True
        self._col: np.ndarray | None = None
        self._x_shape: tuple[int, ...] = ()

    def output_shape(self, in_shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """(C, H, W) -> (F, OH, OW) without the batch axis.  Raises ValueError when the kernel does not fit."""
        f, c, kh, kw = self.params[0].shape
        if in_shape[0] != c:
            raise ValueError(f"Conv2d with {c} input channels got {in_shape[0]} channels")
        return (f, conv_output_size(in_shape[1], kh, self.stride, self.pad),
                conv_output_size(in_shape[2], kw, self.stride, self.pad))

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "Conv2d")
        W = self.params[0]
        f, c, kh, kw = W.shape
        n = x.shape[0]
        _, oh, ow = self.output_shape(x.shape[1:])
        xp = _pad_hwc(x, self.pad)                                 # (N, H', W', C)
        col = _windows_hwc(xp, kh, kw, self.stride, oh, ow).reshape(n * oh * ow, kh * kw * c)  # copy
        w_col = W.transpose(0, 2, 3, 1).reshape(f, kh * kw * c)   # (F, KH*KW*C), small copy
        out = col @ w_col.T                                        # (N*OH*OW, F)
        if len(self.params) == 2:
            out += self.params[1]
        self._col, self._x_shape = col, x.shape
        # channels-last memory (N, OH, OW, F) handed on as an (N, F, OH, OW) view: no copy
        return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        W = self.params[0]
        f, c, kh, kw = W.shape
        _, _, oh, ow = dout.shape
        d2 = dout.transpose(0, 2, 3, 1).reshape(-1, f)             # (N*OH*OW, F), a view for our layers
        dw_col = d2.T @ self._col                                  # (F, KH*KW*C)
        self.grads[0][...] = dw_col.reshape(f, kh, kw, c).transpose(0, 3, 1, 2)
        if len(self.grads) == 2:
            np.sum(d2, axis=0, out=self.grads[1])                  # (F,)
        if not self.input_grad:
            return None
        # col2im: one product per kernel offset, dcol[t] = dout @ W[:, :, i, j] (N*OH*OW, C) contiguous,
        # added onto the pixels that offset saw
        w_off = W.transpose(2, 3, 0, 1).reshape(kh * kw, f, c)     # (KH*KW, F, C)
        dcol = np.matmul(d2, w_off)                                # (KH*KW, N*OH*OW, C)
        n = dout.shape[0]
        dxp = _new_dx_hwc(self._x_shape, self.pad, dout.dtype)     # (N, H', W', C)
        for t in range(kh * kw):
            seen = _offset(dxp, t // kw, t % kw, self.stride, oh, ow)   # (N, OH, OW, C) view
            seen += dcol[t].reshape(n, oh, ow, c)
        return _crop_hwc(dxp, self.pad)                            # (N, C, H, W) view


class _Pool2d(Layer):
    """Shared geometry of the pooling layers: square window ``pool``, ``stride`` (default: pool), ``pad``."""

    def __init__(self, pool: int, stride: int | None = None, pad: int = 0) -> None:
        super().__init__()
        pool = int(pool)
        stride = pool if stride is None else int(stride)
        pad = int(pad)
        if pool < 1 or stride < 1 or pad < 0:
            raise ValueError(f"pooling needs pool >= 1, stride >= 1, pad >= 0, got pool {pool}, "
                             f"stride {stride}, pad {pad}")
        if 2 * pad > pool:
            raise ValueError(f"pooling padding {pad} must be at most half the window {pool} (as in PyTorch)")
        self.pool, self.stride, self.pad = pool, stride, pad
        self._x_shape: tuple[int, ...] = ()

    def output_shape(self, in_shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """(C, H, W) -> (C, OH, OW).  Raises ValueError when the window does not fit."""
        c, h, w = in_shape
        return (c, conv_output_size(h, self.pool, self.stride, self.pad),
                conv_output_size(w, self.pool, self.stride, self.pad))

    def _geometry(self, x: np.ndarray) -> tuple[int, int]:
        _check_image(x, type(self).__name__)
        _, oh, ow = self.output_shape(x.shape[1:])
        return oh, ow


class MaxPool2d(_Pool2d):
    """Max pooling over ``pool`` x ``pool`` windows.  x: (N, C, H, W) -> y: (N, C, OH, OW).

    stride defaults to pool (non-overlapping windows); padding counts as -inf, as in
    ``torch.nn.MaxPool2d``.  The gradient flows only to each window's maximum (the first one in
    row-major window order on ties, as PyTorch's CPU kernel).  Saitoh section 7.3.  Raises ValueError
    for pool/stride < 1, pad < 0 or pad > pool / 2, or a window larger than the padded input."""

    def __init__(self, pool: int, stride: int | None = None, pad: int = 0) -> None:
        super().__init__(pool, stride, pad)
        self._arg: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        oh, ow = self._geometry(x)
        k, s = self.pool, self.stride
        xp = _pad_hwc(x, self.pad, -np.inf)                        # (N, H', W', C)
        # running maximum over the K*K window offsets; strict > keeps the first maximum on ties
        out = _offset(xp, 0, 0, s, oh, ow).copy()                  # (N, OH, OW, C)
        arg = np.zeros(out.shape, dtype=np.uint8 if k * k < 256 else np.int32)
        for t in range(1, k * k):
            v = _offset(xp, t // k, t % k, s, oh, ow)
            better = v > out
            np.copyto(out, v, where=better)
            arg[better] = t
        self._arg, self._x_shape = arg, x.shape
        return out.transpose(0, 3, 1, 2)                           # (N, C, OH, OW) view

    def backward(self, dout: np.ndarray) -> np.ndarray:
        k, s = self.pool, self.stride
        _, _, oh, ow = dout.shape
        dh = dout.transpose(0, 2, 3, 1)                            # (N, OH, OW, C) view
        dxp = _new_dx_hwc(self._x_shape, self.pad, dout.dtype)
        for t in range(k * k):                                     # route each gradient to its argmax
            seen = _offset(dxp, t // k, t % k, s, oh, ow)
            if s >= k:                                             # windows do not overlap: plain copy
                np.copyto(seen, dh, where=self._arg == t)
            else:
                seen += np.where(self._arg == t, dh, 0)
        return _crop_hwc(dxp, self.pad)                            # (N, C, H, W) view


class AvgPool2d(_Pool2d):
    """Average pooling over ``pool`` x ``pool`` windows.  x: (N, C, H, W) -> y: (N, C, OH, OW).

    stride defaults to pool; zero padding is included in the average (PyTorch's default
    ``count_include_pad=True``).  Raises ValueError like MaxPool2d."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        oh, ow = self._geometry(x)
        k, s = self.pool, self.stride
        self._x_shape = x.shape
        xp = _pad_hwc(x, self.pad)                                 # (N, H', W', C)
        out = _offset(xp, 0, 0, s, oh, ow).copy()                  # (N, OH, OW, C)
        for t in range(1, k * k):
            out += _offset(xp, t // k, t % k, s, oh, ow)
        out *= out.dtype.type(1.0 / (k * k))
        return out.transpose(0, 3, 1, 2)                           # (N, C, OH, OW) view

    def backward(self, dout: np.ndarray) -> np.ndarray:
        k, s = self.pool, self.stride
        _, _, oh, ow = dout.shape
        share = dout.transpose(0, 2, 3, 1) * dout.dtype.type(1.0 / (k * k))   # (N, OH, OW, C)
        dxp = _new_dx_hwc(self._x_shape, self.pad, dout.dtype)
        for t in range(k * k):                                     # every window pixel gets its share
            seen = _offset(dxp, t // k, t % k, s, oh, ow)
            seen += share
        return _crop_hwc(dxp, self.pad)                            # (N, C, H, W) view


class Flatten(Layer):
    """Flatten feature maps into vectors for a Linear layer.  x: (N, C, H, W) -> y: (N, C*H*W), C-order."""

    def __init__(self) -> None:
        super().__init__()
        self._x_shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)                           # (N, C*H*W)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._x_shape)                         # (N, C, H, W)


class GlobalAvgPool2d(Layer):
    """Global average pooling: the mean of each feature map.  x: (N, C, H, W) -> y: (N, C).

    The classifier head of Network in Network, Inception (GoogLeNet) and ResNet."""

    def __init__(self) -> None:
        super().__init__()
        self._x_shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "GlobalAvgPool2d")
        self._x_shape = x.shape
        return x.mean(axis=(2, 3))                                 # (N, C)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, c, h, w = self._x_shape
        dx = np.empty(self._x_shape, dtype=dout.dtype)
        dx[...] = (dout * dout.dtype.type(1.0 / (h * w)))[:, :, None, None]
        return dx                                                  # (N, C, H, W)


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation per channel over the batch and both spatial axes.  x: (N, C, H, W) -> same shape.

    gamma, beta: (C,).  The BatchNorm1d math on the (N*H*W, C) matrix of pixels, i.e. the semantics of
    ``torch.nn.BatchNorm2d`` (batch mean and biased variance in training, running averages with
    momentum 0.1 using the unbiased variance; running statistics in evaluation).
    Source: Ioffe & Szegedy, ICML 2015, section 3.2 (convolutional networks).
    Raises ValueError in training mode when N*H*W < 2 or the channel count differs from gamma's."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_image(x, "BatchNorm2d")
        n, c, h, w = x.shape
        if c != self.params[0].shape[0]:
            raise ValueError(f"BatchNorm2d over {self.params[0].shape[0]} channels got {c} channels")
        rows = x.transpose(0, 2, 3, 1).reshape(-1, c)              # (N*H*W, C)
        y = super().forward(rows)
        return y.reshape(n, h, w, c).transpose(0, 3, 1, 2)         # (N, C, H, W) view

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, c, h, w = dout.shape
        dx = super().backward(dout.transpose(0, 2, 3, 1).reshape(-1, c))
        return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2)        # (N, C, H, W) view
