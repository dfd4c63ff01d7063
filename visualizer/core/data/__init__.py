"""Data sets for the lessons: the embedded 8×8 digits and downloaded MNIST/Fashion-MNIST and CIFAR-10.  Qt-free."""
from visualizer.core.data.cifar10 import load_cifar10_split, read_cifar10
from visualizer.core.data.digits import load_digits_split
from visualizer.core.data.download import DownloadError, cache_dir, fetch
from visualizer.core.data.idx import DataFormatError, read_idx, read_idx_images_labels
from visualizer.core.data.mnist import SOURCES, load_idx_split
from visualizer.core.data.split import DataSplit

__all__ = ["DataFormatError", "DataSplit", "DownloadError", "SOURCES", "cache_dir", "fetch",
           "load_cifar10_split", "load_digits_split", "load_idx_split", "read_cifar10", "read_idx",
           "read_idx_images_labels"]
