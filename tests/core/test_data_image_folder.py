"""Image folders on tiny files in the real formats written in tmp_path: JPEG, PNG, 16-bit PNG, grayscale, RGBA,
palette, a huge JPEG, a truncated JPEG, a text file named .jpg; the two layouts (hymenoptera's train/val and one
folder per class split by seed); one class, no images, not a folder; and the hymenoptera fetch/extract path
with a local zip in place of the download."""
import zipfile

import numpy as np
import pytest
from PIL import Image

from visualizer.data import image_folder as imf
from visualizer.data.download import DownloadError
from visualizer.data.image_folder import ImageFolderError, load_image_folder, read_image


def solid(path, colour, size=(40, 30), mode="RGB", **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path, **save)
    return path


def class_folder(root, names=("ants", "bees"), n=5, size=(40, 30)):
    colours = [(200, 30, 30), (30, 30, 200), (30, 200, 30)]
    for c, name in enumerate(names):
        for i in range(n):
            colour = tuple(v + 3 * i for v in colours[c])          # each file its own shade
            solid(root / name / f"{i:02d}.jpg" if i % 2 else root / name / f"{i:02d}.png", colour, size)
    return root


# ------------------------------------------------------------------------------------------------ #
# One image in each format
# ------------------------------------------------------------------------------------------------ #
def test_formats_become_rgb_float32_in_unit_range(tmp_path):
    rgb = read_image(solid(tmp_path / "a.png", (255, 0, 51)), 8)
    assert rgb.shape == (3, 8, 8) and rgb.dtype == np.float32
    np.testing.assert_allclose(rgb[:, 4, 4], [1.0, 0.0, 0.2], atol=1e-6)
    grey = read_image(solid(tmp_path / "g.jpg", 128, mode="L"), 8)
    assert grey.shape == (3, 8, 8) and np.allclose(grey[0], grey[1]) and abs(grey.mean() - 128 / 255) < 0.01
    rgba = read_image(solid(tmp_path / "t.png", (0, 0, 0, 0), mode="RGBA"), 8)     # transparent: white
    np.testing.assert_allclose(rgba, 1.0)
    pal = Image.new("P", (20, 20), 1)
    pal.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    pal.save(tmp_path / "p.gif")
    np.testing.assert_allclose(read_image(tmp_path / "p.gif", 4)[:, 0, 0], [0, 1, 0])
    cmyk = read_image(solid(tmp_path / "c.jpg", (0, 255, 255, 0), mode="CMYK"), 4)    # CMYK cyan-free: red
    assert cmyk[0].mean() > 0.9 and cmyk[1].mean() < 0.1


def test_16_bit_png_is_scaled_by_65535_not_clipped(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 16).astype(np.uint16), (16, 1))            # (16, 16) left to right
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    x = read_image(tmp_path / "deep.png", 16)
    assert x.shape == (3, 16, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], ramp[0] / 65535.0, atol=1e-4)          # a ramp, not a wall of ones
    assert 0.0 <= x.min() and x.max() <= 1.0
    mid = np.full((8, 8), 32768, np.uint16)
    Image.fromarray(mid).save(tmp_path / "mid.png")
    np.testing.assert_allclose(read_image(tmp_path / "mid.png", 4), 32768 / 65535, atol=1e-4)


def test_centre_square_crop_and_resize(tmp_path):
    img = np.zeros((20, 60, 3), np.uint8)
    img[:, 20:40] = 255                                   # white centre square, black sides
    Image.fromarray(img).save(tmp_path / "wide.png")
    np.testing.assert_allclose(read_image(tmp_path / "wide.png", 10), 1.0)


def test_huge_jpeg_is_decoded_at_a_reduced_scale(tmp_path, monkeypatch):
    from PIL import ImageFile

    solid(tmp_path / "huge.jpg", 200, size=(12000, 9000), mode="L", quality=30)
    seen = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        seen.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    x = read_image(tmp_path / "huge.jpg", 64)
    assert x.shape == (3, 64, 64) and abs(x.mean() - 200 / 255) < 0.02
    assert seen and seen[0] == (1500, 1125)               # 1/8 scale: never the 108-megapixel image


def test_decompression_bomb_is_a_clear_error(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    solid(tmp_path / "bomb.png", (1, 2, 3), size=(100, 100))
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1000)          # 10 000 px > twice the limit
    with pytest.raises(OSError, match="too large to decode safely"):
        read_image(tmp_path / "bomb.png", 8)


def test_broken_files_raise_oserror(tmp_path):
    good = solid(tmp_path / "ok.jpg", (10, 20, 30), size=(64, 64), quality=90)
    (tmp_path / "trunc.jpg").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "text.jpg").write_text("this is not a picture")
    for name in ("trunc.jpg", "text.jpg", "absent.png"):
        with pytest.raises(OSError):
            read_image(tmp_path / name, 8)


# ------------------------------------------------------------------------------------------------ #
# Folders
# ------------------------------------------------------------------------------------------------ #
def test_hymenoptera_layout_with_broken_files_skipped_and_named(tmp_path):
    root = tmp_path / "hymenoptera_data"
    class_folder(root / "train", n=4)
    class_folder(root / "val", n=2)
    good = root / "train" / "ants" / "01.jpg"
    (root / "train" / "ants" / "trunc.jpg").write_bytes(good.read_bytes()[:200])
    (root / "train" / "bees" / "notes.jpg").write_text("not an image")
    (root / "train" / "bees" / "README.txt").write_text("ignored: not an image extension")
    deep = np.full((30, 30), 65535, np.uint16)
    Image.fromarray(deep).save(root / "val" / "bees" / "deep.png")
    train, val, skipped = load_image_folder(root, 16)
    assert train.class_names == val.class_names == ("ants", "bees")
    assert len(train) == 8 and len(val) == 5 and train.size == 16 and train.masks is None
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    assert list(train.labels) == [0] * 4 + [1] * 4 and list(val.labels) == [0, 0, 1, 1, 1]
    assert train.images[0, 0].mean() > 0.7 and train.images[-1, 2].mean() > 0.7        # red ants, blue bees
    np.testing.assert_allclose(val.images[-1], 1.0)                                      # 16-bit white
    assert len(skipped) == 2
    assert any(s.startswith("train/ants/trunc.jpg: ") for s in skipped)
    assert any(s.startswith("train/bees/notes.jpg: ") and "cannot identify" in s for s in skipped)
    assert "image folder" in train.source


def test_one_folder_per_class_is_split_by_seed(tmp_path):
    root = class_folder(tmp_path / "mine", names=("cat", "dog", "fox"), n=10)
    train, val, skipped = load_image_folder(root, 8, seed=3, val_fraction=0.3)
    assert skipped == [] and train.class_names == ("cat", "dog", "fox")
    assert np.bincount(train.labels).tolist() == [7, 7, 7] and np.bincount(val.labels).tolist() == [3, 3, 3]
    again = load_image_folder(root, 8, seed=3, val_fraction=0.3)
    np.testing.assert_array_equal(again[1].images, val.images)
    other = load_image_folder(root, 8, seed=4, val_fraction=0.3)[1]
    assert not np.array_equal(other.images, val.images)                  # another seed, another split
    small = load_image_folder(root, 8, seed=0, val_fraction=0.0, max_per_class=2)
    assert len(small[0]) == 6 and len(small[1]) == 0 and small[1].images.shape == (0, 3, 8, 8)


def test_a_class_with_only_broken_files_is_dropped_and_named(tmp_path):
    root = class_folder(tmp_path / "mine", names=("a", "b", "c"), n=3)
    for f in (root / "c").iterdir():
        f.write_text("broken")
    train, val, skipped = load_image_folder(root, 8)
    assert train.class_names == ("a", "b")
    assert "c/: no readable images" in skipped and sum(s.startswith("c/") for s in skipped) == 4


@pytest.mark.parametrize("case, message", [
    ("one class", r"Only one class \('ants'\) has images"),
    ("no images", "No readable images"),
    ("no class folders", "holds no class folders"),
    ("a file", "is not a folder"),
    ("absent", "does not exist"),
    ("val has an extra class", "holds classes that train lacks: wasps"),
])
def test_bad_folders_raise_a_clear_error(tmp_path, case, message):
    root = tmp_path / "data"
    if case == "one class":
        class_folder(root, names=("ants",))
    elif case == "no images":
        (root / "ants").mkdir(parents=True)
        (root / "bees").mkdir()
        (root / "bees" / "notes.txt").write_text("hello")
    elif case == "no class folders":
        solid(root / "loose.jpg", (1, 2, 3))
    elif case == "a file":
        root.write_text("x")
    elif case == "val has an extra class":
        class_folder(root / "train", n=2)
        class_folder(root / "val", names=("ants", "wasps"), n=2)
    with pytest.raises(ImageFolderError, match=message):
        load_image_folder(root, 8)
    assert issubclass(ImageFolderError, ValueError)


def test_bad_arguments(tmp_path):
    root = class_folder(tmp_path / "d", n=2)
    for kwargs in ({"size": 0}, {"size": 8, "val_fraction": 1.0}, {"size": 8, "max_per_class": 0}):
        with pytest.raises(ValueError):
            load_image_folder(root, **kwargs)


# ------------------------------------------------------------------------------------------------ #
# hymenoptera: fetch and extract (the download itself is pooch's, tested in test_data_download)
# ------------------------------------------------------------------------------------------------ #
def hymenoptera_zip(tmp_path):
    src = tmp_path / "src" / "hymenoptera_data"
    class_folder(src / "train", n=3)
    class_folder(src / "val", n=2)
    archive = tmp_path / "upstream.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(src.rglob("*")):
            zf.write(f, f.relative_to(src.parent).as_posix())
    return archive


def test_fetch_hymenoptera_extracts_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    archive = hymenoptera_zip(tmp_path)
    calls = []

    def fake_fetch(filename, known_hash, mirrors, folder, *, progress=None, label=None):
        calls.append((filename, known_hash, tuple(mirrors)))
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / filename
        target.write_bytes(archive.read_bytes())
        return target

    monkeypatch.setattr(imf, "fetch", fake_fetch)
    messages = []
    root = imf.fetch_hymenoptera(progress=lambda m, f: messages.append(m))
    assert calls == [("hymenoptera_data.zip", imf.HYMENOPTERA_SHA256, ("https://download.pytorch.org/tutorial/",))]
    assert imf.HYMENOPTERA_SHA256.startswith("sha256:") and len(imf.HYMENOPTERA_SHA256) == 7 + 64
    assert (root / "train" / "ants").is_dir() and (root / "val" / "bees").is_dir()
    assert any("Extracting" in m for m in messages)
    train, val, skipped = load_image_folder(root, 8)
    assert (len(train), len(val), skipped) == (6, 4, [])
    assert imf.fetch_hymenoptera() == root and len(calls) == 1          # extracted: no second fetch


def test_fetch_hymenoptera_failures_leave_nothing_half_done(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise DownloadError("Could not download the hymenoptera ants/bees images: could not connect", "offline")

    monkeypatch.setattr(imf, "fetch", offline)
    with pytest.raises(DownloadError, match="could not connect"):
        imf.fetch_hymenoptera()

    def damaged(filename, known_hash, mirrors, folder, **kwargs):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_bytes(b"PK\x03\x04 not really a zip")
        return folder / filename

    monkeypatch.setattr(imf, "fetch", damaged)
    with pytest.raises(DownloadError, match="is damaged"):
        imf.fetch_hymenoptera()
    folder = tmp_path / "cache" / "hymenoptera"
    assert sorted(p.name for p in folder.iterdir()) == ["hymenoptera_data.zip"]        # no half-extracted folder
