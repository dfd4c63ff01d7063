"""The GAN of the 2-D lab on the NumPy engine (Qt-free).

Generator G: noise z (N, 2) -> point x (N, 2); discriminator D: point x (N, 2) -> logit (N, 1); both
are scratch ``MLP``s in float64 (the twins then agree to round-off).  One discriminator step ascends
log D(x) + log(1 − D(G(z))) (Goodfellow et al., NeurIPS 2014, Algorithm 1), i.e. descends

    L_D = BCE(D(x), 1) + BCE(D(G(z)), 0)

on a batch of real points and a batch of fakes; one generator step descends either the
non-saturating loss L_G = −log D(G(z)) (Goodfellow et al. 2014, §3) or the minimax loss
L_G = log(1 − D(G(z))), whose gradient vanishes when D rejects the fakes.  The gradient reaches G
through D's input: ∂L_G/∂x at each fake point is the "gradient field" the lesson draws.

The lesson steps it through the kit's NumpyTrainer; ``net_torch.py`` is the PyTorch twin.
Adam uses β₁ = 0.5, as in DCGAN (Radford et al., ICLR 2016).  Yoon, *Python raw-coding deep
learning*, ch. 15; Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 10.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.scratch.layers import sigmoid
from visualizer.scratch.losses import SigmoidBinaryCrossEntropy
from visualizer.models.mlp import MLP
from visualizer.scratch.optimizers import SGD, Adam, Optimizer
from visualizer.scratch.trainer import NumpyTrainer

OPTIMIZERS = ("adam", "sgd")
G_LOSSES = ("non-saturating", "minimax")
ADAM_BETAS = (0.5, 0.999)
NOISE_DIM = 2


@dataclass(frozen=True)
class GanConfig:
    """Sizes and optimizers.  g_hidden/d_hidden: hidden widths (tuples, may be empty)."""

    g_hidden: tuple[int, ...]
    d_hidden: tuple[int, ...]
    activation: str = "relu"
    opt_g: str = "adam"
    opt_d: str = "adam"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    seed: int = 0


def make_numpy_optimizer(name: str, params: list, grads: list, lr: float) -> Optimizer:
    """Adam (β = (0.5, 0.999)) or plain SGD over parallel lists.  Raises ValueError for another name."""
    if name == "adam":
        return Adam(params, grads, lr, betas=ADAM_BETAS)
    if name == "sgd":
        return SGD(params, grads, lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def backward_to_input(mlp: MLP, dout: np.ndarray) -> np.ndarray:
    """Backpropagate ``dout`` (N, n_outputs) through ``mlp`` (filling its grads) and return ∂/∂input (N, n_inputs).
    ``MLP.backward`` does not return it; the first layer must have ``input_grad = True``."""
    d = dout
    for layer in reversed(mlp.layers):
        d = layer.backward(d)
    return d


def _seeds(seed: int) -> tuple[int, int]:
    g, d = np.random.SeedSequence([int(seed), 20]).spawn(2)
    return int(g.generate_state(1)[0]), int(d.generate_state(1)[0])


class NumpyGAN:
    """G and D as float64 scratch MLPs with their optimizers (Qt-free).

    ``d_step(real, z)`` and ``g_step(z, loss)`` update one network each and return that step's metrics;
    ``gradient_arrays()`` keeps each network's gradients of its own last update (the G step's backward through
    D's input overwrites D's live gradient arrays).  ``field(...)`` evaluates what the view draws.
    Raises ValueError for bad sizes or names."""

    def __init__(self, config: GanConfig) -> None:
        g_seed, d_seed = _seeds(config.seed)
        self.config = config
        self.G = MLP(NOISE_DIM, config.g_hidden, 2, config.activation, init="he", dtype="float64", seed=g_seed)
        self.D = MLP(2, config.d_hidden, 1, config.activation, init="he", dtype="float64", seed=d_seed)
        self.D.linears[0].input_grad = True          # L_G reaches G through D's input
        self.opt_g = make_numpy_optimizer(config.opt_g, self.G.params, self.G.grads, config.lr_g)
        self.opt_d = make_numpy_optimizer(config.opt_d, self.D.params, self.D.grads, config.lr_d)
        self.bce = SigmoidBinaryCrossEntropy()
        self._grads: dict[str, np.ndarray] = {}

    # ---- training ----------------------------------------------------------------------------------
    def d_step(self, real: np.ndarray, z: np.ndarray) -> dict[str, float]:
        """One discriminator update on real (B, 2) and noise z (B, 2).  Returns d_loss, d_real (mean D(x))
        and d_fake (mean D(G(z))), measured before the update."""
        b = len(real)
        fake = self.G.forward(z)                                            # (B, 2)
        x = np.concatenate([real, fake])                                    # (2B, 2)
        logits = self.D.forward(x)                                          # (2B, 1)
        y = np.concatenate([np.ones(b), np.zeros(b)])
        d_loss = 2.0 * self.bce.forward(logits, y)       # mean over 2B = ½(BCE(real, 1) + BCE(fake, 0))
        self.D.backward(self.bce.backward(2.0))
        self._grads.update({f"D.{k}": v.copy() for k, v in zip(self._names(self.D), self.D.grads)})
        self.opt_d.step()
        p = sigmoid(logits[:, 0])
        return {"d_loss": float(d_loss), "d_real": float(p[:b].mean()), "d_fake": float(p[b:].mean())}

    def g_step(self, z: np.ndarray, loss: str = "non-saturating") -> dict[str, float]:
        """One generator update on noise z (B, 2) with L_G ``loss`` (one of G_LOSSES).  Returns g_loss and
        g_grad (mean over fakes of |∂ℓᵢ/∂xᵢ|, the per-sample gradient at each fake)."""
        b = len(z)
        fake = self.G.forward(z)                                            # (B, 2)
        logits = self.D.forward(fake)                                       # (B, 1)
        if loss == "minimax":
            g_loss = -self.bce.forward(logits, np.zeros(b))                 # mean log(1 − D(G(z)))
            dlogits = self.bce.backward(-1.0)
        else:
            g_loss = self.bce.forward(logits, np.ones(b))                   # mean −log D(G(z))
            dlogits = self.bce.backward(1.0)
        dx = backward_to_input(self.D, dlogits)                                     # (B, 2) ∂L_G/∂x
        self.G.backward(dx)
        self._grads.update({f"G.{k}": v.copy() for k, v in zip(self._names(self.G), self.G.grads)})
        self.opt_g.step()
        return {"g_loss": float(g_loss), "g_grad": float(np.mean(np.hypot(dx[:, 0], dx[:, 1])) * b)}

    @staticmethod
    def _names(mlp: MLP) -> list[str]:
        return [f"linear{i}.{p}" for i, lin in enumerate(mlp.linears) for p in ("W", "b")[:len(lin.params)]]

    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(params, grads): the live arrays of G and D by name (``G.linear0.W`` (2, H) ...), for the trainer."""
        params, grads = {}, {}
        for prefix, mlp in (("G", self.G), ("D", self.D)):
            for name, p, g in zip(self._names(mlp), mlp.params, mlp.grads):
                params[f"{prefix}.{name}"], grads[f"{prefix}.{name}"] = p, g
        return params, grads

    def trainer(self, update) -> NumpyTrainer:
        """A NumpyTrainer of G and D (``update(batch, step)`` steps them), with both optimizers checkpointed
        and the live settings ``lr_d``, ``lr_g``."""
        params, grads = self.arrays()
        return NumpyTrainer(params, grads, update, optimizers={"G": self.opt_g, "D": self.opt_d},
                            hyper={"lr_d": lambda v: setattr(self.opt_d, "lr", float(v)),
                                   "lr_g": lambda v: setattr(self.opt_g, "lr", float(v))})

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last D and G steps' parameter gradients: ``D.linear0.W`` (2, H) ... float64 copies."""
        return {k: v.copy() for k, v in self._grads.items()}

    # ---- views -------------------------------------------------------------------------------------
    def generate(self, z: np.ndarray) -> np.ndarray:
        """G(z): (N, 2) -> (N, 2)."""
        return self.G.forward(z)

    def field(self, grid: np.ndarray, z: np.ndarray, n_arrows: int,
              loss: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the field view draws: D over the heatmap grid, G over the noise, and the gradient at the
        first ``n_arrows`` fakes (one backward pass through D for those only).

        grid: (P, 2); z: (M, 2).  Returns D(grid) (P,) probabilities, G(z) (M, 2), and −∂ℓᵢ/∂xᵢ
        (n_arrows, 2) at the first fakes (the direction L_G moves each of them)."""
        fake = self.G.forward(z)                                            # (M, 2)
        p_grid = sigmoid(self.D.forward(grid)[:, 0])                        # (P,)
        p = sigmoid(self.D.forward(fake[:n_arrows])[:, 0])                  # (A,)
        # dℓ/dlogit per sample: non-saturating −(1 − σ), minimax −σ; push it back to D's input
        dl = -(1.0 - p) if loss != "minimax" else -p
        dx = backward_to_input(self.D, dl[:, None])                         # (A, 2)
        return p_grid, fake, -dx
