"""Run directories (visualizer.core.rundir): the writer's files, atomic run.json, the one-writer lock and its stale
takeover, the control file, the recorder that taps a training session, and the writer's folder read back by the
app's reader (visualizer.core.run_follow)."""
import json
import os
import threading
import time

import numpy as np
import pytest

from tests.core.test_run_follow import wait_for
from tests.core.toy_lesson import ToyLesson
from visualizer.core import rundir
from visualizer.core.checkpoint import load_checkpoint
from visualizer.core.history import MetricHistory
from visualizer.core.plot_archive import load_plots
from visualizer.core.plotdata import BarsData
from visualizer.core.rundir import (ControlPoller, RunDirectoryError, RunDirectoryWriter, RunRecorder, RunSink,
                                    read_control)
from visualizer.core.run_follow import RunFollower, read_run_info
from visualizer.core.session import TrainingSession


def info(**kw):
    return {"lesson": "toy", "config": {"lesson": "toy", "seed": 0}, "started": time.time(),
            "steps_requested": 10, "world_size": 1, **kw}


def lines(path):
    """Every line of a JSON Lines file the writer finished: whole lines only, each a JSON object."""
    data = path.read_text()
    assert data == "" or data.endswith("\n")
    return [json.loads(line) for line in data.splitlines()]


def opened(folder, **kw):
    w = RunDirectoryWriter(folder, **kw)
    w.claim()
    w.open(info())
    return w


# ---- the history hook ---------------------------------------------------------------------------------------------
def test_history_listeners_are_called_after_each_append_outside_the_lock():
    h = MetricHistory()
    seen = []

    def listener(step, metrics):
        seen.append((step, dict(metrics), h.last()))      # reading the history here must not deadlock
    h.add_listener(listener)
    h.append(1, {"a": 1.0})
    h.record_training(2, 2, {"a": 2.0})
    assert seen == [(1, {"a": 1.0}, {"a": 1.0}), (2, {"a": 2.0}, {"a": 2.0})]
    h.remove_listener(listener)
    h.append(3, {"a": 3.0})
    assert len(seen) == 2


# ---- the writer ---------------------------------------------------------------------------------------------------
def test_the_writer_writes_every_file_of_the_format(tmp_path):
    d = tmp_path / "run"
    w = opened(d, timeline_interval=0.0)
    record = json.loads((d / "run.json").read_text())
    assert record["schema"] == 1 and record["format"] == "dlvis-run" and record["status"] == "running"
    assert record["writer"]["pid"] == os.getpid() and record["writer"]["token"] == w.token
    assert json.loads((d / "writer.lock").read_text())["token"] == w.token
    w.metrics([(1, 0.5, {"loss": 2.0, "acc": np.float32(0.25)}), (2, 0.75, {"loss": float("nan")})])
    w.events([{"t": 0.8, "step": 2, "kind": "notice", "message": "hello"}])
    assert lines(d / "metrics.jsonl") == [{"step": 1, "t": 0.5, "metrics": {"loss": 2.0, "acc": 0.25}},
                                          {"step": 2, "t": 0.75, "metrics": {"loss": None}}]
    assert lines(d / "events.jsonl") == [{"t": 0.8, "step": 2, "kind": "notice", "message": "hello"}]
    w.snapshot(2, 1.0, {"w": BarsData(["w"], np.array([0.5]))})
    step, plots, meta = load_plots(d / "snapshots" / "latest.npz", "toy")
    assert step == 2 and meta == {"t": 1.0} and plots["w"].values.tolist() == [0.5]
    assert (d / "snapshots" / "step_000000002.npz").exists()
    w.checkpoint(2, {"w": np.arange(3.0)})
    state, meta = load_checkpoint(d / "checkpoints" / "step_000000002.npz", "toy")
    assert state["w"].tolist() == [0.0, 1.0, 2.0] and meta["step"] == 2
    w.close("done", 0)
    record = json.loads((d / "run.json").read_text())
    assert record["status"] == "done" and record["exit_code"] == 0 and record["ended"] >= record["writer"]["started"]
    assert not (d / "writer.lock").exists()
    assert not [p for p in d.rglob("*.tmp")]


def test_the_timeline_keeps_at_most_its_maximum_thinning_the_older_half(tmp_path):
    d = tmp_path / "run"
    w = opened(d, timeline_interval=0.0, timeline_max=8)
    for step in range(1, 21):
        w.snapshot(step, float(step), {"w": BarsData(["w"], np.array([float(step)]))})
    kept = sorted(int(p.stem[5:]) for p in (d / "snapshots").glob("step_*.npz"))
    assert len(kept) <= 8 and kept[0] == 1 and kept[-1] == 20     # the start and the newest survive
    assert kept[-4:] == [17, 18, 19, 20]                           # the newer half is dense
    w.close("done", 0)


def test_the_timeline_is_one_copy_per_interval(tmp_path):
    w = opened(tmp_path / "run", timeline_interval=5.0)
    for step, t in [(1, 0.0), (2, 1.0), (3, 4.9), (4, 5.1), (5, 9.0), (6, 10.2)]:
        w.snapshot(step, t, {"w": BarsData(["w"], np.array([1.0]))})
    assert sorted(p.name for p in (tmp_path / "run" / "snapshots").glob("step_*")) == [
        "step_000000001.npz", "step_000000004.npz", "step_000000006.npz"]
    w.close("done", 0)


def test_run_json_is_replaced_atomically_never_seen_half_written(tmp_path, monkeypatch):
    d = tmp_path / "run"
    w = opened(d)
    w._record["config"] = {"big": list(range(20000))}
    stop = threading.Event()
    bad = []

    def read():
        while not stop.is_set():
            try:
                json.loads((d / "run.json").read_text())
            except ValueError as e:
                bad.append(e)
    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(30):
        w._write_run_json()
    stop.set()
    reader.join()
    assert bad == []
    before = (d / "run.json").read_text()

    def crash(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(rundir.json, "dump", crash)
    with pytest.raises(OSError):
        w._write_run_json()
    assert (d / "run.json").read_text() == before and not list(d.glob(".*tmp"))


# ---- the lock -----------------------------------------------------------------------------------------------------
def test_a_second_writer_on_a_live_run_is_refused_with_who_writes_it(tmp_path):
    d = tmp_path / "run"
    first = opened(d)
    second = RunDirectoryWriter(d)
    with pytest.raises(RunDirectoryError) as e:
        second.claim()
    message = str(e.value)
    assert f"being written by pid {os.getpid()} on host" in message and "use another folder" in message
    assert json.loads((d / "writer.lock").read_text())["token"] == first.token     # untouched
    first.close("done", 0)
    assert second.claim()        # the first run ended: the folder is free, and the earlier run is named
    second.release()


def test_a_stale_lock_is_taken_over_and_said_so(tmp_path):
    d = tmp_path / "run"
    old = opened(d)
    record = json.loads((d / "run.json").read_text())
    record["heartbeat"] = time.time() - 120            # the writer died two minutes ago
    (d / "run.json").write_text(json.dumps(record))
    new = RunDirectoryWriter(d)
    notes = new.claim()
    assert any("took over the stale lock" in n for n in notes), notes
    assert json.loads((d / "writer.lock").read_text())["token"] == new.token != old.token
    new.open(info())
    assert lines(d / "metrics.jsonl") == []           # the earlier run's files are replaced
    new.close("done", 0)


def test_a_lock_without_a_run_json_is_live_while_young(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    (d / "writer.lock").write_text(json.dumps({"pid": 1, "host": "elsewhere", "token": "x", "started": time.time()}))
    with pytest.raises(RunDirectoryError, match="pid 1 on host elsewhere"):
        RunDirectoryWriter(d).claim()
    old = time.time() - 300
    os.utime(d / "writer.lock", (old, old))
    assert any("stale" in n for n in RunDirectoryWriter(d).claim())


def test_a_file_or_an_unwritable_path_is_a_clear_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(RunDirectoryError, match="is a file, not a folder"):
        RunDirectoryWriter(f).claim()
    with pytest.raises(RunDirectoryError, match="cannot create the run directory"):
        RunDirectoryWriter(f / "sub").claim()


# ---- control file -------------------------------------------------------------------------------------------------
def test_read_control_tolerates_missing_half_written_and_garbage_files(tmp_path):
    assert read_control(tmp_path, 0) == (None, None)
    path = tmp_path / "control.json"
    for text, problem in [('{"seq": 3, "comm', "not complete JSON"), ("[1, 2]", "JSON object"),
                          ('{"seq": "3", "command": "stop"}', "seq"), ('{"seq": 3, "command": "explode"}', "explode"),
                          (b"\xff\xfe", "cannot read")]:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        cmd, why = read_control(tmp_path, 0)
        assert cmd is None and problem in why, (text, why)
    path.write_text(json.dumps({"seq": 3, "command": "pause", "t": 12.5}))
    cmd, why = read_control(tmp_path, 0)
    assert why is None and (cmd.seq, cmd.command, cmd.t) == (3, "pause", 12.5)
    assert read_control(tmp_path, 3) == (None, None)          # seen already


def test_the_poller_ignores_an_earlier_runs_command_and_reports_a_problem_once(tmp_path):
    path = tmp_path / "control.json"
    path.write_text(json.dumps({"seq": 7, "command": "stop", "t": 0}))
    reports = []
    poller = ControlPoller(tmp_path, reports.append)
    assert poller.poll() is None and poller.last_seq == 7
    for i in range(3):
        path.write_text('{"seq": 8, "command"' + " " * i)         # garbage, rewritten (the mtime changes)
        os.utime(path, ns=(i, 10**9 * (i + 1)))
        assert poller.poll() is None
    assert len(reports) == 1 and "not complete JSON" in reports[0]
    path.write_text(json.dumps({"seq": 8, "command": "resume", "t": 0}))
    assert poller.poll().command == "resume"
    assert poller.poll() is None                                   # unchanged file: not read again


# ---- the recorder -------------------------------------------------------------------------------------------------
class Collect(RunSink):
    name = "collector"

    def __init__(self):
        self.calls = []
        self.rows = []
        self.snapshots = []
        self.checkpoints = []
        self.closed = None
        self.thread = set()

    def open(self, session_info):
        self.info = session_info

    def metrics(self, rows):
        self.thread.add(threading.get_ident())
        self.rows += rows

    def snapshot(self, step, t, plots):
        self.snapshots.append((step, t, plots))

    def checkpoint(self, step, state):
        self.checkpoints.append(step)

    def close(self, status, exit_code):
        self.closed = (status, exit_code)


class Broken(Collect):
    name = "broken sink"

    def metrics(self, rows):
        raise OSError(28, "No space left on device")


class CheckpointToy(ToyLesson):
    def checkpoint_state(self):
        return {"w": self.params["w"].copy()}


def test_the_recorder_feeds_every_history_append_in_order_and_survives_a_broken_sink(tmp_path):
    session = TrainingSession(CheckpointToy, snapshots=True, max_snapshot_hz=50)
    assert session.wait_idle(30)
    good, broken, reports = Collect(), Broken(), []
    rec = RunRecorder(session, [broken, good], steps_requested=60, checkpoint_every=25, interval=0.02,
                      snapshot_interval=0.05, report=reports.append)
    rec.start()
    rec.attach()
    session.step(60)
    assert session.wait_idle(30)
    rec.final_checkpoint()
    rec.close("done", 0)
    session.stop()
    assert good.info["lesson"] == "toy" and good.info["steps_requested"] == 60
    for name in ("train_loss", "val_loss"):
        steps, values = session.history.series(name)
        got = [(s, m[name]) for s, _, m in good.rows if name in m]
        assert got == list(zip(steps.tolist(), values.tolist())), name
    assert [s for s, _, _ in good.rows] == sorted(s for s, _, _ in good.rows)
    assert good.thread and threading.get_ident() not in good.thread        # not the caller's thread
    assert good.checkpoints == [25, 50, 60]
    assert good.snapshots and good.snapshots[-1][0] == 60
    assert good.closed == ("done", 0) and broken.closed == ("error", None)
    assert len(reports) == 1 and "broken sink stopped being written" in reports[0] and "disk is full" in reports[0]
    assert rec.problems == reports


class BrokenCheckpointToy(ToyLesson):
    def checkpoint_state(self):
        raise RuntimeError("a bug in the lesson")


@pytest.mark.parametrize("lesson,message", [(ToyLesson, "does not save checkpoints"),
                                            (BrokenCheckpointToy, "RuntimeError: a bug in the lesson")])
def test_a_lesson_without_checkpoints_is_reported_once_and_training_goes_on(lesson, message):
    session = TrainingSession(lesson, snapshots=False)
    assert session.wait_idle(30)
    sink, reports = Collect(), []
    rec = RunRecorder(session, [sink], checkpoint_every=5, interval=0.02, report=reports.append)
    rec.start()
    rec.attach()
    session.step(30)
    assert session.wait_idle(30)
    rec.close("done", 0)
    session.stop()
    assert session.step_count == 30 and sink.checkpoints == []
    assert len(reports) == 1 and message in reports[0]
    assert not [e for e in session.drain_events() if e.kind == "error"]


# ---- reading a finished run ---------------------------------------------------------------------------------------
def finished_run(d):
    w = opened(d, timeline_interval=0.0)
    w.metrics([(s, 0.1 * s, {"loss": 1.0 / s}) for s in range(1, 6)])
    w.events([{"t": 0.6, "step": 5, "kind": "done", "message": "done"}])
    for s in (2, 5):
        w.snapshot(s, 0.1 * s, {"w": BarsData(["w"], np.array([float(s)]))})
    w.close("done", 0)


def test_the_apps_reader_reads_what_the_writer_wrote(tmp_path):
    """The two sides of schema 1 meet: run_follow reads this writer's folder (its own tests write folders by
    hand)."""
    d = tmp_path / "run"
    finished_run(d)
    info = read_run_info(d, lessons=["toy"])
    assert (info.lesson_id, info.status, info.world_size) == ("toy", "done", 1)
    follower = RunFollower(d, info, poll_interval=0.02).start()
    try:
        assert wait_for(lambda: follower.state().finished, timeout=10.0)
        steps, values = follower.history.series("loss")
        assert list(steps) == [1, 2, 3, 4, 5] and values[-1] == pytest.approx(0.2)
        st = follower.state()
        assert [e.step for e in st.timeline] == [2, 5] and st.snapshot is not None and st.snapshot.step == 5
        assert [e["kind"] for e in follower.events] == ["done"]
        assert not [m for m in follower.messages() if m.level in ("warning", "error")]
    finally:
        follower.stop()
