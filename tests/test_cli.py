"""The headless command line: a stopped run (--timeout, Ctrl+C, SIGTERM) keeps and exports what it has,
bad values are refused with exit 2, the threads and the data set are chosen, printed and recorded."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from visualizer.cli import EXIT_STOPPED, EXIT_USAGE, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLOTS = ("loss", "w")                     # the toy's plots: every one gets a CSV, a PNG and an SVG

SLOW_TOY = textwrap.dedent('''
    import time
    import numpy as np
    from visualizer.core.hyperparams import FloatParam
    from visualizer.core.lesson import LessonInfo
    from visualizer.core.plotdata import BarsData
    from visualizer.core.threads import blas_threads
    from tests.core.toy_lesson import ToyLesson

    class SlowToy(ToyLesson):
        """The toy with a slow build and slow steps; its "w" plot shows the BLAS threads too."""
        info = LessonInfo("slow_toy", "Slow toy", "Foundations", "none", engines=("numpy",))
        params = ToyLesson.params + (FloatParam("build_s", "Build seconds", 0.0, 0.0, 600.0, live=False),
                                     FloatParam("step_s", "Step seconds", 0.0, 0.0, 10.0, live=False))

        def __init__(self, hp, context=None):
            time.sleep(hp["build_s"])
            super().__init__(hp, context)

        def update(self, batch, step):
            time.sleep(self.hp["step_s"])
            return super().update(batch, step)

        def snapshot(self):
            return {"w": BarsData(["w", "blas threads"], np.array([self.w, min(blas_threads().values())]))}

    LESSON = SlowToy
''')
INFO = ('from visualizer.core.lesson import LessonInfo\n'
        'INFO = LessonInfo("slow_toy", "Slow toy", "Foundations", "none", engines=("numpy",))\n')


@pytest.fixture(scope="module")
def lessons_path(tmp_path_factory):
    """A ``lessons`` package holding the real lessons plus ``slow_toy``; put it first on sys.path."""
    folder = tmp_path_factory.mktemp("lessons_path")
    pkg = folder / "lessons"
    (pkg / "slow_toy").mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"__path__.append({os.path.join(ROOT, 'lessons')!r})\n")
    (pkg / "slow_toy" / "__init__.py").write_text(INFO)
    (pkg / "slow_toy" / "lesson.py").write_text(SLOW_TOY)
    return folder


def start_cli(args, lessons_path):
    code = (f"import sys; sys.path.insert(0, {str(lessons_path)!r}); sys.argv = ['main.py', *{list(args)!r}]\n"
            "import runpy; runpy.run_path('main.py', run_name='__main__')\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def assert_everything_exported(folder, stopped_reason):
    record = json.loads((folder / "run.json").read_text())
    for plot in PLOTS:
        for ext in ("csv", "png", "svg"):
            assert (folder / f"{plot}.{ext}").stat().st_size > 0, f"{plot}.{ext}"
    assert stopped_reason in record["stopped"]["reason"]
    assert record["steps"] == record["stopped"]["step"] > 0
    assert record["epoch_means"]["metrics"]["train_loss"] > 0
    return record


@pytest.mark.parametrize("sig,reason", [(signal.SIGINT, "Ctrl+C"), (signal.SIGTERM, "SIGTERM")])
def test_a_signal_after_training_started_keeps_and_exports_the_run(lessons_path, tmp_path, sig, reason):
    out_dir = tmp_path / "out"
    proc = start_cli(["--lesson", "slow_toy", "--headless", "--steps", "100000", "--set", "step_s=0.005",
                      "--export", str(out_dir)], lessons_path)
    first = proc.stdout.readline()                       # printed before the build: training starts soon after
    assert "CPU thread" in first, first
    time.sleep(2.0)
    proc.send_signal(sig)
    code, out, err = finish(proc)
    assert code == EXIT_STOPPED, err[-2000:]
    assert "Traceback" not in err and "stopped at step" in err
    assert "final metrics (training: mean over steps" in out
    assert_everything_exported(out_dir, reason)


def test_a_timeout_during_training_keeps_and_exports_the_run(lessons_path, tmp_path):
    out_dir = tmp_path / "out"
    t0 = time.monotonic()
    code, out, err = finish(start_cli(["--lesson", "slow_toy", "--headless", "--steps", "100000", "--set",
                                       "step_s=0.005", "--timeout", "3", "--export", str(out_dir)], lessons_path))
    assert code == EXIT_STOPPED, err[-2000:]
    assert "timed out after 3 s" in err and "Traceback" not in err
    assert_everything_exported(out_dir, "timed out")
    assert time.monotonic() - t0 < 60


def test_a_timeout_while_building_exports_run_json_and_exits_soon(lessons_path, tmp_path):
    out_dir = tmp_path / "out"
    t0 = time.monotonic()
    code, out, err = finish(start_cli(["--lesson", "slow_toy", "--headless", "--set", "build_s=120",
                                       "--timeout", "2", "--export", str(out_dir)], lessons_path))
    assert code == EXIT_STOPPED, err[-2000:]
    assert "while building the lesson" in err and "Traceback" not in err
    assert time.monotonic() - t0 < 60                   # not the 120 s build
    record = json.loads((out_dir / "run.json").read_text())
    assert record["steps"] == 0 and record["stopped"]["built"] is False
    assert record["hyperparameters"]["build_s"] == 120 and "timed out" in record["stopped"]["reason"]


@pytest.mark.parametrize("threads", [None, 2])
def test_the_cli_pins_blas_threads_prints_and_records_them(lessons_path, tmp_path, threads):
    out_dir = tmp_path / "out"
    args = ["--lesson", "slow_toy", "--headless", "--steps", "12", "--export", str(out_dir)]
    if threads:
        args += ["--threads", str(threads)]
    code, out, err = finish(start_cli(args, lessons_path))
    assert code == 0, err[-2000:]
    expected = threads or 1
    assert f"slow_toy: {expected} CPU thread" in out
    record = json.loads((out_dir / "run.json").read_text())
    assert record["threads"] == expected and "openblas" in record["blas"]
    rows = (out_dir / "w.csv").read_text().splitlines()
    assert any(r.startswith("blas threads,") and float(r.split(",")[1]) == expected for r in rows), rows


# ---- bad values: exit 2 with a message, before anything runs ---------------------------------------------
@pytest.mark.parametrize("option,value,message", [
    ("--timeout", "0", "positive"), ("--timeout", "-1", "positive"), ("--timeout", "nan", "positive"),
    ("--timeout", "inf", "positive"), ("--timeout", "soon", "not a number"),
    ("--steps", "-5", "at least 0"), ("--steps", "1.5", "whole number"),
    ("--export", "", "empty"), ("--threads", "0", "at least 1")])
def test_bad_option_values_exit_2_naming_the_option(capsys, option, value, message):
    with pytest.raises(SystemExit) as e:
        main(["--lesson", "perceptron", "--headless", option, value])
    assert e.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert option in err and message in err


def test_cuda_with_the_numpy_engine_is_refused(capsys):
    assert main(["--lesson", "perceptron", "--headless", "--engine", "numpy", "--device", "cuda"]) == EXIT_USAGE
    assert "--device cuda needs the torch engine" in capsys.readouterr().err
    assert main(["--lesson", "perceptron", "--headless", "--set", "device=cuda"]) == EXIT_USAGE   # numpy default


def test_cuda_without_a_gpu_is_a_clear_error(capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert main(["--lesson", "perceptron", "--headless", "--engine", "torch", "--device", "cuda"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "no usable NVIDIA GPU" in err and "Traceback" not in err


# ---- the data set: a path selects it, a contradiction is refused, the choice is printed and recorded ----
def write_csv(path):
    rows = ["a,b,label"] + [f"{i % 7},{(3 * i) % 5},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_data_path_selects_its_data_set_and_is_printed_and_recorded(tmp_path, capsys):
    csv = write_csv(tmp_path / "points.csv")
    out_dir = tmp_path / "out"
    code = main(["--lesson", "perceptron", "--headless", "--steps", "3", "--set", f"csv_path={csv}",
                 "--export", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "dataset=csv" in err and f"CSV file (csv_path) = {csv}" in out and "Data set (dataset) = csv" in out
    record = json.loads((out_dir / "run.json").read_text())
    assert record["data"] == {"dataset": "csv", "csv_path": str(csv)}


def test_a_data_path_for_another_data_set_is_refused(tmp_path, capsys):
    csv = write_csv(tmp_path / "points.csv")
    assert main(["--lesson", "perceptron", "--headless", "--set", f"csv_path={csv}",
                 "--set", "dataset=diabetes"]) == EXIT_USAGE
    assert "set dataset=csv" in capsys.readouterr().err
