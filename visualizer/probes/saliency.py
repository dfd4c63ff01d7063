"""What a trained CNN looks at: feature maps with their gradients and saliency maps, computed with the
NumPy engine's layers (filter patterns by gradient ascent: ``visualizer.probes.gradient_ascent``).  Qt-free.

Every function takes the list of layers of a scratch CNN (``visualizer.models.cnn.CNN.layers``:
objects with ``forward``/``backward``, parameter gradients in ``grads``) and leaves the network as it
found it: the parameter gradients of the last training step are saved and written back, and the
first layer's ``input_grad`` flag is restored.  Run the network in evaluation mode before calling
them (BatchNorm running statistics, no dropout).

Sources: Saitoh, *Deep Learning from Scratch*, section 7.6 (visualizing a CNN); Simonyan, Vedaldi
& Zisserman, "Deep Inside Convolutional Networks: Visualising Image Classification Models and
Saliency Maps", ICLR workshop 2014 (saliency |∂S_c/∂x|).
"""
from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator, Sequence

import numpy as np


@contextmanager
def preserved(layers: Sequence) -> Iterator[None]:
    """Save the layers' parameter gradients and the first layer's ``input_grad`` flag, turn input
    gradients on, and restore everything on exit (in place, so optimizer references stay valid)."""
    saved = [[g.copy() for g in layer.grads] for layer in layers]
    first = layers[0]
    flag = getattr(first, "input_grad", None)
    if flag is not None:
        first.input_grad = True
    try:
        yield
    finally:
        for layer, grads in zip(layers, saved):
            for g, s in zip(layer.grads, grads):
                g[...] = s
        if flag is not None:
            first.input_grad = flag


def forward_upto(layers: Sequence, x: np.ndarray, stop: int | None = None) -> list[np.ndarray]:
    """Outputs of layers[0..stop] (all when stop is None) for x (N, C, H, W): a list of arrays, the
    i-th the output of layer i (caches for backward are filled)."""
    outs = []
    for layer in layers[: None if stop is None else stop + 1]:
        x = layer.forward(x)
        outs.append(x)
    return outs


def backward_from(layers: Sequence, stop: int, dout: np.ndarray) -> list[np.ndarray]:
    """Backpropagate dout (the gradient w.r.t. the output of layer ``stop``) down to the input.

    Returns [dL/dx, dL/d(out of layer 0), ..., dL/d(out of layer stop)]: the gradient w.r.t. the
    input first, then w.r.t. every layer's output.  Needs a forward pass through layers[0..stop]."""
    grads = [dout]
    for layer in reversed(layers[: stop + 1]):
        dout = layer.backward(dout)
        grads.append(dout)
    return grads[::-1]


def maps_and_gradients(layers: Sequence, x: np.ndarray, y: int) -> tuple[list[np.ndarray], list[np.ndarray],
                                                                        np.ndarray]:
    """For one image x (1, C, H, W) with true class y: every layer's output, the gradient of the
    cross-entropy loss w.r.t. every layer's output (dL/d feature map), and the logits (K,).

    Returns (outputs, gradients, logits): outputs[i] and gradients[i] have the shape of layer i's
    output, float64."""
    with preserved(layers):
        outs = forward_upto(layers, x)
        logits = outs[-1][0].astype(np.float64)                          # (K,)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        dlogits = p.copy()
        dlogits[y] -= 1.0                                                # softmax − one-hot
        grads = backward_from(layers, len(layers) - 1, dlogits[None].astype(outs[-1].dtype))
    return ([o.astype(np.float64) for o in outs], [g.astype(np.float64) for g in grads[1:]], logits)


def saliency(layers: Sequence, x: np.ndarray, cls: int) -> np.ndarray:
    """Saliency map of class ``cls`` for one image x (1, C, H, W): max over channels of |∂z_cls/∂x|,
    the gradient of the class score (the logit, before softmax) w.r.t. the input pixels,
    (H, W) float64 (Simonyan et al. 2014, section 3.1)."""
    with preserved(layers):
        outs = forward_upto(layers, x)
        dz = np.zeros_like(outs[-1])                                     # (1, K)
        dz[0, cls] = 1.0
        dx = backward_from(layers, len(layers) - 1, dz)[0]               # (1, C, H, W)
    return np.abs(dx[0].astype(np.float64)).max(axis=0)
