"""Lesson ``gan_2d``: a GAN lab on 2-D distributions (Qt-free).

A generator G maps 2-D noise to points of the plane and a discriminator D scores points (logit of
"real"); they play Goodfellow et al.'s minimax game (NeurIPS 2014) on a ring of Gaussians, a grid, two
blobs, a line or a distribution the learner draws.  What GAN Lab (Kahng et al., IEEE VIS 2018) shows is
here: real and fake samples, D's decision heatmap, the generator's gradient field at the fakes, the
generator manifold (a grid of noise pushed through G), both losses, D(x) and D(G(z)), plus an estimate
of the JS and KL divergences (``visualizer.probes.divergence``), k discriminator steps per generator
step, D-only and G-only training, and two failure detectors (``health.py``): a discriminator that wins
completely (the generator's gradient vanishes) and a generator that collapses.

Follows Yoon, *Python raw-coding deep learning*, ch. 15 (GAN) and Buduma et al., *Fundamentals of Deep
Learning* 2e, ch. 10 (generative adversarial networks).  Both engines give the same numbers: the
batches and noise come from the lesson's NumPy generator, the torch twin starts from the NumPy weights.
The networks are ``net.py`` (NumPy, a NumpyTrainer) and ``net_torch.py`` (a TorchTrainer with D and G phases).
"""
from __future__ import annotations

import numpy as np

from lessons.gan_2d import INFO
from lessons.gan_2d.field import N_DISPLAY, FieldProbe
from lessons.gan_2d.health import GanWatch
from lessons.gan_2d.narrative import NARRATIVE
from lessons.gan_2d.net import G_LOSSES, OPTIMIZERS, GanConfig, NumpyGAN
from lessons.gan_2d.targets import EXTENT, MAX_DRAWN, MIN_DRAWN, TARGETS, RealData, make_target, sample_noise
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.probes import divergence

TRAIN_MODES = ("both", "D only", "G only")
NOISES = ("uniform", "gaussian")
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
N_EVAL = 2000                   # samples for the divergence estimates
N_COVERAGE = 400                # samples for coverage (O(N²) distances)


class Gan2D(Lesson):
    """A GAN on the plane.  One training step = k discriminator steps then one generator step (train
    mode "both"), k discriminator steps ("D only") or one generator step ("G only").

    Metrics per step: d_loss, d_real (mean D(x)), d_fake (mean D(G(z))) after D steps; g_loss and
    g_grad (mean |∂ℓᵢ/∂xᵢ| at the fakes) after G steps.  evaluate(): js (bits), kl (nats), js_floor,
    spread, coverage.  Raises LessonConfigError for a drawn target with fewer than 10 points, or CUDA
    with the NumPy engine or without a GPU."""

    info = INFO
    engine_comparison = True
    params = (
        ChoiceParam("target", "Target distribution", "ring", TARGETS, live=True,
                    tooltip="The real data. ring: 8 Gaussians on a circle. grid: 3 × 3 Gaussians. two_blobs: "
                            "two Gaussians of different weight. line: a thin segment. drawn: the points you "
                            "drew in the field view (press Draw). Changing it keeps both networks: watch G "
                            "chase the new target."),
        TextParam("drawn_points", "Drawn points", "", placeholder="x1,y1;x2,y2;... (or press Draw)",
                  max_length=20000, live=True,
                  tooltip=f"The points of the 'drawn' target as x,y pairs separated by ';' in [−2, 2]². "
                          f"Drawing in the field view fills this in. At least {MIN_DRAWN} and at most "
                          f"{MAX_DRAWN} points."),
        ChoiceParam("train_mode", "Train", "both", TRAIN_MODES, live=True,
                    tooltip="both: k discriminator steps, then one generator step. D only: freeze G and "
                            "watch D approach D*(x) = p_data/(p_data + p_g). G only: freeze D and watch the "
                            "fakes slide along its gradient."),
        IntParam("d_steps", "k: D steps per G step", 1, 1, 10, live=True,
                 tooltip="Goodfellow et al.'s k: discriminator updates per generator update. More makes D "
                         "closer to optimal (better gradients) but can let it win outright."),
        ChoiceParam("g_loss", "Generator loss", "non-saturating", G_LOSSES, live=True,
                    tooltip="non-saturating: L_G = −log D(G(z)) (the paper's practical choice: strong "
                            "gradient when D rejects the fakes). minimax: L_G = log(1 − D(G(z))), the "
                            "game's own value, whose gradient vanishes as D(G(z)) → 0."),
        FloatParam("lr_d", "D learning rate", 1e-3, 1e-5, 1.0, log=True, live=True, decimals=5,
                   tooltip="Step size of the discriminator's optimizer."),
        FloatParam("lr_g", "G learning rate", 1e-3, 1e-5, 1.0, log=True, live=True, decimals=5,
                   tooltip="Step size of the generator's optimizer."),
        IntParam("batch_size", "Batch size", 128, 8, 1024, live=True, log=True,
                 tooltip="Real points and noise vectors per step (fresh samples every step)."),
        IntParam("g_hidden", "G: hidden width", 64, 2, 256, live=False, log=True,
                 tooltip="Neurons per hidden layer of the generator."),
        IntParam("g_layers", "G: hidden layers", 2, 1, 4, live=False,
                 tooltip="Hidden layers of the generator. One narrow layer cannot bend the noise plane "
                         "into eight separate blobs."),
        IntParam("d_hidden", "D: hidden width", 64, 2, 256, live=False, log=True,
                 tooltip="Neurons per hidden layer of the discriminator."),
        IntParam("d_layers", "D: hidden layers", 2, 1, 4, live=False,
                 tooltip="Hidden layers of the discriminator."),
        ChoiceParam("opt_d", "D optimizer", "adam", OPTIMIZERS, live=False,
                    tooltip="adam: Adam with β₁ = 0.5, β₂ = 0.999 (DCGAN's setting). sgd: plain SGD."),
        ChoiceParam("opt_g", "G optimizer", "adam", OPTIMIZERS, live=False,
                    tooltip="adam: Adam with β₁ = 0.5, β₂ = 0.999 (DCGAN's setting). sgd: plain SGD."),
        ChoiceParam("activation", "Activation", "relu", ACTIVATIONS, live=False,
                    tooltip="Hidden activation of both networks."),
        ChoiceParam("noise", "Noise z", "uniform", NOISES, live=False,
                    tooltip="uniform: z ~ U[−1, 1]². gaussian: z ~ N(0, I). The manifold view maps the "
                            "noise square [−1, 1]² (±2σ for Gaussian noise) through G."),
        BoolParam("auto_pause", "Pause when hopeless", True, live=True,
                  tooltip="Pause training (with an explanation) when the discriminator wins and the "
                          "generator's gradient has vanished."),
    )
    plots = (
        PlotSpec("field", "Real vs fake: D(x), gradients, manifold", "gan_field", x_label="x₁", y_label="x₂",
                 main="tall", tooltip="Green dots: real samples. Purple dots: fakes G(z). Background: the "
                         "discriminator's D(x) (green = 'real', purple = 'fake', white = 0.5). Arrows: −∂L_G/∂x at "
                         "the fakes, where the generator's loss pushes each fake. Grey mesh: a grid of noise "
                         "mapped through G (the generator manifold). Press Draw to draw your own target."),
        PlotSpec("losses", "Losses", "curves", series=("d_loss", "g_loss"), x_label="step", y_label="loss",
                 tooltip="L_D = BCE(D(x), 1) + BCE(D(G(z)), 0) and the generator loss. At the game's "
                         "equilibrium D(x) = ½ everywhere: L_D = 2 log 2 ≈ 1.386, non-saturating "
                         "L_G = log 2 ≈ 0.693."),
        PlotSpec("d_outputs", "D(x) and D(G(z))", "curves", series=("d_real", "d_fake"), x_label="step",
                 y_label="mean D", y_range=(0, 1),
                 tooltip="Mean probability D gives real points and fakes. Both near ½: D cannot tell them apart. "
                         "D(x) → 1 and D(G(z)) → 0: D wins."),
        PlotSpec("divergence", "JS and KL divergence (estimated)", "curves", series=("js", "kl", "js_floor"),
                 x_label="step", y_label="divergence", log_y=True,
                 tooltip="Plug-in estimates on a smoothed 40 × 40 histogram of 2000 real and 2000 fake "
                         "points: JS divergence in bits (0 = same, 1 = disjoint) and KL(real ‖ fake) in "
                         "nats (large when fakes miss a real mode). js_floor: the JS estimate between two "
                         "real samples, the lowest a perfect generator reads."),
        PlotSpec("health", "Generator gradient and diversity", "curves",
                 series=("g_grad", "spread", "coverage"), x_label="step", y_label="value", log_y=True,
                 tooltip="g_grad: mean |∂ℓ/∂x| at the fakes (vanishes when D wins under the minimax loss). "
                         "spread: √(tr Cov fake / tr Cov real) (≪ 1: the fakes collapsed to a small region). "
                         "coverage: share of real points with a fake among their 5 nearest neighbours' "
                         "radius (Naeem et al. 2020; low when modes are dropped)."),
    )
    narrative = NARRATIVE
    eval_every = 50
    # The field is cheap to compute (one forward pass of each net) and is the point of the lesson: animate
    # it at 30 Hz and let snapshots take up to 30 % of training time; start at a watchable pace.
    redraw_hz = 30.0
    snapshot_hz = 30.0
    snapshot_budget = 0.3

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        if hp["engine"] == "numpy" and hp["device"] == "cuda":
            raise LessonConfigError("The NumPy engine runs on the CPU only: choose the torch engine for CUDA, "
                                    "or the cpu device.")
        data_seq, eval_seq = np.random.SeedSequence([int(hp["seed"]), 7]).spawn(2)
        self.rng = np.random.default_rng(data_seq)           # batches and noise of every training step
        config = GanConfig((int(hp["g_hidden"]),) * int(hp["g_layers"]), (int(hp["d_hidden"]),) * int(hp["d_layers"]),
                           hp["activation"], hp["opt_g"], hp["opt_d"], hp["lr_g"], hp["lr_d"], int(hp["seed"]))
        source = NumpyGAN(config)
        if hp["engine"] == "torch":
            from lessons.gan_2d.net_torch import TorchGAN          # lazy: importing torch is slow
            self.gan = TorchGAN(source, hp["device"], int(hp["seed"]))
            self.trainer = self.gan.trainer
        else:
            self.gan = source
            self.trainer = source.trainer(self.update)
        self._set_phases()
        erng = np.random.default_rng(eval_seq.spawn(1)[0])
        self.z_display = self.sample_noise(N_DISPLAY, erng)          # fixed noise: the fakes drawn
        self.z_eval = self.sample_noise(N_EVAL, erng)                # fixed noise: the divergence estimates
        self.field = FieldProbe(self.z_display, hp["noise"] == "gaussian", EXTENT)
        self.step = 0                                                # the session's step of the last update
        self.g_steps = 0                                             # generator updates so far
        self.watch = GanWatch(self.context)
        self.real = RealData(hp["target"], hp["drawn_points"], eval_seq, N_EVAL, N_DISPLAY, N_COVERAGE)

    # ---- data --------------------------------------------------------------------------------------
    def sample_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return sample_noise(self.hp["noise"], n, rng)

    @property
    def steps_per_epoch(self) -> int:
        return 100                           # an "epoch" of the lab: 100 training steps

    # ---- training ----------------------------------------------------------------------------------
    def next_batch(self):
        """([(real (B, 2), z (B, 2)) for each of the k D steps], z (B, 2) of the G step or None), drawn in
        this order from the lesson's generator (D-only and G-only modes draw only their part)."""
        b, mode = int(self.hp["batch_size"]), self.hp["train_mode"]
        d = [(self.real.target.sample(b, self.rng), self.sample_noise(b, self.rng))
             for _ in range(int(self.hp["d_steps"]) if mode != "G only" else 0)]
        return d, (self.sample_noise(b, self.rng) if mode != "D only" else None)

    def _set_phases(self) -> None:
        if self.hp["engine"] == "torch":
            self.trainer.set_phases(self.gan.d_losses, lambda b, s: self.gan.g_losses(b, s, self.hp["g_loss"]),
                                    self.hp["train_mode"], int(self.hp["d_steps"]))

    def train_step(self, step: int) -> None:
        """One step of the current train mode: k D steps then one G step ("both"), k D steps ("D only") or
        one G step ("G only")."""
        self.step = step
        super().train_step(step)
        self.g_steps += self.hp["train_mode"] != "D only"

    def update(self, batch, step: int) -> dict[str, float]:
        """NumPy: the D steps' metrics go into the window one by one (their mean is shown), then the G step."""
        d_batches, z_g = batch
        for real, z in d_batches:
            self.trainer.record(self.gan.d_step(real, z))
        return {} if z_g is None else self.gan.g_step(z_g, self.hp["g_loss"])

    def flush(self) -> dict[str, float]:
        metrics = super().flush()
        self.watch.training(self.step, metrics, self.hp)
        return metrics

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last D and G steps' gradients: ``D.linear0.W`` (2, H), ..., ``G.linear2.b`` (2,), float64."""
        return self.gan.gradient_arrays() if self.hp["engine"] == "numpy" else self.trainer.gradient_arrays()

    def evaluate(self) -> dict[str, float]:
        """js, kl (histogram estimates of 2000 fakes vs 2000 reals), js_floor, spread, coverage."""
        fake = self.gan.generate(self.z_eval)
        if not np.all(np.isfinite(fake)):
            return {}                                  # the training metrics report the divergence
        real = self.real
        js, kl = divergence.histogram_divergences(real.sample, fake, EXTENT)
        spread = divergence.spread_ratio(real.sample, fake)
        cov = divergence.coverage(real.sample[:N_COVERAGE], fake[:N_COVERAGE], radii=real.radii)
        self.watch.evaluation(self.step, self.g_steps, spread, cov)
        out = {"js": js, "kl": kl, "js_floor": real.js_floor, "spread": max(spread, 1e-3),
               "coverage": max(cov, 1e-3)}                    # floors: the health plot has a log axis
        return {k: float(v) for k, v in out.items() if np.isfinite(v)}

    # ---- live settings -----------------------------------------------------------------------------
    def set_live(self, name: str, value) -> None:
        """target / drawn_points replace the real data (the networks keep training); lr_d, lr_g go to the
        trainer.  Raises LessonConfigError for a drawn target with fewer than 10 points or malformed text
        (the previous target is kept)."""
        if name == "drawn_points":
            self.real.set_drawn(value, self.hp["target"])
        elif name == "target":
            self.real.use(make_target(value, self.real.drawn))       # raises before anything changes
        super().set_live(name, value)
        if name in ("train_mode", "g_loss", "d_steps", "target", "drawn_points"):
            self._set_phases()
            self.watch.reset(self.step)

    def divergence_hint(self) -> str:
        return (f"A loss became NaN or infinite: the learning rates (D {self.hp['lr_d']:g}, G "
                f"{self.hp['lr_g']:g}) are too high for this game. Lower them (e.g. ÷10) and press Reset (R).")

    # ---- views -------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        """``field``: :class:`GanFieldData`, one forward pass of D over the heatmap grid and the fakes and
        one of G over the display noise and the manifold grid."""
        drawn = self.real.drawn if self.hp["target"] == "drawn" else np.zeros((0, 2))
        data = self.field.data(self.gan, self.real.display, drawn, self.hp["target"], self.real.target.description,
                               self.hp["g_loss"], self.step)
        return {"field": data}


LESSON = Gan2D
