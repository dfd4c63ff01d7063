"""Every CUDA measurement of the project in one command (about 9 minutes on one GPU), then a summary table.

(a) engines: the scratch engine (NumPy, one thread) vs PyTorch on CUDA training the same MLP classifier on the
    same digits batches (``visualizer.models.classifier.build_classifier``, as ``bench_engines`` does on the CPU):
    steps per second and their ratio.
(b) lessons: for every lesson that trains on PyTorch (``visualizer.core.registry``; each built and stepped through
    the Lesson API only: ``train_step(step)``, ``flush()``, ``snapshot()``) on ``device=cuda``:
      * bare: ``train_step`` only, one ``torch.cuda.synchronize`` before each clock read;
      * visualized: the same plus what the app adds while it plays: ``flush()`` every 1/30 s (the session's
        ``DEVICE_FLUSH_INTERVAL``) and ``snapshot()`` at the session's rate (at most ``lesson.snapshot_hz``,
        and no more often than the snapshot budget allows: ``lesson.snapshot_budget`` or the app's 0.05);
      the overhead is visualized / bare - 1 (target <= 10 %; evaluation is left out of both).  Then the host
      syncs: ``torch.cuda.set_sync_debug_mode("warn")`` over ``--sync-steps`` (50) ``train_step`` calls after
      the warm-up, counting PyTorch's warnings (target 0 per step), and over one ``flush()`` (expected 1).
      A lesson that fails to build or step is reported as such and the others go on.  The book-size networks
      of issue #16 run as ``lesson@variant`` entries after the lessons' defaults (:data:`BOOK_VARIANTS`:
      ssd@ssd300, pspnet@pspnet50, openpose@openpose; and issue #18's video@eco_lite, ECO-Lite at 16 segments of
      224 px with AMP, :data:`VARIANT_SETTINGS`); ``--lessons ssd@ssd300`` picks one.  Then ``dqn@atari``
      (:data:`SETTING_ENTRIES`): DQN on Pong with the Nature settings (batch 32, Adam 1e-4, train every 4,
      target sync 1,000; a 16-step warm-up so updates are timed), also printed as env steps/s bare and
      visualized.  (This replaces ``bench_gan_cuda``, which measured dcgan alone through its internals.)
(c) precision: the CUDA rows of lesson ``precision_speed`` (``benchmarks/bench_precision.py``: float32,
    float16, bfloat16 MLPs on the 8x8 digits and a 784-512-512-10 MLP), next to NumPy float32.
(d) vgg: the book's network at full size (torchvision's VGG-16, random weights, 224 px, batch 8, float32, SGD
    with momentum; issue #15): ms per training step bare vs with what the interpretability views hook in
    (``visualizer.torch_backend.capture.Capture``: the activation of every convolution's ReLU and the output
    gradient of the last one, as Grad-CAM needs), armed and copied to the host with the loss at 30 Hz; the
    overhead is hooked / bare - 1 (target <= 10 %).  The hooks are removed for the bare phases.
(e) bert: BERT-base fine-tuning (``visualizer.models.bert_torch``, 110 M parameters, random weights: the check
    needs no download) for sentence classification at sequence length 256, batch 16, AdamW, AMP (float16 autocast
    with a GradScaler) on CUDA: steps per second bare vs visualized as the ``bert`` lesson visualizes (the loss
    read at 30 Hz, and at the snapshot rate a probe forward on one 128-token sentence under ``record_attention``
    with every layer x head copied to the host); overhead = visualized / bare - 1 (target <= 10 %).
    ``--bert-size tiny`` (and every dry run) uses a 2-layer, H = 64 BERT instead, so the path runs on a CPU;
    ``--only bert --bert-size tiny`` times it on the CPU when there is no CUDA device.
(f) ddp: ``torchrun --standalone --nproc-per-node 1 -m visualizer.cli --headless --lesson dcgan --device cuda``
    (one process, NCCL, the model under DistributedDataParallel; issue #19): the training steps/s the CLI reports,
    without and with ``--run-dir DIR`` (a fresh folder per run), alternating, median of 3 rounds; the ratio of
    step times with / without (target <= 1.05).  A dry run launches the same commands on the CPU (gloo) for 3
    steps.

Without a CUDA device it prints "no CUDA device: nothing measured" and exits 0.  ``--dry-run`` runs the same code
on the CPU for 2-3 steps of each measurement (no timing worth reading), so a test can check the script still
works as lessons change.  ``--budget-s`` (default 450) bounds the whole run: lessons left when it runs out are
listed as skipped.

Usage:  python -m benchmarks.gpu_check [--dry-run] [--only engines,lessons,precision,vgg,bert] [--lessons id,id]
                                       [--budget-s 450] [--sync-steps 50] [--bert-size base|tiny]
      (sections: engines, lessons, precision, vgg, bert, ddp)
"""
from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import tempfile
import statistics
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

SECTIONS = ("engines", "lessons", "precision", "vgg", "bert", "ddp")
BOOK_VARIANTS = ("ssd@ssd300", "pspnet@pspnet50", "openpose@openpose",   # the book-size models (issue #16)
                 "video@eco_lite")                                          # and ECO-Lite (issue #18)
# Settings a book entry needs besides its variant: ECO-Lite as the book runs it, 16 segments of 224 px frames
# (the lesson resizes its 32 px clips on the device), with AMP; few clips, as only the step time counts.
VARIANT_SETTINGS = {"video@eco_lite": {"segments": 16, "frames": 16, "batch_size": 8, "amp": True, "clips": 240}}
# Entries that are settings rather than a variant: dqn on Atari (issue #18) with the Nature DQN / CleanRL settings,
# but a warm-up of 16 steps so the timed steps include updates (one per 4 steps); reported as env steps/s.
SETTING_ENTRIES = {"dqn@atari": {"env": "atari", "atari_game": "pong", "lr": 1e-4, "batch_size": 32,
                                 "buffer_size": 100_000, "target_sync": 1000, "train_every": 4, "warmup": 16,
                                 "eps_start": 1.0, "eps_end": 0.01, "eps_decay_steps": 1_000_000}}
DRY_SETTINGS = {"dqn@atari": {"buffer_size": 1000, "warmup": 1}}   # dry: a small buffer (100,000 take 3.5 GB), an update
APP_SNAPSHOT_BUDGET = 0.05        # visualizer.ui.lesson_view.SNAPSHOT_BUDGET (not imported here: it is Qt)
OVERHEAD_TARGET = 0.10
RUN_DIR_TARGET = 1.05             # (f) step time with --run-dir / without, under torchrun


@dataclass
class Settings:
    """How long each measurement runs: ``dry`` (CPU, a few steps) or the real CUDA run."""

    device: str
    dry: bool
    warmup: int                 # untimed steps before timing
    phase_s: float              # wall seconds aimed at per timed phase (bare or visualized)
    min_steps: int
    max_steps: int
    rounds: int                 # bare / visualized alternations; the median counts
    sync_steps: int
    engine_steps: int
    precision_steps: tuple[int, int]     # digits, large
    deadline: float

    def synchronize(self) -> None:
        if self.device == "cuda":
            import torch
            torch.cuda.synchronize()

    def left(self) -> float:
        return self.deadline - time.perf_counter()


@dataclass
class Row:
    """One line of the summary: section, what was measured, the figures, the target and a verdict."""

    section: str
    item: str
    result: str
    target: str = ""
    verdict: str = ""
    details: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ #
# Host syncs
# ------------------------------------------------------------------------------------------------ #
def count_syncs(fn: Callable[[], Any], device: str) -> int:
    """Run ``fn()`` and count the synchronizing CUDA calls PyTorch reports under sync debug mode "warn"
    (on the CPU, where there is nothing to sync, the mode cannot be set and the count is 0)."""
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if device == "cuda":
            torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            if device == "cuda":
                torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message).lower() for w in caught)


# ------------------------------------------------------------------------------------------------ #
# (a) engines
# ------------------------------------------------------------------------------------------------ #
def measure_engines(s: Settings) -> list[Row]:
    """Steps per second of the scratch engine and PyTorch on ``s.device`` for MLP classifiers on the digits."""
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_limits

    from benchmarks.bench_engines import batches, steps_per_second
    from visualizer.models.classifier import MLPConfig, build_classifier

    x, y = load_digits(return_X_y=True)
    x, y = (x / 16.0).astype(np.float32), y.astype(np.int64)
    rows = []
    print(f"\n(a) engines: NumPy (one thread) vs torch on {s.device}, digits, Adam lr 3e-3, float32, "
          f"{s.engine_steps} steps each after a warm-up")
    print(f"{'model':22} {'batch':>5} {'numpy steps/s':>14} {'torch steps/s':>14} {'torch/numpy':>12}")
    for hidden, batch in (((128,), 32), ((128,), 128), ((512, 512), 512)):
        config = MLPConfig(64, hidden, 10, activation="relu", dtype="float32", seed=0)
        idx = batches(len(x), batch, s.engine_steps, 0)
        rate = {}
        with threadpool_limits(limits=1, user_api="blas"):
            for engine, device in (("numpy", "cpu"), ("torch", s.device)):
                clf = build_classifier(config, engine, device=device, optimizer="adam", lr=3e-3)
                steps_per_second(clf, x, y, idx[:s.warmup], device)          # warm-up
                rate[engine] = steps_per_second(clf, x, y, idx, device)
        name = f"MLP 64-{'-'.join(map(str, hidden))}-10"
        ratio = rate["torch"] / rate["numpy"]
        print(f"{name:22} {batch:5d} {rate['numpy']:14.0f} {rate['torch']:14.0f} {ratio:11.2f}x", flush=True)
        rows.append(Row("engines", f"{name}, batch {batch}",
                        f"numpy {rate['numpy']:.0f}/s, torch {s.device} {rate['torch']:.0f}/s = {ratio:.2f}x",
                        details=dict(rate, ratio=ratio)))
    return rows


# ------------------------------------------------------------------------------------------------ #
# (b) lessons: visualization overhead and host syncs
# ------------------------------------------------------------------------------------------------ #
def torch_lessons() -> list[str]:
    """Ids of the registered lessons that train on PyTorch (metadata only: no model code imported)."""
    from visualizer.core import registry

    return [lesson_id for lesson_id, info in registry.infos().items() if "torch" in info.engines]


def bare_vs_visualized(s: Settings, n: int, advance: Callable[[], Any], flush: Callable[[], Any],
                       snapshot: Callable[[], Any], snap_cost: float, hz: float, budget: float, rounds: int,
                       first_snapshot: bool = False) -> tuple[float, float, int, int]:
    """Median seconds per step of ``n`` steps of ``advance``, bare and with the app's visualization path:
    ``flush`` (the one host read of the device-side metrics) at 30 Hz and at the end, ``snapshot`` at ``hz``,
    or less often when one costs more than ``budget`` of the time (``snap_cost``: the last one's seconds), as
    the window asks for them.  ``first_snapshot``: one snapshot at the first step whatever the rate (dry runs).
    Returns (bare, visualized, flushes, snapshots), the counts summed over ``rounds`` alternating rounds."""

    def bare() -> float:
        s.synchronize()
        start = time.perf_counter()
        for _ in range(n):
            advance()
        s.synchronize()
        elapsed = time.perf_counter() - start
        flush()                                          # empties the window, outside the timing
        return elapsed / n

    def visualized() -> tuple[float, int, int]:
        nonlocal snap_cost
        flushes = snapshots = 0
        s.synchronize()
        start = last_flush = last_snap = time.perf_counter()
        for _ in range(n):
            advance()
            now = time.perf_counter()
            if now - last_flush >= 1 / 30:
                flush()
                flushes += 1
                last_flush = time.perf_counter()
            if now - last_snap >= max(1 / hz, snap_cost / budget) or (first_snapshot and not snapshots):
                t = time.perf_counter()
                snapshot()
                last_snap = time.perf_counter()
                snap_cost = last_snap - t
                snapshots += 1
        flush()
        flushes += 1
        s.synchronize()
        return (time.perf_counter() - start) / n, flushes, snapshots

    bares, visual, flushes, snapshots = [], [], 0, 0
    for _ in range(rounds):
        bares.append(bare())
        v, f, sn = visualized()
        visual.append(v)
        flushes, snapshots = flushes + f, snapshots + sn
    return statistics.median(bares), statistics.median(visual), flushes, snapshots


def measure_lesson(lesson_cls, s: Settings, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bare vs visualized step time and host syncs of one lesson class on ``s.device`` (see the module
    docstring).  Returns bare_ms, visual_ms, overhead (fraction), flushes, snapshots, syncs_per_step,
    flush_syncs.  ``overrides``: hyperparameters set on top (e.g. ``{"variant": "ssd300"}``).  Exceptions of
    the lesson propagate."""
    lesson = lesson_cls(lesson_cls.hyperparameters({"engine": "torch", "device": s.device, **(overrides or {})}))
    try:
        step_fn = lesson.train_step
        step = 0

        def advance() -> None:
            nonlocal step
            step += 1
            step_fn(step)

        t0 = time.perf_counter()
        for _ in range(s.warmup):
            advance()
        lesson.flush()
        t_snap = time.perf_counter()
        lesson.snapshot()
        s.synchronize()
        snap_cost = time.perf_counter() - t_snap
        per_step = max((t_snap - t0) / max(s.warmup, 1), 1e-6)
        n = int(min(max(s.phase_s / per_step, s.min_steps), s.max_steps))
        budget = lesson.snapshot_budget or APP_SNAPSHOT_BUDGET
        hz = lesson.snapshot_hz

        b, v, flushes, snapshots = bare_vs_visualized(s, n, advance, lesson.flush, lesson.snapshot, snap_cost, hz,
                                                      budget, s.rounds)

        syncs = count_syncs(lambda: [advance() for _ in range(s.sync_steps)], s.device)
        flush_syncs = count_syncs(lesson.flush, s.device)
        return {"bare_ms": b * 1e3, "visual_ms": v * 1e3, "overhead": v / b - 1, "steps": n,
                "flushes": flushes, "snapshots": snapshots, "syncs_per_step": syncs / max(s.sync_steps, 1),
                "flush_syncs": flush_syncs}
    finally:
        lesson.close()


def entry_settings(lesson_id: str, s: Settings) -> dict[str, Any] | None:
    """The hyperparameters an entry sets: ``lesson@variant`` -> the variant (and VARIANT_SETTINGS); a
    SETTING_ENTRIES entry -> its settings (DRY_SETTINGS on top in a dry run, where the Atari entry also sets
    DLVIS_ATARI_ON_CPU=1 for this process: Atari is refused on the CPU without it); a plain id -> None."""
    if lesson_id in SETTING_ENTRIES:
        if s.dry:
            os.environ["DLVIS_ATARI_ON_CPU"] = "1"
        return {**SETTING_ENTRIES[lesson_id], **(DRY_SETTINGS.get(lesson_id, {}) if s.dry else {})}
    _, _, variant = lesson_id.partition("@")
    return {"variant": variant, **VARIANT_SETTINGS.get(lesson_id, {})} if variant else None


def measure_lessons(ids: list[str], s: Settings) -> list[Row]:
    """:func:`measure_lesson` for each lesson id; a lesson that fails (or finds the time budget spent) gets
    its row and the next one goes on."""
    from visualizer.core import registry

    print(f"\n(b) lessons on torch/{s.device}: bare vs visualized step time (flush at 30 Hz, snapshots at the "
          f"app's rate), host syncs over {s.sync_steps} steps")
    print(f"{'lesson':16} {'bare ms':>9} {'vis. ms':>9} {'overhead':>9} {'flushes':>8} {'snaps':>6} "
          f"{'syncs/step':>11} {'per flush':>10}")
    rows = []
    for lesson_id in ids:
        if s.left() < 20 and not s.dry:
            rows.append(Row("lessons", lesson_id, "skipped: time budget spent", verdict="SKIP"))
            print(f"{lesson_id:16} skipped: time budget spent", flush=True)
            continue
        try:
            r = measure_lesson(registry.get(lesson_id.partition("@")[0]), s, entry_settings(lesson_id, s))
        except Exception as e:                     # one lesson's failure must not stop the check
            message = f"{type(e).__name__}: {e}".splitlines()[0][:160]
            print(f"{lesson_id:16} FAILED {message}", flush=True)
            if s.dry:
                traceback.print_exc(limit=3, file=sys.stdout)
            rows.append(Row("lessons", lesson_id, f"FAILED {message}", verdict="ERROR"))
            continue
        finally:
            gc.collect()
            if s.device == "cuda":
                import torch
                torch.cuda.empty_cache()
        ok = r["overhead"] <= OVERHEAD_TARGET and r["syncs_per_step"] == 0
        print(f"{lesson_id:16} {r['bare_ms']:9.3f} {r['visual_ms']:9.3f} {r['overhead']:8.1%} {r['flushes']:8d} "
              f"{r['snapshots']:6d} {r['syncs_per_step']:11.2f} {r['flush_syncs']:10d}", flush=True)
        rate = ""
        if lesson_id in SETTING_ENTRIES:                     # dqn: a step is an environment step
            rate = f"{1e3 / r['bare_ms']:.0f} -> {1e3 / r['visual_ms']:.0f} env steps/s, "
            print(f"{'':16} env steps/s: {1e3 / r['bare_ms']:.0f} bare, {1e3 / r['visual_ms']:.0f} visualized",
                  flush=True)
        rows.append(Row("lessons", lesson_id,
                        f"{rate}{r['bare_ms']:.3f} -> {r['visual_ms']:.3f} ms/step ({r['overhead']:+.1%}), "
                        f"{r['syncs_per_step']:.2f} syncs/step, {r['flush_syncs']} per flush",
                        "<= 10 %, 0 syncs/step", "dry" if s.dry else "PASS" if ok else "FAIL", r))
    return rows


# ------------------------------------------------------------------------------------------------ #
# (c) precision_speed's CUDA rows
# ------------------------------------------------------------------------------------------------ #
def measure_precision(s: Settings) -> list[Row]:
    """``bench_precision``'s configurations on ``s.device`` (CUDA: float32, float16, bfloat16; a dry run: torch
    CPU float32) next to NumPy float32, for both sizes."""
    from threadpoolctl import threadpool_limits

    from benchmarks import bench_precision as bp

    import torch
    torch.set_num_threads(1)
    wanted = ("cuda_float32", "cuda_float16", "cuda_bfloat16") if s.device == "cuda" else ("cpu_float32",)
    configs = [c for c in bp.configs(True) if c.key in ("np_float32",) + wanted]
    if len(configs) < 1 + len(wanted):
        raise RuntimeError(f"bench_precision offers {[c.key for c in configs]}, not all of {wanted}")
    rows = []
    print(f"\n(c) precision_speed on {s.device}: plain SGD, steps/s and validation accuracy")
    with threadpool_limits(limits=1):
        for size, steps in zip(("digits", "large"), s.precision_steps):
            results = [(c, bp.bench(c, size, steps, 30.0 if not s.dry else 5.0)) for c in configs]
            ref = results[0][1]["steps_per_s"]
            for c, r in results:
                acc = "-" if np.isnan(r["acc"]) else f"{r['acc']:.3f}"
                line = f"{r['steps_per_s']:.0f} steps/s = {r['steps_per_s'] / ref:.2f}x NumPy f32, val acc {acc}"
                line += "" if r["finite"] else " (overflowed)"
                print(f"  {size:7} {c.label:22} {line}", flush=True)
                rows.append(Row("precision", f"{size}: {c.label}", line, details=r))
    return rows


# ------------------------------------------------------------------------------------------------ #
# (d) the full VGG-16 with the interpretability hooks
# ------------------------------------------------------------------------------------------------ #
def measure_vgg(s: Settings) -> list[Row]:
    """Bare vs hooked training step of torchvision's VGG-16 at 224 px (see the module docstring): batch 8 on
    CUDA; a dry run uses batch 1 and two steps in all (one bare, one hooked, no warm-up)."""
    import torch
    import torchvision

    from visualizer.torch_backend.capture import Capture

    batch = 1 if s.dry else 8
    torch.manual_seed(0)
    model = torchvision.models.vgg16(weights=None)
    relus = {}
    for i, m in enumerate(model.features):
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False                 # as visualizer.data.vgg_weights.load_vgg: hooks see their own tensors
            relus[f"features.{i}"] = m
    last = list(relus)[-1]
    model = model.to(s.device).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, 3, 224, 224, generator=g).to(s.device)
    y = torch.randint(0, 1000, (batch,), generator=g).to(s.device)
    loss_sum = torch.zeros((), device=s.device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss_sum.add_(loss.detach())          # device-side metric, read at the flush only

    warm = 0 if s.dry else s.warmup
    t0 = time.perf_counter()
    for _ in range(warm):
        step()
    s.synchronize()
    per_step = max((time.perf_counter() - t0) / max(warm, 1), 1e-6)
    n = 1 if s.dry else int(min(max(s.phase_s / per_step, s.min_steps), s.max_steps))

    def bare() -> float:
        s.synchronize()
        start = time.perf_counter()
        for _ in range(n):
            step()
        s.synchronize()
        return (time.perf_counter() - start) / n

    def hooked() -> tuple[float, int, int, int]:
        acts = Capture(relus, "activation")
        grads = Capture({last: relus[last]}, "gradient")
        flushes = maps = nbytes = 0
        try:
            acts.request()
            grads.request()
            s.synchronize()
            start = last_flush = time.perf_counter()
            for i in range(n):
                step()
                now = time.perf_counter()
                if now - last_flush >= 1 / 30 or i == n - 1:
                    got = {**acts.latest(), **{f"grad {k}": v for k, v in grads.latest().items()}}
                    float(loss_sum.item())
                    maps, nbytes = len(got), sum(v.nbytes for v in got.values())
                    acts.request()
                    grads.request()
                    flushes += 1
                    last_flush = time.perf_counter()
            s.synchronize()
            return (time.perf_counter() - start) / n, flushes, maps, nbytes
        finally:
            acts.remove()
            grads.remove()

    bares, hooks, flushes, maps, nbytes = [], [], 0, 0, 0
    for _ in range(1 if s.dry else s.rounds):
        bares.append(bare())
        h, f, maps, nbytes = hooked()
        hooks.append(h)
        flushes += f
    b, h = statistics.median(bares), statistics.median(hooks)
    overhead = h / b - 1
    print(f"\n(d) vgg on {s.device}: torchvision VGG-16, 224 px, batch {batch}, float32, SGD; steps per phase: {n}")
    print(f"  bare {b * 1e3:.1f} ms/step, hooked {h * 1e3:.1f} ms/step ({overhead:+.1%}); {flushes} flushes of "
          f"{maps} maps ({len(relus)} activation maps + 1 gradient map, {nbytes / 2**20:.1f} MiB each flush)",
          flush=True)
    verdict = "dry" if s.dry else "PASS" if overhead <= OVERHEAD_TARGET else "FAIL"
    return [Row("vgg", f"VGG-16 224 px batch {batch}",
                f"{b * 1e3:.1f} -> {h * 1e3:.1f} ms/step ({overhead:+.1%}) with {maps} maps at 30 Hz",
                "<= 10 %", verdict, {"bare_ms": b * 1e3, "hooked_ms": h * 1e3, "overhead": overhead,
                                     "steps": n, "flushes": flushes, "maps": maps, "bytes": nbytes})]


# ------------------------------------------------------------------------------------------------ #
# (e) BERT-base fine-tuning at sequence length 256 with AMP
# ------------------------------------------------------------------------------------------------ #
BERT_SEQ_LEN, BERT_BATCH, BERT_PROBE_LEN = 256, 16, 128


def measure_bert(s: Settings, size: str = "base") -> list[Row]:
    """Steps/s of BERT fine-tuning bare vs visualized (see the module docstring).  ``size`` "base": BERT-base
    (12 layers, H 768); "tiny": 2 layers, H 64 (forced in a dry run, batch 2)."""
    import torch

    from visualizer.models.bert_torch import BertConfig, BertForSequenceClassification
    from visualizer.models.transformer_torch import record_attention

    if s.dry:
        size = "tiny"
    cfg = BertConfig() if size == "base" else BertConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2,
                                                         num_attention_heads=2, intermediate_size=128)
    batch = 2 if s.dry else BERT_BATCH
    amp = s.device == "cuda"
    torch.manual_seed(0)
    model = BertForSequenceClassification(cfg).to(s.device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
    scaler = torch.amp.GradScaler("cuda") if amp else None
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, cfg.vocab_size, (batch, BERT_SEQ_LEN), generator=g).to(s.device)   # (B, T)
    ids[:, 0] = 2                                                                             # [CLS]
    y = torch.randint(0, 2, (batch,), generator=g).to(s.device)
    probe = ids[:1, :BERT_PROBE_LEN].clone()                                                  # (1, 128)
    loss_sum = torch.zeros((), device=s.device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(s.device, dtype=torch.float16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(model(ids), y)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        loss_sum.add_(loss.detach().float())   # device-side metric, read at the flush only

    def snapshot() -> int:
        """The lesson's attention probe: one sentence, every layer x head, copied to the host."""
        model.eval()
        with torch.no_grad(), torch.autocast(s.device, dtype=torch.float16, enabled=amp), \
                record_attention(model) as rec:
            model(probe)
        model.train()
        return rec.weights.numpy().nbytes

    warm = 0 if s.dry else s.warmup
    t0 = time.perf_counter()
    for _ in range(warm):
        step()
    s.synchronize()
    per_step = max((time.perf_counter() - t0) / max(warm, 1), 1e-6)
    n = 1 if s.dry else int(min(max(s.phase_s / per_step, s.min_steps), s.max_steps))
    t = time.perf_counter()
    snap_bytes = snapshot()
    snap_cost = time.perf_counter() - t

    b, v, flushes, snaps = bare_vs_visualized(s, n, step, lambda: float(loss_sum.item()), snapshot, snap_cost, 20.0,
                                              APP_SNAPSHOT_BUDGET, 1 if s.dry else s.rounds, first_snapshot=s.dry)
    overhead = v / b - 1
    n_params = sum(p.numel() for p in model.parameters())
    what = (f"BERT-{size} ({cfg.num_hidden_layers} layers, H {cfg.hidden_size}, {n_params / 1e6:.1f} M parameters), "
            f"T {BERT_SEQ_LEN}, batch {batch}, {'AMP float16' if amp else 'float32'}")
    print(f"\n(e) bert on {s.device}: {what}; steps per phase: {n}")
    print(f"  bare {1 / b:.2f} steps/s ({b * 1e3:.1f} ms), visualized {1 / v:.2f} steps/s ({v * 1e3:.1f} ms, "
          f"{overhead:+.1%}); {flushes} flushes, {snaps} attention snapshots of {snap_bytes / 2**20:.2f} MiB",
          flush=True)
    verdict = "dry" if s.dry else "PASS" if overhead <= OVERHEAD_TARGET else "FAIL"
    return [Row("bert", f"BERT-{size} fine-tune T {BERT_SEQ_LEN}",
                f"{1 / b:.2f} -> {1 / v:.2f} steps/s ({overhead:+.1%}) with attention at the snapshot rate",
                "<= 10 %", verdict, {"bare_ms": b * 1e3, "visual_ms": v * 1e3, "overhead": overhead, "steps": n,
                                     "flushes": flushes, "snapshots": snaps, "size": size, "amp": amp})]


# ------------------------------------------------------------------------------------------------ #
# ------------------------------------------------------------------------------------------------ #
# (f) ddp: torchrun with one process, with and without a run directory
# ------------------------------------------------------------------------------------------------ #
_RATE = re.compile(r": (\d+) steps in ([\d.]+) s \(([\d.]+) steps/s\)")


def torchrun_rate(s: Settings, lesson: str, steps: int, extra: list[str]) -> float:
    """Training steps/s that ``torchrun --nproc-per-node 1 -m visualizer.cli --headless`` reports for ``lesson``
    on ``s.device`` (NCCL on CUDA, gloo on the CPU).  Raises RuntimeError with the run's last lines if it fails."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                                            "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=root + os.pathsep + env.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "1",
           "-m", "visualizer.cli", "--headless", "--lesson", lesson, "--steps", str(steps), "--device", s.device,
           *extra]
    r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=max(60.0, s.left()))
    m = _RATE.search(r.stdout)
    if r.returncode != 0 or m is None:
        tail = " | ".join((r.stdout + r.stderr).strip().splitlines()[-3:])
        raise RuntimeError(f"exit {r.returncode}: {tail[-300:]}")
    return float(m.group(3))


def measure_ddp(s: Settings, lesson: str = "dcgan") -> list[Row]:
    """(f): step time of a one-process torchrun (DDP) run of ``lesson`` without and with ``--run-dir``."""
    steps, rounds = (3, 1) if s.dry else (1500, 3)
    backend = "nccl" if s.device == "cuda" else "gloo"
    print(f"\n(f) ddp: torchrun --nproc-per-node 1 ({backend}), {lesson} on {s.device}, {steps} steps per run, "
          f"{rounds} rounds alternating without / with --run-dir")
    rates: dict[str, list[float]] = {"without": [], "with": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            if s.left() <= 0:
                break
            rates["without"].append(torchrun_rate(s, lesson, steps, []))
            rates["with"].append(torchrun_rate(s, lesson, steps, ["--run-dir", os.path.join(tmp, f"run{i}")]))
            print(f"  round {i + 1}: {rates['without'][-1]:.1f} / {rates['with'][-1]:.1f} steps/s", flush=True)
    if not rates["with"]:
        return [Row("ddp", f"{lesson}, 1 process, {backend}", "skipped: no time left", verdict="SKIP")]
    bare, written = statistics.median(rates["without"]), statistics.median(rates["with"])
    ratio = bare / written                             # step time with / without
    verdict = "dry" if s.dry else "PASS" if ratio <= RUN_DIR_TARGET else "FAIL"
    return [Row("ddp", f"{lesson}, 1 process, {backend}",
                f"{bare:.1f} steps/s without --run-dir, {written:.1f} with: step time {ratio:.3f}x",
                f"<= {RUN_DIR_TARGET:.2f}x", verdict, details={"without": bare, "with": written, "ratio": ratio})]


def print_summary(rows: list[Row], device_name: str) -> None:
    print(f"\nSummary ({device_name})")
    width = max([len(r.item) for r in rows] + [10])
    print(f"{'section':10} {'item':{width}} {'verdict':7} result")
    for r in rows:
        print(f"{r.section:10} {r.item:{width}} {r.verdict:7} {r.result}")
    failed = [r.item for r in rows if r.verdict in ("FAIL", "ERROR")]
    print(f"{len(rows)} rows; {len(failed)} failing or broken" + (f": {', '.join(failed)}" if failed else ""))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="run the same code on the CPU for 2-3 steps each")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {', '.join(SECTIONS)}")
    ap.add_argument("--lessons", default=None,
                    help="comma-separated lesson ids, id@variant for a book variant (default: every torch lesson, "
                         "then " + ", ".join(BOOK_VARIANTS + tuple(SETTING_ENTRIES)) + ")")
    ap.add_argument("--budget-s", type=float, default=450.0, help="wall-clock budget of the whole run (s)")
    ap.add_argument("--sync-steps", type=int, default=50, help="steps counted for host syncs per lesson")
    ap.add_argument("--bert-size", choices=("base", "tiny"), default="base",
                    help="section bert: BERT-base, or a 2-layer H 64 BERT that also runs on a CPU (dry runs: tiny)")
    args = ap.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the sections asked for; returns the exit status (0, also when nothing could be measured)."""
    args = parse_args(argv)
    import torch

    cpu_bert = args.only == "bert" and args.bert_size == "tiny" and not torch.cuda.is_available()
    if not args.dry_run and not torch.cuda.is_available() and not cpu_bert:
        print(f"gpu_check: no CUDA device: nothing measured (torch {torch.__version__}, built for CUDA "
              f"{torch.version.cuda or 'none'}).  --dry-run runs the same code on the CPU.")
        return 0
    start = time.perf_counter()
    if args.dry_run:
        s = Settings("cpu", True, warmup=1, phase_s=0.0, min_steps=1, max_steps=1, rounds=1,
                     sync_steps=min(args.sync_steps, 1), engine_steps=3, precision_steps=(2, 2),
                     deadline=start + args.budget_s)
        device_name = "dry run on the CPU: code paths only, no timing worth reading"
    elif cpu_bert:             # the tiny BERT's real timing on the CPU (no AMP there)
        s = Settings("cpu", False, warmup=3, phase_s=3.0, min_steps=5, max_steps=100, rounds=3,
                     sync_steps=0, engine_steps=0, precision_steps=(0, 0), deadline=start + args.budget_s)
        device_name = f"CPU ({torch.get_num_threads()} threads), torch {torch.__version__}"
    else:
        s = Settings("cuda", False, warmup=20, phase_s=1.5, min_steps=20, max_steps=400, rounds=3,
                     sync_steps=args.sync_steps, engine_steps=300, precision_steps=(400, 40),
                     deadline=start + args.budget_s)
        device_name = f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    print(f"gpu_check: {device_name}; sections {args.only}")
    sections = args.only.split(",")
    rows: dict[str, list[Row]] = {}
    runners = {"engines": lambda: measure_engines(s), "precision": lambda: measure_precision(s),
               "vgg": lambda: measure_vgg(s), "bert": lambda: measure_bert(s, args.bert_size),
               "ddp": lambda: measure_ddp(s),
               "lessons": lambda: measure_lessons(args.lessons.split(",") if args.lessons
                                                  else torch_lessons() + list(BOOK_VARIANTS) + list(SETTING_ENTRIES),
                                                  s)}
    for name in ("engines", "precision", "vgg", "bert", "ddp", "lessons"):    # the short, bounded ones first
        if name not in sections:
            continue
        try:
            rows[name] = runners[name]()
        except Exception as e:                          # a broken section is reported, the others still run
            message = f"{type(e).__name__}: {e}".splitlines()[0][:160]
            print(f"({name}) FAILED {message}", flush=True)
            traceback.print_exc(limit=3, file=sys.stdout)
            rows[name] = [Row(name, "(section)", f"FAILED {message}", verdict="ERROR")]
    print_summary([r for name in SECTIONS for r in rows.get(name, [])], device_name)
    print(f"gpu_check took {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
