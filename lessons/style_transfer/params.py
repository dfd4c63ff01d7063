"""Declarations of the ``style_transfer`` lesson (Qt-free): its hyperparameters, its plots, and how a
content or style setting turns into a picture."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from lessons.style_transfer.features import FEATURES
from lessons.style_transfer.images import CONTENT_IMAGES, STYLE_PATTERNS, content_image, image_file, style_pattern
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.plotdata import PlotSpec

N_LAYERS = 5
GRAM_BLOCK = 32              # the Gram views show the top-left 32 × 32 channels (a deep layer has 128-512)
OBJECTIVES = ("content + style", "content only", "style only")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
LAYER_NAMES = "layer 1..5 are conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 with VGG-19, the five random stages offline"

PARAMS = (
    ChoiceParam("content", "Content image", "astronaut", CONTENT_IMAGES + ("file",),
                tooltip="The photograph whose layout the result keeps: scikit-image's bundled samples (astronaut, "
                        "chelsea the cat, coffee, rocket) or your own file (Content file)."),
    PathParam("content_path", "Content file", "", IMAGE_FILTER, used_when=("content", "file"),
              tooltip="Your own photograph (any format Pillow reads). The centred square is used, resized to "
                      "the image size; a huge photo is decoded at reduced scale."),
    ChoiceParam("style", "Style image", "strokes", STYLE_PATTERNS + ("file",), live=True,
                tooltip="The picture whose texture the result takes on: a generated pattern (strokes after van "
                        "Gogh, waves after Hokusai, a stained-glass mosaic, pointillist dots) or your own file. "
                        "Changes apply at the next step, on the current image."),
    PathParam("style_path", "Style file", "", IMAGE_FILTER, live=True, used_when=("style", "file"),
              tooltip="Your own style picture (a painting, a texture photo). A file that cannot be read is "
                      "refused and the previous style stays."),
    ChoiceParam("image_size", "Image size (px)", "128", ("64", "128", "256"),
                tooltip="Side of the square image being optimized. 128 px is stylised within a minute or two "
                        "on a CPU; 256 px takes about four times as long per step."),
    ChoiceParam("features", "Features", "auto", FEATURES,
                tooltip="The network that measures content and style. auto: VGG-19 with ImageNet weights when "
                        "they are already in torch's cache, else random multi-scale convolutions. random: "
                        "always the random network (offline, Ustyuzhaninov et al. 2017). vgg19: download the "
                        "weights once (about 550 MB) if needed."),
    ChoiceParam("init", "Start from", "content", ("content", "noise"),
                tooltip="content: start from the content photo (converges fastest). noise: start from grey "
                        "noise, as Gatys et al. did; needed to see what the content or style loss alone keeps."),
    ChoiceParam("objective", "Objective", OBJECTIVES[0], OBJECTIVES, live=True,
                tooltip="Which losses count: both (style transfer), content only (reconstruct the photo from "
                        "its features), or style only (texture synthesis). The total variation always counts."),
    FloatParam("content_weight", "Content weight α", 1.0, 1e-3, 1e3, log=True, live=True,
               tooltip="Weight of the content loss. Higher: the photo's layout wins over the style."),
    FloatParam("style_weight", "Style weight β", 10.0, 1e-3, 1e4, log=True, live=True,
               tooltip="Weight of the mean style loss over the chosen layers. Higher: more texture, less photo."),
    FloatParam("tv_weight", "Total variation weight γ", 3.0, 1e-4, 1e3, log=True, live=True,
               tooltip="Weight of the total variation (squared differences of neighbouring pixels). Higher: "
                       "smoother, blurrier; lower: noisier, high-frequency speckle."),
    FloatParam("lr", "Learning rate", 0.01, 1e-4, 1.0, log=True, live=True, decimals=5,
               tooltip="Adam's step size on the pixels (values 0-1). Applies at the next step."),
    *(BoolParam(f"style_layer{i}", f"Style from layer {i}", True, live=True,
                tooltip=f"Use layer {i}'s Gram matrix in the style loss ({LAYER_NAMES}). Shallow layers carry "
                        "colours and fine grain, deep layers larger strokes and motifs.")
      for i in range(1, N_LAYERS + 1)),
    ChoiceParam("gram_layer", "Gram matrix of layer", "2", tuple(str(i) for i in range(1, N_LAYERS + 1)), live=True,
                tooltip="Which layer's Gram matrices the two heat maps show."),
    IntParam("cpu_threads", "CPU threads", 1, 1, 16,
             tooltip="PyTorch threads on the CPU device. 1 is best on a busy machine; more help only when "
                     "cores are idle. Not used on CUDA."),
)

STYLE_SERIES = tuple(f"style_layer{i}" for i in range(1, N_LAYERS + 1))
PLOTS = (
    PlotSpec("image", "The image being optimized", "image_grid", main="tall",
             tooltip="The pixels x that gradient descent changes, at the latest redraw."),
    PlotSpec("inputs", "Content and style images", "image_grid",
             tooltip="Left: the content photo p. Right: the style picture a."),
    PlotSpec("losses", "Losses", "curves", series=("total_loss", "content_loss", "style_loss", "tv_loss"),
             x_label="step", y_label="loss (log)", log_y=True,
             tooltip="content_loss: ‖φ(x) − φ(p)‖² / ‖φ(p)‖² at the content layer. style_loss: the mean of the "
                     "chosen layers' style losses. tv_loss: total variation. total_loss: α·content + β·style + "
                     "γ·TV, what Adam minimizes."),
    PlotSpec("style_layers", "Style loss per layer", "curves", series=STYLE_SERIES, x_label="step",
             y_label="Gram distance (log)", log_y=True,
             tooltip=f"‖G(x) − G(a)‖² / ‖G(a)‖² per layer. Every layer's style loss is measured, chosen or "
                     f"not ({LAYER_NAMES}). An unchosen layer's "
                     "loss shows what that layer would still like to change."),
    PlotSpec("gram_style", "Gram matrix: style image", "matrix",
             tooltip="G(a)[c, d]: how strongly channels c and d fire together over the style picture, averaged "
                     f"over positions. Only the top-left {GRAM_BLOCK} × {GRAM_BLOCK} block of the layer's channels "
                     "is shown (the row axis says so). Same colour scale as the current image's."),
    PlotSpec("gram_image", "Gram matrix: current image", "matrix",
             tooltip="G(x) for the image being optimized. The style loss pulls this matrix towards the style "
                     "image's: watch the two heat maps become alike."),
)


def load_image(hp: Mapping[str, Any], role: str, size: int) -> np.ndarray:
    """The content (``role`` "content") or style picture the settings ``hp`` name -> (size, size, 3) float32 in
    [0, 1].  Raises LessonConfigError for a file that cannot be used (see ``images.image_file``)."""
    name = hp[role]
    if name == "file":
        return image_file(hp[f"{role}_path"], size, role)
    if role == "content":
        return content_image(name, size)
    return style_pattern(name, size, int(hp["seed"]))
