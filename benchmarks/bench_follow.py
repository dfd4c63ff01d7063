"""Following a run written at full speed by another process: lag and event-loop latency of the run window.

A writer process trains a real lesson (default ``mlp_digits``, NumPy engine) headless as fast as it goes and
writes a run directory in the README's format (schema 1): every metric row the session's history records
goes to ``metrics.jsonl`` in batches every 0.25 s (flushed), ``snapshots/latest.npz`` about once a second,
a timeline snapshot every 2 s, ``run.json`` with a heartbeat every second: the app's own writer
(``visualizer.core.rundir``, as ``--run-dir`` runs it).  Meanwhile this process opens a :class:`visualizer.ui.run_window.RunWindow` on the folder, as
File > Follow run does, and measures over ``--seconds``:

  * lag: for each new last step the window's curves show, now minus the moment the writer
    flushed that line (``follow``: the reading side alone: poll interval, parsing, the 30 Hz redraw), and now
    minus the moment the training step recorded it (``end to end``: plus the writer's 0.25 s batching);
    p50 / p99 / max, in seconds;
  * event-loop latency: how late a 10 ms repeating QTimer fires (p50 / p99 / max, ms), as bench_gui does.
Targets (issue #19): follow lag <= 1 s, event-loop p99 <= 50 ms.

It then saves screenshots of the window at 1600x1000 and 1280x800 (live and scrubbed to the first timeline
snapshot) into ``--shots`` (default /tmp/shots19).

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m benchmarks.bench_follow [--seconds 15] [--lesson mlp_digits]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROBE_MS = 10
# the writer trains on one core, as the app's training process does (bench_gui): on a 2-core machine a BLAS pool
# on both cores would measure how a starved window behaves, not how following does
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
TIMELINE_S = 2.0


# ---- the writer (another process) ---------------------------------------------------------------------------
def write_run(folder: Path, lesson_id: str, seconds: float, writes_log: Path) -> None:
    """Train ``lesson_id`` for ``seconds`` at full speed and write run directory ``folder`` with the app's own
    writer, as ``--run-dir`` does (RunRecorder + RunDirectoryWriter, snapshots within 3% of the training time at
    most once a second).  Each write of metrics.jsonl is also logged to ``writes_log`` as "last step, unix time"
    (outside the run directory), for the follow lag."""
    from visualizer.core import registry
    from visualizer.core.rundir import RunDirectoryWriter, RunRecorder
    from visualizer.core.session import TrainingSession

    writes = open(writes_log, "a")

    class LoggedWriter(RunDirectoryWriter):
        def metrics(self, rows):
            super().metrics(rows)
            if rows:
                writes.write(f"{rows[-1][0]} {time.time()!r}\n")
                writes.flush()

    session = TrainingSession(registry.get(lesson_id), snapshots=True, snapshot_budget=0.03, max_snapshot_hz=1)
    writer = LoggedWriter(folder, timeline_interval=TIMELINE_S)
    writer.claim()
    recorder = RunRecorder(session, [writer])
    recorder.start()
    session.wait_idle(120)
    recorder.attach()                          # the build made the history the run records
    recorder.refresh_info()
    recorder.event("notice", "benchmark writer started", 0)
    session.play()
    try:
        time.sleep(seconds)
    finally:
        session.pause()
        session.wait_idle(30)
        recorder.close("done", 0)
        session.stop(5)
        writes.close()


# ---- the window (this process) ------------------------------------------------------------------------------
def pump(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def percentiles(values) -> str:
    a = np.asarray(values, dtype=float)
    if not len(a):
        return "no samples"
    return f"p50 {np.percentile(a, 50):.3f}  p99 {np.percentile(a, 99):.3f}  max {a.max():.3f}  (n={len(a)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lesson", default="mlp_digits")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--shots", default="/tmp/shots19")
    ap.add_argument("--write", default=None, help=argparse.SUPPRESS)        # the writer process's own mode
    ap.add_argument("--writes-log", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:
        write_run(Path(args.write), args.lesson, args.seconds, Path(args.writes_log))
        return 0

    from PySide6.QtCore import QEventLoop, QTimer

    from visualizer.core import registry
    from visualizer.core.run_follow import read_run_info
    from visualizer.ui.app import create_app
    from visualizer.ui.run_window import RunWindow

    work = Path(tempfile.mkdtemp(prefix="bench_follow_"))
    folder, writes_log = work / "run", work / "writes.txt"
    writer = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_follow", "--lesson", args.lesson,
                               "--seconds", str(args.seconds + 5), "--write", str(folder),
                               "--writes-log", str(writes_log)],
                              env={**os.environ, **{k: "1" for k in ONE_THREAD}})
    app = create_app([])
    deadline = time.monotonic() + 120
    while not (folder / "run.json").exists():
        if time.monotonic() > deadline or writer.poll() is not None:
            print("the writer did not start")
            return 1
        time.sleep(0.05)
    info = read_run_info(folder)
    window = RunWindow(info, registry.get(info.lesson_id))
    window.resize(1600, 1000)
    window.show()
    while window.shown_step < 1 or window._state.snapshot is None:      # training and its plots have started
        if time.monotonic() > deadline or writer.poll() is not None:
            print("the writer wrote no metrics")
            return 1
        pump(app, 0.05)
    pump(app, 1.0)
    step0, t0 = window.follower.history.last_step(), time.time()

    lateness: list[float] = []
    seen: list[tuple[int, float, float]] = []           # (step shown, its t, unix time it was first shown)
    last = [time.perf_counter(), window.shown_step]

    def probe() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - PROBE_MS / 1000))
        last[0] = now
        if window.shown_step != last[1] and window.shown_t is not None:
            last[1] = window.shown_step
            seen.append((window.shown_step, window.shown_t, time.time()))

    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    loop = QEventLoop()
    QTimer.singleShot(int(args.seconds * 1000), loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    steps_per_s = (window.follower.history.last_step() - step0) / max(1e-9, time.time() - t0)

    flushes = [tuple(map(float, line.split())) for line in writes_log.read_text().split("\n") if line.strip()]
    flush_steps = np.array([f[0] for f in flushes])
    flush_times = np.array([f[1] for f in flushes])
    follow, end_to_end = [], []
    for step, t, shown_at in seen:
        i = int(np.searchsorted(flush_steps, step))          # the first flush that held this step
        if i < len(flush_steps):
            follow.append(shown_at - flush_times[i])
        end_to_end.append(shown_at - (info.started + t))
    ms = np.array(lateness) * 1000
    p99_loop = float(np.percentile(ms, 99)) if len(ms) else float("nan")
    p99_follow = float(np.percentile(follow, 99)) if follow else float("inf")
    print(f"lesson {args.lesson}: writer trained {steps_per_s:.0f} steps/s, {window.follower.state().lines} metric "
          f"lines read, {len(window.follower.state().timeline)} timeline snapshots")
    print(f"lag follow (flushed -> drawn), s:      {percentiles(follow)}")
    print(f"lag end to end (recorded -> drawn), s: {percentiles(end_to_end)}")
    print(f"event-loop latency, ms: p50 {np.percentile(ms, 50):.2f}  p99 {p99_loop:.2f}  max {ms.max():.1f}")
    print(f"redraw tick, ms: p50 {np.percentile(window.tick_durations, 50) * 1000:.2f}  "
          f"p99 {np.percentile(window.tick_durations, 99) * 1000:.2f}")
    print(f"follow lag p99 {p99_follow:.3f} s (target <= 1 s) -> {'PASS' if p99_follow <= 1 else 'FAIL'};  "
          f"event-loop p99 {p99_loop:.1f} ms (target <= 50 ms) -> {'PASS' if p99_loop <= 50 else 'FAIL'}")

    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    for w, h in ((1600, 1000), (1280, 800)):
        window.resize(w, h)
        window.go_live()
        pump(app, 1.0)
        window.grab().save(str(shots / f"follow_live_{w}x{h}.png"))
        window.scrub_to(0)
        pump(app, 1.0)
        window.grab().save(str(shots / f"follow_timeline_{w}x{h}.png"))
    print(f"screenshots in {shots}")
    writer.wait(60)
    pump(app, 1.5)
    window.grab().save(str(shots / "follow_done_1280x800.png"))
    window.close()
    return 0 if p99_follow <= 1 and p99_loop <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
