"""The convolutional classifier of the NumPy engine (``visualizer.models.cnn.CNN``) in PyTorch.

Same layers in the same order, built from a NumPy ``CNN`` and started from its weights (conv filters
(F, C, KH, KW) copied as they are, Linear weights transposed from (D_in, D_out) into ``nn.Linear``'s
(D_out, D_in)), so that both engines compute the same logits and gradients.  Import this module only
where torch is wanted: it imports torch at the top.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from visualizer.models.cnn import CNN
from visualizer.scratch.conv import AvgPool2d, BatchNorm2d, Conv2d, Flatten, GlobalAvgPool2d, MaxPool2d
from visualizer.scratch.layers import BatchNorm1d, Dropout, Linear
from visualizer.models.mlp_torch import TORCH_DTYPES, SeededDropout, make_activation


class GlobalAvgPool(nn.Module):
    """Mean of each feature map.  x: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class TorchCNN(nn.Module):
    """PyTorch copy of a NumPy ``CNN``.  x: (N, C, H, W) -> logits (N, K).

    ``layers`` is an ``nn.ModuleList`` parallel to ``source.layers`` and ``names`` to ``source.names``
    ("conv0", "relu0", ...).  Dropout masks come from a generator seeded with ``seed`` on ``device``
    (so they differ from the NumPy engine's).  Raises TypeError for a layer type it does not know."""

    def __init__(self, source: CNN, device: torch.device | str = "cpu", seed: int = 0) -> None:
        super().__init__()
        dtype = TORCH_DTYPES[source.dtype.name]
        device = torch.device(device)
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int(seed))
        self.names = list(source.names)
        self.layers = nn.ModuleList()
        for name, layer in zip(source.names, source.layers):
            self.layers.append(self._module(name, layer, dtype, device))
        self.load_numpy_state(source.state())

    def _module(self, name: str, layer, dtype: torch.dtype, device: torch.device) -> nn.Module:
        if isinstance(layer, Conv2d):
            f, c, kh, kw = layer.params[0].shape
            return nn.Conv2d(c, f, (kh, kw), layer.stride, layer.pad, bias=len(layer.params) == 2,
                             dtype=dtype, device=device)
        if isinstance(layer, MaxPool2d):
            return nn.MaxPool2d(layer.pool, layer.stride, layer.pad)
        if isinstance(layer, AvgPool2d):
            return nn.AvgPool2d(layer.pool, layer.stride, layer.pad)   # count_include_pad=True, as scratch
        if isinstance(layer, Flatten):
            return nn.Flatten()
        if isinstance(layer, GlobalAvgPool2d):
            return GlobalAvgPool()
        if isinstance(layer, Linear):
            d_in, d_out = layer.params[0].shape
            return nn.Linear(d_in, d_out, bias=len(layer.params) == 2, dtype=dtype, device=device)
        if isinstance(layer, BatchNorm1d):         # BatchNorm2d is a subclass
            bn = nn.BatchNorm2d if isinstance(layer, BatchNorm2d) else nn.BatchNorm1d
            return bn(layer.params[0].shape[0], momentum=layer.momentum, eps=layer.eps, dtype=dtype, device=device)
        if isinstance(layer, Dropout):
            return SeededDropout(layer.p, self.generator)
        kind = name.rstrip("0123456789")
        try:
            return make_activation(kind)
        except ValueError:
            raise TypeError(f"TorchCNN cannot copy layer {name} of type {type(layer).__name__}") from None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x                                   # (N, K)

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output in order, as ``CNN.forward_all`` (feature maps, then vectors, then logits)."""
        outs = []
        for layer in self.layers:
            x = layer(x)
            outs.append(x)
        return outs

    def _named(self):
        """(name, module) for the layers that hold parameters."""
        for name, module in zip(self.names, self.layers):
            if isinstance(module, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)):
                yield name, module

    @torch.no_grad()
    def load_numpy_state(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays named as in ``CNN.state()`` (conv W (F, C, KH, KW) as is, Linear W (D_in, D_out)
        transposed).  Raises KeyError for a missing name."""
        for name, m in self._named():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.as_tensor(state[f"{name}.W"]))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.as_tensor(np.ascontiguousarray(state[f"{name}.W"].T)))
            else:
                m.weight.copy_(torch.as_tensor(state[f"{name}.gamma"]))
                m.bias.copy_(torch.as_tensor(state[f"{name}.beta"]))
                m.running_mean.copy_(torch.as_tensor(state[f"{name}.running_mean"]))
                m.running_var.copy_(torch.as_tensor(state[f"{name}.running_var"]))
                continue
            if m.bias is not None:
                m.bias.copy_(torch.as_tensor(state[f"{name}.b"]))

    @torch.no_grad()
    def numpy_state(self) -> dict[str, np.ndarray]:
        """Copies of the model's arrays, named and laid out as ``CNN.state()`` (same dtype)."""
        out: dict[str, np.ndarray] = {}
        for name, m in self._named():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                w = m.weight.detach().cpu().numpy()
                out[f"{name}.W"] = (w.T if isinstance(m, nn.Linear) else w).copy()
                if m.bias is not None:
                    out[f"{name}.b"] = m.bias.detach().cpu().numpy().copy()
            else:
                out[f"{name}.gamma"] = m.weight.detach().cpu().numpy().copy()
                out[f"{name}.beta"] = m.bias.detach().cpu().numpy().copy()
                out[f"{name}.running_mean"] = m.running_mean.cpu().numpy().copy()
                out[f"{name}.running_var"] = m.running_var.cpu().numpy().copy()
        return out

    @torch.no_grad()
    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """float64 copies of the parameter gradients (``.grad``) named and laid out as ``CNN.state()`` /
        ``CNN.gradient_arrays()`` (Linear W gradients transposed to (D_in, D_out)).  Parameters without
        a gradient yet are left out."""
        out: dict[str, np.ndarray] = {}
        for name, m in self._named():
            is_bn = isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))
            for key, p in (("gamma" if is_bn else "W", m.weight), ("beta" if is_bn else "b", m.bias)):
                if p is None or p.grad is None:
                    continue
                g = p.grad.detach().cpu().numpy().astype(np.float64)
                out[f"{name}.{key}"] = g.T.copy() if isinstance(m, nn.Linear) and key == "W" else g
        return out
