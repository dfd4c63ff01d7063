"""Frames per second of the GAN lab's field view (D(x) heatmap, gradient arrows, samples, manifold) in
the real main window while training.

Opens the main window on the ``gan_2d`` lesson (same approach as ``bench_optimizer_race.py``), plays
for ``--warmup`` seconds (first paints, caches, the training process's imports: not measured), then
``--seconds`` at the lesson's default speed limit (``INFO.pacing.speed``, 100 steps/s) and as fast
as possible, and reports
  * field frames per second: redraws the field view actually performed (``PlotView.draw_count``);
  * event-loop latency: how late a 10 ms repeating QTimer fires (p50 / p99 / max, in ms);
  * training steps per second.
Target (issue #6): the heatmap and gradient field redraw at >= 20 frames/s while training.

Run under a real X server for representative numbers:
    xvfb-run -a -s "-screen 0 1600x1000x24" python -m benchmarks.bench_gan_2d [--seconds 5]
        [--engine numpy|torch] [--device cpu|cuda] [--training process|thread]
"""
from __future__ import annotations

import argparse


from benchmarks.gui_phase import open_window, play_phase, wait_until


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of play before measuring")
    ap.add_argument("--engine", choices=("numpy", "torch"), default="numpy")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--training", choices=("process", "thread"), default="process")
    args = ap.parse_args()

    app, window = open_window("gan_2d", args.training)
    lesson_cls = window.view.lesson_cls
    view = window.view
    wait_until(app, lambda: view.builds > 0, 60)
    if (args.engine, args.device) != ("numpy", "cpu"):
        view.apply_param("engine", args.engine)
        view.apply_param("device", args.device)
        view.reset()
        wait_until(app, lambda: view.builds > 1 and view.session.state == "paused", 120)
    for pid in ("field", "losses"):                   # the first narrative step's plots, on screen
        view.plot_scroll.ensureWidgetVisible(view.frames[pid])

    default_speed = lesson_cls.pacing().speed
    view.transport.set_speed(default_speed)
    play_phase(app, window, args.warmup, "field")
    results = []
    for speed in (default_speed, None):
        view.transport.set_speed(speed)
        wait_until(app, lambda: False, 0.3)
        results.append((speed, play_phase(app, window, args.seconds, "field")))
    window.close()

    print(f"gan_2d field view, {args.engine} on {args.device}, {args.seconds:g} s per phase, platform "
          f"{app.platformName()}, training in a {args.training}; lesson rates: redraw {lesson_cls.redraw_hz:g} Hz, "
          f"snapshots {lesson_cls.snapshot_hz:g} Hz, snapshot budget {lesson_cls.snapshot_budget:g}")
    for speed, r in results:
        label = "max" if speed is None else f"{speed:g} steps/s"
        print(f"  speed limit {label:>13}: {r['fps']:.1f} field frames/s, {r['steps_per_s']:.1f} steps/s, "
              f"event-loop latency p50 {r['p50']:.2f} ms p99 {r['p99']:.2f} ms max {r['max']:.1f} ms")
    worst = min(r["fps"] for _s, r in results)
    print(f"field frames per second (worst phase): {worst:.1f}   target >= 20 -> {'PASS' if worst >= 20 else 'FAIL'}")


if __name__ == "__main__":
    main()
