"""DCGAN generator and discriminator for small images (16×16 or 32×32), in PyTorch.

Radford, Metz & Chintala, *Unsupervised Representation Learning with Deep Convolutional GANs* (ICLR 2016);
Ogawa, *PyTorch advanced deep learning* (つくりながら学ぶ！PyTorchによる発展ディープラーニング), ch. 5.1 (DCGAN).
The architecture follows the paper's guidelines: strided (transposed) convolutions instead of pooling,
batch normalization in both networks (not on G's output nor D's input layer), ReLU in G with tanh on the
output, LeakyReLU(0.1) in D (Ogawa's slope), no fully connected hidden layers, weights drawn from
N(0, 0.02²).

Imports torch at the top: import this module only on the PyTorch code path (lazily, when a lesson builds).
The ``dcgan`` lesson trains it; any lesson that needs a small image GAN may.
"""
from __future__ import annotations

import math

import torch
from torch import nn

SUPPORTED_SIZES = (16, 32)


def _n_up(image_size: int) -> int:
    """Number of ×2 resolution stages between the 4×4 seed feature map and the image."""
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"image_size must be one of {SUPPORTED_SIZES}, got {image_size}")
    return int(math.log2(image_size // 4))


class Generator(nn.Module):
    """G: noise z (N, z_dim) float32 → images (N, channels, image_size, image_size) in [−1, 1] (tanh).

    z is projected to a 4×4 feature map with ``width·2^(k−1)`` channels by a 4×4 transposed convolution
    (stride 1), then k = log2(image_size/4) transposed convolutions (kernel 4, stride 2, padding 1) each
    double the resolution and halve the channels; BatchNorm + ReLU after every layer but the last, whose
    output goes through tanh.  16×16: 4→8→16; 32×32: 4→8→16→32.

    Raises ValueError for an image_size other than 16 or 32."""

    def __init__(self, z_dim: int = 20, image_size: int = 16, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        k = _n_up(image_size)
        self.z_dim, self.image_size, self.channels, self.width = int(z_dim), int(image_size), int(channels), int(width)
        ch = width * 2 ** (k - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, ch, 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(ch), nn.ReLU(inplace=True)]           # (N, ch, 4, 4)
        for i in range(k):
            last = i == k - 1
            out = channels if last else ch // 2
            layers.append(nn.ConvTranspose2d(ch, out, 4, 2, 1, bias=last))
            if not last:
                layers += [nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            ch = out
        self.net = nn.Sequential(*layers)
        self.out = nn.Tanh()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (N, z_dim) or (N, z_dim, 1, 1) → (N, channels, image_size, image_size)."""
        if z.dim() == 2:
            z = z[:, :, None, None]
        return self.out(self.net(z))


class Discriminator(nn.Module):
    """D: images (N, channels, image_size, image_size) → logits (N,) (real > 0, fake < 0).

    k = log2(image_size/4) convolutions (kernel 4, stride 2, padding 1) halve the resolution down to 4×4
    and double the channels (width, 2·width, ...), LeakyReLU(0.1) after each, BatchNorm after all but the
    first; a final 4×4 convolution (stride 1, no padding) gives one logit per image.  Use
    ``torch.nn.BCEWithLogitsLoss`` on the logits (the sigmoid is inside the loss, as in Ogawa ch. 5).
    :meth:`features` returns the last 4×4 feature map (for feature matching / AnoGAN's discrimination loss).

    Raises ValueError for an image_size other than 16 or 32."""

    def __init__(self, image_size: int = 16, channels: int = 1, width: int = 32,
                 batch_norm: bool = True) -> None:
        super().__init__()
        k = _n_up(image_size)
        self.image_size, self.channels, self.width = int(image_size), int(channels), int(width)
        layers: list[nn.Module] = []
        cin, cout = channels, width
        for i in range(k):
            layers.append(nn.Conv2d(cin, cout, 4, 2, 1, bias=not (batch_norm and i > 0)))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(0.1, inplace=True))
            cin, cout = cout, cout * 2
        self.body = nn.Sequential(*layers)                     # (N, cin, 4, 4)
        self.feature_channels = cin
        self.head = nn.Conv2d(cin, 1, 4, 1, 0)                 # (N, 1, 1, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, H, W) → feature map (N, feature_channels, 4, 4)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, H, W) → logits (N,)."""
        return self.head(self.body(x)).flatten()


def init_dcgan_weights(module: nn.Module, seed: int) -> None:
    """DCGAN initialization, reproducible from ``seed``: conv weights ~ N(0, 0.02²), BatchNorm γ ~ N(1, 0.02²),
    biases 0 (Radford et al. 2016, sec. 4).  Draws on the CPU with its own ``torch.Generator`` and copies,
    so the same seed gives the same weights on CPU and CUDA."""
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1.0 + torch.randn(m.weight.shape, generator=gen) * 0.02)
                m.bias.zero_()


def build_dcgan(z_dim: int, image_size: int, channels: int = 1, width: int = 32, seed: int = 0,
                device: torch.device | str = "cpu") -> tuple[Generator, Discriminator]:
    """(G, D) initialized from ``seed`` (G with seed, D with seed + 1) and moved to ``device``."""
    g = Generator(z_dim, image_size, channels, width)
    d = Discriminator(image_size, channels, width)
    init_dcgan_weights(g, seed)
    init_dcgan_weights(d, seed + 1)
    return g.to(device), d.to(device)
