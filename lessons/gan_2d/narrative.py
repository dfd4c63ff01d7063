"""The story of the ``gan_2d`` lesson: the game, D's view, G's gradient field, the manifold, the
divergence, and the two classic failures.  Qt-free."""
from __future__ import annotations

from visualizer.core.lesson import NarrativeStep

_DEFAULTS = {"target": "ring", "train_mode": "both", "d_steps": 1, "g_loss": "non-saturating",
             "lr_d": 1e-3, "lr_g": 1e-3, "batch_size": 128}

# A tight cluster of 12 points around (1.6, −1.6): far from the generator's first fakes
_CORNER = ("1.61,-1.61;1.65,-1.59;1.56,-1.57;1.70,-1.52;1.54,-1.70;1.55,-1.60;1.41,-1.62;1.50,-1.66;"
           "1.56,-1.63;1.63,-1.52;1.59,-1.49;1.55,-1.57")

NARRATIVE = (
    NarrativeStep(
        "A game between two networks",
        "A **generative adversarial network** (Goodfellow et al., 2014) trains two networks against each "
        "other. The **generator** G turns noise z ~ U[−1, 1]² into points x = G(z) of the plane; the "
        "**discriminator** D scores a point with the probability D(x) that it is real. They play\n\n"
        "  min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))]\n\n"
        "Here the real data is a **ring of 8 Gaussians**. Green dots are real samples, purple dots fakes. "
        "The background is D(x): green where D says *real*, purple where it says *fake*.\n\n"
        "Press **Play** (Space). The losses start near L_D ≈ 1.4 and L_G ≈ 0.7 and wobble: neither player "
        "can simply minimise its loss, each one's progress is the other's setback.",
        set_params=_DEFAULTS, plots=("field", "losses")),
    NarrativeStep(
        "The discriminator's view: train D only",
        "With **Train = D only** the generator is frozen and only D learns: it becomes a plain binary "
        "classifier, real (label 1) vs fake (label 0), trained on\n\n"
        "  L_D = −log D(x) − log(1 − D(G(z)))\n\n"
        "For a fixed G the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow et al., "
        "Proposition 1): green over the ring, purple over the fakes. Watch D(x) climb to 1 and D(G(z)) fall "
        "to 0 in the second plot.",
        set_params={**_DEFAULTS, "train_mode": "D only"}, plots=("field", "d_outputs"), run_steps=150),
    NarrativeStep(
        "The generator's gradient field",
        "Now **Train = G only**: D is frozen and G moves its fakes. G never sees a real point; all it gets is "
        "the gradient of its loss through D. The arrows show −∂L_G/∂x at each fake: the direction the loss "
        "pushes it, uphill on D(x), towards the green.\n\n"
        "We use the **non-saturating** loss L_G = −log D(G(z)): where D confidently rejects a fake, "
        "−∂L_G/∂logit = 1 − D ≈ 1, so the push stays strong.\n\n"
        "Tip: set the speed limit to **10 steps/s** in the toolbar for slow motion, or press **Step** (S).",
        set_params={**_DEFAULTS, "train_mode": "G only"}, plots=("field", "health"), run_steps=40),
    NarrativeStep(
        "The generator manifold",
        "The grey mesh is a grid over the noise square pushed through G: the plane of z, bent and stretched "
        "by the generator. Where cells shrink G piles up probability; where they stretch it thins it out.\n\n"
        "G is a continuous map, so it cannot tear the square into 8 separate pieces: it folds it, and some "
        "fakes always land on the thin bridges between the modes. Train both players (**Train = both**) "
        "and watch the mesh wrap around the ring.",
        set_params=_DEFAULTS, plots=("field", "losses", "d_outputs")),
    NarrativeStep(
        "How close is p_g to p_data? The JS divergence",
        "With the optimal discriminator, the generator's objective becomes\n\n"
        "  C(G) = −log 4 + 2 · JSD(p_data ‖ p_g)\n\n"
        "(Goodfellow et al., Theorem 1): the GAN minimises the **Jensen–Shannon divergence**. We estimate it "
        "from 2000 real and 2000 fake points on a smoothed 40 × 40 histogram (in bits: 0 = identical, "
        "1 = disjoint), with KL(real ‖ fake), which grows when the fakes miss a real mode. js_floor is what two "
        "real samples score: a perfect generator stops there, not at 0.\n\n"
        "At equilibrium D(x) = ½ everywhere: the heatmap fades to white and L_D → 2 log 2 ≈ 1.386.",
        set_params=_DEFAULTS, plots=("field", "divergence", "d_outputs"), run_steps=300),
    NarrativeStep(
        "When the discriminator wins",
        "The real data is now a small cluster in the corner (a drawn target, set for you), far from where "
        "G puts its fakes: the two supports do not overlap. D learns 10× faster with **k = 5** steps per G "
        "step, and G uses the original **minimax** loss L_G = log(1 − D(G(z))).\n\n"
        "D separates the two perfectly within a few dozen steps: D(x) → 1, D(G(z)) → 0. The minimax loss's "
        "slope is ∂L_G/∂logit = −D(G(z)) → 0, so **the gradient vanishes** (Arjovsky & Bottou, 2017): the "
        "arrows shrink to nothing and the fakes freeze. Press **Play**: the lab detects it and pauses with "
        "suggestions.\n\n"
        "Then switch **Generator loss** to non-saturating and press Play again: −log D(G(z)) has slope "
        "1 − D(G(z)) ≈ 1 there, and the fakes start to travel towards the corner.",
        set_params={"drawn_points": _CORNER, **{k: v for k, v in _DEFAULTS.items() if k != "target"},
                    "target": "drawn", "g_loss": "minimax",
                    "lr_d": 1e-2, "d_steps": 5, "lr_g": 1e-4},
        plots=("field", "d_outputs", "health")),
    NarrativeStep(
        "Mode collapse",
        "On the 3 × 3 **grid**, a generator that learns much faster than its discriminator tends to chase "
        "D's current weak spot: it piles all its fakes into one or two modes (the **Helvetica scenario** "
        "of Goodfellow's tutorial, 2016), D learns to reject them there, and G jumps elsewhere. Watch the "
        "purple points hop and **coverage** drop; the lab tells you when the fakes collapse.\n\n"
        "Remedies: a slower generator, more D steps per G step, a bigger D, or losses designed against it "
        "(unrolled GANs, Wasserstein GANs, minibatch discrimination).",
        set_params={**_DEFAULTS, "target": "grid", "lr_g": 1e-2, "lr_d": 1e-3},
        plots=("field", "health", "divergence")),
    NarrativeStep(
        "Draw your own distribution",
        "Press **Draw** above the field, then click or drag on the plane: every stroke adds points, and "
        "once there are at least 10 the target switches to your drawing (the networks keep training, so "
        "you can watch G chase the new shape). **Clear** starts a new sketch.\n\n"
        "Try a letter, a spiral or two far-apart dots. Which shapes does G struggle with, and why? (Think "
        "of the manifold: a continuous map from a square.)",
        set_params={"train_mode": "both", "d_steps": 1, "g_loss": "non-saturating", "lr_d": 1e-3,
                    "lr_g": 1e-3}, plots=("field", "divergence")),
)
