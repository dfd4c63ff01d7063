"""GUI responsiveness and the cost of live plots, measured side by side in one run.

For a lesson (default ``mlp_digits``) this opens the real main window, plays at full speed and
measures, over ``--seconds`` per phase:
  * event-loop latency: how late a 10 ms repeating QTimer fires (p50 / p99 / max, in ms);
  * redraws per second of the lesson view (its 30 Hz timer redraws only when data changed);
  * training throughput with every plot live vs the same lesson headless (a TrainingSession without
    snapshots, no window, BLAS and PyTorch pinned to one thread like the app's training process), alternating
    the two phases ``--rounds`` times; ratio live / headless.
``--training thread`` trains on a worker thread of the GUI process instead of a child process (the
app's default), to compare the two.
Targets (issue #3): p99 <= 50 ms, >= 20 redraws/s, ratio >= 0.85.

Runs on any Qt platform: under ``xvfb-run`` for a real X window, or QT_QPA_PLATFORM=offscreen.
    python -m benchmarks.bench_gui [--lesson mlp_digits] [--seconds 10] [--rounds 2] [--set name=value]
                                   [--training process|thread]
"""
from __future__ import annotations

import argparse
import statistics
import time


from benchmarks.gui_phase import open_window, play_phase, wait_until


def parse_sets(items: list[str]) -> dict:
    from visualizer.core.hyperparams import parse_assignment
    return dict(parse_assignment(s) for s in items)


def headless_phase(lesson_cls, values: dict, seconds: float) -> float:
    from threadpoolctl import threadpool_limits

    from visualizer.core.session import TrainingSession

    if values.get("engine") == "torch":     # one PyTorch thread too, as the app's training process has
        import torch                        # (its default, one per core, made headless look faster)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            return _headless(TrainingSession(lesson_cls, values, snapshots=False), seconds)
    finally:
        if values.get("engine") == "torch":
            torch.set_num_threads(threads)


def _headless(s, seconds: float) -> float:
    s.wait_idle(120)
    s.step(5)                      # warm-up
    s.wait_idle(60)
    n0 = s.step_count
    t0 = time.perf_counter()
    s.play()
    time.sleep(seconds)
    s.pause()
    n1, t1 = s.step_count, time.perf_counter()
    s.stop(5)
    return (n1 - n0) / (t1 - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lesson", default="mlp_digits")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--training", choices=("process", "thread"), default="process")
    args = ap.parse_args()
    values = parse_sets(args.sets)

    app, window = open_window(args.lesson, args.training, (1500, 950))
    lesson_cls = window.view.lesson_cls
    for name, value in values.items():
        window.view.apply_param(name, value)
    window.view.reset()
    window.view.session.wait_idle(120)
    wait_until(app, lambda: window.view.builds > 0 and window.view.session.state == "paused", 120)

    gui, headless = [], []
    for _ in range(args.rounds):
        gui.append(play_phase(app, window, args.seconds))
        headless.append(headless_phase(lesson_cls, window.view.session.applied.as_dict(), args.seconds))
    window.close()

    live = statistics.mean(g["steps_per_s"] for g in gui)
    bare = statistics.mean(headless)
    p99 = max(g["p99"] for g in gui)
    redraws = statistics.mean(g["redraws_per_s"] for g in gui)
    print(f"lesson {args.lesson}, {args.rounds} rounds x {args.seconds:g} s per phase, "
          f"platform {app.platformName()}, training in a {args.training}")
    for i, (g, h) in enumerate(zip(gui, headless), 1):
        print(f"  round {i}: GUI {g['steps_per_s']:.1f} steps/s, headless {h:.1f} steps/s; "
              f"latency p50 {g['p50']:.2f} ms p99 {g['p99']:.2f} ms max {g['max']:.1f} ms; "
              f"{g['redraws_per_s']:.1f} redraws/s")
    print(f"event-loop latency p99 (worst round): {p99:.2f} ms   target <= 50 ms -> {'PASS' if p99 <= 50 else 'FAIL'}")
    print(f"redraws per second: {redraws:.1f}   target >= 20 -> {'PASS' if redraws >= 20 else 'FAIL'}")
    print(f"throughput plots live / headless: {live:.1f} / {bare:.1f} steps/s = {live / bare:.3f}x   "
          f"target >= 0.85x -> {'PASS' if live / bare >= 0.85 else 'FAIL'}")


if __name__ == "__main__":
    main()
