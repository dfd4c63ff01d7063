"""The lesson's story: Chollet's three ways of looking inside a convnet (ch. 9.4), DeepDream (ch. 12.2), the
attribution methods, and Adebayo et al.'s warning."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "What each layer sees",
        "A convnet turns an image into a stack of **feature maps**: every filter of a layer slides over its input "
        "and answers \"how much of my pattern is here?\" (Chollet 2e, 9.4.1).\n\n"
        "On the left: every channel of the chosen layer for one validation shape, the small VGG that was "
        "pretrained on eight shape classes (circle, square, star, ...). Change **Layer**: the first layers "
        "respond to edges and colours and still look like the picture; the last ones are coarse (8×8) and "
        "sparse, each lighting up for a part of a shape. Many maps are blank: that filter's pattern is not in "
        "this image.\n\nChange **Image** to see other shapes, with their colour, texture and clutter as "
        "nuisances the network has to ignore.",
        set_params={"layer": "first conv", "dream_layers": "middle conv"},
        plots=("activations", "probabilities", "filter")),
    NarrativeStep(
        "What a filter wants: gradient ascent",
        "Which input excites one filter most? Start from grey noise and **climb the gradient** of the filter's "
        "mean activation with respect to the *pixels* (Erhan et al. 2009; Chollet 2e, 9.4.2). The weights stay "
        "fixed; the image is what learns. Each training step is one ascent step.\n\n"
        "Two tricks make the pictures readable (Mordvintsev et al. 2015): **jitter** shifts the image a few "
        "pixels before each step, so patterns tied to the pixel grid cannot build up, and **octaves** start "
        "small and enlarge 1.4× every few steps, so the coarse layout forms before the detail.\n\n"
        "**Click a feature map** on the left to visualize its filter. Early filters want stripes and colour "
        "blobs; late ones want corners, curves and points.",
        set_params={"layer": "last conv"}, plots=("activations", "filter", "ascent"), run_steps=60),
    NarrativeStep(
        "Grad-CAM: where is the evidence?",
        "**Grad-CAM** (Selvaraju et al. 2017; Chollet 2e, 9.4.3) asks the last convolutional layer: the class "
        "score's gradient with respect to each feature map, averaged over the map, says how much that map "
        "matters for the class; the weighted sum of the maps, through a ReLU, is where the evidence lies. It is "
        "computed at 8×8 and upsampled.\n\n**Grad-CAM++** (Chattopadhay et al. 2018) weighs each position by "
        "higher-order terms, so that several instances of a class all count.\n\n"
        "The generated shapes come with their object's **mask**, so the share of the map's mass on the object "
        "is measured (the caption's 'on object'); the object covers about an eighth of the image. Choose "
        "another class under **Explain class**: the map moves to whatever looks like that class, or fades.",
        set_params={"target_class": "predicted"}, plots=("class_maps", "probabilities")),
    NarrativeStep(
        "Saliency, integrated gradients, occlusion",
        "Three older answers, computed by **Captum**:\n\n"
        "- **saliency** (Simonyan et al. 2014): |∂score/∂pixel|, how much a tiny change of each pixel moves "
        "the score. Sharp but noisy.\n"
        "- **integrated gradients** (Sundararajan et al. 2017): the gradient averaged along the straight path "
        "from a black image to this one, times the difference; the attributions add up to the score change.\n"
        "- **occlusion** (Zeiler & Fergus 2014): hide a grey square at each place and see how much the score "
        "drops. No gradients at all, one forward pass per place.\n\n"
        "Compare them with Grad-CAM: which ones stay on the object, which ones trace every edge in the image?",
        plots=("attributions", "class_maps")),
    NarrativeStep(
        "DeepDream",
        "Turn the ascent on a real image and amplify whatever the chosen layers already see (Mordvintsev et al. "
        "2015; Chollet 2e, 12.2): the objective is the mean squared activation of the **DeepDream layers**. "
        "Octave by octave the image is enlarged and the detail lost by shrinking it is put back; after the last "
        "octave the dream is done. Middle layers paint strokes and textures; the last one paints bits of the "
        "shapes it knows. Change **DeepDream layers** or **Image** to dream again.",
        set_params={"dream_layers": "middle + last"}, plots=("dream", "ascent"), run_steps=60),
    NarrativeStep(
        "Sanity check: do the maps explain the model?",
        "Adebayo et al. (2018) asked a simple question: if the weights that make the decision are destroyed, does "
        "the explanation change? **Cascading randomization** re-initializes the top layer, then the one below, "
        "and so on (left to right), and compares each map with the trained network's by the Spearman rank "
        "correlation ρ of |map|.\n\n"
        "A map that explains the model must change: Grad-CAM falls apart as soon as the layers it reads are "
        "random. Saliency and integrated gradients keep much of the image's outline for longer: part of what "
        "they show is the input, not the model. An explanation that survives random weights was never "
        "explaining the model.",
        plots=("sanity_maps", "sanity_similarity")),
    NarrativeStep(
        "Your own network",
        "Everything here works on **your** network too. Train the CNN of **cnn_scratch** (digits) or fine-tune "
        "the network of **transfer_learning** (shapes it never saw), then come back and choose it under "
        "**Network** and press Reset. With VGG-16's ImageNet weights downloaded (in transfer_learning), "
        "choose **VGG-16 ImageNet** and **your image file**: Chollet's elephant works as in the book.\n\n"
        "A missing or damaged model gives a message and keeps the current one.",
        plots=("activations", "class_maps", "probabilities")),
)
