"""Pascal VOC: the reader on a tiny folder in the real layout written in tmp_path (JPEGs with Pillow, XML with
ElementTree, palette PNG masks with VOC's palette), every bad input the issue names, and the download's
unpacking with ``fetch`` replaced by a local tar (the HTTP side is pooch's, tested in test_data_download)."""
import tarfile
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from visualizer.data import voc
from visualizer.data.download import DownloadError
from visualizer.data.voc import VOC_CLASSES, VocFormatError, load_voc, voc_palette

DOG, PERSON, CAT = VOC_CLASSES.index("dog"), VOC_CLASSES.index("person"), VOC_CLASSES.index("cat")


def write_xml(path, width, height, objects):
    """objects: (name, xmin, ymin, xmax, ymax[, difficult]) in VOC's 1-based inclusive pixels."""
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = path.stem + ".jpg"
    size = ET.SubElement(root, "size")
    for tag, v in (("width", width), ("height", height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(v)
    for name, *box in objects:
        difficult = box[4] if len(box) > 4 else 0
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = name
        ET.SubElement(obj, "difficult").text = str(difficult)
        bb = ET.SubElement(obj, "bndbox")
        for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), box[:4]):
            ET.SubElement(bb, tag).text = str(v)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path)


def write_png_mask(path, index):
    """(H, W) uint8 indices as a palette PNG with VOC's colours, as the devkit ships them."""
    img = Image.fromarray(index.astype(np.uint8), mode="P")
    img.putpalette(voc_palette().reshape(-1).tolist())
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def write_jpeg(path, rgb):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb.astype(np.uint8)).save(path, quality=95)


def voc_folder(root):
    """A VOC2007-like folder: 000001 (40x20, dog + person + a difficult cat, both masks), 000002 (30x30, one box
    reaching outside, one wholly outside, no masks), 000003 (20x20, a mask with an unknown class id), and the
    bad ones: 000004 no objects, 000005 broken XML, 000006 undecodable JPEG, 000007 missing JPEG."""
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:10, :20] = (255, 0, 0)                              # the dog's quadrant is red
    rgb[10:, 20:] = (0, 0, 255)                              # the person's is blue
    write_jpeg(root / "JPEGImages/000001.jpg", rgb)
    write_xml(root / "Annotations/000001.xml", 40, 20,
              [("dog", 1, 1, 20, 10), ("person", 21, 11, 40, 20), ("cat", 5, 5, 8, 8, 1)])
    cls = np.zeros((20, 40), np.uint8)
    cls[:10, :20] = DOG + 1
    cls[10:, 20:] = PERSON + 1
    cls[10:, :20] = 255                                      # void
    write_png_mask(root / "SegmentationClass/000001.png", cls)
    obj = np.zeros((20, 40), np.uint8)
    obj[:10, :20] = 1                                        # the first <object>
    obj[10:, 20:] = 2
    obj[10:, :20] = 255
    write_png_mask(root / "SegmentationObject/000001.png", obj)

    write_jpeg(root / "JPEGImages/000002.jpg", np.full((30, 30, 3), 128))
    write_xml(root / "Annotations/000002.xml", 30, 30, [("car", 16, 1, 50, 30), ("bus", 100, 100, 120, 120)])

    write_jpeg(root / "JPEGImages/000003.jpg", np.full((20, 20, 3), 60))
    write_xml(root / "Annotations/000003.xml", 20, 20, [("cat", 1, 1, 10, 20)])
    cls3 = np.zeros((20, 20), np.uint8)
    cls3[:, :10] = CAT + 1
    cls3[:5, :5] = 37                                        # no VOC class
    write_png_mask(root / "SegmentationClass/000003.png", cls3)

    write_jpeg(root / "JPEGImages/000004.jpg", np.full((20, 20, 3), 60))
    write_xml(root / "Annotations/000004.xml", 20, 20, [])
    write_jpeg(root / "JPEGImages/000005.jpg", np.full((20, 20, 3), 60))
    (root / "Annotations/000005.xml").write_text("<annotation><object><name>dog</name>")
    (root / "JPEGImages/000006.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    write_xml(root / "Annotations/000006.xml", 20, 20, [("dog", 1, 1, 10, 10)])
    write_xml(root / "Annotations/000007.xml", 20, 20, [("dog", 1, 1, 10, 10)])
    return root


def test_palette_is_the_devkits():
    p = voc_palette()
    assert p.shape == (256, 3) and p.dtype == np.uint8
    assert p[0].tolist() == [0, 0, 0] and p[1].tolist() == [128, 0, 0] and p[2].tolist() == [0, 128, 0]
    assert p[PERSON + 1].tolist() == [192, 128, 128] and p[255].tolist() == [224, 224, 192]
    assert len({tuple(c) for c in p.tolist()}) == 256
    assert len(VOC_CLASSES) == 20 and VOC_CLASSES[0] == "aeroplane" and VOC_CLASSES[-1] == "tvmonitor"


def test_detection_fields_and_every_bad_file_named(tmp_path):
    root = voc_folder(tmp_path / "VOC2007")
    scenes, skipped = load_voc(root, 10)
    assert len(scenes) == 3 and scenes.class_names == VOC_CLASSES
    assert scenes.images.shape == (3, 3, 10, 10) and scenes.images.dtype == np.float32
    assert 0.0 <= scenes.images.min() and scenes.images.max() <= 1.0
    assert np.allclose(scenes.images[0, :, 1, 1], [1, 0, 0], atol=0.08)        # red dog quadrant
    assert np.allclose(scenes.images[0, :, 8, 8], [0, 0, 1], atol=0.08)        # blue person quadrant

    # image 0: 40x20 -> 10x10; VOC (1, 1, 20, 10) is pixels [0, 20) x [0, 10) -> [0, 5) x [0, 5)
    assert scenes.box_image.tolist() == [0, 0, 1, 2]
    assert scenes.box_labels.tolist() == [DOG, PERSON, VOC_CLASSES.index("car"), CAT]   # the difficult cat dropped
    np.testing.assert_allclose(scenes.boxes[:2], [[0, 0, 5, 5], [5, 5, 10, 10]])
    # image 1: 30x30, car (16, 1, 50, 30) -> [15, 30) x [0, 30) after clipping -> [5, 10) x [0, 10)
    np.testing.assert_allclose(scenes.boxes[2], [5, 0, 10, 10], atol=1e-5)
    np.testing.assert_allclose(scenes.boxes[3], [0, 0, 5, 10])
    assert scenes.boxes.dtype == np.float32 and scenes.box_labels.dtype == np.int64

    cm = scenes.class_masks
    assert cm.shape == (3, 10, 10) and cm.dtype == np.int64
    assert (cm[0, :5, :5] == DOG + 1).all() and (cm[0, 5:, 5:] == PERSON + 1).all()
    assert (cm[0, 5:, :5] == -1).all() and (cm[0, :5, 5:] == 0).all()          # 255 -> -1, background 0
    assert (cm[1] == -1).all()                                                 # no mask: unknown, not background
    assert (cm[2, :2, :2] == -1).all() and (cm[2] == -1).sum() == 4 and (cm[2, 5:, :5] == CAT + 1).all()    # unknown id 37 -> void
    im = scenes.instance_masks
    assert im.shape == (4, 10, 10) and im.dtype == bool
    assert im[0].sum() == 25 and im[0, :5, :5].all()                           # from SegmentationObject
    assert im[1].sum() == 25 and im[1, 5:, 5:].all()
    assert not im[2].any()                                                     # no mask at all
    assert im[3].sum() == 50 - (cm[2, :, :5] == -1).sum() and im[3, 5:, :5].all()   # box ∩ class mask
    assert scenes.keypoints.shape == (4, 18, 3) and not scenes.keypoints.any()
    boxes, labels = scenes.boxes_of(2)                                         # the Scenes API works on VOC
    assert labels.tolist() == [CAT] and len(scenes.subset([2, 0]).boxes) == 3

    text = "\n".join(skipped)
    assert "Annotations/000002.xml: object 1 (car) box (16, 1, 50, 30) reaches outside the 30x30 image; it is " \
           "clipped" in text
    assert "Annotations/000002.xml: object 2 (bus)" in text and "lies outside" in text
    assert "SegmentationClass/000003.png: class ids 37" in text and "void" in text
    assert "Annotations/000004.xml: no objects" in text
    assert "Annotations/000005.xml: not a readable VOC annotation" in text
    assert "JPEGImages/000006.jpg:" in text and "000006.jpg: missing" not in text
    assert "JPEGImages/000007.jpg: missing" in text
    assert len(skipped) == 7, skipped


def test_keep_difficult_split_file_and_max_images(tmp_path):
    root = voc_folder(tmp_path / "VOC2007")
    scenes, _ = load_voc(root, 10, keep_difficult=True, max_images=1)
    assert len(scenes) == 1 and scenes.box_labels.tolist() == [DOG, PERSON, CAT]
    # the difficult cat (5, 5, 8, 8) -> [4, 8) x [4, 8) px -> x [1, 2), y [2, 4); no SegmentationObject index 3
    np.testing.assert_allclose(scenes.boxes[2], [1, 2, 2, 4])
    assert not scenes.instance_masks[2].any()

    (root / "ImageSets/Main").mkdir(parents=True)
    (root / "ImageSets/Main/train.txt").write_text("000003\n000001\n000007\n")
    scenes, skipped = load_voc(root, 10, split="train")
    assert scenes.box_labels.tolist() == [CAT, DOG, PERSON]                  # the split file's order
    assert [s.split(":")[0] for s in skipped] == ["SegmentationClass/000003.png", "JPEGImages/000007.jpg"]
    with pytest.raises(VocFormatError, match=r"ImageSets/Main/val.txt does not exist \(found: train\)"):
        load_voc(root, 10, split="val")


def test_segmentation_split_reads_masks_and_keeps_images_without_boxes(tmp_path):
    root = voc_folder(tmp_path / "VOC2007")
    (root / "Annotations/000003.xml").write_text("<annotation>")              # broken: the mask still counts
    scenes, skipped = load_voc(root, 10, segmentation=True)
    assert len(scenes) == 2                                                   # the two images with masks
    assert scenes.box_image.tolist() == [0, 0] and (scenes.class_masks[1, 5:, :5] == CAT + 1).all()
    assert any(s.startswith("Annotations/000003.xml: not a readable VOC annotation") and "without boxes" in s
               for s in skipped)

    (root / "ImageSets/Segmentation").mkdir(parents=True)
    (root / "ImageSets/Segmentation/val.txt").write_text("000001\n000002\n")
    scenes, skipped = load_voc(root, 10, split="val", segmentation=True)
    assert len(scenes) == 1 and skipped == ["SegmentationClass/000002.png: missing; the image is skipped"]


def test_rgb_colour_masks_are_mapped_back_through_the_palette(tmp_path):
    root = voc_folder(tmp_path / "VOC2007")
    cls = np.zeros((20, 20), np.uint8)
    cls[:, :10] = CAT + 1
    rgb = voc_palette()[cls]
    rgb[0, 0] = (1, 2, 3)                                                     # a colour VOC never uses
    Image.fromarray(rgb).save(root / "SegmentationClass/000003.png")
    scenes, skipped = load_voc(root, 20, segmentation=True)
    assert (scenes.class_masks[1, 1:, :10] == CAT + 1).all() and scenes.class_masks[1, 0, 0] == -1
    assert any("000003.png: colours not in the VOC palette (1 pixels)" in s for s in skipped)


def test_mask_of_the_wrong_size_is_named(tmp_path):
    root = voc_folder(tmp_path / "VOC2007")
    write_png_mask(root / "SegmentationClass/000003.png", np.zeros((5, 5), np.uint8))
    scenes, skipped = load_voc(root, 10)
    assert (scenes.class_masks[2] == -1).all()
    assert any(s.startswith("SegmentationClass/000003.png: the mask is 5x5 but the image is 20x20") for s in skipped)


def test_nothing_valid_and_bad_arguments(tmp_path):
    root = voc_folder(tmp_path / "VOC2007")
    for i in (1, 2, 3):
        (root / f"Annotations/00000{i}.xml").unlink()
    with pytest.raises(VocFormatError, match=r"No valid image in .*000004.xml: no objects"):
        load_voc(root, 10)
    with pytest.raises(VocFormatError, match="not a folder"):
        load_voc(tmp_path / "nowhere", 10)
    with pytest.raises(VocFormatError, match=r"no JPEGImages folder.*try .*VOCdevkit/VOC2012"):
        (tmp_path / "dl/VOCdevkit/VOC2012/JPEGImages").mkdir(parents=True)
        load_voc(tmp_path / "dl", 10)
    with pytest.raises(ValueError, match="size"):
        load_voc(root, 0)


# ------------------------------------------------------------------------------------------------ #
# fetch_voc: unpacking and caching (the download itself is pooch's, tested in test_data_download)
# ------------------------------------------------------------------------------------------------ #
def voc_tar(tmp_path):
    src = tmp_path / "src"
    voc_folder(src / "VOCdevkit/VOC2007")
    archive = tmp_path / "upstream.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(src / "VOCdevkit", arcname="VOCdevkit")
    return archive


def test_fetch_voc_unpacks_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    archive = voc_tar(tmp_path)
    calls = []

    def fake_fetch(filename, known_hash, mirrors, folder, *, progress=None, label=None):
        calls.append((filename, known_hash, mirrors[0]))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_bytes(archive.read_bytes())
        return folder / filename

    monkeypatch.setattr(voc, "fetch", fake_fetch)
    messages = []
    root = voc.fetch_voc("2007", progress=lambda m, f: messages.append(m))
    assert calls == [("VOCtrainval_06-Nov-2007.tar", "md5:c52e279531787c972589f7e41ab4ae64",
                      "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/")]
    assert root.parts[-2:] == ("VOCdevkit", "VOC2007") and any("Unpacking" in m for m in messages)
    scenes, _ = load_voc(root, 8)
    assert len(scenes) == 3
    assert voc.fetch_voc("2007") == root and len(calls) == 1                 # cached: no second fetch
    assert voc.VOC_RELEASES["2012"].known_hash == "md5:6cd6e144f989b92b3379bac3b3de84fd"
    with pytest.raises(ValueError, match="2007, 2012"):
        voc.fetch_voc("2010")


def test_fetch_voc_failures_leave_nothing_half_done(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))

    def offline(filename, *args, **kwargs):
        raise DownloadError("Could not download Pascal VOC 2012: could not connect to host.robots.ox.ac.uk", "x")

    monkeypatch.setattr(voc, "fetch", offline)
    with pytest.raises(DownloadError, match="could not connect"):
        voc.fetch_voc("2012")

    def damaged(filename, known_hash, mirrors, folder, **kwargs):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_bytes(b"not a tar at all" * 100)
        return folder / filename

    monkeypatch.setattr(voc, "fetch", damaged)
    with pytest.raises(DownloadError, match="is damaged"):
        voc.fetch_voc("2012")
    folder = tmp_path / "cache" / "voc"
    assert sorted(p.name for p in folder.iterdir()) == ["VOCtrainval_11-May-2012.tar"]


def test_unsafe_tar_member_is_refused(tmp_path):
    from visualizer.data.archives import extract_archive

    evil = tmp_path / "evil.tar"
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    with tarfile.open(evil, "w") as tar:
        tar.add(payload, arcname="../outside.txt")
    with pytest.raises(DownloadError, match="unsafe"):
        extract_archive(evil, tmp_path / "out")
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "out").exists()


def test_fetch_voc_through_pooch_from_a_loopback_server(tmp_path, monkeypatch):
    """The whole path: pooch downloads the tar over HTTP, checks its md5, voc unpacks it; offline says so."""
    import hashlib

    from tests.core.test_data_download import serve_folder, unreachable_url

    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    archive = voc_tar(tmp_path)
    served = tmp_path / "served"
    served.mkdir()
    archive.rename(served / "VOCtrainval_06-Nov-2007.tar")
    md5 = "md5:" + hashlib.md5((served / "VOCtrainval_06-Nov-2007.tar").read_bytes()).hexdigest()
    monkeypatch.setitem(voc.VOC_RELEASES, "2007", voc.VocRelease("2007", "VOCtrainval_06-Nov-2007.tar", md5, 1))
    monkeypatch.setitem(voc.VOC_MIRRORS, "2007", (unreachable_url(),))
    with pytest.raises(DownloadError, match=r"Could not download Pascal VOC 2007 .*could not connect"):
        voc.fetch_voc("2007")
    with serve_folder(served) as (url, requested):
        monkeypatch.setitem(voc.VOC_MIRRORS, "2007", (url,))
        fractions = []
        root = voc.fetch_voc("2007", progress=lambda m, f: fractions.append(f))
        assert requested == ["/VOCtrainval_06-Nov-2007.tar"] and 1.0 in fractions
    scenes, _ = load_voc(root, 8)
    assert len(scenes) == 3 and voc.fetch_voc("2007") == root                 # the server is gone: cached

    monkeypatch.setitem(voc.VOC_RELEASES, "2007", voc.VocRelease("2007", "VOCtrainval_06-Nov-2007.tar",
                                                                 "md5:" + "0" * 32, 1))
    (tmp_path / "cache/voc/VOC2007-trainval.ok").unlink()
    with serve_folder(served) as (url, _):
        monkeypatch.setitem(voc.VOC_MIRRORS, "2007", (url,))
        with pytest.raises(DownloadError, match="does not match its published checksum"):
            voc.fetch_voc("2007")
