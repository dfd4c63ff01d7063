"""Frames per second of the optimizer race in the real main window, with all six optimizers.

Opens the main window on the ``optimizers`` lesson (same approach as ``bench_gui.py``), plays for
``--seconds`` and reports
  * race frames per second: redraws the race view actually performed (``PlotView.draw_count``);
  * event-loop latency: how late a 10 ms repeating QTimer fires (p50 / p99 / max, in ms);
  * race steps per second (each step moves all six optimizers once).
After ``--warmup`` seconds of play (first paints and caches, not measured), runs once at the lesson's
default speed limit (``INFO.pacing.speed``, 60 steps/s) and once at ``--fast-speed``,
where the snapshot rate rather than the step pacing limits the frames.  Target: >= 30 frames/s.

The frame rate is capped by the lesson's rates (``OptimizerRace.redraw_hz`` / ``snapshot_hz``, 60 Hz)
and by the race speed: the view redraws only when a new snapshot exists, and the training process
takes at most one snapshot per step.

Run under a real X server for representative numbers:
    xvfb-run -a -s "-screen 0 1600x1000x24" python -m benchmarks.bench_optimizer_race [--seconds 5]
        [--surface saitoh] [--fast-speed 200] [--training process|thread]
"""
from __future__ import annotations

import argparse


from benchmarks.gui_phase import open_window, play_phase, wait_until

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of play before measuring")
    ap.add_argument("--surface", default="saitoh")
    ap.add_argument("--fast-speed", type=float, default=300.0, choices=(100.0, 300.0, 1000.0),
                    help="speed limit of the second phase (steps/s, one of the toolbar's entries)")
    ap.add_argument("--training", choices=("process", "thread"), default="process")
    args = ap.parse_args()

    app, window = open_window("optimizers", args.training)
    lesson_cls = window.view.lesson_cls
    view = window.view
    wait_until(app, lambda: view.builds > 0, 60)
    for name in OPTIMIZERS:
        view.apply_param(f"use_{name}", True)
    view.apply_param("surface", args.surface)
    view.apply_param("show_arrows", True)
    view.reset()
    wait_until(app, lambda: view.builds > 1 and view.session.state == "paused", 60)

    default_speed = lesson_cls.pacing().speed
    view.transport.set_speed(default_speed)
    play_phase(app, window, args.warmup, "race")        # first paints, pixmap caches, the child's imports: not measured
    results = []
    for speed in (default_speed, args.fast_speed):
        view.transport.set_speed(speed)
        wait_until(app, lambda: False, 0.3)
        results.append((speed, play_phase(app, window, args.seconds, "race")))
    window.close()

    print(f"optimizer race, 6 optimizers on '{args.surface}', {args.seconds:g} s per phase, platform "
          f"{app.platformName()}, training in a {args.training}; lesson rates: redraw {lesson_cls.redraw_hz:g} Hz, "
          f"snapshots {lesson_cls.snapshot_hz:g} Hz")
    for speed, r in results:
        print(f"  speed limit {speed:>6g} steps/s: {r['fps']:.1f} race frames/s, {r['steps_per_s']:.1f} steps/s, "
              f"event-loop latency p50 {r['p50']:.2f} ms p99 {r['p99']:.2f} ms max {r['max']:.1f} ms")
    best = max(r["fps"] for _s, r in results)
    at_default = results[0][1]["fps"]
    print(f"race frames per second at the default speed: {at_default:.1f}, at {args.fast_speed} steps/s: "
          f"{results[1][1]['fps']:.1f}   target >= 30 -> {'PASS' if best >= 30 else 'FAIL'}")
    p99 = max(r["p99"] for _s, r in results)
    print(f"event-loop latency p99 (worst phase): {p99:.2f} ms   target <= 50 ms -> {'PASS' if p99 <= 50 else 'FAIL'}")


if __name__ == "__main__":
    main()
