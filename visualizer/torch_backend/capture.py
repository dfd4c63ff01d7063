"""Capture what lessons visualize with forward and backward hooks, never by editing the model.

:class:`Capture` hooks named modules.  It records nothing until armed with :meth:`Capture.request` (a view
asked for a picture); then the next forward (and backward) pass stores each module's output (or output
gradient, or an attention map picked from the output), reduced on the device (channels capped, spatial size
pooled down) and detached: latest wins, earlier captures are dropped.  :meth:`Capture.latest` copies them to
the host, once, at snapshot time.  Imports torch.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def reduce_map(t: torch.Tensor, max_channels: int = 64, max_hw: int = 32) -> torch.Tensor:
    """Shrink a batch's first item for display, on the device: (N, C, H, W) -> (min(C, max_channels), h, w)
    with h, w <= max_hw (adaptive average pooling); (N, T, D) and (N, D) keep their first item; others as is."""
    x = t.detach()
    if x.ndim == 4:
        x = x[0, :max_channels]                                           # (C, H, W)
        if max(x.shape[-2:]) > max_hw:
            x = F.adaptive_avg_pool2d(x[None].float(), (min(x.shape[-2], max_hw), min(x.shape[-1], max_hw)))[0]
    elif x.ndim in (2, 3):
        x = x[0]
    return x


class Capture:
    """Hooks on ``modules`` (name -> nn.Module).

    kind: "activation" (forward output), "gradient" (gradient of the output, from a backward hook) or
    "attention" (``pick(output)`` selects the attention weights, e.g. ``lambda out: out[1]``; (B, heads, T, T)
    kept whole for the first item).  reduce: how a tensor is shrunk before storing (default
    :func:`reduce_map`)."""

    def __init__(self, modules: Mapping[str, nn.Module], kind: str = "activation", *,
                 pick: Callable[[Any], torch.Tensor] | None = None,
                 reduce: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        if kind not in ("activation", "gradient", "attention"):
            raise ValueError(f"unknown capture kind {kind!r}")
        self.kind = kind
        self.pick = pick or (lambda out: out[0] if isinstance(out, (tuple, list)) else out)
        self.reduce = reduce or (reduce_map if kind != "attention" else (lambda t: t.detach()[0]))
        self._armed: set[str] = set()
        self._store: dict[str, torch.Tensor] = {}
        self._handles = []
        for name, module in modules.items():
            if kind == "gradient":
                h = module.register_full_backward_hook(self._backward_hook(name))
            else:
                h = module.register_forward_hook(self._forward_hook(name))
            self._handles.append(h)
        self.names = tuple(modules)

    def _forward_hook(self, name: str):
        def hook(_module, _inputs, output):
            if name in self._armed:
                self._store[name] = self.reduce(self.pick(output))
                self._armed.discard(name)
        return hook

    def _backward_hook(self, name: str):
        def hook(_module, _grad_in, grad_out):
            if name in self._armed and grad_out and grad_out[0] is not None:
                self._store[name] = self.reduce(grad_out[0])
                self._armed.discard(name)
        return hook

    def request(self, names: tuple[str, ...] | None = None) -> None:
        """Record ``names`` (default: all) on the next pass that reaches them."""
        self._armed.update(self.names if names is None else names)

    def latest(self) -> dict[str, np.ndarray]:
        """The newest captures as float32 NumPy copies (one host copy each); {} before any."""
        return {k: v.float().cpu().numpy() for k, v in self._store.items()}

    def remove(self) -> None:
        """Detach every hook (the model runs as if never hooked)."""
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._store.clear()
