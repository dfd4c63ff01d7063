"""The GAN of the 2-D lab on PyTorch: the twin of ``gan.NumpyGAN`` (same weights copied from it, same
losses, ``torch.optim`` rules matching the scratch optimizers).  Imports torch: import only when the
torch engine is chosen.

Metrics stay on the device: each step appends 0-d tensors, and ``pop_metrics`` makes one host copy
for all of them (the lesson calls it every step on the CPU and every few steps on CUDA).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lessons.gan_2d.gan import ADAM_BETAS, NumpyGAN
from visualizer.models.mlp_torch import TorchMLP

DTYPE = torch.float64


def make_torch_optimizer(name: str, params: list, lr: float) -> torch.optim.Optimizer:
    """``torch.optim`` matching ``gan.make_numpy_optimizer``.  Raises ValueError for another name."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=ADAM_BETAS, eps=1e-8)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}")


class TorchGAN:
    """PyTorch G and D with the weights of ``source`` (a fresh NumpyGAN of the same config), on ``device``."""

    name = "torch"

    def __init__(self, source: NumpyGAN, device: torch.device) -> None:
        self.device = device
        self.config = source.config
        self.G = TorchMLP(source.G, 0.0, device)
        self.D = TorchMLP(source.D, 0.0, device)
        self.opt_g = make_torch_optimizer(self.config.opt_g, list(self.G.parameters()), self.config.lr_g)
        self.opt_d = make_torch_optimizer(self.config.opt_d, list(self.D.parameters()), self.config.lr_d)
        self._pending: dict[str, list[torch.Tensor]] = {}
        self._g_grads: dict[str, torch.Tensor] = {}

    def _t(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a).to(self.device, DTYPE)

    def _add(self, **values: torch.Tensor) -> None:
        for k, v in values.items():
            self._pending.setdefault(k, []).append(v.detach())

    def d_step(self, real: np.ndarray, z: np.ndarray) -> None:
        """As ``NumpyGAN.d_step``."""
        b = len(real)
        with torch.no_grad():
            fake = self.G(self._t(z))                                       # (B, 2)
        x = torch.cat([self._t(real), fake])                                # (2B, 2)
        y = torch.cat([torch.ones(b, dtype=DTYPE, device=self.device),
                       torch.zeros(b, dtype=DTYPE, device=self.device)])
        logits = self.D(x)[:, 0]                                            # (2B,)
        loss = 2.0 * F.binary_cross_entropy_with_logits(logits, y)
        self.opt_d.zero_grad(set_to_none=False)
        loss.backward()
        self.opt_d.step()
        p = torch.sigmoid(logits.detach())
        self._add(d_loss=loss, d_real=p[:b].mean(), d_fake=p[b:].mean())

    def g_step(self, z: np.ndarray, loss: str = "non-saturating") -> None:
        """As ``NumpyGAN.g_step``; D's parameters take no gradient here (their .grad stays the D step's)."""
        b = len(z)
        for p in self.D.parameters():
            p.requires_grad_(False)
        try:
            fake = self.G(self._t(z))                                       # (B, 2)
            fake.retain_grad()
            logits = self.D(fake)[:, 0]                                     # (B,)
            if loss == "minimax":
                g_loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
            else:
                g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            self.opt_g.zero_grad(set_to_none=False)
            g_loss.backward()
        finally:
            for p in self.D.parameters():
                p.requires_grad_(True)
        self.opt_g.step()
        self._add(g_loss=g_loss, g_grad=fake.grad.norm(dim=1).mean() * b)

    def pop_metrics(self) -> dict[str, float]:
        """Means since the last call, with one device-to-host copy."""
        if not self._pending:
            return {}
        names = list(self._pending)
        means = torch.stack([torch.stack(self._pending[k]).mean() for k in names]).tolist()
        self._pending = {}
        return dict(zip(names, means))

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """As ``NumpyGAN.gradient_arrays`` (names ``D.linear0.W`` stored (D_in, D_out))."""
        out = {}
        for prefix, net in (("G", self.G), ("D", self.D)):
            for i, lin in enumerate(net.linears):
                if lin.weight.grad is None:
                    continue
                out[f"{prefix}.linear{i}.W"] = lin.weight.grad.detach().T.cpu().numpy().astype(np.float64)
                if lin.bias is not None:
                    out[f"{prefix}.linear{i}.b"] = lin.bias.grad.detach().cpu().numpy().astype(np.float64)
        return out

    def set_lr(self, which: str, lr: float) -> None:
        for group in (self.opt_g if which == "g" else self.opt_d).param_groups:
            group["lr"] = float(lr)

    @torch.no_grad()
    def generate(self, z: np.ndarray) -> np.ndarray:
        return self.G(self._t(z)).cpu().numpy()

    def field(self, grid: np.ndarray, z: np.ndarray, n_arrows: int,
              loss: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As ``NumpyGAN.field``, with one device-to-host copy."""
        with torch.no_grad():
            fake = self.G(self._t(z))                                       # (M, 2)
            p_grid = torch.sigmoid(self.D(self._t(grid))[:, 0])             # (P,)
        x = fake[:n_arrows].clone().requires_grad_(True)
        with torch.enable_grad():
            logits = self.D(x)[:, 0]
            p = torch.sigmoid(logits).detach()
            dl = -(1.0 - p) if loss != "minimax" else -p                   # dℓᵢ/dlogitᵢ
            (dx,) = torch.autograd.grad(logits, x, grad_outputs=dl)
        packed = torch.cat([p_grid, fake.reshape(-1), (-dx).reshape(-1)]).cpu().numpy()
        n, m = len(grid), len(z)
        return packed[:n], packed[n:n + 2 * m].reshape(m, 2), packed[n + 2 * m:].reshape(-1, 2)

    def state(self) -> dict[str, np.ndarray]:
        out = {f"G.{k}": v for k, v in self.G.numpy_state().items()}
        out.update({f"D.{k}": v for k, v in self.D.numpy_state().items()})
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        for prefix, net in (("G", self.G), ("D", self.D)):
            own = net.numpy_state()
            sub = {}
            for k, v in own.items():
                src = np.asarray(state[f"{prefix}.{k}"])
                if src.shape != v.shape:
                    raise ValueError(f"{prefix}.{k} has shape {src.shape}, this model needs {v.shape}")
                sub[k] = src.astype(v.dtype)
            net.load_numpy_state(sub)
