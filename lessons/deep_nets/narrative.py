"""The story of the ``deep_nets`` lesson: Markdown pages that set parameters, choose plots and run steps."""
from visualizer.core.lesson import NarrativeStep

PLAIN_SIGMOID = {"depth": 20, "residual": False, "batchnorm": False, "activation": "sigmoid", "init": "xavier",
                 "optimizer": "momentum", "lr": 0.01, "train_twin": False}

NARRATIVE = (
    NarrativeStep(
        "Initialization decides what the layers see",
        "Saitoh's experiment (*Deep Learning from Scratch*, §6.2): push data through a deep stack of sigmoid "
        "layers and draw a histogram of every layer's outputs. Each column of the **activation histograms** is "
        "one hidden layer, from left (near the input) to right; the colour is how many of the layer's values "
        "fall in each bin.\n\n"
        "Here the weights are drawn from **N(0, 1)**. A unit sums n = 64 inputs, so its pre-activation has "
        "a standard deviation of about √n · 0.5 ≈ 4: the sigmoid **saturates**, its outputs pile up at 0 and 1, "
        "where σ'(z) = σ(z)(1 − σ(z)) ≈ 0. Saturated units pass almost no gradient back.\n\n"
        "Now set **Initialization** to *std_0.01* and press Reset (R): every pre-activation is nearly 0, every "
        "output nearly 0.5, and from the second layer on all units compute the same value. The network has "
        "lost its **expressiveness**: 64 units behave like one.",
        set_params={**PLAIN_SIGMOID, "init": "std_1"},
        plots=("activations", "grad_bars", "loss"),
    ),
    NarrativeStep(
        "Xavier and He initialization",
        "Glorot & Bengio (2010) asked for weights that keep the variance of the signal the same from layer to "
        "layer, forward and backward. For a layer with n_in inputs and n_out outputs this gives "
        "**Var w = 2 / (n_in + n_out)**, about 1/n for square layers (**Xavier** initialization). The "
        "histograms now spread over the whole range in every layer.\n\n"
        "ReLU zeroes half of its inputs, which halves the variance at each layer; **He** initialization "
        "(He et al. 2015) compensates with **Var w = 2 / n_in**. Try *relu* with *xavier* (the histograms "
        "shrink toward 0, layer after layer, until the last ones are all zero) and with *he* (they keep "
        "most of their spread). Each change needs Reset (R).",
        set_params={**PLAIN_SIGMOID},
        plots=("activations", "grad_bars", "loss"),
    ),
    NarrativeStep(
        "Vanishing gradients in a 20-layer sigmoid network",
        "Good activations are not enough. Backpropagation multiplies the gradient at each layer by Wᵀ and by "
        "the activation's derivative, and the sigmoid's derivative is **at most 1/4**:\n\n"
        "  ∂L/∂hₗ = Wₗ₊₁ᵀ (σ′(zₗ₊₁) ⊙ ∂L/∂hₗ₊₁)\n\n"
        "After 19 such factors the first layer receives a gradient about **10⁻¹²** times the last layer's. "
        "The **heatmap** shows log₁₀ ‖∂L/∂W_l‖ for every layer (rows, 1 at the bottom) at every step: a dark "
        "band covers the lower layers. They do not learn, and since the upper layers only see random "
        "features of the input, the loss stays at log 10 ≈ 2.30 and the accuracy at chance.\n\n"
        "This is the **vanishing gradient problem** (Hochreiter 1991; Bengio et al. 1994). Even at Depth 6 "
        "the first layer gets a thousandth of the last one's gradient. Try *tanh*: tanh'(0) = 1 and its "
        "outputs are centred on 0, the band disappears and the 20 layers learn.",
        set_params={**PLAIN_SIGMOID},
        plots=("grad_heatmap", "grad_bars", "loss", "accuracy"),
        run_steps=300,
    ),
    NarrativeStep(
        "Exploding gradients",
        "The opposite failure: with ReLU and weights from N(0, 1), each layer multiplies the scale of the "
        "signal by about √(n/2) ≈ 5.7. Over 20 layers the activations reach 10¹³ (see the histograms' value "
        "axis) and the logits are astronomically large; the gradient of every layer is about **10¹⁴** (the "
        "bars are log₁₀ values). The first update throws the weights far away and the loss becomes NaN: "
        "the run pauses.\n\n"
        "The cure is an initialization whose variance keeps the gain of every layer near 1 (He for ReLU), "
        "a smaller learning rate, or clipping the gradient norm. Switch **Initialization** to *he* and "
        "press Reset (R).",
        set_params={**PLAIN_SIGMOID, "activation": "relu", "init": "std_1"},
        plots=("grad_bars", "activations", "loss"),
    ),
    NarrativeStep(
        "Batch normalization",
        "Ioffe & Szegedy (2015) normalize every pre-activation over the mini-batch,\n\n"
        "  x̃ = (x − μ) / √(σ² + ε),  y = γ·x̃ + β,\n\n"
        "where μ and σ² are the mean and variance of each unit over the batch. Each layer's input keeps mean 0 and variance 1 (then a learned scale γ and shift β) however the "
        "weights before it change. The sigmoid stays in its steep middle, the histograms look alike in every "
        "layer, and the gradient band brightens.\n\n"
        "The same 20-layer sigmoid network that did not move before now learns: the first layer's gradient "
        "is as large as the last one's, and validation accuracy passes 95 % within a few hundred steps. BN "
        "also forgives a poor initialization: try *std_1* or *std_0.01* with it. Its statistics are those "
        "of the batch, so it needs at least 2 images per batch; at evaluation running averages replace them.",
        set_params={**PLAIN_SIGMOID, "batchnorm": True},
        plots=("grad_heatmap", "activations", "loss", "accuracy"),
        run_steps=300,
    ),
    NarrativeStep(
        "Residual connections",
        "He et al. (2016) let each block learn a **residual** F(x) and add its input back: **y = x + F(x)**, "
        "with F = Linear → BN → act → Linear. Backward, the identity adds a path that no derivative can "
        "shrink:\n\n"
        "  ∂L/∂x = ∂L/∂y · (I + ∂F/∂x)\n\n"
        "Even with sigmoids, the first layer now gets a gradient within an order of magnitude of the last. "
        "The comparison plot trains the **plain** and the **residual** network in lockstep on the same "
        "batches: the residual one learns, the plain one does not. With ReLU, He initialization and batch "
        "normalization (the ResNet recipe) it reaches about 97 % validation accuracy in a few hundred steps; "
        "try Depth 40.",
        set_params={**PLAIN_SIGMOID, "residual": True, "train_twin": True},
        plots=("compare", "grad_heatmap", "accuracy"),
        run_steps=400,
    ),
    NarrativeStep(
        "Inception: going wider instead of deeper",
        "Szegedy et al. (2015) built GoogLeNet from **Inception modules**: four branches see the same feature "
        "maps in parallel, a **1×1** convolution, a **3×3** and a **5×5** convolution, and a 3×3 **max pool** "
        "followed by a 1×1 convolution; their outputs are concatenated along the channel axis. The network "
        "chooses, per channel, which receptive field to use.\n\n"
        "The **1×1 convolutions** before the 3×3 and 5×5 kernels are **bottlenecks**: they mix the C input "
        "channels into a few (here 8 → 4 and 8 → 2), so a 5×5 convolution to F maps costs 8·2 + 25·2·F "
        "multiply-adds per pixel instead of 25·8·F.\n\n"
        "The view runs a digit through a 3×3 stem (8 maps) and one module with random He weights "
        "(untrained): each row shows a branch's first maps, the top row the channel count of the "
        "concatenation. Change **Inception input** to see other digits; the larger kernels blur strokes "
        "over wider neighbourhoods.",
        plots=("inception",),
    ),
)
