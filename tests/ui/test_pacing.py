"""A narrative step that trains shows its progress and says when its picture is ready; Play/Pause shows
what the session does (a narrative step's run, a stop reached, a divergence pause); the "Run until" control
and each lesson's pace reach the session."""
import pytest

from tests.core.toy_lesson import ToyLesson
from tests.ui.paced_lessons import PacedToyLesson


class TransportLog:
    """What the Play/Pause button said at every redraw tick, next to what the worker was doing."""

    def __init__(self, view):
        self.view, self.texts = view, []
        view.timer.timeout.connect(self.record)

    def record(self):
        self.texts.append(self.view.transport.play_action.text())


def test_a_lessons_pace_reaches_the_transport_and_the_session(qtbot, make_view):
    view = make_view(PacedToyLesson)
    assert view.transport.speed.currentText() == "100 steps/s"
    assert view.transport.run_limit() == (5, "epochs")
    assert view.session.max_steps_per_second == 100.0
    qtbot.waitUntil(lambda: view.session.run_state.limit == (5, "epochs"), timeout=5000)


def test_narrative_progress_follows_the_step_count_and_says_when_ready(qtbot, make_view):
    view = make_view(PacedToyLesson)
    log = TransportLog(view)
    assert view.narrative.training_text() == ""                       # step 1 trains nothing
    view.narrative.go_next()
    seen = set()

    def progress_shown():
        text = view.narrative.training_text()
        if text.startswith("Training "):
            seen.add(text)
        return text.startswith("✓ Done")
    qtbot.waitUntil(progress_shown, timeout=10_000)
    counts = sorted(int(t.split()[1].replace(",", "")) for t in seen)
    assert all(t.endswith("/ 60 steps") for t in seen), seen
    # it moved with the step count ("Training 60 / 60" may show for a redraw before the stop event lands)
    moving = [c for c in counts if c < 60]
    assert len(moving) >= 2 and moving[0] < 30 and counts[-1] <= 60
    assert view.narrative.training_text() == ("✓ Done: 60 steps trained (step 60). The plots now show what "
                                              "this step describes.")
    assert view.session.step_count == 60 and view.session.wait_idle(5)
    # the button said Pause while the step trained and Play once it stopped by itself, with no click
    assert "Pause" in log.texts and log.texts[-1] == "Play" and view.transport.play_action.text() == "Play"
    assert view.transport.run_limit() == (60, "steps")                 # Run until shows the step's stop


def test_a_step_that_needs_a_trained_model_trains_up_to_it_or_says_it_is_ready(qtbot, make_view):
    view = make_view(PacedToyLesson)
    view.narrative.set_step(2)                                         # skipped ahead: needs step 30
    qtbot.waitUntil(lambda: view.narrative.training_text().endswith("/ 30 steps"), timeout=5000)
    qtbot.waitUntil(lambda: view.narrative.training_text().startswith("✓ Done"), timeout=10_000)
    assert view.session.step_count == 30
    view.narrative.set_step(1)                                         # 60 more: to step 90
    qtbot.waitUntil(lambda: view.narrative.training_text().startswith("✓ Done"), timeout=10_000)
    view.narrative.set_step(2)                                         # already past step 30: nothing trains
    qtbot.waitUntil(lambda: view.narrative.training_text().startswith("✓ Ready"), timeout=5000)
    assert view.narrative.training_text() == "✓ Ready: the model has already trained 90 steps."
    assert view.session.step_count == 90


def test_pause_half_way_says_how_to_finish_and_play_finishes_the_step(qtbot, make_view):
    view = make_view(PacedToyLesson)
    view.narrative.go_next()
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Pause", timeout=5000)
    view.transport.play_action.trigger()                               # Pause
    qtbot.waitUntil(lambda: "paused: press Play" in view.narrative.training_text(), timeout=5000)
    assert view.transport.play_action.text() == "Play" and view.session.step_count < 60
    view.transport.play_action.trigger()                               # Play: on to the step's stop
    qtbot.waitUntil(lambda: view.narrative.training_text().startswith("✓ Done"), timeout=10_000)
    assert view.session.step_count == 60


def test_taking_the_run_over_hides_the_steps_progress(qtbot, make_view):
    view = make_view(PacedToyLesson)
    view.narrative.go_next()
    qtbot.waitUntil(lambda: view.narrative.training_text().startswith("Training"), timeout=5000)
    view.transport.set_run_limit(None)                                 # forever: no longer the step's run
    qtbot.waitUntil(lambda: view.narrative.training_text() == "", timeout=5000)
    view.pause()


def test_play_stops_by_itself_at_run_until_and_the_button_follows(qtbot, make_view):
    view = make_view(PacedToyLesson)
    log = TransportLog(view)
    view.transport.set_run_limit(15, "steps")
    view.transport.play_action.trigger()
    qtbot.waitUntil(lambda: view.session.step_count >= 15 and view.transport.play_action.text() == "Play"
                    and "Pause" in log.texts, timeout=10_000)
    assert view.session.wait_idle(5) and view.session.step_count == 15
    assert "step 15" in view.status_bar.currentMessage()
    view.transport.play_action.trigger()                               # at the stop: on for as long again
    qtbot.waitUntil(lambda: view.transport.run_limit() == (30, "steps"), timeout=5000)
    qtbot.waitUntil(lambda: view.session.step_count == 30 and view.transport.play_action.text() == "Play",
                    timeout=10_000)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the point of the test
def test_a_divergence_pause_shows_play(qtbot, make_view):
    view = make_view(PacedToyLesson)
    log = TransportLog(view)
    view.narrative.set_step(3)                          # rebuilds with lr 10 and trains: diverges at once
    qtbot.waitUntil(lambda: any("Paused at step" in t for t in view.messages.texts()), timeout=10_000)
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Play", timeout=5000)
    assert not view.session.running and view.session.step_count < 200
    assert log.texts and log.texts[-1] == "Play"


def test_step_epoch_shows_pause_while_its_steps_run(qtbot, make_view):
    view = make_view(ToyLesson)
    view.transport.set_speed(30.0)
    view.transport.set_run_limit(None)
    view.transport.epoch_action.trigger()                              # 10 steps at 30 steps/s: ~0.3 s
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Pause", timeout=5000)
    assert view.session.step_count < 10
    qtbot.waitUntil(lambda: view.transport.play_action.text() == "Play", timeout=5000)
    assert view.session.step_count == 10


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_the_whole_transport_fits_the_window(qtbot, qapp, settings, size):
    """Play/Pause, the speed and the whole 'Run until' control stay on the toolbar, none behind its » menu
    (seq2seq: a lesson whose controls make the left column wide; the app's Fusion style)."""
    from visualizer.core import registry
    from visualizer.ui.main_window import MainWindow
    previous_style = qapp.style().name()
    qapp.setStyle("Fusion")
    request_restore = lambda: qapp.setStyle(previous_style)      # noqa: E731
    window = MainWindow(lessons={"seq2seq": registry.get("seq2seq")}, lesson_id="seq2seq", settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    transport = window.view.transport
    qtbot.waitUntil(lambda: window.view.builds >= 1, timeout=10_000)
    window.view.timer.stop()                              # no session event may undo the widest state:
    transport.set_playing(True)                           # "Pause", "1,000,000 epochs", "1000 steps/s"
    transport.show_run_limit(1_000_000, "epochs")
    transport.speed.setCurrentIndex(1)                    # "1000 steps/s"
    qtbot.wait(50)
    qtbot.waitUntil(lambda: transport.until_amount.isVisible(), timeout=3000)
    try:
        for widget in (transport.speed, transport.until_unit, transport.until_amount):
            assert widget.isVisible() and widget.geometry().right() <= transport.width()
    finally:
        window.close()
        request_restore()
