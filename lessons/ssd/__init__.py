"""Lesson ``ssd``: a single-shot multibox detector learns to find shapes and stick figures in generated scenes
(PyTorch; the network, default boxes, matching and MultiBoxLoss are ``visualizer.models.ssd_torch``)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "ssd", "SSD: default boxes, matching and MultiBoxLoss", "Vision",
    "PyTorch advanced deep learning (Ogawa), ch. 2 (SSD300 on VOC); Liu et al. 2016, SSD: Single Shot "
    "MultiBox Detector",
    "A small SSD learns to detect circles, squares, triangles, stars and stick figures in cluttered generated "
    "scenes: the default boxes of each source map, which of them the jaccard matching makes positive and which "
    "negatives hard mining keeps, MultiBoxLoss split into its two terms, detections under confidence and NMS "
    "sliders, IoU against the ground truth, and mAP@0.5 per class with precision-recall curves. "
    "variant=ssd300 builds the book's SSD300 (8,732 default boxes).", engines=("torch",), order=60,
    pacing=Pacing(speed=30.0, stop=3000))
