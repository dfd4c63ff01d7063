"""The ``vae`` lesson's model and training loop on PyTorch.  Imports torch: import only when the lesson is built.

Encoder q(z|x) = 𝒩(μ(x), diag σ²(x)) and decoder p(x|z) (Bernoulli logits or a Gaussian mean), trained
on the negative β-ELBO  L = E_q[−log p(x|z)] + β · KL(q(z|x) ‖ 𝒩(0, I))  with one reparameterized sample
z = μ + σ ⊙ ε, ε ~ 𝒩(0, I), and Adam.  Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014);
Higgins et al., "β-VAE" (ICLR 2017); Chollet, *Deep Learning with Python* 2e, ch. 12.4.

Training keeps every number on the device: the window sums of the loss terms are device tensors and
reach the host only in :meth:`VAETrainer.sync` (one copy per window of steps).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from visualizer.core.lesson import LessonConfigError
from visualizer.torch_backend.device import resolve_device

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


class Adam:
    """Adam (Kingma & Ba, 2015) on a list of tensors, the same arithmetic as ``torch.optim.Adam`` with its
    defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).  Written out because constructing any ``torch.optim``
    optimizer imports ``torch._dynamo`` (seconds of start-up on a small CPU) and the lesson must build fast.

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)"""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.betas = betas
        self.eps = eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            g = p.grad
            m.lerp_(g, 1.0 - b1)
            v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
            denom = (v.sqrt() / math.sqrt(c2)).add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / c1)


class VAETrainer:
    """The VAE, its Adam optimizer and the data on one device.

    x_train (N, D), x_val (M, D) float32 in [0, 1]; order_rng draws the batch order (the lesson's NumPy
    generator), seed fixes the initial weights and every ε.  Raises LessonConfigError for CUDA without a
    usable GPU and for impossible architectures."""

    def __init__(self, cfg: VAEConfig, x_train: np.ndarray, x_val: np.ndarray, *, device: str, lr: float,
                 seed: int, order_rng: np.random.Generator, n_samples: int = 32) -> None:
        self.device = resolve_device(device)
        self.cfg = cfg
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = TorchVAE(cfg).to(self.device)
        self.opt = Adam(list(self.model.parameters()), lr=lr)
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed)
        self.x_train = torch.as_tensor(x_train, dtype=torch.float32).to(self.device)    # (N, D)
        self.x_val = torch.as_tensor(x_val, dtype=torch.float32).to(self.device)        # (M, D)
        fixed = torch.Generator(device="cpu").manual_seed(seed + 1)
        j = cfg.latent_dim
        self.val_eps = torch.randn(len(x_val), j, generator=fixed).to(self.device)      # (M, J) fixed ε
        self.prior_z = torch.randn(n_samples, j, generator=fixed).to(self.device)       # (n, J) fixed samples
        self.order_rng = order_rng
        self._perm = torch.empty(0, dtype=torch.int64, device=self.device)
        self._pos = 0
        self._acc = torch.zeros(3 + j, device=self.device)     # sums of recon, KL, loss, KL per dim
        self._count = 0

    # ---- training --------------------------------------------------------------------------------
    def _next_batch(self, batch_size: int) -> torch.Tensor:
        """The next mini-batch (B, D): slices of a permutation drawn by the NumPy generator each epoch and
        copied to the device once per epoch."""
        if self._pos >= len(self._perm):
            self._perm = torch.as_tensor(self.order_rng.permutation(len(self.x_train))).to(self.device)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + batch_size]
        self._pos += batch_size
        return self.x_train[idx]

    def losses(self, x: torch.Tensor, eps: torch.Tensor, beta: float) -> dict[str, torch.Tensor]:
        """Loss terms of a batch x (B, D) with noise ε (B, J): recon, kl (means over the batch, nats per
        image), kl_dim (J,), loss = recon + β·kl (all device tensors, differentiable)."""
        mu, logvar = self.model.encode(x)
        z = reparameterize(mu, logvar, eps)                                             # (B, J)
        logits = self.model.decode(z)                                                   # (B, D)
        recon = reconstruction_nll(logits, x, self.cfg.likelihood).mean()
        kl_dim = kl_per_dim(mu, logvar).mean(dim=0)                                     # (J,)
        kl = kl_dim.sum()
        return {"recon": recon, "kl": kl, "kl_dim": kl_dim, "loss": recon + beta * kl}

    def train_step(self, batch_size: int, beta: float) -> None:
        """One Adam update on the next mini-batch.  No host sync: the terms are added to device sums."""
        self.model.train()
        x = self._next_batch(batch_size)
        eps = torch.randn(len(x), self.cfg.latent_dim, generator=self.gen, device=self.device)
        out = self.losses(x, eps, beta)
        self.opt.zero_grad()
        out["loss"].backward()
        self.opt.step()
        with torch.no_grad():
            self._acc += torch.cat([torch.stack([out["recon"], out["kl"], out["loss"]]), out["kl_dim"]]).detach()
        self._count += 1

    def sync(self) -> tuple[dict[str, float], np.ndarray] | None:
        """Means over the steps since the last sync (one device-to-host copy), and the KL per dimension
        (J,); None when no step ran since."""
        if self._count == 0:
            return None
        vals = (self._acc / self._count).cpu().numpy().astype(np.float64)
        self._acc.zero_()
        self._count = 0
        return {"train_recon": float(vals[0]), "train_kl": float(vals[1]), "train_loss": float(vals[2])}, vals[3:]

    def set_lr(self, lr: float) -> None:
        self.opt.lr = float(lr)

    # ---- evaluation and pictures (no_grad) -------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Validation terms with the fixed ε: val_recon, val_kl and val_neg_elbo = recon + KL (β = 1, the
        bound itself), nats per image."""
        self.model.eval()
        out = self.losses(self.x_val, self.val_eps, 1.0)
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
        zt = torch.as_tensor(z, dtype=torch.float32).to(self.device)
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

    # ---- checkpoints -----------------------------------------------------------------------------
    def state_arrays(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy().copy() for k, v in self.model.state_dict().items()}

    def load_state_arrays(self, state: dict[str, np.ndarray]) -> None:
        own = self.model.state_dict()
        if set(state) != set(own) or any(tuple(state[k].shape) != tuple(own[k].shape) for k in own):
            raise LessonConfigError("These weights belong to a VAE of another shape (architecture, latent "
                                    "dimensions, hidden units or image size): set the same values and Reset.")
        self.model.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state.items()})
