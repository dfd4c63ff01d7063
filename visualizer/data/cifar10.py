"""CIFAR-10: downloaded once (checksummed, cached), read straight from its tarball.

Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", tech. report, Univ. Toronto
(2009); https://www.cs.toronto.edu/~kriz/cifar.html.  60,000 colour photos of 32×32 pixels in 10
classes: 50,000 for training in ``data_batch_1`` … ``data_batch_5`` and 10,000 in ``test_batch``.
The "python version" tarball (~163 MB, MD5 from that page, the one torchvision also checks) holds
each batch as a pickled dict: ``b"data"`` a (10000, 3072) uint8 array whose rows hold the red, then
the green, then the blue 32×32 plane (each row-major), and ``b"labels"`` a list of class ids 0-9.

The batches are read from the gzip stream in memory, never extracted to disk, and unpickled with
an unpickler that can build nothing but NumPy arrays, so a tampered file cannot run code.  A file
that is not such a tarball raises :class:`~visualizer.data.idx.DataFormatError`.  Qt-free.
"""
from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from visualizer.data.download import ProgressCallback, cache_dir, fetch
from visualizer.data.idx import DataFormatError
from visualizer.data.split import DataSplit, subset_indices

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
SIDE = 32                              # images are SIDE × SIDE
CHANNELS = 3                           # R, G, B planes in this order


@dataclass(frozen=True)
class Cifar10Source:
    """Where the CIFAR-10 tarball lives: base URLs tried in order, the file name, its ``"md5:..."``,
    and the sub-folder of the cache."""

    title: str
    folder: str
    mirrors: tuple[str, ...]
    filename: str
    known_hash: str


SOURCE = Cifar10Source("CIFAR-10", "cifar10", ("https://www.cs.toronto.edu/~kriz/",),
                       "cifar-10-python.tar.gz", "md5:c58f30108f718f92721af3b95e74349a")


def fetch_cifar10(progress: ProgressCallback | None = None, folder: Path | str | None = None,
                  timeout: float = 30.0) -> Path:
    """Download (or find in the cache) the CIFAR-10 python tarball of ``SOURCE``; returns its path.

    Raises DownloadError if it cannot be had (offline, HTTP error, checksum mismatch)."""
    root = Path(folder) if folder is not None else cache_dir() / SOURCE.folder
    return fetch(SOURCE.filename, SOURCE.known_hash, SOURCE.mirrors, root, progress=progress,
                 label=f"{SOURCE.title} (about 163 MB)", timeout=timeout)


def _numpy_reconstruct():
    try:                                          # NumPy 2
        from numpy._core.multiarray import _reconstruct
    except ImportError:                           # NumPy 1
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class _ArrayUnpickler(pickle.Unpickler):
    """Builds dicts, lists, numbers, strings and NumPy arrays, and refuses any other global: the
    batches were pickled by Python 2 with ``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``
    and ``numpy.dtype``; ``_codecs.encode`` is how Python 3 pickles bytes at protocol 2."""

    def find_class(self, module: str, name: str):
        if (module, name) in (("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")):
            return _numpy_reconstruct()
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if (module, name) == ("_codecs", "encode"):
            import codecs

            return codecs.encode
        raise pickle.UnpicklingError(f"it asks to load {module}.{name}, which a CIFAR-10 batch never does")


def parse_batch(f: IO[bytes], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Unpickle one CIFAR-10 batch: images (N, 3, 32, 32) uint8 (R, G, B planes, row 0 at the top) and
    labels (N,) uint8.

    Raises DataFormatError (naming ``name``) if it is not a pickled dict with ``b"data"`` (N, 3072)
    uint8 and ``b"labels"`` of N class ids 0-9."""
    try:
        batch = _ArrayUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OverflowError, MemoryError) as e:     # how truncated or foreign pickles fail
        raise DataFormatError(f"{name} is not a readable CIFAR-10 batch ({type(e).__name__}: {e})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise DataFormatError(f"{name} is not a CIFAR-10 batch: expected a dict with b'data' and b'labels', "
                              f"got {keys}")
    data = batch[b"data"]
    row = CHANNELS * SIDE * SIDE
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != row:
        what = f"shape {data.shape} of {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataFormatError(f"{name}: expected b'data' to be (N, {row}) uint8, got {what}")
    try:
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (TypeError, ValueError):
        raise DataFormatError(f"{name}: b'labels' is not a list of class ids") from None
    if labels.shape != (len(data),):
        raise DataFormatError(f"{name} holds {len(data):,} images but {labels.size:,} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise DataFormatError(f"{name}: class ids must be 0-{len(CLASS_NAMES) - 1}, found "
                              f"{labels.min()}..{labels.max()}")
    return data.reshape(-1, CHANNELS, SIDE, SIDE), labels.astype(np.uint8)


def read_cifar10(path: Path | str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the CIFAR-10 python tarball in one pass over its gzip stream, extracting nothing to disk.

    Returns (x_train (50000, 3, 32, 32) uint8, y_train (50000,) uint8, x_test (10000, 3, 32, 32)
    uint8, y_test (10000,) uint8), batches in order (fewer images for a smaller file of the same
    format).  Raises DataFormatError for a missing, truncated, corrupt or foreign file, or one that
    lacks a batch."""
    path = Path(path)
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    wanted = set(TRAIN_BATCHES) | {TEST_BATCH}
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if base not in wanted or not member.isfile():
                    continue
                f = tar.extractfile(member)
                found[base] = parse_batch(io.BytesIO(f.read()), f"{path.name}:{member.name}")
    except FileNotFoundError:
        raise DataFormatError(f"{path} does not exist") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise DataFormatError(f"{path.name} is not a complete CIFAR-10 tarball: a damaged or truncated "
                              f"gzip/tar file ({e})") from None
    missing = [b for b in (*TRAIN_BATCHES, TEST_BATCH) if b not in found]
    if missing:
        raise DataFormatError(f"{path.name} is not the CIFAR-10 python version: it lacks {', '.join(missing)}")
    x_train = np.concatenate([found[b][0] for b in TRAIN_BATCHES])
    y_train = np.concatenate([found[b][1] for b in TRAIN_BATCHES])
    return x_train, y_train, found[TEST_BATCH][0], found[TEST_BATCH][1]


def load_cifar10_split(val_fraction: float = 0.2, seed: int = 0, dtype: str = "float32",
                       max_train: int | None = 10_000, progress: ProgressCallback | None = None,
                       timeout: float = 30.0) -> DataSplit:
    """CIFAR-10 as a colour :class:`DataSplit` (``channels=3``, ``image_shape=(32, 32)``).

    Training images are a seeded random subset of ``max_train`` (all if None) of the 50,000;
    validation images a seeded subset of the official 10,000 test images, sized so that they make up
    ``val_fraction`` of the two together, exactly as for MNIST.  x: (N, 3072) of ``dtype`` in [0, 1]
    (levels 0-255 / 255), each row the R, G, B planes (``split.train_images()`` gives (N, 3, 32, 32));
    y: (N,) int64; class names airplane … truck.

    Raises ValueError for a validation fraction outside (0, 1), DownloadError (offline, HTTP error,
    checksum mismatch) and DataFormatError (a file that is not the CIFAR-10 tarball)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, got {val_fraction:g}")
    path = fetch_cifar10(progress, timeout=timeout)
    if progress:
        progress(f"Reading {SOURCE.title}", None)
    x_tr, y_tr, x_te, y_te = read_cifar10(path)
    train_idx, val_idx = subset_indices(len(x_tr), len(x_te), max_train, val_fraction, seed)

    def flat(images: np.ndarray) -> np.ndarray:
        x = images.reshape(len(images), -1).astype(dtype)        # (N, 3*32*32), R, G, B planes
        x /= 255.0                                                 # levels 0-255 -> [0, 1]
        return x

    return DataSplit(SOURCE.title, flat(x_tr[train_idx]), y_tr[train_idx].astype(np.int64),
                     flat(x_te[val_idx]), y_te[val_idx].astype(np.int64), (SIDE, SIDE), CLASS_NAMES,
                     channels=CHANNELS)
