"""Where a run stops by itself ("run until"), the run state the transport shows, and each lesson's pacing.

Every behaviour holds for training on a worker thread and in a child process alike; no Qt here."""
import time

import pytest

from visualizer.core import registry
from visualizer.core.lesson import SPEED_LIMITS, STOP_UNITS, Pacing
from visualizer.core.process_session import ProcessSession
from visualizer.core.session import TrainingSession
from tests.core.toy_lesson import ToyLesson


def collect(session, until, timeout: float = 10.0) -> list:
    """Drain the session's events until ``until(events so far)`` holds; all of them (the caller asserts)."""
    deadline = time.monotonic() + timeout
    events = []
    while time.monotonic() < deadline:
        events += session.drain_events()
        if until(events):
            break
        time.sleep(0.01)
    return events


def kinds(events, kind):
    return [e for e in events if e.kind == kind]


@pytest.fixture(params=[TrainingSession, ProcessSession], ids=["thread", "process"])
def session(request):
    s = request.param(ToyLesson, {"seed": 1})
    assert s.wait_idle(10)
    s.drain_events()
    yield s
    assert s.stop(1.0)


def test_play_pauses_by_itself_at_the_run_until_step(session):
    session.set_run_limit(30)
    session.play()
    events = collect(session, lambda ev: kinds(ev, "stop_reached"))
    assert kinds(events, "stop_reached"), "the session never paused at its stop"
    assert session.wait_idle(5)
    assert session.step_count == 30 and not session.running and session.state == "paused"
    assert "step 30" in kinds(events, "stop_reached")[0].message
    states = [e.run.running for e in kinds(events, "state")]
    assert True in states and states[-1] is False                # the transport heard both
    assert session.run_state.stop == 30 and not session.run_state.running


def test_an_epoch_limit_counts_the_lessons_epochs(session):
    session.set_run_limit(3, "epochs")                          # the toy has 10 steps per epoch
    session.play()
    collect(session, lambda ev: kinds(ev, "stop_reached"))
    assert session.wait_idle(5)
    assert session.step_count == 30 and session.run_state.limit == (3, "epochs")


def test_play_at_the_stop_trains_on_for_as_long_again(session):
    session.set_run_limit(20)
    session.play()
    collect(session, lambda ev: kinds(ev, "stop_reached"))
    assert session.wait_idle(5) and session.step_count == 20
    session.play()
    collect(session, lambda ev: kinds(ev, "stop_reached"))
    assert session.wait_idle(5)
    assert session.step_count == 40 and session.run_state.limit == (40, "steps")


def test_forever_trains_until_paused(session):
    session.set_run_limit(5)
    session.set_run_limit(None)
    session.play()
    deadline = time.monotonic() + 5
    while session.step_count < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert session.running and session.step_count >= 50
    session.pause()
    assert session.wait_idle(5) and not session.running


def test_play_until_counts_from_a_queued_reset(session):
    session.step(12)
    assert session.wait_idle(5) and session.step_count == 12
    session.reset()
    session.play_until(25, tag="narrative", relative=True)
    events = collect(session, lambda ev: kinds(ev, "stop_reached"))
    assert session.wait_idle(5)
    assert session.step_count == 25                              # from the rebuilt model's step 0
    run = session.run_state
    assert (run.start, run.stop, run.tag, run.running) == (0, 25, "narrative", False)
    assert run.reached(session.step_count)
    assert any(e.run.running and e.run.tag == "narrative" for e in kinds(events, "state"))


def test_play_until_a_step_already_reached_trains_nothing(session):
    session.step(15)
    assert session.wait_idle(5)
    session.play_until(10, tag="own date")
    assert session.wait_idle(5)
    time.sleep(0.1)
    assert session.step_count == 15 and not session.running
    assert session.run_state.tag == "own date" and session.run_state.reached(15)


def test_steps_pending_count_as_running_and_pause_drops_them(session):
    session.set_param("lr", 0.01)
    session.max_steps_per_second = 50                            # Step epoch takes a while
    session.step(500)
    events = collect(session, lambda ev: any(e.run.running for e in kinds(ev, "state")))
    assert any(e.run.running for e in kinds(events, "state")) and session.running
    session.pause()
    events = collect(session, lambda ev: any(not e.run.running for e in kinds(ev, "state")))
    assert any(not e.run.running for e in kinds(events, "state"))
    assert session.wait_idle(5) and session.step_count < 500


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the point of the test
def test_a_divergence_pause_is_a_state_event(session):
    session.set_param("lr", 10.0)
    session.play()
    events = collect(session, lambda ev: kinds(ev, "diverged") and not kinds(ev, "state")[-1].run.running)
    assert kinds(events, "diverged")
    assert kinds(events, "state")[-1].run.running is False and not session.running


def test_run_limits_are_validated(session):
    with pytest.raises(ValueError):
        session.set_run_limit(0)
    with pytest.raises(ValueError):
        session.set_run_limit(10, "minutes")
    with pytest.raises(ValueError):
        session.play_until(-1)


def test_pacing_is_validated():
    with pytest.raises(ValueError):
        Pacing(100.0, 10, "minutes")
    with pytest.raises(ValueError):
        Pacing(7.0, 10)
    with pytest.raises(ValueError):
        Pacing(100.0, 0)


def test_every_lesson_declares_a_watchable_speed_and_a_finite_stop():
    for lesson_id in registry.infos():
        pacing = registry.get(lesson_id).pacing()
        assert pacing.speed in SPEED_LIMITS, (lesson_id, pacing)          # a limit the Speed box offers
        assert pacing.stop is not None and pacing.stop >= 1 and pacing.unit in STOP_UNITS, (lesson_id, pacing)


@pytest.mark.parametrize("lesson_id, title", [("attention", "Your own date"), ("seq2seq", "Which mistakes remain?"),
                                               ("dcgan", "Walking through latent space")])
def test_steps_that_picture_a_trained_model_train_up_to_it(lesson_id, title):
    """A learner who skips ahead to these steps must not see an untrained model (attention at 0 %)."""
    narrative = registry.get(lesson_id).narrative
    index = next(i for i, s in enumerate(narrative) if s.title == title)
    trained_before = sum(s.run_steps for s in narrative[:index])
    assert narrative[index].run_steps > 0 or narrative[index].train_until >= min(trained_before, 3000)
    assert narrative[index].train_until > 0 or narrative[index].run_steps > 0
