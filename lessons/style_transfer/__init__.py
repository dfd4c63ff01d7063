"""Lesson ``style_transfer``: neural style transfer by optimizing the image itself (Gatys, Ecker & Bethge 2016)."""
from visualizer.core.lesson import LessonInfo, Pacing

# Pacing (measured with benchmarks/bench_style_transfer.py on the busy 2-core machine, one torch thread, random
# features): 8-12 steps/s at 128 px, 24-46 at 64 px.  So the window runs at up to 30 steps/s (as fast as a CPU
# goes at 128 px; a watchable pace on CUDA) and stops after 400 steps (about 35-50 s at 128 px on a CPU), when the
# photo is stylised and the losses have flattened; Play continues.
INFO = LessonInfo(
    "style_transfer", "Neural style transfer", "Generative",
    "Deep Learning with Python 2e (Chollet), ch. 12.3 (neural style transfer); Fundamentals of Deep Learning "
    "(Buduma), neural style; Gatys, Ecker & Bethge 2016; Ustyuzhaninov et al. 2017 (random features)",
    "Paint a photograph in the style of another picture by gradient descent on its pixels: live content, style "
    "and total-variation weights, the style loss of every layer, and the Gram matrices that define 'style'.",
    engines=("torch",), order=40, pacing=Pacing(speed=30.0, stop=400, unit="steps"))
