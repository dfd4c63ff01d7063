"""Video files in folders, one folder per class (Kinetics' layout), decoded with PyAV into a :class:`ClipSet`.

Kinetics (Kay et al. 2017, arXiv:1705.06950) ships ~10-second clips of human actions; Ogawa's *PyTorch advanced
deep learning* ch. 9 trains ECO on it from folders ``<class>/<clip>.mp4``.  Here:

- :func:`read_video` decodes a whole file (full resolution) and gives its frame rate;
- :func:`read_clip` gives ``frames`` frames spread evenly over the video (the middle frame of each of ``frames``
  equal parts, as :func:`visualizer.data.clips.segment_indices` picks them), each resized to ``size`` with
  FFmpeg's scaler (the centred crop of the frame's aspect ratio, area-averaged);
- :func:`load_clip_folder` reads ``root/<class>/<video>`` and :func:`load_clip_splits` reads
  ``root/train/<class>/`` + ``root/val/<class>/`` (or splits ``root/<class>/`` per class by a seed).

Errors: a file that cannot be decoded raises :class:`VideoDecodeError` (a DataFormatError, so
:func:`visualizer.data.fallback.load_with_fallback` treats it as damaged data) naming the file and FFmpeg's reason;
a clip with fewer frames than asked raises :class:`ClipTooShortError` (a LessonConfigError: the setting must
change).  In a folder, such files are skipped and named in the returned ``skipped`` list; a folder without class
folders, without videos or with no decodable video raises :class:`VideoFolderError` (a LessonConfigError) that says
what layout is expected.  PyAV (``av``) is imported inside the functions, so importing this module is cheap.
Qt-free, torch-free.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.clips import ClipSet, segment_indices
from visualizer.data.download import ProgressCallback
from visualizer.data.idx import DataFormatError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".mkv", ".mov", ".m4v")
_LAYOUT = ("Expected one folder per class holding its video files ({root}/<class name>/<clip>.mp4; also .avi, "
           ".webm, .mkv, .mov), or {root}/train/<class name>/ and {root}/val/<class name>/.")


class VideoDecodeError(DataFormatError):
    """A video file that PyAV/FFmpeg cannot open or decode (missing, not a video, no video stream, damaged).

    The message names the file and gives the decoder's reason; ``path`` and ``reason`` hold them apart."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"Cannot decode the video {path}: {reason}.")
        self.path = Path(path)
        self.reason = reason


class ClipTooShortError(LessonConfigError):
    """A video with fewer frames than the clip length (or segment count) asked for.

    ``path``, ``available`` (frames the file has) and ``requested`` say which and by how much."""

    def __init__(self, path: Path | str, available: int, requested: int, *, message: str | None = None) -> None:
        super().__init__(message or f"The video {path} has only {available} frame{'s' if available != 1 else ''}, "
                         f"but {requested} frames per clip were asked for: use at most {available} frames "
                         "(segments) per clip, or longer videos.")
        self.path = Path(path)
        self.available = available
        self.requested = requested


class VideoFolderError(LessonConfigError):
    """A folder that cannot serve as a labelled video set (not a folder, no class folders, no video files, no
    decodable video, fewer than two classes).  The message says what was found and what layout is expected."""


# ------------------------------------------------------------------------------------------------ #
# One file
# ------------------------------------------------------------------------------------------------ #
def _reason(exc: BaseException) -> str:
    """FFmpeg's reason without the errno prefix and the repeated file name."""
    strerror = getattr(exc, "strerror", None)
    if strerror:
        return str(strerror)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _scaled_size(h: int, w: int, size: tuple[int, int]) -> tuple[int, int]:
    """(h', w') that covers ``size`` = (H, W) with the frame's aspect ratio kept (crop afterwards)."""
    th, tw = size
    scale = max(th / h, tw / w)
    return max(th, int(round(h * scale))), max(tw, int(round(w * scale)))


def _centre_crop(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    th, tw = size
    top, left = (a.shape[0] - th) // 2, (a.shape[1] - tw) // 2
    return a[top:top + th, left:left + tw]


def _decode(path: Path, size: tuple[int, int] | None, max_frames: int | None = None,
            select: Callable[[int], np.ndarray | None] | None = None) -> tuple[list[np.ndarray], float, int, int]:
    """Decode the first video stream of ``path``: (kept frames, fps, frames decoded, frame count in the header).

    Kept frames are (H, W, 3) uint8 RGB, resized to ``size`` if given (see :func:`read_clip`): all of them (at most
    ``max_frames``), or, when ``select(header count)`` returns sorted indices, only those (converting a frame costs
    as much as decoding it).  The header count is the stream's frame count, else duration × fps (webm, mkv), else 0;
    it may be wrong, the caller compares it with the frames decoded.
    Raises VideoDecodeError."""
    import av

    frames: list[np.ndarray] = []
    decoded = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeError(path, "the file holds no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 0.0
            header = max(int(stream.frames or 0), 0)
            if not header and fps > 0:                 # webm, mkv: estimate from the duration (checked below)
                if stream.duration and stream.time_base:
                    header = int(round(float(stream.duration * stream.time_base) * fps))
                elif container.duration:
                    header = int(round(container.duration / 1_000_000 * fps))
            wanted = select(header) if select is not None else None
            keep = None if wanted is None else set(int(i) for i in wanted)
            scaled: tuple[int, int] | None = None
            for frame in container.decode(stream):
                decoded += 1
                if keep is not None and decoded - 1 not in keep:
                    continue
                if size is None:
                    frames.append(frame.to_ndarray(format="rgb24"))
                else:
                    if scaled is None:
                        scaled = _scaled_size(frame.height, frame.width, size)
                    small = frame.reformat(width=scaled[1], height=scaled[0], format="rgb24", interpolation="AREA")
                    frames.append(np.ascontiguousarray(_centre_crop(small.to_ndarray(), size)))
                if max_frames is not None and len(frames) >= max_frames:
                    break
    except VideoDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, EOFError) as e:
        where = f" (after {decoded} frames)" if decoded else ""
        raise VideoDecodeError(path, _reason(e) + where) from e
    if not decoded:
        raise VideoDecodeError(path, "the video stream holds no decodable frame")
    if not fps > 0:
        fps = 25.0                                   # no rate in the container: FFmpeg's own default
    return frames, fps, decoded, header


def read_video(path: Path | str, *, max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """Decode the first video stream of ``path`` into ((T, H, W, 3) uint8 RGB frames, fps).

    T: every frame (at most ``max_frames``); H, W: the stored frame size in pixels; fps: the stream's average
    frame rate in frames per second (25 if the container records none).  Any container and codec FFmpeg
    decodes (mp4/H.264, avi/MPEG-4, webm/VP8-VP9, mkv, ...).  Raises VideoDecodeError (file missing, not a
    video, no video stream, no frame, damaged) and ValueError for max_frames < 1."""
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    frames, fps, _, _ = _decode(Path(path), None, max_frames)
    return np.stack(frames), fps


def _check_size(size: Sequence[int]) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (height, width), got {size!r}") from None
    if h < 1 or w < 1:
        raise ValueError(f"size must be positive (height, width), got {size!r}")
    return h, w


def _read_clip(path: Path, frames: int, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """(clip (frames, H, W, 3) uint8, fps of the sampled frames) — see read_clip."""
    def from_header(count: int) -> np.ndarray | None:
        return segment_indices(count, frames) if count >= frames else None

    kept, fps, total, header = _decode(path, size, select=from_header)
    if from_header(header) is not None and total != header:      # the header miscounted: select again
        kept, fps, total, _ = _decode(path, size, select=lambda _: from_header(total))
    if total < frames:
        raise ClipTooShortError(path, total, frames)
    if len(kept) != frames:                                       # no count or duration: every frame kept
        kept = [kept[i] for i in segment_indices(total, frames)]
    return np.stack(kept), fps * frames / total


def read_clip(path: Path | str, frames: int, size: tuple[int, int]) -> np.ndarray:
    """``frames`` frames spread evenly over the whole video, resized: (frames, H, W, 3) uint8 RGB.

    Frame i is the middle frame of the i-th of ``frames`` equal parts of the video
    (:func:`visualizer.data.clips.segment_indices` without a generator, TSN/ECO's evaluation sampling).
    size: (H, W) in pixels; each frame is scaled with FFmpeg's area-averaging scaler so that it covers
    ``size`` with its aspect ratio kept, then the centre is cropped (torchvision's Resize + CenterCrop).  Only
    the sampled frames are converted, chosen from the container's frame count (or duration × fps); if that count
    proves wrong the file is decoded once more, and without either every frame is kept at ``size`` until the end.
    Raises VideoDecodeError for a file that cannot be decoded, ClipTooShortError when the video has fewer than
    ``frames`` frames (the message says how many it has), ValueError for frames < 1 or a bad size."""
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    return _read_clip(Path(path), frames, _check_size(size))[0]


# ------------------------------------------------------------------------------------------------ #
# A folder of classes
# ------------------------------------------------------------------------------------------------ #
def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _video_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in VIDEO_EXTENSIONS)


def _pick(files: list[Path], limit: int | None, rng: np.random.Generator) -> list[Path]:
    if limit is None or len(files) <= limit:
        return files
    return sorted(files[i] for i in rng.permutation(len(files))[:limit])


class _Reader:
    """Reads the chosen files of every class, counting progress over all of them and collecting what failed."""

    def __init__(self, frames: int, size: tuple[int, int], base: Path, total: int,
                 progress: ProgressCallback | None) -> None:
        self.frames, self.size, self.base, self.total, self.progress = frames, size, base, max(total, 1), progress
        self.done = 0
        self.skipped: list[str] = []
        self.too_short: list[ClipTooShortError] = []
        self.failed = 0
        self.fps: list[float] = []

    def read(self, files: Sequence[Path]) -> list[np.ndarray]:
        clips = []
        for f in files:
            name = f.relative_to(self.base).as_posix()
            try:
                clip, fps = _read_clip(f, self.frames, self.size)
                clips.append(clip)
                self.fps.append(fps)
            except ClipTooShortError as e:
                self.too_short.append(e)
                self.skipped.append(f"{name}: only {e.available} frames, {e.requested} asked for")
            except VideoDecodeError as e:
                self.failed += 1
                self.skipped.append(f"{name}: {e.reason}")
            except MemoryError:
                self.failed += 1
                self.skipped.append(f"{name}: too large to decode in memory")
            self.done += 1
            if self.progress is not None:
                self.progress(f"Decoding videos: {self.done}/{self.total}", self.done / self.total)
        return clips

    def nothing_read(self, where: Path, n_files: int) -> VideoFolderError | ClipTooShortError:
        """The error for a folder none of whose ``n_files`` videos gave a clip."""
        if self.too_short and not self.failed:
            longest = max(self.too_short, key=lambda e: e.available)
            return ClipTooShortError(longest.path, longest.available, self.frames, message=(
                f"Every video in {where} is shorter than the {self.frames} frames per clip asked for (the longest, "
                f"{longest.path.name}, has {longest.available}): use at most {longest.available} frames "
                "(segments) per clip, or longer videos."))
        first = "; ".join(self.skipped[:3]) + ("; ..." if len(self.skipped) > 3 else "")
        return VideoFolderError(f"None of the {n_files} video files in {where} could be read ({first}).")


def _check_args(frames: int, size: Sequence[int], max_per_class: int | None) -> tuple[int, int]:
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be >= 1, got {max_per_class}")
    return _check_size(size)


def _check_root(root: Path) -> None:
    if not root.is_dir():
        state = "it is a file" if root.exists() else "it does not exist"
        raise VideoFolderError(f"{root} is not a folder ({state}). " + _LAYOUT.format(root=root))


def _class_dirs(top: Path, root: Path) -> list[Path]:
    dirs = _visible_dirs(top)
    if not dirs:
        loose = [p.name for p in top.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS][:3]
        found = f" (found loose videos such as {', '.join(loose)}: move them into class folders)" if loose else ""
        raise VideoFolderError(f"{top} holds no class folders{found}. " + _LAYOUT.format(root=root))
    return dirs


def _clip_set(clips: list[np.ndarray], labels: list[int], names: tuple[str, ...], frames: int,
              size: tuple[int, int], fps: float) -> ClipSet:
    x = np.stack(clips) if clips else np.zeros((0, frames, *size, 3), np.uint8)
    return ClipSet(x, np.asarray(labels, dtype=np.int64), names, fps)


def _fps(reader: _Reader) -> float:
    return float(np.median(reader.fps)) if reader.fps else 1.0


def _read_classes(top: Path, root: Path, class_dirs: list[Path], reader: _Reader, chosen: dict[str, list[Path]],
                  ) -> dict[str, list[np.ndarray]]:
    """Decode the chosen files of each class; classes that give no clip are dropped and reported."""
    by_class: dict[str, list[np.ndarray]] = {}
    for d in class_dirs:
        files = chosen[d.name]
        if not files:
            reader.skipped.append(f"{d.relative_to(root).as_posix()}/: no video files")
            continue
        clips = reader.read(files)
        if clips:
            by_class[d.name] = clips
        else:
            reader.skipped.append(f"{d.relative_to(root).as_posix()}/: no readable videos")
    n_files = sum(len(v) for v in chosen.values())
    if n_files == 0:
        raise VideoFolderError(f"The class folders in {top} hold no video files "
                               f"({', '.join(VIDEO_EXTENSIONS)}). " + _LAYOUT.format(root=root))
    if not by_class:
        raise reader.nothing_read(top, n_files)
    if len(by_class) < 2:
        only = next(iter(by_class))
        raise VideoFolderError(f"Only one class ({only!r}) has readable videos in {top}; a classifier needs at "
                               "least two class folders with videos." + (
                                   f" Skipped: {'; '.join(reader.skipped[:3])}." if reader.skipped else ""))
    return by_class


def load_clip_folder(root: Path | str, frames: int, size: tuple[int, int], *, max_per_class: int | None = None,
                     seed: int = 0, progress: ProgressCallback | None = None) -> tuple[ClipSet, list[str]]:
    """Read ``root/<class>/<video>`` (Kinetics' layout) into (clips, skipped).

    Class names are the folder names, sorted (label order); videos in sub-folders of a class folder belong to it;
    files with other extensions than :data:`VIDEO_EXTENSIONS` are ignored.  Each video becomes ``frames`` frames
    spread evenly over it, resized to size = (H, W) (:func:`read_clip`).  max_per_class: at most that many files
    per class, drawn with ``seed``.  progress: ``callback(message, fraction)`` after each file.
    clips: a :class:`ClipSet` with clips (N, frames, H, W, 3) uint8, labels (N,) int64, ordered by class then file
    name, fps the median frame rate of the sampled frames (source fps × frames / source frames, for playback).
    skipped: ``"<relative path>: <reason>"`` for every video that could not be decoded or is too short, and
    ``"<class>/: no readable videos"`` for a class that gave no clip (the class is dropped).

    Raises VideoFolderError when root is not a folder, holds no class folders (or train/ and val/, which
    :func:`load_clip_splits` reads), no video files, no decodable video, or fewer than two classes with videos;
    ClipTooShortError when every video is shorter than ``frames``; ValueError for frames < 1, a bad size or
    max_per_class < 1."""
    size = _check_args(frames, size, max_per_class)
    root = Path(root).expanduser()
    _check_root(root)
    if (root / "train").is_dir() and (root / "val").is_dir():
        raise VideoFolderError(f"{root} holds train/ and val/ folders: read it with load_clip_splits, or point to "
                               "one of them. " + _LAYOUT.format(root=root))
    class_dirs = _class_dirs(root, root)
    rng = np.random.default_rng(seed)
    chosen = {d.name: _pick(_video_files(d), max_per_class, rng) for d in class_dirs}
    reader = _Reader(frames, size, root, sum(len(v) for v in chosen.values()), progress)
    by_class = _read_classes(root, root, class_dirs, reader, chosen)
    names = tuple(by_class)
    clips = [c for name in names for c in by_class[name]]
    labels = [lab for lab, name in enumerate(names) for _ in by_class[name]]
    return _clip_set(clips, labels, names, frames, size, _fps(reader)), reader.skipped


def load_clip_splits(root: Path | str, frames: int, size: tuple[int, int], *, val_fraction: float = 0.25,
                     max_per_class: int | None = None, seed: int = 0, progress: ProgressCallback | None = None,
                     ) -> tuple[ClipSet, ClipSet, list[str]]:
    """Read a video folder into (train, val, skipped).

    ``root/train/<class>/`` and ``root/val/<class>/`` (the layout of Kinetics-mini and of most action-recognition
    sets) give the two sets as they are, with the classes of train (val must not hold others; a class val lacks
    simply has no validation clips).  Otherwise ``root/<class>/`` is read as :func:`load_clip_folder` does and
    split per class with ``seed``: ``val_fraction`` of each class's clips (rounded, at least one left for
    training) go to val.  max_per_class: at most that many files per class and set, drawn with ``seed``.
    train/val: :class:`ClipSet` (clips (N, frames, H, W, 3) uint8, labels (N,) int64, the same class names and
    fps); skipped as in :func:`load_clip_folder`.

    Raises VideoFolderError (layout, no videos, fewer than two classes, a val class train lacks),
    ClipTooShortError (every video too short), ValueError (frames < 1, bad size, val_fraction outside [0, 1),
    max_per_class < 1)."""
    size = _check_args(frames, size, max_per_class)
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    root = Path(root).expanduser()
    _check_root(root)
    if not ((root / "train").is_dir() and (root / "val").is_dir()):
        everything, skipped = load_clip_folder(root, frames, size, max_per_class=max_per_class, seed=seed,
                                               progress=progress)
        rng = np.random.default_rng(seed)
        is_val = np.zeros(len(everything), bool)
        for label in range(len(everything.class_names)):
            members = np.flatnonzero(everything.labels == label)
            n_val = min(int(round(len(members) * val_fraction)), len(members) - 1)
            is_val[rng.permutation(members)[:n_val]] = True
        return everything.subset(~is_val), everything.subset(is_val), skipped
    train_top, val_top = root / "train", root / "val"
    class_dirs = _class_dirs(train_top, root)
    rng = np.random.default_rng(seed)
    chosen = {d.name: _pick(_video_files(d), max_per_class, rng) for d in class_dirs}
    known = {d.name for d in class_dirs}
    unknown = [d.name for d in _visible_dirs(val_top) if d.name not in known and _video_files(d)]
    if unknown:
        raise VideoFolderError(f"{val_top} holds classes that {train_top} lacks: {', '.join(unknown)}.")
    val_chosen = {name: _pick(_video_files(val_top / name), max_per_class, rng) if (val_top / name).is_dir()
                  else [] for name in chosen}
    total = sum(len(v) for v in chosen.values()) + sum(len(v) for v in val_chosen.values())
    reader = _Reader(frames, size, root, total, progress)
    by_class = _read_classes(train_top, root, class_dirs, reader, chosen)
    names = tuple(by_class)
    val_clips: list[np.ndarray] = []
    val_labels: list[int] = []
    for label, name in enumerate(names):
        got = reader.read(val_chosen[name])
        val_clips += got
        val_labels += [label] * len(got)
    fps = _fps(reader)
    train = _clip_set([c for n in names for c in by_class[n]], [lab for lab, n in enumerate(names)
                                                                for _ in by_class[n]], names, frames, size, fps)
    return train, _clip_set(val_clips, val_labels, names, frames, size, fps), reader.skipped
