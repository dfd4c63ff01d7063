"""Lesson ``anogan``: anomaly detection with a GAN trained on one digit (Qt-free).

Follows Schlegl et al. 2017 (AnoGAN) and Ogawa, *PyTorch advanced deep learning*, ch. 6.  Play trains a DCGAN on
the images of one class only (the "normal" data).  Alongside, a **latent search** finds for a chosen test image
the z whose G(z) is closest to it, one Adam step per training step, against a frozen copy of the current G and D;
its score A = (1 − λ)·L_R + λ·L_D measures how abnormal the image is.  Scoring the whole test set runs the same
search batched over all 100 images for a fixed number of steps; it is expensive, so it runs only when asked
(``score_test_set``) and then every ``score_every`` training steps, in chunks of ``SCORE_CHUNK`` search steps
inside ``train_step`` so the window stays responsive.  Torch is imported only when the lesson builds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.anogan.detection import best_f1_threshold, precision_recall_f1, roc_auc
from lessons.anogan.narrative import NARRATIVE
from lessons.sagan.data import digits_16
from lessons.sagan.health import GanHealth
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import ImageGridData, PlotData, PlotSpec
from lessons.anogan import INFO

N_TEST = 100
N_TEST_NORMAL = 30
SCORE_CHUNK = 10              # batched search steps per training step while scoring
CLASSES = tuple(str(d) for d in range(10))


@dataclass
class SearchCurveData:
    """The ``search_curve`` plot kind: scores over the steps of the latent search (not training steps).

    steps: (S,) int; residual, discrimination, score: (S,) float (L_R, L_D and A = (1 − λ)L_R + λL_D)."""

    steps: np.ndarray
    residual: np.ndarray
    discrimination: np.ndarray
    score: np.ndarray
    title: str = ""

    def table(self) -> tuple[list[str], list[list]]:
        return (["search_step", "residual_loss", "discrimination_loss", "anomaly_score"],
                [[int(s), float(r), float(d), float(a)] for s, r, d, a in
                 zip(self.steps, self.residual, self.discrimination, self.score)])


@dataclass
class ScoreHistogramData:
    """The ``score_histograms`` plot kind: anomaly scores of normal and anomalous test images with a threshold.

    normal, anomalous: (N₀,), (N₁,) scores (empty before the test set is scored); threshold: flag score >
    threshold; precision, recall, f1, auc: at that threshold (NaN when not scored); step: the training step the
    scores belong to; status: one line on what is shown or running."""

    normal: np.ndarray
    anomalous: np.ndarray
    threshold: float
    precision: float = float("nan")
    recall: float = float("nan")
    f1: float = float("nan")
    auc: float = float("nan")
    best_threshold: float = float("nan")
    step: int = -1
    status: str = ""

    def table(self) -> tuple[list[str], list[list]]:
        rows = [["normal", float(s)] for s in self.normal] + [["anomalous", float(s)] for s in self.anomalous]
        rows.append(["threshold", float(self.threshold)])
        return ["group", "anomaly_score"], rows


def build_test_set(x_val: np.ndarray, y_val: np.ndarray, normal: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """30 normal validation images (indices 0–29) then 70 anomalous ones from the other nine classes in turn:
    x (100, 1, 16, 16), labels (100,).  Raises LessonConfigError if a class has too few images."""
    rng = np.random.default_rng([seed, 6])
    norm = np.flatnonzero(y_val == normal)
    if len(norm) < N_TEST_NORMAL:
        raise LessonConfigError(f"Only {len(norm)} validation images of class {normal}: need {N_TEST_NORMAL}.")
    others = [rng.permutation(np.flatnonzero(y_val == c)) for c in range(10) if c != normal]
    anomalous = []
    k = 0
    while len(anomalous) < N_TEST - N_TEST_NORMAL:
        pool = others[k % len(others)]
        if k // len(others) < len(pool):
            anomalous.append(int(pool[k // len(others)]))
        k += 1
    idx = np.concatenate([rng.permutation(norm)[:N_TEST_NORMAL], np.asarray(anomalous)])
    return np.ascontiguousarray(x_val[idx]), y_val[idx]


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
        PlotSpec("losses", "GAN losses", "curves", series=("loss_D", "loss_G"), x_label="step", y_label="loss",
                 tooltip="Window means of D's and G's cross-entropy losses on the normal class."),
        PlotSpec("search", "Latent search", "image_grid",
                 tooltip="The query x, G(z) at the current search step, and the residual |x − G(z)| (black: 0, "
                         "white: 2). What G cannot draw lights up in the residual."),
        PlotSpec("search_curve", "Score over search steps", "search_curve",
                 tooltip="A = (1 − λ)·L_R + λ·L_D and its two parts at every step of the current search."),
        PlotSpec("histograms", "Scores: normal vs anomalous", "score_histograms",
                 tooltip="Histograms of the anomaly scores of the 30 normal and 70 anomalous test images (after "
                         "'Score the test set'), the threshold, and precision, recall, F1 and ROC AUC."),
        PlotSpec("scores", "Discriminator outputs", "curves", series=("D_real", "D_fake"), x_label="step",
                 y_label="D(·)", tooltip="Mean D(x) on real normal images and D(G(z)) on generated ones."),
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
        x_tr, y_tr, x_va, y_va = digits_16(hp["seed"])
        self.x_train = np.ascontiguousarray(x_tr[y_tr == normal])
        self.x_test, self.y_test = build_test_set(x_va, y_va, normal, hp["seed"])
        self.is_anomaly = self.y_test != normal
        from lessons.anogan.trainer import AnoganTrainer

        self.trainer = AnoganTrainer(self.x_train, self.x_test, hp["device"], hp["seed"], hp["lr_g"], hp["lr_d"],
                                     hp["batch_size"], hp["channels"])
        self.sync_every = 10 if self.trainer.device.type == "cuda" else 1
        self.t = 0
        self.health = GanHealth(collapse_ratio=0.0)         # one class: low diversity is expected, not collapse
        self._restart_search()
        self.scores: np.ndarray | None = None
        self.scores_step = -1
        self._next_scoring: int | None = None
        self._view_cache: tuple | None = None

    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.x_train) // self.hp["batch_size"])

    def _restart_search(self) -> None:
        self.trainer.start_search(self.hp["test_index"], self.hp["lam"], self.hp["search_lr"],
                                  self.hp["search_steps"])
        self._view_cache = None

    def train_step(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.hp["train_gan"]:
            self.trainer.step()
        if self.trainer.search.steps >= self.hp["search_steps"]:
            self._restart_search()
        self.trainer.search_step()
        self.t += 1
        if self.t % self.sync_every == 0:
            if self.trainer.count:
                out.update(self.trainer.read_stats())
            out["query_score"] = float(self.trainer.history[self.trainer.search.steps - 1, 2])
        if self.hp["score_test_set"]:
            out.update(self._advance_scoring())
        if "loss_D" in out:
            msg = self.health.update(self.t, out["loss_D"] < 0.02, out["D_real"], out["D_fake"], 1.0)
            if msg:
                self.context.request_pause(msg)
        return out

    def _advance_scoring(self) -> dict[str, float]:
        tr = self.trainer
        if tr.batch is None and (self._next_scoring is None or self.t >= self._next_scoring):
            tr.start_scoring(self.hp["lam"], self.hp["search_lr"], self.hp["search_steps"])
            self._scoring_started = self.t
        if tr.batch is None:
            return {}
        scores = tr.scoring_chunk(SCORE_CHUNK)
        if scores is None:
            return {}
        self.scores, self.scores_step = scores, self._scoring_started
        self._next_scoring = self.t + self.hp["score_every"]
        auc = roc_auc(scores, self.is_anomaly)
        return {"auc": auc} if np.isfinite(auc) else {}

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name == "lr_g":
            self.trainer.set_lr(lr_g=value)
        elif name == "lr_d":
            self.trainer.set_lr(lr_d=value)
        elif name in ("test_index", "lam", "search_lr"):
            self._restart_search()
        elif name == "search_steps" and self.trainer.search.steps > value:
            self._restart_search()
        elif name == "score_test_set" and value:
            self._next_scoring = None                    # score as soon as the next step runs
        elif name == "score_test_set":
            self.trainer.batch = None

    def divergence_hint(self) -> str:
        return (f"The losses became NaN or infinite: the learning rates (G {self.hp['lr_g']:g}, D "
                f"{self.hp['lr_d']:g}) or the search learning rate ({self.hp['search_lr']:g}) are too high. Lower "
                "them (2e-4 for the GAN, 0.05 for the search) and press Reset (R).")

    # ---- views --------------------------------------------------------------------------------------------
    def _search_view(self):
        key = (self.t, self.trainer.search.steps, self.hp["test_index"])
        if self._view_cache is None or self._view_cache[0] != key:
            self._view_cache = (key, self.trainer.search_view())
        return self._view_cache[1]

    def histogram_data(self) -> ScoreHistogramData:
        thr = float(self.hp["threshold"])
        running = self.trainer.batch is not None
        if self.scores is None:
            status = ("scoring the test set: search step "
                      f"{self.trainer.batch.steps}/{self.trainer.batch_total}" if running else
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
                                    [f"query #{i}: {self.y_test[i]} ({kind})", f"G(z), search step {len(hist) - 1}",
                                     f"|x − G(z)|, mean {residual.mean():.3f}"], (-1.0, 1.0), "gray", ncols=3),
            "search_curve": SearchCurveData(steps, hist[:, 0], hist[:, 1], hist[:, 2],
                                            f"test image #{i} ({self.y_test[i]}, {kind}), λ = {self.hp['lam']:g}"),
            "histograms": self.histogram_data(),
        }

    # ---- checkpoints --------------------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.trainer.state_numpy()

    def load_checkpoint_state(self, state: dict) -> None:
        try:
            self.trainer.load_numpy(state)
        except (KeyError, RuntimeError, ValueError) as e:
            raise LessonConfigError("The checkpoint does not fit this AnoGAN (base channels must be those it was "
                                    f"saved with): {e}") from None
        self._restart_search()
        self.scores = None

    def close(self) -> None:
        self._view_cache = None


LESSON = AnoganLesson
