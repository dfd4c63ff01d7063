"""COCO person keypoints: the 17 -> 18 keypoint conversion, the reader on a tiny person_keypoints JSON with
JPEGs written in tmp_path (polygon, compressed and uncompressed RLE segmentations, a crowd), every bad input
the issue names, and the download's unpacking with ``fetch`` replaced by local zips."""
import json
import zipfile

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from visualizer.data import coco_keypoints as ck
from visualizer.data.coco_keypoints import (COCO_KEYPOINTS, OPENPOSE_KEYPOINTS, CocoFormatError,
                                            coco17_to_openpose18, load_coco_keypoints)
from visualizer.data.download import DownloadError


def kp(points):
    """{COCO keypoint name: (x, y, v)} -> the 51-number list of a COCO annotation."""
    out = np.zeros((17, 3))
    for name, xyv in points.items():
        out[COCO_KEYPOINTS.index(name)] = xyv
    return out.reshape(-1).tolist()


def test_openpose_order_and_neck():
    from visualizer.data.scenes import KEYPOINTS

    assert OPENPOSE_KEYPOINTS == KEYPOINTS                  # the generated figures' order: one layout for both
    assert len(OPENPOSE_KEYPOINTS) == 18 and OPENPOSE_KEYPOINTS[:3] == ("nose", "neck", "right_shoulder")
    k = np.arange(17 * 3, dtype=np.float32).reshape(1, 17, 3)
    k[..., 2] = 2
    out = coco17_to_openpose18(k)
    assert out.shape == (1, 18, 3) and out.dtype == np.float32
    for i, name in enumerate(OPENPOSE_KEYPOINTS):
        if name != "neck":
            np.testing.assert_array_equal(out[0, i], k[0, COCO_KEYPOINTS.index(name)], err_msg=name)
    ls, rs = k[0, 5], k[0, 6]                               # COCO: 5 left shoulder, 6 right shoulder
    np.testing.assert_allclose(out[0, 1], [(ls[0] + rs[0]) / 2, (ls[1] + rs[1]) / 2, 2])
    np.testing.assert_array_equal(out[0, 2], k[0, 6])       # OpenPose 2 = right shoulder = COCO 6
    np.testing.assert_array_equal(out[0, 14], k[0, 2])      # OpenPose 14 = right eye = COCO 2

    two = np.zeros((2, 17, 3), np.float32)
    two[0, 5], two[0, 6] = (10, 20, 1), (30, 40, 2)         # one shoulder occluded: neck labelled, v = 1
    two[1, 5] = (10, 20, 2)                                 # one shoulder unlabelled: no neck
    neck = coco17_to_openpose18(two)[:, 1]
    np.testing.assert_allclose(neck, [[20, 30, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"\(P, 17, 3\)"):
        coco17_to_openpose18(np.zeros((2, 18, 3)))


def write_jpeg(path, w, h, colour=(200, 100, 50)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (w, h), colour).save(path, quality=95)


def coco_files(tmp_path):
    """images/: 1.jpg (40x20), 2.jpg (20x20), 3.jpg broken, 4.jpg missing, 5.jpg (no person), and a JSON with
    three valid people (polygon; compressed RLE; uncompressed RLE), a crowd, a person without keypoints, a
    person whose box lies outside, an image entry without file_name."""
    img = tmp_path / "images"
    write_jpeg(img / "1.jpg", 40, 20)
    write_jpeg(img / "2.jpg", 20, 20, (0, 255, 0))
    (img / "3.jpg").write_bytes(b"\xff\xd8\xff garbage")
    write_jpeg(img / "5.jpg", 20, 20)
    m = np.zeros((20, 20), np.uint8, order="F")
    m[10:, 10:] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    rle["counts"] = rle["counts"].decode("ascii")
    crowd = np.zeros((20, 40), np.uint8)
    crowd[:, 30:] = 1
    crowd_rle = mask_utils.encode(np.asfortranarray(crowd))
    crowd_rle["counts"] = crowd_rle["counts"].decode("ascii")
    # uncompressed RLE of the left 5 columns of a 20x20 image: column-major runs (0 zeros, 100 ones, 300 zeros)
    unc = {"size": [20, 20], "counts": [0, 100, 300]}
    people = [
        dict(id=11, image_id=1, category_id=1, iscrowd=0, bbox=[0, 0, 20, 10], num_keypoints=3,
             segmentation=[[0, 0, 20, 0, 20, 10, 0, 10]],
             keypoints=kp({"nose": (9, 4, 2), "left_shoulder": (14, 6, 2), "right_shoulder": (4, 6, 1)})),
        dict(id=12, image_id=1, category_id=1, iscrowd=0, bbox=[30, 15, 20, 10], num_keypoints=1,
             segmentation=[[30, 15, 40, 15, 40, 20, 30, 20]], keypoints=kp({"left_ankle": (35, 19, 2)})),
        dict(id=13, image_id=1, category_id=1, iscrowd=1, bbox=[30, 0, 10, 20], num_keypoints=0,
             segmentation=crowd_rle, keypoints=[0] * 51),
        dict(id=21, image_id=2, category_id=1, iscrowd=0, bbox=[10, 10, 10, 10], num_keypoints=0,
             segmentation=rle, keypoints=[0] * 51),
        dict(id=22, image_id=2, category_id=1, iscrowd=0, bbox=[0, 0, 5, 20], num_keypoints=1,
             segmentation=unc, keypoints=kp({"nose": (2, 2, 2)})),
        dict(id=23, image_id=2, category_id=1, iscrowd=0, bbox=[1, 1, 2, 2], segmentation=[]),   # no keypoints
        dict(id=24, image_id=2, category_id=1, iscrowd=0, bbox=[50, 50, 5, 5], keypoints=[0] * 51,
             segmentation=[[50, 50, 55, 50, 55, 55]]),
        dict(id=31, image_id=3, category_id=1, iscrowd=0, bbox=[0, 0, 5, 5], keypoints=[0] * 51),
        dict(id=41, image_id=4, category_id=1, iscrowd=0, bbox=[0, 0, 5, 5], keypoints=[0] * 51),
        dict(id=99, image_id=5, category_id=2, iscrowd=0, bbox=[0, 0, 5, 5], keypoints=[0] * 51),
    ]
    data = {
        "images": [dict(id=1, file_name="1.jpg", width=40, height=20), dict(id=2, file_name="2.jpg", width=20,
                   height=20), dict(id=3, file_name="3.jpg"), dict(id=4, file_name="4.jpg"),
                   dict(id=5, file_name="5.jpg"), dict(id=6)],
        "annotations": people,
        "categories": [dict(id=1, name="person", keypoints=list(COCO_KEYPOINTS)), dict(id=2, name="dog")],
    }
    path = tmp_path / "person_keypoints_tiny.json"
    path.write_text(json.dumps(data))
    return path, img


def test_fields_scaled_and_every_bad_entry_named(tmp_path):
    path, img = coco_files(tmp_path)
    scenes, skipped = load_coco_keypoints(path, img, 10)
    assert len(scenes) == 2 and scenes.class_names == ("person",)
    assert scenes.images.shape == (2, 3, 10, 10) and scenes.images.dtype == np.float32
    assert np.allclose(scenes.images[1, :, 5, 5], [0, 1, 0], atol=0.05)
    assert scenes.box_image.tolist() == [0, 0, 1, 1] and scenes.box_labels.tolist() == [0, 0, 0, 0]
    # 40x20 -> 10x10: x * 0.25, y * 0.5; the second box (30, 15, 50, 25) is clipped to the image (40, 20)
    np.testing.assert_allclose(scenes.boxes, [[0, 0, 5, 5], [7.5, 7.5, 10, 10], [5, 5, 10, 10], [0, 0, 2.5, 10]])

    k = scenes.keypoints
    assert k.shape == (4, 18, 3) and k.dtype == np.float32
    nose, neck = OPENPOSE_KEYPOINTS.index("nose"), OPENPOSE_KEYPOINTS.index("neck")
    np.testing.assert_allclose(k[0, nose], [(9 + 0.5) * 0.25, (4 + 0.5) * 0.5, 2])       # pixel centre, scaled
    np.testing.assert_allclose(k[0, neck], [(9 + 0.5) * 0.25, (6 + 0.5) * 0.5, 1])       # shoulders' midpoint
    np.testing.assert_allclose(k[1, OPENPOSE_KEYPOINTS.index("left_ankle")], [35.5 * 0.25, 19.5 * 0.5, 2])
    assert (k[1, neck] == 0).all() and (k[2] == 0).all()
    np.testing.assert_allclose(k[3, nose], [2.5 * 0.5, 2.5 * 0.5, 2])
    assert (k[:, :, 2] > 0).sum() == 6                                                   # nothing invented
    assert scenes.people_of(0).shape == (2, 18, 3) and scenes.people_of(1).shape == (1, 18, 3)

    im = scenes.instance_masks
    assert im.shape == (4, 10, 10) and im.dtype == bool
    assert im[0, :5, :5].all() and im[0].sum() == 25                                     # polygon
    assert im[1, 8:, 8:].all() and im[1].sum() <= 9                                      # polygon, clipped box
    assert im[2, 5:, 5:].all() and im[2].sum() == 25                                     # compressed RLE
    assert im[3, :, :2].all() and im[3].sum() in (20, 30)                                # uncompressed RLE
    cm = scenes.class_masks
    assert cm.dtype == np.int64 and (cm[0, :, 8:][~im[1, :, 8:]] == -1).all()            # the crowd is void
    assert (cm[0][im[1]] == 1).all()                                                     # but a person in it not
    assert (cm[0, :5, :5] == 1).all() and (cm[0, 5:, :5] == 0).all()
    assert (cm[1][im[2] | im[3]] == 1).all() and (cm[1][~(im[2] | im[3])] == 0).all()

    text = "\n".join(skipped)
    name = path.name
    assert f"{name}: annotation 5 (id 23) has no 'keypoints' key; it is skipped" in text
    assert f"{name}: annotation 6 (id 24) has its bbox [50, 50, 5, 5] outside the 20x20 image 2.jpg" in text
    assert f"{name}: annotation 1 (id 12): bbox [30, 15, 20, 10] reaches outside the 40x20 image" in text
    assert "3.jpg: not a readable image" in text and "4.jpg: missing" in text
    assert f"{name}: image 5 has no 'file_name' key" in text
    assert "5.jpg" not in text and "annotation 9" not in text                            # no person: not listed
    assert len(skipped) == 6, skipped

    scenes, _ = load_coco_keypoints(path, img, 10, max_images=1)
    assert len(scenes) == 1 and len(scenes.boxes) == 2


def test_missing_keys_and_nothing_valid(tmp_path):
    path, img = coco_files(tmp_path)
    data = json.loads(path.read_text())
    broken = tmp_path / "no_annotations.json"
    broken.write_text(json.dumps({"images": data["images"]}))
    with pytest.raises(CocoFormatError, match=r"no_annotations.json has no 'annotations' key"):
        load_coco_keypoints(broken, img, 10)
    broken.write_text(json.dumps({"annotations": [], "images": {}}))
    with pytest.raises(CocoFormatError, match=r"no_annotations.json: 'images' is a dict, not a list"):
        load_coco_keypoints(broken, img, 10)
    broken.write_text("{ not json")
    with pytest.raises(CocoFormatError, match=r"no_annotations.json is not valid JSON"):
        load_coco_keypoints(broken, img, 10)
    with pytest.raises(CocoFormatError, match="does not exist"):
        load_coco_keypoints(tmp_path / "nowhere.json", img, 10)
    broken.write_text(json.dumps({**data, "categories": [dict(id=1, name="dog")]}))
    with pytest.raises(CocoFormatError, match="no 'person' category"):
        load_coco_keypoints(broken, img, 10)

    for a in data["annotations"]:
        a.pop("bbox")
    broken.write_text(json.dumps(data))
    with pytest.raises(CocoFormatError, match=r"No valid image with a person in .*no_annotations.json .*: "
                                              r"no_annotations.json: annotation 0 \(id 11\) has no 'bbox' key"):
        load_coco_keypoints(broken, img, 10)
    with pytest.raises(ValueError, match="size"):
        load_coco_keypoints(path, img, 0)


def test_undecodable_segmentation_keeps_the_person_without_a_mask(tmp_path):
    path, img = coco_files(tmp_path)
    data = json.loads(path.read_text())
    data["annotations"][3]["segmentation"] = {"size": [5, 5], "counts": "xx"}    # RLE of another size
    path.write_text(json.dumps(data))
    scenes, skipped = load_coco_keypoints(path, img, 10)
    assert len(scenes.boxes) == 4 and not scenes.instance_masks[2].any()
    assert any("annotation 3 (id 21): its segmentation cannot be decoded (its RLE size [5, 5] differs" in s
               for s in skipped)


# ------------------------------------------------------------------------------------------------ #
# fetch_coco_keypoints: unpacking and caching (the download itself is pooch's, tested in test_data_download)
# ------------------------------------------------------------------------------------------------ #
def coco_zips(tmp_path):
    path, img = coco_files(tmp_path / "src")
    notes = tmp_path / "annotations_trainval2017.zip"
    with zipfile.ZipFile(notes, "w") as zf:
        zf.write(path, ck.VAL_KEYPOINTS_JSON)
        zf.writestr("annotations/instances_val2017.json", "{}")          # not needed: left packed
    images = tmp_path / "val2017.zip"
    with zipfile.ZipFile(images, "w") as zf:
        for f in sorted(img.iterdir()):
            zf.write(f, f"val2017/{f.name}")
    return {notes.name: notes, images.name: images}


def test_fetch_coco_keypoints_unpacks_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    zips = coco_zips(tmp_path)
    calls = []

    def fake_fetch(filename, known_hash, mirrors, folder, *, progress=None, label=None):
        calls.append((filename, known_hash, mirrors[0]))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_bytes(zips[filename].read_bytes())
        return folder / filename

    monkeypatch.setattr(ck, "fetch", fake_fetch)
    messages = []
    root = ck.fetch_coco_keypoints(progress=lambda m, f: messages.append(m))
    assert calls == [("annotations_trainval2017.zip", "md5:f4bbac642086de4f52a3fdda2de5fa2c",
                      "http://images.cocodataset.org/annotations/"),
                     ("val2017.zip", "md5:442b8da7639aecaf257c1dceb8ba8c80", "http://images.cocodataset.org/zips/")]
    assert any("Unpacking" in m for m in messages)
    assert not (root / "annotations/instances_val2017.json").exists()
    scenes, _ = load_coco_keypoints(root / ck.VAL_KEYPOINTS_JSON, root / ck.VAL_IMAGE_DIR, 8)
    assert len(scenes) == 2
    assert ck.fetch_coco_keypoints() == root and len(calls) == 2              # cached: no second fetch


def test_fetch_coco_keypoints_failures_leave_nothing_half_done(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))

    def offline(filename, *args, **kwargs):
        raise DownloadError("Could not download the COCO 2017 annotations: could not connect to "
                            "images.cocodataset.org (no network connection?)", "offline")

    monkeypatch.setattr(ck, "fetch", offline)
    with pytest.raises(DownloadError, match="could not connect"):
        ck.fetch_coco_keypoints()

    zips = coco_zips(tmp_path)

    def second_damaged(filename, known_hash, mirrors, folder, **kwargs):
        folder.mkdir(parents=True, exist_ok=True)
        data = zips[filename].read_bytes()
        (folder / filename).write_bytes(data if filename.startswith("annotations") else data[: len(data) // 2])
        return folder / filename

    monkeypatch.setattr(ck, "fetch", second_damaged)
    with pytest.raises(DownloadError, match="val2017.zip is damaged"):
        ck.fetch_coco_keypoints()
    folder = tmp_path / "cache" / "coco2017"
    assert sorted(p.name for p in folder.iterdir()) == ["annotations_trainval2017.zip", "val2017.zip"]
