"""The story of the ``mlp_digits`` lesson: Markdown pages that set parameters, choose plots and run steps."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "The data: handwritten digits",
        "Each image is an 8×8 grid of grey levels, **64 numbers** between 0 (blank) and 1 (full ink). "
        "The network sees only this vector x ∈ ℝ⁶⁴, not the picture: the order of the pixels means "
        "nothing to it.\n\n"
        "The 1,797 images (scikit-learn's digits, from the UCI repository) are split into a **training "
        "set** the network learns from and a **validation set** it never trains on. Validation accuracy "
        "tells us how well it generalizes.\n\n"
        "Before training, the network guesses: almost every validation image is *misclassified*. "
        "Press **Next** to train.",
        set_params={"dataset": "digits"},
        plots=("loss", "accuracy", "misclassified"),
    ),
    NarrativeStep(
        "Softmax and cross-entropy",
        "The last layer outputs one score per class, the **logits** z₀ … z₉. **Softmax** turns them into "
        "probabilities:\n\n"
        "  pₖ = exp(zₖ) / Σⱼ exp(zⱼ)\n\n"
        "The loss of one image with true class y is the **cross-entropy** −log p_y: 0 when the network is "
        "certain and right, large when it is confidently wrong. A network that guesses uniformly has "
        "loss log 10 ≈ 2.30; the untrained network starts near there (a little above: its random "
        "guesses are not quite uniform).\n\n"
        "The gradient of the loss with respect to the logits is simply ∂L/∂zₖ = pₖ − [k = y]: push the "
        "right class up, the others down. Backpropagation carries it through the hidden layers.\n\n"
        "We just ran 300 steps. The **confusion matrix** counts validation images by true class (rows) "
        "and predicted class (columns); errors sit off the diagonal. Which digits get confused?",
        plots=("loss", "accuracy", "confusion"),
        run_steps=300,
    ),
    NarrativeStep(
        "What the first layer learns",
        "Each hidden unit computes h = relu(w · x + b). Its 64 weights w can be drawn as an 8×8 image: "
        "red pixels push the unit up, blue ones push it down; the unit responds most to images that "
        "look like its red pattern.\n\n"
        "The tiles start as random noise (He initialization: w ~ 𝒩(0, 2/64)), and training moves them "
        "only a little: even at 98 % accuracy most tiles still look noisy. The network spreads what it "
        "knows over many units instead of storing one template per digit.\n\n"
        "Now set **L2 penalty** to 0.001 and press Play. Weights that do not help decay toward 0. The "
        "border pixels are blank in almost every image, so the data gives their weights no gradient and "
        "they keep their random start, until L2 fades them to white. Some units fade out entirely; the "
        "others keep smoother, stroke-like patterns.",
        set_params={"l2": 0.0},
        plots=("weights", "accuracy"),
        run_steps=1000,
    ),
    NarrativeStep(
        "Overfitting, dropout and L2",
        "Give a big network few examples and it memorizes them: we now train 512 units on only half of "
        "the images for 3,000 steps. The training loss falls almost to 0, while the validation loss "
        "stops falling after about a thousand steps and then slowly creeps up: the network keeps "
        "getting more confident on images it already knows, which no longer helps on new ones. The "
        "gap between the two curves is **overfitting**.\n\n"
        "Two cures: **L2 regularization** adds (λ/2)·Σw² to the loss, whose gradient λ·w pulls every "
        "weight toward 0 (try λ = 0.0001: it applies at once, and a marker on the curves shows when). "
        "**Dropout** zeroes each hidden unit with probability p during training, so no unit can rely on "
        "another; set it to 0.3 and press Reset (R). On these small, clean images the effect is modest "
        "(compare the gap, not single points: the validation curve is noisy); it grows with bigger "
        "networks and harder data such as Fashion-MNIST.",
        set_params={"hidden_units": 512, "val_fraction": 0.5, "dropout": 0.0, "l2": 0.0},
        plots=("loss", "accuracy"),
        run_steps=3000,
    ),
    NarrativeStep(
        "Weights and gradients over time",
        "These histograms stack one distribution per recorded step: x is the step, y the value, "
        "brightness how many weights have that value (the value axis rescales to fit, so read its "
        "numbers). The weights of a healthy layer spread out slowly; its gradients shrink as the loss "
        "falls.\n\n"
        "Now try activation *sigmoid*, 3 hidden layers and optimizer *sgd*, press Reset, and compare "
        "**Histogram layer** 1 with layer 4 (the output layer): the first layer's gradients are about "
        "40 times smaller and the loss hardly moves. Each sigmoid multiplies the backward signal by at "
        "most 1/4: the **vanishing gradient** problem, which ReLU and He initialization avoid.",
        plots=("weight_hist", "grad_hist", "loss"),
        run_steps=300,
    ),
    NarrativeStep(
        "Two engines, one network",
        "So far the NumPy engine did everything: each layer's forward and backward pass written out by "
        "hand. Switch **Engine** to *torch* and press Reset: the same architecture, initial weights and "
        "batch order run in PyTorch, with autograd computing the gradients.\n\n"
        "Same seed, same settings: the loss curves lie on top of each other up to rounding (float32 "
        "sums in another order). Only dropout breaks the tie: each engine draws its own random masks, "
        "so set Dropout to 0 for this comparison. Export both runs (CSV) to compare them step by step.",
        set_params={"engine": "torch"},
        plots=("loss", "accuracy"),
    ),
    NarrativeStep(
        "Real MNIST and Fashion-MNIST",
        "Set **Data set** to *mnist* (70,000 images of 28×28 pixels) or *fashion_mnist* (clothes: "
        "T-shirts, sneakers, bags …) and press Reset. The files are downloaded once, checked against "
        "their published checksums and cached; offline, the lesson tells you and keeps the 8×8 digits.\n\n"
        "**Training images** caps how many of the 60,000 are used, for speed. Fashion-MNIST is harder: "
        "look at which classes the confusion matrix mixes up (shirts, T-shirts, pullovers and coats).",
        set_params={"engine": "numpy"},
    ),
)
