"""torchvision's VGG-16 and VGG-19 with their ImageNet weights: found in torch's hub cache, or downloaded once.

The weights are torchvision's ``VGG16_Weights.IMAGENET1K_V1`` and ``VGG19_Weights.IMAGENET1K_V1`` (Simonyan &
Zisserman 2015; the network of Ogawa, *PyTorch advanced deep learning* ch. 1, and of Gatys et al.'s style
transfer).  They live where torchvision keeps them, ``torch.hub.get_dir()/checkpoints/<name of the URL>`` (so
``$TORCH_HOME`` moves them), and a download is checked the way torchvision checks it: the file's sha256 must
start with the hex digits in its name (``vgg16-397923af.pth``).  The download streams to a temporary file with
pooch's HTTP downloader (progress to a ``callback(message, fraction)``, see
:class:`visualizer.data.download.ProgressForwarder`) and is moved into the cache only once complete and checked,
so a download that fails halfway leaves nothing behind.  Failures raise
:class:`visualizer.data.download.DownloadError` with a sentence for the user.

State dicts are read with ``torch.load(..., weights_only=True)``.  :func:`load_vgg_state_dict` checks every key
and shape before it changes anything.  Qt-free; imports torch only inside the functions.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import numpy as np

from visualizer.data.download import DownloadError, ProgressCallback, ProgressForwarder

ARCHS = ("vgg16", "vgg19")
# ImageNet statistics the weights were trained with (torchvision's ImageClassification transform): feed
# (x - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None] for x (3, H, W) RGB in [0, 1].
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def _check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"unknown VGG architecture {arch!r}; choose from {', '.join(ARCHS)}")


def weights_url(arch: str) -> str:
    """The URL of torchvision's ImageNet weights for ``arch`` ("vgg16" or "vgg19"), from torchvision's weight
    enums (``VGG16_Weights.IMAGENET1K_V1.url``).  Raises ValueError for another arch."""
    _check_arch(arch)
    from torchvision.models import VGG16_Weights, VGG19_Weights

    weights = VGG16_Weights.IMAGENET1K_V1 if arch == "vgg16" else VGG19_Weights.IMAGENET1K_V1
    return weights.url


def weights_path(arch: str) -> Path:
    """Where torchvision keeps (or would keep) the weights file: ``torch.hub.get_dir()/checkpoints/<file>``."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlsplit(weights_url(arch)).path)


def vgg_weights_present(arch: str) -> bool:
    """True when the ImageNet weights file of ``arch`` is in torch's hub cache (a non-empty file where
    torchvision would look).  Never downloads; does not read the file (:func:`read_vgg_state` does)."""
    path = weights_path(arch)
    return path.is_file() and path.stat().st_size > 0


def _hash_prefix(path: Path) -> str | None:
    """The hex digits torchvision takes from a file name ``name-<hex>.ext`` (torch.hub's HASH_REGEX)."""
    from torch.hub import HASH_REGEX

    match = HASH_REGEX.search(path.name)
    return match.group(1) if match else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_vgg_weights(arch: str, progress: ProgressCallback | None = None, timeout: float = 30.0) -> Path:
    """Download the ImageNet weights of ``arch`` into torch's hub cache (replacing a file already there only
    once the new one is complete and checked) and return the file's path.

    progress: ``callback(message, fraction)``; timeout: seconds to wait for the server to connect and for each
    chunk.  Raises DownloadError when offline, on an HTTP error, when the connection breaks off (the partial
    file is deleted), when the sha256 does not start with the digits in the file's name, or when the cache
    cannot be written."""
    import pooch
    import requests

    from visualizer.data.download import _reason

    url, target = weights_url(arch), weights_path(arch)
    label = f"{arch.upper()} ImageNet weights"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
        os.close(fd)
    except OSError as e:
        problem = e.strerror or str(e)
        raise DownloadError(f"Cannot write torch's model cache {target.parent}: {problem}. Set TORCH_HOME to a "
                            "writable folder.", f"cannot write {target.parent}: {problem}") from e
    tmp = Path(tmp_name)
    try:
        bar = ProgressForwarder(progress, f"Downloading {label}") if progress else False
        downloader = pooch.HTTPDownloader(progressbar=bar, timeout=timeout, chunk_size=256 * 1024)
        try:
            downloader(url, str(tmp), None)
        except (requests.exceptions.RequestException, ValueError) as e:
            reason = _reason(e, url, timeout)
            if isinstance(e, requests.exceptions.ChunkedEncodingError):
                reason = f"the connection to {urlsplit(url).netloc} broke off during the download"
            raise DownloadError(f"Could not download {label}: {reason}. Nothing was saved; try again when "
                                f"online, or copy {target.name} into {target.parent}.", reason) from e
        prefix = _hash_prefix(target)
        if prefix and not _sha256(tmp).startswith(prefix):
            reason = f"the file from {urlsplit(url).netloc} does not match its checksum (damaged or incomplete)"
            raise DownloadError(f"Could not download {label}: {reason}. Nothing was saved.", reason)
        try:
            os.replace(tmp, target)
        except OSError as e:
            problem = e.strerror or str(e)
            raise DownloadError(f"Cannot write torch's model cache {target.parent}: {problem}.",
                                f"cannot write {target}: {problem}") from e
        return target
    finally:
        tmp.unlink(missing_ok=True)


def read_vgg_state(arch: str, *, download: bool = True, progress: ProgressCallback | None = None) -> dict:
    """The state dict (key -> float32 tensor on the CPU) in the weights file of ``arch``, downloaded first when
    absent and ``download`` is True.  Read with ``torch.load(weights_only=True)``, as torchvision's
    ``get_state_dict(check_hash=True)`` reads it.

    A file that cannot be read (truncated, not a checkpoint) is downloaded again when ``download`` is True
    (the damaged file is replaced only by a complete, checked one).  Raises DownloadError (download failed;
    nothing changed), FileNotFoundError (absent and ``download`` is False) or ValueError (damaged and
    ``download`` is False, or not a state dict), each naming the file."""
    import torch

    path = weights_path(arch)
    if not vgg_weights_present(arch):
        if not download:
            raise FileNotFoundError(f"The {arch.upper()} ImageNet weights are not in {path.parent} "
                                    f"(expected {path.name}); download them first.")
        download_vgg_weights(arch, progress)
    try:
        state = torch.hub.load_state_dict_from_url(weights_url(arch), model_dir=str(path.parent), map_location="cpu",
                                                   progress=False, check_hash=True, weights_only=True)
    except Exception as e:                       # torch.load: RuntimeError, EOFError, UnpicklingError, ...
        if not download:
            raise ValueError(f"The weights file {path} is damaged or not a PyTorch checkpoint "
                             f"({type(e).__name__}: {str(e).splitlines()[0][:120]}); delete it and download it "
                             "again.") from e
        download_vgg_weights(arch, progress)
        return read_vgg_state(arch, download=False)
    if not isinstance(state, Mapping):
        raise ValueError(f"The weights file {path} holds a {type(state).__name__}, not a state dict.")
    return dict(state)


def build_vgg(arch: str, width_div: int = 1, hidden: int = 4096, n_classes: int = 1000):
    """A VGG-16 or VGG-19 (:class:`visualizer.models.vgg_torch.VGG`) with torchvision's state-dict keys
    (``features.N.weight``, ``classifier.0/3/6``) and every convolution's channels divided by ``width_div``;
    randomly initialized, train mode.  Input (N, 3, H, W) float32 ImageNet-normalized -> logits (N, n_classes).
    Raises ValueError for an unknown arch or a width_div that does not divide 64."""
    from visualizer.models.vgg_torch import VGG, VGGConfig

    return VGG(VGGConfig(arch, width_div, hidden, n_classes))


def load_vgg_state_dict(model, state: Mapping[str, Any]) -> None:
    """Load ``state`` (key -> torch.Tensor or np.ndarray) into ``model`` after checking every key and shape.

    Atomic: when a key is missing or unexpected, a shape differs, a value is not numeric or not finite, the
    model is left untouched and ValueError names the key (and both shapes).  Values are cast to the model's
    dtype and device."""
    import torch

    own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing:
        raise ValueError(f"the weights lack {missing[0]!r}" + (f" and {len(missing) - 1} more keys"
                                                                   if len(missing) > 1 else "")
                         + " that the network needs (another architecture?)")
    if extra:
        raise ValueError(f"the weights hold {extra[0]!r}" + (f" and {len(extra) - 1} more keys" if len(extra) > 1
                                                                 else "") + " that the network does not have")
    ready = {}
    for key, target in own.items():
        value = state[key]
        try:
            tensor = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"{key!r} is not an array ({type(value).__name__})") from e
        if tuple(tensor.shape) != tuple(target.shape):
            raise ValueError(f"{key!r} has shape {tuple(tensor.shape)}; the network needs {tuple(target.shape)}")
        if target.is_floating_point():
            if not (tensor.is_floating_point() or tensor.dtype in (torch.int32, torch.int64, torch.uint8)):
                raise ValueError(f"{key!r} has dtype {tensor.dtype}, not a number type")
            if not bool(torch.isfinite(tensor).all()):
                raise ValueError(f"{key!r} holds NaN or infinite values")
        ready[key] = tensor.to(dtype=target.dtype, device=target.device)
    model.load_state_dict(ready, strict=True)


def load_vgg(arch: str, *, download: bool = True, progress: ProgressCallback | None = None):
    """torchvision's ``vgg16``/``vgg19`` with its ImageNet weights, on the CPU, in eval mode.

    The weights come from torch's hub cache, downloaded once when absent and ``download`` is True (see
    :func:`read_vgg_state`).  The ReLUs are switched to ``inplace=False`` (the same outputs) so that hooks see
    each convolution's own output and backward hooks work.  Input (N, 3, H, W) float32 normalized with
    IMAGENET_MEAN / IMAGENET_STD, H, W >= 32 -> logits (N, 1000).  Raises DownloadError, FileNotFoundError or
    ValueError as :func:`read_vgg_state` and :func:`load_vgg_state_dict` do."""
    import torch
    import torchvision

    _check_arch(arch)
    state = read_vgg_state(arch, download=download, progress=progress)
    model = getattr(torchvision.models, arch)(weights=None)
    load_vgg_state_dict(model, state)
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    return model.eval()
