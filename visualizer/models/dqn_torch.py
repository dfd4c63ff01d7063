"""Deep Q-networks (Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015) with the
Double DQN target (van Hasselt, Guez and Silver, "Deep reinforcement learning with double Q-learning", AAAI 2016):
the Q-network, the ε-greedy schedule and the loss of one update on a replayed mini-batch.  Buduma et al.,
*Fundamentals of Deep Learning* 2e, ch. 13; Sutton and Barto, *Reinforcement Learning* 2e, ch. 6.5 (Q-learning).

One update, for a batch of transitions (s, a, r, s', done) drawn from the replay buffer:
    y = r + γ (1 − done) · Q_target(s', a*),   a* = argmax_a Q_target(s', a)  (DQN)
                                               a* = argmax_a Q_online(s', a)  (Double DQN)
    δ = Q_online(s, a) − y                      (the TD error; y carries no gradient)
    loss = mean Huber(δ)  or  mean ½ δ²
The target network is a copy of the online one, refreshed every ``target_sync`` steps (:func:`sync_target`).

Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class QNetConfig:
    """obs_dim: size of an observation (CartPole: 4); n_actions: number of discrete actions (CartPole: 2);
    hidden: widths of the hidden ReLU layers."""

    obs_dim: int = 4
    n_actions: int = 2
    hidden: tuple[int, ...] = (128, 128)


class QNetwork(nn.Module):
    """An MLP s (B, obs_dim) float32 -> Q(s, ·) (B, n_actions): ReLU hidden layers, a linear output."""

    def __init__(self, cfg: QNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        width = cfg.obs_dim
        for h in cfg.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, cfg.n_actions))
        self.net = nn.Sequential(*layers)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.net(s)                                  # (B, n_actions)


def seeded_qnet(cfg: QNetConfig, seed: int) -> QNetwork:
    """A QNetwork whose initial weights depend only on ``seed`` (PyTorch's default initialization)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return QNetwork(cfg)


def linear_epsilon(step: int, start: float, end: float, decay_steps: int) -> float:
    """ε of ε-greedy exploration after ``step`` environment steps: from ``start`` linearly to ``end`` over
    ``decay_steps`` steps, then ``end`` (Mnih et al. 2015: 1 -> 0.1 over the first million frames).
    Raises ValueError when end > start (a schedule that ends above its start explores more as it learns)."""
    if end > start:
        raise ValueError(f"the ε schedule ends at {end:g}, above its start {start:g}")
    if decay_steps <= 0 or step >= decay_steps:
        return float(end)
    return float(start + (end - start) * step / decay_steps)


def td_targets(rewards: torch.Tensor, dones: torch.Tensor, next_q_target: torch.Tensor,
               next_q_online: torch.Tensor | None, gamma: float) -> torch.Tensor:
    """The bootstrapped targets y (B,) = r + γ (1 − done) Q_target(s', a*).

    rewards, dones: (B,) float; next_q_target: (B, A) Q_target(s', ·); next_q_online: (B, A) Q_online(s', ·)
    for Double DQN (a* chosen by the online network, valued by the target one), None for DQN (a* = the target
    network's own argmax, i.e. max_a Q_target(s', a), which overestimates under noise)."""
    if next_q_online is None:
        best = next_q_target.max(dim=1).values                                        # (B,)
    else:
        a_star = next_q_online.argmax(dim=1, keepdim=True)                            # (B, 1)
        best = next_q_target.gather(1, a_star).squeeze(1)                             # (B,)
    return rewards + gamma * (1.0 - dones) * best


def dqn_losses(online: nn.Module, target: nn.Module, batch: dict[str, torch.Tensor], gamma: float,
               double: bool = True, huber: bool = True) -> dict[str, torch.Tensor]:
    """The loss of one DQN update on ``batch`` (states (B, D) float32, actions (B,) int64, rewards (B,),
    next_states (B, D), dones (B,) float32), as tensors on the batch's device:
    loss (back-propagated into ``online`` only), td_error (mean |δ|), q_mean (mean Q_online(s, a)) and
    q_max (largest |Q_online(s, ·)| in the batch, for divergence checks)."""
    q_all = online(batch["states"])                                                    # (B, A)
    q = q_all.gather(1, batch["actions"].unsqueeze(1)).squeeze(1)                      # (B,)
    with torch.no_grad():
        next_target = target(batch["next_states"])                                     # (B, A)
        next_online = online(batch["next_states"]) if double else None
        y = td_targets(batch["rewards"], batch["dones"], next_target, next_online, gamma)
    delta = q - y                                                                      # (B,) TD error
    loss = F.smooth_l1_loss(q, y) if huber else 0.5 * (delta ** 2).mean()
    d = delta.detach()
    return {"loss": loss, "td_error": d.abs().mean(), "q_mean": q.detach().mean(),
            "q_max": q_all.detach().abs().max()}


@torch.no_grad()
def sync_target(online: nn.Module, target: nn.Module) -> None:
    """Copy the online network's weights into the target network (θ⁻ ← θ)."""
    for p_t, p in zip(target.parameters(), online.parameters()):
        p_t.copy_(p)
