"""PyTorch twins of ``count.ppmi`` and ``count.svd_vectors`` (torch.linalg.svd), float64 on the chosen device.

Imported only by the torch engine.  Results equal the NumPy engine's up to float round-off once both
apply ``count.canonical_signs`` (an SVD determines each singular vector only up to sign).
"""
from __future__ import annotations

import numpy as np
import torch

from lessons.word_vectors.count import canonical_signs


def ppmi_torch(C: np.ndarray, device: torch.device) -> torch.Tensor:
    """PPMI (V, V) float64 tensor of counts C (V, V), the formula of ``count.ppmi``."""
    C = torch.as_tensor(np.asarray(C, dtype=np.float64), device=device)
    N = C.sum()
    S = C.sum(dim=0)
    denom = S[:, None] * S[None, :]
    safe = torch.where(C > 0, C * N / torch.where(denom > 0, denom, torch.ones_like(denom)), torch.ones_like(C))
    return torch.clamp(torch.log2(safe), min=0.0)


def svd_vectors_torch(M: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(U[:, :k] (V, k), singular values (k,)) as NumPy float64, canonical signs, from torch.linalg.svd."""
    U, s, _ = torch.linalg.svd(M, full_matrices=False)
    k = min(int(k), U.shape[1])
    return canonical_signs(U[:, :k].cpu().numpy()), s[:k].cpu().numpy()
