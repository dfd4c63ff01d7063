"""AnoGAN's latent search (Schlegl et al. 2017, *Unsupervised Anomaly Detection with Generative Adversarial
Networks*, eq. 3–5; Ogawa, *PyTorch advanced deep learning*, ch. 6): find z with G(z) close to a test image x, G and
D fixed; the residual and discrimination losses at the best z make its anomaly score.  :class:`AnomalySearch` runs
the lesson's two searches against frozen copies of the current G and D: one test image step by step (one step per
training step, scores kept on the device) and the whole test set in chunks.  PyTorch; imported only when the
``anogan`` lesson builds.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from lessons.anogan.net_torch import Discriminator, Generator


def residual_loss(x: torch.Tensor, gx: torch.Tensor) -> torch.Tensor:
    """L_R(z) = mean over pixels of |x − G(z)| per image (Schlegl eq. 3, divided by the pixel count): (N,)."""
    return (x - gx).abs().flatten(1).mean(1)


def discrimination_loss(fx: torch.Tensor, fgx: torch.Tensor) -> torch.Tensor:
    """L_D(z) = mean over features of |f(x) − f(G(z))| per image (feature matching, Schlegl eq. 4): (N,)."""
    return (fx - fgx).abs().flatten(1).mean(1)


def anomaly_score(res: torch.Tensor, disc: torch.Tensor, lam: float) -> torch.Tensor:
    """A = (1 − λ)·L_R + λ·L_D (Schlegl eq. 5, λ = 0.1 in the paper): (N,)."""
    return (1.0 - lam) * res + lam * disc


class LatentSearch:
    """Find z with G(z) ≈ x for a batch of queries x (N, 1, 16, 16) by Adam on z, G and D fixed (evaluation
    mode, parameters untouched).  ``step()`` makes one update of all N latent vectors at once and returns the
    scores (N,) *before* it, as device tensors (no host sync)."""

    def __init__(self, G: Generator | nn.Module, D: Discriminator, x: torch.Tensor, lam: float, lr: float,
                 generator: torch.Generator) -> None:
        self.G, self.D, self.x, self.lam = G, D, x, lam
        self.z = torch.randn(x.shape[0], G.z_dim, generator=generator, device=x.device).requires_grad_(True)
        self.opt = torch.optim.Adam([self.z], lr=lr)
        with torch.no_grad():
            self.fx = D(x)[1]
        self.steps = 0

    def losses(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(G(z), L_R (N,), L_D (N,), A (N,)) at the current z, with the graph to z."""
        gx = self.G(self.z)
        res = residual_loss(self.x, gx)
        disc = discrimination_loss(self.fx, self.D(gx)[1])
        return gx, res, disc, anomaly_score(res, disc, self.lam)

    def step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One Adam step on z; returns (L_R, L_D, A) before the step, each (N,), detached."""
        gx, res, disc, score = self.losses()
        (grad,) = torch.autograd.grad(score.sum(), self.z)
        self.opt.zero_grad(set_to_none=True)
        self.z.grad = grad
        self.opt.step()
        self.steps += 1
        return res.detach(), disc.detach(), score.detach()


def frozen(G: nn.Module, D: nn.Module) -> tuple[nn.Module, nn.Module]:
    """Copies of G and D in evaluation mode, with no parameter gradients: a search never moves them."""
    G, D = copy.deepcopy(G).eval(), copy.deepcopy(D).eval()
    for p in list(G.parameters()) + list(D.parameters()):
        p.requires_grad_(False)
    return G, D


class AnomalySearch:
    """The search for one test image and the batched scoring of all of them.

    x_test: (M, 1, 16, 16) on the device; seed: the single search starts from the same z₀ (generator seed + 1)
    every time, so searches compare fairly; the batched one from seed + 2.  ``one`` is the current single search
    (``history`` (max_steps + 1, 3): L_R, L_D, A per step, on the device); ``batch`` the running scoring (None
    when none runs) over ``batch_total`` steps."""

    def __init__(self, x_test: torch.Tensor, seed: int) -> None:
        self.x_test, self.seed = x_test, seed
        self.one: LatentSearch | None = None
        self.history: torch.Tensor | None = None
        self.batch: LatentSearch | None = None
        self.batch_total = 0

    def _generator(self, offset: int) -> torch.Generator:
        return torch.Generator(device=self.x_test.device).manual_seed(self.seed + offset)

    def start(self, G: nn.Module, D: nn.Module, index: int, lam: float, lr: float, max_steps: int) -> None:
        """Start a search for test image ``index`` against frozen copies of G and D."""
        self.one = LatentSearch(*frozen(G, D), self.x_test[index:index + 1], lam, lr, self._generator(1))
        self.history = torch.zeros(max_steps + 1, 3, device=self.x_test.device)

    def step(self) -> torch.Tensor:
        """One Adam step of the single-image search; returns its score A before the step (a device scalar) and
        keeps (L_R, L_D, A) in ``history`` (no sync)."""
        res, disc, score = self.one.step()
        self.history[self.one.steps - 1] = torch.stack([res[0], disc[0], score[0]])
        return score[0]

    @torch.no_grad()
    def view(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query (16, 16), G(z) (16, 16), history (steps + 1, 3)) as NumPy; the last history row is the score at
        the current z."""
        s = self.one
        gx, res, disc, score = s.losses()
        hist = self.history[:s.steps + 1].clone()
        hist[s.steps] = torch.stack([res[0], disc[0], score[0]])
        return s.x[0, 0].cpu().numpy(), gx[0, 0].cpu().numpy(), hist.cpu().numpy()

    def start_scoring(self, G: nn.Module, D: nn.Module, lam: float, lr: float, total_steps: int) -> None:
        """Start the batched search over all test images (frozen copies of G and D), ``total_steps`` long."""
        self.batch = LatentSearch(*frozen(G, D), self.x_test, lam, lr, self._generator(2))
        self.batch_total = total_steps

    def scoring_chunk(self, steps: int) -> np.ndarray | None:
        """Run up to ``steps`` steps of the batched search; returns the final scores (M,) float64 as NumPy when
        done (one device→host copy), else None."""
        b = self.batch
        for _ in range(min(steps, self.batch_total - b.steps)):
            b.step()
        if b.steps < self.batch_total:
            return None
        with torch.no_grad():
            score = b.losses()[3].cpu().numpy().astype(np.float64)
        self.batch = None
        return score
