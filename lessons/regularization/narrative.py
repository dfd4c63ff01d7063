"""The story of the ``regularization`` lesson: one configuration per page, each a fresh run whose curves
stay drawn (faded, labelled with what changed) next to the earlier ones."""
from visualizer.core.lesson import NarrativeStep

OFF = {"l1": 0.0, "l2": 0.0, "dropout": 0.0, "batchnorm": False, "input_noise": 0.0, "early_stopping": False}

NARRATIVE = (
    NarrativeStep(
        "Too big a network, too little data",
        "Machine learning is about **generalization**: doing well on images the network has never seen. "
        "Here the network trains on only **200** of the 1,797 digits and is validated on the other "
        "1,597.\n\n"
        "The network is deliberately oversized, like Saitoh's 7-layer overfitting example: 5 hidden layers "
        "of 100 ReLU units, 64·100 + 4·100·100 + 100·10 ≈ **47,400 weights**, about 240 per training "
        "image. That is enough capacity to store every training image's label outright.\n\n"
        "Press **Next** to train it for 600 steps (100 epochs) with no regularization at all.",
        set_params=dict(OFF, train_size=200, hidden_layers=5, hidden_units=100),
        plots=("loss", "accuracy", "gap", "summary"),
    ),
    NarrativeStep(
        "Overfitting: memorizing instead of learning",
        "After about 20 epochs the training accuracy reaches **100 %** and the training loss keeps falling "
        "toward 0, while the validation accuracy stalls near 91 % and the validation loss, after its "
        "minimum, slowly climbs. The network has become more and more confident on images it already "
        "knows, which no longer helps (and begins to hurt) on new ones.\n\n"
        "The **generalization gap** plot shows it directly: gap_acc = train acc − val acc (about 0.08) and "
        "gap_loss = val loss − train loss, both on the whole training set with the network in evaluation "
        "mode. Chollet's ch. 5 calls this the tension between **optimization** (fit the training data) "
        "and generalization. The cures below all limit what the network can memorize.",
        set_params=dict(OFF),
        plots=("loss", "accuracy", "gap", "summary"),
        run_steps=600,
    ),
    NarrativeStep(
        "L2 regularization (weight decay)",
        "Add a penalty on large weights to the loss:\n\n"
        "  L̃ = L + (λ/2)·Σ w²   ⇒   ∂L̃/∂w = ∂L/∂w + λ·w\n\n"
        "Every step pulls each weight toward 0 in proportion to its size (with plain SGD: "
        "w ← (1 − ηλ)·w − η·∂L/∂w, hence *weight decay*). Only weights the data keeps pushing survive.\n\n"
        "This run uses λ = 0.01 from the same start (the earlier run stays drawn, faded). The **weight "
        "norm** ‖W‖ falls from about 33 to about 13 and the histogram of layer 2 narrows. The validation "
        "loss and the loss gap shrink; the validation accuracy barely moves on these digits.\n\n"
        "Note the bright line at 0 in the histogram: we train with **Adam**, which divides each gradient by "
        "its running RMS. For a weight the data no longer pushes, λ·w is rescaled to a step of about η "
        "whatever its size, so L2 under Adam zeroes weights almost like L1. AdamW (Loshchilov & Hutter "
        "2019) applies the decay outside the adaptive step to restore true weight decay.",
        set_params=dict(OFF, l2=0.01),
        plots=("loss", "gap", "norm", "weight_hist"),
        run_steps=600,
    ),
    NarrativeStep(
        "L1 regularization: a sparse network",
        "The L1 penalty uses absolute values instead:\n\n"
        "  L̃ = L + λ·Σ |w|   ⇒   ∂L̃/∂w = ∂L/∂w + λ·sign(w)\n\n"
        "The pull toward 0 is the same size for every weight, however small, so weights the data does "
        "not need are driven all the way to 0 (they then hover there, flipping sign). The **near-zero "
        "weights** curve climbs from about 5 % to over 70 % and the weight histogram piles up in a bright "
        "line at 0: a **sparse** network that uses a fraction of its connections. The L2 run (faded) got "
        "to about 45 % only through Adam's rescaling; with plain SGD, L2 shrinks weights but leaves few "
        "at exactly zero.",
        set_params=dict(OFF, l1=0.001),
        plots=("sparsity", "norm", "weight_hist", "gap"),
        run_steps=600,
    ),
    NarrativeStep(
        "Dropout",
        "**Dropout** (Srivastava et al. 2014) zeroes each hidden unit with probability p at every training "
        "step and scales the survivors by 1/(1 − p), so the expected activation is unchanged; at "
        "evaluation the whole network runs. No unit can rely on a particular other unit being present, and "
        "training in effect averages an ensemble of 2ⁿ thinned networks that share weights.\n\n"
        "With p = 0.3 the training loss is noisier and falls more slowly (the network is handicapped during "
        "training only), so we train 900 steps. On these digits dropout gains about a point of validation "
        "accuracy; the loss gap stays similar. Both engines draw the same masks from the lesson's seed, so "
        "NumPy and PyTorch still give the same curves.",
        set_params=dict(OFF, dropout=0.3),
        plots=("loss", "accuracy", "gap", "summary"),
        run_steps=900,
    ),
    NarrativeStep(
        "Noise as a regularizer: input noise and batch normalization",
        "Adding Gaussian noise x̃ = x + ε, ε ~ 𝒩(0, σ²), to every training image is the simplest **data "
        "augmentation**: the network never sees the same image twice, so it cannot memorize pixels. For a "
        "linear model it is equivalent to an L2 penalty (Bishop 1995). With σ = 0.5 (pixels lie in [0, 1]) "
        "the loss gap roughly halves and the validation loss is the lowest so far; training accuracy "
        "stays just below 100 %.\n\n"
        "**Batch normalization** also injects noise: each image is normalized with the statistics of its "
        "random mini-batch. Its regularizing effect is a side effect (its purpose is easier optimization); "
        "switch *Batch normalization* on, Input noise to 0, and press Reset to see how little it does here.",
        set_params=dict(OFF, input_noise=0.5),
        plots=("loss", "accuracy", "gap", "summary"),
        run_steps=900,
    ),
    NarrativeStep(
        "Early stopping",
        "The validation loss of the unregularized network was lowest after about 150 steps. **Early "
        "stopping** watches it: after each evaluation (one per epoch) it remembers the weights if the "
        "validation loss is the lowest yet; when **Patience** evaluations pass without a new best, it "
        "stops and restores the best weights.\n\n"
        "Watch the notice: training stops around step 200 and the summary's two rows agree, because the "
        "current weights *are* the best ones. Early stopping treats the number of steps as a "
        "hyperparameter tuned on the validation set (Goodfellow et al., section 7.8): cheap, and it "
        "combines with every other cure. Switch it off to train on from the restored weights.",
        set_params=dict(OFF, early_stopping=True, patience=10),
        plots=("loss", "accuracy", "summary"),
        run_steps=600,
    ),
    NarrativeStep(
        "Combining the cures, and the best cure of all",
        "The cures add up: batch normalization, dropout 0.2, L2 0.005 and input noise 0.2 together give "
        "the lowest validation loss (about 0.2 against 0.37) and the best validation accuracy (about 94 % "
        "against 92 %, averaged over 3 seeds). Compare the summary with the earlier runs' curves.\n\n"
        "Yet the strongest regularizer is **more data** (Chollet: \"the best way to improve "
        "generalization is to get more training data\"). Set *Training images* to 800, all cures off, "
        "and press Reset: validation accuracy climbs to about 96 %, more than any cure managed. "
        "Regularization is what we do "
        "when the data we have is all we have.",
        set_params=dict(OFF, batchnorm=True, dropout=0.2, l2=0.005, input_noise=0.2),
        plots=("loss", "accuracy", "gap", "summary"),
        run_steps=900,
    ),
)
