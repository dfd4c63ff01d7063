"""AnoGAN for 16×16 digits in PyTorch: a DCGAN whose discriminator also returns its intermediate features, the
residual and discrimination losses, and the latent search (Schlegl et al. 2017, *Unsupervised Anomaly Detection
with Generative Adversarial Networks*, eq. 3–5; Ogawa, *PyTorch advanced deep learning*, ch. 6).  Imported only
when the ``anogan`` lesson builds.
"""
from __future__ import annotations

import torch
from torch import nn


class Generator(nn.Module):
    """z (N, z_dim) -> image (N, 1, 16, 16) in [−1, 1]: transposed convs 1→4→8→16 with batch norm and ReLU, tanh."""

    def __init__(self, z_dim: int = 20, ngf: int = 32) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 4 * ngf, 4, 1, 0), nn.BatchNorm2d(4 * ngf), nn.ReLU(),    # (N, 4g, 4, 4)
            nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1), nn.BatchNorm2d(2 * ngf), nn.ReLU(),  # (N, 2g, 8, 8)
            nn.ConvTranspose2d(2 * ngf, 1, 4, 2, 1), nn.Tanh())                                 # (N, 1, 16, 16)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """image (N, 1, 16, 16) -> (logit (N,), features (N, 2·ndf·16)): strided convs with leaky ReLU 0.1; the
    features are the last feature map before the output layer, f(·) of the discrimination loss."""

    def __init__(self, ndf: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.1),                 # (N, d, 8, 8)
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1), nn.LeakyReLU(0.1))          # (N, 2d, 4, 4)
        self.last = nn.Conv2d(2 * ndf, 1, 4, 1, 0)                         # (N, 1, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return self.last(f).view(-1), f.flatten(1)


def init_weights(net: nn.Module) -> None:
    """DCGAN initialization: conv weights N(0, 0.02), batch-norm scale N(1, 0.02)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


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

    def __init__(self, G: Generator, D: Discriminator, x: torch.Tensor, lam: float, lr: float,
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
