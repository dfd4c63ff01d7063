"""Lesson ``pspnet``: semantic segmentation with a pyramid scene parsing network and its twin without pyramid
pooling, trained side by side (PyTorch; the network is ``visualizer.models.pspnet_torch``)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "pspnet", "PSPNet: pyramid pooling for scene parsing", "Vision",
    "PyTorch advanced deep learning (Ogawa), ch. 3 (PSPNet: dilated ResNet, pyramid pooling, auxiliary loss); "
    "Zhao et al. 2017, Pyramid Scene Parsing Network",
    "A small PSPNet learns to label every pixel of generated scenes (background, circle, square, triangle, star, "
    "person), next to a twin without the pyramid pooling module on the same batches: predicted and true masks, what "
    "each pyramid level says about a class, main and auxiliary loss, IoU per class and mIoU, the pixel confusion "
    "matrix, and the global-context mistakes the twin makes.", engines=("torch",), order=60,
    pacing=Pacing(speed=30.0, stop=3000))
