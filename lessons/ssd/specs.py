"""The ``ssd`` lesson's controls and plots (declarations only; Qt-free, torch-free)."""
from __future__ import annotations

from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, PathParam, TextParam
from visualizer.core.plotdata import PlotSpec
from visualizer.data.scenes import SCENE_CLASSES

VARIANTS = ("small", "ssd300")
RATIOS = ("all", "1", "1'", "2", "1/2", "3", "1/3")
SCENES = "generated scenes"
VOC_DOWNLOAD = "VOC2007 (download)"
VOC_FOLDER = "VOC folder"
DATASETS = (SCENES, VOC_DOWNLOAD, VOC_FOLDER)

PARAMS = (
    ChoiceParam("dataset", "Data", SCENES, DATASETS,
                tooltip="generated scenes: shapes and stick figures on cluttered backgrounds (offline, the default). "
                        "VOC2007 (download): Pascal VOC 2007 trainval (about 440 MB, once; 20 classes, as in the "
                        "book); offline it falls back to the scenes and says so. VOC folder: your VOC<year> folder "
                        "(JPEGImages/ + Annotations/). Photos at 64 px are hard for the small SSD."),
    PathParam("voc_folder", "VOC folder", "", "All files (*)", used_when=("dataset", VOC_FOLDER),
              tooltip="The VOC<year> folder holding JPEGImages/ and Annotations/ (and ImageSets/Main/trainval.txt)."),
    IntParam("train_scenes", "Training scenes", 2000, 16, 20000, log=True,
             tooltip="Generated scenes (or VOC images) to train on (a scene has 1 to 4 objects); 200 held-out "
                     "scenes measure mAP (VOC: the last fifth of the images read, at most 200)."),
    ChoiceParam("variant", "Model", VARIANTS[0], VARIANTS,
                tooltip="small: an SSD with four source maps (16, 8, 4, 2 cells; 1,520 default boxes) and batch "
                        "norm that trains on 64-pixel scenes on the CPU. ssd300: the book's SSD300 (VGG-16 base, "
                        "L2Norm on conv4_3, dilated conv6, extras; source maps 38/19/10/5/3/1; 8,732 default boxes) "
                        "on 300-pixel scenes, random weights, batches of at most 4: slow on a CPU."),
    FloatParam("lr", "Learning rate", 2e-3, 1e-5, 1e-1, log=True, live=True, decimals=5,
               tooltip="Adam step size (the book uses SGD with momentum at 1e-3 on VOC)."),
    IntParam("batch_size", "Batch size", 32, 1, 128, log=True, live=True, tooltip="Scenes per step."),
    FloatParam("iou_threshold", "Matching IoU threshold", 0.5, 0.1, 0.9, live=True, decimals=2,
               tooltip="A default box is positive when its IoU with a ground-truth box reaches this (each ground "
                       "truth's best default box is positive anyway). Live: the next step matches with it."),
    FloatParam("neg_pos", "Negatives per positive", 3.0, 0.5, 10.0, live=True, decimals=1,
               tooltip="Hard negative mining keeps, per image, this many background boxes per positive: those "
                       "with the highest confidence loss (the paper uses 3)."),
    FloatParam("conf_threshold", "Confidence threshold", 0.5, 0.01, 0.99, live=True, decimals=2,
               tooltip="Detections below this class probability are dropped (view only; mAP uses 0.01)."),
    FloatParam("nms_iou", "NMS IoU", 0.45, 0.05, 0.95, live=True, decimals=2,
               tooltip="Non-maximum suppression (torchvision.ops.batched_nms, per class): a box overlapping a "
                       "better one of its class by more than this is dropped (view only)."),
    IntParam("image_index", "Validation image", 2, 0, 199, live=True,
             tooltip="Which held-out scene the pictures show."),
    IntParam("source_map", "Source map", 2, 1, 6, live=True,
             tooltip="Default boxes view: 1 is the finest map (small boxes), the last the coarsest."),
    IntParam("cell_row", "Cell row", 3, 0, 37, live=True, tooltip="Default boxes view: the cell's row."),
    IntParam("cell_col", "Cell column", 3, 0, 37, live=True, tooltip="Default boxes view: the cell's column."),
    ChoiceParam("aspect", "Aspect ratio", RATIOS[0], RATIOS, live=True,
                tooltip="Default boxes view: all shapes of the cell, or one (1' is the larger square; 3 and 1/3 "
                        "exist on some maps only)."),
    TextParam("probe_box", "Probe box (x0,y0,x1,y1 px)", "", placeholder="draw a box on the picture", live=True,
              tooltip="A box in pixels of the validation image; the probe shows the default boxes with the "
                      "highest IoU with it. Drag on the probe picture to draw one."),
    IntParam("cpu_threads", "CPU threads", 1, 1, 16,
             tooltip="PyTorch threads on the CPU device. 1 is fastest for the small SSD on a busy machine."),
)
VIEW_PARAMS = frozenset({"conf_threshold", "nms_iou", "image_index", "source_map", "cell_row", "cell_col", "aspect",
                         "probe_box"})

PLOTS = (
    PlotSpec("detections", "Detections (confidence and NMS sliders)", "annotated_image", main="tall",
             tooltip="The model's detections on a held-out scene after the confidence threshold and per-class "
                     "NMS, each with its class and probability."),
    PlotSpec("loss", "MultiBoxLoss: localization and confidence", "curves",
             series=("train_loss_loc", "train_loss_conf", "val_loss_loc", "val_loss_conf"),
             x_label="step", y_label="loss / positives", log_y=True,
             tooltip="Smooth L1 on the positives' box offsets, and cross-entropy on the positives and the hard "
                     "negatives, both divided by the number of positives (Liu et al. 2016, eq. 1)."),
    PlotSpec("map", "mAP@0.5 per class (held-out scenes)", "curves",
             series=("val_map",) + tuple(f"val_ap_{c}" for c in SCENE_CLASSES), x_label="step",
             y_label="average precision", y_range=(0.0, 1.0),
             tooltip="Average precision at IoU 0.5 of each class on 200 held-out scenes (COCO's 101-point "
                     "interpolation, as torchmetrics computes it) and their mean."),
    PlotSpec("pr_curves", "Precision-recall at IoU 0.5", "scatter",
             tooltip="Each class's precision at 101 recall levels at the last evaluation; AP is the mean."),
    PlotSpec("default_boxes", "Default boxes of one cell", "annotated_image",
             tooltip="The default boxes of the chosen source map, cell and aspect ratio over the image."),
    PlotSpec("matching", "Matching: positives and hard negatives", "annotated_image",
             tooltip="Ground truth (solid), the default boxes matched to it (dashed, IoU written) and the "
                     "background boxes hard negative mining keeps (dotted grey, the hardest 20; the caption "
                     "counts them all)."),
    PlotSpec("truth_vs_pred", "Ground truth vs predictions (IoU)", "annotated_image",
             tooltip="Ground truth solid, detections dashed with their IoU with the ground truth of their class."),
    PlotSpec("probe", "Draw a box: nearest default boxes", "ssd_probe",
             tooltip="Drag a box on this picture (or type it under Probe box): the five default boxes with the "
                     "highest IoU with it, IoU written on each. A box the defaults fit badly is hard to learn."),
)
