import json
import threading
import time

import numpy as np
import pytest

from visualizer.core.export import ExportError, export_tables
from visualizer.core.hyperparams import HyperparameterError
from visualizer.core.process_session import ProcessSession
from visualizer.core.session import TrainingSession
from tests.core.toy_lesson import ToyLesson, ToyViewLesson

# Every behaviour holds for training on a worker thread and in a child process alike.
SESSION_CLASSES = pytest.mark.parametrize("session_cls", [TrainingSession, ProcessSession],
                                          ids=["thread", "process"])


def wait_for_events(session, kind: str, timeout: float = 5.0) -> list:
    """Drain the session's events until one of ``kind`` arrives; those of ``kind`` (empty on timeout)."""
    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline and not found:
        found = [e for e in session.drain_events() if e.kind == kind]
        time.sleep(0.01)
    return found


@pytest.fixture(params=[TrainingSession, ProcessSession], ids=["thread", "process"])
def session(request):
    s = request.param(ToyLesson, {"seed": 1})
    assert s.wait_idle(10)
    yield s
    assert s.stop(1.0)


def test_step_runs_exact_number_of_steps(session):
    session.step(7)
    assert session.wait_idle(5)
    assert session.step_count == 7
    x, y = session.history.series("train_loss")
    assert list(x) == [1, 2, 3, 4, 5, 6, 7]
    vx, _ = session.history.series("val_loss")
    assert list(vx) == [5]


def test_same_seed_same_curve_on_a_thread_and_in_a_process():
    curves = []
    for session_cls in (TrainingSession, TrainingSession, ProcessSession):
        s = session_cls(ToyLesson, {"seed": 3})
        s.step(20)
        assert s.wait_idle(10)
        curves.append(s.history.series("train_loss")[1])
        s.stop()
    assert len(curves[0]) == 20
    np.testing.assert_array_equal(curves[0], curves[1])
    np.testing.assert_array_equal(curves[0], curves[2])


def test_play_pause_and_stop_within_one_second(session):
    session.play()
    time.sleep(0.2)
    session.pause()
    assert session.wait_idle(2)
    n = session.step_count
    assert n > 10
    time.sleep(0.1)
    assert session.step_count == n
    session.play()
    t0 = time.monotonic()
    assert session.stop(1.0)
    assert time.monotonic() - t0 < 1.0


def test_live_param_leaves_marker_and_structural_needs_reset(session):
    session.step(3)
    assert session.wait_idle(5)
    assert session.set_param("lr", 0.2) is False
    session.step(2)
    assert session.wait_idle(5)
    (change,) = session.history.changes()
    assert (change.step, change.name, change.old, change.new) == (3, "lr", 0.1, 0.2)
    assert session.set_param("seed", 5) is True
    assert session.pending_structural() == ["seed"]
    session.reset()
    assert session.wait_idle(5)
    assert not session.needs_reset() and session.step_count == 0


@pytest.mark.parametrize("cls", [TrainingSession, ProcessSession], ids=["thread", "process"])
def test_a_view_param_applies_without_a_marker(cls):
    s = cls(ToyViewLesson, {"seed": 1})
    try:
        assert s.wait_idle(10)
        s.step(2)
        s.set_param("target", 1.5)
        s.set_param("lr", 0.2)
        s.step(1)
        assert s.wait_idle(5)
        assert s.applied["target"] == 1.5
        assert [c.name for c in s.history.changes()] == ["lr"]
    finally:
        assert s.stop(1.0)


def test_invalid_value_is_rejected_and_nothing_changes(session):
    with pytest.raises(HyperparameterError, match="outside the range"):
        session.set_param("lr", 100.0)
    with pytest.raises(HyperparameterError, match="unknown hyperparameter"):
        session.set_param("nope", 1)
    assert session.hp["lr"] == 0.1


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the point of the test
def test_divergence_pauses_with_message(session):
    session.set_param("lr", 10.0)
    session.play()
    (ev,) = wait_for_events(session, "diverged")
    assert "train_loss" in ev.message and "learning rate (10)" in ev.message
    assert not session.running
    assert len(session.history.series("train_loss")[0]) > 0      # data so far kept


@SESSION_CLASSES
def test_exception_in_lesson_reports_traceback_and_keeps_data(session_cls):
    s = session_cls(ToyLesson, {"explode": True})
    s.play()
    events = wait_for_events(s, "error")
    assert "boom" in events[0].message and "RuntimeError" in events[0].traceback
    assert s.state == "error" and s.alive
    assert len(s.history.series("train_loss")[0]) == 4
    assert s.stop()


def test_failed_reset_keeps_previous_lesson(session):
    session.step(4)
    assert session.wait_idle(5)
    session.set_param("fail_build", True)
    session.reset()
    assert session.wait_idle(5)
    kinds = [e.kind for e in session.drain_events()]
    assert "config_error" in kinds
    assert session.step_count == 4 and session.state == "paused"
    session.step(1)                                   # the previous lesson still trains
    assert session.wait_idle(5) and session.step_count == 5


def test_export_tables_and_run_json(session, tmp_path):
    session.step(10)
    assert session.wait_idle(5)
    session.snapshot_now()
    paths = export_tables(session, tmp_path)
    assert {p.name for p in paths} == {"loss.csv", "w.csv", "run.json"}
    rows = (tmp_path / "loss.csv").read_text().splitlines()
    assert rows[0] == "step,train_loss,val_loss" and len(rows) == 11
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["lesson"] == "toy" and run["steps"] == 10 and run["seed"] == 1


def test_export_to_read_only_folder_raises_clear_error(session, tmp_path, monkeypatch):
    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("tempfile.mkstemp", deny)
    with pytest.raises(ExportError, match="read-only"):
        export_tables(session, tmp_path)


@SESSION_CLASSES
def test_worker_thread_ends_on_stop(session_cls):
    before = threading.active_count()
    s = session_cls(ToyLesson)
    s.play()
    assert s.stop(1.0)
    assert threading.active_count() == before


def test_checkpoint_round_trip_and_truncated_file(tmp_path):
    from visualizer.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    state = {"W1": np.arange(6, dtype=np.float32).reshape(2, 3), "b1": np.zeros(3)}
    p = tmp_path / "m.npz"
    save_checkpoint(p, "toy", state, {"step": 3})
    got, meta = load_checkpoint(p, "toy")
    np.testing.assert_array_equal(got["W1"], state["W1"])          # the saved bytes come back: bit for bit
    assert meta["step"] == 3
    with pytest.raises(CheckpointError, match="belongs to lesson"):
        load_checkpoint(p, "other")
    data = p.read_bytes()
    (tmp_path / "t.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        load_checkpoint(tmp_path / "t.npz", "toy")


def test_session_reports_lesson_without_checkpoints(session, tmp_path):
    errors = []
    session.save_checkpoint(tmp_path / "x.npz", on_done=errors.append)
    assert session.wait_idle(5)
    assert errors and "does not save checkpoints" in errors[0]
    assert any(e.kind == "config_error" for e in session.drain_events())


def test_a_dead_training_process_is_reported_keeps_the_data_and_reset_starts_a_new_one():
    import os
    import signal

    s = ProcessSession(ToyLesson, {"seed": 2})
    s.step(12)
    assert s.wait_idle(10) and s.step_count == 12
    os.kill(s._process.pid, signal.SIGKILL)            # as the out-of-memory killer would
    events = wait_for_events(s, "error")
    assert "ended unexpectedly" in events[0].message and "step 12" in events[0].message
    assert s.state == "error" and not s.alive
    assert len(s.history.series("train_loss")[0]) == 12          # the data received so far is kept
    s.step(3)                                                    # commands to a dead child are ignored
    s.reset()
    assert s.wait_idle(10) and s.alive and s.step_count == 0
    s.step(3)
    assert s.wait_idle(10) and s.step_count == 3
    assert s.stop(1.0)


def test_process_session_snapshots_reach_this_process(tmp_path):
    s = ProcessSession(ToyLesson, {"seed": 1})
    s.step(5)
    assert s.wait_idle(10)
    snap = s.snapshot_now(10)
    assert snap.step == 5 and snap.plots["w"].values.shape == (2,)
    assert s.run_record()["steps"] == 5 and s.epoch() == 0.5
    assert s.stop(1.0)


class UnpicklableSnapshotLesson(ToyLesson):
    """A lesson bug: its snapshot holds a lambda, which cannot cross to the GUI process."""

    def snapshot(self):
        return {"w": lambda: None}


def test_an_unpicklable_snapshot_is_an_error_event_and_training_goes_on():
    s = ProcessSession(UnpicklableSnapshotLesson, {"seed": 1})
    events = wait_for_events(s, "error", timeout=10)
    assert "could not send the plots" in events[0].message and s.alive
    s.step(5)
    assert s.wait_idle(10) and s.step_count == 5
    assert len(s.history.series("train_loss")[0]) == 5
    assert s.stop(1.0)


def test_run_record_holds_the_built_lessons_facts():
    class FactLesson(ToyLesson):
        def run_facts(self):
            return {"default_boxes": 8732}

    s = TrainingSession(FactLesson, {"seed": 1})
    assert s.wait_idle(10)
    assert s.run_record()["facts"] == {"default_boxes": 8732}
    assert s.stop(1.0)
    t = TrainingSession(ToyLesson, {"seed": 1})
    assert t.wait_idle(10) and t.run_record()["facts"] == {}
    assert t.stop(1.0)
