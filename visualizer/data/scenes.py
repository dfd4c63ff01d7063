"""Generated scenes: seeded pictures with several objects, for detection, segmentation and pose.

Each scene holds one to ``max_objects`` instances over a textured background with small clutter blobs and pixel
noise.  An instance is a textured shape (circle, square, triangle, star; sizes from small to large, rotated) or an
articulated stick figure, a "person" whose joints follow OpenPose's 18-keypoint COCO layout (Cao et al. 2017) and
whose limbs are thick strokes.  Later instances may cover part of earlier ones (each keeps most of itself
visible).  Every scene comes with what the three vision lessons of Ogawa's *PyTorch advanced deep learning*
(ch. 2 SSD, ch. 3 PSPNet, ch. 4 OpenPose) need: boxes, instance masks, a class mask and keypoints.  The idea
of synthetic shape scenes is old (Matterport's "shapes" for Mask R-CNN); this generator is the project's own.

Scene ``i`` draws its layout from ``default_rng([seed, i])``, so a set of 200 scenes is a prefix of the set of
1,000 with the same seed.  Drawing is vectorized over the scenes of a chunk, one object slot at a time, on a 2x
supersampled grid averaged down.  NumPy only; about 4 s per 1,000 scenes at 64 px on one core (measured on the 2-core machine while busy).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from visualizer.data.shapes import SHAPES, TEXTURES, texture_weight

SCENE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "star", "person")
KEYPOINTS: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye",
    "right_ear", "left_ear")
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17), (2, 16), (5, 17))
"""OpenPose's 19 connections between keypoints (0-based), one part affinity field (x, y) each: 38 channels."""
SKELETON: tuple[tuple[int, int], ...] = LIMBS[:13]
"""The connections drawn as strokes: arms, legs, the torso's two sides and the neck (the face is the head disc)."""

SUPERSAMPLE = 2
CHUNK = 128                  # scenes drawn at once (memory: about 40 MB per chunk at 64 px)
MAX_COVER = 0.4              # a new object may cover at most this share of an earlier object's box
MIN_PIXELS = 6               # an instance with fewer visible pixels is dropped from the annotations


@dataclass(frozen=True)
class Scenes:
    """Scenes with their instances.  N images, M instances in all (sorted by image).

    images: (N, 3, S, S) float32 in [0, 1]; class_masks: (N, S, S) int64, 0 background, k + 1 for
    ``class_names[k]``, -1 void (pixels a reader could not label; never in generated scenes);
    boxes: (M, 4) float32 (x0, y0, x1, y1) in pixels, the visible extent (x1, y1 exclusive: a box around pixel
    column c alone is [c, c + 1)); box_labels: (M,) int64 index into class_names; box_image: (M,) int64 image
    of each instance, ascending; instance_masks: (M, S, S) bool visible pixels; keypoints: (M, 18, 3) float32
    (x, y, v) in pixels, v = 2 visible, 1 labelled but hidden, 0 not labelled (all zeros for non-people);
    source: a short description for the UI.  Raises ValueError from the constructor when shapes disagree."""

    images: np.ndarray
    class_masks: np.ndarray
    boxes: np.ndarray
    box_labels: np.ndarray
    box_image: np.ndarray
    instance_masks: np.ndarray
    keypoints: np.ndarray
    class_names: tuple[str, ...]
    source: str = ""

    def __post_init__(self) -> None:
        x = self.images
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3] or x.dtype != np.float32:
            raise ValueError(f"images must be float32 (N, 3, S, S), got {x.dtype} {x.shape}")
        n, s, m = len(x), x.shape[-1], len(self.boxes)
        checks = (("class_masks", self.class_masks, (n, s, s)), ("boxes", self.boxes, (m, 4)),
                  ("box_labels", self.box_labels, (m,)), ("box_image", self.box_image, (m,)),
                  ("instance_masks", self.instance_masks, (m, s, s)), ("keypoints", self.keypoints, (m, 18, 3)))
        for name, arr, shape in checks:
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
        if m and (self.box_image.min() < 0 or self.box_image.max() >= n or np.any(np.diff(self.box_image) < 0)):
            raise ValueError("box_image must be ascending image indices in [0, N)")
        if m and (self.box_labels.min() < 0 or self.box_labels.max() >= len(self.class_names)):
            raise ValueError(f"box_labels must lie in [0, {len(self.class_names)})")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        """Image side S in pixels."""
        return int(self.images.shape[-1])

    def instances_of(self, i: int) -> np.ndarray:
        """Indices into the M instance arrays of image ``i``."""
        lo, hi = np.searchsorted(self.box_image, [i, i + 1])
        return np.arange(lo, hi)

    def boxes_of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(boxes (m, 4) float32, labels (m,) int64) of image ``i``."""
        j = self.instances_of(i)
        return self.boxes[j], self.box_labels[j]

    def people_of(self, i: int) -> np.ndarray:
        """(p, 18, 3) keypoints of the people (instances with any labelled keypoint) in image ``i``."""
        k = self.keypoints[self.instances_of(i)]
        return k[k[:, :, 2].max(axis=1) > 0]

    def subset(self, idx) -> "Scenes":
        """The images at ``idx`` (an index array or boolean mask), in that order, with their instances."""
        idx = np.arange(len(self))[idx]
        parts = [self.instances_of(int(i)) for i in idx]
        inst = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        new_image = np.repeat(np.arange(len(idx)), [len(p) for p in parts]).astype(np.int64)
        return Scenes(self.images[idx], self.class_masks[idx], self.boxes[inst], self.box_labels[inst], new_image,
                      self.instance_masks[inst], self.keypoints[inst], self.class_names, self.source)


# ---- layout: what each scene holds, drawn per scene from its own generator -----------------------------------
@dataclass
class _Object:
    label: int                   # index into the scene's class names
    box: np.ndarray              # (4,) x0, y0, x1, y1 in image units ([-1, 1] spans the image)
    colours: np.ndarray          # (2, 3) the texture's two colours
    texture: int                 # index into TEXTURES
    angle: float                 # texture angle and frequency
    freq: float
    centre: tuple[float, float] = (0.0, 0.0)
    radius: float = 0.0          # shapes: half the side; rotation in radians
    rotation: float = 0.0
    joints: np.ndarray | None = None     # people: (18, 2) joints in image units
    width: float = 0.0                    # people: stroke half-width and head radius in image units
    head: float = 0.0


def _pose(rng: np.random.Generator) -> np.ndarray:
    """An upright stick figure facing the viewer, (18, 2) joints in body units (neck at 0, y down, height ~6.9);
    the figure's right side is on the image's left."""
    j = np.zeros((18, 2))
    head = np.array([0.0, -1.0])
    j[0] = head + (0.0, 0.15)                                            # nose
    j[14], j[15] = head + (-0.25, -0.15), head + (0.25, -0.15)           # eyes
    j[16], j[17] = head + (-0.5, 0.0), head + (0.5, 0.0)                 # ears
    for side, (sh, el, wr, hip, kn, an) in ((-1, (2, 3, 4, 8, 9, 10)), (1, (5, 6, 7, 11, 12, 13))):
        j[sh] = (0.9 * side, 0.1)
        a = np.radians(rng.uniform(10, 150))                              # upper arm: from hanging to raised
        b = a + np.radians(rng.uniform(-60, 60))                          # forearm bend
        j[el] = j[sh] + 1.2 * np.array([side * np.sin(a), np.cos(a)])
        j[wr] = j[el] + 1.1 * np.array([side * np.sin(b), np.cos(b)])
        j[hip] = (0.45 * side, 2.4)
        c = np.radians(rng.uniform(-8, 35))                               # thigh: straight down to astride
        d = c - np.radians(rng.uniform(0, 45)) * rng.choice([-1, 1])      # knee bend
        j[kn] = j[hip] + 1.5 * np.array([side * np.sin(c), np.cos(c)])
        j[an] = j[kn] + 1.4 * np.array([side * np.sin(d), np.cos(d)])
    return j


def _colour_against(background: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two object colours (2, 3) whose mean brightness differs from the background's (3,) by at least 0.25."""
    a = rng.uniform(0, 1, 3)
    b = 0.6 * a + 0.4 * rng.uniform(0, 1, 3)
    w = np.array([0.299, 0.587, 0.114])
    gap = ((a + b) / 2 * w).sum() - (background * w).sum()
    if abs(gap) < 0.25:
        shift = np.sign(gap + 1e-6) * (0.25 - abs(gap))
        a, b = a + shift, b + shift
        if np.any((a + b) / 2 > 1) or np.any((a + b) / 2 < 0):           # no room on that side: go the other way
            a, b = a - 2 * shift, b - 2 * shift
    return np.clip(np.stack([a, b]), 0, 1)


def _overlaps(box: np.ndarray, placed: list[_Object]) -> bool:
    for o in placed:
        ix = max(0.0, min(box[2], o.box[2]) - max(box[0], o.box[0]))
        iy = max(0.0, min(box[3], o.box[3]) - max(box[1], o.box[1]))
        if ix * iy > MAX_COVER * (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]):
            return True
    return False


def _layout(rng, classes, max_objects, person_share, scale, background) -> list[_Object]:
    """The objects of one scene, in drawing order."""
    shapes = [k for k, c in enumerate(classes) if c != "person"]
    person = classes.index("person") if "person" in classes else None
    placed: list[_Object] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        is_person = person is not None and (not shapes or rng.random() < person_share)
        label = person if is_person else int(rng.choice(shapes))
        colours = _colour_against(background, rng)
        texture, angle, freq = int(rng.integers(0, len(TEXTURES))), rng.uniform(0, np.pi), rng.uniform(6, 14)
        for _try in range(20):
            if is_person:
                height = rng.uniform(max(scale[0], 0.35), min(1.0, max(scale[1], 0.35) * 1.5)) * 2
                unit = height / 6.9
                tilt = np.radians(rng.uniform(-25, 25))
                rot = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
                body = _pose(rng) @ rot.T * unit                          # (18, 2) around the neck
                head_r, half_w = 0.55 * unit, max(0.22 * unit, 1.0 / 64)
                lo, hi = body.min(0) - head_r - half_w, body.max(0) + head_r + half_w
                if np.any(hi - lo > 1.96):
                    continue
                shift = rng.uniform(-0.98 - lo, 0.98 - hi)                # keep the figure inside the image
                joints = body + shift
                box = np.concatenate([lo + shift, hi + shift])
                obj = _Object(label, box, colours, texture, angle, freq, joints=joints, width=half_w,
                              head=head_r)
            else:
                r = rng.uniform(*scale)
                cx, cy = rng.uniform(-1 + r, 1 - r, 2)
                box = np.array([cx - r, cy - r, cx + r, cy + r])
                obj = _Object(label, box, colours, texture, angle, freq, (cx, cy), r, rng.uniform(0, 2 * np.pi))
            if not _overlaps(box, placed):
                placed.append(obj)
                break
    return placed


def _near_segment(u, v, p, q, w):
    """(n, H, W) bool: points (u, v) within distance w (n, 1, 1) of the segments p -> q, p and q (n, 2)."""
    px, py = p[:, 0, None, None], p[:, 1, None, None]
    dx, dy = (q[:, 0] - p[:, 0])[:, None, None], (q[:, 1] - p[:, 1])[:, None, None]
    ru, rv = u - px, v - py
    t = np.clip((ru * dx + rv * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    ru -= t * dx
    rv -= t * dy
    return ru * ru + rv * rv <= w * w


def _silhouettes(objects: list[_Object], classes, u, v) -> np.ndarray:
    """(n, H, W) bool: where each object lies (ignoring occlusion).  u, v: (n, H, W) image coordinates."""
    out = np.zeros(u.shape, bool)
    people = [i for i, o in enumerate(objects) if o.joints is not None]
    if people:
        jt = np.stack([objects[i].joints for i in people])                          # (p, 18, 2)
        w = np.array([objects[i].width for i in people])[:, None, None]
        head = np.array([objects[i].head for i in people])[:, None, None]
        pu, pv = u[people], v[people]
        centre = jt[:, 0] + (jt[:, 0] - jt[:, 1]) * (0.15 / 0.85)                  # head centre, just above the nose
        body = (pu - centre[:, 0, None, None]) ** 2 + (pv - centre[:, 1, None, None]) ** 2 <= head ** 2
        for a, b in SKELETON:
            body |= _near_segment(pu, pv, jt[:, a], jt[:, b], w)
        out[people] = body
    for k, name in enumerate(classes):
        idx = [i for i, o in enumerate(objects) if o.joints is None and o.label == k]
        if not idx:
            continue
        cx = np.array([objects[i].centre[0] for i in idx])[:, None, None]
        cy = np.array([objects[i].centre[1] for i in idx])[:, None, None]
        r = np.array([objects[i].radius for i in idx])[:, None, None]
        rot = np.array([objects[i].rotation for i in idx])[:, None, None]
        du, dv = u[idx] - cx, v[idx] - cy
        x = (du * np.cos(rot) + dv * np.sin(rot)) / r
        y = (-du * np.sin(rot) + dv * np.cos(rot)) / r
        out[idx] = SHAPES[name](x, y)
    return out


def _draw_chunk(first: int, n: int, size: int, seed: int, classes, max_objects, person_share, scale):
    """Scenes first .. first + n - 1: images (n, 3, S, S), owner (n, S, S) int (slot of the visible object, -1
    background) and the layouts."""
    s = size * SUPERSAMPLE
    grid = (np.arange(s, dtype=np.float32) + 0.5) / s * 2.0 - 1.0
    v1, u1 = np.meshgrid(grid, grid, indexing="ij")
    u, v = np.broadcast_to(u1, (n, s, s)), np.broadcast_to(v1, (n, s, s))
    rngs = [np.random.default_rng([seed, first + i]) for i in range(n)]
    bg = np.stack([r.uniform(0, 1, (2, 3)) for r in rngs]).astype(np.float32)       # (n, 2, 3)
    bg[:, 1] = 0.7 * bg[:, 0] + 0.3 * bg[:, 1]
    bg_kind = np.array([r.choice([0, 1, 3, 4]) for r in rngs])
    bg_angle = np.array([r.uniform(0, np.pi) for r in rngs], np.float32)[:, None, None]
    bg_freq = np.array([r.uniform(6, 14) for r in rngs], np.float32)[:, None, None]
    w = texture_weight(bg_kind, bg_angle, bg_freq, u, v)[:, None]                   # (n, 1, s, s)
    img = bg[:, 0, :, None, None] + (bg[:, 1] - bg[:, 0])[:, :, None, None] * w      # (n, 3, s, s)
    for _ in range(3):                                                               # clutter blobs, not objects
        p = np.array([r.uniform(-0.95, 0.95, 2).tolist() + [r.uniform(0.03, 0.07), r.random() < 0.5]
                      + r.uniform(0, 1, 3).tolist() for r in rngs])                  # (n, 7)
        bx, by, rad, bar = (p[:, i, None, None] for i in range(4))
        blob = np.where(bar > 0, (np.abs(u - bx) < 2.2 * rad) & (np.abs(v - by) < 0.45 * rad),
                        (u - bx) ** 2 + (v - by) ** 2 < rad * rad)
        np.copyto(img, p[:, 4:, None, None].astype(np.float32), where=blob[:, None])
    layouts = [_layout(r, classes, max_objects, person_share, scale, bg[i].mean(0)) for i, r in enumerate(rngs)]
    owner = np.full((n, s, s), -1, np.int64)
    for slot in range(max_objects):
        who = [i for i in range(n) if len(layouts[i]) > slot]
        if not who:
            break
        objs = [layouts[i][slot] for i in who]
        sil = _silhouettes(objs, classes, u[who], v[who])                           # (m, s, s)
        angle = np.array([o.angle for o in objs], np.float32)[:, None, None]
        freq = np.array([o.freq for o in objs], np.float32)[:, None, None]
        tw = texture_weight(np.array([o.texture for o in objs]), angle, freq, u[who], v[who])[:, None]
        col = np.stack([o.colours for o in objs]).astype(np.float32)                 # (m, 2, 3)
        fill = col[:, 0, :, None, None] + (col[:, 1] - col[:, 0])[:, :, None, None] * tw
        part = img[who]
        np.copyto(part, fill, where=sil[:, None])
        img[who] = part
        owner[who] = np.where(sil, slot, owner[who])
    img = img.reshape(n, 3, size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(3, 5))
    img = img + np.stack([r.normal(0.0, 0.03, (3, size, size)) for r in rngs])
    return np.clip(img, 0, 1).astype(np.float32), owner, layouts


def generate_scenes(n: int, size: int = 64, seed: int = 0, *, max_objects: int = 4, person_share: float = 0.3,
                    min_scale: float = 0.15, max_scale: float = 0.6,
                    classes: Sequence[str] = SCENE_CLASSES) -> Scenes:
    """``n`` generated scenes of ``size`` x ``size`` pixels with their boxes, masks and keypoints.

    Each scene holds 1..max_objects instances; a person with probability ``person_share`` (when "person" is in
    ``classes``), else one of the shapes in ``classes``; a shape's side is uniform in [min_scale, max_scale] of
    the image side, a person's height in [max(min_scale, 0.35), max_scale * 1.5] (at most the image).
    classes: a subset of :data:`SCENE_CLASSES`, in the order that defines the labels.
    Returns :class:`Scenes`.  Raises ValueError for n < 1, a size outside 32..256, max_objects outside 1..8,
    scales outside 0.05 <= min <= max <= 0.9, person_share outside [0, 1] or unknown/repeated classes."""
    classes = tuple(classes)
    unknown = [c for c in classes if c not in SCENE_CLASSES]
    if unknown or not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct names from {SCENE_CLASSES}, got {list(classes)}")
    if n < 1 or not 32 <= size <= 256 or not 1 <= max_objects <= 8:
        raise ValueError(f"need n >= 1, 32 <= size <= 256 and 1 <= max_objects <= 8; got {n}, {size}, {max_objects}")
    if not 0.05 <= min_scale <= max_scale <= 0.9 or not 0.0 <= person_share <= 1.0:
        raise ValueError(f"need 0.05 <= min_scale <= max_scale <= 0.9 and 0 <= person_share <= 1; got "
                         f"{min_scale}, {max_scale}, {person_share}")
    images, class_masks = [], []
    boxes, labels, owners, inst_masks, keypoints = [], [], [], [], []
    for first in range(0, n, CHUNK):
        m = min(CHUNK, n - first)
        img, owner, layouts = _draw_chunk(first, m, size, seed, classes, max_objects, person_share,
                                          (min_scale, max_scale))
        images.append(img)
        cmask = np.zeros((m, size, size), np.int64)
        for i, objs in enumerate(layouts):
            order = np.arange(len(objs) - 1, -2, -1)                 # top-most slot first, background last
            share = (owner[i][None] == order[:, None, None]).reshape(len(order), size, SUPERSAMPLE, size,
                                                                      SUPERSAMPLE).mean(axis=(2, 4))
            pixel_owner = order[share.argmax(0)]                     # (S, S) the majority; ties go to the top
            for slot, o in enumerate(objs):
                vis = pixel_owner == slot
                if vis.sum() < MIN_PIXELS:
                    continue
                cmask[i][vis] = o.label + 1
                rows, cols = np.flatnonzero(vis.any(1)), np.flatnonzero(vis.any(0))
                boxes.append([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])
                labels.append(o.label)
                owners.append(first + i)
                inst_masks.append(vis)
                kp = np.zeros((18, 3), np.float32)
                if o.joints is not None:
                    xy = (o.joints + 1.0) / 2.0 * size                               # image units -> pixels
                    r, c = np.clip(xy[:, 1].astype(int), 0, size - 1), np.clip(xy[:, 0].astype(int), 0, size - 1)
                    kp[:, :2], kp[:, 2] = xy, np.where(vis[r, c], 2.0, 1.0)
                keypoints.append(kp)
        class_masks.append(cmask)
    m_all = len(boxes)
    s = size
    return Scenes(np.concatenate(images), np.concatenate(class_masks),
                  np.asarray(boxes, np.float32).reshape(m_all, 4), np.asarray(labels, np.int64),
                  np.asarray(owners, np.int64), np.asarray(inst_masks, bool).reshape(m_all, s, s),
                  np.asarray(keypoints, np.float32).reshape(m_all, 18, 3), classes,
                  f"generated scenes ({size} px, seed {seed})")


def scene_sets(n_train: int, n_val: int, size: int = 64, seed: int = 0, **kw) -> tuple[Scenes, Scenes]:
    """Disjoint training and held-out validation scenes: the validation set is drawn with seed
    ``seed + 10_007`` (another stream, so it shares no scene with the training set).  kw: as generate_scenes."""
    return generate_scenes(n_train, size, seed, **kw), generate_scenes(n_val, size, seed + 10_007, **kw)
