"""The story of the ``video`` lesson: Markdown pages that set parameters, choose plots and run steps."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Classes you cannot see in one frame",
        "Each clip shows one object (an L, a T or a wedge) of random colour, size and place on a noisy "
        "background. The **class is what it does over time**: move right or left, rotate clockwise or "
        "counter-clockwise, grow or shrink, and each of these forward and back again (12 classes).\n\n"
        "Every class draws its object from the same distribution, so **one frame says nothing** about the "
        "class: a frame of 'move right' looks like a frame of 'move left'. Even the *set* of frames is the "
        "same for 'move right', 'move left', 'right and back' and 'left and back': only their **order** "
        "differs.\n\n"
        "The clip view plays a validation clip; the marks are the frames the model samples.",
        set_params={"dataset": "motion", "variant": "eco_small", "segments": 8},
        plots=("clip", "accuracy"),
    ),
    NarrativeStep(
        "ECO: 2D per frame, 3D over time",
        "ECO (Zolfaghari et al. 2018) cuts the clip into **N segments** and samples one frame of each (a "
        "random one while training). A **2D network** turns every frame on its own into feature maps; these "
        "are **stacked along time** into a volume (C, N, h, w) and a **3D network** convolves it in time "
        "and space, then a linear layer gives the class scores.\n\n"
        "Its **twin** has the same 2D part and the same layers after it, but with temporal kernel 1: it "
        "scores each frame alone and **averages** the scores (TSN-style). Both train on the same batches. "
        "Watch the accuracy plot: ECO climbs, the twin stays near chance (1/12), at most 1/4 if it learned "
        "the family (move, rotate or scale) from the set of frames.",
        plots=("accuracy", "loss", "clip"),
        run_steps=600,
    ),
    NarrativeStep(
        "What the parts see",
        "**2D feature maps**: the most active maps of each sampled frame. They find the object and its "
        "edges, frame by frame; nothing in them knows the order.\n\n"
        "**3D activations over time**: each channel of the first 3D stage, averaged over space, at each "
        "time step. Its 3×3×3 kernels compare neighbouring frames, so channels can respond to the *change* "
        "from one frame to the next, for instance the moment 'right and back' turns around.",
        plots=("clip", "feature_maps", "activations_3d"),
        run_steps=400,
    ),
    NarrativeStep(
        "Grad-CAM over time and the answer as the clip plays",
        "On the clip, **Grad-CAM** for the predicted class is drawn over each sampled frame: the gradient of "
        "the class score weighs each 2D map of that frame, on one scale for the whole clip. The object lights "
        "up, most in the frames that decide the class.\n\n"
        "**Class probabilities over the clip**: ECO run on the frames 0..t only, for each t. For 'right and "
        "back' the answer is 'move right' until the object turns, then switches: time matters.",
        plots=("clip", "probabilities", "accuracy"),
        run_steps=600,
    ),
    NarrativeStep(
        "Your turn",
        "Try fewer **segments**: with N = 2 the 3D part sees only two moments and the 'and back' classes "
        "become guesswork. Try the book's **ECO-Lite** (on a GPU): BN-Inception up to inception-3c gives "
        "96 maps of 28×28 per frame, a 3D ResNet-18 fuses 16 of them. Or point **Data set = folder** at your "
        "own videos, one sub-folder per class.",
        plots=None,
    ),
)
