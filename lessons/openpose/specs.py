"""Settings and plots of the ``openpose`` lesson (declarations only; no torch)."""
from __future__ import annotations

from lessons.openpose.data import COCO_FILE, DATASETS
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.plotdata import PlotSpec
from visualizer.data.scenes import KEYPOINTS, LIMBS

MAX_STAGES = 6
VAL_IMAGES = 100


def limb_name(a: int, b: int) -> str:
    """'neck → right shoulder' for the limb joining keypoints a and b."""
    return f"{KEYPOINTS[a].replace('_', ' ')} → {KEYPOINTS[b].replace('_', ' ')}"


KEYPOINT_CHOICES = tuple(k.replace("_", " ") for k in KEYPOINTS)
LIMB_CHOICES = tuple(limb_name(a, b) for a, b in LIMBS)

PARAMS = (
    ChoiceParam("dataset", "Data set", DATASETS[0], DATASETS,
                tooltip="generated scenes: stick figures among shapes, made here (offline). COCO 2017 val: the "
                        "person keypoints of COCO's 5,000 validation photos, downloaded once (about 1 GB); "
                        "offline, the generated scenes. COCO JSON file: a person_keypoints JSON of yours and its "
                        "images. Photos are resized to the network's side (64 px small, 368 px book): at 64 px "
                        "people are a few pixels tall, so expect little."),
    PathParam("coco_json", "COCO keypoints JSON", "", "COCO JSON (*.json);;All files (*)",
              used_when=("dataset", COCO_FILE),
              tooltip="A COCO person_keypoints_*.json (images, annotations with keypoints)."),
    PathParam("coco_images", "COCO image folder", "", "Images (*.jpg *.jpeg *.png);;All files (*)",
              used_when=("dataset", COCO_FILE),
              tooltip="The folder of the JSON's images: choose any image in it, or type the folder's path."),
    IntParam("stages", "Stages", 3, 1, MAX_STAGES,
             tooltip="Stages T of the small network: stage 1 sees the image features, each later stage sees "
                     "the features and the previous stage's maps and refines them. Every stage is supervised."),
    IntParam("width", "Branch width", 32, 8, 128, log=True,
             tooltip="Channels inside every branch of the small network."),
    ChoiceParam("variant", "Network", "small", ("small", "openpose"),
                tooltip="small: a narrow stem (stride 4) and 3×3 / 5×5 stages for 64 px scenes on a CPU. "
                        "openpose: the book's network (Ogawa ch. 4): VGG-19's first ten convolutions, stage 1 "
                        "with 3×3 and stages 2-6 with 7×7 convolutions, 368 px input, 46×46 maps, 52 M "
                        "parameters, random weights; always 6 stages; seconds per step on a CPU."),
    IntParam("train_images", "Training scenes", 1000, 200, 8000, log=True,
             tooltip="Scenes the network trains on (generated at 64 px, or at most this many COCO photos); 100 "
                     "others are held out for PCK."),
    FloatParam("lr", "Learning rate", 2e-3, 1e-5, 1e-1, log=True, live=True, decimals=5,
               tooltip="Adam step size. Applies at the next step."),
    IntParam("batch_size", "Batch size", 32, 1, 128, live=True, log=True,
             tooltip="Scenes per step (the book variant uses at most 2 on a CPU)."),
    FloatParam("sigma", "Confidence-map σ (px)", 3.0, 0.5, 12.0, live=True, decimals=1,
               tooltip="Standard deviation of the Gaussian bump the target confidence map puts on each joint, "
                       "in image pixels. Small: sharp but hard to learn on a coarse map; large: easy but nearby "
                       "joints blur together. Applies to the next batches."),
    FloatParam("limb_width", "PAF limb width (px)", 2.5, 0.5, 10.0, live=True, decimals=1,
               tooltip="The target PAF is the limb's unit vector on the pixels within this distance of the "
                       "line from one joint to the other (Cao et al.'s σ_l), zero elsewhere."),
    FloatParam("peak_threshold", "Peak threshold", 0.2, 0.01, 0.95, live=True, decimals=2,
               tooltip="A joint candidate is a local maximum of its confidence map above this value."),
    FloatParam("paf_threshold", "PAF score threshold", 0.1, -1.0, 1.0, live=True, decimals=2,
               tooltip="Assembly: a candidate limb is kept when the mean of PAF · (unit vector along it), "
                       "sampled at 10 points (the line integral), is at least this and 80% of the samples "
                       "exceed it. Raise it and weak limbs drop out; lower it and wrong joints get connected."),
    ChoiceParam("keypoint", "Keypoint", KEYPOINT_CHOICES[2], KEYPOINT_CHOICES, live=True,
                tooltip="Whose confidence map the heat view and the stage-by-stage view show."),
    ChoiceParam("limb", "Limb", LIMB_CHOICES[7], LIMB_CHOICES, live=True,
                tooltip="Whose part affinity field the arrow view and the stage-by-stage view show."),
    IntParam("image", "Held-out image", 0, 0, VAL_IMAGES - 1, live=True,
             tooltip="Which held-out scene the pictures show."),
    IntParam("cpu_threads", "CPU threads", 1, 1, 16,
             tooltip="PyTorch threads on the CPU device. 1 is fastest for the small network on a busy machine."),
)
VIEW_PARAMS = frozenset({"peak_threshold", "paf_threshold", "keypoint", "limb", "image"})

STAGE_SERIES = tuple(f"loss_stage_{t}" for t in range(1, MAX_STAGES + 1))
PLOTS = (
    PlotSpec("skeletons", "Assembled skeletons (held-out scene)", "annotated_image", main="tall",
             tooltip="Peaks of every confidence map (dots) joined into people by the greedy limb assembly, one "
                     "colour per person; dotted boxes: the true people. Move the thresholds and watch people "
                     "split, merge or vanish."),
    PlotSpec("pck", "Held-out PCK@0.2 and OKS AP", "curves", series=("val_pck", "val_oks_ap", "val_oks_ap50"),
             x_label="step", y_label="share", y_range=(0.0, 1.0),
             tooltip="PCK@0.2: share of labelled joints predicted within 0.2 × the person's size (the longer "
                     "side of its keypoint box). OKS AP: COCO's keypoint AP (pycocotools), averaged over OKS "
                     "0.5-0.95; AP50 at OKS 0.5. 100 held-out scenes."),
    PlotSpec("losses", "Loss per stage", "curves", series=("train_loss",) + STAGE_SERIES, x_label="step",
             y_label="MSE (log)", log_y=True,
             tooltip="Mean squared error of each stage's confidence maps plus PAFs (intermediate supervision); "
                     "train_loss: their sum, what Adam minimizes. Later stages end lower: they refine."),
    PlotSpec("confidence", "Confidence map of the keypoint", "annotated_image",
             tooltip="The last stage's confidence map of the chosen keypoint over the image; crosses: the true "
                     "joints, dots: the peaks above the threshold."),
    PlotSpec("paf", "Part affinity field of the limb", "annotated_image",
             tooltip="The last stage's PAF of the chosen limb as arrows (one per map cell where it is longer "
                     "than 0.1), colour: its length; thin lines: the true limbs."),
    PlotSpec("stages", "Stage by stage (top: keypoint, bottom: |PAF| of the limb)", "image_grid", main="wide",
             tooltip="The chosen keypoint's confidence map (top row) and the chosen limb's PAF length (bottom "
                     "row) from stage 1 to stage T, then the target: each stage refines the previous one."),
    PlotSpec("all_maps", "All confidence maps (last stage)", "image_grid",
             tooltip="The 18 keypoint maps and the background map of the held-out scene."),
)
