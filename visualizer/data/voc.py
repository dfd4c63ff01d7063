"""Pascal VOC 2007/2012: the checksummed download and a reader for folders in VOC layout.

Everingham et al., "The Pascal Visual Object Classes (VOC) Challenge", IJCV 88 (2010); the layout and the
conventions below are those of the VOC devkit documentation.  Ogawa, *PyTorch advanced deep learning*, trains
SSD (ch. 2) and PSPNet (ch. 3) on it.  A VOC folder (``VOCdevkit/VOC2007`` or a user's own) holds::

    JPEGImages/<id>.jpg            the photographs
    Annotations/<id>.xml           objects: <name>, <difficult>, <bndbox> xmin ymin xmax ymax (1-based, inclusive)
    SegmentationClass/<id>.png     palette PNG: 0 background, 1..20 the classes, 255 the void border
    SegmentationObject/<id>.png    palette PNG: 0 background, k = the k-th <object> of the XML, 255 void
    ImageSets/Main/<split>.txt     image ids of the detection split (train, val, trainval, test)
    ImageSets/Segmentation/<split>.txt   image ids of the segmentation split

:func:`load_voc` turns such a folder into :class:`~visualizer.data.scenes.Scenes` (the type the generated
scenes use), :func:`fetch_voc` downloads the official trainval tar (md5 checked, cached, unpacked atomically).
Qt-free and torch-free.
"""
from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from visualizer.data.archives import extract_archive
from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch

if TYPE_CHECKING:
    from visualizer.data.scenes import Scenes

# The 20 classes in the devkit's order (VOCdevkit/VOCcode/VOCinit.m); class k has mask index k + 1.
VOC_CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor")
VOID_INDEX = 255                         # the mask index of VOC's "void" border and unlabelled regions


@dataclass(frozen=True)
class VocRelease:
    """One official VOC trainval tar: file name, ``"md5:..."`` as torchvision's VOC data set also checks it,
    its size for the progress message, and the folder it unpacks to."""

    year: str
    filename: str
    known_hash: str
    megabytes: int

    @property
    def folder(self) -> str:
        return f"VOCdevkit/VOC{self.year}"


VOC_RELEASES = {
    "2007": VocRelease("2007", "VOCtrainval_06-Nov-2007.tar", "md5:c52e279531787c972589f7e41ab4ae64", 440),
    "2012": VocRelease("2012", "VOCtrainval_11-May-2012.tar", "md5:6cd6e144f989b92b3379bac3b3de84fd", 1900),
}
# The Oxford host of the challenge, then the copy Joseph Redmon keeps for darknet (the same files; the md5
# decides).
VOC_MIRRORS = {
    "2007": ("http://host.robots.ox.ac.uk/pascal/VOC/voc2007/", "https://pjreddie.com/media/files/"),
    "2012": ("http://host.robots.ox.ac.uk/pascal/VOC/voc2012/", "https://pjreddie.com/media/files/"),
}


def voc_palette() -> np.ndarray:
    """The VOC devkit's colour map (``VOClabelcolormap.m``): (256, 3) uint8, the colour of each mask index.

    Index i spreads its bits over the three channels, three bits at a time from the most significant bit
    down: 0 black, 1 (128, 0, 0) aeroplane, 2 (0, 128, 0) bicycle, ..., 255 (224, 224, 192) void."""
    idx = np.arange(256)
    rgb = np.zeros((256, 3), dtype=np.int64)
    for j in range(8):                                     # bit j of each colour channel, from the top
        for ch in range(3):
            rgb[:, ch] |= ((idx >> (3 * j + ch)) & 1) << (7 - j)
    return rgb.astype(np.uint8)


class VocFormatError(ValueError):
    """A folder that cannot be read as VOC (not a folder, no JPEGImages, a split file that is missing, nothing
    valid in it); the message names the path and says what was expected."""


# ------------------------------------------------------------------------------------------------ #
# Download
# ------------------------------------------------------------------------------------------------ #
def fetch_voc(year: str = "2007", progress: ProgressCallback | None = None) -> Path:
    """The ``VOCdevkit/VOC<year>`` folder of the official VOC trainval release, ready for :func:`load_voc`.

    year: "2007" (5,011 images, 422 with masks, about 440 MB) or "2012" (11,540 detection images, 2,913
    with masks, about 1.9 GB).  The tar is fetched once into ``<cache>/voc`` with
    :func:`visualizer.data.download.fetch` (pooch; md5 checked; progress to ``callback(message, fraction)``;
    the Oxford server first, then a mirror), unpacked through a temporary folder that is renamed at the end,
    and found again by later calls without any network access.

    Raises ValueError for another year, and DownloadError with a sentence for the user when offline, on an
    HTTP error, a checksum mismatch, a damaged tar or an unwritable cache; a failed call leaves no
    half-unpacked folder."""
    year = str(year)
    if year not in VOC_RELEASES:
        raise ValueError(f"VOC year must be one of {', '.join(VOC_RELEASES)}, got {year!r}")
    release = VOC_RELEASES[year]
    folder = cache_dir() / "voc"
    unpacked = folder / f"VOC{year}-trainval"
    data = unpacked / release.folder
    marker = folder / f"VOC{year}-trainval.ok"
    if marker.is_file() and marker.read_text().strip() == release.known_hash and (data / "JPEGImages").is_dir():
        return data
    label = f"Pascal VOC {year} (about {release.megabytes:,} MB)"
    archive = fetch(release.filename, release.known_hash, VOC_MIRRORS[year], folder, progress=progress,
                    label=label)
    if progress:
        progress(f"Unpacking Pascal VOC {year}", None)
    marker.unlink(missing_ok=True)
    extract_archive(archive, unpacked)
    if not (data / "JPEGImages").is_dir():
        raise DownloadError(f"The archive {archive} holds no {release.folder}/JPEGImages folder.",
                            "unexpected archive")
    marker.write_text(release.known_hash + "\n")
    return data


# ------------------------------------------------------------------------------------------------ #
# One file each
# ------------------------------------------------------------------------------------------------ #
@dataclass
class _Object:
    label: int                         # index into VOC_CLASSES
    box: tuple[float, float, float, float]   # x0, y0, x1, y1 in original pixels, x1/y1 exclusive
    order: int                         # 1-based position among the XML's <object>s (SegmentationObject index)


def decode_photo(path: Path, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """A photograph -> ((3, size, size) float32 RGB in [0, 1], (width, height) of the file).

    The whole image is resized bilinearly to size×size (aspect ratio not kept: Ogawa's SSD and PSPNet resize
    VOC images to a square the same way), so boxes scale by size/width and size/height.  The EXIF
    orientation is NOT applied: VOC's boxes and masks refer to the pixels as stored.  Raises OSError with
    the reason."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                width, height = img.size
                if img.format == "JPEG":
                    img.draft("RGB", (size, size))        # decode at 1/2, 1/4, 1/8 while that still covers size
                img = img.convert("RGB")
                out = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
        except Image.DecompressionBombError as e:
            raise OSError(f"too large to decode safely ({e})") from e
        except Image.UnidentifiedImageError as e:
            raise OSError("not a readable image (Pillow does not recognise its format)") from e
        except (SyntaxError, ValueError, EOFError, IndexError, TypeError) as e:
            raise OSError(f"not a readable image ({type(e).__name__}: {e})") from e
    return (np.asarray(out, dtype=np.float32) / 255.0).transpose(2, 0, 1).copy(), (width, height)


def _number(node: ET.Element, tag: str) -> float:
    text = node.findtext(tag)
    if text is None:
        raise ValueError(f"no <{tag}>")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"<{tag}> is {text.strip()!r}, not a number") from None


def _parse_annotation(path: Path, name: str, keep_difficult: bool,
                      notes: list[str]) -> tuple[list[_Object], tuple[int, int] | None]:
    """Objects of one VOC XML (boxes still in original pixels, not yet clipped) and the <size> it states.

    Unknown class names, boxes without four numbers and (unless keep_difficult) difficult objects are left
    out; the first two are said in ``notes``.  Raises ET.ParseError for a broken file, OSError when it cannot
    be read."""
    root = ET.parse(path).getroot()
    stated = None
    size_node = root.find("size")
    if size_node is not None:
        try:
            stated = (int(_number(size_node, "width")), int(_number(size_node, "height")))
        except ValueError:
            stated = None
    objects = []
    for order, obj in enumerate(root.findall("object"), start=1):
        cls = (obj.findtext("name") or "").strip()
        if cls not in VOC_CLASSES:
            notes.append(f"{name}: object {order} has the unknown class {cls!r} (VOC has {len(VOC_CLASSES)} "
                         "classes); it is left out")
            continue
        if not keep_difficult and (obj.findtext("difficult") or "0").strip() == "1":
            continue
        box = obj.find("bndbox")
        try:
            if box is None:
                raise ValueError("no <bndbox>")
            xmin, ymin, xmax, ymax = (_number(box, t) for t in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError as e:
            notes.append(f"{name}: object {order} ({cls}) has no usable box ({e}); it is left out")
            continue
        # 1-based inclusive pixels -> 0-based, end exclusive: pixel column xmin covers [xmin - 1, xmin).
        objects.append(_Object(VOC_CLASSES.index(cls), (xmin - 1.0, ymin - 1.0, xmax, ymax), order))
    return objects, stated


def _clip_boxes(objects: list[_Object], width: int, height: int, name: str, notes: list[str]) -> list[_Object]:
    """Clip each box to the image; say which were clipped, drop (and say) those with nothing left."""
    kept = []
    for o in objects:
        x0, y0, x1, y1 = o.box
        c = (min(max(x0, 0.0), width), min(max(y0, 0.0), height), min(max(x1, 0.0), width),
             min(max(y1, 0.0), height))
        cls = VOC_CLASSES[o.label]
        shown = f"({x0 + 1:g}, {y0 + 1:g}, {x1:g}, {y1:g})"                 # as written in the XML
        if c[2] <= c[0] or c[3] <= c[1]:
            notes.append(f"{name}: object {o.order} ({cls}) box {shown} lies outside the {width}x{height} image "
                         "or is empty; it is left out")
            continue
        if c != (x0, y0, x1, y1):
            notes.append(f"{name}: object {o.order} ({cls}) box {shown} reaches outside the {width}x{height} "
                         "image; it is clipped to the image")
        kept.append(_Object(o.label, c, o.order))
    return kept


def _read_index_png(path: Path) -> tuple[np.ndarray, bool]:
    """A VOC mask PNG -> ((H, W) uint8 indices, whether they were mapped from colours).  Palette ('P') and
    grey ('L') PNGs hold the indices; an RGB PNG painted with the VOC colours is mapped back through
    :func:`voc_palette` (a colour that is not in it becomes 254, which the caller reports as unknown).
    Raises OSError for an unreadable file."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("P", "L"):
                return np.asarray(img, dtype=np.uint8).copy(), False
            if img.mode in ("I", "I;16", "I;16B", "I;16L"):
                raw = np.asarray(img).astype(np.int64)
                return np.where((raw >= 0) & (raw <= 255), raw, 254).astype(np.uint8), False
            rgb = np.asarray(img.convert("RGB"), dtype=np.int64)
    except (SyntaxError, ValueError, EOFError, IndexError, TypeError) as e:
        raise OSError(f"not a readable image ({type(e).__name__}: {e})") from e
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    pal = voc_palette().astype(np.int64)
    pal_codes = (pal[:, 0] << 16) | (pal[:, 1] << 8) | pal[:, 2]
    order = np.argsort(pal_codes)
    pos = np.clip(np.searchsorted(pal_codes[order], codes), 0, 255)
    found = pal_codes[order][pos] == codes
    return np.where(found, order[pos], 254).astype(np.uint8), True


def resize_index(index: np.ndarray, size: int) -> np.ndarray:
    """(H, W) uint8 indices -> (size, size) uint8, nearest neighbour (indices are never blended)."""
    from PIL import Image

    return np.asarray(Image.fromarray(index, mode="L").resize((size, size), Image.Resampling.NEAREST))


def _class_mask(path: Path, name: str, width: int, height: int, size: int, notes: list[str]) -> np.ndarray:
    """SegmentationClass PNG -> (size, size) int64: 0 background, 1..20 classes, -1 void (255 and any index
    that is no VOC class, said in ``notes``).  Raises OSError (unreadable) or ValueError (wrong size)."""
    index, from_colours = _read_index_png(path)
    if index.shape != (height, width):
        raise ValueError(f"the mask is {index.shape[1]}x{index.shape[0]} but the image is {width}x{height}")
    unknown = (index > len(VOC_CLASSES)) & (index != VOID_INDEX)
    if unknown.any():
        ids = np.unique(index[unknown])
        shown = ", ".join(str(i) for i in ids[:8]) + (", ..." if len(ids) > 8 else "")
        what = "colours not in the VOC palette" if from_colours else f"class ids {shown}"
        notes.append(f"{name}: {what} ({int(unknown.sum()):,} pixels) are not VOC classes (0-{len(VOC_CLASSES)}, "
                     f"{VOID_INDEX} void); those pixels are void")
        index = np.where(unknown, VOID_INDEX, index).astype(np.uint8)
    small = resize_index(index, size).astype(np.int64)
    small[small == VOID_INDEX] = -1
    return small


# ------------------------------------------------------------------------------------------------ #
# A folder
# ------------------------------------------------------------------------------------------------ #
def _split_ids(root: Path, split: str, segmentation: bool) -> list[str]:
    sets = root / "ImageSets"
    if sets.is_dir():
        sub = sets / ("Segmentation" if segmentation else "Main")
        listing = sub / f"{split}.txt"
        if not listing.is_file():
            found = sorted(p.stem for p in sub.glob("*.txt") if "_" not in p.stem) if sub.is_dir() else []
            hint = f" (found: {', '.join(found)})" if found else ""
            raise VocFormatError(f"{listing} does not exist{hint}; pick another split, or remove ImageSets to "
                                 "read every image that has an annotation.")
        ids = [line.split()[0] for line in listing.read_text(errors="replace").splitlines() if line.strip()]
        return list(dict.fromkeys(ids))                             # unique, in the file's order
    folder, ext = (root / "SegmentationClass", ".png") if segmentation else (root / "Annotations", ".xml")
    return sorted(p.stem for p in folder.glob(f"*{ext}") if not p.name.startswith(".")) if folder.is_dir() else []


def _find_image(root: Path, image_id: str) -> Path | None:
    for ext in (".jpg", ".jpeg", ".JPG", ".JPEG", ".png"):
        p = root / "JPEGImages" / f"{image_id}{ext}"
        if p.is_file():
            return p
    return None


def first_line(e: BaseException) -> str:
    """The first line of an error's message (its type name when it has none), for a skipped-file note."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text


class _Skip(Exception):
    """One image cannot be used; the message names the file and says why."""


def _read_one(root: Path, image_id: str, size: int, segmentation: bool, keep_difficult: bool,
              notes: list[str]) -> tuple[np.ndarray, np.ndarray, list[_Object], list[np.ndarray]]:
    """One image of a VOC folder -> (pixels (3, S, S), class mask (S, S) int64, objects with boxes in resized
    pixels, their instance masks (S, S) bool).  Problems that leave the image usable go to ``notes``;
    raises _Skip for one that does not."""
    xml_path = root / "Annotations" / f"{image_id}.xml"
    cls_path = root / "SegmentationClass" / f"{image_id}.png"
    obj_path = root / "SegmentationObject" / f"{image_id}.png"
    xml_name = xml_path.relative_to(root).as_posix()
    if segmentation and not cls_path.is_file():
        raise _Skip(f"SegmentationClass/{image_id}.png: missing; the image is skipped")
    objects: list[_Object] = []
    stated = None
    if xml_path.is_file():
        try:
            objects, stated = _parse_annotation(xml_path, xml_name, keep_difficult, notes)
        except (ET.ParseError, OSError, UnicodeDecodeError) as e:
            if not segmentation:
                raise _Skip(f"{xml_name}: not a readable VOC annotation ({first_line(e)}); the image is skipped") from e
            notes.append(f"{xml_name}: not a readable VOC annotation ({first_line(e)}); the image is kept without boxes")
    elif not segmentation:
        raise _Skip(f"{xml_name}: missing; the image is skipped")
    if not segmentation and not objects:
        raise _Skip(f"{xml_name}: no objects (none, or only difficult or unusable ones); the image is skipped for "
                    "detection")
    img_path = _find_image(root, image_id)
    if img_path is None:
        raise _Skip(f"JPEGImages/{image_id}.jpg: missing; the image is skipped")
    img_name = img_path.relative_to(root).as_posix()
    try:
        pixels, (width, height) = decode_photo(img_path, size)
    except (OSError, MemoryError) as e:
        raise _Skip(f"{img_name}: {first_line(e)}; the image is skipped") from e
    if stated is not None and stated != (width, height):
        notes.append(f"{xml_name}: <size> says {stated[0]}x{stated[1]} but {img_name} is {width}x{height}; the "
                     "image's size is used")
    objects = _clip_boxes(objects, width, height, xml_name, notes)
    if not segmentation and not objects:
        raise _Skip(f"{xml_name}: no box is left inside the image; the image is skipped for detection")

    cmask = None
    if cls_path.is_file():
        cls_name = cls_path.relative_to(root).as_posix()
        try:
            cmask = _class_mask(cls_path, cls_name, width, height, size, notes)
        except (OSError, ValueError, MemoryError) as e:
            if segmentation:
                raise _Skip(f"{cls_name}: {first_line(e)}; the image is skipped") from e
            notes.append(f"{cls_name}: {first_line(e)}; the image is kept without a mask")
    objmap = None
    if cmask is not None and obj_path.is_file():
        obj_name = obj_path.relative_to(root).as_posix()
        try:
            index, _ = _read_index_png(obj_path)
            if index.shape != (height, width):
                raise ValueError(f"the mask is {index.shape[1]}x{index.shape[0]} but the image is {width}x{height}")
            objmap = resize_index(index, size)
        except (OSError, ValueError, MemoryError) as e:
            notes.append(f"{obj_name}: {first_line(e)}; instance masks come from the boxes and the class mask")

    sx, sy = size / width, size / height
    centres = np.arange(size) + 0.5
    scaled, masks = [], []
    for o in objects:
        x0, y0, x1, y1 = o.box[0] * sx, o.box[1] * sy, o.box[2] * sx, o.box[3] * sy
        if objmap is not None:
            m = objmap == o.order                                  # the k-th <object> has index k
        elif cmask is not None:                                    # pixel centres in the box, of its class
            inside = ((centres >= y0) & (centres < y1))[:, None] & ((centres >= x0) & (centres < x1))[None, :]
            m = inside & (cmask == o.label + 1)
        else:
            m = np.zeros((size, size), dtype=bool)
        scaled.append(_Object(o.label, (x0, y0, x1, y1), o.order))
        masks.append(m)
    if cmask is None:
        cmask = np.full((size, size), -1, dtype=np.int64)          # no mask: every pixel unknown (void)
    return pixels, cmask, scaled, masks


def load_voc(root: Path | str, size: int, *, split: str = "trainval", segmentation: bool = False,
             max_images: int | None = None, keep_difficult: bool = False) -> tuple[Scenes, list[str]]:
    """Read a folder in VOC layout into (scenes, skipped).

    root: the ``VOC<year>`` folder (``JPEGImages/`` and ``Annotations/`` inside); size: the side S of the
    square images; split: the name of ``ImageSets/Main/<split>.txt`` (detection) or
    ``ImageSets/Segmentation/<split>.txt`` (segmentation=True); without an ``ImageSets`` folder every
    ``Annotations/*.xml`` (detection) or every ``SegmentationClass/*.png`` (segmentation) is read, by name.
    max_images: stop after that many valid images (in the split's order).  keep_difficult: keep objects
    marked ``<difficult>1</difficult>``; by default they are left out, as Ogawa's ``Anno_xml2list`` (ch. 2)
    does and as VOC's evaluation ignores them.

    scenes: :class:`~visualizer.data.scenes.Scenes` with class_names = VOC_CLASSES and
      images (N, 3, S, S) float32 RGB in [0, 1], each photograph resized to S×S (aspect not kept);
      boxes (M, 4) float32 x0, y0, x1, y1 in resized pixels, x1/y1 exclusive: VOC's 1-based inclusive
        ``xmin..xmax`` become ``(xmin - 1) * S / width .. xmax * S / width``;
      box_labels (M,) int64 in 0..19, box_image (M,) int64 ascending;
      class_masks (N, S, S) int64 from ``SegmentationClass/<id>.png`` resized with nearest neighbour:
        0 background, k + 1 for VOC_CLASSES[k], -1 void (VOC's 255 border); an image without a mask PNG is
        void (-1) everywhere: its pixels are unknown, not background;
      instance_masks (M, S, S) bool from ``SegmentationObject/<id>.png`` (index k = the k-th XML object)
        when it exists, else the object's box intersected with its class's pixels in the class mask, else
        (no mask at all) all False;
      keypoints (M, 18, 3) float32, all zeros (VOC has no keypoints).
    Detection (segmentation=False) needs each image's XML with at least one kept object; segmentation needs
    each image's class mask (its XML, when present and readable, adds the boxes).
    skipped: one line per problem, each naming the file: a box reaching outside the image (clipped) or
      lying outside it (left out), an unknown class name, mask indices that are no VOC class (made void),
      and the images left out: missing or undecodable image, broken XML, no objects, unreadable mask.

    Raises ValueError for a size below 1, VocFormatError (a ValueError) when root is no VOC folder, the split
    file is missing, or no image is valid (the message lists the first problems)."""
    from visualizer.data.scenes import Scenes

    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if max_images is not None and max_images < 1:
        raise ValueError(f"max_images must be >= 1 or None, got {max_images}")
    root = Path(root)
    if not root.is_dir():
        raise VocFormatError(f"{root} is not a folder; point to a VOC<year> folder with JPEGImages/ and "
                             "Annotations/.")
    if not (root / "JPEGImages").is_dir():
        inner = sorted(p.relative_to(root).as_posix() for p in (*root.glob("VOC*"), *root.glob("VOCdevkit/VOC*"))
                       if (p / "JPEGImages").is_dir())
        hint = f" (try {root / inner[0]})" if inner else ""
        raise VocFormatError(f"{root} has no JPEGImages folder, so it is not a VOC<year> folder{hint}.")
    ids = _split_ids(root, split, segmentation)
    if not ids:
        what = "SegmentationClass/*.png masks" if segmentation else "Annotations/*.xml files"
        raise VocFormatError(f"{root} holds no {what}.")

    skipped: list[str] = []
    images, class_masks = [], []
    boxes, labels, owner, inst = [], [], [], []
    for image_id in ids:
        if max_images is not None and len(images) >= max_images:
            break
        notes: list[str] = []
        try:
            pixels, cmask, objects, masks = _read_one(root, image_id, size, segmentation, keep_difficult, notes)
        except _Skip as e:
            skipped.extend(notes)
            skipped.append(str(e))
            continue
        skipped.extend(notes)
        n = len(images)
        images.append(pixels)
        class_masks.append(cmask)
        for o, m in zip(objects, masks):
            boxes.append(np.asarray(o.box, dtype=np.float32))
            labels.append(o.label)
            owner.append(n)
            inst.append(m)
    if not images:
        first = "; ".join(skipped[:3]) + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
        raise VocFormatError(f"No valid image in {root} (split {split!r}, "
                             f"{'segmentation' if segmentation else 'detection'}): {first or 'nothing to read'}.")
    m = len(boxes)
    scenes = Scenes(
        images=np.stack(images).astype(np.float32, copy=False),
        class_masks=np.stack(class_masks).astype(np.int64, copy=False),
        boxes=np.stack(boxes).astype(np.float32) if m else np.zeros((0, 4), np.float32),
        box_labels=np.asarray(labels, dtype=np.int64),
        box_image=np.asarray(owner, dtype=np.int64),
        instance_masks=np.stack(inst) if m else np.zeros((0, size, size), dtype=bool),
        keypoints=np.zeros((m, 18, 3), dtype=np.float32),
        class_names=VOC_CLASSES,
        source=f"Pascal VOC folder {root} ({split}, {'segmentation' if segmentation else 'detection'})",
    )
    return scenes, skipped
