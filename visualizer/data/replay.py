"""A uniform experience replay buffer (Lin 1992; Mnih et al., "Human-level control through deep reinforcement
learning", Nature 2015): the last ``capacity`` transitions (s, a, r, s', done) in preallocated NumPy ring arrays,
sampled uniformly in mini-batches.  Qt-free and torch-free.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError


class ReplayBuffer:
    """Transitions in ring arrays; the oldest is overwritten once ``capacity`` are stored.

    states, next_states: (capacity, obs_dim) float32; actions: (capacity,) int64; rewards: (capacity,)
    float32; dones: (capacity,) float32, 1.0 where s' is terminal (no bootstrapping from it; a time-limit
    truncation is stored as 0.0); ``pointer``: the slot the next transition goes to; ``size``: how many
    slots hold a transition.  Raises ValueError for a capacity or obs_dim below 1."""

    FIELDS = ("states", "actions", "rewards", "next_states", "dones")

    def __init__(self, capacity: int, obs_dim: int) -> None:
        if capacity < 1 or obs_dim < 1:
            raise ValueError(f"capacity and obs_dim must be at least 1, got {capacity} and {obs_dim}")
        self.capacity, self.obs_dim = int(capacity), int(obs_dim)
        self.states = np.zeros((self.capacity, self.obs_dim), dtype=np.float32)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.next_states = np.zeros((self.capacity, self.obs_dim), dtype=np.float32)
        self.dones = np.zeros(self.capacity, dtype=np.float32)
        self.pointer = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, state: np.ndarray, action: int, reward: float, next_state: np.ndarray, done: bool) -> None:
        """Store one transition: state, next_state (obs_dim,), at ``pointer``; then advance it (mod capacity)."""
        i = self.pointer
        self.states[i] = state
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_states[i] = next_state
        self.dones[i] = float(done)
        self.pointer = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch`` transitions drawn uniformly with replacement: field name -> (batch, ...) copies
        (states (B, obs_dim) float32, actions (B,) int64, rewards (B,) float32, next_states, dones (B,)
        float32).  Raises ValueError when the buffer is empty."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch)
        return {name: getattr(self, name)[idx] for name in self.FIELDS}

    def stored(self) -> dict[str, np.ndarray]:
        """The stored transitions, oldest first (views for a full buffer are copies): field -> (size, ...)."""
        if self.size < self.capacity:
            return {name: getattr(self, name)[:self.size] for name in self.FIELDS}
        order = np.r_[self.pointer:self.capacity, 0:self.pointer]
        return {name: getattr(self, name)[order] for name in self.FIELDS}

    # ---- checkpoints -------------------------------------------------------------------------------------
    def state_dict(self, prefix: str = "replay.") -> dict[str, np.ndarray]:
        """Copies of the ring arrays and a (2,) int64 array ``[pointer, size]``."""
        out = {prefix + name: getattr(self, name).copy() for name in self.FIELDS}
        out[prefix + "pointer_size"] = np.array([self.pointer, self.size], dtype=np.int64)
        return out

    def check_state_dict(self, state: Mapping[str, np.ndarray], prefix: str = "replay.") -> dict[str, np.ndarray]:
        """Validate what :meth:`state_dict` wrote, assigning nothing: the converted arrays.  Raises
        LessonConfigError naming the array (another capacity, NaN, a pointer out of range)."""
        mine = {k: v for k, v in state.items() if k.startswith(prefix)}
        checked = check_state(self.state_dict(prefix), mine, nonnegative=frozenset({prefix + "pointer_size"}))
        pointer, size = (int(v) for v in checked[prefix + "pointer_size"])
        actions = checked[prefix + "actions"]
        if pointer >= self.capacity or size > self.capacity or (size < self.capacity and pointer != size):
            raise LessonConfigError(f"The checkpoint's array '{prefix}pointer_size' holds [{pointer}, {size}], "
                                    f"impossible for a buffer of {self.capacity} transitions: the file is damaged.")
        if actions.size and (actions.min() < 0):
            raise LessonConfigError(f"The checkpoint's array '{prefix}actions' holds negative actions: the file "
                                    "is damaged.")
        return checked

    def load_checked(self, checked: Mapping[str, np.ndarray], prefix: str = "replay.") -> None:
        """Assign arrays returned by :meth:`check_state_dict`."""
        for name in self.FIELDS:
            getattr(self, name)[...] = checked[prefix + name]
        self.pointer, self.size = (int(v) for v in checked[prefix + "pointer_size"])


class FrameReplayBuffer:
    """Transitions of frame stacks (Atari, Mnih et al. 2015), kept in bytes: each slot holds the stack s
    (frames, H, W) uint8 and only the newest frame of s' (H, W) uint8, since a frame stack moves on by one
    frame per step (s' = s[1:] + the new frame; gymnasium's ``FrameStackObservation`` pads an episode's start
    with its first frame, so this holds from the first step).  That is 5 frames per transition instead of 8:
    100,000 transitions of 4 x 84 x 84 take 3.5 GB (s and s' both stored: 5.6 GB).

    states: (capacity, frames, H, W) uint8; next_frames: (capacity, H, W) uint8; actions: (capacity,) int64;
    rewards: (capacity,) float32 (the lesson stores them clipped to their sign); dones: (capacity,) float32,
    1.0 where s' is terminal.  The arrays are allocated with ``np.zeros``, so the operating system commits a
    page only when a transition is written there.  Not saved in checkpoints (see the run that uses it).
    Raises ValueError for a capacity, frame count or frame shape below 1."""

    def __init__(self, capacity: int, frames: int = 4, height: int = 84, width: int = 84) -> None:
        if min(capacity, frames, height, width) < 1:
            raise ValueError(f"capacity, frames, height and width must be at least 1, got "
                             f"{capacity}, {frames}, {height}, {width}")
        self.capacity, self.frames = int(capacity), int(frames)
        self.frame_shape = (int(height), int(width))
        self.states = np.zeros((self.capacity, self.frames, *self.frame_shape), dtype=np.uint8)
        self.next_frames = np.zeros((self.capacity, *self.frame_shape), dtype=np.uint8)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.dones = np.zeros(self.capacity, dtype=np.float32)
        self.pointer = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    @property
    def nbytes(self) -> int:
        """Bytes of the ring arrays once every slot is written."""
        return sum(a.nbytes for a in (self.states, self.next_frames, self.actions, self.rewards, self.dones))

    def add(self, state: np.ndarray, action: int, reward: float, next_state: np.ndarray, done: bool) -> None:
        """Store one transition (state, next_state: (frames, H, W) uint8 stacks with next_state[:-1] equal to
        state[1:]) at ``pointer``, keeping only next_state's newest frame; then advance the pointer."""
        i = self.pointer
        self.states[i] = state
        self.next_frames[i] = next_state[-1]
        self.actions[i] = action
        self.rewards[i] = reward
        self.dones[i] = float(done)
        self.pointer = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch: int, rng: np.random.Generator,
               out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """``batch`` transitions drawn uniformly with replacement: states, next_states (B, frames, H, W) uint8,
        actions (B,) int64, rewards (B,) float32, dones (B,) float32.  ``out``: arrays of those shapes and dtypes
        to write into (e.g. pinned host memory for the copy to a GPU); returned filled.  Raises ValueError when
        the buffer is empty."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch)
        if out is None:
            out = {"states": np.empty((batch, self.frames, *self.frame_shape), np.uint8),
                   "next_states": np.empty((batch, self.frames, *self.frame_shape), np.uint8),
                   "actions": np.empty(batch, np.int64), "rewards": np.empty(batch, np.float32),
                   "dones": np.empty(batch, np.float32)}
        np.take(self.states, idx, axis=0, out=out["states"])
        out["next_states"][:, :-1] = out["states"][:, 1:]                  # s' = s[1:] + the new frame
        np.take(self.next_frames, idx, axis=0, out=out["next_states"][:, -1])
        for name in ("actions", "rewards", "dones"):
            np.take(getattr(self, name), idx, out=out[name])
        return out
