"""The lesson's CNN on the NumPy engine: its layer spec, its arrays by name for the kit's ``NumpyTrainer``, and
evaluation-mode logits.  The network itself is ``visualizer.models.cnn.CNN`` (im2col convolutions); its PyTorch
twin is in ``net_torch.py``.  Qt-free.

Follows Saitoh, *Deep Learning from Scratch*, ch. 7 (convolution, pooling, the SimpleConvNet).
"""
from __future__ import annotations

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.models.cnn import CNN
from visualizer.scratch.conv import Conv2d
from visualizer.scratch.layers import BatchNorm1d, Linear


def architecture(filters1: int, filters2: int, kernel: int, pooling: str, hidden: int,
                 n_classes: int) -> list[tuple]:
    """The CNN's layer spec: two conv blocks with "same" padding (P = ⌊K/2⌋), each followed by ReLU and
    2×2 pooling, then a hidden fully connected layer and the logits."""
    pool = "maxpool" if pooling == "max" else "avgpool"
    return [("conv", filters1, kernel, 1, kernel // 2), ("relu",), (pool, 2),
            ("conv", filters2, kernel, 1, kernel // 2), ("relu",), (pool, 2),
            ("flatten",), ("linear", hidden), ("relu",), ("linear", n_classes)]


def build_cnn(input_shape: tuple[int, int, int], spec: list[tuple], dtype: str, seed: int) -> CNN:
    """The scratch CNN for images (C, H, W) with He-initialized weights from ``seed``.  Raises
    LessonConfigError when the spec does not fit the images (e.g. too much pooling)."""
    try:
        return CNN(input_shape=input_shape, spec=spec, init="he", dtype=dtype, seed=seed)
    except ValueError as e:
        raise LessonConfigError(f"This network cannot be built: {e}") from None


def named_arrays(cnn: CNN) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The CNN's own arrays by the names of ``CNN.state()`` (``conv0.W`` (F, C, K, K), ``conv0.b`` (F,),
    ``linear0.W`` (D_in, D_out), ...): (params, grads, extra) where grads has the names of params and extra
    holds BatchNorm running statistics.  Live references, for ``NumpyTrainer``."""
    params, grads, extra = {}, {}, {}
    for name, layer in zip(cnn.names, cnn.layers):
        if isinstance(layer, (Conv2d, Linear)):
            keys = ("W", "b")
        elif isinstance(layer, BatchNorm1d):               # BatchNorm2d too
            keys = ("gamma", "beta")
            extra[f"{name}.running_mean"] = layer.running_mean
            extra[f"{name}.running_var"] = layer.running_var
        else:
            continue
        for key, p, g in zip(keys, layer.params, layer.grads):
            params[f"{name}.{key}"], grads[f"{name}.{key}"] = p, g
    return params, grads, extra


def numpy_logits(cnn: CNN, x: np.ndarray) -> np.ndarray:
    """Evaluation-mode logits (N, K) float64 of images x (N, C, H, W) (the network is left in evaluation
    mode; the training step sets training mode again)."""
    cnn.set_train(False)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return cnn.forward(x).astype(np.float64)


def validation_metrics(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Mean cross-entropy ``val_loss`` and accuracy ``val_acc`` of logits (M, K) float64 for labels y (M,)."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return {"val_loss": float(-logp[np.arange(len(y)), y].mean()),
            "val_acc": float(np.mean(logits.argmax(axis=1) == y))}


PUBLISH_EVERY_S = 5.0       # the shelf file is rewritten at most this often (at evaluations, never per step)


def publish_cnn(cnn: CNN, class_names, step: int, metrics: dict[str, float]) -> None:
    """Put the trained CNN on the model shelf (``visualizer.core.model_shelf``, kind "cnn") for the lesson
    ``interpretability``; ``visualizer.models.inspect_torch.cnn_from_shelf`` rebuilds it.  A shelf that cannot be
    written is not this lesson's failure: it is skipped silently."""
    from visualizer.core.model_shelf import publish

    config = {"input_shape": list(cnn.input_shape), "spec": [list(e) for e in cnn.spec], "init": cnn.init}
    try:
        publish("cnn_scratch", "cnn", config, {k: np.array(v, np.float32) for k, v in cnn.state().items()},
                step=step, metrics=metrics, class_names=tuple(class_names))
    except OSError:                       # ExportError is one
        pass
