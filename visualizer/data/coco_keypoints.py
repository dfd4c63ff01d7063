"""COCO 2017 person keypoints: the checksummed download, a reader for the JSON, and COCO's 17 keypoints in
OpenPose's 18-keypoint order.

Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014; the annotation format is the one of
https://cocodataset.org/#format-data.  Cao et al., "Realtime Multi-Person 2D Pose Estimation using Part
Affinity Fields", CVPR 2017 (OpenPose), train on COCO with 18 keypoints: COCO's 17 plus a neck, reordered;
Ogawa, *PyTorch advanced deep learning* ch. 4, uses that COCO model.  :func:`load_coco_keypoints` turns a
``person_keypoints_*.json`` and its image folder into :class:`~visualizer.data.scenes.Scenes`;
:func:`fetch_coco_keypoints` downloads the 2017 annotations and validation images (md5 checked, cached,
unpacked atomically).  Qt-free and torch-free; instance masks are decoded with pycocotools.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from visualizer.data.archives import extract_archive
from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch
from visualizer.data.voc import decode_photo, resize_index, first_line

if TYPE_CHECKING:
    from visualizer.data.scenes import Scenes

COCO_KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                  "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                  "right_knee", "left_ankle", "right_ankle")      # COCO's order (the person category's list)
OPENPOSE_KEYPOINTS = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
                      "left_elbow", "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip",
                      "left_knee", "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear")
# OpenPose keypoint i is COCO keypoint COCO_TO_OPENPOSE[i]; the neck (-1) is made from the two shoulders.
COCO_TO_OPENPOSE = tuple(-1 if name == "neck" else COCO_KEYPOINTS.index(name) for name in OPENPOSE_KEYPOINTS)

# The 2017 release as cocodataset.org serves it; md5s as published with the release and recorded by
# detectron's and MLPerf's download scripts.
COCO_ANNOTATIONS = ("annotations_trainval2017.zip", "md5:f4bbac642086de4f52a3fdda2de5fa2c", 241,
                    "http://images.cocodataset.org/annotations/")
COCO_VAL_IMAGES = ("val2017.zip", "md5:442b8da7639aecaf257c1dceb8ba8c80", 778, "http://images.cocodataset.org/zips/")
VAL_KEYPOINTS_JSON = "annotations/person_keypoints_val2017.json"
VAL_IMAGE_DIR = "val2017"


class CocoFormatError(ValueError):
    """A COCO JSON that cannot be read as a whole (missing file, not JSON, a missing top-level key, nothing
    valid in it); the message names the file and the key."""


# ------------------------------------------------------------------------------------------------ #
# Download
# ------------------------------------------------------------------------------------------------ #
def fetch_coco_keypoints(progress: ProgressCallback | None = None) -> Path:
    """The folder with COCO 2017's validation person keypoints, ready for :func:`load_coco_keypoints`::

        root = fetch_coco_keypoints()
        scenes, skipped = load_coco_keypoints(root / VAL_KEYPOINTS_JSON, root / VAL_IMAGE_DIR, 128)

    ``annotations_trainval2017.zip`` (about 241 MB) and ``val2017.zip`` (5,000 images, about 778 MB) are
    fetched once into ``<cache>/coco2017`` with :func:`visualizer.data.download.fetch` (pooch; md5 checked;
    progress to ``callback(message, fraction)``); ``person_keypoints_val2017.json`` and ``val2017/`` are
    unpacked together through a temporary folder renamed at the end; later calls find them without any
    network access.  Raises DownloadError with a sentence for the user when offline, on an HTTP error, a
    checksum mismatch, a damaged zip or an unwritable cache; a failed call leaves no half-unpacked folder."""
    folder = cache_dir() / "coco2017"
    root = folder / "val2017-keypoints"
    marker = folder / "val2017-keypoints.ok"
    stamp = COCO_ANNOTATIONS[1] + " " + COCO_VAL_IMAGES[1]
    if (marker.is_file() and marker.read_text().strip() == stamp and (root / VAL_KEYPOINTS_JSON).is_file()
            and (root / VAL_IMAGE_DIR).is_dir()):
        return root
    archives = []
    for (filename, known_hash, megabytes, mirror), what in ((COCO_ANNOTATIONS, "the COCO 2017 annotations"),
                                                            (COCO_VAL_IMAGES, "the COCO 2017 validation images")):
        archives.append(fetch(filename, known_hash, [mirror], folder, progress=progress,
                              label=f"{what} (about {megabytes:,} MB)"))
    if progress:
        progress("Unpacking the COCO 2017 validation keypoints and images", None)
    marker.unlink(missing_ok=True)
    extract_archive(archives, root, keep=lambda name: name == VAL_KEYPOINTS_JSON or
                    name.startswith(VAL_IMAGE_DIR + "/"))
    if not (root / VAL_KEYPOINTS_JSON).is_file() or not (root / VAL_IMAGE_DIR).is_dir():
        raise DownloadError(f"The COCO archives in {folder} do not hold {VAL_KEYPOINTS_JSON} and {VAL_IMAGE_DIR}/.",
                            "unexpected archive")
    marker.write_text(stamp + "\n")
    return root


# ------------------------------------------------------------------------------------------------ #
# 17 -> 18 keypoints
# ------------------------------------------------------------------------------------------------ #
def coco17_to_openpose18(kps: np.ndarray) -> np.ndarray:
    """COCO's 17 keypoints -> OpenPose's 18 (Cao et al. 2017, the OpenPose COCO model; Ogawa ch. 4).

    kps: (P, 17, 3) (x, y, v) in COCO's order (COCO_KEYPOINTS), v = 0 not labelled, 1 labelled but not
    visible, 2 visible.  Returns (P, 18, 3) float32 in OPENPOSE_KEYPOINTS order (nose, neck, right
    shoulder, ..., left ear): each keypoint copied from its COCO twin, and the neck added as the midpoint
    of the two shoulders when both are labelled (v = the smaller of their two v), else (0, 0, 0).
    Raises ValueError for another shape."""
    kps = np.asarray(kps, dtype=np.float32)
    if kps.ndim != 3 or kps.shape[1:] != (17, 3):
        raise ValueError(f"keypoints must be (P, 17, 3), got {kps.shape}")
    idx = np.array(COCO_TO_OPENPOSE)
    out = kps[:, np.maximum(idx, 0)].copy()                      # (P, 18, 3); the neck column fixed below
    ls, rs = kps[:, COCO_KEYPOINTS.index("left_shoulder")], kps[:, COCO_KEYPOINTS.index("right_shoulder")]
    both = (ls[:, 2] > 0) & (rs[:, 2] > 0)                       # (P,)
    neck = np.zeros((len(kps), 3), dtype=np.float32)
    neck[both, :2] = (ls[both, :2] + rs[both, :2]) / 2
    neck[both, 2] = np.minimum(ls[both, 2], rs[both, 2])
    out[:, OPENPOSE_KEYPOINTS.index("neck")] = neck
    return out


# ------------------------------------------------------------------------------------------------ #
# The JSON
# ------------------------------------------------------------------------------------------------ #
def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise CocoFormatError(f"{path} does not exist (expected a COCO person_keypoints JSON).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CocoFormatError(f"{path} is not valid JSON ({e}).") from e
    if not isinstance(data, dict):
        raise CocoFormatError(f"{path} holds a JSON {type(data).__name__}, not the COCO object with "
                              "'images' and 'annotations'.")
    for key in ("images", "annotations"):
        if key not in data:
            raise CocoFormatError(f"{path} has no '{key}' key; a COCO keypoints file needs 'images' and "
                                  "'annotations'.")
        if not isinstance(data[key], list):
            raise CocoFormatError(f"{path}: '{key}' is a {type(data[key]).__name__}, not a list.")
    return data


def _person_category(data: dict, path: Path) -> int | None:
    """The id of the 'person' category, or None when the file lists no categories (every annotation then
    counts as a person)."""
    cats = data.get("categories")
    if not isinstance(cats, list) or not cats:
        return None
    for c in cats:
        if isinstance(c, dict) and c.get("name") == "person" and "id" in c:
            return c["id"]
    raise CocoFormatError(f"{path}: 'categories' has no 'person' category, so it is not a person keypoints file.")


def _validate_annotation(a: Any) -> str | None:
    """Why one (non-crowd) annotation cannot be used, or None."""
    if not isinstance(a, dict):
        return f"is a {type(a).__name__}, not an object"
    for key in ("image_id", "bbox", "keypoints"):
        if key not in a:
            return f"has no '{key}' key"
    bbox, kps = a["bbox"], a["keypoints"]
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)
            and all(math.isfinite(v) for v in bbox)):
        return f"'bbox' must be [x, y, width, height], got {str(bbox)[:60]}"
    if not (isinstance(kps, list) and len(kps) == 51 and all(isinstance(v, (int, float)) for v in kps)
            and all(math.isfinite(v) for v in kps)):
        return f"'keypoints' must be 51 numbers (17 × x, y, v), got {len(kps) if isinstance(kps, list) else kps!r}"
    return None


def _decode_segmentation(seg: Any, height: int, width: int) -> np.ndarray:
    """A COCO segmentation (polygons, uncompressed or compressed RLE) -> (height, width) bool, with
    pycocotools.mask.  Raises ValueError when it is none of these or its size differs from the image's."""
    from pycocotools import mask as mask_utils

    if isinstance(seg, list):
        polys = [p for p in seg if isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0]
        if not polys or len(polys) != len(seg):
            raise ValueError("a polygon needs an even number (>= 6) of coordinates")
        rles = mask_utils.frPyObjects([[float(v) for v in p] for p in polys], height, width)
        rle = mask_utils.merge(rles)
    elif isinstance(seg, dict) and "counts" in seg and "size" in seg:
        if list(seg["size"]) != [height, width]:
            raise ValueError(f"its RLE size {seg['size']} differs from the image's [{height}, {width}]")
        if isinstance(seg["counts"], list):
            rle = mask_utils.frPyObjects(seg, height, width)                 # uncompressed -> compressed
        else:
            counts = seg["counts"].encode("ascii") if isinstance(seg["counts"], str) else seg["counts"]
            rle = {"size": [height, width], "counts": counts}
    else:
        raise ValueError("it is neither polygons nor an RLE")
    with warnings.catch_warnings():                 # pycocotools 2.0's decode and NumPy 2's copy keyword
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_utils.decode(rle).astype(bool)


def _read_person(a: dict, ident: str, file_name: str, width: int, height: int, size: int,
                 notes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One validated, non-crowd annotation of a width×height image -> (box (4,) float32, mask (S, S) bool,
    keypoints (17, 3) float32), all in S×S pixels; None (said in ``notes``) when its box lies outside."""
    sx, sy = size / width, size / height
    x, y, w, h = (float(v) for v in a["bbox"])
    x0, y0 = min(max(x, 0.0), width), min(max(y, 0.0), height)
    x1, y1 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
    if x1 <= x0 or y1 <= y0:
        notes.append(f"{ident} has its bbox {a['bbox']} outside the {width}x{height} image {file_name}; it is skipped")
        return None
    if (x0, y0, x1, y1) != (x, y, x + w, y + h):
        notes.append(f"{ident}: bbox {a['bbox']} reaches outside the {width}x{height} image {file_name}; it is "
                     "clipped")
    m = np.zeros((size, size), dtype=bool)
    if "segmentation" in a:
        try:
            m = resize_index(_decode_segmentation(a["segmentation"], height, width).astype(np.uint8),
                                size).astype(bool)
        except (ValueError, TypeError, KeyError, OverflowError) as e:
            notes.append(f"{ident}: its segmentation cannot be decoded ({first_line(e)}); the person is kept without "
                         "a mask")
    else:
        notes.append(f"{ident} has no 'segmentation' key; the person is kept without a mask")
    k = np.asarray(a["keypoints"], dtype=np.float32).reshape(17, 3)          # (17, 3) x, y, v
    labelled = k[:, 2] > 0
    # COCO's keypoints name integer pixel columns/rows: the pixel's centre is x + 0.5 (as detectron2 reads them)
    k[:, 0] = (k[:, 0] + 0.5) * sx
    k[:, 1] = (k[:, 1] + 0.5) * sy
    k[~labelled] = 0.0
    return np.array([x0 * sx, y0 * sy, x1 * sx, y1 * sy], dtype=np.float32), m, k


def load_coco_keypoints(annotation_json: Path | str, image_dir: Path | str, size: int, *,
                        max_images: int | None = None) -> tuple[Scenes, list[str]]:
    """Read a COCO person keypoints JSON and its images into (scenes, skipped).

    annotation_json: ``person_keypoints_<split>.json`` (``images`` with id, file_name[, width, height];
    ``annotations`` with image_id, bbox [x, y, w, h], keypoints (51 numbers), iscrowd, segmentation as
    polygons or RLE); image_dir: the folder of its images; size: the side S of the square images;
    max_images: stop after that many valid images (in the JSON's image order).  Only images with at least
    one usable non-crowd person are loaded (most COCO images show no person; they are not listed).

    scenes: :class:`~visualizer.data.scenes.Scenes` with class_names ("person",) and
      images (N, 3, S, S) float32 RGB in [0, 1], each photograph resized to S×S (aspect not kept);
      boxes (M, 4) float32 x0, y0, x1, y1 = (x, y, x + w, y + h) scaled by S/width, S/height and clipped
        to the image; box_labels (M,) int64 zeros; box_image (M,) int64 ascending;
      keypoints (M, 18, 3) float32 in OpenPose's order (:func:`coco17_to_openpose18`), x, y in resized
        pixels: COCO's integer keypoint coordinates name pixel columns/rows, so a keypoint sits at the pixel
        centre (x + 0.5) * S / width (as detectron2 converts them); v kept (0, 1, 2); unlabelled points 0;
      instance_masks (M, S, S) bool, the segmentation decoded with pycocotools and resized (nearest);
        all False when the annotation has no usable segmentation (said in skipped);
      class_masks (N, S, S) int64: 1 on any person's pixels, -1 (void) on the rest of crowd regions
        (iscrowd = 1: not instances, and not background either; OpenPose masks them out of its loss), 0
        elsewhere.
    skipped: one line per problem, naming the JSON (and the annotation's index and id) or the image file:
      an annotation with a missing or malformed key, an unreadable segmentation, a box outside the image,
      an image entry without id or file_name, a missing or undecodable image.

    Raises ValueError for a size below 1, and CocoFormatError (a ValueError) naming the file and key when
    the JSON is missing, not JSON, lacks 'images' or 'annotations', or holds no valid image."""
    from visualizer.data.scenes import Scenes

    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if max_images is not None and max_images < 1:
        raise ValueError(f"max_images must be >= 1 or None, got {max_images}")
    path, image_dir = Path(annotation_json), Path(image_dir)
    data = _read_json(path)
    if not image_dir.is_dir():
        raise CocoFormatError(f"{image_dir} is not a folder (the images of {path.name}).")
    person = _person_category(data, path)
    name = path.name
    skipped: list[str] = []

    by_image: dict[Any, list[tuple[int, dict]]] = {}
    crowds: dict[Any, list[dict]] = {}
    for i, a in enumerate(data["annotations"]):
        ident = f"{name}: annotation {i}" + (f" (id {a['id']})" if isinstance(a, dict) and "id" in a else "")
        if isinstance(a, dict) and person is not None and "category_id" in a and a["category_id"] != person:
            continue                                             # another category in a shared file
        if isinstance(a, dict) and a.get("iscrowd", 0) and "image_id" in a:
            crowds.setdefault(a["image_id"], []).append(a)
            continue
        why = _validate_annotation(a)
        if why:
            skipped.append(f"{ident} {why}; it is skipped")
            continue
        by_image.setdefault(a["image_id"], []).append((i, a))

    images, class_masks = [], []
    boxes, owner, inst, kps17 = [], [], [], []
    for j, entry in enumerate(data["images"]):
        if max_images is not None and len(images) >= max_images:
            break
        if not isinstance(entry, dict) or "id" not in entry or "file_name" not in entry:
            missing = "the entry is not an object" if not isinstance(entry, dict) else \
                "has no '" + ("id" if "id" not in entry else "file_name") + "' key"
            skipped.append(f"{name}: image {j} {missing}; it is skipped")
            continue
        people = by_image.get(entry["id"])
        if not people:
            continue
        file = image_dir / str(entry["file_name"])
        if not file.is_file():
            skipped.append(f"{file.name}: missing from {image_dir}; the image is skipped")
            continue
        try:
            pixels, (width, height) = decode_photo(file, size)
        except (OSError, MemoryError) as e:
            skipped.append(f"{file.name}: {first_line(e)}; the image is skipped")
            continue
        if (entry.get("width"), entry.get("height")) not in ((None, None), (width, height)):
            skipped.append(f"{name}: image {entry['id']} is {entry.get('width')}x{entry.get('height')} in the JSON "
                           f"but {file.name} is {width}x{height}; the file's size is used")
        n = len(images)
        cmask = np.zeros((size, size), dtype=np.int64)
        kept = 0
        for i, a in people:
            ident = f"{name}: annotation {i}" + (f" (id {a['id']})" if "id" in a else "")
            person = _read_person(a, ident, file.name, width, height, size, skipped)
            if person is None:
                continue
            box, m, k = person
            boxes.append(box)
            owner.append(n)
            inst.append(m)
            kps17.append(k)
            cmask[m] = 1
            kept += 1
        if not kept:
            skipped.append(f"{file.name}: no usable person is left; the image is skipped")
            continue
        for c in crowds.get(entry["id"], []):
            try:
                full = _decode_segmentation(c.get("segmentation"), height, width)
                crowd = resize_index(full.astype(np.uint8), size).astype(bool)
                cmask[crowd & (cmask == 0)] = -1                # a person's own pixels stay the person's
            except (ValueError, TypeError, KeyError, OverflowError) as e:
                skipped.append(f"{name}: crowd annotation {c.get('id', '?')} cannot be decoded ({first_line(e)}); "
                               "its region counts as background")
        images.append(pixels)
        class_masks.append(cmask)
    if not images:
        first = "; ".join(skipped[:3]) + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
        raise CocoFormatError(f"No valid image with a person in {path} (images in {image_dir}): "
                              f"{first or 'no annotation matches an image'}.")
    m = len(boxes)
    return Scenes(
        images=np.stack(images).astype(np.float32, copy=False),
        class_masks=np.stack(class_masks),
        boxes=np.stack(boxes),
        box_labels=np.zeros(m, dtype=np.int64),
        box_image=np.asarray(owner, dtype=np.int64),
        instance_masks=np.stack(inst),
        keypoints=coco17_to_openpose18(np.stack(kps17)),
        class_names=("person",),
        source=f"COCO keypoints {path.name} ({image_dir})",
    ), skipped
