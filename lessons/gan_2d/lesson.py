"""Lesson ``gan_2d``: a GAN lab on 2-D distributions (Qt-free).

A generator G maps 2-D noise to points of the plane and a discriminator D scores points (logit of
"real"); they play Goodfellow et al.'s minimax game (NeurIPS 2014) on a ring of Gaussians, a grid, two
blobs, a line or a distribution the learner draws.  What GAN Lab (Kahng et al., IEEE VIS 2018) shows is
here: real and fake samples, D's decision heatmap, the generator's gradient field at the fakes, the
generator manifold (a grid of noise pushed through G), both losses, D(x) and D(G(z)), plus an estimate
of the JS and KL divergences (``divergence.py``), k discriminator steps per generator step, D-only and
G-only training, and two failure detectors: a discriminator that wins completely (the generator's
gradient vanishes) and a generator that collapses.

Follows Yoon, *Python raw-coding deep learning*, ch. 15 (GAN) and Buduma et al., *Fundamentals of Deep
Learning* 2e, ch. 10 (generative adversarial networks).  Both engines give the same numbers: the
batches and noise come from the lesson's NumPy generator, the torch twin starts from the NumPy weights.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lessons.gan_2d import divergence
from lessons.gan_2d.gan import G_LOSSES, OPTIMIZERS, GanConfig, NumpyGAN
from lessons.gan_2d.narrative import NARRATIVE
from lessons.gan_2d.targets import (
    EXTENT,
    MAX_DRAWN,
    MIN_DRAWN,
    TARGETS,
    make_target,
    parse_points,
    too_few_message,
)
from visualizer.core.hyperparams import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    TextParam,
)
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import PlotData, PlotSpec, Table
from lessons.gan_2d import INFO

TRAIN_MODES = ("both", "D only", "G only")
NOISES = ("uniform", "gaussian")
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
HEATMAP_SIZE = 48               # D(x) is evaluated on a HEATMAP_SIZE² grid (one forward pass)
N_DISPLAY = 400                 # real and fake points drawn
N_ARROWS = 150                  # fakes that carry a gradient arrow
MESH = 17                       # the manifold: MESH × MESH noise grid pushed through G
N_EVAL = 2000                   # samples for the divergence estimates
N_COVERAGE = 400                # samples for coverage (O(N²) distances)

# Failure detection (see _watch_d_wins and _watch_collapse)
D_WINS_FAKE = 0.03              # mean D(G(z)) below this ...
D_WINS_REAL = 0.97              # ... and mean D(x) above this ...
D_WINS_PATIENCE = 30            # ... for this many consecutive steps: the discriminator wins
GRAD_VANISHED = 0.01            # mean per-sample |∂L_G/∂x| below this: the generator learns nothing
COLLAPSE_MIN_G_STEPS = 500      # judge collapse only after the generator has had this many steps
COLLAPSE_SPREAD = 0.3           # fake spread below this share of the real spread ...
COLLAPSE_COVERAGE = 0.25        # ... or coverage below this ...
COLLAPSE_PATIENCE = 3           # ... at this many consecutive evaluations: mode collapse


@dataclass
class GanFieldData:
    """What the field view draws (Qt-free, picklable).

    extent: (x_min, x_max, y_min, y_max); heatmap: (H, W) float32 D(x) in [0, 1], row 0 at y_min;
    real: (N, 2) real samples; fake: (M, 2) G(z) of fixed display noise; arrows_from: (A, 2) fakes and
    arrows: (A, 2) −∂ℓ/∂x there (the direction the generator's loss moves each fake); mesh: (L, L, 2)
    G of an L × L grid of noise (the generator manifold); drawn: (K, 2) the drawn points in use (empty
    unless target is "drawn"); target, description, g_loss: settings for the title; g_grad: the mean
    per-sample gradient norm at the fakes; step."""

    extent: tuple[float, float, float, float]
    heatmap: np.ndarray
    real: np.ndarray
    fake: np.ndarray
    arrows_from: np.ndarray
    arrows: np.ndarray
    mesh: np.ndarray
    drawn: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    target: str = "ring"
    description: str = ""
    g_loss: str = "non-saturating"
    g_grad: float = 0.0
    step: int = 0

    def table(self) -> Table:
        """Rows: kind (real, fake, heatmap, manifold), x, y, value (D(x) for heatmap cells; the arrow's
        dx, dy for fakes with an arrow)."""
        rows: list[list] = []
        for p in self.real:
            rows.append(["real", float(p[0]), float(p[1]), "", ""])
        n_arrows = len(self.arrows)
        for i, p in enumerate(self.fake):
            a = self.arrows[i] if i < n_arrows else None
            rows.append(["fake", float(p[0]), float(p[1]), "" if a is None else float(a[0]),
                         "" if a is None else float(a[1])])
        h, w = self.heatmap.shape
        x0, x1, y0, y1 = self.extent
        xs, ys = np.linspace(x0, x1, w), np.linspace(y0, y1, h)
        for r in range(h):
            for c in range(w):
                rows.append(["D(x)", float(xs[c]), float(ys[r]), float(self.heatmap[r, c]), ""])
        for p in self.mesh.reshape(-1, 2):
            rows.append(["manifold", float(p[0]), float(p[1]), "", ""])
        return ["kind", "x", "y", "value_or_dx", "dy"], rows


def _hidden(width: int, layers: int) -> tuple[int, ...]:
    return (int(width),) * int(layers)


class Gan2D(Lesson):
    """A GAN on the plane.  One training step = k discriminator steps then one generator step (train
    mode "both"), k discriminator steps ("D only") or one generator step ("G only").

    Metrics per step: d_loss, d_real (mean D(x)), d_fake (mean D(G(z))) after D steps; g_loss and
    g_grad (mean |∂ℓᵢ/∂xᵢ| at the fakes) after G steps.  evaluate(): js (bits), kl (nats), js_floor,
    spread, coverage.  Raises LessonConfigError for a drawn target with fewer than 10 points, or CUDA
    with the NumPy engine or without a GPU."""

    info = INFO
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
                 tooltip="Green dots: real samples. Purple dots: fakes G(z). Background: the discriminator's "
                         "D(x) (green = 'real', purple = 'fake', white = 0.5). Arrows: −∂L_G/∂x at the fakes, "
                         "where the generator's loss pushes each fake. Grey mesh: a grid of noise mapped "
                         "through G (the generator manifold). Press Draw to draw your own target."),
        PlotSpec("losses", "Losses", "curves", series=("d_loss", "g_loss"), x_label="step", y_label="loss",
                 tooltip="L_D = BCE(D(x), 1) + BCE(D(G(z)), 0) and the generator loss. At the game's "
                         "equilibrium D(x) = ½ everywhere: L_D = 2 log 2 ≈ 1.386, non-saturating "
                         "L_G = log 2 ≈ 0.693."),
        PlotSpec("d_outputs", "D(x) and D(G(z))", "curves", series=("d_real", "d_fake"), x_label="step",
                 y_label="mean D", tooltip="Mean discriminator output on real points and on fakes. Both "
                                            "near ½: D cannot tell them apart. D(x) → 1 and D(G(z)) → 0: "
                                            "D wins."),
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
    default_speed = 100.0
    redraw_hz = 30.0
    snapshot_hz = 30.0
    snapshot_budget = 0.3

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.engine_name = hp["engine"]
        if self.engine_name == "numpy" and hp["device"] == "cuda":
            raise LessonConfigError("The NumPy engine runs on the CPU only: choose the torch engine for CUDA, "
                                    "or the cpu device.")
        self._drawn = parse_points(hp["drawn_points"])
        self.target = make_target(hp["target"], self._drawn)
        seq = np.random.SeedSequence([int(hp["seed"]), 7])
        data_seq, eval_seq = seq.spawn(2)
        self.rng = np.random.default_rng(data_seq)           # batches and noise of every training step
        self._eval_seq = eval_seq
        config = GanConfig(_hidden(hp["g_hidden"], hp["g_layers"]), _hidden(hp["d_hidden"], hp["d_layers"]),
                           hp["activation"], hp["opt_g"], hp["opt_d"], hp["lr_g"], hp["lr_d"], int(hp["seed"]))
        source = NumpyGAN(config)
        self.sync_every = 1
        if self.engine_name == "torch":
            # lazy: importing torch is slow, and the app must start without it
            from lessons.gan_2d.torch_gan import TorchGAN
            from visualizer.torch_backend.device import resolve_device
            device = resolve_device(hp["device"])
            self.gan = TorchGAN(source, device)
            self.sync_every = 10 if device.type == "cuda" else 1     # one host copy per sync_every steps
        else:
            self.gan = source
        erng = np.random.default_rng(eval_seq.spawn(1)[0])
        self.z_display = self.sample_noise(N_DISPLAY, erng)          # fixed noise: the fakes drawn
        self.z_eval = self.sample_noise(N_EVAL, erng)                # fixed noise: the divergence estimates
        r = 2.0 if hp["noise"] == "gaussian" else 1.0
        g = np.linspace(-r, r, MESH)
        self.z_mesh = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)       # (MESH², 2)
        x0, x1, y0, y1 = EXTENT
        gx = np.linspace(x0, x1, HEATMAP_SIZE)
        gy = np.linspace(y0, y1, HEATMAP_SIZE)
        self.grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)      # (H·W, 2), row 0 at y0
        self.z_field = np.concatenate([self.z_display, self.z_mesh])
        self.step_count = 0
        self.g_steps = 0
        self._new_target_samples()
        self._reset_watch()

    # ---- data --------------------------------------------------------------------------------------
    def sample_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n noise vectors (n, 2) float64: U[−1, 1]² or N(0, I)."""
        if self.hp["noise"] == "gaussian":
            return rng.standard_normal((n, 2))
        return rng.uniform(-1.0, 1.0, (n, 2))

    def _new_target_samples(self) -> None:
        """Fixed real samples of the current target for the display and the estimates."""
        erng = np.random.default_rng(self._eval_seq.spawn(1)[0])
        self.real_eval = self.target.sample(N_EVAL, erng)
        self.real_display = self.real_eval[:N_DISPLAY]
        self.js_floor = divergence.noise_floor(self.real_eval, self.target.sample(N_EVAL, erng))
        self.real_radii = divergence.knn_radii(self.real_eval[:N_COVERAGE])

    def _reset_watch(self) -> None:
        self._d_wins_run = 0
        self._d_wins_noticed = False
        self._collapse_run = 0
        self._collapse_noticed = False

    @property
    def steps_per_epoch(self) -> int:
        return 100                           # an "epoch" of the lab: 100 training steps

    # ---- training ----------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        """One step of the current train mode.  Returns the metrics' means (an empty dict on steps that
        keep them on the device, see ``sync_every``)."""
        hp = self.hp
        b = int(hp["batch_size"])
        mode = hp["train_mode"]
        if mode != "G only":
            for _ in range(int(hp["d_steps"])):
                real = self.target.sample(b, self.rng)
                z = self.sample_noise(b, self.rng)
                self.gan.d_step(real, z)
        if mode != "D only":
            self.gan.g_step(self.sample_noise(b, self.rng), hp["g_loss"])
            self.g_steps += 1
        self.step_count += 1
        if self.step_count % self.sync_every:
            return {}
        metrics = self.gan.pop_metrics()
        self._watch_d_wins(metrics)
        return metrics

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last D and G steps' gradients: ``D.linear0.W`` (2, H), ..., ``G.linear2.b`` (2,)."""
        return self.gan.gradient_arrays()

    def evaluate(self) -> dict[str, float]:
        """js, kl (histogram estimates of 2000 fakes vs 2000 reals), js_floor, spread, coverage."""
        fake = self.gan.generate(self.z_eval)
        if not np.all(np.isfinite(fake)):
            return {}                                  # the training metrics report the divergence
        js, kl = divergence.histogram_divergences(self.real_eval, fake)
        spread = divergence.spread_ratio(self.real_eval, fake)
        cov = divergence.coverage(self.real_eval[:N_COVERAGE], fake[:N_COVERAGE], radii=self.real_radii)
        self._watch_collapse(spread, cov)
        out = {"js": js, "kl": kl, "js_floor": self.js_floor, "spread": max(spread, 1e-3),
               "coverage": max(cov, 1e-3)}                    # floors: the health plot has a log axis
        return {k: float(v) for k, v in out.items() if np.isfinite(v)}

    # ---- failure detection -------------------------------------------------------------------------
    def _watch_d_wins(self, m: dict[str, float]) -> None:
        """D(x) → 1 and D(G(z)) → 0 for D_WINS_PATIENCE steps while G trains: a notice, and a pause
        when the generator's gradient has vanished too (hopeless under the minimax loss)."""
        if self.hp["train_mode"] == "D only" or "d_fake" not in m:
            return
        if m["d_fake"] < D_WINS_FAKE and m["d_real"] > D_WINS_REAL:
            self._d_wins_run += self.sync_every
        elif m["d_fake"] > 2 * D_WINS_FAKE:
            self._d_wins_run = 0
            self._d_wins_noticed = False              # re-arm once the game is back
            return
        if self._d_wins_run < D_WINS_PATIENCE or self._d_wins_noticed:
            return
        self._d_wins_noticed = True
        grad = m.get("g_grad", float("nan"))
        hp = self.hp
        tips = []
        if hp["g_loss"] == "minimax":
            tips.append("switch the generator loss to non-saturating (−log D(G(z)) keeps a strong gradient "
                        "when D rejects the fakes)")
        tips.append(f"lower the D learning rate (now {hp['lr_d']:g}, try {hp['lr_d'] / 10:g})")
        if hp["d_steps"] > 1:
            tips.append(f"take fewer D steps per G step (k = {hp['d_steps']}, try 1)")
        tips.append("or press Reset (R) to start the game again")
        head = (f"The discriminator wins completely at step {self.step_count}: mean D(x) = {m['d_real']:.3f}, "
                f"mean D(G(z)) = {m['d_fake']:.4f}. ")
        if np.isfinite(grad) and grad < GRAD_VANISHED:
            msg = (head + f"The generator's gradient has vanished (mean |∂L_G/∂x| = {grad:.2g}): the fakes "
                   "no longer move, so training cannot recover. Try: " + "; ".join(tips) + ".")
            if hp["auto_pause"]:
                self.context.request_pause(msg)
            else:
                self.context.notice(msg)
        else:
            self.context.notice(head + "The fakes still get a gradient "
                                f"(mean |∂L_G/∂x| = {grad:.2g}), but D is far ahead. If the fakes stop moving: "
                                + "; ".join(tips) + ".")

    def _watch_collapse(self, spread: float, cov: float) -> None:
        """Fakes much narrower than the data, or covering only a few of its modes, at COLLAPSE_PATIENCE
        evaluations in a row after COLLAPSE_MIN_G_STEPS generator steps: one notice per event."""
        collapsed = self.g_steps >= COLLAPSE_MIN_G_STEPS and (spread < COLLAPSE_SPREAD or cov < COLLAPSE_COVERAGE)
        if not collapsed:
            self._collapse_run = 0
            self._collapse_noticed = False
            return
        self._collapse_run += 1
        if self._collapse_run < COLLAPSE_PATIENCE or self._collapse_noticed:
            return
        self._collapse_noticed = True
        if spread < COLLAPSE_SPREAD:
            what = (f"the fakes' spread is only {spread:.0%} of the real data's: G maps almost all noise to "
                    "one small region")
        else:
            what = f"the fakes cover only {cov:.0%} of the real data: G produces a few modes and drops the rest"
        self.context.notice(
            f"Mode collapse at step {self.step_count}: {what}. D then learns to reject that region, G jumps to "
            "another, and the game can cycle. Try: a lower G learning rate, more D steps per G step (k), a "
            "wider or deeper discriminator, or Reset (R) with another seed.")

    # ---- live settings -----------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        """target / drawn_points replace the real data (the networks keep training); learning rates
        apply to the optimizers.  Raises LessonConfigError for a drawn target with fewer than 10
        points or malformed text (the previous target is kept)."""
        if name == "drawn_points":
            pts = parse_points(value)
            if len(pts) < MIN_DRAWN and (self.hp["target"] == "drawn" or len(pts) > 0):
                raise LessonConfigError(too_few_message(len(pts)))
            super().set_live(name, value)
            self._drawn = pts
            if self.hp["target"] == "drawn":
                self._set_target(make_target("drawn", pts))
            return
        if name == "target":
            target = make_target(value, self._drawn)          # raises before anything changes
            super().set_live(name, value)
            self._set_target(target)
            return
        super().set_live(name, value)
        if name == "lr_d":
            self.gan.set_lr("d", value)
        elif name == "lr_g":
            self.gan.set_lr("g", value)
        elif name in ("train_mode", "g_loss", "d_steps"):
            self._reset_watch()

    def _set_target(self, target) -> None:
        self.target = target
        self._new_target_samples()
        self._reset_watch()

    def divergence_hint(self) -> str:
        return (f"A loss became NaN or infinite: the learning rates (D {self.hp['lr_d']:g}, G "
                f"{self.hp['lr_g']:g}) are too high for this game. Lower them (e.g. ÷10) and press Reset (R).")

    # ---- views -------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        """``field``: :class:`GanFieldData`, one forward pass of D over the heatmap grid and the fakes and
        one of G over the display noise and the manifold grid."""
        loss = self.hp["g_loss"]
        p, fake_all, arrows = self.gan.field(self.grid, self.z_field, N_ARROWS, loss)
        fake = fake_all[:N_DISPLAY]
        mesh = fake_all[N_DISPLAY:].reshape(MESH, MESH, 2)
        heat = p.reshape(HEATMAP_SIZE, HEATMAP_SIZE).astype(np.float32)
        norms = np.hypot(arrows[:, 0], arrows[:, 1])
        drawn = self._drawn if self.hp["target"] == "drawn" else np.zeros((0, 2))
        data = GanFieldData(EXTENT, heat, self.real_display.copy(), fake, fake[:N_ARROWS].copy(),
                            arrows, mesh, drawn.copy(), self.hp["target"],
                            self.target.description, loss, float(np.mean(norms)), self.step_count)
        return {"field": data}

    # ---- checkpoints -------------------------------------------------------------------------------
    def checkpoint_state(self) -> dict:
        """G's and D's weights (``G.linear0.W`` ...) and the step counters."""
        out = dict(self.gan.state())
        out["step"] = np.array(self.step_count)
        out["g_steps"] = np.array(self.g_steps)
        return out

    def load_checkpoint_state(self, state: dict) -> None:
        """Restore :meth:`checkpoint_state` (the optimizers keep their state).  Raises LessonConfigError if
        the arrays do not fit these network sizes."""
        try:
            self.gan.load_state(state)
            self.step_count = int(state["step"])
            self.g_steps = int(state["g_steps"])
        except (KeyError, ValueError) as e:
            raise LessonConfigError(f"The checkpoint does not fit this GAN (other layer sizes?): {e}") from None
        self._reset_watch()


LESSON = Gan2D
