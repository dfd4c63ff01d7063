"""Lesson ``style_transfer``: neural style transfer by optimizing the image itself (Gatys, Ecker & Bethge 2016)."""
from visualizer.core.lesson import LessonInfo, Pacing

# Pacing: about 4-5 steps/s at 128 px on one busy CPU core with the random features (benchmarks/
# bench_style_transfer.py), so the window runs as fast as it can and stops after 400 steps (about 1.5 minutes),
# when the picture is stylised and the losses have flattened.
INFO = LessonInfo(
    "style_transfer", "Neural style transfer", "Generative",
    "Deep Learning with Python 2e (Chollet), ch. 12.3 (neural style transfer); Fundamentals of Deep Learning "
    "(Buduma), neural style; Gatys, Ecker & Bethge 2016; Ustyuzhaninov et al. 2017 (random features)",
    "Paint a photograph in the style of another picture by gradient descent on its pixels: live content, style "
    "and total-variation weights, the style loss of every layer, and the Gram matrices that define 'style'.",
    engines=("torch",), order=40, pacing=Pacing(speed=None, stop=400, unit="steps"))
