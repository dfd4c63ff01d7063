"""The Nature DQN network for Atari (Mnih et al., "Human-level control through deep reinforcement learning",
Nature 518, 2015, Methods: "Model architecture"; the same layers as CleanRL's ``dqn_atari.py``).

Input: a stack of the last 4 preprocessed frames, grey, 84 x 84 (gymnasium's ``AtariPreprocessing`` and
``FrameStackObservation``), as uint8 (N, 4, 84, 84); the network scales it by 1/255 itself, so the replay buffer
and every copy to the device stay in bytes.  Layers:
    conv 32 filters 8x8 stride 4 + ReLU   (N, 32, 20, 20)
    conv 64 filters 4x4 stride 2 + ReLU   (N, 64, 9, 9)
    conv 64 filters 3x3 stride 1 + ReLU   (N, 64, 7, 7)
    flatten, fully connected 512 + ReLU   (N, 512)
    fully connected, one Q-value per action (N, n_actions) float32
The loss, the target network and the ε schedule are those of ``visualizer.models.dqn_torch`` (any network
mapping states to Q-values fits them).

Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class NatureQNetConfig:
    """n_actions: the game's discrete actions (Pong 6, Breakout 4); frames: frames per stack (4); size: the
    side of a preprocessed frame in pixels (84)."""

    n_actions: int = 6
    frames: int = 4
    size: int = 84


class NatureQNetwork(nn.Module):
    """Q(s, ·) of a frame stack.  forward: s (N, frames, size, size) uint8 (or float in 0..255) -> (N, n_actions)
    float32.  Raises ValueError for a config whose frames do not survive the three convolutions (size < 36)."""

    def __init__(self, cfg: NatureQNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        side = ((cfg.size - 8) // 4 + 1 - 4) // 2 + 1 - 2          # 84 -> 20 -> 9 -> 7
        if side < 1:
            raise ValueError(f"frames of {cfg.size} px are too small for the Nature DQN's convolutions (>= 36)")
        self.features = nn.Sequential(
            nn.Conv2d(cfg.frames, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten())
        self.head = nn.Sequential(nn.Linear(64 * side * side, 512), nn.ReLU(), nn.Linear(512, cfg.n_actions))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = s.float() * (1.0 / 255.0)                                # (N, 4, 84, 84) in 0..1
        return self.head(self.features(x))                         # (N, n_actions)


def seeded_nature_qnet(cfg: NatureQNetConfig, seed: int) -> NatureQNetwork:
    """A NatureQNetwork whose initial weights depend only on ``seed`` (PyTorch's default initialization)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return NatureQNetwork(cfg)
