"""A labelled set of video clips, the one container the ``video`` lesson trains on, whatever their source
(generated motion clips, or a Kinetics-style folder of video files).

ECO (Zolfaghari et al. 2018; Ogawa, *PyTorch advanced deep learning* ch. 9) samples one frame from each of N
equal segments of a clip; :func:`segment_indices` gives those frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClipSet:
    """Clips with one class each.

    clips: (N, T, H, W, 3) uint8 RGB frames, row 0 at the top; labels: (N,) int64 class indices in
    [0, len(class_names)); class_names: one display name per class; fps: the frame rate the clips were
    recorded or generated at (frames per second), for playback.
    Raises ValueError when a shape, dtype or label does not fit."""

    clips: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    fps: float = 12.0

    def __post_init__(self) -> None:
        c, y = self.clips, self.labels
        if not isinstance(c, np.ndarray) or c.dtype != np.uint8 or c.ndim != 5 or c.shape[4] != 3:
            raise ValueError(f"clips must be a (N, T, H, W, 3) uint8 array, got "
                             f"{getattr(c, 'shape', type(c))} {getattr(c, 'dtype', '')}")
        if not isinstance(y, np.ndarray) or y.shape != (c.shape[0],) or y.dtype.kind not in "iu":
            raise ValueError(f"labels must be ({c.shape[0]},) integers, got {getattr(y, 'shape', type(y))}")
        if len(self.class_names) == 0 or (y.size and (y.min() < 0 or y.max() >= len(self.class_names))):
            raise ValueError(f"labels must lie in [0, {len(self.class_names)}) (one per class name)")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    def __len__(self) -> int:
        return int(self.clips.shape[0])

    @property
    def frames(self) -> int:
        """T, the frames per clip."""
        return int(self.clips.shape[1])

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) of a frame in pixels."""
        return int(self.clips.shape[2]), int(self.clips.shape[3])

    def subset(self, index: np.ndarray) -> "ClipSet":
        """The clips at ``index`` ((K,) ints or a (N,) bool mask), same classes and fps."""
        return ClipSet(self.clips[index], self.labels[index].astype(np.int64), self.class_names, self.fps)


def segment_indices(frames: int, segments: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """One frame index per segment: the T frames split into ``segments`` equal parts (TSN/ECO sampling).

    With ``rng`` a random frame of each segment (training); without, the middle frame (evaluation).
    Returns (segments,) int64, non-decreasing, in [0, frames).
    Raises ValueError if the clip has fewer frames than segments (say how many it has)."""
    if segments < 1:
        raise ValueError(f"segments must be >= 1, got {segments}")
    if frames < segments:
        raise ValueError(f"a clip of {frames} frames cannot give {segments} segments: use at most {frames} "
                         f"segments or longer clips")
    edges = np.linspace(0, frames, segments + 1)
    lo, hi = np.floor(edges[:-1]).astype(np.int64), np.floor(edges[1:]).astype(np.int64)
    hi = np.maximum(hi, lo + 1)
    if rng is None:
        return ((lo + hi - 1) // 2).astype(np.int64)
    return (lo + np.floor(rng.random(segments) * (hi - lo)).astype(np.int64)).astype(np.int64)
