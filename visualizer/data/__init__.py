"""Data sets and generators for the lessons: the embedded 8×8 digits, MNIST/Fashion-MNIST, CIFAR-10, PTB, generated text and tasks; downloads with an offline fallback.  Qt-free, engine-free."""
from visualizer.data.cifar10 import load_cifar10_split, read_cifar10
from visualizer.data.digits import load_digits_split
from visualizer.data.download import DownloadError, cache_dir, fetch
from visualizer.data.idx import DataFormatError, read_idx, read_idx_images_labels
from visualizer.data.mnist import SOURCES, load_idx_split
from visualizer.data.split import DataSplit

__all__ = ["DataFormatError", "DataSplit", "DownloadError", "SOURCES", "cache_dir", "fetch",
           "load_cifar10_split", "load_digits_split", "load_idx_split", "read_cifar10", "read_idx",
           "read_idx_images_labels"]
