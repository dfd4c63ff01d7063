"""What the window shows after things go wrong: the status bar's state after an error, Play and
Reset after the training process died."""
import os
import signal

from tests.core.toy_lesson import ToyLesson
from tests.ui.fake_lessons import OnceFailingLesson


def state_text(view):
    view.tick()
    return view.status_fields["state"].text()


def test_status_leaves_error_once_training_runs_again(qtbot, make_view):
    view = make_view(OnceFailingLesson)
    view.play()
    qtbot.waitUntil(lambda: view.error_panel.isVisible(), timeout=5000)
    assert "a one-off failure" in view.error_panel.message.text()
    qtbot.waitUntil(lambda: state_text(view) == "error")
    assert view.transport.play_action.text() == "Play"
    view.play()                                          # the next step succeeds: the lesson trains normally
    qtbot.waitUntil(lambda: view.session.step_count >= 20, timeout=5000)
    qtbot.waitUntil(lambda: state_text(view) == "running")
    view.pause()
    assert view.session.wait_idle(5)
    qtbot.waitUntil(lambda: state_text(view) == "paused")


def kill_training_process(qtbot, view):
    os.kill(view.session._process.pid, signal.SIGKILL)      # as the out-of-memory killer would
    qtbot.waitUntil(lambda: view.error_panel.isVisible(), timeout=5000)
    assert "ended unexpectedly" in view.error_panel.message.text()
    assert "killed by SIGKILL" in view.error_panel.message.text()      # was 'exit code None': not yet reaped


def test_play_on_a_dead_training_process_says_so_and_reset_clears_the_crash(qtbot, make_view):
    view = make_view(ToyLesson)
    view.session.step(6)
    assert view.session.wait_idle(10)
    kill_training_process(qtbot, view)
    for action in (view.transport.play_action, view.transport.step_action, view.transport.epoch_action):
        action.trigger()
        view.tick()
        assert view.transport.play_action.text() == "Play" and not view.transport.playing
        assert not view.session.running
        banner = view.messages.banners()[-1]
        assert banner.kind == "error"
        assert "training process stopped" in banner.text and "Reset (R)" in banner.text
    assert len(view.messages.banners()) == 1                 # said once, not once per press
    assert state_text(view) == "error"
    assert view.status_fields["speed"].text() == "0 steps/s"      # not the last rate of the dead process
    assert not view.error_panel.toggle.isVisible()              # no traceback to show: no toggle for one
    assert view.session.step_count == 6                      # the data so far is kept

    view.transport.reset_action.trigger()
    qtbot.waitUntil(lambda: view.builds == 2, timeout=10_000)
    assert not view.error_panel.isVisible()
    assert view.messages.texts() == []
    qtbot.waitUntil(lambda: state_text(view) == "paused")
    view.transport.play_action.trigger()
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Pause")
    qtbot.waitUntil(lambda: view.session.step_count >= 10, timeout=5000)
    assert state_text(view) == "running"


def test_a_crash_before_the_first_build_is_cleared_by_a_successful_reset(qtbot, make_view):
    view = make_view(ToyLesson)
    kill_training_process(qtbot, view)
    view.reset()
    qtbot.waitUntil(lambda: view.builds == 2, timeout=10_000)
    assert not view.error_panel.isVisible() and view.messages.texts() == []
