"""Steps per second of the style_transfer lesson on this machine, and the picture its defaults make in a given time.

1. Speed: the lesson's default settings with the offline random features, timed at 64 and 128 px with one torch
   thread and with two (the ratio says what a second core buys), after a few warm-up steps.
2. Result: the defaults at 128 px (astronaut in the strokes style) trained for ``--seconds`` of wall time (the
   issue asks for a recognisably stylised image within 2 minutes); prints the steps reached and the time to 100,
   200 and 400 steps, and saves content | result | style side by side to ``--png``.

    python -m benchmarks.bench_style_transfer [--steps 30] [--seconds 120] [--png /tmp/shots/style-result.png]
        [--device cpu] [--set k=v]
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def build(size: str, device: str, threads: int, extra: dict):
    from lessons.style_transfer.lesson import LESSON
    return LESSON(LESSON.hyperparameters({"image_size": size, "features": "random", "device": device,
                                          "cpu_threads": threads, **extra}))


def steps_per_second(size: str, device: str, threads: int, steps: int, extra: dict) -> float:
    """Steps/s of ``steps`` training steps (after 3 warm-up steps), metrics flushed every step as the app does
    on the CPU."""
    import torch
    les = build(size, device, threads, extra)
    for s in range(1, 4):
        les.train_step(s)
        les.flush()
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for s in range(4, 4 + steps):
        les.train_step(s)
        if device == "cpu" or s % 10 == 0:
            les.flush()
    les.flush()
    if device == "cuda":
        torch.cuda.synchronize()
    rate = steps / (time.perf_counter() - t)
    les.close()
    return rate


def save_result(les, path: str) -> None:
    from PIL import Image
    row = np.concatenate([les.content, les.current_image(), les.style], axis=1)         # (S, 3S, 3)
    img = Image.fromarray((np.clip(row, 0, 1) * 255).astype(np.uint8))
    img.resize((img.width * 2, img.height * 2), Image.Resampling.NEAREST).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=30, help="timed steps per speed measurement")
    ap.add_argument("--seconds", type=float, default=120.0, help="training time of the result picture")
    ap.add_argument("--png", default="/tmp/shots/style-result.png")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--sizes", default="64,128", help="image sizes to time, comma-separated")
    ap.add_argument("--set", action="append", default=[], help="extra lesson setting k=v")
    args = ap.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.set)
    import torch
    print(f"torch {torch.__version__}, device {args.device}")
    for size in args.sizes.split(","):
        one = steps_per_second(size, args.device, 1, args.steps, extra)
        if args.device == "cpu":
            two = steps_per_second(size, args.device, 2, args.steps, extra)
            print(f"{size:>4} px: {one:6.1f} steps/s (1 thread), {two:6.1f} steps/s (2 threads), ratio {two / one:.2f}")
        else:
            print(f"{size:>4} px: {one:6.1f} steps/s")
    if args.seconds <= 0:
        return
    les = build("128", args.device, 1, extra)
    marks, step, t0 = {}, 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        step += 1
        les.train_step(step)
        m = les.flush()
        if step in (100, 200, 400):
            marks[step] = time.perf_counter() - t0
    elapsed = time.perf_counter() - t0
    print(f"128 px result: {step} steps in {elapsed:.0f} s; " + ", ".join(f"step {k} at {v:.1f} s"
                                                                       for k, v in marks.items()))
    print("last losses: " + ", ".join(f"{k} {v:.4g}" for k, v in m.items()))
    save_result(les, args.png)
    print(f"saved content | result | style to {args.png}")


if __name__ == "__main__":
    main()
