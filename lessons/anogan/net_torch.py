"""AnoGAN's networks for 16×16 digits in PyTorch: a DCGAN whose discriminator also returns its intermediate
features, f(·) of the discrimination loss (Schlegl et al. 2017, *Unsupervised Anomaly Detection with Generative
Adversarial Networks*; Ogawa, *PyTorch advanced deep learning*, ch. 6).  Imported only when the ``anogan`` lesson
builds.
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
