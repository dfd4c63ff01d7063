"""The lesson's hyperparameters and plots (declarations only; Qt-free, torch-free)."""
from __future__ import annotations

from lessons.interpretability.subjects import IMAGE_SETS, MODELS, N_IMAGES, USER_FILE
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.plotdata import PlotSpec
from visualizer.data.digits import DIGIT_NAMES
from visualizer.data.shapes import SOURCE_CLASSES, TARGET_CLASSES

VGG_LAYERS = tuple(f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for c in range(1, n + 1))
LAYERS = ("first conv", "middle conv", "last conv") + VGG_LAYERS + tuple(f"conv{i}" for i in range(4))
CLASSES = ("predicted", "true class") + SOURCE_CLASSES + TARGET_CLASSES + DIGIT_NAMES
DREAM_LAYERS = ("middle conv", "last conv", "middle + last")

PARAMS = (
    ChoiceParam("images", "Images", IMAGE_SETS[0], IMAGE_SETS,
                tooltip="validation images: shapes of the classes the network was trained on (digits for the "
                        "digit CNN), never seen in training, each with its object's mask. shapes of unseen classes: "
                        "shapes it has no class for. your image file: the file below."),
    ChoiceParam("model", "Network", MODELS[0], MODELS,
                tooltip="Whose network to look inside: the small VGG pretrained on the generated shapes (always "
                        "there), the network you fine-tuned in 'transfer_learning' or the CNN you trained in "
                        "'cnn_scratch' (train them there first), or VGG-16 with ImageNet weights once downloaded."),
    PathParam("image_file", "Image file", file_filter="Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.gif)",
              used_when=("images", USER_FILE),
              tooltip="A picture of your own, resized to the network's input (grayscale, RGBA and 16-bit files "
                      "are converted)."),
    IntParam("image_index", "Image", 0, 0, N_IMAGES - 1, live=True,
             tooltip="Which of the images every view explains."),
    ChoiceParam("target_class", "Explain class", "predicted", CLASSES, live=True,
                tooltip="The class whose evidence Grad-CAM, saliency, integrated gradients, occlusion and the "
                        "sanity check show: the network's own answer, the true class, or any class it knows."),
    ChoiceParam("layer", "Layer", "middle conv", LAYERS, live=True,
                tooltip="The layer whose feature maps are shown and whose filter is visualized (the activation "
                        "after its ReLU). Names as in Chollet's Keras VGG: block2_conv1 is the first convolution "
                        "of the second block. Click a feature map to visualize its filter."),
    IntParam("channel", "Filter (channel)", 0, 0, 511, live=True,
             tooltip="The filter whose preferred pattern gradient ascent draws. Clicking a feature map sets it; "
                     "a number beyond the layer's filters wraps around."),
    IntParam("octaves", "Octaves", 3, 1, 5, live=True,
             tooltip="Scales the ascent and DeepDream climb through, smallest first, each 1.4× larger: coarse "
                     "structure forms before detail. Restarts both pictures."),
    IntParam("steps_per_octave", "Steps per octave", 20, 5, 100, live=True, log=True,
             tooltip="Gradient-ascent steps at each scale before enlarging. Restarts both pictures."),
    FloatParam("ascent_step", "Ascent step", 0.02, 0.001, 0.2, log=True, live=True, decimals=3,
               tooltip="How far one step moves the pixels (the gradient is scaled to unit RMS, so this is in "
                       "pixel units, on a 0..1 scale). Applies at the next step."),
    IntParam("jitter", "Jitter (pixels)", 2, 0, 8, live=True,
             tooltip="Random shift of the image before each step (Mordvintsev et al. 2015): patterns tied to "
                     "the pixel grid cannot build up. 0: none."),
    ChoiceParam("dream_layers", "DeepDream layers", "middle + last", DREAM_LAYERS, live=True,
                tooltip="Whose activations DeepDream amplifies: early layers give strokes and textures, late "
                        "layers parts of shapes. Restarts the dream."),
)

PLOTS = (
    PlotSpec("activations", "Feature maps of the chosen layer", "activation_grid", main="tall",
             tooltip="Each tile is one channel's activation (after ReLU) for the image, scaled by the layer's "
                     "largest value (viridis). Click a tile to visualize that filter. Early layers respond to "
                     "edges and colours, late ones to parts of shapes; many stay blank for a given image."),
    PlotSpec("filter", "Filter pattern by gradient ascent", "image_grid",
             tooltip="The input that excites the chosen filter most, grown by gradient ascent with jitter and "
                     "octaves (Chollet 2e, 9.4.2). One training step is one ascent step."),
    PlotSpec("ascent", "Gradient-ascent objectives", "curves", series=("filter_activation", "dream_objective"),
             x_label="step", y_label="objective", y_range=(),
             tooltip="filter_activation: the chosen filter's mean activation on the pattern; dream_objective: "
                     "the mean squared activation of the DeepDream layers. Both climb; a jump marks a new octave."),
    PlotSpec("dream", "DeepDream", "image_grid",
             tooltip="The image changed by gradient ascent to amplify whatever the chosen layers already see "
                     "(Chollet 2e, 12.2), octave by octave, putting back the detail lost by shrinking."),
    PlotSpec("class_maps", "Grad-CAM and Grad-CAM++", "overlay_grid", main="wide",
             tooltip="Where the last convolutional layer found evidence for the class (Selvaraju et al. 2017; "
                     "Chattopadhay et al. 2018), upsampled bilinearly and laid over the image (inferno: bright "
                     "= strong, 0 to the map's maximum). 'on object': the share of the map's mass inside the "
                     "object's known mask."),
    PlotSpec("attributions", "Saliency, integrated gradients, occlusion (Captum)", "overlay_grid",
             tooltip="Per-pixel attributions for the class: saliency |∂S/∂x| (Simonyan et al. 2014), "
                     "|integrated gradients| from a black image (Sundararajan et al. 2017), and the score drop "
                     "when a grey square hides each place (occlusion, Zeiler & Fergus 2014)."),
    PlotSpec("probabilities", "What the network answers", "class_bars", y_label="probability", y_range=(0.0, 1.0),
             tooltip="Softmax probabilities of the most likely classes for the image. Click a bar to explain "
                     "that class in Grad-CAM, the attributions and the sanity check."),
    PlotSpec("sanity_maps", "Sanity check: maps as the weights are randomized", "image_grid", main="wide",
             tooltip="Adebayo et al. 2018: from the top (logits) down, each layer's weights are re-initialized in "
                     "turn (cumulatively, left to right). A map that still looks the same no longer depends on "
                     "what the network learned. ρ: Spearman rank correlation of |map| with the trained map."),
    PlotSpec("sanity_similarity", "Sanity check: similarity to the trained map", "matrix",
             tooltip="Spearman rank correlation of each method's |map| with its map from the trained network, "
                     "after randomizing the layers named (cumulatively from the top). Near 1: unchanged."),
)
