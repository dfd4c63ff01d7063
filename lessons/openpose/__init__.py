"""Lesson ``openpose``: multi-person pose with confidence maps, part affinity fields and multi-stage refinement
(PyTorch; the network is ``visualizer.models.openpose_torch``, the decoding ``visualizer.probes.pose``)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "openpose", "OpenPose: keypoints, part affinity fields, stages", "Vision",
    "PyTorch advanced deep learning (Ogawa), ch. 4 (OpenPose); Cao, Simon, Wei & Sheikh 2017 (part affinity "
    "fields)",
    "A two-branch, multi-stage network learns where the joints of stick figures are (a confidence map per "
    "keypoint) and which way each limb points (a part affinity field), then a greedy bipartite matching turns "
    "peaks into skeletons: confidence maps, PAF arrows, stage-by-stage refinement, the assembled skeletons with "
    "their score threshold, PCK@0.2 and OKS AP over time, losses per stage.", engines=("torch",), order=70,
    pacing=Pacing(speed=30.0, stop=1500))
