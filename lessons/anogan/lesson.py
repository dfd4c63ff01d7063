"""Lesson ``anogan``: anomaly detection with a GAN trained on one digit (Qt-free).

Follows Schlegl et al. 2017 (AnoGAN) and Ogawa, *PyTorch advanced deep learning*, ch. 6.  Play trains a DCGAN on
the images of one class only (the "normal" data): a TorchTrainer with a D phase and a G phase
(:meth:`AnoganLesson.d_losses`, :meth:`AnoganLesson.g_losses`).  Alongside, a **latent search** finds for a chosen
test image the z whose G(z) is closest to it, one Adam step per training step, against a frozen copy of the
current G and D; its score A = (1 − λ)·L_R + λ·L_D measures how abnormal the image is.  Scoring the whole test set
runs the same search batched over all 100 images for a fixed number of steps; it is expensive, so it runs only
when asked (``score_test_set``) and then every ``score_every`` training steps, in chunks of ``SCORE_CHUNK`` search
steps inside ``train_step`` so the window stays responsive.  Torch is imported only when the lesson builds.
"""
from __future__ import annotations

import numpy as np

from lessons.anogan import INFO
from lessons.anogan.data import N_TEST, N_TEST_NORMAL, load_data
from lessons.anogan.detection import (ScoreHistogramData, SearchCurveData, best_f1_threshold, precision_recall_f1,
                                      roc_auc)
from lessons.anogan.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import ImageGridData, PlotData, PlotSpec
from visualizer.probes.gan_health import GanHealth, Streak, d_wins_message

SCORE_CHUNK = 10              # batched search steps per training step while scoring
CLASSES = tuple(str(d) for d in range(10))
D_WINS_LOSS = 0.02            # D's loss below this counts as D winning


class AnoganLesson(Lesson):
    """AnoGAN: a DCGAN on one digit, then the latent search that scores how abnormal a test image is."""

    info = INFO
    params = (
        ChoiceParam("normal_class", "Normal class", "0", CLASSES,
                    tooltip="The digit the GAN learns: its images are 'normal', all others anomalous."),
        IntParam("channels", "Base channels", 32, 8, 64, log=True,
                 tooltip="Feature maps of the first D layer; G and D double them per layer."),
        IntParam("batch_size", "Batch size", 32, 8, 128, log=True, tooltip="Real and fake images per step."),
        FloatParam("lr_g", "Generator learning rate", 2e-4, 1e-5, 1e-1, log=True, decimals=5,
                   tooltip="Adam (β₁ = 0.5) step size of G. Applies at the next step."),
        FloatParam("lr_d", "Discriminator learning rate", 2e-4, 1e-5, 1e-1, log=True, decimals=5,
                   tooltip="Adam (β₁ = 0.5) step size of D. Applies at the next step."),
        BoolParam("train_gan", "Train the GAN", True, live=True,
                  tooltip="Off: G and D stay as they are and each step only advances the latent search (and the "
                          "scoring)."),
        IntParam("test_index", "Test image", N_TEST_NORMAL, 0, N_TEST - 1, live=True,
                 tooltip="Which of the 100 test images the search works on: 0–29 are normal (the chosen class), "
                         "30–99 anomalous (the other digits in turn). Restarts the search."),
        FloatParam("lam", "λ (feature weight)", 0.1, 0.0, 1.0, live=True, decimals=2,
                   tooltip="A = (1 − λ)·L_R + λ·L_D: weight of the discrimination (feature-matching) loss; the "
                           "paper uses 0.1. Restarts the search."),
        FloatParam("search_lr", "Search learning rate", 0.05, 1e-3, 1.0, log=True, live=True, decimals=4,
                   tooltip="Adam step size of the latent search on z. Restarts the search."),
        IntParam("search_steps", "Search steps", 100, 10, 500, live=True,
                 tooltip="Steps of each search (one per training step); then it restarts with the current G."),
        BoolParam("score_test_set", "Score the test set", False, live=True,
                  tooltip="Run the search on all 100 test images at once (batched, 'Search steps' steps, in "
                          "chunks of 10 per training step), then again every 'Score every' steps while on. "
                          "Expensive: each chunk costs several training steps."),
        IntParam("score_every", "Score every", 200, 20, 5000, live=True, log=True,
                 tooltip="Training steps between two scorings of the test set while 'Score the test set' is on."),
        FloatParam("threshold", "Threshold", 0.25, 0.0, 2.0, live=True, decimals=3,
                   tooltip="Flag a test image as anomalous when its score A exceeds this."),
    )
    plots = (
        PlotSpec("losses", "GAN losses", "curves", series=("d_loss", "g_loss"), x_label="step", y_label="loss",
                 tooltip="Window means of D's and G's cross-entropy losses on the normal class."),
        PlotSpec("search", "Latent search", "image_grid", main="wide",
                 tooltip="The query x, G(z) at the current search step, and the residual |x − G(z)| (black: 0, "
                         "white: 2). What G cannot draw lights up in the residual."),
        PlotSpec("search_curve", "Score over search steps", "search_curve",
                 tooltip="A = (1 − λ)·L_R + λ·L_D and its two parts at every step of the current search."),
        PlotSpec("histograms", "Scores: normal vs anomalous", "score_histograms",
                 tooltip="Histograms of the anomaly scores of the 30 normal and 70 anomalous test images (after "
                         "'Score the test set'), the threshold, and precision, recall, F1 and ROC AUC."),
        PlotSpec("scores", "Discriminator outputs", "curves", series=("d_real", "d_fake"), x_label="step",
                 y_label="mean D(·)", y_range=(0, 1), tooltip="Mean D(x) on real normal images, D(G(z)) on fakes."),
        PlotSpec("query_score", "Search score and AUC", "curves", series=("query_score", "auc"), x_label="step",
                 y_label="score / AUC",
                 tooltip="The current search's score A for the chosen test image, and the ROC AUC of each test-set "
                         "scoring (1: every anomaly scores above every normal image; 0.5: chance)."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"test_index", "threshold"})
    eval_every = 100

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        if hp["engine"] != "torch":
            raise LessonConfigError("AnoGAN runs on the torch engine only: choose engine torch.")
        normal = int(hp["normal_class"])
        self.x_train, self.x_test, self.y_test = load_data(normal, hp["seed"])
        self.is_anomaly = self.y_test != normal
        # pause when D's loss stays near 0 for 5 readings after step 300; no collapse check (one class is alike)
        self.health = GanHealth(Streak(5, warmup=300), None)
        self.last_step = 0
        self._build(hp)
        self._restart_search()                                # also sets _view_cache
        self.scores, self.scores_step = None, -1              # the last scoring of the test set, and its step
        self._next_scoring: int | None = None

    def _build(self, hp) -> None:
        """G and D (DCGAN initialization after ``torch.manual_seed(seed)``), Adam β₁ = 0.5 for each, the images
        and the two latent searches on the device."""
        import torch

        from lessons.anogan.latent_search import AnomalySearch
        from lessons.anogan.net_torch import Discriminator, Generator, init_weights
        from visualizer.torch_backend.gan import gan_trainer

        torch.manual_seed(hp["seed"])
        G, D = Generator(20, hp["channels"]), Discriminator(hp["channels"])
        init_weights(G)
        init_weights(D)
        self.trainer = gan_trainer(G, D, self.d_losses, self.g_losses, lr_g=hp["lr_g"], lr_d=hp["lr_d"],
                                   betas=(0.5, 0.999), device=hp["device"], seed=hp["seed"])
        # channel stride 1, as the lesson's arrays always had: oneDNN takes the same conv path, bit for bit
        to_dev = lambda a: torch.as_tensor(a, device=self.trainer.device).as_strided(  # noqa: E731
            a.shape, (a.shape[2] * a.shape[3], 1, a.shape[3], 1))
        self.x, self.search = to_dev(self.x_train), AnomalySearch(to_dev(self.x_test), hp["seed"])

    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.x_train) // self.hp["batch_size"])

    # ---- training: one D update, then one G update (BCE with logits, non-saturating G loss) ---------------
    def d_losses(self, batch, step):
        """D's BCE on a real batch of the normal class and a detached fake batch; mean D(x) and D(G(z))."""
        import torch
        from torch.nn.functional import binary_cross_entropy_with_logits as bce

        G, D, gen = self.trainer.modules["G"], self.trainer.modules["D"], self.trainer.generator
        n = self.hp["batch_size"]
        real = self.x[torch.randint(0, self.x.shape[0], (n,), generator=gen, device=self.x.device)]
        self._fake = G(torch.randn(n, G.z_dim, generator=gen, device=self.x.device))    # (B, 1, 16, 16)
        d_real, d_fake = D(real)[0], D(self._fake.detach())[0]                            # (B,) logits
        return {"d_loss": bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake)),
                "d_real": torch.sigmoid(d_real.detach()).mean(), "d_fake": torch.sigmoid(d_fake.detach()).mean()}

    def g_losses(self, batch, step):
        """G's non-saturating loss −log D(G(z)) on the same fakes, through the just-updated D."""
        import torch
        from torch.nn.functional import binary_cross_entropy_with_logits as bce

        d_gen = self.trainer.modules["D"](self._fake)[0]
        self._fake = None
        return {"g_loss": bce(d_gen, torch.ones_like(d_gen))}

    def _restart_search(self) -> None:
        self.search.start(self.trainer.modules["G"], self.trainer.modules["D"], self.hp["test_index"],
                          self.hp["lam"], self.hp["search_lr"], self.hp["search_steps"])
        self._view_cache = None

    def train_step(self, step: int) -> None:
        """A GAN step (unless 'Train the GAN' is off), a step of the search, and a chunk of the scoring."""
        self.last_step = step
        if self.hp["train_gan"]:
            self.trainer.step(None, step)
        if self.search.one.steps >= self.hp["search_steps"]:
            self._restart_search()
        self.trainer.record({"query_score": self.search.step()})
        if self.hp["score_test_set"]:
            self._advance_scoring(step)

    def flush(self) -> dict[str, float]:
        """The window's metrics, and the check that pauses when D wins."""
        m = self.trainer.flush()
        if "d_loss" in m and (v := self.health.update(self.last_step, d_wins=m["d_loss"] < D_WINS_LOSS)):
            self.context.request_pause(d_wins_message(v.steps, m["d_real"], m["d_fake"]))
        return m

    def _advance_scoring(self, step: int) -> None:
        s = self.search
        if s.batch is None and (self._next_scoring is None or step >= self._next_scoring):
            s.start_scoring(self.trainer.modules["G"], self.trainer.modules["D"], self.hp["lam"],
                            self.hp["search_lr"], self.hp["search_steps"])
            self._scoring_started = step
        if s.batch is None or (scores := s.scoring_chunk(SCORE_CHUNK)) is None:
            return
        self.scores, self.scores_step = scores, self._scoring_started
        self._next_scoring = step + self.hp["score_every"]
        auc = roc_auc(scores, self.is_anomaly)
        if np.isfinite(auc):
            self.trainer.record({"auc": auc})

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name in ("test_index", "lam", "search_lr"):
            self._restart_search()
        elif name == "search_steps" and self.search.one.steps > value:
            self._restart_search()
        elif name == "score_test_set" and value:
            self._next_scoring = None                    # score as soon as the next step runs
        elif name == "score_test_set":
            self.search.batch = None

    def divergence_hint(self) -> str:
        return (f"The losses became NaN or infinite: the learning rates (G {self.hp['lr_g']:g}, D "
                f"{self.hp['lr_d']:g}) or the search learning rate ({self.hp['search_lr']:g}) are too high. Lower "
                "them (2e-4 for the GAN, 0.05 for the search) and press Reset (R).")

    # ---- views --------------------------------------------------------------------------------------------
    def _search_view(self):
        key = (self.last_step, self.search.one.steps, self.hp["test_index"])
        if self._view_cache is None or self._view_cache[0] != key:
            self._view_cache = (key, self.search.view())
        return self._view_cache[1]

    def histogram_data(self) -> ScoreHistogramData:
        thr = float(self.hp["threshold"])
        running = self.search.batch is not None
        if self.scores is None:
            status = ("scoring the test set: search step "
                      f"{self.search.batch.steps}/{self.search.batch_total}" if running else
                      "not scored yet: turn on 'Score the test set'")
            return ScoreHistogramData(np.zeros(0), np.zeros(0), thr, status=status)
        p, r, f1 = precision_recall_f1(self.scores, self.is_anomaly, thr)
        best_t, _ = best_f1_threshold(self.scores, self.is_anomaly)
        status = f"scores of step {self.scores_step}" + (" (rescoring…)" if running else "")
        return ScoreHistogramData(self.scores[~self.is_anomaly], self.scores[self.is_anomaly], thr, p, r, f1,
                                  roc_auc(self.scores, self.is_anomaly), best_t, self.scores_step, status)

    def snapshot(self) -> dict[str, PlotData]:
        query, gx, hist = self._search_view()
        i = self.hp["test_index"]
        kind = "anomalous" if self.is_anomaly[i] else "normal"
        residual = np.abs(query - gx)
        steps = np.arange(len(hist))
        return {
            "search": ImageGridData(np.stack([query, gx, residual - 1.0]).astype(np.float32),
                                    [f"query x, #{i} / digit {self.y_test[i]}, {kind}", f"G(z) / search step {len(hist) - 1}",
                                     f"residual |x − G(z)| / mean {residual.mean():.3f}"], (-1.0, 1.0), "gray", ncols=3),
            "search_curve": SearchCurveData(steps, hist[:, 0], hist[:, 1], hist[:, 2],
                                            f"test image #{i} ({self.y_test[i]}, {kind}), λ = {self.hp['lam']:g}"),
            "histograms": self.histogram_data(),
        }

    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)
        self._restart_search()
        self.scores = None

    def close(self) -> None:
        self._view_cache = self._fake = None
        super().close()


LESSON = AnoganLesson
