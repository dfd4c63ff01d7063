"""The lesson's images: scikit-learn's embedded 8×8 digits, or MNIST or CIFAR-10 when they can be downloaded
(else the digits, with a notice).  Data: Alpaydin & Kaynak (1998), LeCun et al. (1998), Krizhevsky (2009)."""
from __future__ import annotations

from visualizer.data import cifar10
from visualizer.data.digits import load_digits_split
from visualizer.data.fallback import load_with_fallback
from visualizer.data.mnist import SOURCES, load_idx_split
from visualizer.data.split import DataSplit

DATASETS = ("digits", "mnist", "cifar10")
MAX_TRAIN = 10_000          # training images taken from MNIST or CIFAR-10: what 2 CPU cores train in minutes


def load_data(dataset: str, val_fraction: float, seed: int, dtype: str, context) -> DataSplit:
    """The split of ``dataset`` (one of DATASETS) with images (N, C, H, W) in [0, 1] of ``dtype``; a data set
    that cannot be downloaded or read gives a notice through ``context`` and the embedded digits instead."""
    args = (val_fraction, seed, dtype, MAX_TRAIN)
    if dataset == "mnist":
        title, load = SOURCES["mnist"].title, lambda: load_idx_split("mnist", *args, progress=context.progress)
    elif dataset == "cifar10":
        title, load = cifar10.SOURCE.title, lambda: cifar10.load_cifar10_split(*args, progress=context.progress)
    else:
        return load_digits_split(*args[:3])
    return load_with_fallback(context, load, lambda: load_digits_split(*args[:3]), what=title,
                              instead="the embedded 8×8 digits", param="dataset")
