"""The story of the ``dcgan`` lesson (Ogawa ch. 5.1, Radford et al. 2016, Chollet DLwP 2e ch. 12.5), and what it
tells the user when the game fails (the discriminator wins, the generator collapses)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Two networks, one game",
        "A **generative adversarial network** (Goodfellow et al. 2014) has two players:\n\n"
        "- the **generator** G turns a noise vector z ~ N(0, I) into an image G(z);\n"
        "- the **discriminator** D looks at an image and outputs the probability D(x) that it is real.\n\n"
        "D is trained to tell real digits from G's fakes, G to fool D. Formally they play the minimax game\n\n"
        "  min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))]\n\n"
        "and at its equilibrium G draws from the data distribution and D says 0.5 to everything.\n\n"
        "Nothing ever shows G a real digit: it learns only through D's gradient. Press **Next** to train "
        "200 steps and watch the two **losses** fight.",
        set_params={"g_loss": "non-saturating", "g_lr": 5e-4, "d_lr": 5e-4, "beta1": 0.5},
        plots=("losses", "d_outputs", "samples", "real"),
    ),
    NarrativeStep(
        "The losses in code: BCE with logits",
        "As in Ogawa's `train_model`, each step has two updates on a real batch x and a fake batch G(z):\n\n"
        "1. **D step**: L_D = BCE(D(x), 1) + BCE(D(G(z)), 0) = −log D(x) − log(1 − D(G(z))). The fakes are "
        "*detached*: this step changes only D.\n"
        "2. **G step**: L_G = BCE(D(G(z)), 1) = −log D(G(z)), back-propagated through D into G; only G's "
        "weights move.\n\n"
        "D outputs a **logit** and `BCEWithLogitsLoss` applies the sigmoid inside the loss, which is "
        "numerically safer than a sigmoid layer followed by log.\n\n"
        "Read **D(x) and D(G(z))**: at first D learns fast (D(x) up, D(G(z)) down), then G catches up and "
        "both drift towards 0.5. A d_loss near 2·log 2 ≈ 1.39 means D is guessing.",
        plots=("losses", "d_outputs", "samples"),
        run_steps=200,
    ),
    NarrativeStep(
        "DCGAN: convolutions both ways",
        "Radford et al. (2016) made GANs train reliably on images with a few rules, all used here:\n\n"
        "- G upsamples with **transposed convolutions** (4×4 kernels, stride 2): z → 4×4 → 8×8 → 16×16 "
        "feature maps; D downsamples with **strided convolutions** 16 → 8 → 4 → one logit. No pooling, no "
        "fully connected hidden layers.\n"
        "- **Batch normalization** in both networks (not on G's output or D's input).\n"
        "- ReLU in G with **tanh** on the output (images are scaled to [−1, 1]); **LeakyReLU** (slope 0.1, "
        "as in Ogawa) in D so that gradients flow for negative inputs too.\n"
        "- **Adam** with β₁ = 0.5 instead of 0.9: less momentum, less overshooting in a game whose target "
        "keeps moving.\n\n"
        "The grid shows G(z) for the **same 64 noise vectors** every time, so each tile is one z's "
        "history. Train on: within a minute or two the blobs become digits.",
        plots=("samples", "real", "losses"),
        run_steps=600,
    ),
    NarrativeStep(
        "Walking through latent space",
        "If G has learned a smooth map from z to digits, points *between* two noise vectors should give "
        "images *between* two digits. The interpolation row shows G(z_t) from z_a to z_b.\n\n"
        "- **linear**: z_t = (1 − t)·z_a + t·z_b. In high dimensions the midpoint is shorter than a typical "
        "Gaussian sample (‖z‖ ≈ √dim), so midway images can look faint or generic.\n"
        "- **spherical (slerp)**: z_t = sin((1−t)Ω)/sin Ω · z_a + sin(tΩ)/sin Ω · z_b, with Ω the angle "
        "between them, keeps the length (White 2016).\n\n"
        "Pick two samples by their numbers in the grid (*Interpolate from sample* / *… to sample*), switch "
        "between the two paths, and watch a 3 turn into an 8 through in-between shapes rather than a "
        "cross-fade.",
        plots=("interpolation", "samples"),
        train_until=800,                 # the interpolation needs the G of steps 2-3 (trains up to it if skipped)
    ),
    NarrativeStep(
        "Mode collapse",
        "A generator can fool D by drawing only a few convincing digits, whatever z is: **mode collapse**. "
        "D then learns to reject those, G jumps to others, and the game cycles instead of covering all ten "
        "digits.\n\n"
        "The **diversity** curve measures it: the mean pairwise distance between 64 fakes divided by that "
        "between 64 real digits. Near 1 the fakes vary as much as the data; below the dashed threshold "
        "(0.5) the lesson warns you. It starts low (an untrained G draws the same blob for every z), so the "
        "check starts after 300 steps.\n\n"
        "Try it: raise both learning rates to 5e-3 and set β₁ to 0.9, then watch the diversity and the "
        "grid.",
        plots=("diversity", "samples", "d_outputs"),
    ),
    NarrativeStep(
        "When D wins: the vanishing gradient",
        "Goodfellow's original generator loss is log(1 − D(G(z))). Its gradient with respect to D's logit "
        "is −D(G(z)): when D rejects the fakes confidently (D(G(z)) ≈ 0), **G's gradient vanishes** and G "
        "stops learning. That is why everyone (Ogawa's code too) uses the **non-saturating** −log D(G(z)), "
        "whose gradient −(1 − D(G(z))) is largest exactly then.\n\n"
        "This step switches to **minimax** and makes D learn 20× faster than G. Watch D(G(z)) fall to 0 "
        "and the **generator gradient norm** drop by orders of magnitude; the lesson pauses and explains "
        "when D has won. Then switch back to non-saturating and continue: G recovers.",
        set_params={"g_loss": "minimax", "d_lr": 5e-3, "g_lr": 2.5e-4},
        plots=("d_outputs", "g_grad", "losses", "samples"),
        run_steps=400,
    ),
    NarrativeStep(
        "Your turn",
        "Back to the defaults. Things to try:\n\n"
        "- **Noise size z**: 2 dimensions still make digits (and a very smooth interpolation); 128 is "
        "more than digits need.\n"
        "- **Network width** 8: too weak a G draws smudges; too weak a D is fooled by smudges.\n"
        "- **Batch size** 16 vs 256: noisier games vs slower steps.\n"
        "- **MNIST** (when it can be downloaded): 32×32 real handwriting, one more layer in each network.\n\n"
        "Chollet (DLwP ch. 12.5) lists the tricks that keep the game balanced: tanh outputs, sampling z "
        "from a normal distribution, noise in the labels, LeakyReLU and strided convolutions instead of "
        "pooling, and lowering D's advantage when it wins. Losses in a GAN do not go down like in "
        "classification: judge a GAN by its samples and their diversity.",
        set_params={"g_loss": "non-saturating", "g_lr": 5e-4, "d_lr": 5e-4, "beta1": 0.5},
        plots=None,
    ),
)


def d_wins_pause(steps: int, d_fake_max: float, grad: float, ref: float) -> str:
    """Why training pauses: D(G(z)) < ``d_fake_max`` for ``steps`` steps and G's gradient norm fell to ``grad``
    (from about ``ref``)."""
    return (f"The discriminator has won: for {steps} steps it gave the fakes D(G(z)) < {d_fake_max} and the "
            f"generator's gradient fell to {grad:.2g} (it started near {ref:.2g}). With the minimax loss "
            "log(1 − D(G(z))) the gradient vanishes once D is confident, so G cannot improve. Switch the generator "
            "loss to non-saturating (−log D(G(z))), lower the D learning rate, or raise G's, then continue or "
            "press Reset (R).")


def d_wins_notice(steps: int, d_fake_max: float) -> str:
    """D rejects every fake, but G still gets a gradient: a notice, no pause."""
    return (f"The discriminator rejects every fake (D(G(z)) < {d_fake_max} for {steps} steps). The "
            "non-saturating loss still gives G a gradient, but if the samples do not improve soon, lower the D "
            "learning rate or raise G's.")


def collapse_notice(diversity: float, threshold: float) -> str:
    """Mode collapse: the fakes are only ``diversity`` (a share) as varied as real digits."""
    return (f"Mode collapse: the fakes are only {diversity:.0%} as varied as real digits (threshold "
            f"{threshold:.0%}). The generator has found a few images that fool D and maps (almost) every z to them; "
            "D then learns to reject those, G jumps to others, and the game cycles instead of covering all ten "
            "digits. Lower the learning rates, use β₁ = 0.5, or reset with another seed.")
