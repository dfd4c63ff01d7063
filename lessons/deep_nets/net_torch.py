"""The PyTorch twin of ``net.DeepNet`` and the kit TorchTrainer that steps it (imported only for the torch engine).

Same layers in the same order, weights copied from a NumPy ``DeepNet`` built from the same config and
seed, same optimizer rule (``torch.optim``), same loss (``F.cross_entropy``): given the same batches the
two engines agree up to float rounding (tests/lessons/test_deep_nets.py).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lessons.deep_nets.net import DeepNet, DeepNetConfig, metric_names
from visualizer.models.classifier_torch import make_torch_optimizer
from visualizer.probes.gradient_norms import layer_norms
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.trainer import Phase, TorchTrainer

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def make_activation(name: str) -> nn.Module:
    """nn.Sigmoid / nn.Tanh / nn.ReLU for "sigmoid" / "tanh" / "relu".  Raises ValueError."""
    modules = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
    if name not in modules:
        raise ValueError(f"unknown activation {name!r}")
    return modules[name]()


class TorchResidualBlock(nn.Module):
    """y = x + F(x), F = Linear -> [BatchNorm1d] -> act -> Linear (He et al. 2016, §3).  x: (N, D) -> (N, D).

    ``hidden`` is the last forward's activation output (N, D)."""

    def __init__(self, width: int, batchnorm: bool, activation: str, dtype: torch.dtype,
                 device: torch.device) -> None:
        super().__init__()
        self.linear1 = nn.Linear(width, width, bias=not batchnorm, dtype=dtype, device=device)
        self.bn = nn.BatchNorm1d(width, dtype=dtype, device=device) if batchnorm else None
        self.act = make_activation(activation)
        self.linear2 = nn.Linear(width, width, dtype=dtype, device=device)
        self.hidden: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear1(x)                                   # (N, D)
        if self.bn is not None:
            h = self.bn(h)
        h = self.act(h)
        self.hidden = h
        return x + self.linear2(h)                            # (N, D)


class TorchDeepNet(nn.Module):
    """PyTorch copy of a NumPy ``DeepNet``.  x: (N, n_inputs) -> logits (N, n_classes).

    ``linears`` / ``batchnorms`` list the weight and BN modules in forward order, as the NumPy model
    does, so that state names (``layer{l}.W`` ...) match."""

    def __init__(self, source: DeepNet, device: torch.device) -> None:
        super().__init__()
        c = source.config
        dtype = TORCH_DTYPES[c.dtype]
        self.config = c
        self.stem = nn.ModuleList()
        self.stem_acts: list[nn.Module] = []
        self.linears: list[nn.Linear] = []
        self.batchnorms: list[nn.BatchNorm1d] = []
        d_in = c.n_inputs
        for _ in range(c.n_stem):
            lin = nn.Linear(d_in, c.width, bias=not c.batchnorm, dtype=dtype, device=device)
            self.linears.append(lin)
            mods: list[nn.Module] = [lin]
            if c.batchnorm:
                bn = nn.BatchNorm1d(c.width, dtype=dtype, device=device)
                self.batchnorms.append(bn)
                mods.append(bn)
            act = make_activation(c.activation)
            mods.append(act)
            self.stem_acts.append(act)
            self.stem.append(nn.Sequential(*mods))
            d_in = c.width
        self.blocks = nn.ModuleList()
        for _ in range(c.n_blocks):
            block = TorchResidualBlock(c.width, c.batchnorm, c.activation, dtype, device)
            self.blocks.append(block)
            self.linears += [block.linear1, block.linear2]
            if block.bn is not None:
                self.batchnorms.append(block.bn)
        self.out = nn.Linear(c.width, c.n_classes, dtype=dtype, device=device)
        self.linears.append(self.out)
        self._stem_outputs: list[torch.Tensor] = []
        self.load_numpy_state(source.state())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._stem_outputs = []
        for layer in self.stem:
            x = layer(x)                                       # (N, H)
            self._stem_outputs.append(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x)                                     # (N, K)

    def hidden_outputs(self) -> list[torch.Tensor]:
        """After a forward: each hidden layer's activation output (N, H), stem layers then blocks."""
        return self._stem_outputs + [b.hidden for b in self.blocks]

    @torch.no_grad()
    def load_numpy_state(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays named as ``DeepNet.state()`` (W stored (D_in, D_out), transposed here).
        Raises KeyError for a missing name, RuntimeError for a shape that does not fit."""
        for l, lin in enumerate(self.linears, start=1):
            lin.weight.copy_(torch.as_tensor(np.ascontiguousarray(np.asarray(state[f"layer{l}.W"]).T)))
            if lin.bias is not None:
                lin.bias.copy_(torch.as_tensor(np.asarray(state[f"layer{l}.b"])))
        for k, bn in enumerate(self.batchnorms, start=1):
            bn.weight.copy_(torch.as_tensor(np.asarray(state[f"bn{k}.gamma"])))
            bn.bias.copy_(torch.as_tensor(np.asarray(state[f"bn{k}.beta"])))
            bn.running_mean.copy_(torch.as_tensor(np.asarray(state[f"bn{k}.running_mean"])))
            bn.running_var.copy_(torch.as_tensor(np.asarray(state[f"bn{k}.running_var"])))

    @torch.no_grad()
    def numpy_state(self) -> dict[str, np.ndarray]:
        """Copies named and laid out as ``DeepNet.state()``."""
        out: dict[str, np.ndarray] = {}
        for l, lin in enumerate(self.linears, start=1):
            out[f"layer{l}.W"] = lin.weight.detach().T.cpu().numpy().copy()
            if lin.bias is not None:
                out[f"layer{l}.b"] = lin.bias.detach().cpu().numpy().copy()
        for k, bn in enumerate(self.batchnorms, start=1):
            out[f"bn{k}.gamma"] = bn.weight.detach().cpu().numpy().copy()
            out[f"bn{k}.beta"] = bn.bias.detach().cpu().numpy().copy()
            out[f"bn{k}.running_mean"] = bn.running_mean.cpu().numpy().copy()
            out[f"bn{k}.running_var"] = bn.running_var.cpu().numpy().copy()
        return out


def _grad(p: torch.Tensor) -> np.ndarray:
    """p.grad as a float64 NumPy copy (zeros before the first backward pass)."""
    if p.grad is None:
        return np.zeros(tuple(p.shape), dtype=np.float64)
    return p.grad.detach().to(torch.float64).cpu().numpy().copy()


class TorchDeepNetModel:
    """``net.NumpyDeepNet``'s interface on PyTorch ("cpu" or "cuda"; LessonConfigError for CUDA without a
    GPU): ``trainer`` is a kit TorchTrainer whose step keeps :func:`net.metric_names` on the device."""

    engine = "torch"

    def __init__(self, config: DeepNetConfig, optimizer: str = "momentum", lr: float = 0.01,
                 device: str = "cpu", primary: bool = True) -> None:
        self.config = config
        self._device = resolve_device(device)
        self._dtype = TORCH_DTYPES[config.dtype]
        self.net = TorchDeepNet(DeepNet(config), self._device)
        self.names = metric_names(config, primary)
        self.trainer = TorchTrainer({"net": self.net},
                                    lambda m: make_torch_optimizer(optimizer, list(m["net"].parameters()), lr, 0.9),
                                    device=self._device, phases=[Phase(self.losses, loss=self.names[0])],
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.opt = self.trainer.optimizers["main"]

    def _tensors(self, x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.as_tensor(x).to(self._device, self._dtype, non_blocking=True),
                torch.as_tensor(y).to(self._device, torch.int64, non_blocking=True))

    def losses(self, batch, step: int) -> dict[str, torch.Tensor]:
        """The step on (x (B, D), y (B,)): mean cross-entropy and accuracy as device tensors."""
        xt, yt = self._tensors(*batch)
        logits = self.net(xt)                                  # (B, K)
        loss = F.cross_entropy(logits, yt)
        acc = (logits.detach().argmax(dim=1) == yt).sum() / len(yt)
        values = {"train_loss": loss, "train_acc": acc, self.names[-1]: loss}
        return {k: values[k] for k in self.names}

    @torch.no_grad()
    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        xt, yt = self._tensors(x, y)
        self.net.train(False)
        logits = self.net(xt)
        return float(F.cross_entropy(logits, yt)), int((logits.argmax(dim=1) == yt).sum()) / len(y)

    def _saved_bn(self) -> list[tuple[torch.Tensor, ...]]:
        return [(bn.running_mean.clone(), bn.running_var.clone(), bn.num_batches_tracked.clone())
                for bn in self.net.batchnorms]

    @torch.no_grad()
    def _restore_bn(self, saved: list[tuple[torch.Tensor, ...]]) -> None:
        for bn, (rm, rv, nb) in zip(self.net.batchnorms, saved):
            bn.running_mean.copy_(rm)
            bn.running_var.copy_(rv)
            bn.num_batches_tracked.copy_(nb)

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Hidden activation outputs (N, H) float64 with batch statistics; running statistics unchanged."""
        saved = self._saved_bn()
        self.net.train(True)
        try:
            with torch.no_grad():
                self.net(torch.as_tensor(x).to(self._device, self._dtype))
            return [h.detach().to(torch.float64).cpu().numpy() for h in self.net.hidden_outputs()]
        finally:
            self._restore_bn(saved)

    def probe_gradients(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradients for the batch (x, y) without an update or a change to the running statistics;
        returns ``grad_norms()``."""
        xt, yt = self._tensors(x, y)
        saved = self._saved_bn()
        self.net.train(True)
        try:
            self.opt.zero_grad(set_to_none=False)
            F.cross_entropy(self.net(xt), yt).backward()
        finally:
            self._restore_bn(saved)
        return self.grad_norms()

    def grad_norms(self) -> np.ndarray:
        """‖∂L/∂W_l‖ of every weight layer from the last step, (L,) float64 (one copy to the host)."""
        if any(lin.weight.grad is None for lin in self.net.linears):
            return np.zeros(len(self.net.linears))
        return torch.stack(layer_norms([lin.weight.grad for lin in self.net.linears])).cpu().numpy()

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """Float64 copies of the last step's gradients, named and laid out as ``DeepNet.state``."""
        out: dict[str, np.ndarray] = {}
        for l, lin in enumerate(self.net.linears, start=1):
            out[f"layer{l}.W"] = _grad(lin.weight).T.copy()
            if lin.bias is not None:
                out[f"layer{l}.b"] = _grad(lin.bias)
        for k, bn in enumerate(self.net.batchnorms, start=1):
            out[f"bn{k}.gamma"] = _grad(bn.weight)
            out[f"bn{k}.beta"] = _grad(bn.bias)
        return out
