"""The lesson's autoencoder on PyTorch: the same layers as ``network.AutoencoderNet``, started from its
initial weights (W stored as (in, out), so y = x W + b as in the scratch engine), trained with
``torch.optim.Adam``.  Imports torch: import only when the torch engine is chosen.  Same interface as
``network.NumpyEngine``; ``train_step`` returns a device tensor so the lesson decides when to sync.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lessons.autoencoder.network import LAYER_NAMES, AEConfig, initial_weights
from visualizer.models.classifier_torch import make_torch_optimizer
from visualizer.torch_backend.device import resolve_device

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_ACTS = {"relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.01), "tanh": torch.tanh,
         "sigmoid": torch.sigmoid}


class TorchEngine:
    """PyTorch twin of ``NumpyEngine``.  Raises LessonConfigError for CUDA without a usable GPU."""

    name = "torch"

    def __init__(self, cfg: AEConfig, device: str = "cpu", optimizer: str = "adam", lr: float = 1e-3) -> None:
        self.cfg = cfg
        self.device = resolve_device(device)
        self.dtype = _DTYPES[cfg.dtype]
        w = initial_weights(cfg)
        self.names = [f"{n}.{p}" for n in LAYER_NAMES for p in ("W", "b")]
        self.params = {k: torch.nn.Parameter(torch.as_tensor(w[k]).to(self.device, self.dtype)) for k in self.names}
        self.opt = make_torch_optimizer(optimizer, list(self.params.values()), lr, 0.9)
        self.act = _ACTS[cfg.activation]

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a).to(self.device, self.dtype)

    def _encode(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        p = self.params
        h = self.act(x @ p["enc1.W"] + p["enc1.b"])                       # (N, H)
        z = h @ p["code.W"] + p["code.b"]                                 # (N, C)
        if not self.cfg.binary:
            return z
        if noise is not None:
            z = z + noise
        return torch.sigmoid(z)

    def _logits(self, code: torch.Tensor) -> torch.Tensor:
        p = self.params
        g = self.act(code @ p["dec1.W"] + p["dec1.b"])                    # (N, H)
        return g @ p["out.W"] + p["out.b"]                                # (N, D)

    def train_step(self, x_in: np.ndarray, target: np.ndarray, noise: np.ndarray | None) -> torch.Tensor:
        """One update; returns [loss, mean squared error] as a (2,) tensor on the device (no host sync)."""
        x = self._tensor(x_in)
        t = self._tensor(target)
        n = None if noise is None else self._tensor(noise)
        self.opt.zero_grad(set_to_none=True)
        logits = self._logits(self._encode(x, n))
        recon = torch.sigmoid(logits)
        if self.cfg.loss == "mse":
            loss = F.mse_loss(recon, t)
            mse = loss.detach()
        else:
            loss = F.binary_cross_entropy_with_logits(logits, t)
            mse = F.mse_loss(recon.detach(), t)
        loss.backward()
        self.opt.step()
        return torch.stack([loss.detach(), mse]).to(torch.float64)

    @staticmethod
    def to_floats(stats: torch.Tensor) -> list[float]:
        return [float(v) for v in stats.tolist()]                        # one device sync

    @torch.no_grad()
    def codes(self, x: np.ndarray) -> np.ndarray:
        return self._encode(self._tensor(x)).to(torch.float64).cpu().numpy()

    @torch.no_grad()
    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        return torch.sigmoid(self._logits(self._encode(self._tensor(x)))).to(torch.float64).cpu().numpy()

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = float(lr)

    def state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy().copy() for k, v in self.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        return {k: (np.zeros(tuple(v.shape)) if v.grad is None
                    else v.grad.detach().to(torch.float64).cpu().numpy()) for k, v in self.params.items()}

    @torch.no_grad()
    def load_state(self, state: dict[str, np.ndarray]) -> None:
        for k, v in self.params.items():
            v.copy_(torch.as_tensor(state[k]).to(self.device, self.dtype))
