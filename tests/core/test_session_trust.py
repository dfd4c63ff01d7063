"""Resets coalesce, final metrics are epoch means, the training process pins its threads (issue #14)."""
import time

import numpy as np
import pytest

from visualizer.core.process_session import ProcessSession
from visualizer.core.session import TrainingSession
from tests.core.toy_lesson import ToyLesson

SESSION_CLASSES = pytest.mark.parametrize("session_cls", [TrainingSession, ProcessSession],
                                          ids=["thread", "process"])
BUILD_SECONDS = 0.05


class SlowBuildLesson(ToyLesson):
    """The toy with a build of BUILD_SECONDS (seq2seq's takes minutes); counts its builds in this process."""

    builds = 0

    def __init__(self, hp, context=None):
        time.sleep(BUILD_SECONDS)
        type(self).builds += 1
        super().__init__(hp, context)


@SESSION_CLASSES
def test_two_hundred_resets_build_at_most_twice_with_the_last_settings(session_cls):
    SlowBuildLesson.builds = 0
    s = session_cls(SlowBuildLesson, {"seed": 1})
    try:
        t0 = time.perf_counter()
        for i in range(200):
            s.set_param("seed", i)                     # structural: applies at the next build
            s.reset()
        assert s.wait_idle(20)
        elapsed = time.perf_counter() - t0
        time.sleep(0.2)                                # the last update of a training process
        built = len([e for e in s.drain_events() if e.kind == "built"])
        assert 1 <= built <= 2, built
        assert s.applied["seed"] == 199                # the coalesced build read the newest settings
        assert elapsed < 200 * BUILD_SECONDS / 2, elapsed
        if session_cls is TrainingSession:
            assert SlowBuildLesson.builds <= 2
        s.step(3)                                      # and it trains afterwards
        assert s.wait_idle(10)
        time.sleep(0.1)
        assert s.step_count == 3
    finally:
        assert s.stop(2.0)


@SESSION_CLASSES
def test_final_metrics_are_the_mean_of_the_last_epoch(session_cls):
    s = session_cls(ToyLesson, {"seed": 4})                 # 10 steps per epoch
    try:
        s.step(7)
        assert s.wait_idle(10)
        time.sleep(0.1)
        x, y = s.history.series("train_loss")
        means = s.history.epoch_means()
        assert (means["from_step"], means["to_step"], means["complete_epoch"]) == (1, 7, False)
        assert means["metrics"]["train_loss"] == pytest.approx(np.mean(y))
        s.step(18)                                           # 25 steps: epochs 1 and 2 done, 5 steps of the 3rd
        assert s.wait_idle(10)
        time.sleep(0.1)
        x, y = s.history.series("train_loss")
        means = s.run_record()["epoch_means"]
        assert (means["from_step"], means["to_step"], means["complete_epoch"]) == (11, 20, True)
        assert means["metrics"]["train_loss"] == pytest.approx(np.mean(y[(x >= 11) & (x <= 20)]))
        assert means["metrics"]["train_loss"] != pytest.approx(s.history.last()["train_loss"])
        assert "val_loss" not in means["metrics"]          # evaluations are not training steps
    finally:
        assert s.stop(2.0)


def test_a_flush_window_counts_as_its_steps():
    from visualizer.core.history import MetricHistory

    h = MetricHistory()
    h.record_training(1, 9, {"loss": 1.0})                # a GPU window: the mean of 9 steps
    h.record_training(10, 10, {"loss": 11.0})             # the last, partial step alone
    assert h.epoch_means()["metrics"]["loss"] == pytest.approx(2.0)
    h.end_epoch(10)
    h.record_training(11, 11, {"loss": 5.0})
    assert h.epoch_means()["metrics"]["loss"] == pytest.approx(2.0)     # the last complete epoch
    mirror = MetricHistory()
    d, _ = h.delta({})
    mirror.apply_delta(d)
    assert mirror.epoch_means() == h.epoch_means()


class BlasThreadsLesson(ToyLesson):
    """Reports the BLAS threads of the training process."""

    def snapshot(self):
        from visualizer.core.plotdata import BarsData
        from visualizer.core.threads import blas_threads
        return {"w": BarsData(["blas"], np.array([float(min(blas_threads().values()))]))}


@pytest.mark.parametrize("threads,expected", [(None, 1), (2, 2)])
def test_the_training_process_pins_blas_to_the_shared_choice(threads, expected):
    s = ProcessSession(BlasThreadsLesson, {"seed": 1}, threads=threads)
    try:
        deadline = time.monotonic() + 60
        while "w" not in s.latest_snapshot().plots and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s.latest_snapshot().plots["w"].values[0] == expected
        assert s.run_record()["threads"] == expected
    finally:
        assert s.stop(5.0)


def test_how_a_training_process_ended_is_said_in_words():
    """The crash panel said 'exit code None' after a SIGKILL (the process not yet reaped)."""
    from visualizer.core.process_session import describe_exit
    assert describe_exit(None) == "it was killed or crashed"
    assert describe_exit(-9).startswith("killed by SIGKILL") and "memory" in describe_exit(-9)
    assert describe_exit(-11).startswith("killed by SIGSEGV")
    assert describe_exit(3) == "exit code 3"
    assert "None" not in describe_exit(None)
