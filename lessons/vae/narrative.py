"""The story of the ``vae`` lesson: Markdown pages that set parameters, choose plots and run steps."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "From autoencoder to variational autoencoder",
        "An **autoencoder** squeezes an image x through a narrow code z = e(x) and learns to rebuild it, "
        "x̂ = d(z). Its code space has holes: a z between two training codes may decode to nothing "
        "recognisable, so you cannot *generate* by picking a z.\n\n"
        "A **variational autoencoder** (Kingma & Welling, 2014) makes the code a distribution. The "
        "**encoder** outputs a mean μ(x) and a log-variance log σ²(x): the approximate posterior "
        "q(z|x) = 𝒩(μ, diag σ²). The **decoder** turns a sample z into p(x|z): for each pixel a "
        "probability sigmoid(logit), a Bernoulli. A **prior** p(z) = 𝒩(0, I) says where codes should live.\n\n"
        "Here x is an 8×8 digit (64 numbers in [0, 1]) and z has **2 dimensions**, so we can draw the whole "
        "latent space. Before training, the reconstructions are grey mush. Press **Next** to train.",
        set_params={"dataset": "digits", "latent_dim": 2, "architecture": "mlp", "likelihood": "bernoulli",
                    "beta": 1.0},
        plots=("recon", "kl", "reconstructions"),
    ),
    NarrativeStep(
        "The ELBO: reconstruction − KL",
        "We cannot compute log p(x) = log ∫ p(x|z) p(z) dz, but we can bound it from below. The **evidence "
        "lower bound** is\n\n"
        "  ELBO = E_q(z|x)[log p(x|z)] − KL(q(z|x) ‖ p(z)) ≤ log p(x)\n\n"
        "and training maximizes it, i.e. minimizes two terms:\n\n"
        "- the **reconstruction** term −log p(x|z), a binary cross-entropy summed over the 64 pixels;\n"
        "- the **KL** term, which for two Gaussians has a closed form per latent dimension:\n"
        "  KL = ½ Σⱼ (μⱼ² + σⱼ² − log σⱼ² − 1), zero exactly when μ = 0 and σ = 1.\n\n"
        "We just ran 400 steps. The reconstruction term falls while the KL term *rises* from 0: the "
        "untrained encoder outputs the prior itself, and the model pays KL nats to store information "
        "about x in z. 'Loss and −ELBO' shows their sum.",
        plots=("recon", "kl", "loss", "reconstructions"),
        run_steps=400,
    ),
    NarrativeStep(
        "The reparameterization trick",
        "The reconstruction term is an expectation over z ~ q(z|x). Sampling is not differentiable in μ "
        "and σ, so the VAE samples the noise instead:\n\n"
        "  ε ~ 𝒩(0, I),  z = μ + σ ⊙ ε,  σ = exp(½ log σ²)\n\n"
        "Now z is a smooth function of μ and σ, and backpropagation reaches the encoder through both: "
        "∂z/∂μ = 1, ∂z/∂σ = ε. One sample per image and step is enough (the estimate is noisy but unbiased).\n\n"
        "The scatter shows μ(x) of each validation image coloured by its digit. The labels were never "
        "used: the VAE sorted the digits by itself, and the KL term keeps the cloud near the origin, "
        "about the size of the prior.",
        plots=("latent_means", "reconstructions", "kl"),
        run_steps=200,
    ),
    NarrativeStep(
        "The latent grid",
        "Because the KL term packs the codes together, *every* point of the latent space decodes to "
        "something plausible. The grid decodes z on a 15×15 lattice over the prior's **quantiles**, "
        "z = Φ⁻¹(p) for p = 0.05 … 0.95 (Kingma & Welling's figure 4; Chollet's figure 12.19): equal "
        "areas of prior probability get equal room.\n\n"
        "Compare with the scatter: each region of the grid draws the digit whose codes live there, and "
        "between two regions one digit morphs smoothly into the other. This continuity is what an "
        "autoencoder without the KL term lacks.",
        plots=("latent_grid", "latent_means"),
        run_steps=400,
    ),
    NarrativeStep(
        "Sampling from the prior",
        "To **generate**, forget the encoder: draw z ~ 𝒩(0, I) and decode it. The samples use 32 fixed "
        "draws, so you watch the same codes turn into digits as training goes on.\n\n"
        "The samples are means of p(x|z), a little blurry: the decoder hedges between the images that "
        "share a neighbourhood of z. With only 2 latent dimensions some samples fall between digits. Try "
        "**Latent dimensions** = 8 (Reset): reconstructions sharpen, but the grid then shows only a slice "
        "(z₁, z₂) with the other coordinates at 0.",
        plots=("samples", "latent_grid", "recon", "kl"),
        run_steps=300,
    ),
    NarrativeStep(
        "β and the trade-off",
        "The **β-VAE** (Higgins et al., 2017) weighs the KL term: loss = reconstruction + β·KL. β = 1 is "
        "the ELBO; β > 1 buys a code closer to the prior (smoother, often more disentangled dimensions) "
        "with worse reconstructions; β = 0 is an autoencoder that happens to be noisy.\n\n"
        "Here the code has **8 dimensions** and β = 2. The bars show the KL of each dimension: the VAE "
        "switches off the dimensions it cannot afford (KL ≈ 0, q = prior) and keeps a few **active units**. "
        "On these small 8×8 images a nat of code buys little reconstruction, so β ≈ 3 already switches "
        "off almost everything. Move the β slider while it trains: the KL curve drops as β rises and climbs back as it falls, "
        "and the reconstruction term moves the other way.",
        set_params={"latent_dim": 8, "beta": 2.0},
        plots=("kl", "recon", "active_units", "samples"),
        run_steps=600,
    ),
    NarrativeStep(
        "Posterior collapse",
        "Push β to 6. Now every nat of information in z costs six nats of loss, and the cheapest "
        "solution is to store nothing: q(z|x) = p(z) for every x, all KL bars at 0, and a decoder that "
        "draws the average digit whatever the code. This is **posterior collapse**; the lesson tells you "
        "when every dimension has stayed below 0.02 nats for 300 steps.\n\n"
        "It also happens at β = 1 with a decoder strong enough to model x without z (an autoregressive "
        "decoder, for example). Remedies: lower β, anneal it from 0 up, or a 'free bits' floor on each "
        "dimension's KL. Lower β and watch the units come back.",
        set_params={"beta": 6.0},
        plots=("kl", "active_units", "reconstructions", "latent_grid"),
        run_steps=600,
    ),
)
