"""The cost of the dcgan lesson's visualization path on CUDA, and a check that training never syncs per step.

Needs an NVIDIA GPU (exits with a message otherwise).  With the lesson's default settings on ``device=cuda``
(``--set`` to change them, e.g. ``--set image_size=32 --set batch_size=128``) it measures, alternating
``--rounds`` times over ``--steps`` steps each:
  * bare: ``GanEngine.step`` only (no metrics read, no snapshots), one ``torch.cuda.synchronize`` at the end;
  * visualized: ``lesson.train_step`` (metrics read every k = 10 steps: one host sync per k steps),
    ``lesson.evaluate`` every ``eval_every`` steps, and ``lesson.snapshot`` (grid + interpolation copied to the
    host) whenever 1/``--snapshot-hz`` s of wall time has passed, as the app's 30 Hz redraw would ask;
and reports the mean step time of each and their ratio (target issue #6: visualized / bare ≤ 1.10).

Sync check: with ``torch.cuda.set_sync_debug_mode("warn")`` it counts the synchronizing CUDA calls PyTorch
reports during ``--sync-steps`` training steps: the steps that return {} must report none (no per-step host
sync) and each reporting step exactly one (``read_metrics``); then it runs the non-reporting steps again under
``"error"`` mode, which raises on any sync.

    python -m benchmarks.bench_gan_cuda [--steps 500] [--rounds 3] [--snapshot-hz 30] [--sync-steps 100]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings


def count_syncs(fn) -> int:
    """Run fn() under sync debug mode "warn" and count PyTorch's synchronization warnings."""
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message).lower() for w in caught)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--snapshot-hz", type=float, default=30.0)
    ap.add_argument("--sync-steps", type=int, default=100)
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args()

    import torch

    if not torch.cuda.is_available():
        print(f"bench_gan_cuda: PyTorch {torch.__version__} finds no CUDA GPU on this machine "
              f"(built for CUDA {torch.version.cuda or 'none'}); this benchmark needs one. Nothing measured.")
        sys.exit(2)

    from lessons.dcgan.lesson import LESSON
    from visualizer.core.hyperparams import parse_assignment

    values = dict(parse_assignment(s) for s in args.sets)
    values["device"] = "cuda"
    lesson = LESSON(LESSON.hyperparameters(values))
    engine, hp = lesson.engine, lesson.hp
    k = lesson.metrics_every
    print(f"device {torch.cuda.get_device_name()}, torch {torch.__version__}; settings {hp.as_dict()}; "
          f"metrics every k = {k} steps")
    saturating = hp["g_loss"] == "minimax"

    def bare(n: int) -> float:
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(n):
            engine.step(hp["batch_size"], saturating)
        torch.cuda.synchronize()
        engine.read_metrics()                 # drop the accumulated window (outside the timing)
        return (time.perf_counter() - t0) / n

    def visualized(n: int) -> tuple[float, int]:
        period = 1.0 / args.snapshot_hz
        snapshots = 0
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        last = t0
        for _ in range(n):
            lesson.train_step()
            if lesson.t % lesson.eval_every == 0:
                lesson.evaluate()
            now = time.perf_counter()
            if now - last >= period:
                lesson.snapshot()
                snapshots += 1
                last = now
        torch.cuda.synchronize()
        return (time.perf_counter() - t0) / n, snapshots

    # warm-up (cuDNN autotuning, allocator)
    for _ in range(50):
        lesson.train_step()
    lesson.snapshot()
    lesson.evaluate()
    torch.cuda.synchronize()

    # ---- sync check --------------------------------------------------------------------------------
    while lesson.t % k:                      # align so the next k − 1 steps do not report
        lesson.train_step()
    quiet, reporting, empty_ok = 0, 0, True
    for _ in range(max(1, args.sync_steps // k)):
        for _ in range(k - 1):
            out = []
            quiet += count_syncs(lambda: out.append(lesson.train_step()))
            empty_ok &= out[0] == {}
        reporting += count_syncs(lesson.train_step)
    n_windows = max(1, args.sync_steps // k)
    print(f"sync check ({n_windows * k} steps): {quiet} syncs in {n_windows * (k - 1)} non-reporting steps "
          f"(target 0), {reporting} in {n_windows} reporting steps (expected {n_windows}: one read per k steps)")
    strict_ok = True
    if k > 1:
        torch.cuda.set_sync_debug_mode("error")
        try:
            for _ in range(k - 1):
                engine.step(hp["batch_size"], saturating)
        except RuntimeError as e:
            strict_ok = False
            print(f"  sync debug mode 'error' raised inside a training step: {e}")
        finally:
            torch.cuda.set_sync_debug_mode("default")
        engine.read_metrics()
    else:
        print("  k = 1 on this device: every step reports (no strict check)")
    no_sync = quiet == 0 and empty_ok and strict_ok
    print(f"no per-step host sync -> {'PASS' if no_sync else 'FAIL'}")

    # ---- timing ------------------------------------------------------------------------------------
    bares, vis, snaps = [], [], []
    for _ in range(args.rounds):
        bares.append(bare(args.steps))
        t, s = visualized(args.steps)
        vis.append(t)
        snaps.append(s)
    b, v = statistics.median(bares), statistics.median(vis)
    for i, (x, y, s) in enumerate(zip(bares, vis, snaps), 1):
        print(f"  round {i}: bare {x * 1e3:.3f} ms/step, visualized {y * 1e3:.3f} ms/step "
              f"({s} snapshots, {s / (y * args.steps):.1f}/s)")
    ratio = v / b
    print(f"step time visualized / bare: {v * 1e3:.3f} / {b * 1e3:.3f} ms = {ratio:.3f}x   target <= 1.10x -> "
          f"{'PASS' if ratio <= 1.10 else 'FAIL'}")
    lesson.close()


if __name__ == "__main__":
    main()
