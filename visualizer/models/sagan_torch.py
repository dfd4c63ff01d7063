"""SAGAN for 16×16 digits in PyTorch: self-attention, spectral normalization, hinge loss.

Zhang, Goodfellow, Metaxas & Odena 2019, *Self-Attention Generative Adversarial Networks*; Miyato et al. 2018,
*Spectral Normalization for GANs*; Ogawa, *PyTorch advanced deep learning*, ch. 5 (SAGAN).  Imports torch at the
top: import it only when a lesson builds (the ``sagan`` lesson trains it).  Also here: SAGAN's hinge loss and the
BCE losses it can switch to, and the largest singular value of every conv weight (:func:`singular_values`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


@dataclass(frozen=True)
class SaganConfig:
    """z_dim: noise size; ngf / ndf: base channels of G and D; sn: spectral normalization on every conv."""

    z_dim: int = 20
    ngf: int = 32
    ndf: int = 32
    sn: bool = True


def _sn(module: nn.Module, on: bool, dim: int = 0) -> nn.Module:
    return spectral_norm(module, dim=dim) if on else module


class SelfAttention(nn.Module):
    """Self-attention over the positions of a feature map (Zhang et al. 2019, eq. 1–3).

    x (N, C, H, W) -> o (N, C, H, W) = γ · attention + x, with query f(x) and key g(x) 1×1 convs to C/8 channels,
    value h(x) a 1×1 conv to C channels, the attention map β (N, HW, HW) = softmax over j of f(x_i)ᵀ g(x_j)
    (each row i sums to 1: where position i looks), attention_i = Σ_j β_ij h(x_j), and γ a learnable scalar that
    starts at 0 so the network first relies on local convolutions.  ``last_attention`` keeps the last map
    (detached, on the device)."""

    def __init__(self, channels: int, sn: bool = True) -> None:
        super().__init__()
        inner = max(1, channels // 8)
        self.query = _sn(nn.Conv2d(channels, inner, 1), sn)
        self.key = _sn(nn.Conv2d(channels, inner, 1), sn)
        self.value = _sn(nn.Conv2d(channels, channels, 1), sn)
        self.gamma = nn.Parameter(torch.zeros(()))
        self.last_attention: torch.Tensor | None = None

    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """β (N, HW, HW): row i holds the weights position i gives every position j (rows sum to 1)."""
        n, _, h, w = x.shape
        q = self.query(x).view(n, -1, h * w).permute(0, 2, 1)      # (N, HW, C')
        k = self.key(x).view(n, -1, h * w)                          # (N, C', HW)
        return torch.softmax(torch.bmm(q, k), dim=-1)              # (N, HW, HW)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        beta = self.attention_map(x)                                # (N, HW, HW)
        v = self.value(x).view(n, c, h * w)                         # (N, C, HW)
        att = torch.bmm(v, beta.transpose(1, 2)).view(n, c, h, w)   # attention_i = Σ_j β_ij v_j
        self.last_attention = beta.detach()
        return self.gamma * att + x


class Generator(nn.Module):
    """z (N, z_dim) -> image (N, 1, 16, 16) in [−1, 1]: transposed convs 1→4→8→16 with batch norm and ReLU,
    self-attention on the 8×8 feature map (``attn8``, the map the lesson shows: each of its 64 positions covers
    2×2 output pixels), a 3×3 conv and tanh.  (Attention on the 16×16 map would cost 16× more: HW² = 65,536
    weights per image.)"""

    def __init__(self, cfg: SaganConfig) -> None:
        super().__init__()
        g, sn = cfg.ngf, cfg.sn
        self.layer1 = nn.Sequential(_sn(nn.ConvTranspose2d(cfg.z_dim, 4 * g, 4, 1, 0), sn, 1),
                                    nn.BatchNorm2d(4 * g), nn.ReLU())                       # (N, 4g, 4, 4)
        self.layer2 = nn.Sequential(_sn(nn.ConvTranspose2d(4 * g, 2 * g, 4, 2, 1), sn, 1),
                                    nn.BatchNorm2d(2 * g), nn.ReLU())                       # (N, 2g, 8, 8)
        self.attn8 = SelfAttention(2 * g, sn)
        self.layer3 = nn.Sequential(_sn(nn.ConvTranspose2d(2 * g, g, 4, 2, 1), sn, 1),
                                    nn.BatchNorm2d(g), nn.ReLU())                           # (N, g, 16, 16)
        self.last = _sn(nn.Conv2d(g, 1, 3, 1, 1), sn)                                       # (N, 1, 16, 16)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.layer2(self.layer1(z[:, :, None, None]))
        x = self.layer3(self.attn8(x))
        return torch.tanh(self.last(x))


class Discriminator(nn.Module):
    """image (N, 1, 16, 16) -> score (N,): strided convs 16→8→4 with leaky ReLU 0.1, self-attention at 8×8
    (``attn8``) and 4×4 (``attn4``), a 4×4 conv to one logit/score per image (no sigmoid: the loss adds it)."""

    def __init__(self, cfg: SaganConfig) -> None:
        super().__init__()
        d, sn = cfg.ndf, cfg.sn
        self.layer1 = nn.Sequential(_sn(nn.Conv2d(1, d, 4, 2, 1), sn), nn.LeakyReLU(0.1))        # (N, d, 8, 8)
        self.attn8 = SelfAttention(d, sn)
        self.layer2 = nn.Sequential(_sn(nn.Conv2d(d, 2 * d, 4, 2, 1), sn), nn.LeakyReLU(0.1))    # (N, 2d, 4, 4)
        self.attn4 = SelfAttention(2 * d, sn)
        self.last = _sn(nn.Conv2d(2 * d, 1, 4, 1, 0), sn)                                         # (N, 1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attn4(self.layer2(self.attn8(self.layer1(x))))
        return self.last(x).view(-1)


def hinge_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Discriminator hinge loss (Lim & Ye 2017; Zhang et al. 2019 eq. 5): mean(relu(1 − D(x))) + mean(relu(1 + D(G(z))))."""
    return torch.relu(1.0 - d_real).mean() + torch.relu(1.0 + d_fake).mean()


def hinge_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Generator hinge loss: −mean(D(G(z)))."""
    return -d_fake.mean()


def bce_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Discriminator BCE on logits: −mean(log σ(D(x))) − mean(log(1 − σ(D(G(z)))))."""
    f = nn.functional.binary_cross_entropy_with_logits
    return f(d_real, torch.ones_like(d_real)) + f(d_fake, torch.zeros_like(d_fake))


def bce_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: −mean(log σ(D(G(z))))."""
    return nn.functional.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


def weight_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """The conv / transposed-conv layers of ``net`` in order: (name, module)."""
    return [(n, m) for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]


def raw_weight(m: nn.Module) -> torch.Tensor:
    """The weight a layer learns, before spectral normalization (the parametrization's ``original``)."""
    if hasattr(m, "parametrizations") and "weight" in m.parametrizations:
        return m.parametrizations.weight.original
    return m.weight


def weight_matrix(m: nn.Module, w: torch.Tensor) -> torch.Tensor:
    """The weight reshaped to the matrix spectral_norm normalizes: (C_out, C_in·k·k); transposed convs keep
    their output channels on dim 1, which becomes the rows."""
    if isinstance(m, nn.ConvTranspose2d):
        w = w.transpose(0, 1)
    return w.reshape(w.shape[0], -1)


@torch.no_grad()
def singular_values(net: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Largest singular value σ of each layer's weight matrix: (raw (L,), applied (L,)) on the device, where
    raw is the learned weight before normalization and applied the weight the layer uses (W / σ̃ with spectral
    normalization, where σ̃ is the power-iteration estimate; the raw weight without)."""
    raw, applied = [], []
    for _, m in weight_layers(net):
        raw.append(torch.linalg.matrix_norm(weight_matrix(m, raw_weight(m)), ord=2))
        applied.append(torch.linalg.matrix_norm(weight_matrix(m, m.weight), ord=2))
    return torch.stack(raw), torch.stack(applied)


def init_weights(net: nn.Module) -> None:
    """DCGAN initialization (Radford et al. 2016): conv weights N(0, 0.02), batch-norm scale N(1, 0.02)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(raw_weight(m), 0.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
