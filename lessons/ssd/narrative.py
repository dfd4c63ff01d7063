"""The story of the ``ssd`` lesson (Ogawa, *PyTorch advanced deep learning* ch. 2; Liu et al. 2016)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Default boxes",
        "SSD does not search the image for objects. It places a fixed grid of **default boxes** on several "
        "feature maps (the *source maps*) and, for every box, predicts four offsets and a class score.\n\n"
        "Fine maps (many small cells) carry small boxes; coarse maps carry large ones. Each cell has a small "
        "square, a larger square (1') and boxes of aspect ratio 2 and 1/2 (and 3 and 1/3 on some maps). The "
        "small SSD here has four source maps of 16, 8, 4 and 2 cells: **1,520 default boxes**; the book's SSD300 "
        "has six maps (38, 19, 10, 5, 3, 1 cells) and **8,732**.\n\n"
        "Pick a source map, a cell and a ratio under the controls and watch the boxes move.",
        plots=("default_boxes", "probe"),
    ),
    NarrativeStep(
        "Draw a box",
        "Drag a box around an object on the probe picture. The five default boxes with the highest IoU "
        "(intersection over union) with it are drawn, IoU written on each. A box that no default box overlaps "
        "well (very thin, very small) gets few or no positive matches, and SSD learns it poorly.",
        plots=("probe", "default_boxes"),
    ),
    NarrativeStep(
        "Matching and hard negatives",
        "To train, every ground-truth box is **matched** to default boxes: its best default box is positive "
        "whatever the IoU, and every default box whose IoU reaches the threshold (0.5) is positive too. The "
        "thousands of others are background.\n\n"
        "Most background boxes are easy. **Hard negative mining** keeps only the background boxes the model "
        "gets most wrong, three per positive, for the confidence loss. Move the IoU threshold and the ratio: "
        "the dashed positives and dotted negatives change at once.",
        plots=("matching", "loss"),
        run_steps=100,
    ),
    NarrativeStep(
        "MultiBoxLoss",
        "The loss has two terms, both divided by the number of positives: **smooth L1** on the positives' four "
        "offsets (centre shift scaled by 0.1 of the box size, log width and height scaled by 0.2), and "
        "**cross-entropy** over the positives and the mined negatives. The confidence term falls first: telling "
        "background from object is easier than placing a box exactly.",
        plots=("loss", "matching"),
        train_until=600,
    ),
    NarrativeStep(
        "Detections",
        "At test time the class scores go through a softmax, boxes below the **confidence threshold** are "
        "dropped and **non-maximum suppression** removes boxes that overlap a better box of the same class by "
        "more than the NMS IoU. Both sliders apply to the last forward pass at once, without training: lower "
        "the threshold to see the raw crowd of boxes, raise the NMS IoU to see the duplicates NMS removes.",
        plots=("detections", "truth_vs_pred", "loss"),
        train_until=800,
    ),
    NarrativeStep(
        "mAP@0.5",
        "A detection is right when its IoU with an unmatched ground-truth box of its class is at least 0.5. "
        "Sorting all detections of a class by confidence gives a **precision-recall curve**; the area under it "
        "is the class's average precision (AP), and their mean is **mAP**. Small objects and stick figures "
        "(thin, tall boxes) are usually the last to be learned.",
        plots=("map", "pr_curves", "detections"),
        train_until=1500,
    ),
    NarrativeStep(
        "The book's SSD300",
        "Ogawa's chapter 2 builds **SSD300**: a VGG-16 base whose conv4_3 output (38x38, normalized by L2Norm) "
        "is the first source map, dilated conv6 and conv7 the second (19x19), and four extra layers down to "
        "1x1: **8,732 default boxes**. Choose *ssd300* under Model and press Reset: it builds with random "
        "weights and trains (slowly) on 300-pixel scenes.",
        plots=("default_boxes", "detections", "loss"),
    ),
)


def divergence_hint(lr: float) -> str:
    """What to do when a loss turns NaN or infinite."""
    return (f"A loss became NaN or infinite: the learning rate ({lr:g}) is probably too high for Adam here "
            "(2e-3 works). Lower it and press Reset (R).")
