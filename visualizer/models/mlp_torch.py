"""The MLP family of the NumPy engine (``visualizer.models.mlp.MLP``) in PyTorch.

Same layer order (Linear -> [BatchNorm1d] -> activation -> [Dropout] per hidden layer, output
Linear giving logits) and the same initial weights, copied from a NumPy model so that both engines
start identical.  Per-layer activations are read with forward hooks on the activation modules.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from visualizer.scratch.layers import Dropout
from visualizer.models.mlp import MLP

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


class SeededDropout(nn.Module):
    """Inverted dropout (as ``nn.Dropout``) drawing its masks from its own ``torch.Generator``.

    Seeded per model, so a seed reproduces a run without touching PyTorch's global random state.
    x: (N, ...) -> same shape."""

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p = float(p)
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return x * mask / keep


class NumpyMaskDropout(nn.Module):
    """Inverted dropout whose masks come from a ``numpy.random.Generator``: the NumPy engine's masks.

    x: (N, H) float32/float64 -> same shape.  In training: u ~ U[0, 1) of x's shape from ``rng``,
    mask = [u >= p] / (1 - p), the formula, dtype and draw order of ``visualizer.scratch.layers.Dropout``,
    so a PyTorch twin built from a NumPy MLP with the same seed drops the same units at every step.
    Identity in evaluation.  Source: Srivastava et al., JMLR 15 (2014); Saitoh, *Deep Learning from
    Scratch*, 6.4.3.  Raises ValueError unless 0 <= p < 1."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = rng

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        dtype = np.float32 if x.dtype == torch.float32 else np.float64
        u = self.rng.random(tuple(x.shape), dtype=dtype)                  # (N, H)
        mask = (u >= self.p).astype(dtype)
        mask *= dtype(1.0 / (1.0 - self.p))                                # 0 or 1/(1-p)
        return x * torch.from_numpy(mask).to(x.device)


def make_activation(name: str) -> nn.Module:
    """Activation module for a name in ``visualizer.models.mlp.ACTIVATIONS`` ("linear" -> nn.Identity)."""
    modules = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.01), "sigmoid": nn.Sigmoid,
               "tanh": nn.Tanh, "linear": nn.Identity}
    if name not in modules:
        raise ValueError(f"unknown activation {name!r}")
    return modules[name]()


class TorchMLP(nn.Module):
    """PyTorch copy of a NumPy ``MLP``.  x: (N, n_inputs) -> logits (N, n_outputs).

    ``linears`` and ``batchnorms`` list the modules in order; ``activations`` the activation module
    of each hidden layer (hooks read the hidden outputs there).  Dropout masks come from the NumPy
    generator of ``source``'s Dropout layers (:class:`NumpyMaskDropout`): a NumPy MLP and its twin built
    with the same seed drop the same units."""

    def __init__(self, source: MLP, dropout: float, device: torch.device, seed: int = 0) -> None:
        super().__init__()
        dtype = TORCH_DTYPES[source.dtype.name]
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int(seed))
        layers: list[nn.Module] = []
        self.linears = nn.ModuleList()
        self.batchnorms = nn.ModuleList()
        self.activations = nn.ModuleList()
        n_hidden = len(source.linears) - 1
        source_dropouts = [layer for layer in source.layers if isinstance(layer, Dropout)]
        mask_rng = source_dropouts[0].rng if source_dropouts else np.random.default_rng(seed)
        for i, lin_np in enumerate(source.linears):
            W = lin_np.params[0]                   # (D_in, D_out)
            lin = nn.Linear(W.shape[0], W.shape[1], bias=len(lin_np.params) == 2, dtype=dtype, device=device)
            layers.append(lin)
            self.linears.append(lin)
            if i == n_hidden:
                break
            if source.batchnorms:
                bn = nn.BatchNorm1d(W.shape[1], momentum=source.batchnorms[i].momentum,
                                    eps=source.batchnorms[i].eps, dtype=dtype, device=device)
                layers.append(bn)
                self.batchnorms.append(bn)
            act = make_activation(source.activation)
            layers.append(act)
            self.activations.append(act)
            if dropout > 0:
                layers.append(NumpyMaskDropout(dropout, mask_rng))
        self.net = nn.Sequential(*layers)
        self.load_numpy_state(source.state())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)                         # (N, n_outputs)

    @torch.no_grad()
    def load_numpy_state(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays named as in ``MLP.state()`` (W stored (D_in, D_out), transposed here)."""
        for i, lin in enumerate(self.linears):
            lin.weight.copy_(torch.as_tensor(np.ascontiguousarray(state[f"linear{i}.W"].T)))
            if lin.bias is not None:
                lin.bias.copy_(torch.as_tensor(state[f"linear{i}.b"]))
        for i, bn in enumerate(self.batchnorms):
            bn.weight.copy_(torch.as_tensor(state[f"bn{i}.gamma"]))
            bn.bias.copy_(torch.as_tensor(state[f"bn{i}.beta"]))
            bn.running_mean.copy_(torch.as_tensor(state[f"bn{i}.running_mean"]))
            bn.running_var.copy_(torch.as_tensor(state[f"bn{i}.running_var"]))

    @torch.no_grad()
    def numpy_state(self) -> dict[str, np.ndarray]:
        """Copies of the model's arrays, named and laid out as ``MLP.state()`` (same dtype)."""
        out: dict[str, np.ndarray] = {}
        for i, lin in enumerate(self.linears):
            out[f"linear{i}.W"] = lin.weight.detach().T.cpu().numpy().copy()
            if lin.bias is not None:
                out[f"linear{i}.b"] = lin.bias.detach().cpu().numpy().copy()
        for i, bn in enumerate(self.batchnorms):
            out[f"bn{i}.gamma"] = bn.weight.detach().cpu().numpy().copy()
            out[f"bn{i}.beta"] = bn.bias.detach().cpu().numpy().copy()
            out[f"bn{i}.running_mean"] = bn.running_mean.cpu().numpy().copy()
            out[f"bn{i}.running_var"] = bn.running_var.cpu().numpy().copy()
        return out

    def forward_hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and each hidden layer's output after its activation, captured by forward hooks."""
        outs: list[torch.Tensor] = []
        handles = [act.register_forward_hook(lambda _m, _i, out: outs.append(out))
                   for act in self.activations]
        try:
            logits = self.net(x)
        finally:
            for h in handles:
                h.remove()
        return logits, outs
