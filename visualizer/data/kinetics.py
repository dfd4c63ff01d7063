"""A small Kinetics subset, downloaded once (SHA-256 checked, cached) and read with :mod:`video_folder`.

Kinetics-400 (Kay et al. 2017, arXiv:1705.06950) holds ~10-second YouTube clips of 400 human actions; Ogawa's
*PyTorch advanced deep learning* ch. 9 classifies it with ECO.  The whole set is hundreds of gigabytes, so the
lesson's real-data path uses Kinetics-mini (the Hugging Face dataset repo ``nateraw/kinetics-mini``): clips of
five classes (archery, bowling, flying kite, high jump, marching) in ``train/<class>/`` and ``val/<class>/``,
240-480 px, 15-30 fps, H.264 in mp4.  :data:`SOURCE` pins one revision of that repo and lists the files taken
from it, two per class and split (20 clips, a few MB), each with the SHA-256 that Git LFS records for it.

Each file is fetched with :func:`visualizer.data.download.fetch` (mirrors tried in order, the hash checked before
the file enters the cache, a cached file re-hashed on use, progress to ``callback(message, fraction)``); every
failure raises :class:`~visualizer.data.download.DownloadError`.  A file whose SHA-256 is not recorded is never
downloaded (DownloadError that says so), so the table in :data:`SOURCE` is the one thing to fill.

Offline, the lesson uses its generated clips instead, through
:func:`visualizer.data.fallback.load_with_fallback`::

    from visualizer.data.fallback import load_with_fallback
    from visualizer.data.kinetics import load_kinetics_subset

    train, val, skipped = load_with_fallback(
        context,
        lambda: load_kinetics_subset(16, (112, 112), progress=context.progress),
        lambda: (*generated_train_and_val(...), []),      # the generated motion clips, same (train, val, skipped)
        what="the Kinetics-mini clips", instead="the generated motion clips", param="dataset")
    for line in skipped:
        context.notice(f"Skipped {line}")

DownloadError (offline, HTTP error, checksum mismatch) and DataFormatError (the verified files do not decode)
lead to the fallback; ClipTooShortError (more frames per clip than a video has) is a setting to change and
propagates.  Qt-free, torch-free; PyAV is imported only when clips are decoded.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from visualizer.data.clips import ClipSet
from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch
from visualizer.data.idx import DataFormatError
from visualizer.data.video_folder import VideoFolderError, load_clip_splits

REPO = "nateraw/kinetics-mini"
# The revision other projects pin for this dataset (seen in several public repositories); resolve URLs with a
# commit id never change, so a recorded SHA-256 stays valid.
REVISION = "9f4ed38128a355c352527209101be3e326471816"
CLASS_NAMES = ("archery", "bowling", "flying_kite", "high_jump", "marching")


@dataclass(frozen=True)
class KineticsFile:
    """One clip of the subset: ``path`` relative to the repo root (``<split>/<class>/<name>.mp4``) and its
    ``sha256`` (64 hex digits: the ``oid sha256:`` line of the file's Git LFS pointer), or None if not recorded."""

    path: str
    sha256: str | None


@dataclass(frozen=True)
class KineticsSource:
    """Where the subset lives: base URLs tried in order (``mirror + path`` is fetched), the files, and the
    sub-folder of the data cache that receives them."""

    title: str
    folder: str
    mirrors: tuple[str, ...]
    files: tuple[KineticsFile, ...]


def _files(split: str, names: dict[str, tuple[str, ...]]) -> tuple[KineticsFile, ...]:
    # SHA-256 values still to be recorded: copy each from the file's LFS pointer
    # (https://huggingface.co/datasets/nateraw/kinetics-mini/raw/<REVISION>/<path>, line "oid sha256:...").
    return tuple(KineticsFile(f"{split}/{c}/{n}", None) for c in CLASS_NAMES for n in names[c])


# Two clips per class and split (file names as listed in the repo at REVISION).
SOURCE = KineticsSource(
    "Kinetics-mini", f"kinetics-mini-{REVISION[:12]}",
    (f"https://huggingface.co/datasets/{REPO}/resolve/{REVISION}/",),
    _files("train", {
        "archery": ("-1q7jA3DXQM_000005_000015.mp4", "-5NN5hdIwTc_000036_000046.mp4"),
        "bowling": ("-5ExwuF5IUI_000030_000040.mp4", "-7sTNNI1Bcg_000075_000085.mp4"),
        "flying_kite": ("-0yuyrbruYM_000079_000089.mp4", "-4dHxTY4iwo_000043_000053.mp4"),
        "high_jump": ("-B228_dxIVc_000001_000011.mp4", "-D_eNsRYLhs_000003_000013.mp4"),
        "marching": ("-0kVxoFuMGQ_000622_000632.mp4", "-2KG4xiBL1s_000005_000015.mp4"),
    }) + _files("val", {
        "archery": ("-Qz25rXdMjE_000014_000024.mp4", "-UJgyiWe500_000029_000039.mp4"),
        "bowling": ("--dVV4_CSvw_000033_000043.mp4", "-WH-lxmGJVY_000005_000015.mp4"),
        "flying_kite": ("07xOT83TIG4_000040_000050.mp4", "0QH8uFjXiW4_000003_000013.mp4"),
        "high_jump": ("01fAWEHzudA_000002_000012.mp4", "0oL36GHlSXw_000022_000032.mp4"),
        "marching": ("-0IErS_cisg_000017_000027.mp4", "1m-Kdky1y84_000022_000032.mp4"),
    }),
)


def _check_table(source: KineticsSource) -> None:
    """Raise DownloadError if a file lacks a usable SHA-256 or names a path outside ``<split>/<class>/``."""
    missing = [f.path for f in source.files if not f.sha256]
    if missing:
        reason = (f"the SHA-256 checksums of {len(missing)} of its {len(source.files)} files are not recorded in "
                  "visualizer/data/kinetics.py, and unverified files are never used")
        raise DownloadError(f"Could not download {source.title}: {reason}.", reason)
    for f in source.files:
        parts = f.path.split("/")
        digest = f.sha256 or ""
        if len(parts) != 3 or parts[0] not in ("train", "val") or any(p in ("", ".", "..") for p in parts) \
                or len(digest) != 64 or any(ch not in "0123456789abcdefABCDEF" for ch in digest):
            reason = f"the table of {source.title} files has a bad entry ({f.path}, {digest!r})"
            raise DownloadError(f"Could not download {source.title}: {reason}.", reason)


def fetch_kinetics_subset(progress: ProgressCallback | None = None, *, folder: Path | str | None = None,
                          timeout: float = 30.0) -> Path:
    """Download (or find in the cache) every clip of :data:`SOURCE`; returns the folder that holds
    ``train/<class>/*.mp4`` and ``val/<class>/*.mp4``, ready for :func:`load_clip_splits`.

    folder: where to keep them (default ``<cache>/kinetics-mini-<revision>``); progress: ``callback(message,
    fraction)`` with fraction over the whole subset; timeout: seconds per connection and chunk.  Cached files
    whose SHA-256 matches are used without network access; a damaged one is downloaded again.
    Raises DownloadError (a checksum not recorded, offline, HTTP error, checksum mismatch, cache not writable)
    with a sentence for the user.  Files fetched before a failure stay in the cache (each one verified)."""
    source = SOURCE
    _check_table(source)
    root = Path(folder) if folder is not None else cache_dir() / source.folder
    n = len(source.files)
    for i, f in enumerate(source.files):
        sub, _, name = f.path.rpartition("/")

        def step(message: str, fraction: float | None, i: int = i) -> None:
            if progress is not None:
                progress(f"{message} ({i + 1}/{n})", (i + (fraction or 0.0)) / n)

        fetch(name, f"sha256:{f.sha256}", [m + quote(sub) + "/" for m in source.mirrors], root / sub,
              progress=step if progress is not None else None, label=f"{source.title} {f.path}", timeout=timeout)
        if progress is not None:
            progress(f"{source.title}: {i + 1}/{n} clips ready", (i + 1) / n)
    return root


def load_kinetics_subset(frames: int, size: tuple[int, int], *, progress: ProgressCallback | None = None,
                         max_per_class: int | None = None, folder: Path | str | None = None,
                         timeout: float = 30.0) -> tuple[ClipSet, ClipSet, list[str]]:
    """The Kinetics-mini subset as (train, val, skipped): :func:`fetch_kinetics_subset`, then
    :func:`~visualizer.data.video_folder.load_clip_splits` with ``frames`` frames per clip spread evenly over
    each video and size = (H, W) in pixels.

    train/val: :class:`ClipSet` with clips (N, frames, H, W, 3) uint8, labels (N,) int64, class names the
    folder names (sorted), fps of the sampled frames; skipped: ``"<path>: <reason>"`` for clips that could not
    be used.  Raises DownloadError (see :func:`fetch_kinetics_subset`), DataFormatError when the verified files
    give no usable set (e.g. an FFmpeg build without their codec), ClipTooShortError (a LessonConfigError) when
    the clips have fewer frames than ``frames``, ValueError for bad arguments."""
    root = fetch_kinetics_subset(progress, folder=folder, timeout=timeout)
    try:
        return load_clip_splits(root, frames, size, max_per_class=max_per_class, progress=progress)
    except VideoFolderError as e:
        raise DataFormatError(f"the {SOURCE.title} clips in {root} could not be read: {e}") from e
