"""Filter visualization by gradient ascent: the input that excites one filter of a scratch CNN most.  Qt-free.

Takes the list of layers of a scratch CNN (``visualizer.models.cnn.CNN.layers``) and leaves the network as it
found it (see ``visualizer.probes.saliency.preserved``).  Run the network in evaluation mode first.

Sources: Erhan, Bengio, Courville & Vincent, "Visualizing Higher-Layer Features of a Deep Network", Univ.
Montréal tech. report 1341 (2009); Chollet, *Deep Learning with Python* 2e, section 9.4.2 (filter patterns by
gradient ascent); Saitoh, *Deep Learning from Scratch*, section 7.6.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from visualizer.probes.saliency import backward_from, forward_upto, preserved


def gradient_ascent(layers: Sequence, layer: int, channel: int, x0: np.ndarray, steps: int = 40,
                    step_size: float = 0.05) -> tuple[np.ndarray, float, float]:
    """The input that excites one filter: maximize the mean activation of ``channel`` in the output
    of layers[layer] by gradient ascent on the input, starting from x0 (1, C, H, W), pixels kept in
    [0, 1] (Erhan et al. 2009; Chollet 2e, 9.4.2).

    Each step normalizes the gradient to unit RMS (Chollet's recipe, so the step size is in pixel
    units whatever the scale) and moves x by ``step_size`` along it.  Returns (x (C, H, W) float64,
    the mean activation at x0, at the result)."""
    x = np.array(x0, copy=True)
    before = after = 0.0
    with preserved(layers):
        for i in range(steps + 1):
            out = forward_upto(layers, x, layer)[-1]                      # (1, F, h, w)
            act = float(out[0, channel].mean())
            if i == 0:
                before = act
            after = act
            if i == steps:
                break
            dout = np.zeros_like(out)
            dout[0, channel] = 1.0 / out[0, channel].size
            g = backward_from(layers, layer, dout)[0]                    # (1, C, H, W)
            rms = float(np.sqrt(np.mean(g.astype(np.float64) ** 2)))
            if rms == 0.0:                                               # dead filter here: no direction
                break
            x = np.clip(x + (step_size / rms) * g, 0.0, 1.0).astype(x0.dtype)
    return x[0].astype(np.float64), before, after
