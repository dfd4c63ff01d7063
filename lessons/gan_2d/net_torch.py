"""The GAN of the 2-D lab on PyTorch: the twin of ``net.NumpyGAN`` (weights copied from it, the same losses,
``torch.optim`` rules matching the scratch optimizers) stepped by the kit's TorchTrainer with phases: k
discriminator phases then one generator phase per training step (Goodfellow et al., NeurIPS 2014,
Algorithm 1).  Imports torch: import only when the torch engine is chosen.
"""
from __future__ import annotations


import numpy as np
import torch
import torch.nn.functional as F

from lessons.gan_2d.net import ADAM_BETAS, NumpyGAN
from visualizer.models.mlp_torch import TorchMLP
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.trainer import Phase, TorchTrainer

DTYPE = torch.float64


def make_torch_optimizer(name: str, params: list, lr: float) -> torch.optim.Optimizer:
    """``torch.optim`` matching ``net.make_numpy_optimizer``.  Raises ValueError for another name."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=ADAM_BETAS, eps=1e-8)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}")


class GanTrainer(TorchTrainer):
    """TorchTrainer of the float64 GAN twins: gradients named and laid out as on the NumPy engine
    (``G.linear0.W`` (D_in, D_out)), and the phases of a train mode (:meth:`set_phases`)."""

    def set_phases(self, d_fn, g_fn, mode: str, k: int) -> None:
        """Phases of one step: ``d_fn(i)`` for the i-th of k D steps (modes "both" and "D only"), then ``g_fn``
        ("both" and "G only")."""
        self.phases = ([Phase(d_fn(i), "d_loss", "D") for i in range(k)] if mode != "G only" else []) + \
                      ([Phase(g_fn, "g_loss", "G")] if mode != "D only" else [])

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for prefix in ("G", "D"):
            for i, lin in enumerate(self.modules[prefix].linears):
                if lin.weight.grad is None:
                    continue
                out[f"{prefix}.linear{i}.W"] = lin.weight.grad.detach().T.cpu().numpy().astype(np.float64)
                if lin.bias is not None:
                    out[f"{prefix}.linear{i}.b"] = lin.bias.grad.detach().cpu().numpy().astype(np.float64)
        return out


class TorchGAN:
    """G and D in PyTorch with the weights of ``source`` (a fresh NumpyGAN of the same config) and their
    GanTrainer on ``device`` ("cpu" or "cuda"; LessonConfigError without a GPU), whose live settings are the
    learning rates ``lr_d`` and ``lr_g``."""

    def __init__(self, source: NumpyGAN, device: str, seed: int) -> None:
        cfg = source.config
        dev = resolve_device(device)
        G, D = TorchMLP(source.G, 0.0, dev), TorchMLP(source.D, 0.0, dev)
        self.trainer = GanTrainer(
            {"G": G, "D": D},
            {"G": lambda m: make_torch_optimizer(cfg.opt_g, list(m["G"].parameters()), cfg.lr_g),
             "D": lambda m: make_torch_optimizer(cfg.opt_d, list(m["D"].parameters()), cfg.lr_d)},
            device=dev, seed=seed, phases=[],
            hyper={"lr_d": TorchTrainer.param_group_setter("D"), "lr_g": TorchTrainer.param_group_setter("G")})
        self.G, self.D = self.trainer.modules["G"], self.trainer.modules["D"]
        self.device = self.trainer.device

    def _t(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a).to(self.device, DTYPE)

    def d_losses(self, i: int):
        """The loss of the i-th D step of a batch ([(real (B, 2), z (B, 2)) per D step], z_G): L_D and
        mean D(x), D(G(z)) before the update."""
        def fn(batch, step: int) -> dict[str, torch.Tensor]:
            real, z = batch[0][i]
            b = len(real)
            with torch.no_grad():
                fake = self.G(self._t(z))                                   # (B, 2)
            x = torch.cat([self._t(real), fake])                            # (2B, 2)
            y = torch.cat([torch.ones(b, dtype=DTYPE, device=self.device),
                           torch.zeros(b, dtype=DTYPE, device=self.device)])
            logits = self.D(x)[:, 0]                                        # (2B,)
            p = torch.sigmoid(logits.detach())
            return {"d_loss": 2.0 * F.binary_cross_entropy_with_logits(logits, y), "d_real": p[:b].mean(),
                    "d_fake": p[b:].mean()}
        return fn

    def g_losses(self, batch, step: int, loss: str) -> dict[str, torch.Tensor]:
        """L_G of noise batch[1] (B, 2), D frozen (its .grad stays the D step's), and g_grad: the mean per-fake
        |∂ℓᵢ/∂xᵢ|, filled in by a hook during the trainer's backward pass (no extra pass, no host copy)."""
        z = batch[1]
        b = len(z)
        for p in self.D.parameters():
            p.requires_grad_(False)
        try:
            fake = self.G(self._t(z))                                       # (B, 2)
            logits = self.D(fake)[:, 0]                                     # (B,)
        finally:
            for p in self.D.parameters():
                p.requires_grad_(True)
        if loss == "minimax":
            g_loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
        else:
            g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        g_grad = torch.zeros((), dtype=DTYPE, device=self.device)

        def read_grad(g: torch.Tensor) -> None:                          # ∂L_G/∂fake (B, 2), left unchanged
            g_grad.copy_(g.norm(dim=1).mean() * b)
        fake.register_hook(read_grad)
        return {"g_loss": g_loss, "g_grad": g_grad}

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
