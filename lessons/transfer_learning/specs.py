"""The ``transfer_learning`` lesson's controls and plots (declarations only; Qt-free, torch-free)."""
from __future__ import annotations

from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.plotdata import PlotSpec

SHAPES = "small VGG on shapes (offline)"
ANTS_BEES = "VGG-16 ImageNet → ants/bees (download)"
FOLDER = "VGG-16 ImageNet → my image folder"
SETUPS = (SHAPES, ANTS_BEES, FOLDER)
INSPECT = ("fine-tuning", "feature extraction", "from scratch")      # display names, in STRATEGIES' order reversed
PROJECTIONS = ("PCA", "t-SNE")
NAMES = ("from_scratch", "feature_extraction", "fine_tuning")
MAX_BLOCKS = 5                                                        # VGG-16 has five

PARAMS = (
    IntParam("train_per_class", "Training images per class", 120, 10, 500, log=True,
             tooltip="Training images of each target class (shapes setup; hymenoptera has about 120 ants and "
                     "120 bees). Fewer images make pretraining matter more."),
    ChoiceParam("setup", "Setup", SHAPES, SETUPS,
                tooltip="small VGG on shapes: a small VGG pretrained in the app on 8 generated shapes transfers to "
                        "4 shapes it never saw (offline, seconds per epoch). VGG-16 ImageNet → ants/bees: Ogawa's "
                        "ch. 1 setup; downloads VGG-16's weights (528 MB) and hymenoptera (45 MB) once. Offline it "
                        "falls back to the shapes and says so. Three VGG-16s with Adam need about 5 GB of memory and are slow "
                        "on a CPU (images 112 px there, 224 on CUDA). Feature extraction then trains only the new "
                        "last layer (Ogawa ch. 1.3)."),
    PathParam("image_folder", "Image folder", "", "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff);;"
              "All files (*)", used_when=("setup", FOLDER),
              tooltip="Your images in ImageFolder layout: one sub-folder per class (or train/ and val/ holding "
                      "them). Choose any image inside a class folder, or type the folder's path."),
    FloatParam("lr", "Learning rate (head)", 1e-3, 1e-5, 1e-1, log=True, live=True, decimals=5,
               tooltip="Adam step size of every new classifier head, and of every layer of the model trained "
                       "from scratch. Fine-tuned blocks learn at this rate times their multiplier below."),
    FloatParam("lr_top", "Top block lr ×", 0.3, 1e-3, 1.0, log=True, live=True, decimals=3,
               tooltip="Fine-tuning: learning-rate multiplier of the block nearest the head (block 3 of the small "
                       "VGG, block 5 of VGG-16)."),
    FloatParam("lr_middle", "Middle blocks lr ×", 0.1, 1e-3, 1.0, log=True, live=True, decimals=3,
               tooltip="Fine-tuning: multiplier of the middle block(s) (small VGG: block 2; VGG-16: blocks 3-4)."),
    FloatParam("lr_bottom", "Bottom blocks lr ×", 0.03, 1e-3, 1.0, log=True, live=True, decimals=3,
               tooltip="Fine-tuning: multiplier of the block(s) nearest the image (small VGG: block 1; VGG-16: "
                       "blocks 1-2). Their edge and colour detectors are the most general: they need least change."),
    IntParam("trainable_blocks", "Trainable blocks (from the top)", 3, 0, MAX_BLOCKS, live=True,
             tooltip="Fine-tuning: how many convolutional blocks learn, counted from the head down; the others are "
                     "frozen (no gradient, batch norm in inference mode). 0: fine-tuning trains the head only, "
                     "exactly like feature extraction. The small VGG has 3 blocks, VGG-16 has 5."),
    IntParam("batch_size", "Batch size", 32, 8, 128, log=True, live=True,
             tooltip="Images per step; the three models see the same augmented batch."),
    IntParam("crop_pad", "Random crop padding", 4, 0, 8, live=True,
             tooltip="Pad each image with this many black pixels and crop a random window of the original size: "
                     "random shifts (0: off)."),
    BoolParam("flip", "Horizontal flip", True, live=True, tooltip="Mirror a random half of each batch left-right."),
    FloatParam("jitter", "Colour jitter", 0.3, 0.0, 0.8, live=True, decimals=2,
               tooltip="Scale brightness, contrast and saturation by random factors in [1 − s, 1 + s] (0: off)."),
    ChoiceParam("inspect", "Inspect strategy", INSPECT[0], INSPECT, live=True,
                tooltip="Which model the mistakes, the confusion matrix and the 'features now' picture show."),
    ChoiceParam("projection", "Feature projection", PROJECTIONS[0], PROJECTIONS, live=True,
                tooltip="PCA: the two directions of largest variance (instant). t-SNE (scikit-learn): keeps "
                        "neighbours together; computed in the background after each evaluation."),
    IntParam("cpu_threads", "CPU threads", 1, 1, 16,
             tooltip="PyTorch threads on the CPU device. 1 is fastest for the small VGG on a busy machine."),
)
VIEW_PARAMS = frozenset({"inspect", "projection"})


def _series(kind: str) -> tuple[str, ...]:
    return tuple(f"{kind}_{n}" for n in NAMES)


def _moved(strategy: str) -> tuple[str, ...]:
    return tuple(f"{strategy}_block_{b}" for b in range(1, MAX_BLOCKS + 1)) + (f"{strategy}_head",)


MOVED_LABEL = "‖W − W₀‖ / ‖W₀‖ (log)"
PLOTS = (
    PlotSpec("accuracy", "Accuracy (dashed: validation)", "curves",
             series=_series("train_acc") + _series("val_acc"), x_label="step", y_label="accuracy", main="tall",
             tooltip="Share of images classified correctly: on the training batches (augmented; a moving average "
                     "over about 10 batches) and on the validation images. Same batches, same head initialization: "
                     "only the starting weights and what may change differ."),
    PlotSpec("loss", "Loss (dashed: validation)", "curves",
             series=_series("train_loss") + _series("val_loss"), x_label="step", y_label="cross-entropy",
             tooltip="Cross-entropy of each strategy (training: moving average over about 10 batches). ln 4 ≈ 1.39 "
                     "is guessing among four classes."),
    PlotSpec("moved_fine_tuning", "Fine-tuning: weights moved", "curves", series=_moved("fine_tuning"),
             x_label="step", y_label=MOVED_LABEL, log_y=True,
             tooltip="Relative distance of each block's weights from the pretrained ones (the head: from its "
                     "random start). Lower learning rates and frozen blocks keep the pretrained features."),
    PlotSpec("moved_from_scratch", "From scratch: weights moved", "curves",
             series=_moved("from_scratch"), x_label="step", y_label=MOVED_LABEL, log_y=True,
             tooltip="The same distance for the model trained from random weights: every block must move."),
    PlotSpec("features_before", "Features before (pretrained)", "scatter",
             tooltip="Pooled features of the last convolutional block for every validation image, projected to "
                     "2-D, coloured by true class: what the pretrained base alone separates."),
    PlotSpec("features_now", "Features now", "scatter",
             tooltip="The same projection for the inspected strategy's base now. Feature extraction's never "
                     "changes; fine-tuning pulls the classes apart."),
    PlotSpec("mistakes", "Mistakes (true → predicted)", "image_grid",
             tooltip="Validation images the inspected strategy gets wrong, captioned true class → predicted class."),
    PlotSpec("confusion", "Confusion matrix", "matrix",
             tooltip="Validation images of the inspected strategy. Rows: true class; columns: predicted class."),
    PlotSpec("augmented", "Augmented batch (all three models)", "image_grid",
             tooltip="The first images of the current training batch after crop, flip and colour jitter."),
    PlotSpec("summary", "Model summary (torchinfo)", "table",
             tooltip="The fine-tuned model: each layer's output shape, parameters and how many of them train now."),
)
