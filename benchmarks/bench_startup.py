"""Time from launch to a visible main window, measured from outside the process.

Starts a virtual X server (Xvfb), launches ``python main.py --lesson LESSON`` on it and polls
``xdotool search --onlyvisible`` until a window titled "Deep Learning Visualizer" is mapped.  Also
reports the same for a bare ``python -c "import PySide6.QtWidgets"`` window-less baseline, so the
ratio says how much of the start-up is ours.  Target (issue #3): visible <= 2 s.

``--lessons N`` lists N lessons in the browser: the real ones plus INFO-only fake packages in a
temporary folder that extends the ``lessons`` package's path (see :func:`fake_lessons_path`), to check
that start-up does not grow with the number of lessons (the browser reads only each package's
``__init__``; only the opened lesson is imported).

Needs Debian's xvfb and xdotool (see README, troubleshooting).  Usage:
    python -m benchmarks.bench_startup [--runs 5] [--lesson mlp_digits] [--lessons 40]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKE_INFO = """from visualizer.core.lesson import LessonInfo

INFO = LessonInfo("{id}", "Fake lesson {n}", "{track}", "Benchmark book, ch. {n}", "An INFO-only package.", order={order})
"""


def fake_lessons_path(folder: Path, total: int) -> Path:
    """Write a ``lessons`` package into ``folder`` whose path is itself plus the real lessons folder, with
    INFO-only packages ``fake_01`` ... so that it lists ``total`` lessons in all.  Put ``folder`` first on
    sys.path (a launcher's ``sys.path.insert(0, ...)``) to use it.  Returns ``folder``."""
    real = sorted(p.parent.name for p in (ROOT / "lessons").glob("*/__init__.py"))
    pkg = folder / "lessons"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(f"__path__.append({str(ROOT / 'lessons')!r})\n")
    tracks = ("Foundations", "Vision", "Sequences & language", "Generative")
    for n in range(1, max(0, total - len(real)) + 1):
        sub = pkg / f"fake_{n:02d}"
        sub.mkdir(exist_ok=True)
        (sub / "__init__.py").write_text(FAKE_INFO.format(id=f"fake_{n:02d}", n=n, track=tracks[n % len(tracks)],
                                                          order=500 + n))
    return folder


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a display it picks itself (``-displayfd``: it writes the number once it accepts
    connections, so there is no race with a server that is still shutting down).  Returns (process, ":N")."""
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(w,))
    os.close(w)
    with os.fdopen(r) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        raise RuntimeError("Xvfb did not start")
    return proc, f":{number}"


def time_to_window(cmd: list[str], title: str, timeout: float = 30.0) -> float:
    """Seconds from launching ``cmd`` to a visible window titled ``title``, on a fresh Xvfb of its own (one
    server for many app launches stopped accepting clients after a few runs here)."""
    xvfb, display = start_xvfb()
    env = dict(os.environ, DISPLAY=display)
    env.pop("QT_QPA_PLATFORM", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - t0 < timeout:
            r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                               env=env, capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip():
                return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited early: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.01)
        raise RuntimeError("no window within the timeout")
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        xvfb.terminate()
        xvfb.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lesson", default="mlp_digits")
    ap.add_argument("--lessons", type=int, default=0, metavar="N",
                    help="list N lessons (the real ones plus INFO-only fakes); default: the real ones")
    args = ap.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install -y xvfb xdotool")
    baseline_cmd = [sys.executable, "-c",
                    "from PySide6.QtWidgets import QApplication, QMainWindow; a = QApplication([]); "
                    "w = QMainWindow(); w.setWindowTitle('Baseline Qt window'); w.show(); a.exec()"]
    app_cmd = [sys.executable, "main.py", "--lesson", args.lesson]
    tmp = None
    if args.lessons:
        tmp = tempfile.TemporaryDirectory()
        path = fake_lessons_path(Path(tmp.name), args.lessons)
        app_cmd = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(path)!r}); sys.argv = ['main.py', "
                   f"'--lesson', {args.lesson!r}]; import runpy; runpy.run_path('main.py', run_name='__main__')"]
    try:
        time_to_window(app_cmd, "Deep Learning Visualizer")          # warm the file cache once
        app_t = [time_to_window(app_cmd, "Deep Learning Visualizer") for _ in range(args.runs)]
        base_t = [time_to_window(baseline_cmd, "Baseline Qt window") for _ in range(args.runs)]
    finally:
        if tmp is not None:
            tmp.cleanup()
    app_med, base_med = statistics.median(app_t), statistics.median(base_t)
    listed = f", {args.lessons} lessons listed" if args.lessons else ""
    print(f"launch -> visible window, {args.runs} runs, lesson {args.lesson}{listed}")
    print(f"  Deep Learning Visualizer: median {app_med:.3f} s  (min {min(app_t):.3f}, max {max(app_t):.3f})")
    print(f"  bare PySide6 window:      median {base_med:.3f} s  (min {min(base_t):.3f}, max {max(base_t):.3f})")
    print(f"  ratio app / bare Qt: {app_med / base_med:.2f}x   target: app <= 2.0 s -> "
          f"{'PASS' if app_med <= 2.0 else 'FAIL'}")


if __name__ == "__main__":
    main()
