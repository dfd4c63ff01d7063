"""The story of the ``optimizers`` lesson: from SGD's zig-zag on Saitoh's bowl to a real network's loss.

Each step sets everything it relies on (surface, start, the racing optimizers and their learning
rates), so it works whatever the learner changed before, and runs the race for a while.  Qt-free.
"""
from __future__ import annotations

from visualizer.core.lesson import NarrativeStep

_ALL = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
_SAITOH_LR = {"lr_sgd": 0.95, "lr_momentum": 0.1, "lr_nesterov": 0.1, "lr_adagrad": 1.5, "lr_rmsprop": 0.1,
              "lr_adam": 0.3}
_DEFAULT_DECAYS = {"momentum": 0.9, "rho": 0.99, "beta1": 0.9, "beta2": 0.999}


def _race(*names: str, **extra) -> dict:
    """set_params racing only ``names`` (the others off)."""
    out = {f"use_{n}": n in names for n in _ALL}
    out.update(extra)
    return out


_SAITOH = {"surface": "saitoh", "start_x": -7.0, "start_y": 2.0, "show_arrows": True, **_SAITOH_LR,
           **_DEFAULT_DECAYS}

NARRATIVE = (
    NarrativeStep(
        "SGD zig-zags down a long bowl",
        "Training a network means walking downhill on its loss f(θ). **Gradient descent** takes a step "
        "against the gradient:\n\n"
        "  θ ← θ − η ∇f(θ)\n\n"
        "with the **learning rate** η. To *see* the walk we use a loss of only two parameters, Saitoh's "
        "bowl (*Deep Learning from Scratch*, 6.1):\n\n"
        "  f(x, y) = x²/20 + y²,  ∇f = (x/10, 2y)\n\n"
        "The bowl is twenty times steeper along y than along x. The gradient points mostly *across* the "
        "valley, so SGD with η = 0.95 overshoots in y at every step (y ← (1 − 2η) y = −0.9 y) while it "
        "creeps along x (x ← 0.905 x): the famous **zig-zag**.\n\n"
        "The black arrow is −∇f at the current point, the coloured one the last step Δθ. Drag the "
        "target ⊕ to start elsewhere, or step one update at a time with **Step** (S).",
        set_params=_race("sgd", **_SAITOH),
        run_steps=40,
    ),
    NarrativeStep(
        "Momentum and Nesterov: a heavy ball",
        "**Momentum** keeps a velocity v, a running sum of past gradients (PyTorch's form):\n\n"
        "  v ← β v + ∇f(θ),  θ ← θ − η v\n\n"
        "Across the valley the gradients alternate in sign and cancel in v; along the valley they agree "
        "and add up, up to 1/(1 − β) = 10 times for β = 0.9. The ball's path is smooth: it rolls along the "
        "floor, overshoots the minimum and swings back. **Nesterov** momentum corrects each step with "
        "the velocity it is about to take (θ ← θ − η(∇f + β v)), which damps the swinging.\n\n"
        "Is it faster? Not with Saitoh's settings (η = 0.1, β = 0.9): SGD's η = 0.95 is its best possible "
        "step on this bowl, η = 2/(λ_min + λ_max), shrinking the error by (κ − 1)/(κ + 1) ≈ 0.905 per "
        "step. Give SGD the same η = 0.1 and it crawls. And tuned momentum wins outright: set Momentum's "
        "η = 1.34 and β = 0.40 (Polyak's optimum) and its error shrinks by (√κ − 1)/(√κ + 1) ≈ 0.63 "
        "per step: √κ instead of κ. (Nesterov diverges with those values and is frozen: the race "
        "goes on without it.) Every change restarts the race from the start.",
        set_params=_race("sgd", "momentum", "nesterov", **_SAITOH),
        plots=("race",),
        run_steps=80,
    ),
    NarrativeStep(
        "AdaGrad: a step size per coordinate",
        "The bowl's trouble is that one learning rate must suit two very different slopes. **AdaGrad** "
        "(Duchi et al., 2011) gives every coordinate its own, by dividing by the root of the sum of its "
        "squared gradients:\n\n"
        "  h ← h + ∇f ⊙ ∇f,  θ ← θ − η ∇f / (√h + ε)\n\n"
        "A steep coordinate (y) accumulates a large h and gets small steps; a gentle one (x) keeps large "
        "ones. The ellipse at AdaGrad's point has half-axes proportional to η/(√h + ε) per coordinate: it "
        "is stretched along x, the flat direction.\n\n"
        "But h only grows, so every step is smaller than the last: AdaGrad slows down even where the "
        "road is long (watch the shrinking ellipse, and try the network slice later).",
        set_params=_race("sgd", "adagrad", **_SAITOH),
        plots=("race",),
        run_steps=60,
    ),
    NarrativeStep(
        "RMSProp: forget old gradients",
        "**RMSProp** (Tieleman & Hinton, 2012) replaces AdaGrad's sum by an exponential moving average "
        "with decay ρ:\n\n"
        "  s ← ρ s + (1 − ρ) ∇f ⊙ ∇f,  θ ← θ − η ∇f / (√s + ε)\n\n"
        "Old gradients fade after about 1/(1 − ρ) steps (100 for ρ = 0.99), so the step size no longer "
        "decays to zero. It adapts to the *current* slope of each coordinate. Near the minimum the step "
        "is about η·g/|g| ≈ ±η per coordinate: set ρ = 0.9 and see RMSProp rattle around the minimum "
        "instead of settling.",
        set_params=_race("sgd", "adagrad", "rmsprop", **_SAITOH),
        plots=("race",),
        run_steps=100,
    ),
    NarrativeStep(
        "Adam: momentum + RMSProp, bias-corrected",
        "**Adam** (Kingma & Ba, 2015) combines a momentum m with RMSProp's scale v:\n\n"
        "  m ← β₁ m + (1 − β₁) ∇f,  v ← β₂ v + (1 − β₂) ∇f ⊙ ∇f\n\n"
        "  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)\n\n"
        "  θ ← θ − η m̂ / (√v̂ + ε)\n\n"
        "m and v start at 0, so early on they underestimate the gradient's moments; dividing by "
        "1 − βᵗ is the **bias correction** that makes the first steps the right size (at t = 1, "
        "m̂ = g and v̂ = g², so the first step is η per coordinate). Its direction is momentum's, its "
        "scale RMSProp's.\n\n"
        "All six now race. The second plot shows f − f_min per optimizer on a log axis: the slope of a "
        "curve is its rate of convergence.",
        set_params=_race(*_ALL, **_SAITOH),
        run_steps=150,
    ),
    NarrativeStep(
        "Ill-conditioning: the condition number κ",
        "A quadratic bowl f = ½(u² + κ v²) has curvatures 1 and κ; their ratio κ is the **condition "
        "number**. Gradient descent is stable only for η < 2/κ (set by the steep direction), and then "
        "the flat direction shrinks by (1 − η) per step: about κ/2 steps per e-fold. Large κ makes plain "
        "SGD slow, whatever η (Goodfellow et al., *Deep Learning*, 8.2.1).\n\n"
        "Here κ = 50 and SGD runs at η = 0.038, just under 2/κ = 0.04; try 0.041 and watch it diverge "
        "(it is frozen, the others race on). Momentum cuts the steps needed to about √κ.\n\n"
        "Now set the **rotation** φ to 45° and press Reset (R): the valley no longer lies along x or y. "
        "AdaGrad, RMSProp and Adam scale *coordinates*, so their advantage mostly disappears.",
        set_params=_race(*_ALL, surface="bowl", kappa=50.0, rotation=0.0, start_x=-3.5, start_y=2.0,
                         lr_sgd=0.038, lr_momentum=0.015, lr_nesterov=0.015, lr_adagrad=0.5, lr_rmsprop=0.05,
                         lr_adam=0.1, **_DEFAULT_DECAYS),
        run_steps=200,
    ),
    NarrativeStep(
        "Saddle points and narrow valleys",
        "At a **saddle point** the gradient is zero but it is no minimum: f = x² − y² + y⁴/4 curves up "
        "along x and down along y at (0, 0). We start at y = 0.01, almost on the ridge. The gradient "
        "along y is only 2·0.01, so SGD first slides to the saddle and lingers there before the tiny "
        "y grows (×(1 + 2η) per step) and it escapes into a valley at y = ±√2 (f = −1). "
        "Adaptive methods divide by the small gradient and escape at once. In high dimensions saddles "
        "are far more common than bad local minima (Dauphin et al., 2014).\n\n"
        "Then choose **rosenbrock** (a long curved valley: easy to enter, slow to follow; "
        "SGD needs η ≈ 0.001) or **beale** (plateaus and steep walls: start at (3, 4) and SGD blows up) "
        "in *Loss surface* and press Reset. Their colours are log₁₀(f − f_min).",
        set_params=_race(*_ALL, surface="saddle", start_x=-1.8, start_y=0.01, lr_sgd=0.05, lr_momentum=0.05,
                         lr_nesterov=0.05, lr_adagrad=0.2, lr_rmsprop=0.02, lr_adam=0.05, **_DEFAULT_DECAYS),
        run_steps=150,
    ),
    NarrativeStep(
        "A real network's loss, in two dimensions",
        "A network has thousands of parameters, not two. Li et al. (NeurIPS 2018) look at its loss along "
        "a plane through the trained weights θ*:\n\n"
        "  f(α, β) = L(θ* + α d₁ + β d₂)\n\n"
        "with two random directions d₁, d₂, **filter-normalized**: each neuron's block of d is scaled to "
        "the norm of the same block of θ*, so that α = 1 means a change as large as the weights "
        "themselves. Here L is the cross-entropy of an MLP 2 → 16 → 3 trained on a three-arm spiral, "
        "and the gradient along the plane is (d₁·∇L, d₂·∇L), from ordinary backpropagation.\n\n"
        "Near θ* the slice looks like a slightly tilted, uneven bowl; farther out the tanh units "
        "saturate and the surface flattens into plateaus. Move the start out there (drag the target to "
        "a corner) and compare who gets back first.",
        set_params=_race(*_ALL, surface="network", start_x=-0.8, start_y=0.7, lr_sgd=0.05, lr_momentum=0.01,
                         lr_nesterov=0.01, lr_adagrad=0.1, lr_rmsprop=0.01, lr_adam=0.02, **_DEFAULT_DECAYS),
        run_steps=150,
    ),
)
