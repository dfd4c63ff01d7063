"""How long one redraw of the annotated image view takes: ``set_data`` and a repaint of the widget, per frame,
for the pictures the detection, segmentation and pose lessons show (issue #16: GUI p99 <= 50 ms while training;
the app redraws at about 30 Hz, so a frame should stay well under 33 ms).

Cases: a pose scene (64 px, keypoints, limbs, a coarse confidence map, PAF arrows); 200 detections with labels;
3000 boxes in three styles (SSD's default boxes of one map); a 475 px segmentation (PSPNet's input) with its
mask and a heat map; a 2 x 2 mosaic of detection scenes.  Each frame gets new data (boxes jitter), as in
training.  Runs offscreen (QT_QPA_PLATFORM=offscreen unless set).

Usage:  python -m benchmarks.bench_annotated_view [--frames 60] [--size 700x600]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def cases(rng: np.random.Generator):
    """{name: callable(frame) -> AnnotatedImageData}."""
    from visualizer.core.plotdata import AnnotatedImageData
    from visualizer.data.scenes import KEYPOINTS, SKELETON, generate_scenes
    from visualizer.probes.annotated import mosaic

    scenes = generate_scenes(8, 64, seed=3, person_share=0.6)
    names = scenes.class_names

    def detections(i: int, n: int, size: int = 64, frame: int = 0) -> AnnotatedImageData:
        r = np.random.default_rng(frame * 31 + i)
        xy = r.uniform(0, size * 0.8, (n, 2))
        boxes = np.concatenate([xy, np.minimum(xy + r.uniform(3, size * 0.4, (n, 2)), size)], axis=1)
        cls = r.integers(0, len(names), n)
        styles = r.choice(["solid", "dashed", "dotted"], n)
        return AnnotatedImageData(scenes.images[i % len(scenes)].transpose(1, 2, 0) if size == 64 else
                                  np.zeros((size, size, 3), np.float32),
                                  boxes=boxes.astype(np.float32), box_classes=cls,
                                  box_labels=[f"{names[k]} {s:.2f}" for k, s in zip(cls, r.uniform(0, 1, n))],
                                  box_styles=list(styles), class_names=names, caption=f"frame {frame}")

    person = next(i for i in range(len(scenes)) if len(scenes.people_of(i)))
    people = scenes.people_of(person)

    def pose(frame: int) -> AnnotatedImageData:
        pts = np.concatenate([p[p[:, 2] > 0, :2] for p in people]).astype(np.float32)
        seg = np.array([[p[a, :2], p[b, :2]] for p in people for a, b in SKELETON if p[a, 2] and p[b, 2]],
                       np.float32)
        heat = rng.uniform(0, 1, (16, 16)).astype(np.float32)
        ax, ay = np.meshgrid(np.arange(2, 64, 4), np.arange(2, 64, 4))
        ang = rng.uniform(0, 2 * np.pi, ax.shape)
        arrows = np.stack([ax, ay, 3 * np.cos(ang), 3 * np.sin(ang)], axis=-1).reshape(-1, 4).astype(np.float32)
        labels = [KEYPOINTS[j] for p in people for j in np.flatnonzero(p[:, 2] > 0)]
        return AnnotatedImageData(scenes.images[person].transpose(1, 2, 0), points=pts,
                                  point_classes=np.full(len(pts), 4), point_labels=labels, segments=seg,
                                  segment_classes=np.full(len(seg), 4), heat=heat, heat_label="confidence",
                                  arrows=arrows, arrow_classes=np.full(len(arrows), 2), class_names=names,
                                  caption=f"frame {frame}")

    big_image = rng.uniform(0, 1, (475, 475, 3)).astype(np.float32)
    big_mask = np.kron(rng.integers(-1, 21, (25, 25)), np.ones((19, 19), np.int64))

    def segmentation(frame: int) -> AnnotatedImageData:
        return AnnotatedImageData(big_image, mask=np.roll(big_mask, frame, axis=1),
                                  heat=rng.uniform(0, 1, (60, 60)).astype(np.float32), heat_label="p(class)",
                                  class_names=[f"class {k}" for k in range(20)], caption=f"frame {frame}")

    return {
        "pose 64 px (18 keypoints, limbs, heat, 256 arrows)": pose,
        "200 detections with labels": lambda f: detections(0, 200, frame=f),
        "3000 boxes, three styles": lambda f: detections(1, 3000, size=300, frame=f),
        "segmentation 475 px (mask, heat)": segmentation,
        "mosaic 2x2 of 20 detections": lambda f: mosaic([detections(i, 20, frame=f) for i in range(4)], ncols=2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60, help="frames per case")
    ap.add_argument("--size", default="700x600", help="the view's size, WxH")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from visualizer.core.plotdata import PlotSpec
    from visualizer.ui.app import configure_pyqtgraph
    from visualizer.ui.plots import make_plot_view

    configure_pyqtgraph()
    w, h = (int(v) for v in args.size.lower().split("x"))
    rng = np.random.default_rng(0)
    print(f"annotated image view, {w}x{h}, {args.frames} frames per case; ms per frame (set_data + repaint)")
    print(f"{'case':<52} {'median':>7} {'p99':>7} {'items':>6}")
    for name, make in cases(rng).items():
        view = make_plot_view(PlotSpec("bench", "Bench", "annotated_image"))
        view.resize(w, h)
        view.show()
        frames = [make(f) for f in range(args.frames + 3)]
        for d in frames[:3]:                          # warm up: items created, layout settled
            view.set_data(d)
            app.processEvents()
        times = []
        for d in frames[3:]:
            t0 = time.perf_counter()
            view.set_data(d)
            view.graphics.viewport().repaint()
            times.append(time.perf_counter() - t0)
            app.processEvents()
        ms = 1000 * np.array(times)
        print(f"{name:<52} {np.median(ms):7.1f} {np.percentile(ms, 99):7.1f} {view.graphics_item_count():6d}")
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
