"""Headless runs with --run-dir: the folder a real run writes is complete and matches the run, the window's
control file pauses (keeping the steps owed), resumes and stops it, a folder in use or unwritable is refused,
and a disk that fills up mid-run is reported while training goes on."""
import json
import os
import re
import threading
import time

import pytest

from tests.core.toy_lesson import ToyLesson
from visualizer import cli
from visualizer.cli import EXIT_OK, EXIT_STOPPED, EXIT_USAGE, main
from visualizer.core import registry
from visualizer.core.checkpoint import load_checkpoint
from visualizer.core.plot_archive import load_plots
from visualizer.core.rundir import RunDirectoryWriter


def jsonl(path, final=True):
    """The objects of a JSON Lines file: every line whole (``final``: the file ends with one) and parsed."""
    data = path.read_text()
    if final:
        assert data == "" or data.endswith("\n")
    return [json.loads(line) for line in data.splitlines(keepends=True) if line.endswith("\n")]


def test_a_headless_run_writes_a_complete_run_directory(tmp_path, capsys):
    d = tmp_path / "run"
    code = main(["--lesson", "mlp_digits", "--headless", "--engine", "numpy", "--steps", "50", "--run-dir", str(d),
                 "--checkpoint-every", "20"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert f"run directory {d}: status done" in out
    record = json.loads((d / "run.json").read_text())
    assert {k: record[k] for k in ("schema", "format", "lesson", "status", "exit_code", "world_size",
                                   "steps_requested")} == {
        "schema": 1, "format": "dlvis-run", "lesson": "mlp_digits", "status": "done", "exit_code": 0,
        "world_size": 1, "steps_requested": 50}
    w = record["writer"]
    assert w["pid"] == os.getpid() and w["host"] and len(w["token"]) >= 8
    assert w["started"] <= record["heartbeat"] and w["started"] <= record["ended"]
    config = record["config"]
    assert config["steps"] == 50 and config["engine"] == "numpy" and config["hyperparameters"]["engine"] == "numpy"
    rows = jsonl(d / "metrics.jsonl")
    train = [r for r in rows if "train_loss" in r["metrics"]]
    assert [r["step"] for r in train] == list(range(1, 51))            # one line per step's flush
    per_epoch = round(50 / config["epochs"])
    evaluations = [r for r in rows if "val_acc" in r["metrics"]]          # one line per evaluation
    assert per_epoch in [r["step"] for r in evaluations]                   # every epoch's end is evaluated
    assert all(r["metrics"]["epoch"] == pytest.approx(r["step"] / per_epoch) for r in evaluations)
    ts = [r["t"] for r in rows]
    assert ts == sorted(ts) and ts[0] >= 0
    last = {}
    for r in rows:
        last.update(r["metrics"])
    assert last == pytest.approx(config["final_metrics"], rel=1e-12)   # the log ends where the history ends
    kinds = [e["kind"] for e in jsonl(d / "events.jsonl")]
    assert kinds[0] == "built" and kinds[-1] == "done" and "progress" not in kinds and "state" not in kinds
    step, plots, meta = load_plots(d / "snapshots" / "latest.npz", "mlp_digits")
    lesson = registry.get("mlp_digits")
    assert step == 50 and meta["t"] > 0 and set(plots) <= {p.id for p in lesson.plots} and plots
    assert list((d / "snapshots").glob("step_*.npz"))
    ckpts = sorted(p.name for p in (d / "checkpoints").iterdir())
    assert ckpts == ["step_000000020.npz", "step_000000040.npz", "step_000000050.npz"]
    state, meta = load_checkpoint(d / "checkpoints" / ckpts[0], "mlp_digits")
    assert meta["step"] == 20 and state
    assert not (d / "writer.lock").exists()


class SlowToy(ToyLesson):
    """The toy lesson at about 100 steps/s, with checkpoints."""
    info = ToyLesson.info

    def update(self, batch, step):
        time.sleep(0.01)
        return super().update(batch, step)

    def checkpoint_state(self):
        return {"w": self.params["w"].copy()}


@pytest.fixture
def slow_toy(monkeypatch):
    monkeypatch.setattr(registry, "get", lambda lesson_id: SlowToy)


def run_in_thread(argv):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", main(argv)), daemon=True)
    thread.start()
    return thread, result


def send(d, seq, command):
    tmp = d / ".control.tmp"
    tmp.write_text(json.dumps({"seq": seq, "command": command, "t": time.time()}))
    os.replace(tmp, d / "control.json")


def last_step(d):
    rows = jsonl(d / "metrics.jsonl", final=False) if (d / "metrics.jsonl").exists() else []
    return max((r["step"] for r in rows), default=0)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def control_messages(d):
    return [e["message"] for e in jsonl(d / "events.jsonl", final=False) if e["kind"] == "control"]


def test_the_window_pauses_and_resumes_a_run_and_the_steps_owed_are_kept(tmp_path, slow_toy, capsys):
    d = tmp_path / "run"
    t0 = time.monotonic()
    thread, result = run_in_thread(["--lesson", "toy", "--headless", "--steps", "150", "--run-dir", str(d)])
    assert wait_for(lambda: last_step(d) >= 10)
    send(d, 1, "pause")
    assert wait_for(lambda: any("paused by the window" in m for m in control_messages(d)))
    time.sleep(0.5)                              # the step under way ends, the log catches up
    paused_at = last_step(d)
    time.sleep(1.0)
    assert last_step(d) == paused_at < 150      # no training while paused
    assert thread.is_alive()
    send(d, 2, "resume")
    thread.join(60)
    wall = time.monotonic() - t0
    out, err = capsys.readouterr()
    assert result["code"] == EXIT_OK, err
    training_s = float(re.search(r"toy: 150 steps in ([0-9.]+) s", out).group(1))
    assert training_s < wall - 1.2                   # the rate printed leaves out the >= 1.5 s paused
    record = json.loads((d / "run.json").read_text())
    assert record["status"] == "done" and record["config"]["steps"] == 150 == last_step(d)
    messages = control_messages(d)
    assert len(messages) == 2 and "resumed by the window" in messages[1]


def test_the_window_stops_a_run_like_ctrl_c_and_its_data_is_kept(tmp_path, slow_toy, capsys):
    d = tmp_path / "run"
    d.mkdir()
    send(d, 5, "stop")                    # left from an earlier run: not acted on
    thread, result = run_in_thread(["--lesson", "toy", "--headless", "--steps", "100000", "--run-dir", str(d),
                                    "--checkpoint-every", "1000"])
    assert wait_for(lambda: last_step(d) >= 10)
    send(d, 6, "stop")
    thread.join(60)
    err = capsys.readouterr().err
    assert result["code"] == EXIT_STOPPED, err
    assert "stopped by the window" in err
    record = json.loads((d / "run.json").read_text())
    assert record["status"] == "stopped" and record["exit_code"] == EXIT_STOPPED
    steps = record["config"]["steps"]
    assert 10 <= steps < 100000 and last_step(d) == steps
    assert "stopped by the window" in record["config"]["stopped"]["reason"]
    assert jsonl(d / "events.jsonl")[-1]["kind"] == "stopped"
    assert [p.name for p in (d / "checkpoints").iterdir()] == [f"step_{steps:09d}.npz"]    # the final one
    assert load_plots(d / "snapshots" / "latest.npz", "toy")[0] == steps


def test_a_folder_written_by_a_live_run_is_refused(tmp_path, capsys):
    d = tmp_path / "run"
    other = RunDirectoryWriter(d)
    other.claim()
    other.open({"lesson": "perceptron", "config": {}, "started": time.time()})
    code = main(["--lesson", "perceptron", "--headless", "--steps", "3", "--run-dir", str(d)])
    assert code == EXIT_USAGE
    assert f"is being written by pid {os.getpid()}" in capsys.readouterr().err
    assert json.loads((d / "writer.lock").read_text())["token"] == other.token
    other.close("done", 0)


def test_a_stale_lock_is_taken_over(tmp_path, capsys):
    d = tmp_path / "run"
    d.mkdir()
    (d / "writer.lock").write_text(json.dumps({"pid": 99999, "host": "gone", "token": "t", "started": 0}))
    (d / "run.json").write_text(json.dumps({"schema": 1, "format": "dlvis-run", "status": "running",
                                            "heartbeat": time.time() - 3600, "writer": {"token": "t"}}))
    assert main(["--lesson", "perceptron", "--headless", "--steps", "3", "--run-dir", str(d)]) == EXIT_OK
    assert "took over the stale lock of pid 99999 on gone" in capsys.readouterr().err
    assert json.loads((d / "run.json").read_text())["status"] == "done"


def test_a_run_dir_that_cannot_be_made_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["--lesson", "perceptron", "--headless", "--run-dir", str(tmp_path / "file" / "run")]) == EXIT_USAGE
    assert "cannot create the run directory" in capsys.readouterr().err
    assert main(["--lesson", "perceptron", "--headless", "--checkpoint-every", "5"]) == EXIT_USAGE
    assert "--checkpoint-every needs --run-dir" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_disk_mid_run_is_reported_and_training_goes_on(tmp_path, capsys):
    d = tmp_path / "run"
    d.mkdir()
    os.symlink("/dev/full", d / "metrics.jsonl")            # every write of the log fails with ENOSPC
    code = main(["--lesson", "perceptron", "--headless", "--steps", "200", "--run-dir", str(d)])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "run directory stopped being written" in err and "the disk is full" in err and "training goes on" in err
    assert err.count("stopped being written") == 1
    assert "perceptron: 200 steps" in out and "incomplete" in out
    record = json.loads((d / "run.json").read_text())
    assert record["status"] == "error" and not (d / "writer.lock").exists()


def test_only_rank_0_writes_and_the_world_size_is_recorded(tmp_path, monkeypatch):
    """One process of a torchrun (its RANK and WORLD_SIZE set), run without the process group that
    ``run_distributed`` would join first (tests/torch_backend/test_distributed.py runs real torchruns)."""
    d = tmp_path / "run"

    def process(*argv):
        return cli._run_headless_process(cli.build_parser().parse_args(list(argv)))
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert process("--lesson", "perceptron", "--headless", "--steps", "3", "--run-dir", str(d)) == EXIT_OK
    assert not d.exists()
    monkeypatch.setenv("RANK", "0")
    assert process("--lesson", "perceptron", "--headless", "--steps", "3", "--run-dir", str(d)) == EXIT_OK
    assert json.loads((d / "run.json").read_text())["world_size"] == 2


def test_without_run_dir_nothing_is_recorded(monkeypatch):
    from visualizer.core import rundir
    made = []
    monkeypatch.setattr(rundir, "RunRecorder", lambda *a, **k: made.append(a))
    monkeypatch.setattr(cli, "_RunControl", lambda *a: made.append(a))
    assert main(["--lesson", "perceptron", "--headless", "--steps", "3"]) == EXIT_OK
    assert made == []
