"""Memory over a long run: the resident set size of the app while a lesson trains with every plot live.

Opens the main window on a lesson, plays at full speed for ``--minutes`` (default 10), samples the
resident set size (from /proc/PID/status, Linux) of the GUI process and of its training process
every ``--every`` seconds, and compares their sum after the warm-up minute with the sum at the end.  Target (issue #3): within +-10% over a 10-minute run.
    python -m benchmarks.bench_memory [--lesson mlp_digits] [--minutes 10]
"""
from __future__ import annotations

import argparse
import time


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lesson", default="mlp_digits")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--every", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=60.0, help="seconds before the reference sample")
    args = ap.parse_args()

    from benchmarks.gui_phase import open_window

    app, window = open_window(args.lesson, size=(1500, 950))
    session = window.view.session
    while window.view.builds == 0:
        app.processEvents()
        time.sleep(0.01)
    child = getattr(session, "_process", None)          # ProcessSession: training in a child process

    def sample(t: float) -> tuple[float, float, float, int]:
        return t, rss_mib(), rss_mib(child.pid) if child is not None else 0.0, session.step_count

    window.view.play()
    t0 = time.perf_counter()
    next_sample = 0.0
    samples: list[tuple[float, float, float, int]] = []
    while (t := time.perf_counter() - t0) < args.minutes * 60:
        app.processEvents()
        if t >= next_sample:
            samples.append(sample(t))
            next_sample += args.every
        time.sleep(0.002)
    samples.append(sample(time.perf_counter() - t0))
    window.close()
    ref = next((s for s in samples if s[0] >= args.warmup), samples[0])
    end = samples[-1]
    for t, gui, train, steps in samples:
        print(f"  t={t:7.1f} s  steps={steps:8d}  RSS GUI {gui:7.1f} MiB + training {train:7.1f} MiB "
              f"= {gui + train:7.1f} MiB")
    ref_total, end_total = ref[1] + ref[2], end[1] + end[2]
    change = end_total / ref_total - 1
    print(f"RSS (GUI + training) at {ref[0]:.0f} s: {ref_total:.1f} MiB; at {end[0]:.0f} s: {end_total:.1f} MiB "
          f"after {end[3]} steps; ratio {end_total / ref_total:.3f} ({change:+.1%})   target within +-10% -> "
          f"{'PASS' if abs(change) <= 0.10 else 'FAIL'}")


if __name__ == "__main__":
    main()
