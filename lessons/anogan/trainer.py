"""AnoGAN on the device: DCGAN training on one digit, the step-by-step latent search for one test image, and the
batched search that scores the whole test set in chunks (PyTorch; imported only when the lesson builds)."""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from lessons.anogan.nets import Discriminator, Generator, LatentSearch, init_weights
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.state import load_modules_from_numpy, modules_to_numpy

STAT_NAMES = ("loss_D", "loss_G", "D_real", "D_fake")


class AnoganTrainer:
    """x_train: (N, 1, 16, 16) normal images in [−1, 1]; x_test: (M, 1, 16, 16).  Raises LessonConfigError
    (from resolve_device) without CUDA when "cuda" is asked for."""

    def __init__(self, x_train: np.ndarray, x_test: np.ndarray, device: str, seed: int, lr_g: float,
                 lr_d: float, batch_size: int, channels: int = 32, z_dim: int = 20) -> None:
        self.device = resolve_device(device)
        torch.manual_seed(seed)
        self.seed = seed
        self.G, self.D = Generator(z_dim, channels).to(self.device), Discriminator(channels).to(self.device)
        init_weights(self.G)
        init_weights(self.D)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr_d, betas=(0.5, 0.999))
        self.x = torch.as_tensor(x_train, device=self.device)
        self.x_test = torch.as_tensor(x_test, device=self.device)
        self.batch_size, self.z_dim = batch_size, z_dim
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed)
        self.acc = torch.zeros(len(STAT_NAMES), device=self.device)
        self.count = 0
        self.search: LatentSearch | None = None
        self.history: torch.Tensor | None = None        # (S, 3) L_R, L_D, A per search step
        self.batch: LatentSearch | None = None
        self.batch_total = 0

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        for opt, lr in ((self.opt_g, lr_g), (self.opt_d, lr_d)):
            if lr is not None:
                for group in opt.param_groups:
                    group["lr"] = lr

    # ---- GAN ----------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One D and one G update (BCE, non-saturating G loss); adds window sums to ``acc`` (no sync)."""
        bce = nn.functional.binary_cross_entropy_with_logits
        n = self.batch_size
        idx = torch.randint(0, self.x.shape[0], (n,), generator=self.gen, device=self.device)
        real = self.x[idx]
        z = torch.randn(n, self.z_dim, generator=self.gen, device=self.device)
        fake = self.G(z)
        d_real, d_fake = self.D(real)[0], self.D(fake.detach())[0]
        loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        d_gen = self.D(fake)[0]
        loss_g = bce(d_gen, torch.ones_like(d_gen))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        with torch.no_grad():
            self.acc += torch.stack([loss_d.detach(), loss_g.detach(), torch.sigmoid(d_real).mean(),
                                     torch.sigmoid(d_fake).mean()])
        self.count += 1

    def read_stats(self) -> dict[str, float]:
        """Window means since the last call (one device→host copy), then reset."""
        means = (self.acc / max(1, self.count)).tolist()
        self.acc.zero_()
        self.count = 0
        return dict(zip(STAT_NAMES, means))

    def _frozen(self) -> tuple[Generator, Discriminator]:
        """Copies of G and D in evaluation mode, with no parameter gradients: the search never moves them."""
        G, D = copy.deepcopy(self.G).eval(), copy.deepcopy(self.D).eval()
        for p in list(G.parameters()) + list(D.parameters()):
            p.requires_grad_(False)
        return G, D

    # ---- the search for one test image --------------------------------------------------------------------
    def start_search(self, index: int, lam: float, lr: float, max_steps: int) -> None:
        """Start a latent search for test image ``index`` against a frozen copy of the current G and D."""
        G, D = self._frozen()
        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.seed + 1)                      # the same z₀ every time: searches compare fairly
        self.search = LatentSearch(G, D, self.x_test[index:index + 1], lam, lr, gen)
        self.history = torch.zeros(max_steps + 1, 3, device=self.device)

    def search_step(self) -> None:
        """One Adam step of the single-image search; its scores go into ``history`` (no sync)."""
        s = self.search
        res, disc, score = s.step()
        self.history[s.steps - 1] = torch.stack([res[0], disc[0], score[0]])

    @torch.no_grad()
    def search_view(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query (16, 16), G(z) (16, 16), history (steps + 1, 3)) as NumPy; the last history row is the score at
        the current z."""
        s = self.search
        gx, res, disc, score = s.losses()
        hist = self.history[:s.steps + 1].clone()
        hist[s.steps] = torch.stack([res[0], disc[0], score[0]])
        return s.x[0, 0].cpu().numpy(), gx[0, 0].cpu().numpy(), hist.cpu().numpy()

    # ---- scoring the test set ------------------------------------------------------------------------------
    def start_scoring(self, lam: float, lr: float, total_steps: int) -> None:
        """Start the batched search over all test images (frozen copies of G and D)."""
        G, D = self._frozen()
        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.seed + 2)
        self.batch = LatentSearch(G, D, self.x_test, lam, lr, gen)
        self.batch_total = total_steps

    def scoring_chunk(self, steps: int) -> np.ndarray | None:
        """Run up to ``steps`` steps of the batched search; returns the final scores (M,) as NumPy when done
        (one device→host copy), else None."""
        b = self.batch
        for _ in range(min(steps, self.batch_total - b.steps)):
            b.step()
        if b.steps < self.batch_total:
            return None
        with torch.no_grad():
            score = b.losses()[3].cpu().numpy().astype(np.float64)
        self.batch = None
        return score

    def state_numpy(self) -> dict[str, np.ndarray]:
        """Weights and buffers of G and D as NumPy arrays, "G.*" and "D.*"."""
        return modules_to_numpy({"G": self.G, "D": self.D})

    def load_numpy(self, state: dict) -> None:
        """Load what :meth:`state_numpy` gave.  Raises KeyError/ValueError/RuntimeError when it does not fit."""
        load_modules_from_numpy({"G": self.G, "D": self.D}, state)
