"""Session features lessons build on: live values a lesson rejects, fresh snapshots after a live change
while paused, and "Compare engines" (a twin on the other engine trained in lockstep)."""
import numpy as np

from visualizer.core.export import curves_data
from visualizer.core.lesson import ENGINE_COMPARISON_PLOT, Lesson
from visualizer.core.process_session import ProcessSession
from visualizer.core.session import EXACT_MATCH_FLOOR, TrainingSession
from tests.core.test_session import SESSION_CLASSES, wait_for_events
from tests.core.toy_lesson import ToyLesson, TwinToyLesson


def wait_snapshot(session, predicate, timeout=10.0):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plots = session.latest_snapshot().plots
        if "w" in plots and predicate(plots["w"]):
            return True
        time.sleep(0.02)
    return False


@SESSION_CLASSES
def test_live_change_while_paused_refreshes_the_snapshot(session_cls):
    s = session_cls(ToyLesson, {"seed": 1})
    try:
        assert s.wait_idle(10)
        s.step(3)
        assert s.wait_idle(10)
        assert wait_snapshot(s, lambda d: d.values[1] == 3.0)
        s.set_param("target", 4.0)
        assert wait_snapshot(s, lambda d: d.values[1] == 4.0)       # no training step in between
        assert s.step_count == 3
    finally:
        assert s.stop(1.0)


@SESSION_CLASSES
def test_a_live_value_the_lesson_rejects_is_reported_and_the_old_one_kept(session_cls):
    s = session_cls(ToyLesson, {"seed": 1})
    try:
        assert s.wait_idle(10)
        s.set_param("target", 7.0)                   # valid for the spec, refused by the lesson
        events = wait_for_events(s, "param_rejected")
        assert events and "at or below 5" in events[0].message and events[0].param == ("target", 3.0)
        assert s.hp["target"] == 3.0 and s.applied["target"] == 3.0
        s.step(5)
        assert s.wait_idle(10)
        assert s.step_count == 5 and s.state == "paused"           # training goes on
        assert not s.history.changes()                             # no marker for a refused change
    finally:
        assert s.stop(1.0)


def test_engine_comparison_is_offered_only_to_lessons_with_gradient_arrays():
    assert TwinToyLesson.supports_engine_comparison()
    assert "compare_engines" in [p.name for p in TwinToyLesson.all_params()]
    assert TwinToyLesson.all_plots()[-1] is ENGINE_COMPARISON_PLOT
    assert not ToyLesson.supports_engine_comparison()               # numpy only, no gradient_arrays
    assert "compare_engines" not in [p.name for p in ToyLesson.all_params()]
    assert ToyLesson.all_plots() == ToyLesson.plots
    assert not Lesson.supports_engine_comparison.__func__(type("NoGrads", (ToyLesson,), {
        "info": TwinToyLesson.info}))


@SESSION_CLASSES
def test_compare_engines_trains_a_twin_in_lockstep(session_cls):
    s = session_cls(TwinToyLesson, {"seed": 1, "compare_engines": True})
    try:
        assert s.wait_idle(10)
        s.step(10)
        assert s.wait_idle(10)
        h = s.history
        assert {"train_loss@torch", "val_loss@torch", "grad_rel_diff", "loss_abs_diff"} <= set(h.names())
        np.testing.assert_array_equal(h.series("train_loss")[1], h.series("train_loss@torch")[1])
        diff = h.series("grad_rel_diff")[1]
        assert len(diff) == 10
        # the torch twin rounds its gradient to float32: a difference of float32 round-off, not zero
        assert np.all(diff > EXACT_MATCH_FLOOR) and np.all(diff < 1e-7)
        assert np.all(h.series("loss_abs_diff")[1] == EXACT_MATCH_FLOOR)      # same weights, same loss
        data = curves_data(TwinToyLesson.plots[0], h)
        assert list(data.series) == ["train_loss", "val_loss", "train_loss@torch", "val_loss@torch"]
        s.set_param("lr", 0.05)                       # live values reach the twin too
        s.step(3)
        assert s.wait_idle(10)
        np.testing.assert_array_equal(h.series("train_loss")[1], h.series("train_loss@torch")[1])
    finally:
        assert s.stop(1.0)


def test_without_compare_engines_no_twin_metrics_are_recorded():
    s = TrainingSession(TwinToyLesson, {"seed": 1})
    try:
        assert s.wait_idle(10)
        s.step(5)
        assert s.wait_idle(10)
        assert s.twin is None
        assert not any("@" in n or "diff" in n for n in s.history.names())
    finally:
        assert s.stop(1.0)


class PausingToyLesson(ToyLesson):
    """Asks the session to pause at step 7 (as early stopping does)."""

    def train_step(self, step):
        super().train_step(step)
        if step == 7:
            self.context.request_pause("stopped early at step 7")


@SESSION_CLASSES
def test_a_lesson_can_pause_a_running_session(session_cls):
    import time
    s = session_cls(PausingToyLesson, {"seed": 1})
    try:
        assert s.wait_idle(10)
        s.play()
        events = wait_for_events(s, "notice")
        assert events and events[0].message == "stopped early at step 7"
        deadline = time.monotonic() + 5
        while s.running and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not s.running and s.step_count == 7
    finally:
        assert s.stop(1.0)


class TorchThreadsLesson(ToyLesson):
    """Reports how many CPU threads PyTorch uses in the training process."""

    def snapshot(self):
        import torch
        from visualizer.core.plotdata import BarsData
        return {"w": BarsData(["torch threads"], np.array([float(torch.get_num_threads())]))}


def test_the_training_process_gives_pytorch_one_thread():
    import time
    s = ProcessSession(TorchThreadsLesson, {"seed": 1})
    try:
        deadline = time.monotonic() + 60
        while "w" not in s.latest_snapshot().plots and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s.latest_snapshot().plots["w"].values[0] == 1.0
    finally:
        assert s.stop(10.0)                          # an interpreter with torch loaded takes a while to exit
