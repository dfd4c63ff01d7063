"""The embedded default data set: scikit-learn's bundled 8×8 handwritten digits.

1,797 images of the digits 0-9 (UCI "Optical Recognition of Handwritten Digits", Alpaydin & Kaynak
1998), 4-bit grey levels 0-16 that are scaled here to [0, 1], split into training and validation
sets stratified by class with a seed.  No network needed.  Qt-free; scikit-learn is imported when
the data is loaded, not when this module is.
"""
from __future__ import annotations

import numpy as np

from visualizer.data.split import DataSplit

DIGIT_NAMES = tuple(str(d) for d in range(10))


def load_digits_split(val_fraction: float = 0.2, seed: int = 0, dtype: str = "float32") -> DataSplit:
    """The 8×8 digits as a stratified, seeded split: x (N, 64) of ``dtype`` in [0, 1], y (N,) int64.

    val_fraction: share of the 1,797 images held out for validation, in (0, 1).  The same seed
    gives the same split.  Raises ValueError if val_fraction leaves fewer than one image per class
    on either side."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, got {val_fraction:g}")
    bunch = load_digits()
    x = (bunch.data / 16.0).astype(dtype)             # (1797, 64) in [0, 1]
    y = bunch.target.astype(np.int64)                 # (1797,)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=val_fraction, random_state=seed, stratify=y)
    return DataSplit("8×8 digits (scikit-learn, embedded)", np.ascontiguousarray(x_tr), y_tr,
                     np.ascontiguousarray(x_va), y_va, (8, 8), DIGIT_NAMES)
