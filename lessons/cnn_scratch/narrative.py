"""The story of the ``cnn_scratch`` lesson (Saitoh, *Deep Learning from Scratch*, ch. 7)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Convolution: a sliding dot product",
        "A fully connected layer flattens an image and forgets which pixels are neighbours. A "
        "**convolution** keeps the picture: a small **kernel** (or filter) K of K×K weights slides over the "
        "image, and at each position the output is the **dot product** of the kernel with the window "
        "under it:\n\n"
        "  y[i, j] = Σᵤ Σᵥ x[i·S + u, j·S + v] · K[u, v]  (+ bias)\n\n"
        "The explainer slides the window over the input one position per tick and fills the output "
        "feature map as it goes: the red window on the input, the kernel's numbers, the nine products "
        "x·K, and above them the dot product, e.g. \"sum of 9 products = 2.00 + bias 0.00 = 2.00\", "
        "which is exactly the output cell outlined in red. (Deep-learning libraries do not flip the "
        "kernel: strictly this is cross-correlation.)\n\n"
        "The explainer has its own **Play**, **Step**, **Reset** and speed, and its own settings (input, "
        "kernel, K, S, P): they change only its picture, never the training of the CNN on the later "
        "pages. Click a pixel of the input or a cell of the output to move the window there.\n\n"
        "The same nine weights are used at every position (**weight sharing**), so the layer finds a "
        "pattern wherever it is: watch the vertical edges of the square light up, red on the dark-to-"
        "light side and blue on the way back.",
        view_settings={"explainer": {"input": "pattern", "kernel": "edge_vertical", "size": 3, "stride": 1,
                                     "padding": 0, "filled": 0, "speed": 8, "playing": True}},
        plots=("explainer",),
    ),
    NarrativeStep(
        "Padding, stride and the output size",
        "Without padding a 3×3 kernel fits only (12 − 3 + 1) = 10 times along a 12-pixel row: every "
        "convolution shrinks the image. **Padding** P adds a border of zeros (dashed blue: the original "
        "image) so that the output can keep the input's size. **Stride** S moves the window S pixels at a "
        "time and shrinks the output by about S in each direction. Together (Saitoh, eq. 7.1):\n\n"
        "  OH = ⌊(H + 2P − K) / S⌋ + 1\n\n"
        "Here H = 12, P = 1, K = 3, S = 2 gives ⌊11/2⌋ + 1 = 6. Try K = 5 with P = 2 and S = 1 (the "
        "'same' padding P = ⌊K/2⌋ keeps 12) in the explainer's own K, S and P boxes, or a kernel bigger "
        "than the padded input: it cannot be placed anywhere, so the explainer refuses it and keeps the "
        "previous setting. Watch the window jump two pixels at a time and the output come out 6×6.",
        view_settings={"explainer": {"input": "pattern", "kernel": "edge_vertical", "size": 3, "padding": 1,
                                     "stride": 2, "filled": 0, "speed": 4, "playing": True}},
        plots=("explainer",),
    ),
    NarrativeStep(
        "Kernels detect features",
        "The input is now a **photo**: compare the explainer's kernels. **edge vertical** ([1 2 1]ᵀ·[−1 0 1], the "
        "Sobel filter) answers where brightness changes from left to right: positive (red) on a dark-to-"
        "light edge, negative (blue) on the way back, about 0 on flat areas. **edge horizontal** does the "
        "same vertically, **blur** averages the window, **sharpen** adds the pixel's difference from its "
        "surroundings.\n\n"
        "A CNN does not get these kernels from us: it learns its own, by gradient descent, like any other "
        "weights. Choose the kernel **learned (conv 1)** to slide one of this network's filters, with its "
        "bias, as it is now (**filter** picks which one, i.e. which feature map); train on the later pages "
        "and come back to see it change. A real layer has many filters (F output channels), and each "
        "filter spans all C input channels: W has shape (F, C, K, K) and the output (N, F, OH, OW).",
        view_settings={"explainer": {"input": "photo", "kernel": "edge_vertical", "size": 3, "stride": 1,
                                     "padding": 1, "filled": 0, "speed": 16, "playing": True}},
        plots=("explainer",),
    ),
    NarrativeStep(
        "im2col: convolution as one matrix product",
        "Looping over positions in Python is slow. **im2col** (Saitoh, section 7.4) copies every "
        "receptive field, the C·K·K input values one output pixel sees, into one row of a matrix of "
        "shape (N·OH·OW, C·K·K). Reshaping the filters to (F, C·K·K) turns the whole layer into a single "
        "matrix product:\n\n"
        "  Y = col(X) · Wᵀ + b   →  (N·OH·OW, F), reshaped to (N, F, OH, OW)\n\n"
        "It costs memory (overlapping windows are copied K² times) but a matrix product is what BLAS "
        "libraries do fastest. The backward pass is the same product transposed, and **col2im** adds each "
        "row's gradient back onto its window. The NumPy engine of this lesson computes every convolution "
        "this way (the explainer's output map too); PyTorch does the same job with tuned kernels, and "
        "both give the same numbers.",
        plots=("explainer", "loss"),
    ),
    NarrativeStep(
        "Pooling",
        "After each convolution and ReLU, a **pooling** layer summarizes each 2×2 block of a feature map "
        "by its **maximum** (max pooling) or its **mean** (average pooling), halving height and width. "
        "It has no weights, keeps the channels apart, and makes the output tolerant to small shifts: a "
        "stroke that moves by a pixel still wins the same max.\n\n"
        "Our network is conv(16 filters, 3×3) → ReLU → pool → conv(32) → ReLU → pool → linear(64) → "
        "ReLU → linear(10). On 8×8 digits the maps go 8×8 → 4×4 → 2×2, while the channels grow 1 → 16 "
        "→ 32: space is traded for features. Each output of the second block sees a 8×8 **receptive "
        "field**, the whole digit.\n\n"
        "The **feature maps** plot shows, one row per layer, the first maps of the chosen validation "
        "image (change **Validation image** to see others).",
        plots=("feature_maps", "explainer"),
        run_steps=20,
    ),
    NarrativeStep(
        "Training the CNN",
        "Training is what it was for the MLP: softmax and cross-entropy on the logits, backpropagation "
        "through every layer (through max pooling the gradient goes only to the pixel that won), and "
        "Adam updates. We ran two epochs: the CNN passes 95 % validation accuracy quickly and reaches "
        "about 98-99 % within a few more, with fewer weights than the MLP's first layer, because weight "
        "sharing builds in that a stroke means the same thing anywhere in the image.\n\n"
        "Switch **Engine** to torch and press Reset: the same initial weights and batches give the same "
        "curve. **First-layer filters** shows the 16 learned 3×3 kernels: many are edge and stroke "
        "detectors, like the hand-made ones. With **Data set** set to cifar10 (colour photos of CIFAR-10, "
        "downloaded once) each filter has a 3×3 kernel for red, green and blue, drawn as one colour patch.",
        plots=("loss", "accuracy", "filters"),
        run_steps=90,
    ),
    NarrativeStep(
        "What feature maps and their gradients show",
        "**Activation maps** are all maps of the inspected convolution for one image: where each filter "
        "found its pattern. **Gradient maps** are ∂L/∂(feature map): how the loss of this image would "
        "change if a map's pixel grew. Red pixels push the loss up (evidence for a wrong class), blue ones "
        "down; near 0 the map does not matter for this image. Backpropagation computes them on the way "
        "to the weight gradients, which are sums of such maps times the layer's input.\n\n"
        "Set **Conv layer to inspect** to 1 and 2 and compare: the first layer's maps still look like the "
        "digit, the second's are coarse 4×4 answers to 'is this part present here?'.",
        plots=("activations", "gradients", "feature_maps"),
        run_steps=100,
    ),
    NarrativeStep(
        "Saliency and gradient ascent",
        "Gradients can also flow to the **input**. The **saliency map** |∂z_c/∂x| (Simonyan et al. 2014) "
        "shows which pixels would change the predicted class's score z_c most: mostly the strokes that "
        "tell this digit from its look-alikes.\n\n"
        "**Gradient ascent** (Erhan et al. 2009; Chollet, ch. 9) asks the opposite question: which input "
        "makes a chosen filter fire most? Start from grey, compute ∂(mean activation)/∂x, step uphill, "
        "repeat a few dozen times (the caption shows the activation before → after). First-layer patterns "
        "are oriented edges; second-layer ones combine them into stroke fragments. Change **Filter to "
        "visualize** to browse them; the pattern is recomputed every 50 training steps.",
        plots=("saliency", "ascent", "activations"),
        run_steps=50,
    ),
)
