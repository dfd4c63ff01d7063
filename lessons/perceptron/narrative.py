"""The story of the ``perceptron`` lesson (Yoon, *Python raw-coding deep learning*, ch. 1-3)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "A neuron is a weighted sum",
        "A **single-layer perceptron** takes a row of features x = (x₁ … x_D) and computes, for each of "
        "its output neurons,\n\n"
        "  z = w₁x₁ + w₂x₂ + … + w_Dx_D + b = x · w + b\n\n"
        "one **weight** wᵢ per feature and a **bias** b. A layer of K neurons is one matrix product, "
        "Z = X W + b with W of shape D × K: that is all the network there is.\n\n"
        "Yoon's first model predicts the age of abalone shells; we use the **diabetes** data instead: "
        "10 measurements of 442 patients (age, sex, body-mass index, blood pressure, six blood values) "
        "and a score of how far the disease progressed a year later (25 to 346). For **regression** the "
        "output is z itself: ŷ = z.\n\n"
        "The bars show the 10 weights, starting near 0 (small random numbers). The map shows the model's "
        "prediction over two features (the others held at their mean), and the scatter plot predicted "
        "against true values; the loss curve will show how wrong it is. Press **Next** to train.",
        set_params={"dataset": "diabetes", "task": "auto", "standardize": True, "optimizer": "sgd", "lr": 0.01,
                    "batch_size": 10},
        plots=("weights", "boundary", "results", "loss"),
    ),
    NarrativeStep(
        "Mean squared error and its gradient, by hand",
        "How wrong is the model? For a mini-batch of N rows the **mean squared error** is\n\n"
        "  L = (1/N) Σₙ (ŷₙ − yₙ)²\n\n"
        "Its gradient needs only the chain rule: ∂L/∂ŷₙ = 2(ŷₙ − yₙ)/N, and since ŷ = x · w + b,\n\n"
        "  ∂L/∂w = (2/N) Xᵀ(ŷ − y),  ∂L/∂b = (2/N) Σₙ (ŷₙ − yₙ)\n\n"
        "**Stochastic gradient descent** moves every weight a small step against its gradient: "
        "w ← w − η ∂L/∂w, with the learning rate η. Yoon codes exactly this by hand; the NumPy engine "
        "here does too (the torch engine lets autograd do it, with the same numbers).\n\n"
        "We ran 300 steps of 10 rows. The loss falls from about 27,000 (ŷ ≈ 0 for targets around 150) to "
        "about 3,000, and the points gather along the line ŷ = y. The body-mass index (bmi) and a serum "
        "triglyceride measure (ltg, called s5 in the original data) get "
        "the longest bars: with standardized inputs, a weight's size says how much the model relies on "
        "its feature.",
        plots=("loss", "results", "weights"),
        run_steps=300,
    ),
    NarrativeStep(
        "Yoon's accuracy for regression, and why it misleads",
        "Yoon reports an 'accuracy' for regression too: 1 − mean(|ŷ − y| / |y|), one minus the mean "
        "**relative error**; this lesson calls it the *mean relative-error accuracy*. It reads like "
        "a percentage, but look at what it rewards. On this validation split:\n\n"
        "* always predicting the mean (151) scores 0.38, with R² = 0.00;\n"
        "* always predicting 100, *worse* by every squared or absolute error (R² = −0.51), scores 0.55;\n"
        "* the trained model scores about 0.6 with R² ≈ 0.5.\n\n"
        "Dividing by |y| makes an error on a small target count many times more than the same error on a "
        "large one, so guessing low pays, and a y near 0 makes the ratio explode. The **coefficient of "
        "determination** R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² compares the model with the best constant "
        "guess instead: 0 means no better than the mean, 1 a perfect fit. Read R² and the mean "
        "absolute error (in the target's units) first.",
        plots=("accuracy", "scores", "loss", "results"),
        run_steps=200,
    ),
    NarrativeStep(
        "Two classes: sigmoid and binary cross-entropy",
        "Yoon's second model tells pulsars from noise; we use **breast cancer**: 30 measurements of "
        "cell nuclei in 569 biopsies, malignant (the *positive* class, 212) or benign (357).\n\n"
        "One neuron still computes z = x · w + b, now a **logit**. The **sigmoid** σ(z) = 1 / (1 + e⁻ᶻ) "
        "squashes it into a probability p = P(malignant), and the loss is the **binary cross-entropy**\n\n"
        "  L = −(1/N) Σₙ [yₙ log pₙ + (1 − yₙ) log(1 − pₙ)]\n\n"
        "Its gradient is as simple as the MSE's: ∂L/∂zₙ = (pₙ − yₙ)/N. (It is computed from z, with "
        "max(z, 0) − z·y + log(1 + e⁻|ᶻ|), which never overflows.)\n\n"
        "The map colours P(malignant) from orange (0) to blue (1) over the two most telling features; "
        "the boundary p = 0.5 is where z = 0, a straight line: a perceptron separates classes with a "
        "hyperplane. Validation accuracy passes 95 % within a few epochs.",
        set_params={"dataset": "breast_cancer", "task": "auto", "standardize": True, "lr": 0.01},
        plots=("boundary", "loss", "accuracy", "weights"),
        run_steps=400,
    ),
    NarrativeStep(
        "Precision, recall and F1",
        "Accuracy hides *which* mistakes the model makes. Saying 'benign' for everyone is already 63 % "
        "accurate here, and for Yoon's pulsars, where about 1 star in 11 is a pulsar, 'never a pulsar' "
        "scores 91 %. Count the outcomes for the positive class instead (the confusion matrix):\n\n"
        "* **precision** = TP / (TP + FP): of the rows called malignant, the share that are;\n"
        "* **recall** = TP / (TP + FN): of the malignant rows, the share found;\n"
        "* **F1** = 2·precision·recall / (precision + recall), their harmonic mean, high only if both are.\n\n"
        "The trivial 'benign' classifier has recall 0 and F1 0. Here a missed malignancy (FN) costs more "
        "than a false alarm: which of the two does the model trade off? (The threshold is p = 0.5; "
        "moving it trades precision for recall.) For more than two classes the lesson reports the "
        "**macro** average: each metric per class, then their plain mean, so small classes count as much "
        "as large ones.",
        plots=("scores", "results", "accuracy"),
        run_steps=200,
    ),
    NarrativeStep(
        "Several classes: softmax",
        "Yoon's third model sorts steel-plate faults into 7 kinds; we sort **wine** into 3 cultivars "
        "from 13 chemical measurements. The layer now has one neuron per class, giving logits "
        "z₁ … z_K, and **softmax** turns them into probabilities that sum to 1:\n\n"
        "  pₖ = exp(zₖ) / Σⱼ exp(zⱼ)\n\n"
        "The loss is the cross-entropy −log p_y of the true class, and again ∂L/∂zₖ = (pₖ − [k = y])/N.\n\n"
        "Each class has its own weights: choose whose with **Weights of class**. On the map each class "
        "owns a colour band, pale where the model hesitates; the boundaries between classes are where "
        "two logits are equal, again straight lines. The confusion matrix counts validation wines by "
        "true and predicted cultivar.",
        set_params={"dataset": "wine", "task": "auto", "standardize": True, "lr": 0.01, "weight_class": 1},
        plots=("boundary", "weights", "results", "loss"),
        run_steps=200,
    ),
    NarrativeStep(
        "Why standardize the features",
        "Yoon feeds the raw numbers in. Here **Standardize features** is now off: the wine features "
        "range from hue (about 1) to proline (about 750). The gradient of a weight is proportional to "
        "its feature's values, so the proline weight gets steps hundreds of times larger than the hue "
        "weight: a learning rate small enough for proline barely moves the others, one large enough for "
        "the others makes proline jump. The loss spikes and the validation accuracy stays far below "
        "the 95-100 % of the standardized run.\n\n"
        "Standardizing, x' = (x − mean) / std with the *training* split's statistics, puts every feature "
        "on the same scale, so one learning rate suits all of them, and the weights become comparable. "
        "Try the raw diabetes data too: learning rates above about 10⁻⁵ make the loss overflow "
        "(the run pauses); with standardization 0.01 trains well. Turn the option back on and press "
        "Reset (R) to compare the curves.",
        set_params={"dataset": "wine", "standardize": False, "lr": 0.01},
        plots=("loss", "accuracy", "weights"),
        run_steps=300,
    ),
)
