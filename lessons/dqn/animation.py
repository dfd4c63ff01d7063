"""Which frames of CartPole (and of Atari: :class:`ClipWatcher`) the environment view plays (Qt-free).

"watch": every frame of one episode in ``every``, handed out at ``fps`` frames per second of wall-clock time,
while training runs on at full speed (a 500-step episode plays for 10 s at CartPole's own 50 frames/s; the
episodes trained meanwhile are not shown, and the next one watched is the next multiple of ``every``).
"fast": the latest frames of the current episode at each snapshot.
"""
from __future__ import annotations

import numpy as np


class EpisodeWatcher:
    """Picks the frames of the episode being watched.  The run calls :meth:`episode_started` and
    :meth:`episode_ended` (with the finished episode's arrays); :meth:`take` returns the frames to show now.

    Frame t of an episode: state s_t (4,), the action taken there (-1 at the last frame), Q or π at s_t (2,)
    and the return collected before s_t."""

    def __init__(self, max_frames: int, every: int = 10, fps: float = 50.0, fast_frames: int = 3) -> None:
        self.every, self.fps, self.fast_frames = every, fps, fast_frames
        self.states = np.zeros((max_frames, 4), dtype=np.float32)
        self.actions = np.full(max_frames, -1, dtype=np.int64)
        self.q = np.zeros((max_frames, 2), dtype=np.float32)
        self.returns = np.zeros(max_frames, dtype=np.float64)
        self.watching: int | None = None         # the episode watched (None: waiting for the next due one)
        self.live = False                        # the watched episode is the run's current one
        self.n = 0                               # frames copied (an ended watched episode)
        self.shown = 0                           # frames handed out so far
        self.next_due = 0
        self._budget = 0.0
        self._last_t: float | None = None
        self.last: tuple | None = None           # the last frames handed out (held while waiting)

    def episode_started(self, episode: int) -> None:
        if self.watching is None and episode >= self.next_due:
            self.watching, self.live, self.n, self.shown = episode, True, 0, 0

    def episode_ended(self, episode: int, states, actions, q, rewards, length: int) -> None:
        """Copy the watched episode's frames 0..length once it ends (states (length+1, 4) etc.)."""
        if episode == self.watching and self.live:
            self._copy(states, actions, q, rewards, length)
            self.live = False

    def _copy(self, states, actions, q, rewards, length: int) -> None:
        n = length + 1
        self.states[:n] = states[:n]
        self.actions[:n] = actions[:n]
        self.actions[length] = -1
        self.q[:n] = q[:n]
        self.returns[0] = 0.0
        self.returns[1:n] = np.cumsum(rewards[:length])
        self.n = n

    def take(self, mode: str, now: float, current: int, states, actions, q, rewards, length: int) -> dict:
        """The frames to show: dict(episode, step, states (T, 4), actions (T,), q (T, 2), ret, caption).
        ``current``, ``states`` … ``length``: the run's current episode and its arrays (frames 0..length)."""
        if mode == "fast":
            self._last_t = None
            lo = max(0, length + 1 - self.fast_frames)
            acts = actions[lo:length + 1].copy()
            acts[-1] = -1
            self.last = (current, lo, states[lo:length + 1].copy(), acts, q[lo:length + 1].copy(),
                         float(rewards[:length].sum()), f"episode {current}, latest frames")
            return self._as_dict(self.last)
        if self.watching is None and current >= self.next_due:
            self.episode_started(current)          # a mode switch or a load: watch the current one from its start
        elapsed = 1.0 / self.fps if self._last_t is None else max(0.0, now - self._last_t)
        self._last_t = now
        self._budget = min(self._budget + elapsed * self.fps, self.fps)     # at most a second of frames at once
        k = int(self._budget)
        if self.watching is not None:
            if self.live:
                if self.watching != current:           # it ended without episode_ended (e.g. after a load)
                    self.watching = None
                    return self._held(current)
                self._copy(states, actions, q, rewards, length)
            hi = min(self.shown + k, self.n)
            if hi == self.shown and self.shown > 0:
                lo = hi - 1                            # caught up with a live episode: hold its last frame
            else:
                lo = self.shown
                self._budget -= hi - lo
            self.shown = max(self.shown, hi)
            hi = max(hi, lo + 1)
            acts = self.actions[lo:hi].copy()
            if not self.live and hi == self.n:
                acts[-1] = -1
            ahead = current - self.watching
            caption = (f"watching episode {self.watching} at real time" +
                       (f" (training is at episode {current})" if ahead > 0 else ""))
            self.last = (self.watching, lo, self.states[lo:hi].copy(), acts, self.q[lo:hi].copy(),
                         float(self.returns[hi - 1]), caption)
            if not self.live and self.shown >= self.n:
                self.watching = None
                self.next_due = (current // self.every + 1) * self.every
            return self._as_dict(self.last)
        return self._held(current)

    def _held(self, current: int) -> dict:
        if self.last is None:
            return {}
        ep, _, st, acts, q, ret, _ = self.last
        self.last = (ep, self.last[1] + len(st) - 1, st[-1:], acts[-1:], q[-1:], ret,
                     f"episode {ep} ended; next watched: episode {self.next_due} (training is at {current})")
        return self._as_dict(self.last)

    @staticmethod
    def _as_dict(t: tuple) -> dict:
        ep, lo, st, acts, q, ret, caption = t
        return {"episode": ep, "step": lo, "states": st, "actions": acts, "q": q, "ret": ret, "caption": caption}


class ClipWatcher:
    """Atari's "watch" mode: clips of ``clip`` consecutive frames recorded from training and handed out at
    ``fps`` (15 agent steps/s: real time for 60 Hz screens with 4 frames skipped per step).  While a clip plays,
    training runs on unrecorded; once it has been shown, the next step starts the next clip.  A clip also ends
    at its episode's end.  Memory: ``clip`` RGB screens (48 x 210 x 160 x 3 bytes = 4.8 MB).

    The run asks :attr:`recording` before copying a screen (so a step that is not recorded costs nothing) and
    calls :meth:`record`; :meth:`take` returns the frames to show now."""

    def __init__(self, clip: int, n_actions: int, shape: tuple[int, int, int] = (210, 160, 3),
                 fps: float = 15.0) -> None:
        self.clip, self.fps = clip, fps
        self.frames = np.zeros((clip, *shape), dtype=np.uint8)
        self.actions = np.full(clip, -1, dtype=np.int64)
        self.q = np.zeros((clip, n_actions), dtype=np.float32)
        self.returns = np.zeros(clip, dtype=np.float64)
        self.episode = self.step = 0
        self.n = 0                               # frames recorded in this clip
        self.shown = 0                           # frames of it handed out
        self.recording = True
        self._budget = 0.0
        self._last_t: float | None = None

    def record(self, episode: int, t: int, screen: np.ndarray, action: int, q: np.ndarray, ret: float) -> None:
        """Frame t of ``episode``: its screen (210, 160, 3) uint8, the action taken there, Q (A,) and the return
        before it.  A frame of another episode than the clip's first ends the clip."""
        if not self.recording:
            return
        if self.n and episode != self.episode:
            self.recording = False
            return
        if self.n == 0:
            self.episode, self.step = episode, t
        i = self.n
        self.frames[i], self.actions[i], self.q[i], self.returns[i] = screen, action, q, ret
        self.n = i + 1
        self.recording = self.n < self.clip

    def take(self, now: float) -> dict:
        """dict(episode, step, frames (T, 210, 160, 3), actions (T,), q (T, A), returns (T,)) of the frames due
        now (copies; the last one again when none is due), or {} before the first frame is recorded."""
        if self.n == 0:
            return {}
        elapsed = 1.0 / self.fps if self._last_t is None else max(0.0, now - self._last_t)
        self._last_t = now
        self._budget = min(self._budget + elapsed * self.fps, self.fps)
        hi = min(self.shown + int(self._budget), self.n)
        if hi == self.shown:
            lo = hi - 1                          # nothing new: hold the last frame shown
        else:
            lo = self.shown
            self._budget -= hi - lo
        self.shown = hi
        lo = max(lo, 0)
        hi = max(hi, lo + 1)
        out = {"episode": self.episode, "step": self.step + lo, "frames": self.frames[lo:hi].copy(),
               "actions": self.actions[lo:hi].copy(), "q": self.q[lo:hi].copy(),
               "returns": self.returns[lo:hi].copy()}
        if not self.recording and self.shown >= self.n:
            self.n = self.shown = 0              # shown: the next step starts the next clip
            self.recording = True
        return out
