"""The ``anogan`` lesson's data (NumPy, Qt-free): the embedded digits upscaled to 16×16 in [−1, 1]
(``visualizer.data.digits``), the training images of the "normal" class, and a test set of 30 normal and 70
anomalous validation images."""
from __future__ import annotations

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.digits import load_digit_images_split

N_TEST = 100
N_TEST_NORMAL = 30


def load_data(normal: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_train (N, 1, 16, 16) float32 in [−1, 1]: the training images of class ``normal``, x_test (100, 1, 16,
    16), y_test (100,) int64) from the stratified 80/20 split of the digits with ``seed``.  Raises
    LessonConfigError (see :func:`build_test_set`)."""
    d = load_digit_images_split(16, 0.2, seed)
    x_tr, x_va = d.train_images() * 2.0 - 1.0, d.val_images() * 2.0 - 1.0     # (N, 1, 16, 16), (M, 1, 16, 16)
    x_test, y_test = build_test_set(x_va, d.y_val, normal, seed)
    return np.ascontiguousarray(x_tr[d.y_train == normal]), x_test, y_test


def build_test_set(x_val: np.ndarray, y_val: np.ndarray, normal: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """30 normal validation images (indices 0–29) then 70 anomalous ones from the other nine classes in turn:
    x (100, 1, 16, 16), labels (100,).  Raises LessonConfigError if a class has too few images."""
    rng = np.random.default_rng([seed, 6])
    norm = np.flatnonzero(y_val == normal)
    if len(norm) < N_TEST_NORMAL:
        raise LessonConfigError(f"Only {len(norm)} validation images of class {normal}: need {N_TEST_NORMAL}.")
    others = [rng.permutation(np.flatnonzero(y_val == c)) for c in range(10) if c != normal]
    anomalous = []
    k = 0
    while len(anomalous) < N_TEST - N_TEST_NORMAL:
        pool = others[k % len(others)]
        if k // len(others) < len(pool):
            anomalous.append(int(pool[k // len(others)]))
        k += 1
    idx = np.concatenate([rng.permutation(norm)[:N_TEST_NORMAL], np.asarray(anomalous)])
    return np.ascontiguousarray(x_val[idx]), y_val[idx]
