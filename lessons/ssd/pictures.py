"""The ``ssd`` lesson's pictures (Qt-free; torch on the lesson's build path only).

Every picture shows one held-out scene (``image_index``).  One forward pass of the model on it is kept until
the next training step, so the confidence and NMS sliders, the matching threshold and the cell pickers redraw
from it without training and without running the network again."""
from __future__ import annotations

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import AnnotatedImageData, PlotData
from visualizer.probes import detection as D

PROBE_NEIGHBOURS = 5
SHOWN = 50                   # the detections view draws at most this many (the best)
DRAWN_NEGATIVES = 20         # the matching picture draws the hardest negatives only (all are counted)
BELOW = 3                    # ... and, when none passes the threshold, this many of the best below it


def parse_box(text: str, size: int | None = None) -> tuple[float, float, float, float] | None:
    """"x0,y0,x1,y1" in pixels -> the box (None for empty text).  Raises LessonConfigError for anything else:
    not four numbers, no area, or (with ``size``) entirely outside the image."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in text.replace(";", ",").split(","))
    except ValueError:
        raise LessonConfigError(f"Probe box: {text!r} is not four numbers x0,y0,x1,y1 (pixels)") from None
    if not all(np.isfinite((x0, y0, x1, y1))) or x1 <= x0 or y1 <= y0:
        raise LessonConfigError(f"Probe box: {text!r} needs x1 > x0 and y1 > y0")
    if size is not None and (x1 <= 0 or y1 <= 0 or x0 >= size or y0 >= size):
        raise LessonConfigError(f"Probe box: {text!r} lies outside the {size}x{size} image")
    return x0, y0, x1, y1


class Pictures:
    """The pictures of :class:`lessons.ssd.lesson.SSDLesson`; ``all()`` -> plot id -> PlotData."""

    def __init__(self, lesson) -> None:
        self.lesson = lesson
        self._forward: tuple | None = None              # (image index, loc (P, 4), conf (P, K + 1))
        self.priors = lesson.net.priors.cpu().numpy()   # (P, 4) centre form

    def forget(self) -> None:
        """The weights change: the kept forward pass is stale."""
        self._forward = None

    def _index(self) -> int:
        return min(self.lesson.hp["image_index"], len(self.lesson.val_set) - 1)

    def _run(self):
        import torch

        i = self._index()
        if self._forward is None or self._forward[0] != i:
            net = self.lesson.net
            net.eval()
            with torch.no_grad():
                loc, conf = net(self.lesson.data["val"][0][i:i + 1])
            self._forward = (i, loc, conf)
        return self._forward

    def all(self) -> dict[str, PlotData]:
        import torch

        from visualizer.models.ssd_torch import detect, hard_negatives, match

        les, hp = self.lesson, self.lesson.hp
        i, loc, conf = self._run()
        image = les.val_set.images[i]
        gt, gl = les.val_set.truth(i)
        names = les.class_names
        out: dict[str, PlotData] = {"default_boxes": self.default_boxes(image), "probe": self.probe(image)}
        d = detect(loc, conf, les.net.priors, hp["conf_threshold"], hp["nms_iou"], SHOWN)[0]
        size = les.val_set.size
        boxes, scores, labels = (d["boxes"].numpy() * size, d["scores"].numpy(), d["labels"].numpy())
        out["detections"] = D.detections_picture(
            image, boxes, scores, labels, names,
            f"scene {i}, step {les.last_step}: {len(boxes)} detections at confidence >= {hp['conf_threshold']:.2f}, "
            f"NMS IoU {hp['nms_iou']:.2f}")
        out["truth_vs_pred"] = D.truth_vs_predictions(image, gt, gl, boxes, scores, labels, names)
        if not len(boxes):                      # nothing passes: the best candidates below the threshold, dotted
            d = detect(loc, conf, les.net.priors, 0.0, hp["nms_iou"], BELOW)[0]
            out["detections"] = D.detections_picture(
                image, d["boxes"].numpy() * size, d["scores"].numpy(), d["labels"].numpy(), names,
                f"scene {i}, step {les.last_step}: no detection reaches confidence {hp['conf_threshold']:.2f}; "
                f"dotted: the {BELOW} best below it", style="dotted")
        _, vb, vl = les.data["val"]
        t = match(vb[i:i + 1], vl[i:i + 1], les.net.priors, hp["iou_threshold"])
        ce = torch.nn.functional.cross_entropy(conf[0], t.conf[0], reduction="none")[None]        # (1, P)
        neg = hard_negatives(ce, t.conf > 0, hp["neg_pos"])[0].numpy()
        order = np.argsort(-ce[0].numpy())                                    # hardest negatives first
        neg_sorted = np.zeros_like(neg)
        hardest = order[neg[order]][:DRAWN_NEGATIVES]
        neg_sorted[hardest] = True
        out["matching"] = D.matching_picture(image, gt, gl, self.priors, t.conf[0].numpy(), neg_sorted,
                                             t.overlap[0].numpy(), names)
        out["matching"].caption = (f"IoU >= {hp['iou_threshold']:.2f}: {int((t.conf > 0).sum())} positives, "
                                   f"{int(neg.sum())} hard negatives at {hp['neg_pos']:g}:1 (hardest "
                                   f"{len(hardest)} dotted)")
        if les.ap_result is not None:
            out["pr_curves"] = D.pr_curves(les.ap_result, names)
        return out

    def default_boxes(self, image: np.ndarray) -> AnnotatedImageData:
        from visualizer.models.ssd_torch import box_shapes, default_box_index

        cfg, hp = self.lesson.cfg, self.lesson.hp
        k = min(hp["source_map"], len(cfg.feature_maps)) - 1
        f = cfg.feature_maps[k]
        r, c = min(hp["cell_row"], f - 1), min(hp["cell_col"], f - 1)
        start = default_box_index(cfg, k, r, c)
        shapes = box_shapes(cfg, k)
        pick = list(range(len(shapes))) if hp["aspect"] == "all" or hp["aspect"] not in shapes else \
            [shapes.index(hp["aspect"])]
        note = "" if hp["aspect"] in ("all", *shapes) else f" (ratio {hp['aspect']} is not on this map: all shown)"
        clipped = "" if (k + 1, r, c) == (hp["source_map"], hp["cell_row"], hp["cell_col"]) else " (clipped to the map)"
        cap = (f"source map {k + 1} of {len(cfg.feature_maps)} ({f}x{f} cells, {len(shapes)} boxes per cell), "
               f"cell ({r}, {c}){clipped}{note}")
        return D.default_boxes_picture(image, self.priors[start + np.array(pick)], [shapes[j] for j in pick], cap)

    def probe(self, image: np.ndarray) -> AnnotatedImageData:
        box = parse_box(self.lesson.hp["probe_box"])
        if box is None:
            size = image.shape[-1]
            box = (0.3 * size, 0.3 * size, 0.6 * size, 0.75 * size)
            pic, _, _ = D.nearest_default_boxes(image, box, self.priors, PROBE_NEIGHBOURS)
            pic.caption = "Drag a box on this picture: " + pic.caption + " (an example box)"
            return pic
        return D.nearest_default_boxes(image, box, self.priors, PROBE_NEIGHBOURS)[0]
