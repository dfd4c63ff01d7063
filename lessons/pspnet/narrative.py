"""The story of the ``pspnet`` lesson (Ogawa ch. 3; Zhao et al. 2017)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Label every pixel",
        "Semantic segmentation gives **every pixel** a class: here background, circle, square, triangle, star "
        "or person, in generated scenes whose objects have random colours and textures. Colour tells nothing: "
        "a pixel's class is decided by the **outline** of the object it belongs to, and in a large object most "
        "pixels are far from that outline.\n\n"
        "PSPNet (Zhao et al. 2017; Ogawa ch. 3) reads the image with a convolutional network whose last two stages "
        "are **dilated** instead of strided, so the feature map stays large: 1/8 of the input in the book (60×60 "
        "at 475 px), 1/4 here (16×16 for 64 px scenes: 8×8 was too coarse for thin limbs). The **pyramid "
        "pooling module** then averages the features over the whole image "
        "(1×1), over 2×2, 3×3 and 6×6 regions, squeezes each to a quarter of the channels, upsamples them and "
        "stacks them next to the features: every pixel sees the scene. A twin **without** the module trains "
        "on the same batches.\n\n"
        "Top left: a held-out scene, its true mask, and both predictions. Press **Next** to train 600 steps.",
        plots=("masks", "miou", "loss", "confusion"),
    ),
    NarrativeStep(
        "Main and auxiliary loss",
        "Each step minimizes the main cross-entropy plus **0.4 ×** the cross-entropy of an **auxiliary branch** "
        "on stage 3's features (deep supervision: the lower stages get a gradient of their own; the branch is "
        "dropped at test time).\n\n"
        "Watch the held-out **mIoU**: intersection over union, TP / (TP + FP + FN) over all pixels of 64 held-out "
        "scenes, averaged over the six classes. The background IoU rises first; the shapes follow as the "
        "network learns their outlines.",
        plots=("loss", "miou", "masks", "class_iou"),
        run_steps=600,
    ),
    NarrativeStep(
        "What the pyramid adds (here: little)",
        "The PSPNet paper's figure 2 shows what a network without global context gets wrong: a boat labelled "
        "car, one object painted in several classes. The plot *One label per object* counts the second mistake: "
        "the share of object pixels that carry their object's majority label.\n\n"
        "**On these scenes the twin keeps up.** Measured on the 2-core machine (bench_pspnet, 10 minutes, one "
        "thread): mIoU 0.73 with the pyramid, 0.76 without, object consistency 0.85 and 0.86 (the issue's "
        "target, mIoU 0.8, is not reached in those 10 minutes). "
        "The reason is size: the small net's dilated stages give every output pixel a theoretical receptive "
        "field of about 147 px, more than twice the 64 px scene, so the twin sees the whole picture without "
        "pooling. Pyramid pooling pays where the image is much larger than what the network effectively sees: "
        "the book's 475 px inputs, 60×60 maps and real scenes, where context (water under a boat) decides.\n\n"
        "Switch scenes with **Held-out image** and compare the two predictions of the largest objects.",
        plots=("masks", "consistency", "miou", "class_iou"),
        run_steps=900,
    ),
    NarrativeStep(
        "Inside the pyramid",
        "The bottom picture splits the chosen **class channel**'s score into the parts of the decoder's input: "
        "the local features and the four pooled branches, each as activation × gradient summed over its "
        "channels (red raises the score, blue lowers it; the caption gives each part's share). The 1×1 tile is "
        "one cell: the whole scene's average, the global context; the 6×6 tile shows regional context.\n\n"
        "Pick a class under **Class channel** that is in the scene, then one that is not: the pyramid's "
        "evidence changes sign.",
        plots=("masks", "ppm_branches", "miou", "confusion"),
        train_until=1500,
    ),
    NarrativeStep(
        "Experiment",
        "- Set **Auxiliary loss weight** to 0 and Reset: does the main loss fall as fast?\n"
        "- Lower **Largest object** to 0.4 and Reset: small objects have few pixels and short outlines; watch "
        "the per-class IoU.\n"
        "- The confusion matrix shows which classes are mistaken for which: stars and circles share a round "
        "outline at low resolution.\n"
        "- `variant = pspnet50` builds the book's network (dilated ResNet-50, 475 px): a few seconds per step "
        "on a CPU.",
        plots=("miou", "loss", "confusion", "class_iou"),
    ),
)


def divergence_hint(lr: float) -> str:
    """A sentence on why the loss became NaN or infinite."""
    return (f"The loss became NaN or infinite: the learning rate ({lr:g}) is probably too high for Adam here. "
            "Lower it (2e-3 is the default) and press Reset (R).")
