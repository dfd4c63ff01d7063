"""The Kinetics subset's download path against a loopback server that serves tiny videos written in tmp_path:
download, cache hit, second mirror, checksum mismatch, unrecorded checksums, offline, damaged files, and the
lesson's fallback to generated clips."""
import hashlib

import numpy as np
import pytest

from tests.core.test_data_download import serve_folder, unreachable_url
from tests.core.test_data_video_folder import square_frames, write_video
from visualizer.data import kinetics
from visualizer.data.download import DownloadError
from visualizer.data.fallback import load_with_fallback
from visualizer.data.idx import DataFormatError
from visualizer.data.video_folder import ClipTooShortError

LAYOUT = ("train/archery/a1.mp4", "train/archery/a2.mp4", "train/bowling/b1.mp4", "train/bowling/b2.mp4",
          "val/archery/a3.mp4", "val/bowling/b3.mp4")


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A loopback server holding six 10-frame clips in Kinetics-mini's layout, with ``kinetics.SOURCE`` pointing
    at it; yields (site folder, requested paths).  The cache is an empty folder in tmp_path."""
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "site"
    for k, rel in enumerate(LAYOUT):
        write_video(folder / rel, square_frames(10, dx=1 + k % 3))
    with serve_folder(folder) as (url, requested):
        files = tuple(kinetics.KineticsFile(rel, sha256(folder / rel)) for rel in LAYOUT)
        monkeypatch.setattr(kinetics, "SOURCE", kinetics.KineticsSource("Kinetics-mini", "kin", (url,), files))
        yield folder, requested


def test_the_real_table_pins_a_revision_and_two_clips_per_class_and_split():
    src = kinetics.SOURCE
    assert src.mirrors == (f"https://huggingface.co/datasets/nateraw/kinetics-mini/resolve/{kinetics.REVISION}/",)
    assert len(kinetics.REVISION) == 40
    assert len(src.files) == 20 and len({f.path for f in src.files}) == 20
    for split in ("train", "val"):
        for c in kinetics.CLASS_NAMES:
            assert sum(f.path.startswith(f"{split}/{c}/") and f.path.endswith(".mp4") for f in src.files) == 2
    recorded = [f.sha256 for f in src.files if f.sha256]
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in recorded)


def test_unrecorded_checksums_are_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    with serve_folder(tmp_path) as (url, requested):
        files = (kinetics.KineticsFile("train/a/x.mp4", "0" * 64), kinetics.KineticsFile("val/a/y.mp4", None))
        monkeypatch.setattr(kinetics, "SOURCE", kinetics.KineticsSource("Kinetics-mini", "kin", (url,), files))
        with pytest.raises(DownloadError, match="checksums of 1 of its 2 files are not recorded") as info:
            kinetics.fetch_kinetics_subset()
        assert "not recorded" in info.value.reason
        bad = (kinetics.KineticsFile("train/../x.mp4", "0" * 64),)
        monkeypatch.setattr(kinetics, "SOURCE", kinetics.KineticsSource("Kinetics-mini", "kin", (url,), bad))
        with pytest.raises(DownloadError, match="bad entry"):
            kinetics.fetch_kinetics_subset()
    assert requested == []


def test_download_then_cache_hit(site, tmp_path):
    _folder, requested = site
    progress = []
    train, val, skipped = kinetics.load_kinetics_subset(4, (8, 8), progress=lambda m, f: progress.append((m, f)))
    assert sorted(requested) == sorted("/" + rel for rel in LAYOUT)
    assert train.class_names == ("archery", "bowling") and train.labels.tolist() == [0, 0, 1, 1]
    assert val.labels.tolist() == [0, 1] and val.clips.shape == (2, 4, 8, 8, 3) and skipped == []
    assert ("Kinetics-mini: 6/6 clips ready", 1.0) in progress
    fractions = [f for _, f in progress if f is not None]
    assert fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)
    cached = tmp_path / "cache" / "kin"
    assert sorted(p.relative_to(cached).as_posix() for p in cached.rglob("*.mp4")) == sorted(LAYOUT)
    requested.clear()
    again, _, _ = kinetics.load_kinetics_subset(4, (8, 8))
    assert requested == []                                          # every file found (and re-hashed) in the cache
    np.testing.assert_array_equal(again.clips, train.clips)


def test_a_second_mirror_is_tried(site, monkeypatch):
    _folder, requested = site
    src = kinetics.SOURCE
    monkeypatch.setattr(kinetics, "SOURCE", kinetics.KineticsSource(
        src.title, src.folder, (unreachable_url(),) + src.mirrors, src.files))
    root = kinetics.fetch_kinetics_subset(timeout=5)
    assert len(requested) == len(LAYOUT) and (root / "val" / "bowling" / "b3.mp4").is_file()


def test_checksum_mismatch_is_a_download_error(site, tmp_path):
    folder, _requested = site
    write_video(folder / LAYOUT[3], square_frames(10, dx=3))          # the server's file changed
    with pytest.raises(DownloadError, match=r"Kinetics-mini train/bowling/b2\.mp4.*does not match its published"):
        kinetics.fetch_kinetics_subset()
    cached = tmp_path / "cache" / "kin"
    assert (cached / LAYOUT[2]).is_file() and not (cached / LAYOUT[3]).exists()   # verified ones kept, bad one not


def test_offline_falls_back_to_the_generated_clips(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    files = (kinetics.KineticsFile("train/a/x.mp4", "0" * 64),)
    monkeypatch.setattr(kinetics, "SOURCE", kinetics.KineticsSource(
        "Kinetics-mini", "kin", (unreachable_url(),), files))
    with pytest.raises(DownloadError, match=r"could not connect to 127\.0\.0\.1"):
        kinetics.fetch_kinetics_subset(timeout=5)

    class Context:
        def __init__(self):
            self.notices, self.used = [], []

        def notice(self, message):
            self.notices.append(message)

        def substituted(self, name, used):
            self.used.append((name, used))

    ctx = Context()
    got = load_with_fallback(ctx, lambda: kinetics.load_kinetics_subset(4, (8, 8), timeout=5),
                             lambda: "generated", what="the Kinetics-mini clips",
                             instead="the generated motion clips", param="dataset")
    assert got == "generated" and ctx.used == [("dataset", "the generated motion clips")]
    assert ctx.notices[0].startswith("Could not download the Kinetics-mini clips (could not connect")


def test_verified_files_that_do_not_decode_are_a_format_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "site"
    rng = np.random.default_rng(0)
    for rel in LAYOUT:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(rng.bytes(700))
    with serve_folder(folder) as (url, _requested):
        files = tuple(kinetics.KineticsFile(rel, sha256(folder / rel)) for rel in LAYOUT)
        monkeypatch.setattr(kinetics, "SOURCE", kinetics.KineticsSource("Kinetics-mini", "kin", (url,), files))
        with pytest.raises(DataFormatError, match="Kinetics-mini clips in .* could not be read: None of the 4"):
            kinetics.load_kinetics_subset(4, (8, 8))


def test_more_frames_than_the_clips_have_is_a_setting_to_change(site):
    with pytest.raises(ClipTooShortError, match="has 10"):
        kinetics.load_kinetics_subset(16, (8, 8))
