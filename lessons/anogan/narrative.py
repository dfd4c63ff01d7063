"""The story of the ``anogan`` lesson (Ogawa ch. 6; Schlegl et al. 2017)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Learn what normal looks like",
        "Anomalies are rare and varied: we cannot collect examples of every defect. **AnoGAN** (Schlegl et al. "
        "2017) learns only the **normal** data: a DCGAN is trained on images of one digit (here 0). Whatever G can "
        "draw is normal; an image it cannot draw is an **anomaly**.\n\n"
        "Press **Play** and watch the losses while G learns to draw zeros.",
        set_params={"normal_class": "0", "score_test_set": False},
        plots=("losses", "search", "scores"),
    ),
    NarrativeStep(
        "The latent search",
        "To judge a test image x we look for the z whose G(z) is closest to it, by gradient descent on z (G "
        "and D fixed), starting from a random z₀. The loss has two parts:\n\n"
        "  L_R(z) = Σ |x − G(z)|  (residual loss)\n"
        "  L_D(z) = Σ |f(x) − f(G(z))|  (discrimination loss, f: D's intermediate features)\n"
        "  A(z) = (1 − λ)·L_R(z) + λ·L_D(z),  λ = 0.1\n\n"
        "(we average instead of summing so the numbers do not depend on the image size). One search step runs "
        "with each training step; the curve shows A falling step by step.",
        set_params={"test_index": 0},
        plots=("search", "search_curve", "losses"),
        run_steps=100,
    ),
    NarrativeStep(
        "A digit G cannot draw",
        "Now the query is a **different** digit (test images 30–99 are anomalous). G only knows zeros: the best "
        "G(z) is still a zero, and the **residual map** |x − G(z)| lights up exactly where the query differs "
        "(Schlegl's residual image localises the anomaly). Its score A stays higher than a normal image's.",
        set_params={"test_index": 30},
        plots=("search", "search_curve", "losses"),
        run_steps=100,
    ),
    NarrativeStep(
        "Scoring the test set",
        "Turning on **Score the test set** runs the same search on all 100 test images at once (one batch of "
        "latent vectors, 'Search steps' Adam steps, done in chunks during training) and repeats it every 'Score "
        "every' steps. The histograms show the scores of the 30 normal and the 70 anomalous images.",
        set_params={"score_test_set": True},
        plots=("histograms", "query_score", "search"),
        run_steps=150,
    ),
    NarrativeStep(
        "Choosing a threshold",
        "A test image is flagged anomalous when A > threshold. Move the **Threshold** slider:\n\n"
        "  precision = TP / (TP + FP)  (how many flagged images are truly anomalous)\n"
        "  recall = TP / (TP + FN)  (how many anomalies are caught)\n\n"
        "Lower the threshold and recall rises while precision falls. The **ROC AUC** does not depend on the "
        "threshold: it is the probability that a random anomaly scores above a random normal image (0.5: chance).",
        plots=("histograms", "query_score", "losses"),
    ),
    NarrativeStep(
        "Another normal class",
        "Some digits are easier to tell apart than others: a GAN trained on 1s draws thin strokes, and a 7 can "
        "fool it. Change **Normal class**, reset, train, and score again. Increase λ to lean on D's features "
        "instead of raw pixels.",
        set_params={"normal_class": "1"},
        plots=("histograms", "search", "losses"),
        run_steps=100,
    ),
)
