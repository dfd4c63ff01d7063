"""The ``vae`` lesson's model, loss terms and pictures on PyTorch.  Imports torch: import only when the lesson is built.

Encoder q(z|x) = 𝒩(μ(x), diag σ²(x)) and decoder p(x|z) (Bernoulli logits or a Gaussian mean), trained
on the negative β-ELBO  L = E_q[−log p(x|z)] + β · KL(q(z|x) ‖ 𝒩(0, I))  with one reparameterized sample
z = μ + σ ⊙ ε, ε ~ 𝒩(0, I), and Adam.  Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014);
Higgins et al., "β-VAE" (ICLR 2017); Chollet, *Deep Learning with Python* 2e, ch. 12.4.

The lesson trains :class:`TorchVAE` through the kit's TorchTrainer (the loss terms stay on the device until
the session flushes); :class:`VAEReadout` holds the data on the device and evaluates, encodes and decodes
for the pictures.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from visualizer.core.lesson import LessonConfigError

GAUSSIAN_SIGMA = 0.1        # σ of the Gaussian decoder p(x|z) = 𝒩(x̂(z), σ² I)


@dataclass(frozen=True)
class VAEConfig:
    """Sizes of the VAE.  image_size: S of the S×S inputs (8, 16 or 28); architecture: "mlp" or "conv";
    likelihood: "bernoulli" (logits, binary cross-entropy) or "gaussian" (mean, squared error / 2σ²)."""

    image_size: int
    latent_dim: int = 2
    hidden: int = 256
    architecture: str = "mlp"
    likelihood: str = "bernoulli"


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(𝒩(μ, σ²) ‖ 𝒩(0, 1)) of each latent dimension: ½ (μ² + σ² − log σ² − 1).  (B, J) -> (B, J)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = μ + σ ⊙ ε with σ = exp(½ log σ²): a sample of q(z|x) that is differentiable in μ and σ.  (B, J)."""
    return mu + torch.exp(0.5 * logvar) * eps


def reconstruction_nll(logits: torch.Tensor, x: torch.Tensor, likelihood: str) -> torch.Tensor:
    """−log p(x|z) per image, summed over pixels: (B, D) logits and targets -> (B,).

    bernoulli: binary cross-entropy with logits; gaussian: Σ (x − sigmoid(logits))² / 2σ² (up to a constant)."""
    if likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    return (torch.sigmoid(logits) - x).pow(2).sum(dim=1) / (2.0 * GAUSSIAN_SIGMA ** 2)


class TorchVAE(nn.Module):
    """x (B, S·S) in [0, 1] -> (μ, log σ²) each (B, J); z (B, J) -> logits (B, S·S).

    mlp: D → hidden → ReLU → 2J, and J → hidden → ReLU → D (Kingma & Welling's one-hidden-layer MLPs).
    conv: two stride-2 3×3 convolutions (16, 32 filters) → hidden → 2J, and the mirror image with 4×4
    transposed convolutions (Chollet 2e, listing 12.24-12.25, smaller).  conv needs S divisible by 4."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        s, h, j = cfg.image_size, cfg.hidden, cfg.latent_dim
        d = s * s
        if cfg.architecture == "mlp":
            self.encoder = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 2 * j))
            self.decoder = nn.Sequential(nn.Linear(j, h), nn.ReLU(), nn.Linear(h, d))
        elif cfg.architecture == "conv":
            if s % 4:
                raise LessonConfigError(f"The conv VAE halves the {s}×{s} images twice: it needs a size "
                                        "divisible by 4. Choose the mlp architecture.")
            q = s // 4
            self.encoder = nn.Sequential(
                nn.Unflatten(1, (1, s, s)),
                nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),                  # (B, 16, S/2, S/2)
                nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),                 # (B, 32, S/4, S/4)
                nn.Flatten(), nn.Linear(32 * q * q, h), nn.ReLU(), nn.Linear(h, 2 * j))
            self.decoder = nn.Sequential(
                nn.Linear(j, h), nn.ReLU(), nn.Linear(h, 32 * q * q), nn.ReLU(),
                nn.Unflatten(1, (32, q, q)),
                nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),        # (B, 16, S/2, S/2)
                nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1),                    # (B, 1, S, S)
                nn.Flatten())
        else:
            raise LessonConfigError(f"Unknown architecture {cfg.architecture!r}: choose mlp or conv.")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)                                   # (B, J) each
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)                                                         # (B, D) logits

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One training pass: x (B, D), noise ε (B, J) -> μ, log σ² (B, J) and the logits (B, D) of the sample
        z = μ + σ ⊙ ε.  A forward() so DistributedDataParallel sees it."""
        mu, logvar = self.encode(x)
        return mu, logvar, self.decode(reparameterize(mu, logvar, eps))


def seeded_vae(cfg: VAEConfig, seed: int) -> TorchVAE:
    """A TorchVAE whose initial weights depend only on ``seed`` (PyTorch's global generator is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TorchVAE(cfg)


def vae_losses(model: TorchVAE, x: torch.Tensor, eps: torch.Tensor, beta: float,
               net: nn.Module | None = None) -> dict[str, torch.Tensor]:
    """Loss terms of a batch x (B, D) with noise ε (B, J): recon, kl (means over the batch, nats per image),
    kl_dim (J,), loss = recon + β·kl (all device tensors, differentiable).  net: what runs ``model``'s forward
    (its DistributedDataParallel wrapper under torchrun, so the gradients are averaged); default ``model``."""
    mu, logvar, logits = (net or model)(x, eps)                                     # (B, J), (B, J), (B, D)
    recon = reconstruction_nll(logits, x, model.cfg.likelihood).mean()
    kl_dim = kl_per_dim(mu, logvar).mean(dim=0)                                     # (J,)
    kl = kl_dim.sum()
    return {"recon": recon, "kl": kl, "kl_dim": kl_dim, "loss": recon + beta * kl}


class DeviceBatches:
    """Mini-batches of x (N, D) on its device: slices of a permutation drawn by a NumPy generator each epoch
    and copied to the device once per epoch (the first at the first batch)."""

    def __init__(self, x: torch.Tensor, order_rng: np.random.Generator) -> None:
        self.x, self.order_rng = x, order_rng
        self.perm = torch.empty(0, dtype=torch.int64, device=x.device)
        self.pos = 0

    def next(self, batch_size: int) -> torch.Tensor:
        """The next mini-batch (B, D)."""
        if self.pos >= len(self.perm):
            self.perm = torch.as_tensor(self.order_rng.permutation(len(self.x))).to(self.x.device)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + batch_size]
        self.pos += batch_size
        return self.x[idx]


class VAEReadout:
    """The data on the model's device and what the pictures read from the model (all under no_grad).

    x_train (N, D), x_val (M, D) float32 in [0, 1]; seed + 1 fixes the validation ε (M, J) and the prior
    draws (n_samples, J) decoded in the samples grid."""

    def __init__(self, model: TorchVAE, x_train: np.ndarray, x_val: np.ndarray, seed: int, n_samples: int) -> None:
        self.model = model
        device = next(model.parameters()).device
        self.x_train = torch.as_tensor(x_train, dtype=torch.float32).to(device)    # (N, D)
        self.x_val = torch.as_tensor(x_val, dtype=torch.float32).to(device)        # (M, D)
        fixed = torch.Generator(device="cpu").manual_seed(seed + 1)
        j = model.cfg.latent_dim
        self.val_eps = torch.randn(len(x_val), j, generator=fixed).to(device)      # (M, J) fixed ε
        self.prior_z = torch.randn(n_samples, j, generator=fixed).to(device)       # (n, J) fixed samples

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Validation terms with the fixed ε: val_recon, val_kl and val_neg_elbo = recon + KL (β = 1, the
        bound itself), nats per image."""
        self.model.eval()
        out = vae_losses(self.model, self.x_val, self.val_eps, 1.0)
        recon, kl = torch.stack([out["recon"], out["kl"]]).tolist()
        return {"val_recon": recon, "val_kl": kl, "val_neg_elbo": recon + kl}

    @torch.no_grad()
    def encode_val(self, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """μ of the first ``limit`` validation images (n, J) and the KL per dimension over the whole
        validation set (J,), as NumPy float64."""
        self.model.eval()
        mu, logvar = self.model.encode(self.x_val)
        kl = kl_per_dim(mu, logvar).mean(dim=0)
        return mu[:limit].double().cpu().numpy(), kl.double().cpu().numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray | torch.Tensor) -> np.ndarray:
        """Decoded means sigmoid(logits) (n, D) float32 of latent codes z (n, J)."""
        self.model.eval()
        zt = torch.as_tensor(z, dtype=torch.float32).to(self.x_val.device)
        return torch.sigmoid(self.model.decode(zt)).cpu().numpy()

    @torch.no_grad()
    def reconstruct_val(self, n: int) -> np.ndarray:
        """Reconstructions (n, D) float32 of the first n validation images, decoded from z = μ."""
        self.model.eval()
        mu, _ = self.model.encode(self.x_val[:n])
        return torch.sigmoid(self.model.decode(mu)).cpu().numpy()

    def prior_samples(self) -> np.ndarray:
        """The fixed prior draws z ~ 𝒩(0, I) decoded: (n, D) float32."""
        return self.decode(self.prior_z)
