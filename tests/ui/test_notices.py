"""Notices stay on one line beside the transport, so they never push the plots down, and a notice whose
condition has stopped goes away."""
from visualizer.core.session import SessionEvent
from tests.core.toy_lesson import ToyLesson

LONG = ("Mode collapse at step 4200: the fakes cover only 12% of the real data: G produces a few modes and "
        "drops the rest. D then learns to reject that region, G jumps to another, and the game can cycle. Try: "
        "a lower G learning rate, more D steps per G step (k), a wider or deeper discriminator, or Reset (R).")


def test_notices_do_not_shrink_the_plot_area_by_more_than_one_line(qtbot, make_view):
    view = make_view(ToyLesson, size=(1280, 800))
    qtbot.wait(50)
    before = view.plot_scroll.height()
    line = view.fontMetrics().lineSpacing()
    for i in range(3):
        view._handle_event(SessionEvent("notice", f"{i}: {LONG}"))
    view.messages.add("warning", "Paused at step 30: " + LONG)
    qtbot.wait(50)
    assert len(view.messages.banners()) == 3
    assert before - view.plot_scroll.height() <= line, (before, view.plot_scroll.height(), line)
    newest = view.messages.banners()[-1]
    assert newest.isVisible() and newest.height() <= 2 * line
    assert newest.more_button.isVisible() and newest.more_button.text() == "+2 more"
    popup = view.messages.show_all()                  # "more": every notice in full
    assert [lbl.text().split("  ", 1)[1] for lbl in popup.labels] == view.messages.texts()
    assert popup.labels[-1].text().endswith(LONG)
    popup.close()
    newest.close_button.click()                       # dismissing shows the next newest
    qtbot.waitUntil(lambda: len(view.messages.banners()) == 2)
    assert view.messages.banners()[-1].isVisible() and view.messages.banners()[-1].text.startswith("2:")


def test_a_keyed_notice_goes_when_its_condition_stops(qtbot, make_view):
    view = make_view(ToyLesson)
    view._handle_event(SessionEvent("notice", "Offline: using the embedded digits"))
    view._handle_event(SessionEvent("notice", "Mode collapse at step 900: 0% coverage", key="gan_2d.collapse"))
    view._handle_event(SessionEvent("notice", "Mode collapse at step 1500: 5% coverage", key="gan_2d.collapse"))
    assert view.messages.texts() == ["Offline: using the embedded digits", "Mode collapse at step 1500: 5% coverage"]
    view._handle_event(SessionEvent("notice_cleared", "", key="gan_2d.collapse"))
    qtbot.waitUntil(lambda: view.messages.texts() == ["Offline: using the embedded digits"])
    assert view.messages.banners()[-1].isVisible()


def test_a_lesson_context_withdraws_a_notice_through_the_session():
    from visualizer.core.session import TrainingSession

    session = TrainingSession(ToyLesson)
    try:
        assert session.wait_idle(10)
        session.drain_events()
        ctx = session.lesson.context
        ctx.keyed_notice("k", "it holds")
        ctx.clear_notice("k")
        events = [(e.kind, e.message, e.key) for e in session.drain_events()]
        assert events == [("notice", "it holds", "k"), ("notice_cleared", "", "k")]
    finally:
        session.stop(1.0)
