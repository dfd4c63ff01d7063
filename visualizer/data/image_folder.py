"""Photographs in folders, one folder per class: Ogawa's hymenoptera ants/bees and the student's own images.

:func:`load_image_folder` reads torchvision's ImageFolder layout (``root/train/<class>/`` with
``root/val/<class>/`` as hymenoptera ships it, or ``root/<class>/`` split here by a seed) with Pillow into
:class:`~visualizer.data.labelled_images.LabelledImages` (masks None).  Every image becomes size×size RGB float32
in [0, 1]: the centred square crop, resized (as torchvision's Resize + CenterCrop does for VGG, Ogawa ch. 1).
Grayscale, palette, RGBA (composited on white), CMYK and 16-bit images (scaled by 65535) are converted; a huge
JPEG is decoded at a reduced scale (Pillow's ``draft``) and other huge images are reduced by whole factors
before resampling (``reducing_gap``); an image larger than Pillow's decompression-bomb limit, a truncated file
or a file that is no image is skipped and named, never fatal.  :func:`fetch_hymenoptera` downloads the
ants/bees zip of PyTorch's transfer-learning tutorial (checksummed, cached) and extracts it.  Qt-free,
torch-free.
"""
from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch
from visualizer.data.labelled_images import LabelledImages

# Ogawa, *PyTorch advanced deep learning* ch. 1, and PyTorch's transfer-learning tutorial: about 120 training
# and 75 validation photographs per class.  sha256 as published in pytorch/tutorials, .jenkins/download_data.py.
HYMENOPTERA_URL = "https://download.pytorch.org/tutorial/"
HYMENOPTERA_ZIP = "hymenoptera_data.zip"
HYMENOPTERA_SHA256 = "sha256:fbc41b31d544714d18dd1230b1e2b455e1557766e13e67f9f5a7a23af7c02209"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".pbm", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class ImageFolderError(ValueError):
    """A folder that cannot serve as a labelled image set (not a folder, no images, only one class); the
    message says what was found and what is needed."""


# ------------------------------------------------------------------------------------------------ #
# One image
# ------------------------------------------------------------------------------------------------ #
def _square_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The centred square (left, top, right, bottom) of a width×height image."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def _to_array(img, size: int) -> np.ndarray:
    """A loaded Pillow image -> (3, size, size) float32 in [0, 1] (the centred square, resized)."""
    from PIL import Image

    box = _square_box(*img.size)
    resample = Image.Resampling.BILINEAR
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):     # 16-bit (or 32-bit) single channel
        raw = np.asarray(img)
        if img.mode.startswith("I;16") or img.mode == "I":
            scale = 65535.0 if img.mode.startswith("I;16") or raw.max(initial=0) > 255 else 255.0
            plane = raw.astype(np.float32) / scale
        else:
            plane = raw.astype(np.float32)
        grey = Image.fromarray(np.clip(plane, 0.0, 1.0).astype(np.float32), mode="F")
        out = np.asarray(grey.crop(box).resize((size, size), resample, reducing_gap=3.0), dtype=np.float32)
        return np.repeat(np.clip(out, 0.0, 1.0)[None], 3, axis=0)
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba).convert("RGB")
    elif img.mode != "RGB":
        img = img.convert("RGB")                 # L, 1, P, CMYK, YCbCr, LAB, HSV, RGBX
    out = np.asarray(img.crop(box).resize((size, size), resample, reducing_gap=3.0), dtype=np.float32)
    return (out / 255.0).transpose(2, 0, 1).copy()                           # (3, size, size)


def read_image(path: Path | str, size: int) -> np.ndarray:
    """One image file -> (3, size, size) float32 RGB in [0, 1]: the centred square crop, resized bilinearly.

    Any format Pillow reads; grayscale is repeated on three channels, transparency composited on white,
    16-bit grayscale scaled by 65535, the EXIF orientation applied.  A JPEG is decoded at the smallest scale
    that still covers ``size`` (Pillow's ``draft``: a 12000×9000 photograph decodes at 1/8).  Raises ValueError
    for a size below 1, and OSError (with the reason) for a file Pillow cannot read: missing, no image,
    truncated, or larger than Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``, twice of which
    it refuses to open)."""
    from PIL import Image, ImageOps

    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)    # big but below the hard limit
        try:
            with Image.open(path) as img:
                if img.format == "JPEG":
                    img.draft("RGB", (size, size))        # decode at 1/2, 1/4 or 1/8 when that still covers size
                img.load()
                img = ImageOps.exif_transpose(img) or img
                return _to_array(img, size)
        except Image.DecompressionBombError as e:
            raise OSError(f"too large to decode safely ({e})") from e
        except (SyntaxError, ValueError, EOFError, IndexError, TypeError) as e:   # Pillow's plugins raise these too
            raise OSError(f"not a readable image ({type(e).__name__}: {e})") from e


# ------------------------------------------------------------------------------------------------ #
# A folder of classes
# ------------------------------------------------------------------------------------------------ #
def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in IMAGE_EXTENSIONS)


def _read_class(files: Sequence[Path], size: int, base: Path, skipped: list[str]) -> list[np.ndarray]:
    images = []
    for f in files:
        try:
            images.append(read_image(f, size))
        except (OSError, MemoryError) as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            skipped.append(f"{f.relative_to(base).as_posix()}: {reason}")
    return images


def _pick(files: list[Path], limit: int | None, rng: np.random.Generator) -> list[Path]:
    if limit is None or len(files) <= limit:
        return files
    return sorted(files[i] for i in rng.permutation(len(files))[:limit])


def _stack(images: list[np.ndarray], labels: list[int], names: tuple[str, ...], size: int,
           source: str) -> LabelledImages:
    x = np.stack(images).astype(np.float32, copy=False) if images else np.zeros((0, 3, size, size), np.float32)
    return LabelledImages(x, np.asarray(labels, dtype=np.int64), names, None, source)


def load_image_folder(root: Path | str, size: int, *, seed: int = 0, val_fraction: float = 0.4,
                      max_per_class: int | None = None) -> tuple[LabelledImages, LabelledImages, list[str]]:
    """Read an ImageFolder layout into (train, val, skipped).

    root/train/<class>/ and root/val/<class>/ (hymenoptera's layout) give the two sets as they are; otherwise
    root/<class>/ is split per class with ``seed``, ``val_fraction`` of each class's images (rounded, at least
    one left for training) going to val.  Class names are the folder names, sorted (label order); images in
    sub-folders of a class folder belong to it.  max_per_class: at most that many files per class and set,
    drawn with ``seed``.  train/val: :class:`LabelledImages` with images (N, 3, size, size) float32 in [0, 1],
    labels (N,) int64, masks None; ordered by class, then file name.  skipped: ``"<relative path>: <reason>"``
    for every file that could not be read, and ``"<class>/: no readable images"`` for a class folder that
    had none (the class is dropped).

    Raises ImageFolderError when root is not a folder, holds no class folders or no readable images, when
    fewer than two classes have images, or when val holds a class train lacks; ValueError for size < 1,
    val_fraction outside [0, 1) or max_per_class < 1."""
    root = Path(root).expanduser()
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be >= 1, got {max_per_class}")
    if not root.is_dir():
        raise ImageFolderError(f"{root} is not a folder" + (" (it is a file)" if root.exists() else
                                                            " (it does not exist)") + ".")
    rng = np.random.default_rng(seed)
    skipped: list[str] = []
    split = (root / "train").is_dir() and (root / "val").is_dir()
    top = root / "train" if split else root
    class_dirs = _visible_dirs(top)
    if not class_dirs:
        raise ImageFolderError(f"{top} holds no class folders: put each class's images in a folder of its own "
                               f"({top}/<class name>/image.jpg).")
    by_class: dict[str, list[np.ndarray]] = {}
    for d in class_dirs:
        images = _read_class(_pick(_image_files(d), max_per_class, rng), size, root, skipped)
        if images:
            by_class[d.name] = images
        else:
            skipped.append(f"{d.relative_to(root).as_posix()}/: no readable images")
    names = tuple(by_class)
    if not names:
        raise ImageFolderError(f"No readable images in {top} (looked for {', '.join(IMAGE_EXTENSIONS)} in "
                               f"{len(class_dirs)} class folders).")
    if len(names) < 2:
        raise ImageFolderError(f"Only one class ({names[0]!r}) has images in {top}; a classifier needs at least "
                               "two class folders with images.")
    source = f"image folder {root}"
    if split:
        val_dirs = _visible_dirs(root / "val")
        unknown = [d.name for d in val_dirs if d.name not in names and _image_files(d)]
        if unknown:
            raise ImageFolderError(f"{root / 'val'} holds classes that train lacks: {', '.join(unknown)}.")
        x_tr, y_tr, x_va, y_va = [], [], [], []
        for label, name in enumerate(names):
            x_tr += by_class[name]
            y_tr += [label] * len(by_class[name])
            if (root / "val" / name).is_dir():
                val_images = _read_class(_pick(_image_files(root / "val" / name), max_per_class, rng), size, root,
                                         skipped)
                x_va += val_images
                y_va += [label] * len(val_images)
        return (_stack(x_tr, y_tr, names, size, source), _stack(x_va, y_va, names, size, source), skipped)
    train_idx: list[tuple[int, int]] = []
    val_idx: list[tuple[int, int]] = []
    for label, name in enumerate(names):
        n = len(by_class[name])
        n_val = min(int(round(n * val_fraction)), n - 1)
        chosen = set(rng.permutation(n)[:n_val].tolist())
        for i in range(n):
            (val_idx if i in chosen else train_idx).append((label, i))

    def gather(idx):
        return _stack([by_class[names[lab]][i] for lab, i in idx], [lab for lab, _ in idx], names, size, source)

    return gather(train_idx), gather(val_idx), skipped


# ------------------------------------------------------------------------------------------------ #
# Ogawa's ants and bees
# ------------------------------------------------------------------------------------------------ #
def _extract(archive: Path, folder: Path) -> Path:
    """Unpack ``archive`` into ``folder`` through a temporary folder renamed at the end (atomic: a failed
    extraction leaves nothing); returns the folder that holds train/ and val/."""
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                target = (tmp / member).resolve()
                if not target.is_relative_to(tmp.resolve()):
                    raise DownloadError(f"The archive {archive} names a file outside its folder ({member}).",
                                        "unsafe archive")
            zf.extractall(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except zipfile.BadZipFile as e:
        raise DownloadError(f"The archive {archive} is damaged ({e}); delete it to download it again.",
                            "damaged archive") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    inner = [p for p in (folder, *_visible_dirs(folder)) if (p / "train").is_dir() and (p / "val").is_dir()]
    if not inner:
        raise DownloadError(f"The archive {archive} holds no train/ and val/ folders.", "unexpected archive")
    return inner[0]


def fetch_hymenoptera(progress: ProgressCallback | None = None) -> Path:
    """The folder of Ogawa's ants/bees set (PyTorch's transfer-learning tutorial data: ``train/ants``,
    ``train/bees``, ``val/ants``, ``val/bees``, JPEG photographs), ready for :func:`load_image_folder`.

    The zip is downloaded once into ``<cache>/hymenoptera`` with :func:`visualizer.data.download.fetch` (pooch;
    sha256 checked, progress to ``callback(message, fraction)``), then extracted next to it; later calls find
    both and do not touch the network.  Raises DownloadError (offline, HTTP error, checksum mismatch, damaged
    archive, cache not writable) with a sentence for the user; a failed call leaves no half-extracted folder."""
    folder = cache_dir() / "hymenoptera"
    extracted = folder / "hymenoptera_data"
    marker = folder / "extracted.ok"
    if marker.is_file() and marker.read_text().strip() == HYMENOPTERA_SHA256:
        found = [p for p in (extracted, *(_visible_dirs(extracted) if extracted.is_dir() else []))
                 if (p / "train").is_dir() and (p / "val").is_dir()]
        if found:
            return found[0]
    archive = fetch(HYMENOPTERA_ZIP, HYMENOPTERA_SHA256, [HYMENOPTERA_URL], folder, progress=progress,
                    label="the hymenoptera ants/bees images")
    if progress:
        progress("Extracting the hymenoptera ants/bees images", None)
    marker.unlink(missing_ok=True)
    data = _extract(Path(archive), extracted)
    marker.write_text(HYMENOPTERA_SHA256 + "\n")
    return data
