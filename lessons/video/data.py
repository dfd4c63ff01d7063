"""The ``video`` lesson's clips: generated motion clips (default), a Kinetics-style folder or a Kinetics subset,
the latter two falling back to the motion clips with a notice; and batches of segment frames on the device."""
from __future__ import annotations

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.clips import ClipSet, segment_indices
from visualizer.data.fallback import load_with_fallback
from visualizer.data.motion_clips import make_motion_clips

MOTION_SIZE = 32              # px of the generated clips
FOLDER_SIZE = 64              # px that decoded videos are resized to


def motion_split(n_train: int, frames: int, seed: int) -> tuple[ClipSet, ClipSet]:
    """n_train generated clips and n_train // 5 validation clips (another seed), (N, T, 32, 32, 3) uint8."""
    return (make_motion_clips(n_train, frames=frames, size=MOTION_SIZE, seed=seed),
            make_motion_clips(max(n_train // 5, 12), frames=frames, size=MOTION_SIZE, seed=seed + 10_007))


def _report(context, train: ClipSet, val: ClipSet, skipped: list[str]) -> tuple[ClipSet, ClipSet]:
    """(train, val), after a notice naming the video files that were skipped (undecodable or too short)."""
    if skipped:
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        context.notice(f"Skipped {len(skipped)} video file(s): " + "; ".join(skipped[:3]) + more)
    return train, val


def load(hp, context) -> tuple[ClipSet, ClipSet]:
    """Training and validation clips for the lesson's settings (dataset, folder, frames, clips, seed)."""
    seed, frames = hp["seed"], hp["frames"]
    motion = lambda: motion_split(hp["clips"], frames, seed)                         # noqa: E731
    if hp["dataset"] == "folder":
        if not hp["folder"]:
            raise LessonConfigError("Data set 'folder' needs a folder: type its path into 'Video folder' (one "
                                    "sub-folder of video files per class).")

        def primary():
            from visualizer.data.video_folder import load_clip_splits               # lazy: PyAV
            return _report(context, *load_clip_splits(hp["folder"], frames, (FOLDER_SIZE, FOLDER_SIZE), seed=seed,
                                                      val_fraction=0.2, progress=context.progress))
        return load_with_fallback(context, primary, motion, what=f"the videos in {hp['folder']}",
                                  instead="the generated motion clips", param="dataset")
    if hp["dataset"] == "kinetics":
        def primary():
            from visualizer.data.kinetics import load_kinetics_subset              # lazy: download + PyAV
            return _report(context, *load_kinetics_subset(frames, (FOLDER_SIZE, FOLDER_SIZE),
                                                          progress=context.progress))
        return load_with_fallback(context, primary, motion, what="the Kinetics subset",
                                  instead="the generated motion clips", param="dataset")
    return motion()


def check_segments(frames: int, segments: int) -> None:
    """LessonConfigError (with segment_indices' message) if clips of ``frames`` cannot give ``segments``."""
    try:
        segment_indices(frames, segments)
    except ValueError as e:
        raise LessonConfigError(f"Segments: {e}.") from None


class SegmentBatches:
    """Random clips and one random frame per segment (TSN/ECO training sampling), gathered on the device.

    clips: (N, T, H, W, 3) uint8 host array, copied once to ``device``; labels: (N,) int64."""

    def __init__(self, clips: np.ndarray, labels: np.ndarray, segments: int, rng: np.random.Generator,
                 device) -> None:
        import torch
        self.clips = torch.from_numpy(np.ascontiguousarray(clips)).to(device)        # (N, T, H, W, 3) uint8
        self.labels = torch.from_numpy(labels.astype(np.int64)).to(device)
        self.segments, self.rng = segments, rng
        edges = np.linspace(0, clips.shape[1], segments + 1)
        self.lo = np.floor(edges[:-1]).astype(np.int64)
        self.width = np.maximum(np.floor(edges[1:]).astype(np.int64), self.lo + 1) - self.lo

    def next(self, batch: int):
        """(frames (B, N, H, W, 3) uint8, labels (B,)) on the device."""
        import torch
        idx = self.rng.integers(0, len(self.labels), batch)                          # (B,)
        seg = self.lo + np.floor(self.rng.random((batch, self.segments)) * self.width).astype(np.int64)   # (B, N)
        i = torch.from_numpy(idx).to(self.clips.device)
        s = torch.from_numpy(seg).to(self.clips.device)
        return self.clips[i[:, None], s], self.labels[i]
