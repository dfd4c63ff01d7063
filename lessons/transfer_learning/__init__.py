"""Lesson ``transfer_learning``: from scratch, feature extraction and fine-tuning side by side on the same
batches (PyTorch; the network is ``visualizer.models.small_vgg_torch``, or torchvision's VGG-16)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "transfer_learning", "Transfer learning: scratch, frozen features, fine-tuning", "Vision",
    "PyTorch advanced deep learning (Ogawa), ch. 1 (VGG-16 transfer learning and fine-tuning on ants and bees); "
    "Deep Learning with Python 2e, ch. 8 (small data, augmentation, pretrained features, fine-tuning)",
    "Three copies of a small VGG learn four shapes from 120 pictures each, on the same augmented batches: one "
    "from random weights, one on top of a frozen pretrained base, one fine-tuning that base block by block. "
    "Accuracy and loss curves, how far each block's weights move, the features before and after (PCA, t-SNE), "
    "mistakes, the confusion matrix, augmentation and the model summary.", engines=("torch",), order=50,
    pacing=Pacing(speed=10.0, stop=600))
