"""Qt-free pictures of the ``transfer_learning`` lesson: feature projections (PCA, t-SNE off the training
thread), mistakes, the confusion matrix, a batch of images and the torchinfo model summary."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from visualizer.core.plotdata import ImageGridData, MatrixData, ScatterData, TableData

MAX_TILES = 16
MAX_MISTAKES = 8           # two rows of four: large enough for "hourglass / → crescent" under a tile at 1280 px


def pca_2d(features: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """features (N, D) -> (N, 2) float32: the projection on the two principal axes (centred SVD).  Each axis's
    sign is chosen to agree with ``reference`` (N, 2), the previous picture, so the cloud does not flip
    between redraws."""
    x = features.astype(np.float64) - features.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    p = x @ vt[:2].T                                                      # (N, 2)
    if p.shape[1] < 2:
        p = np.pad(p, ((0, 0), (0, 2 - p.shape[1])))
    if reference is not None and reference.shape == p.shape:
        p *= np.where(np.sum(p * reference, axis=0) < 0, -1.0, 1.0)
    return p.astype(np.float32)


def tsne_2d(features: np.ndarray, seed: int) -> np.ndarray:
    """features (N, D) -> (N, 2) float32 with scikit-learn's t-SNE (van der Maaten & Hinton 2008), PCA-
    initialized, perplexity min(30, (N − 1) / 3)."""
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(2.0, (len(features) - 1) / 3)))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
        features.astype(np.float32)).astype(np.float32)


class Projector:
    """2-D pictures of feature sets, keyed by (name, version): PCA at once; t-SNE in one background thread,
    cached, the latest finished result shown while the next one computes (it never runs on the training
    step).  close() stops the thread."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: dict[str, tuple[tuple, Future]] = {}
        self._done: dict[str, tuple[tuple, np.ndarray]] = {}
        self._pca: dict[str, np.ndarray] = {}

    def project(self, name: str, version: tuple, features: np.ndarray, method: str) -> tuple[np.ndarray, str]:
        """(points (N, 2), a caption).  method "PCA" or "t-SNE"."""
        if method == "PCA":
            p = pca_2d(features, self._pca.get(name))
            self._pca[name] = p
            return p, "PCA"
        job = self._jobs.get(name)
        if job is not None and job[1].done():
            try:
                self._done[name] = (job[0], job[1].result())
            except Exception as exc:                    # noqa: BLE001 - shown instead of the picture
                self._done.pop(name, None)
                self._jobs.pop(name)
                return pca_2d(features), f"PCA (t-SNE failed: {exc})"
            self._jobs.pop(name)
            job = None
        done = self._done.get(name)
        if (done is None or done[0] != version) and job is None:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="tsne")
            self._jobs[name] = (version, self._pool.submit(tsne_2d, features.copy(), self.seed))
        if done is None:
            return pca_2d(features, self._pca.get(name)), "PCA while t-SNE computes"
        return done[1], "t-SNE" if done[0] == version else "t-SNE (updating)"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def scatter(points: np.ndarray, labels: np.ndarray, class_names, title: str) -> ScatterData:
    return ScatterData(points, labels.astype(np.int64), None, tuple(class_names), "component 1", "component 2",
                       title)


def tiles(images: np.ndarray) -> np.ndarray:
    """(N, 3, S, S) -> (N, S, S, 3) float32 in [0, 1] for an RGB image grid."""
    return np.ascontiguousarray(np.clip(images.transpose(0, 2, 3, 1), 0.0, 1.0), dtype=np.float32)


def mistakes(images: np.ndarray, labels: np.ndarray, preds: np.ndarray, class_names) -> ImageGridData:
    """Up to 8 misclassified images (N, 3, S, S) with "true / → predicted" captions (two lines)."""
    wrong = np.flatnonzero(preds != labels)[:MAX_MISTAKES]
    if not len(wrong):
        blank = np.full((1, images.shape[2], images.shape[3], 3), np.nan, np.float32)
        return ImageGridData(blank, ["no mistakes"], (0.0, 1.0), ncols=1)
    caps = [f"{class_names[labels[i]]} / → {class_names[preds[i]]}" for i in wrong]     # two lines
    return ImageGridData(tiles(images[wrong]), caps, (0.0, 1.0), ncols=min(4, len(wrong)))


def confusion(labels: np.ndarray, preds: np.ndarray, class_names) -> MatrixData:
    """Counts (K, K): true class on rows, predicted on columns."""
    k = len(class_names)
    m = np.bincount(labels * k + preds, minlength=k * k).reshape(k, k).astype(np.float64)
    return MatrixData(m, list(class_names), list(class_names), "true", "predicted", "viridis")


def summary_rows(net, size: int, device) -> tuple[list[str], np.ndarray]:
    """torchinfo's summary of ``net`` for one (1, 3, size, size) input: a label per layer ("Conv2d
    16×32×32", image side first) and the layer modules (R,), leaving out layers without weights whose output
    has the shape of the row above (ReLU, Dropout).  Trainable counts are read live by :func:`summary`."""
    from torchinfo import summary as torchinfo_summary

    stats = torchinfo_summary(net, input_size=(1, 3, size, size), device=device, verbose=0,
                              col_names=("output_size", "num_params"))
    labels, modules, last = [], [], None
    for layer in stats.summary_list:
        if layer.depth == 0 or not layer.is_leaf_layer:
            continue
        shape = "×".join(str(d) for d in (layer.output_size or [])[1:])
        if shape == last and not any(True for _ in layer.module.parameters(recurse=False)):
            continue                                     # ReLU, Dropout: no weights, the same shape as above
        last = shape
        labels.append(f"{layer.class_name} {shape}")
        modules.append(layer.module)
    return labels, modules


def summary(labels: list[str], modules: list) -> TableData:
    """The summary table now: parameters and trainable parameters per layer, and the totals."""
    total = [sum(p.numel() for p in m.parameters(recurse=False)) for m in modules]
    train = [sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad) for m in modules]
    values = np.array([total + [sum(total)], train + [sum(train)]], dtype=np.float64).T
    return TableData(values, labels + ["total"], ["parameters", "trainable"], "layer, output",
                     fmt="{:,.0f}", units=("", ""))
