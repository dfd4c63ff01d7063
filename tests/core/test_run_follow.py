"""RunFollower and read_run_info on run directories written by hand (tests/core/run_dir_files.py): tailing by
byte offset from another thread, latency, incomplete and damaged lines, a vanished or slow folder, a corrupt
snapshot, the timeline, the control file, and the messages for folders that cannot be opened.  No Qt."""
from __future__ import annotations

import json
import math
import os
import threading
import time

import numpy as np
import pytest

from tests.core.run_dir_files import (LESSON, append, event_line, make_run, metrics_line, real_run, save_snapshot,
                                      timeline_name, write_run_json)
from visualizer.core import run_follow
from visualizer.core.run_follow import RunFollowError, RunFollower, read_run_info, read_run_info_within

LESSONS = (LESSON, "perceptron")


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def texts(messages) -> list[str]:
    return [m.text for m in messages if not m.withdraw]


@pytest.fixture
def run_dir(tmp_path):
    folder = tmp_path / "run"
    write_run_json(folder)
    (folder / "metrics.jsonl").touch()
    (folder / "events.jsonl").touch()
    return folder


@pytest.fixture
def follower_of():
    made = []

    def make(folder, **kwargs):
        f = RunFollower(folder, **{"poll_interval": 0.02, **kwargs})
        made.append(f)
        return f

    yield make
    for f in made:
        assert f.stop(2.0)


# ---- opening ------------------------------------------------------------------------------------------
def test_read_run_info_of_a_run_directory(run_dir):
    info = read_run_info(run_dir, LESSONS)
    assert info.lesson_id == LESSON and info.status == "running" and info.running
    assert info.world_size == 1 and info.steps_requested == 500 and info.token == "t0k3n"
    assert info.title == "MLP on handwritten digits"


def test_read_run_info_against_the_registry(run_dir):
    assert read_run_info(run_dir).lesson_id == LESSON


@pytest.mark.parametrize("schema, word", [(2, "newer"), (0, "older")])
def test_another_schema_version_is_refused_with_its_number(tmp_path, schema, word):
    write_run_json(tmp_path, schema=schema)
    with pytest.raises(RunFollowError) as e:
        read_run_info(tmp_path, LESSONS)
    assert f"{word} version of the app: schema {schema}, this app reads 1" in str(e.value)
    assert str(tmp_path) in str(e.value)


def test_an_unknown_lesson_is_named(tmp_path):
    write_run_json(tmp_path, lesson="quantum_gan")
    with pytest.raises(RunFollowError, match="the lesson 'quantum_gan', which this app does not have"):
        read_run_info(tmp_path, LESSONS)


def test_folders_that_are_not_run_directories(tmp_path):
    with pytest.raises(RunFollowError, match="does not exist"):
        read_run_info(tmp_path / "nothing", LESSONS)
    with pytest.raises(RunFollowError, match=r"not a run directory \(it has no run.json\)"):
        read_run_info(tmp_path, LESSONS)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(RunFollowError, match="is a file"):
        read_run_info(tmp_path / "file.txt", LESSONS)
    (tmp_path / "run.json").write_text(json.dumps({"lesson": LESSON, "hyperparameters": {}}))
    with pytest.raises(RunFollowError, match="the run.json of an export"):
        read_run_info(tmp_path, LESSONS)
    (tmp_path / "run.json").write_text('{"schema": 1, "format": "dlvis-r')
    with pytest.raises(RunFollowError, match="is damaged"):
        read_run_info(tmp_path, LESSONS)


def test_read_run_info_within_gives_up_on_a_folder_that_does_not_answer(run_dir, monkeypatch):
    release = threading.Event()
    slow = run_follow.read_run_info

    def hanging(folder, lessons=None):
        release.wait(5)
        return slow(folder, lessons)

    monkeypatch.setattr(run_follow, "read_run_info", hanging)
    t0 = time.monotonic()
    with pytest.raises(RunFollowError, match="is not answering"):
        read_run_info_within(run_dir, timeout=0.2, lessons=LESSONS)
    assert time.monotonic() - t0 < 1.0
    release.set()


# ---- tailing ------------------------------------------------------------------------------------------
def test_tails_lines_appended_by_another_thread_in_pieces(run_dir, follower_of):
    """A writer appends 300 lines in random-sized pieces that cut lines anywhere; the mirror ends up with every
    line exactly once, in order, and never holds a half line."""
    rng = np.random.default_rng(0)
    blob = b"".join(metrics_line(s, {"train_loss": 1.0 / s, "train_acc": s / 300}) for s in range(1, 301))
    follower = follower_of(run_dir).start()

    def writer() -> None:
        i = 0
        while i < len(blob):
            n = int(rng.integers(1, 400))
            append(run_dir, "metrics.jsonl", blob[i:i + n])
            i += n
            time.sleep(0.001)

    seen_steps = []

    def watch() -> None:                    # what a GUI timer would see meanwhile: only whole lines
        while not done.is_set():
            x, y = follower.history.series("train_loss")
            seen_steps.append(len(x))
            assert np.allclose(y, 1.0 / x)
            time.sleep(0.003)

    done = threading.Event()
    w, r = threading.Thread(target=writer), threading.Thread(target=watch)
    w.start(), r.start()
    w.join()
    assert wait_for(lambda: follower.state().last_step == 300)
    done.set()
    r.join()
    x, y = follower.history.series("train_loss")
    assert x.tolist() == list(range(1, 301)) and np.allclose(y, 1.0 / x)
    assert follower.state().lines == 300
    assert seen_steps == sorted(seen_steps) and 0 < len(set(seen_steps))
    assert follower.polls > 2                                   # it did read incrementally
    assert not [m for m in follower.messages() if m.level in ("warning", "error")]


def test_a_line_appended_is_in_the_mirror_within_a_second(run_dir, follower_of):
    follower = follower_of(run_dir, poll_interval=run_follow.POLL_INTERVAL_S).start()
    assert wait_for(lambda: follower.state().info is not None)
    lags = []
    for step in range(1, 6):
        t0 = time.monotonic()
        append(run_dir, "metrics.jsonl", metrics_line(step, {"train_loss": 0.5}))
        assert wait_for(lambda: follower.history.last_step() == step, 2.0)
        lags.append(time.monotonic() - t0)
        time.sleep(0.05)
    assert max(lags) < 1.0, lags


def test_an_incomplete_last_line_waits_for_its_end(run_dir, follower_of):
    follower = follower_of(run_dir)
    line = metrics_line(2, {"train_loss": 0.25})
    append(run_dir, "metrics.jsonl", metrics_line(1, {"train_loss": 0.5}) + line[:10])
    follower.poll_once()
    follower.poll_once()
    assert follower.history.series("train_loss")[0].tolist() == [1.0]
    append(run_dir, "metrics.jsonl", line[10:])
    follower.poll_once()
    assert follower.history.series("train_loss")[1].tolist() == [0.5, 0.25]
    assert texts(follower.messages()) == []


def test_a_damaged_line_is_reported_by_number_and_skipped(run_dir, follower_of):
    follower = follower_of(run_dir)
    append(run_dir, "metrics.jsonl", metrics_line(1, {"train_loss": 0.5}) + metrics_line(2, {"train_loss": 0.4})
           + b'{"step": 3, "metrics": {"train_lo\n' + b'{"step": "four", "metrics": {}}\n'
           + metrics_line(5, {"train_loss": float("nan")}) + metrics_line(6, {"train_loss": 0.2}))
    follower.poll_once()
    x, y = follower.history.series("train_loss")
    assert x.tolist() == [1, 2, 5, 6] and math.isnan(y[2]) and y[3] == 0.2     # null is NaN, kept
    said = texts(follower.messages())
    assert any(t.startswith("line 3 of metrics.jsonl is damaged, skipped") for t in said)
    assert any(t.startswith("line 4 of metrics.jsonl is damaged, skipped") for t in said)


def test_a_finished_run_with_a_cut_last_line_reports_it_as_truncated(tmp_path, follower_of):
    write_run_json(tmp_path, status="done")
    append(tmp_path, "metrics.jsonl", metrics_line(1, {"train_loss": 0.5}) + b'{"step": 2, "t": 0.')
    follower = follower_of(tmp_path)
    follower.poll_once()
    follower.poll_once()
    said = texts(follower.messages())
    assert "line 2 of metrics.jsonl is truncated (the run ended while writing it), skipped." in said
    assert follower.history.last_step() == 1 and follower.state().finished
    follower.poll_once()
    assert not texts(follower.messages())                         # said once


def test_events_become_messages(run_dir, follower_of):
    follower = follower_of(run_dir)
    append(run_dir, "events.jsonl", event_line(10, "diverged", "The loss is NaN at step 10.")
           + event_line(12, "control", "paused by the window"))
    follower.poll_once()
    msgs = [m for m in follower.messages() if m.event]
    assert [(m.level, m.text) for m in msgs] == [("warning", "Step 10: The loss is NaN at step 10."),
                                                  ("info", "Step 12: paused by the window")]
    assert [e["kind"] for e in follower.events] == ["diverged", "control"]


def test_a_finished_run_is_read_to_the_end(tmp_path, follower_of):
    make_run(tmp_path, status="done", steps=40)
    follower = follower_of(tmp_path).start()
    assert wait_for(lambda: follower.state().finished)
    st = follower.state()
    assert st.lines == 40 and st.last_step == 40 and st.snapshot is not None and st.stale_s is None
    assert [e.step for e in st.timeline] == [20, 40]
    _, _, rows = real_run()
    assert follower.history.series("train_acc")[1][0] == pytest.approx(rows[0][1]["train_acc"])


# ---- folders that vanish or hang ----------------------------------------------------------------------
def test_a_vanished_folder_is_reported_and_what_was_read_is_kept(run_dir, follower_of):
    follower = follower_of(run_dir).start()
    append(run_dir, "metrics.jsonl", metrics_line(1, {"train_loss": 0.5}) + metrics_line(2, {"train_loss": 0.4}))
    assert wait_for(lambda: follower.history.last_step() == 2)
    away = run_dir.with_name("unmounted")
    os.rename(run_dir, away)
    assert wait_for(lambda: follower.state().problem == "gone")
    said = texts(follower.messages())
    assert f"The folder {run_dir} is gone; showing what was read so far (following goes on when it is back)." in said
    assert follower.history.series("train_loss")[1].tolist() == [0.5, 0.4]
    os.rename(away, run_dir)
    append(run_dir, "metrics.jsonl", metrics_line(3, {"train_loss": 0.3}))
    assert wait_for(lambda: follower.history.last_step() == 3)
    assert follower.state().problem == ""
    msgs = follower.messages()
    assert any(m.withdraw and m.key == "folder" for m in msgs)
    assert any("is back" in m.text for m in msgs)
    assert follower.history.series("train_loss")[1].tolist() == [0.5, 0.4, 0.3]


def test_a_folder_that_does_not_answer_never_blocks_the_caller(run_dir, follower_of, monkeypatch):
    follower = follower_of(run_dir, slow_after=0.2)
    append(run_dir, "metrics.jsonl", metrics_line(1, {"train_loss": 0.5}))
    follower.poll_once()
    release = threading.Event()
    real_stat = run_follow.os.stat

    def hanging_stat(path, *args, **kwargs):     # a dead NFS mount: stat() does not return
        if threading.current_thread() is follower._thread:
            release.wait(10)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(run_follow.os, "stat", hanging_stat)
    follower.start()
    time.sleep(0.4)
    t0 = time.perf_counter()
    st = follower.state()
    said = texts(follower.messages())
    assert time.perf_counter() - t0 < 0.05
    assert st.problem == "not answering" and st.last_step == 1
    assert any(f"The folder {run_dir} is not answering" in t and "showing what was read so far" in t for t in said)
    assert follower.history.series("train_loss")[1].tolist() == [0.5]
    release.set()
    assert wait_for(lambda: follower.state().problem == "")
    assert any("answers again" in t for t in texts(follower.messages()))


def test_a_run_that_stopped_writing_is_reported(tmp_path, follower_of):
    write_run_json(tmp_path, heartbeat=time.time() - 30)
    follower = follower_of(tmp_path, stale_after=10)
    follower.poll_once()
    said = texts(follower.messages())
    assert any(t.startswith("The run has not been updated for 3") and "it may have stopped" in t for t in said)
    assert follower.state().stale_s > 10
    write_run_json(tmp_path)                                      # a fresh heartbeat
    follower.poll_once()
    assert follower.state().stale_s is None
    assert any(m.withdraw and m.key == "stale" for m in follower.messages())


# ---- snapshots ----------------------------------------------------------------------------------------
def test_a_corrupt_latest_snapshot_is_reported_and_the_previous_kept(run_dir, follower_of):
    plots, _, _ = real_run()
    follower = follower_of(run_dir)
    save_snapshot(run_dir, 7, plots)
    follower.poll_once()
    first = follower.state().snapshot
    assert first.step == 7 and set(first.plots) == set(plots)
    good = (run_dir / "snapshots" / "latest.npz").read_bytes()
    (run_dir / "snapshots" / "latest.npz").write_bytes(good[: len(good) // 2])       # a half-written file
    follower.poll_once()
    assert follower.state().snapshot is first
    said = texts(follower.messages())
    assert any(t.startswith("The latest snapshot could not be read (latest.npz is damaged or truncated")
               and t.endswith("the previous one is kept.") for t in said)
    save_snapshot(run_dir, 9, plots)
    follower.poll_once()
    assert follower.state().snapshot.step == 9 and follower.state().snapshot.version == first.version + 1


def test_timeline_snapshots_load_on_request_in_the_thread(run_dir, follower_of):
    plots, _, _ = real_run()
    for step in (10, 20, 30):
        save_snapshot(run_dir, step, plots, timeline_name(step), t=step / 10)
    (run_dir / "snapshots" / timeline_name(30)).write_bytes(b"PK\x03\x04 not really")
    follower = follower_of(run_dir).start()
    assert wait_for(lambda: [e.step for e in follower.state().timeline] == [10, 20, 30])
    follower.request_snapshot(20)
    assert wait_for(lambda: follower.timeline_snapshot(20) is not None)
    snap = follower.timeline_snapshot(20)
    assert snap.step == 20 and snap.t == 2.0 and set(snap.plots) == set(plots)
    follower.request_snapshot(30)
    assert wait_for(lambda: follower.timeline_failure(30) != "")
    assert "could not be read" in follower.timeline_failure(30) and follower.timeline_snapshot(30) is None


# ---- control ------------------------------------------------------------------------------------------
def test_control_file_is_written_atomically_with_increasing_seq_and_nothing_else(run_dir, follower_of, monkeypatch):
    (run_dir / "control.json").write_text(json.dumps({"seq": 7, "command": "pause", "t": 0}))   # an earlier window
    follower = follower_of(run_dir)
    follower.poll_once()
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.name != "control.json"}
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((os.path.dirname(src), str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    reads, stop = [], threading.Event()

    def reader() -> None:                     # the run polls the file meanwhile: never a partial one
        while not stop.is_set():
            try:
                reads.append(json.loads((run_dir / "control.json").read_text()))
            except FileNotFoundError:
                pass

    r = threading.Thread(target=reader)
    r.start()
    follower.start()
    seqs = []
    for command in ("pause", "resume", "stop") * 5:
        follower.send_control(command)
        assert wait_for(lambda: follower.state().control_seq == len(seqs) + 8)
        data = json.loads((run_dir / "control.json").read_text())
        seqs.append(data["seq"])
        assert data["command"] == command and abs(data["t"] - time.time()) < 5
    stop.set()
    r.join()
    assert seqs == list(range(8, 23))
    assert len(replaced) == 15 and all(d == str(run_dir) and dst.endswith("control.json") for d, dst in replaced)
    assert all(set(d) == {"seq", "command", "t"} for d in reads) and reads
    follower.stop()
    after = {p.name: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.name != "control.json"}
    assert after == before                                     # nothing else written, no temporary file left
    with pytest.raises(ValueError, match="unknown control command"):
        follower.send_control("explode")


def test_a_second_run_in_the_same_folder_is_reported_and_the_first_kept(run_dir, follower_of):
    follower = follower_of(run_dir)
    append(run_dir, "metrics.jsonl", metrics_line(1, {"train_loss": 0.5}))
    follower.poll_once()
    write_run_json(run_dir, token="another")                      # another writer took the folder over
    append(run_dir, "metrics.jsonl", metrics_line(1, {"train_loss": 9.0}))
    follower.poll_once()
    assert any("now holds another run" in t for t in texts(follower.messages()))
    assert follower.history.series("train_loss")[1].tolist() == [0.5]
    assert follower.state().info.token == "t0k3n"


def test_a_long_log_read_at_full_speed_is_not_taken_for_a_hanging_folder(tmp_path, follower_of, monkeypatch):
    write_run_json(tmp_path, status="done")
    n = 40_000
    append(tmp_path, "metrics.jsonl", b"".join(metrics_line(s, {"train_loss": 1.0 / s}) for s in range(1, n + 1)))
    monkeypatch.setattr(run_follow, "READ_CHUNK", 64 << 10)
    follower = follower_of(tmp_path, slow_after=0.25)
    follower.start()
    problems = set()
    while not follower.state().finished:
        problems.add(follower.state().problem)
        assert follower.alive
        time.sleep(0.01)
    assert problems <= {""} and not any("not answering" in t for t in texts(follower.messages()))
    assert follower.state().lines == n and follower.history.last_step() == n
