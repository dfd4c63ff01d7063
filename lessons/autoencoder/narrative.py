"""The story of the ``autoencoder`` lesson: compress, rebuild, map, denoise, hash, retrieve."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Compress and rebuild",
        "An **autoencoder** is two networks trained as one. The **encoder** squeezes an image x ∈ ℝ⁶⁴ into "
        "a short **code** c; the **decoder** rebuilds an image x′ from the code alone:\n\n"
        "  c = f(x) = W₂ᵀ relu(W₁ᵀ x + b₁) + b₂,\n"
        "  x′ = g(c) = sigmoid(W₄ᵀ relu(W₃ᵀ c + b₃) + b₄)\n\n"
        "Here 64 → 128 → **2** → 128 → 64. No labels are used: the target is the input itself, and the "
        "loss is the **reconstruction error**, here the binary cross-entropy "
        "−Σ [xᵢ log x′ᵢ + (1 − xᵢ) log(1 − x′ᵢ)] (the curves show the mean squared error (x′ − x)²).\n\n"
        "Two numbers cannot hold 64 pixels, so the network must decide what matters. Press **Play** "
        "(or Next) and watch the blurry grey blobs in the bottom row turn into digits.",
        set_params={"code_size": 2, "binary_codes": False, "denoising": False, "loss": "bce"},
        plots=("recon_error", "reconstructions", "latent"),
    ),
    NarrativeStep(
        "The latent space",
        "Each dot is the 2-D code of one validation image, coloured by its digit. The colours were "
        "never shown to the network, yet after a few hundred steps the digits gather in their own "
        "regions: to rebuild a 0 you need to know it is a 0, so the code learns the classes on its "
        "own. This is **representation learning**: the code is a new, compact description of the "
        "data (Hinton & Salakhutdinov 2006 drew this map for MNIST and compared it with PCA).\n\n"
        "Some digits overlap (4 and 9, 3 and 5, 1 and 7): their images are alike, and with two "
        "numbers the decoder rebuilds an average of them: look at their reconstructions.",
        set_params={"code_size": 2, "binary_codes": False, "denoising": False},
        plots=("latent", "reconstructions", "recon_error"),
        run_steps=1500,
    ),
    NarrativeStep(
        "A wider bottleneck",
        "With a **16-unit** code the reconstructions become sharp and the error falls several times "
        "lower. The latent map now shows the **PCA** of the 16-D codes (their two directions of "
        "largest variance; the title and axes say so): less tidy than the 2-D code, because the "
        "network spends its extra room on details such as stroke width and slant, not only on the "
        "digit's class.\n\n"
        "Too wide a code (64 units, as many as pixels) could in principle copy the input. Try "
        "**Reconstruction loss** *mse* too: it penalizes small grey errors less than cross-entropy, "
        "so edges stay softer.",
        set_params={"code_size": 16, "binary_codes": False, "denoising": False},
        plots=("reconstructions", "latent", "recon_error"),
        run_steps=1500,
    ),
    NarrativeStep(
        "Denoising",
        "A **denoising autoencoder** (Vincent et al. 2008) gets a corrupted input x̃ and is asked for the "
        "clean image: L = ℓ(g(f(x̃)), x). Copying is no longer enough; it must know what digits look "
        "like to fill in the missing ink.\n\n"
        "**Denoising** is now on with *masking* noise: each pixel is set to 0 with probability 0.3. The "
        "grid shows the clean image, the corrupted input and the reconstruction. Raise **Noise "
        "level** to 0.6 while it trains, or switch **Corruption** to *gaussian*; the validation error "
        "is measured on corrupted inputs too, so it rises with the noise.",
        set_params={"code_size": 16, "binary_codes": False, "denoising": True, "noise_type": "masking",
                    "noise_level": 0.3},
        plots=("reconstructions", "recon_error"),
        run_steps=1500,
    ),
    NarrativeStep(
        "Binary codes for semantic hashing",
        "Salakhutdinov & Hinton (2009) wanted codes that are **memory addresses**: make the code a "
        "sigmoid layer, c = σ(z + ε), and add Gaussian noise ε ~ 𝒩(0, σ²) before it while training "
        "(σ = 4 here, as in the paper). A unit near 0.5 would pass mostly noise to the decoder, so "
        "the network learns to drive |z| far beyond the noise: the **code activations** pile up at "
        "0 and 1, and thresholding at 0.5 turns each image into a 16-bit code almost without loss.\n\n"
        "Set **Code noise σ** to 0 and press Reset (R) to train without noise: the activations spread "
        "over (0, 1), and rounding them "
        "throws information away (watch *saturated_codes* and the precision).",
        set_params={"binary_codes": True, "code_bits": 16, "code_noise": 4.0, "denoising": False},
        plots=("code_hist", "precision", "latent", "recon_error"),
        run_steps=2000,
    ),
    NarrativeStep(
        "Retrieval by Hamming distance",
        "To find images like a query, compute its code and look at the training images whose codes "
        "differ in the fewest bits: the **Hamming distance** d(a, b) = Σ [aᵢ ≠ bᵢ]. With short codes "
        "this is a look-up: every address within distance 1 or 2 of the query's can be enumerated, "
        "so search time does not grow with the database.\n\n"
        "Green captions share the query's digit. **precision@10**, the share of the 10 nearest that "
        "are relevant, averaged over all validation queries, is far above chance (≈ 0.1) although "
        "no label was used. Change **Query image** to try other digits.",
        set_params={"binary_codes": True, "code_bits": 16, "code_noise": 4.0, "denoising": False},
        plots=("retrieval", "precision", "reconstructions"),
        run_steps=500,
    ),
    NarrativeStep(
        "How many bits?",
        "The bars measure precision@10 using only the **first 4, 8, 16 … bits** of the current code "
        "(prefixes of this one trained code; a code trained at that length would do a little better). "
        "4 bits give only 16 addresses for 1,437 images: many unrelated images share one and "
        "precision drops; each added bit splits the buckets further. Raw pixels with Euclidean "
        "distance are a strong baseline on these tiny, centred digits (about 0.94); 16 bits, two "
        "bytes per image instead of 64 numbers, reach about 0.8.\n\n"
        "Try **Code bits** 32 or 8 and Reset, and compare the bars.",
        set_params={"binary_codes": True, "code_bits": 16, "code_noise": 4.0, "denoising": False},
        plots=("precision_by_bits", "retrieval", "precision"),
        run_steps=500,
    ),
)
