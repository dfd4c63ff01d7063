"""The story of the ``sagan`` lesson (Ogawa ch. 5; Zhang et al. 2019; Miyato et al. 2018)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Convolutions only see their neighbourhood",
        "A DCGAN builds an image from **convolutions**: every output pixel depends on a small **receptive field** "
        "of the layer below. Long-range structure (the loop of a 6 matching its stem) must be passed along many "
        "layers.\n\n"
        "**SAGAN** (Zhang et al. 2019) adds **self-attention**: every position of a feature map may take "
        "information from every other position, in one layer. Press **Play**: G and D train on the embedded digits "
        "(16×16) with the **hinge loss** and **spectral normalization**. Watch both losses.",
        set_params={"loss": "hinge", "spectral_norm": True},
        plots=("losses", "samples", "scores"),
    ),
    NarrativeStep(
        "Self-attention: query, key, value",
        "For a feature map x (C × H × W) three 1×1 convolutions make a **query** f(x), a **key** g(x) (C/8 "
        "channels) and a **value** h(x) (C channels). The **attention map**\n\n"
        "  β_ij = exp(s_ij) / Σ_k exp(s_ik),  s_ij = f(x_i)ᵀ g(x_j)\n\n"
        "is an (HW × HW) matrix whose row i sums to 1: how much position i draws from position j. The output is "
        "o_i = Σ_j β_ij h(x_j).\n\n"
        "**Click a pixel** of a sample on the right panel (or pick another sample on the left): the overlay is "
        "β for that position of G's 8×8 feature map. Early on it is nearly uniform.",
        plots=("attention", "samples", "losses"),
    ),
    NarrativeStep(
        "γ: attention is switched in gradually",
        "The layer does not output o directly but\n\n"
        "  y = γ · o + x\n\n"
        "with a learnable scalar **γ initialised at 0**. At first the network is a plain CNN and relies on local "
        "cues; as training goes on it learns how much non-local evidence to add. Watch γ of G's and D's attention "
        "layers leave 0.",
        plots=("gamma", "attention", "losses"),
        run_steps=100,
    ),
    NarrativeStep(
        "Spectral normalization",
        "D's gradient is what G learns from; if D's layers can stretch their inputs without bound, that gradient "
        "explodes or becomes useless. A layer W x stretches a vector by at most its largest **singular value** "
        "σ(W). **Spectral normalization** (Miyato et al. 2018) uses\n\n"
        "  W_SN = W / σ(W)\n\n"
        "so every layer is 1-Lipschitz. σ(W) is estimated cheaply by one **power iteration** per step "
        "(u ← W v / ‖W v‖, v ← Wᵀ u / ‖Wᵀ u‖, σ ≈ uᵀ W v). The curves show σ of the learned W *before* "
        "normalization: it may wander, but the layer always applies σ = 1.",
        plots=("sigma", "sigma_layers", "losses"),
        run_steps=50,
    ),
    NarrativeStep(
        "Switch it off",
        "Now spectral normalization is off (Reset applied it). The layers use W as learned: watch σ(W) in the "
        "bars and curves, and how the D scores and samples behave compared with before. Earlier runs stay as faded "
        "curves for comparison.",
        set_params={"spectral_norm": False},
        plots=("sigma", "scores", "samples", "losses"),
        run_steps=150,
    ),
    NarrativeStep(
        "The hinge loss",
        "SAGAN trains with the **hinge loss** (Lim & Ye 2017):\n\n"
        "  L_D = E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))],  L_G = −E[D(G(z))]\n\n"
        "D stops pushing a sample once it is beyond the margin ±1, so it does not overfit to easy samples. "
        "Compare with **bce** (the original GAN loss) under the same settings: the D scores become probabilities "
        "through a sigmoid and can saturate. If D wins completely or the samples collapse to one image, the run "
        "pauses and tells you.",
        set_params={"spectral_norm": True, "loss": "bce"},
        plots=("losses", "scores", "samples"),
        run_steps=150,
    ),
)
