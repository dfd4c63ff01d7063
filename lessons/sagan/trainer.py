"""The SAGAN training loop on the device (PyTorch; imported only when the ``sagan`` lesson builds).

One step: a discriminator update on a real batch and a fake batch, then a generator update on a fresh fake batch
(Ogawa ch. 5; Zhang et al. 2019 use the two-timescale rule, lr_D = 4·lr_G, Adam β = (0, 0.9)).  Losses and
D scores are summed into device tensors and read back only every ``sync_every`` steps, so a GPU never waits for
the host in between.
"""
from __future__ import annotations

import numpy as np
import torch

from lessons.sagan.nets import (Discriminator, Generator, SaganConfig, bce_d_loss, bce_g_loss, hinge_d_loss,
                                hinge_g_loss, init_weights, singular_values, weight_layers)
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.state import load_modules_from_numpy, modules_to_numpy

N_FIXED = 16                     # samples drawn from fixed noise for the grid and the attention view
STAT_NAMES = ("loss_D", "loss_G", "D_real", "D_fake")


def layer_label(prefix: str, name: str) -> str:
    """Short layer names for the bars: ``layer1.0`` -> ``G.layer1``, ``attn8.query`` -> ``G.attn8.q``."""
    name = name.replace(".0", "").replace(".query", ".q").replace(".key", ".k").replace(".value", ".v")
    return f"{prefix}.{name}"


def pairwise_diversity(x: torch.Tensor) -> torch.Tensor:
    """Mean L2 distance between distinct images of a batch (N, ...) -> scalar tensor (no sync)."""
    flat = x.reshape(x.shape[0], -1)
    d = torch.cdist(flat, flat)
    n = flat.shape[0]
    return d.sum() / max(1, n * (n - 1))


class SaganTrainer:
    """G and D, their Adam optimizers, the training images and the fixed noise, all on ``device``.

    x_train: (N, 1, 16, 16) float32 in [−1, 1].  loss: "hinge" or "bce".  Raises LessonConfigError (from
    resolve_device) when CUDA is requested but absent."""

    def __init__(self, cfg: SaganConfig, x_train: np.ndarray, device: str, seed: int, loss: str,
                 lr_g: float, lr_d: float, batch_size: int) -> None:
        self.device = resolve_device(device)
        torch.manual_seed(seed)
        self.cfg, self.loss, self.batch_size = cfg, loss, batch_size
        self.G, self.D = Generator(cfg).to(self.device), Discriminator(cfg).to(self.device)
        init_weights(self.G)
        init_weights(self.D)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr_g, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr_d, betas=(0.0, 0.9))
        self.x = torch.as_tensor(x_train, device=self.device)
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed)
        self.fixed_z = torch.randn(N_FIXED, cfg.z_dim, generator=self.gen, device=self.device)
        self.acc = torch.zeros(len(STAT_NAMES), device=self.device)        # sums since the last read-back
        self.count = 0
        self.last_fake: torch.Tensor | None = None
        self.last_real: torch.Tensor | None = None
        self.g_layers = [layer_label("G", n) for n, _ in weight_layers(self.G)]
        self.d_layers = [layer_label("D", n) for n, _ in weight_layers(self.D)]

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        for opt, lr in ((self.opt_g, lr_g), (self.opt_d, lr_d)):
            if lr is not None:
                for group in opt.param_groups:
                    group["lr"] = lr

    def _d_loss(self, d_real, d_fake):
        return hinge_d_loss(d_real, d_fake) if self.loss == "hinge" else bce_d_loss(d_real, d_fake)

    def _g_loss(self, d_fake):
        return hinge_g_loss(d_fake) if self.loss == "hinge" else bce_g_loss(d_fake)

    def step(self) -> None:
        """One D update and one G update; adds (loss_D, loss_G, mean D(x), mean D(G(z))) to ``acc``."""
        n = self.batch_size
        idx = torch.randint(0, self.x.shape[0], (n,), generator=self.gen, device=self.device)
        real = self.x[idx]                                                   # (B, 1, 16, 16)
        z = torch.randn(n, self.cfg.z_dim, generator=self.gen, device=self.device)
        fake = self.G(z)
        d_real, d_fake = self.D(real), self.D(fake.detach())                 # (B,), (B,)
        loss_d = self._d_loss(d_real, d_fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        z = torch.randn(n, self.cfg.z_dim, generator=self.gen, device=self.device)
        fake = self.G(z)
        loss_g = self._g_loss(self.D(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        with torch.no_grad():
            self.acc += torch.stack([loss_d.detach(), loss_g.detach(), d_real.mean(), d_fake.mean()])
        self.count += 1
        self.last_fake, self.last_real = fake.detach(), real

    def read_stats(self) -> dict[str, float]:
        """Window means of the losses and D scores since the last call (one device→host copy), then reset."""
        means = (self.acc / max(1, self.count)).tolist()
        self.acc.zero_()
        self.count = 0
        return dict(zip(STAT_NAMES, means))

    @torch.no_grad()
    def slow_stats(self) -> dict[str, float]:
        """γ of every attention layer, σ of each weight before normalization, and the sample diversity ratio
        (one device→host copy).  Evaluation mode, so reading the weights runs no extra power iteration."""
        self.G.eval(), self.D.eval()
        try:
            g_raw, _ = singular_values(self.G)
            d_raw, _ = singular_values(self.D)
        finally:
            self.G.train(), self.D.train()
        gam = torch.stack([self.G.attn8.gamma, self.D.attn8.gamma, self.D.attn4.gamma])
        div = torch.zeros(1, device=self.device)
        if self.last_fake is not None:
            div = (pairwise_diversity(self.last_fake) / pairwise_diversity(self.last_real).clamp_min(1e-8))[None]
        vals = torch.cat([gam.detach(), g_raw, d_raw, div]).tolist()
        out = dict(zip(("gamma_G8", "gamma_D8", "gamma_D4"), vals[:3]))
        ng = len(self.g_layers)
        g_vals, d_vals = vals[3:3 + ng], vals[3 + ng:-1]
        self.sigma_raw = (g_vals, d_vals)
        g_main = [v for name, v in zip(self.g_layers, g_vals) if ".attn" not in name]     # layer1-3, last
        d_main = [v for name, v in zip(self.d_layers, d_vals) if ".attn" not in name]     # layer1-2, last
        for i, v in enumerate(g_main):
            out[f"sigma_G{i + 1}"] = v
        for i, v in enumerate(d_main):
            out[f"sigma_D{i + 1}"] = v
        out["diversity"] = vals[-1]
        return out

    @torch.no_grad()
    def fixed_samples(self) -> tuple[torch.Tensor, torch.Tensor]:
        """G(fixed noise) (16, 1, 16, 16) and G's 8×8 attention maps (16, 64, 64), on the device, in
        evaluation mode (batch norm uses its running statistics; spectral norm its stored estimate)."""
        self.G.eval()
        try:
            images = self.G(self.fixed_z)
        finally:
            self.G.train()
        return images, self.G.attn8.last_attention

    def state_numpy(self) -> dict[str, np.ndarray]:
        """Weights and buffers of G and D as NumPy arrays, "G.*" and "D.*"."""
        return modules_to_numpy({"G": self.G, "D": self.D})

    def load_numpy(self, state: dict) -> None:
        """Load what :meth:`state_numpy` gave.  Raises KeyError/ValueError/RuntimeError when it does not fit."""
        load_modules_from_numpy({"G": self.G, "D": self.D}, state)
