"""The source model of transfer learning: a small VGG pretrained on the generated source shapes.

Ogawa's ch. 1 starts from VGG-16 pretrained on ImageNet; offline, the app starts from :class:`SmallVGG`
pretrained on :data:`visualizer.data.shapes.SOURCE_CLASSES` (8 shapes, 500 training images each, 32 px).  The
weights ship with the app (``weights/small_vgg_shapes.npz``, about 330 kB) and are reproducible with

    python -m visualizer.models.shapes_pretrained --out visualizer/models/weights/small_vgg_shapes.npz

which takes under 2 minutes on 2 CPU cores (``benchmarks/bench_pretrain.py`` measures it).  When the shipped
file is missing or damaged (its SHA-256 differs), :func:`load_source_model` pretrains the network now, with
progress, and caches it in the user's cache folder.  Imports torch at the top: import this module lazily.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from visualizer.data.shapes import SOURCE_CLASSES, source_sets
from visualizer.models.small_vgg_torch import (SmallVGG, SmallVGGConfig, build_small_vgg, load_numpy_state,
                                               numpy_state)

SHIPPED = Path(__file__).with_name("weights") / "small_vgg_shapes.npz"
SHIPPED_SHA256 = "31213c73baf2612fe219533158705b3ef7bdb2ab8481a0cc53dc94f92320a9fc"   # val_acc 0.9525, 79 s
CHECKPOINT_ID = "small_vgg_shapes"
EPOCHS, BATCH, MAX_LR, SEED, SIZE = 30, 64, 3e-3, 0, 32

Progress = Callable[[int, int], None]           # (done, total) in steps


def source_config() -> SmallVGGConfig:
    """The pretrained network's configuration: 8 source classes, widths 16/32/64, batch norm."""
    return SmallVGGConfig(len(SOURCE_CLASSES))


def pretrain(epochs: int = EPOCHS, seed: int = SEED, progress: Progress | None = None,
             threads: int | None = None, n_per_class: int = 500) -> tuple[SmallVGG, dict]:
    """Train a SmallVGG on the source shapes: Adam with a one-cycle learning-rate schedule (Smith 2018) up to
    ``MAX_LR``, batch 64, random horizontal flips, cross-entropy, ``n_per_class`` training images per source
    class (100 validation images each).  Deterministic for a seed on one machine (BLAS kernels differ between
    machines, so the last digits of the weights may too).

    Returns (model in eval mode, info {"val_acc", "seconds", "epochs", "source"}); progress(done, total) is
    called once per step.  threads: torch's intra-op threads while it runs (restored afterwards)."""
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        t0 = time.perf_counter()
        train, val = source_sets(n_per_class, size=SIZE, seed=seed)
        x, y = torch.from_numpy(train.images), torch.from_numpy(train.labels)          # (N, 3, 32, 32), (N,)
        model = build_small_vgg(source_config(), seed)
        steps_per_epoch = -(-len(x) // BATCH)
        total = epochs * steps_per_epoch
        opt = torch.optim.Adam(model.parameters(), MAX_LR / 25)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, MAX_LR, total_steps=total)
        gen = torch.Generator().manual_seed(seed)
        done = 0
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), BATCH):
                idx = perm[i:i + BATCH]
                xb = x[idx]
                flip = torch.rand(len(idx), generator=gen) < 0.5
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
                loss = F.cross_entropy(model(xb), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                done += 1
                if progress is not None:
                    progress(done, total)
        model.eval()
        acc = accuracy(model, val.images, val.labels)
        return model, {"val_acc": acc, "seconds": time.perf_counter() - t0, "epochs": epochs,
                       "source": f"pretrained on {len(SOURCE_CLASSES)} generated source shapes"}
    finally:
        torch.set_num_threads(old_threads)


@torch.no_grad()
def accuracy(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, batch: int = 500) -> float:
    """Share of ``images`` (N, 3, S, S) float32 classified as ``labels`` (N,) by the model in eval mode."""
    model.eval()
    hits = 0
    for i in range(0, len(images), batch):
        logits = model(torch.from_numpy(images[i:i + batch]))
        hits += int((logits.argmax(1).numpy() == labels[i:i + batch]).sum())
    return hits / max(len(images), 1)


def save(model: SmallVGG, info: dict, path: Path) -> None:
    """Write the model as a checkpoint (``visualizer.core.checkpoint``) with its config and info."""
    save_checkpoint(path, CHECKPOINT_ID, numpy_state(model), {"config": asdict(model.cfg), "info": info})


def load(path: Path) -> tuple[SmallVGG, dict]:
    """Read a model written by :func:`save`.  Raises CheckpointError (missing, damaged, does not fit)."""
    arrays, meta = load_checkpoint(path, CHECKPOINT_ID)
    try:
        model = SmallVGG(SmallVGGConfig(**meta["config"]))
        load_numpy_state(model, arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: {exc}") from exc
    return model.eval(), dict(meta.get("info", {}))


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached_path() -> Path:
    """Where a model pretrained on this machine is kept: ``small_vgg_shapes.npz`` in the download cache."""
    from visualizer.data.download import cache_dir
    return cache_dir() / "models" / "small_vgg_shapes.npz"


def load_source_model(progress: Progress | None = None) -> tuple[SmallVGG, dict]:
    """The pretrained source model and its info ({"val_acc", "seconds", "source", ...} plus "origin": "shipped",
    "cache" or "pretrained now").

    Order: the shipped file when its SHA-256 matches; else the cached one when it loads; else pretrain now
    (progress(done, total) per step; two torch threads: 85 s on 2 cores) and cache it (a cache that cannot be written
    is not an error: the model is returned anyway)."""
    if SHIPPED.is_file() and sha256(SHIPPED) == SHIPPED_SHA256:
        model, info = load(SHIPPED)
        return model, {**info, "origin": "shipped"}
    cache = cached_path()
    if cache.is_file():
        try:
            model, info = load(cache)
            return model, {**info, "origin": "cache"}
        except CheckpointError:
            pass                                  # damaged cache: pretrain again and overwrite it
    model, info = pretrain(progress=progress, threads=min(2, os.cpu_count() or 1))   # 129 s on 1 thread, 85 s on 2
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        save(model, info, cache)
    except OSError:
        pass
    return model, {**info, "origin": "pretrained now"}


def main(argv: list[str] | None = None) -> int:
    """Reproduce the shipped weights: ``python -m visualizer.models.shapes_pretrained --out PATH``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    model, info = pretrain(args.epochs, threads=args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(model, info, args.out)
    print(json.dumps({**info, "sha256": sha256(args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
