"""The ``pspnet`` lesson's controls and plots (declarations only; Qt-free, torch-free)."""
from __future__ import annotations

from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.plotdata import PlotSpec

CLASSES = ("circle", "square", "triangle", "star", "person")        # visualizer.data.scenes.SCENE_CLASSES
NAMES = ("background",) + CLASSES                                   # the network's output channels
VARIANTS = ("small", "pspnet50")
N_VAL = 64                                                          # held-out scenes (small variant)
MODELS = ("pspnet", "no_ppm")                                       # the twin without pyramid pooling: "no_ppm"
BINS = (1, 2, 3, 6)
SMALL_STRIDE = 4        # 64 px scenes: 16x16 features (stride 8 leaves 8x8 and stalled near mIoU 0.65)

PARAMS = (
    BoolParam("twin", "Train the twin without PPM", True,
              tooltip="Train a second network, identical except that its decoder reads the features without "
                      "the pyramid pooling module, on the same batches: what global context adds. Halves the "
                      "speed."),
    ChoiceParam("variant", "Network", VARIANTS[0], VARIANTS,
                tooltip="small: a few residual conv blocks, the last two dilated by 2 and 4 (output stride 4: "
                        "16x16 features), the pyramid (bins 1, 2, 3, 6) and the auxiliary branch, on 64 px scenes "
                        "(trains on a CPU). "
                        "pspnet50: the book's PSPNet, a dilated ResNet-50 (49 M parameters) at 475 px: a few "
                        "seconds per image on a CPU, 2 images per step there."),
    IntParam("train_scenes", "Training scenes", 2000, 16, 20000, log=True,
             tooltip="Generated training scenes (64 px; seeded). 64 other scenes are held out for the mIoU."),
    FloatParam("max_scale", "Largest object (share of the image)", 0.9, 0.3, 0.9, decimals=2,
               tooltip="Objects' sides range from 0.25 of the image to this share. Large objects are where "
                       "global context matters: a local window inside a big square sees only texture."),
    FloatParam("lr", "Learning rate", 2e-3, 1e-5, 1e-1, log=True, live=True, decimals=5,
               tooltip="Adam step size of both networks (the book uses SGD with momentum and a poly schedule; "
                       "Adam gets a small net there faster on a CPU)."),
    IntParam("poly_steps", "Learning-rate decay steps", 3000, 0, 100000, live=True,
             tooltip="The book's poly schedule: the learning rate falls as (1 − step / this)^0.9 and stays at "
                     "about 7% of it afterwards. 0: constant. Late small steps settle the noisy held-out mIoU."),
    IntParam("batch_size", "Batch size", 16, 2, 64, log=True, live=True,
             tooltip="Scenes per step; both networks see the same batch. At least 2: the pyramid's 1x1 bin "
                     "has one value per channel and image, and batch norm needs more than one."),
    FloatParam("aux_weight", "Auxiliary loss weight", 0.4, 0.0, 1.0, live=True, decimals=2,
               tooltip="loss = main cross-entropy + weight × auxiliary cross-entropy (the branch on stage 3's "
                       "features). The book and the paper use 0.4; 0 turns the deep supervision off."),
    ChoiceParam("show_class", "Class channel", CLASSES[0], NAMES, live=True,
                tooltip="Which class's output channel the pyramid picture explains."),
    IntParam("image", "Held-out image", 6, 0, N_VAL - 1, live=True,
             tooltip="Which held-out scene the mask and pyramid pictures show."),
    IntParam("cpu_threads", "CPU threads", 1, 1, 16,
             tooltip="PyTorch threads on the CPU device. 1 is fastest for the small net on a busy machine."),
)
VIEW_PARAMS = frozenset({"show_class", "image"})


def iou_series(model: str = "pspnet") -> tuple[str, ...]:
    """Curve names of the per-class IoU of ``model``."""
    suffix = "" if model == "pspnet" else f"_{model}"
    return tuple(f"iou_{c}{suffix}" for c in NAMES)


PLOTS = (
    PlotSpec("masks", "Held-out scene: truth, PSPNet, no PPM", "annotated_image", main="tall",
             tooltip="The held-out scene picked under 'Held-out image': the input, its true mask and the masks "
                     "the PSPNet and its twin without pyramid pooling predict (colours: the classes in the "
                     "legend). Compare the two predictions on the largest objects."),
    PlotSpec("miou", "mIoU on held-out scenes", "curves", series=("miou", "miou_no_ppm"), x_label="step",
             y_label="share (mIoU)", y_range=(0.0, 1.0),
             tooltip="Mean over the six classes (background included) of intersection over union, TP / (TP + FP "
                     "+ FN) over all pixels of the 64 held-out scenes, for the PSPNet and the twin without "
                     "pyramid pooling."),
    PlotSpec("loss", "Loss (dashed: held-out)", "curves",
             series=("main_loss", "aux_loss", "main_loss_no_ppm", "val_loss", "val_loss_no_ppm"), x_label="step",
             y_label="cross-entropy",
             tooltip="Pixel cross-entropy of the main output and of the auxiliary branch on stage 3's features "
                     "(training batches), of the twin, and of both on the held-out scenes. The step minimizes "
                     "main + weight × auxiliary."),
    PlotSpec("ppm_branches", "What each pyramid level says about the class", "image_grid",
             tooltip="For the chosen class channel and held-out scene: activation × gradient of the class's "
                     "mean logit, summed over the channels of each part of the decoder's input: the local "
                     "features and the 1x1, 2x2, 3x3 and 6x6 pooled branches (upsampled). Red raises the class "
                     "score, blue lowers it."),
    PlotSpec("class_iou", "IoU per class (PSPNet)", "curves", series=iou_series(), x_label="step",
             y_label="share (IoU)", y_range=(0.0, 1.0),
             tooltip="Intersection over union of each class on the held-out scenes."),
    PlotSpec("consistency", "One label per object", "curves", series=("consistency", "consistency_no_ppm"),
             x_label="step", y_label="share of object pixels", y_range=(0.0, 1.0),
             tooltip="Share of object pixels that carry their object's most frequent predicted label. Below 1: "
                     "parts of one object get different classes, the mistake global context fixes (Zhao et al. "
                     "2017, fig. 2)."),
    PlotSpec("confusion", "Pixel confusion matrix (PSPNet)", "matrix",
             tooltip="Held-out pixels: rows true class, columns predicted class, each row as shares of the "
                     "class's pixels."),
)
