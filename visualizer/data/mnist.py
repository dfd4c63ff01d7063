"""MNIST and Fashion-MNIST: downloaded once (checksummed, cached), read with the IDX reader.

Sources and MD5 checksums of the official gzip files are those torchvision uses
(``torchvision/datasets/mnist.py``): MNIST from LeCun, Cortes & Burges, "The MNIST database of
handwritten digits"; Fashion-MNIST from Xiao, Rasul & Vollgraf (2017), arXiv:1708.07747.  Each
data set is 60,000 training and 10,000 test images of 28×28 grey levels 0-255.  Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visualizer.data.digits import DIGIT_NAMES
from visualizer.data.download import ProgressCallback, cache_dir, fetch
from visualizer.data.idx import read_idx_images_labels
from visualizer.data.split import DataSplit, subset_indices

FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
ROLES = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass(frozen=True)
class IdxSource:
    """Where an IDX data set lives.  files: role (see ``ROLES``) -> (file name, ``"md5:..."``);
    mirrors: base URLs tried in order; folder: sub-folder of the cache."""

    title: str
    folder: str
    mirrors: tuple[str, ...]
    files: dict[str, tuple[str, str]]
    class_names: tuple[str, ...]


SOURCES: dict[str, IdxSource] = {
    "mnist": IdxSource(
        "MNIST", "mnist",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        {"train_images": ("train-images-idx3-ubyte.gz", "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"),
         "train_labels": ("train-labels-idx1-ubyte.gz", "md5:d53e105ee54ea40749a09fcbcd1e9432"),
         "test_images": ("t10k-images-idx3-ubyte.gz", "md5:9fb629c4189551a2d022fa330f9573f3"),
         "test_labels": ("t10k-labels-idx1-ubyte.gz", "md5:ec29112dd5afa0611ce80d1b7f02629c")},
        DIGIT_NAMES),
    "fashion_mnist": IdxSource(
        "Fashion-MNIST", "fashion_mnist",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        {"train_images": ("train-images-idx3-ubyte.gz", "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
         "train_labels": ("train-labels-idx1-ubyte.gz", "md5:25c81989df183df01b3e8a0aad5dffbe"),
         "test_images": ("t10k-images-idx3-ubyte.gz", "md5:bef4ecab320f06d8554ea6380940ec79"),
         "test_labels": ("t10k-labels-idx1-ubyte.gz", "md5:bb300cfdad3c16e7a12a480ee83cd310")},
        FASHION_NAMES),
}


def fetch_idx_files(key: str, progress: ProgressCallback | None = None, folder: Path | str | None = None,
                    timeout: float = 30.0) -> dict[str, Path]:
    """Download (or find in the cache) the four gzip files of ``SOURCES[key]``: role -> path.

    Raises KeyError for an unknown key and DownloadError if a file cannot be had."""
    source = SOURCES[key]
    root = Path(folder) if folder is not None else cache_dir() / source.folder
    paths = {}
    for i, role in enumerate(ROLES, 1):
        filename, known_hash = source.files[role]
        paths[role] = fetch(filename, known_hash, source.mirrors, root, progress=progress,
                            label=f"{source.title} {filename} ({i}/{len(ROLES)})", timeout=timeout)
    return paths


def load_idx_split(key: str, val_fraction: float = 0.2, seed: int = 0, dtype: str = "float32",
                   max_train: int | None = 10_000, progress: ProgressCallback | None = None,
                   timeout: float = 30.0) -> DataSplit:
    """MNIST (``key="mnist"``) or Fashion-MNIST (``"fashion_mnist"``) as a :class:`DataSplit`.

    Training images are a seeded random subset of ``max_train`` (all if None) of the 60,000 training
    images; validation images are a seeded subset of the official 10,000 test images, sized so that
    they make up ``val_fraction`` of the two together (at most 10,000).  x: (N, 784) of ``dtype`` in
    [0, 1]; y: (N,) int64.

    Raises DownloadError (offline, HTTP error, checksum mismatch) and DataFormatError (a file that
    is not valid IDX data)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, got {val_fraction:g}")
    source = SOURCES[key]
    paths = fetch_idx_files(key, progress, timeout=timeout)
    if progress:
        progress(f"Reading {source.title}", None)
    x_tr, y_tr = read_idx_images_labels(paths["train_images"], paths["train_labels"])
    x_te, y_te = read_idx_images_labels(paths["test_images"], paths["test_labels"])
    train_idx, val_idx = subset_indices(len(x_tr), len(x_te), max_train, val_fraction, seed)
    h, w = x_tr.shape[1:]

    def flat(images: np.ndarray) -> np.ndarray:
        x = images.reshape(len(images), h * w).astype(dtype)    # (N, H*W)
        x /= 255.0                                                # grey levels 0-255 -> [0, 1]
        return x

    return DataSplit(source.title, flat(x_tr[train_idx]), y_tr[train_idx].astype(np.int64),
                     flat(x_te[val_idx]), y_te[val_idx].astype(np.int64), (h, w), source.class_names)
