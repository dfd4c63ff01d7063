"""The clip view plays a clip in a loop at its fps, marks the sampled frames, overlays the heat map with its
colour bar, scrubs with the slider, keeps its frame across redraws and stops its timer when hidden."""
import numpy as np
import pytest

from visualizer.core.plotdata import ClipData, PlotSpec
from visualizer.data.clips import ClipSet, segment_indices
from visualizer.ui.plots import make_plot_view
from visualizer.ui.plots.clip import ClipView, film_strip, frames_u8


def moving_square_clips(n=2, t=12, h=16, w=20) -> ClipSet:
    """n clips of a bright square moving right, as the video lesson's generated clips are stored."""
    clips = np.zeros((n, t, h, w, 3), np.uint8)
    for k in range(n):
        for i in range(t):
            x = (i + 3 * k) % (w - 4)
            clips[k, i, 5:9, x:x + 4] = (255, 160, 30)
    return ClipSet(clips, np.arange(n) % 2, ("right", "left"), fps=12.0)


def clip_data(t=12, heat=True, scores=True, fps=50.0, shift=0) -> ClipData:
    clips = moving_square_clips(t=t)
    frames = clips.clips[0].astype(np.float32) / 255.0
    frames = np.roll(frames, shift, axis=2)
    sampled = segment_indices(clips.frames, 4)
    h = None
    if heat:
        h = np.zeros(frames.shape[:3], np.float32)
        h[:, 4:10, :] = np.linspace(0, 1, frames.shape[2], dtype=np.float32)
        h[0] = np.nan                                      # frame 0: no heat map
    s = np.linspace(0.1, 0.9, t).astype(np.float32) if scores else None
    return ClipData(frames, sampled=sampled, heat=h, heat_label="Grad-CAM for 'right'", frame_scores=s,
                    score_label="p(right)", fps=fps, caption="true: right · predicted: right")


def shown(qtbot, size=(640, 480)) -> ClipView:
    view = make_plot_view(PlotSpec("clip", "Clip", "clip"))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_clip_view_is_the_view_of_clip_data(qtbot):
    assert isinstance(shown(qtbot), ClipView)


def test_strip_and_bytes_are_vectorised_and_right():
    f = np.random.default_rng(0).uniform(0, 1, (5, 80, 6, 3)).astype(np.float32)
    f[0, 0, 0, 0] = np.nan
    u8 = frames_u8(f)
    assert u8.dtype == np.uint8 and u8[0, 0, 0, 0] == 0 and u8[1, 3, 2, 1] == int(f[1, 3, 2, 1] * 255 + 0.5)
    strip = film_strip(u8, thumb_px=40)                    # stride 2: 40 rows, 3 columns per frame
    assert strip.shape == (40, 5 * 3, 3)
    assert np.array_equal(strip[:, 3:6], u8[1, ::2, ::2])


def test_plays_in_a_loop_at_its_fps_and_marks_sampled_frames(qtbot):
    view = shown(qtbot)
    data = clip_data(fps=50.0)
    view.set_data(data)
    assert view.frame_count == 12 and view.index == 0
    assert view.timer.isActive() and view.timer.interval() == 20
    x, _ = view.sampled_marks.getData()
    assert list(x) == list(data.sampled.astype(float))
    qtbot.waitUntil(lambda: view.index >= 3, timeout=3000)
    seen = set()
    for _ in range(200):                                   # it wraps around: the clip loops
        qtbot.wait(10)
        seen.add(view.index)
        if 0 in seen and 11 in seen:
            break
    assert {0, 11} <= seen
    i = view.index
    assert view.slider.value() == i and view.score_line.value() == i
    x, _ = view.current_box.getData()
    assert x.min() == pytest.approx(i - 0.5)


def test_heat_map_has_a_colour_bar_and_nan_frames_show_none(qtbot):
    view = shown(qtbot)
    view.set_playing(False)
    view.set_data(clip_data())
    assert view._colorbar_shown and view.colorbar.isVisible()
    assert tuple(view.colorbar.levels()) == (0.0, 1.0)
    assert view.heat_title.text == "Grad-CAM for 'right'"     # above the frame; quotes stay quotes
    view.show_frame(3)
    assert view.heat_item.image.shape == (16, 20) and np.nanmax(view.heat_item.image) == pytest.approx(1.0)
    rect = view.heat_item.mapRectToParent(view.heat_item.boundingRect())
    assert (rect.width(), rect.height()) == (20, 16)      # over the frame, pixel for pixel
    view.set_data(clip_data(heat=False, scores=False))
    assert not view._colorbar_shown and not view.heat_item.isVisible() and not view.scores.isVisible()


def test_pause_and_scrub_with_the_slider(qtbot):
    view = shown(qtbot)
    view.set_data(clip_data())
    view.play_button.click()
    assert not view.playing and not view.timer.isActive()
    view.slider.setValue(7)
    assert view.index == 7 and "frame 8 / 12" in view.counter.text()
    qtbot.wait(100)
    assert view.index == 7                                 # paused: stays
    sampled = int(clip_data().sampled[2])
    view.slider.setValue(sampled)
    assert "segment 3" in view.counter.text()
    view.play_button.click()
    assert view.playing and view.timer.isActive()


def test_new_data_keeps_the_frame_unless_the_clip_changes_shape(qtbot):
    view = shown(qtbot)
    view.set_playing(False)
    view.set_data(clip_data())
    view.show_frame(5)
    view.set_data(clip_data(shift=1))                     # a new redraw of a clip of the same shape
    assert view.index == 5
    assert np.array_equal(view.image_item.image, frames_u8(clip_data(shift=1).frames)[5])
    view.set_data(clip_data(t=8))                         # another shape: from the start
    assert view.index == 0 and view.frame_count == 8 and view.slider.maximum() == 7


def test_timer_stops_when_hidden_and_runs_again_when_shown(qtbot):
    view = shown(qtbot)
    view.set_data(clip_data())
    assert view.timer.isActive()
    view.hide()
    assert not view.timer.isActive()
    view.show()
    assert view.timer.isActive()
    view.close()
    assert not view.timer.isActive()


def test_grey_clip_exports(qtbot, tmp_path):
    view = shown(qtbot)
    frames = np.random.default_rng(1).uniform(0, 1, (6, 10, 10)).astype(np.float32)
    view.set_data(ClipData(frames, sampled=np.array([0, 3]), fps=5.0))
    assert view.image_item.image.shape == (10, 10)
    view.export_png(tmp_path / "c.png")
    view.export_svg(tmp_path / "c.svg")
    view.export_csv(tmp_path / "c.csv")
    assert (tmp_path / "c.csv").read_text().splitlines()[1].startswith("0,1,0,")


def test_quotes_in_labels_are_shown_as_quotes_and_angle_brackets_escaped(qtbot):
    view = shown(qtbot)
    data = clip_data()
    data.heat_label, data.score_label = "Grad-CAM for 'rotate'", "p('rotate' | frames <= t)"
    view.set_data(data)
    texts = view.heat_title.text + view.scores.titleLabel.text
    assert "'rotate'" in texts and "&#x27;" not in texts and "&lt;=" in texts
