"""The story of the ``transfer_learning`` lesson (Ogawa ch. 1; Chollet, *Deep Learning with Python* 2e ch. 8)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Three ways to start",
        "A network pretrained on many images has learned features (edges, corners, textures, parts) that other "
        "pictures share. With only **120 training images per class**, how should we use it?\n\n"
        "- **from scratch**: the same architecture with random weights; every layer learns from the 480 images;\n"
        "- **feature extraction**: keep the pretrained convolutional base *frozen* and train only a new "
        "classifier on top (Ogawa ch. 1.3, Chollet ch. 8.3.1);\n"
        "- **fine-tuning**: train the base too, at a *lower* learning rate, so the pretrained features adapt "
        "without being destroyed (Ogawa ch. 1.5, Chollet ch. 8.3.2).\n\n"
        "Offline, the pretrained network is a small VGG (three blocks of 3×3 convolutions) trained on eight "
        "generated shapes; the targets are four shapes it has **never seen** (crescent, arrow, hourglass, tee), "
        "with colour, texture, size, position and clutter as nuisances. Every lesson step draws **one** augmented "
        "batch and updates all three models on it, so they differ only in where they start and what may change.\n\n"
        "The model summary lists each layer's output shape and how many of its parameters train. Press **Next** "
        "to train 300 steps.",
        set_params={"lr": 1e-3, "trainable_blocks": 3, "lr_top": 0.3, "lr_middle": 0.1, "lr_bottom": 0.03},
        plots=("accuracy", "loss", "augmented", "summary"),
    ),
    NarrativeStep(
        "The race",
        "Watch the dashed **validation** curves. Feature extraction starts well above chance at once: the frozen "
        "features already separate the new shapes, and the head only has to read them. Fine-tuning starts the "
        "same way and then pulls ahead, because its base adapts to the new classes. From scratch crawls: 480 "
        "images are too few to learn good filters from random ones.\n\n"
        "The solid **training** curves are measured on augmented batches, so training accuracy can stay below "
        "validation accuracy for a while.",
        plots=("accuracy", "loss"),
        run_steps=300,
    ),
    NarrativeStep(
        "Which weights move",
        "The two lower plots show ‖W − W₀‖ / ‖W₀‖ for each block: how far training has moved its weights from "
        "where they started (the pretrained weights; the head from its random start).\n\n"
        "In the fine-tuned model the head moves a lot and the blocks very little: their learning rates are the "
        "head's times **0.3** (top), **0.1** (middle) and **0.03** (bottom). Lower blocks hold the most general "
        "features (Yosinski et al. 2014), so they need the least change. Trained from scratch, every block must "
        "move far from its random start.\n\n"
        "Try it: set *Bottom blocks lr ×* to 1 and watch block 1's curve climb; a large rate in the base can "
        "erase what pretraining learned (catastrophic forgetting).",
        plots=("moved_fine_tuning", "moved_from_scratch", "accuracy"),
        train_until=300,
    ),
    NarrativeStep(
        "Unfreeze from the top",
        "Chollet's recipe: first train the new head on a frozen base (a random head sends large gradients "
        "into the base), then **unfreeze the top blocks** and continue at a low rate.\n\n"
        "*Trainable blocks* counts blocks from the head down; this step sets it to **1** and trains on: blocks 1 "
        "and 2 freeze where they are (no gradient, `requires_grad = False`, batch norm in inference mode) and their "
        "curves in the movement plot go flat. At 0, fine-tuning trains what feature extraction trains, on the same "
        "batches from the same head (Reset with 0 and the two curves run together). Raise it again while training "
        "and watch a thawed block start moving.",
        set_params={"trainable_blocks": 1},
        plots=("accuracy", "moved_fine_tuning", "summary"),
        run_steps=200,
    ),
    NarrativeStep(
        "Features before and after",
        "Left: the validation images' pooled features from the **pretrained** base, projected to 2-D and coloured "
        "by true class. Right: the same for the inspected strategy **now**.\n\n"
        "The pretrained features already group the new shapes partly: that is why feature extraction works. "
        "Fine-tuning pulls the groups apart. Inspect *feature extraction*: its picture never changes, its base "
        "is frozen. Inspect *from scratch*: its features start as noise.\n\n"
        "PCA shows the two directions of largest variance; t-SNE keeps neighbours together (it is computed in the "
        "background after each evaluation and takes a second or two).",
        set_params={"trainable_blocks": 3},
        plots=("features_before", "features_now", "accuracy"),
        train_until=500,
    ),
    NarrativeStep(
        "Mistakes",
        "The validation images the inspected model gets wrong, captioned true → predicted, and the confusion "
        "matrix (rows: true class, columns: predicted). Which shapes does each strategy confuse? A crescent and "
        "an arrow at a low resolution, a tee seen upside down…",
        plots=("mistakes", "confusion", "accuracy"),
        train_until=500,
    ),
    NarrativeStep(
        "Augmentation",
        "Each image is shown shifted (random crop of a padded image), mirrored and with its colours jittered at "
        "every step (Chollet ch. 8.2.5): the network cannot memorize the 480 pictures as easily. The grid shows "
        "the batch the three models see now.\n\n"
        "Turn augmentation off (padding 0, no flip, jitter 0) and watch the gap between training and validation "
        "accuracy grow, most for the model trained from scratch.",
        plots=("augmented", "accuracy", "loss"),
        run_steps=200,
    ),
    NarrativeStep(
        "The book's setup",
        "Ogawa's chapter 1 starts from **VGG-16** trained on ImageNet (1.2 million photos, 1,000 classes) and "
        "transfers it to **ants and bees** (hymenoptera, about 120 of each). Choose *VGG-16 ImageNet → ants/bees* "
        "under Setup and press Reset: the weights (528 MB) and the images (45 MB) are downloaded once. The same "
        "three strategies then run on VGG-16; fine-tuning's bottom, middle and top sliders set blocks 1-2, 3-4 and "
        "5. On a CPU it is slow (images 112 px); on a GPU it uses 224 px as the book does.\n\n"
        "Your own photos work the same way: *VGG-16 ImageNet → my image folder* with one sub-folder per class. "
        "The fine-tuned small VGG is also published to the model shelf: open **Interpretability** to look "
        "inside it.",
        plots=("accuracy", "summary", "mistakes"),
    ),
)


def divergence_hint(lr: float) -> str:
    """What to do when a loss turns NaN or infinite."""
    return (f"A loss became NaN or infinite: the learning rate ({lr:g}) is probably too high for Adam here "
            "(1e-3 works). Lower it and press Reset (R).")
