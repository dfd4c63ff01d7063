"""Distributions of a layer's weights or gradients over training, drawn as one image (Qt-free).

Each record keeps a fixed random subset of the layer's values (the same entries every time), so
memory is ``capacity * sample_size`` floats however long training runs.  The records live in a
:class:`~visualizer.probes.snapshot_history.SnapshotHistory`: when it is full, every second record is
dropped and the recording stride doubles, so the image always spans the whole run at a resolution that
halves as the run grows (TensorBoard's histogram dashboard keeps a reservoir for the same reason).
The image is x = training step, y = value, colour = log(1 + count).  Used by the lessons mlp_digits
and regularization (Goodfellow, Bengio & Courville, *Deep Learning*, 8.4 on watching weight scales).
"""
from __future__ import annotations

import numpy as np

from visualizer.core.plotdata import ImageData
from visualizer.probes.snapshot_history import SnapshotHistory


class HistogramHistory:
    """A bounded history of value histograms for one array (a layer's W or dL/dW).

    capacity: most records kept (columns of the image); sample_size: values kept per record; bins:
    rows of the image; stride: steps between records at the start (doubles on every compaction)."""

    def __init__(self, capacity: int = 200, sample_size: int = 1024, bins: int = 48, stride: int = 1,
                 seed: int = 0) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 2, got {capacity}")
        self.capacity = capacity
        self.sample_size = sample_size
        self.bins = bins
        self.initial_stride = stride
        self._rng = np.random.default_rng(seed)
        self.clear()

    def clear(self) -> None:
        """Forget every record (e.g. when another layer is chosen)."""
        self._records: SnapshotHistory | None = None         # (capacity, k) float32, k <= sample_size
        self._index: np.ndarray | None = None                # which entries of the array are sampled
        self._size = -1
        self._version = getattr(self, "_version", 0) + 1
        self._image_cache: tuple[tuple[int, str], ImageData] | None = None
        self._counts = np.zeros((self.capacity, self.bins), dtype=np.int64)   # per record, under _counts_r
        self._counts_r: float | None = None
        self._counted = 0                                   # records whose counts are current

    def __len__(self) -> int:
        return len(self._records) if self._records is not None else 0

    @property
    def _n(self) -> int:
        return len(self)

    @property
    def stride(self) -> int:
        """Steps between records now (doubles on every compaction)."""
        return self._records.stride if self._records is not None else self.initial_stride

    @property
    def steps(self) -> np.ndarray:
        """The training steps of the kept records, oldest first: (n,) int64."""
        return self._records.steps if self._records is not None else np.zeros(0, dtype=np.int64)

    def due(self, step: int) -> bool:
        """True if a record should be taken at this step (see ``SnapshotHistory.due``)."""
        return self._records is None or self._records.due(step)

    def record(self, step: int, values: np.ndarray) -> None:
        """Store a sample of ``values`` (any shape; flattened) taken at ``step``."""
        flat = np.asarray(values).ravel()
        if flat.size != self._size:                          # first record, or the array changed shape
            self.clear()
            self._size = flat.size
            k = min(self.sample_size, flat.size)
            self._index = np.sort(self._rng.choice(flat.size, size=k, replace=False)) if k < flat.size else None
            self._records = SnapshotHistory(self.capacity, k, np.float32, self.initial_stride)
        keep = self._records.record(step, flat if self._index is None else flat[self._index])
        if keep is not None:                                 # compacted: the bin counts follow the records
            self._counts[: len(keep)] = self._counts[keep]
            self._counted = int(np.count_nonzero(keep < self._counted))
        self._version += 1

    def image(self, y_label: str = "value") -> ImageData:
        """The histograms side by side: image (bins, n) float32 of log(1 + count), row 0 = lowest
        values; extent (first step, last step, -r, r) with r about the 99.5th percentile of |value|
        (kept while the percentile stays within [0.7 r, r]; values beyond it land in the edge bins); levels (0, highest bin).  With no record yet, a (bins, 1) image of zeros.
        Until the next record the same (read-only) ImageData is returned: building it is most of a
        snapshot's cost, and records grow rarer as the stride doubles."""
        key = (self._version, y_label)
        if self._image_cache is not None and self._image_cache[0] == key:
            return self._image_cache[1]
        data = self._build_image(y_label)
        self._image_cache = (key, data)
        return data

    def _build_image(self, y_label: str) -> ImageData:
        if self._n == 0:
            return ImageData(np.zeros((self.bins, 1), np.float32), (0.0, 1.0, -1.0, 1.0), (0.0, 1.0),
                             "viridis", x_label="step", y_label=y_label, colorbar_label="log(1 + count)")
        v = self._records.rows                                # (n, k)
        flat = v.ravel()
        probe = np.abs(flat[:: max(1, flat.size // 20_000)])  # the range from <= ~20k values is plenty
        probe = probe[np.isfinite(probe)]
        r = float(np.quantile(probe, 0.995)) if probe.size else 1.0
        r = r if r > 0 else 1.0
        # The range is sticky (kept while the new one lies within [0.7, 1] of it), so the counts of
        # records already binned stay valid and only new records are binned: O(new records).
        if self._counts_r is None or r > self._counts_r or r < 0.7 * self._counts_r:
            self._counts_r, self._counted = r, 0
        r = self._counts_r
        if self._counted < self._n:
            new = v[self._counted: self._n]
            if not np.isfinite(new).all():
                new = np.nan_to_num(new, nan=0.0, posinf=r, neginf=-r)
            idx = np.clip(np.floor((new + r) * (self.bins / (2 * r))), 0, self.bins - 1).astype(np.int64)
            idx += np.arange(len(new))[:, None] * self.bins                        # (m, k) bin per value
            self._counts[self._counted: self._n] = np.bincount(
                idx.ravel(), minlength=len(new) * self.bins).reshape(len(new), self.bins)
            self._counted = self._n
        image = np.log1p(self._counts[: self._n].T).astype(np.float32)              # (bins, n)
        x0, x1 = self._records.extent_x()
        return ImageData(image, (x0, x1, -r, r), (0.0, float(image.max()) or 1.0), "viridis",
                         x_label="step", y_label=y_label, colorbar_label="log(1 + count)")
