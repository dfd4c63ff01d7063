"""Adam without ``torch.optim``: the arithmetic of ``torch.optim.Adam`` (defaults, single-tensor path) in a few
lines, for lessons that must build fast.  Constructing or stepping any ``torch.optim`` optimizer imports
``torch._dynamo`` (about a second of start-up on a small CPU; the VAE lesson measured seconds).

It speaks the part of the optimizer protocol the kit's TorchTrainer uses: ``param_groups`` (``lr`` is read
at every step, so ``TorchTrainer.param_group_setter`` works), ``zero_grad(set_to_none=...)``, ``step()``,
and ``state_dict()`` / ``load_state_dict()`` in torch's layout (``state[i] = {"step", "exp_avg",
"exp_avg_sq"}``), so checkpoints carry the moments.  Kingma & Ba, "Adam: a method for stochastic
optimization", ICLR 2015, Algorithm 1.

Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import torch


class Adam:
    """m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).

    params: the tensors to update (one param group).  Each parameter's moments (same shape and dtype) are
    created at its first update; t counts that parameter's updates (a host integer: no device sync).
    Raises ValueError for lr < 0 or β outside [0, 1)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if lr < 0 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Adam needs lr >= 0 and betas in [0, 1), got lr={lr}, betas={betas}")
        self.param_groups: list[dict[str, Any]] = [
            {"params": list(params), "lr": float(lr), "betas": tuple(betas), "eps": float(eps)}]
        self.state: dict[int, dict[str, Any]] = {}       # parameter index -> {"step": int, "exp_avg", "exp_avg_sq"}

    @property
    def params(self) -> list[torch.Tensor]:
        return self.param_groups[0]["params"]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        group = self.param_groups[0]
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            st = self.state.get(i)
            if st is None:
                st = self.state[i] = {"step": 0, "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
            st["step"] += 1
            t = st["step"]
            m, v, g = st["exp_avg"], st["exp_avg_sq"], p.grad
            m.lerp_(g, 1.0 - b1)
            v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
            denom = (v.sqrt() / math.sqrt(1.0 - b2 ** t)).add_(eps)
            p.addcdiv_(m, denom, value=-lr / (1.0 - b1 ** t))

    def state_dict(self) -> dict[str, Any]:
        """torch's layout: {"state": {i: {"step": 0-d float32 tensor, "exp_avg", "exp_avg_sq"}}, "param_groups":
        [{"lr", "betas", "eps", "params": [0, 1, ...]}]} (the moments are the live tensors)."""
        state = {i: {"step": torch.tensor(float(st["step"])), "exp_avg": st["exp_avg"], "exp_avg_sq": st["exp_avg_sq"]}
                 for i, st in self.state.items()}
        groups = [{k: v for k, v in g.items() if k != "params"} | {"params": list(range(len(g["params"])))}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output (moments copied to each parameter's device and dtype).  Raises
        ValueError for an index no parameter has or a moment of another shape; nothing changes then."""
        params = self.params
        new: dict[int, dict[str, Any]] = {}
        for i, st in sd["state"].items():
            i = int(i)
            if not 0 <= i < len(params):
                raise ValueError(f"optimizer state for parameter {i}, but there are {len(params)}")
            p = params[i]
            m, v = (torch.as_tensor(st[k]).to(p.device, p.dtype) for k in ("exp_avg", "exp_avg_sq"))
            if m.shape != p.shape or v.shape != p.shape:
                raise ValueError(f"moments of shape {tuple(m.shape)} for parameter {i} of shape {tuple(p.shape)}")
            new[i] = {"step": int(st["step"]), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
        for g, saved in zip(self.param_groups, sd.get("param_groups", [])):
            g.update({k: saved[k] for k in ("lr", "betas", "eps") if k in saved})
        self.state = new
