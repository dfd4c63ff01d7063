"""The narrative panel's "Skip ahead" button: shown only on steps that ship a pretrained snapshot, loading it
sets the snapshot's settings and shows the trained model; a damaged snapshot changes nothing."""
from PySide6.QtCore import Qt

from lessons.attention.lesson import AttentionLesson
from lessons.seq2seq.lesson import Seq2seqLesson
from visualizer.core import snapshots


def step_index(view, title):
    return next(i for i, s in enumerate(view.steps) if s.title == title)


def test_skip_ahead_shows_only_on_steps_with_a_snapshot(qtbot, make_view):
    view = make_view(Seq2seqLesson)
    for i, step in enumerate(view.steps):
        view.narrative.index = i
        view.narrative._show()                        # show the page without entering it (no training)
        assert view.narrative.skip_ahead.isHidden() == (step.snapshot is None), step.title
    assert any(s.snapshot for s in view.steps) and any(not s.snapshot for s in view.steps)


def test_skip_ahead_loads_the_trained_attention_model(qtbot, make_view):
    view = make_view(AttentionLesson, {"hidden_size": 64})          # the snapshot was trained with H = 256
    qtbot.waitUntil(lambda: view.builds >= 1, timeout=30_000)
    view.narrative.set_step(step_index(view, "Your own date"))
    button = view.narrative.skip_ahead
    assert not button.isHidden() and button.isEnabled()
    assert view.narrative.skip_caption.text() == "trained 1,000 steps · test accuracy 100.0 %"
    assert "trained 1,000 steps by assets/snapshots/train_snapshots.py" in view.narrative.skip_caption.toolTip()
    assert view.session.step_count == 0
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert view.session.hp["hidden_size"] == 256 and view.panel.controls["hidden_size"] is not None
    qtbot.waitUntil(lambda: view.session.step_count == 1000, timeout=60_000)

    def loaded():
        steps, acc = view.session.history.series("val_acc")
        mine = view.session.latest_snapshot().plots.get("your_attention")
        return (len(acc) and steps[-1] == 1000 and acc[-1] >= 0.99 and mine is not None
                and "1994-09-27" in mine.col_title)
    qtbot.waitUntil(loaded, timeout=60_000)             # the typed date is translated by the loaded model
    assert view.session.applied["hidden_size"] == 256
    qtbot.waitUntil(lambda: any("pretrained" in t for t in view.messages.texts()), timeout=10_000)


def test_damaged_snapshot_is_reported_and_nothing_changes(qtbot, make_view, tmp_path, monkeypatch):
    bad = tmp_path / "damaged.npz"
    good = snapshots.snapshot_path(Seq2seqLesson, "peeky_reversed_3000_steps", "numpy")
    bad.write_bytes(good.read_bytes()[:5000])
    monkeypatch.setattr(snapshots, "snapshot_path", lambda *_args: bad)
    view = make_view(Seq2seqLesson, {"hidden_size": 32})
    qtbot.waitUntil(lambda: view.builds >= 1, timeout=30_000)
    view.narrative.index = step_index(view, "Which mistakes remain?")
    view.narrative._show()
    assert "damaged" in view.narrative.skip_caption.text()
    view.step()
    qtbot.waitUntil(lambda: view.session.step_count == 1, timeout=10_000)
    builds = view.builds
    qtbot.mouseClick(view.narrative.skip_ahead, Qt.MouseButton.LeftButton)
    assert any("damaged or truncated" in t for t in view.messages.texts())
    assert view.session.hp["hidden_size"] == 32 and view.session.hp["variant"] == "baseline"
    qtbot.wait(300)
    assert view.builds == builds and view.session.step_count == 1
