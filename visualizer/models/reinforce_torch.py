"""REINFORCE (Williams, "Simple statistical gradient-following algorithms for connectionist reinforcement
learning", Machine Learning 1992), with and without a learned state-value baseline (Sutton and Barto,
*Reinforcement Learning* 2e, ch. 13.3-13.4; Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 13).

After each episode s₀, a₀, r₁, …, s_{T−1}, a_{T−1}, r_T, with returns-to-go G_t = Σ_{k≥t} γ^{k−t} r_{k+1}:
    policy loss = −mean_t (G_t − b(s_t)) · log π(a_t | s_t)      b = 0 without a baseline, b = V(s_t) with one
    value loss  = mean_t ½ (V(s_t) − G_t)²                        (only with a baseline)
The baseline leaves the gradient's expectation unchanged and lowers its variance.  Like most implementations
(and unlike Sutton and Barto's pseudocode) the γ^t factor in front of each term is left out.  The value network
predicts G in units of the return bound 1/(1 − γ), so its output stays near [0, 1].

Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class PolicyConfig:
    """obs_dim: observation size; n_actions: discrete actions; hidden: widths of the ReLU hidden layers
    (shared by the policy and the value network, which are separate networks)."""

    obs_dim: int = 4
    n_actions: int = 2
    hidden: tuple[int, ...] = (128, 128)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class PolicyNetwork(nn.Module):
    """π(a|s): s (B, obs_dim) float32 -> logits (B, n_actions) of a categorical distribution."""

    def __init__(self, cfg: PolicyConfig) -> None:
        super().__init__()
        self.net = _mlp([cfg.obs_dim, *cfg.hidden, cfg.n_actions])

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.net(s)                                  # (B, n_actions) logits


class ValueNetwork(nn.Module):
    """The baseline V(s): s (B, obs_dim) -> (B,) in units of the return bound 1/(1 − γ)."""

    def __init__(self, cfg: PolicyConfig) -> None:
        super().__init__()
        self.net = _mlp([cfg.obs_dim, *cfg.hidden, 1])

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.net(s).squeeze(-1)                      # (B,)


def seeded(module_cls, cfg: PolicyConfig, seed: int) -> nn.Module:
    """``module_cls(cfg)`` with initial weights that depend only on ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return module_cls(cfg)


def returns_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = r_{t+1} + γ G_{t+1} for every step of one episode: rewards (T,) -> returns (T,) float32
    (the episode's end bootstraps with 0, also for a time-limit cut: REINFORCE has no critic to bootstrap from)."""
    out = np.zeros(len(rewards), dtype=np.float64)
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = float(rewards[t]) + gamma * g
        out[t] = g
    return out.astype(np.float32)


def reinforce_losses(policy: nn.Module, value: nn.Module | None, states: torch.Tensor, actions: torch.Tensor,
                     returns: torch.Tensor, gamma: float) -> dict[str, torch.Tensor]:
    """One episode's losses.  states (T, D) float32, actions (T,) int64, returns (T,) float32 G_t.

    Returns tensors: policy_loss (back-propagated into the policy), value_loss (into the value network; 0 without
    a baseline), advantage (mean |G_t − b(s_t)|), entropy (mean policy entropy, nats) and baseline (mean
    b(s_t)).  The baseline is detached in the policy loss."""
    logits = policy(states)                                                       # (T, A)
    logp_all = torch.log_softmax(logits, dim=1)                                   # (T, A)
    logp = logp_all.gather(1, actions.unsqueeze(1)).squeeze(1)                    # (T,)
    scale = 1.0 / (1.0 - gamma) if gamma < 1 else 1.0
    if value is not None:
        v = value(states) * scale                                                 # (T,) in return units
        value_loss = 0.5 * ((v / scale - returns / scale) ** 2).mean()
        baseline = v.detach()
    else:
        value_loss = torch.zeros((), device=states.device)
        baseline = torch.zeros_like(returns)
    adv = returns - baseline                                                      # (T,)
    policy_loss = -(adv * logp).mean()
    entropy = -(logp_all.exp() * logp_all).sum(dim=1).mean()
    return {"policy_loss": policy_loss, "value_loss": value_loss, "advantage": adv.abs().mean(),
            "entropy": entropy.detach(), "baseline": baseline.mean()}
