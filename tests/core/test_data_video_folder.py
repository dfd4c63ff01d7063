"""Video files decoded with PyAV: tiny clips of a moving square written here in real containers (mp4/H.264,
avi/MPEG-4, webm/VP8, mkv), evenly spaced frames, resizing, Kinetics-style folders and every bad input."""
import numpy as np
import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.data.clips import ClipSet, segment_indices
from visualizer.data.idx import DataFormatError
from visualizer.data.video_folder import (ClipTooShortError, VideoDecodeError, VideoFolderError, load_clip_folder,
                                          load_clip_splits, read_clip, read_video)

CODECS = {".mp4": "libx264", ".avi": "mpeg4", ".webm": "libvpx", ".mkv": "mpeg4"}


def square_frames(n, h=32, w=32, dx=2, start=0):
    """(n, h, w, 3) uint8: black frames with a white 8x8 square moving dx pixels per frame to the right."""
    frames = np.zeros((n, h, w, 3), np.uint8)
    for t in range(n):
        x = start + dx * t
        frames[t, 12:20, x:x + 8] = 255
    return frames


def write_video(path, frames, fps=10):
    """Encode (T, H, W, 3) uint8 frames into ``path`` with PyAV, the codec chosen by the extension."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(CODECS[path.suffix], rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        container.mux(stream.encode())
    return path


def square_x(frame):
    """Column of the bright square's centre in an (H, W, 3) frame."""
    cols = frame.astype(float).mean(axis=(0, 2))
    return float((cols * np.arange(cols.size)).sum() / cols.sum())


@pytest.mark.parametrize("ext", [".mp4", ".avi", ".webm", ".mkv"])
def test_read_video_decodes_every_frame_of_each_container(tmp_path, ext):
    truth = square_frames(12)
    path = write_video(tmp_path / f"clip{ext}", truth, fps=10)
    frames, fps = read_video(path)
    assert frames.shape == (12, 32, 32, 3) and frames.dtype == np.uint8
    assert fps == pytest.approx(10.0)
    assert np.abs(frames.astype(int) - truth).mean() < 12          # lossy codecs, but the same picture
    xs = [square_x(f) for f in frames]
    assert np.all(np.diff(xs) > 1.0)                                # the square moves right, frame by frame
    assert read_video(path, max_frames=5)[0].shape[0] == 5


def test_read_clip_takes_the_middle_frame_of_equal_parts(tmp_path):
    path = write_video(tmp_path / "clip.mp4", square_frames(12))
    full = read_clip(path, 12, (32, 32))
    assert full.shape == (12, 32, 32, 3)
    assert np.abs(full.astype(int) - read_video(path)[0]).max() <= 2       # same size: (nearly) untouched
    four = read_clip(path, 4, (32, 32))
    assert four.shape == (4, 32, 32, 3) and four.dtype == np.uint8
    np.testing.assert_array_equal(four, full[segment_indices(12, 4)])     # frames 1, 4, 7, 10
    assert segment_indices(12, 4).tolist() == [1, 4, 7, 10]


@pytest.mark.parametrize("ext", [".webm", ".mkv"])
def test_read_clip_when_only_the_duration_gives_the_frame_count(tmp_path, ext):
    path = write_video(tmp_path / f"clip{ext}", square_frames(12))
    full, four = read_clip(path, 12, (16, 16)), read_clip(path, 4, (16, 16))
    np.testing.assert_array_equal(four, full[segment_indices(12, 4)])


@pytest.mark.parametrize("claimed, passes", [(15, 2), (10, 2), (0, 1)])
def test_read_clip_survives_a_header_that_miscounts(tmp_path, monkeypatch, claimed, passes):
    """The header claims ``claimed`` frames of 12 (0: no count, so every frame is kept and sampled after)."""
    from visualizer.data import video_folder

    path = write_video(tmp_path / "clip.mp4", square_frames(12))
    right = read_clip(path, 4, (16, 16))
    real, calls = video_folder._decode, []

    def lying(path, size, max_frames=None, select=None):
        calls.append(path)
        if len(calls) == 1:
            kept, fps, total, _header = real(path, size, max_frames, lambda _h: select(claimed))
            return kept, fps, total, claimed
        return real(path, size, max_frames, select)

    monkeypatch.setattr(video_folder, "_decode", lying)
    np.testing.assert_array_equal(read_clip(path, 4, (16, 16)), right)
    assert len(calls) == passes


def test_read_clip_resizes_the_centred_crop(tmp_path):
    frames = np.zeros((6, 32, 48, 3), np.uint8)
    frames[:, :, :16, 0] = 255                      # red left third, green middle, blue right third
    frames[:, :, 16:32, 1] = 255
    frames[:, :, 32:, 2] = 255
    path = write_video(tmp_path / "wide.avi", frames)
    clip = read_clip(path, 3, (16, 16))
    assert clip.shape == (3, 16, 16, 3)
    mid = clip[1].astype(float)
    # scaled to 16x24, centre 16 columns kept: 4 red, 8 green, 4 blue columns
    assert mid[:, 6:10, 1].mean() > 200 and mid[:, 6:10, 0].mean() < 60
    assert mid[:, 0, 0].mean() > mid[:, 0, 2].mean() + 100
    assert mid[:, 15, 2].mean() > mid[:, 15, 0].mean() + 100
    tall = read_clip(path, 2, (20, 10))
    assert tall.shape == (2, 20, 10, 3)
    assert tall[0, :, 3:7, 1].mean() > 200            # a narrow centre crop: all green


def test_a_clip_shorter_than_asked_is_explained(tmp_path):
    path = write_video(tmp_path / "short.mp4", square_frames(5))
    with pytest.raises(ClipTooShortError) as info:
        read_clip(path, 8, (16, 16))
    assert isinstance(info.value, LessonConfigError)
    msg = str(info.value)
    assert "short.mp4" in msg and "only 5 frames" in msg and "8 frames per clip" in msg
    assert (info.value.available, info.value.requested) == (5, 8)


def test_undecodable_files_name_the_file_and_the_reason(tmp_path):
    bad = tmp_path / "noise.mp4"
    bad.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(VideoDecodeError) as info:
        read_video(bad)
    assert isinstance(info.value, DataFormatError)              # load_with_fallback treats it as damaged data
    assert "noise.mp4" in str(info.value) and info.value.reason
    assert "invalid data" in info.value.reason.lower()
    with pytest.raises(VideoDecodeError, match="missing.mp4"):
        read_clip(tmp_path / "missing.mp4", 4, (8, 8))
    with pytest.raises(ValueError, match="size"):
        read_clip(bad, 4, (0, 8))
    with pytest.raises(ValueError, match="frames"):
        read_clip(bad, 0, (8, 8))


def _folder(root, layout):
    """layout: {relative path: number of frames (int) or b"..." raw bytes}."""
    for rel, what in layout.items():
        p = root / rel
        if isinstance(what, bytes):
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(what)
        else:
            write_video(p, square_frames(what, dx=1))
    return root


def test_load_clip_folder_reads_classes_and_skips_a_corrupt_file(tmp_path):
    root = _folder(tmp_path / "videos", {"jump/a.mp4": 10, "jump/sub/b.avi": 12, "run/c.webm": 9,
                                         "run/broken.mp4": np.random.default_rng(1).bytes(500),
                                         "run/notes.txt": b"not a video", "walk/readme.md": b"no videos"})
    calls = []
    clips, skipped = load_clip_folder(root, 8, (16, 16), progress=lambda m, f: calls.append((m, f)))
    assert isinstance(clips, ClipSet)
    assert clips.clips.shape == (3, 8, 16, 16, 3) and clips.clips.dtype == np.uint8
    assert clips.class_names == ("jump", "run") and clips.labels.tolist() == [0, 0, 1]
    assert clips.fps == pytest.approx(10 * 8 / 10)                # median of 8 of 10, 12 and 9 frames at 10 fps
    assert len(skipped) == 2
    assert skipped[0].startswith("run/broken.mp4: ") and "walk/: no video files" in skipped[1]
    assert calls[-1] == ("Decoding videos: 4/4", 1.0)


def test_load_clip_folder_reports_short_clips_and_limits_per_class(tmp_path):
    root = _folder(tmp_path / "v", {"a/1.mp4": 10, "a/2.mp4": 3, "a/3.mp4": 10, "b/1.mp4": 10, "b/2.mp4": 11})
    clips, skipped = load_clip_folder(root, 6, (8, 8))
    assert clips.labels.tolist() == [0, 0, 1, 1]
    assert skipped == ["a/2.mp4: only 3 frames, 6 asked for"]
    few, _ = load_clip_folder(root, 6, (8, 8), max_per_class=1, seed=3)
    assert len(few) == 2 and few.labels.tolist() == [0, 1]
    with pytest.raises(ClipTooShortError, match=r"Every video in .* shorter than the 20 frames .* has 11"):
        load_clip_folder(root, 20, (8, 8))


def test_bad_folders_say_what_layout_is_expected(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VideoFolderError, match=r"no class folders.*<class name>/<clip>\.mp4") as info:
        load_clip_folder(empty, 4, (8, 8))
    assert isinstance(info.value, LessonConfigError)
    loose = _folder(tmp_path / "loose", {"x.mp4": 5})
    with pytest.raises(VideoFolderError, match="move them into class folders"):
        load_clip_folder(loose, 4, (8, 8))
    with pytest.raises(VideoFolderError, match="does not exist"):
        load_clip_folder(tmp_path / "nowhere", 4, (8, 8))
    novideo = _folder(tmp_path / "novideo", {"a/x.txt": b"x", "b/y.jpg": b"y"})
    with pytest.raises(VideoFolderError, match="hold no video files"):
        load_clip_folder(novideo, 4, (8, 8))
    noise = np.random.default_rng(2).bytes(400)
    corrupt = _folder(tmp_path / "corrupt", {"a/x.mp4": noise, "b/y.avi": noise})
    with pytest.raises(VideoFolderError, match=r"None of the 2 video files .* could be read \(a/x\.mp4: "):
        load_clip_folder(corrupt, 4, (8, 8))
    one = _folder(tmp_path / "one", {"a/x.mp4": 5, "b/y.mp4": noise})
    with pytest.raises(VideoFolderError, match=r"Only one class \('a'\).*Skipped: b/y\.mp4"):
        load_clip_folder(one, 4, (8, 8))
    split = _folder(tmp_path / "split", {"train/a/x.mp4": 5, "val/a/y.mp4": 5})
    with pytest.raises(VideoFolderError, match="load_clip_splits"):
        load_clip_folder(split, 4, (8, 8))


def test_load_clip_splits_reads_train_and_val_folders(tmp_path):
    root = _folder(tmp_path / "kin", {"train/archery/1.mp4": 8, "train/archery/2.mp4": 8, "train/bowling/1.avi": 8,
                                      "val/archery/3.mp4": 8, "val/bowling/2.mp4": 8, "val/bowling/4.mp4": b"junk"})
    train, val, skipped = load_clip_splits(root, 4, (8, 8))
    assert train.class_names == val.class_names == ("archery", "bowling")
    assert train.labels.tolist() == [0, 0, 1] and val.labels.tolist() == [0, 1]
    assert val.clips.shape == (2, 4, 8, 8, 3)
    assert len(skipped) == 1 and skipped[0].startswith("val/bowling/4.mp4: ")
    _folder(root, {"val/cricket/5.mp4": 8})
    with pytest.raises(VideoFolderError, match="classes that .* lacks: cricket"):
        load_clip_splits(root, 4, (8, 8))


def test_load_clip_splits_splits_a_flat_folder_per_class(tmp_path):
    root = _folder(tmp_path / "flat", {f"{c}/{i}.mp4": 6 for c in ("a", "b") for i in range(4)})
    train, val, skipped = load_clip_splits(root, 3, (8, 8), val_fraction=0.25, seed=1)
    assert skipped == []
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1] and val.labels.tolist() == [0, 1]
    again, _, _ = load_clip_splits(root, 3, (8, 8), val_fraction=0.25, seed=1)
    np.testing.assert_array_equal(again.clips, train.clips)
    with pytest.raises(ValueError, match="val_fraction"):
        load_clip_splits(root, 3, (8, 8), val_fraction=1.0)
