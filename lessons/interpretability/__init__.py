"""Lesson ``interpretability``: looking inside a convnet (PyTorch): feature maps, filters by gradient ascent,
Grad-CAM and Grad-CAM++, saliency, integrated gradients and occlusion, DeepDream and the sanity check."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "interpretability", "Looking inside a convnet", "Vision",
    "Deep Learning with Python 2e (Chollet), ch. 9.4 (activations, filters, Grad-CAM) and 12.2 (DeepDream); "
    "Selvaraju et al. 2017; Chattopadhay et al. 2018; Simonyan et al. 2014; Sundararajan et al. 2017; "
    "Zeiler & Fergus 2014; Adebayo et al. 2018",
    "What a trained network looks at: every layer's feature maps for an image, the pattern each filter wants "
    "(gradient ascent with jitter and octaves), Grad-CAM and Grad-CAM++ for a class, saliency, integrated "
    "gradients and occlusion (Captum), DeepDream, and the sanity check that randomizes the weights to see "
    "which maps really explain the model. On the small VGG of the shapes, your own networks, or VGG-16.",
    engines=("torch",), order=60, pacing=Pacing(speed=10.0, stop=120, unit="steps"))
