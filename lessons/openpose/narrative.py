"""The story of the ``openpose`` lesson (Ogawa ch. 4; Cao et al. 2017)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Joints as maps, limbs as arrows",
        "OpenPose finds the people in a picture **bottom-up**: first every joint and every limb, then who owns "
        "which.\n\n"
        "- A **confidence map** per keypoint (18 of them, plus background) is the target for *where* joints are: "
        "a Gaussian bump of width σ on each right shoulder, each left knee, …\n"
        "- A **part affinity field** (PAF) per limb (19 of them, x and y: 38 channels) says *which way* a limb "
        "points: the unit vector from one joint to the other on the pixels the limb covers, zero elsewhere.\n\n"
        "The network has two branches, one per kind of map, and several **stages**: stage 1 guesses from the "
        "image features, every later stage sees the features *and* the previous guesses and refines them. "
        "The scenes are generated stick figures among shapes. Nothing is trained yet: the maps are noise. "
        "Press **Next** to train 400 steps.",
        plots=("skeletons", "confidence", "paf", "losses"),
    ),
    NarrativeStep(
        "Learning where and which way",
        "Watch the **loss per stage**: each stage is supervised (Cao et al.'s intermediate supervision), so each "
        "has its own curve, and the later ones end lower because they start from a guess. The confidence map of "
        "the chosen keypoint sharpens onto the true joints (crosses); the arrows of the chosen limb line up along "
        "the true limbs. Pick other keypoints and limbs on the left.",
        plots=("confidence", "paf", "losses", "pck"),
        run_steps=400,
    ),
    NarrativeStep(
        "Stage by stage",
        "The strip shows the chosen keypoint's map (top) and the chosen limb's |PAF| (bottom) at stage 1, 2, … "
        "and the target. Stage 1 sees only local image features: a joint of one figure can light up where a limb "
        "of another crosses it. Later stages see the whole previous guess (their 5×5 or, in the book, 7×7 "
        "kernels over already-found joints) and clean it up. Try the head keypoints: small and close together, "
        "they need the refinement most.",
        plots=("stages", "losses", "all_maps"),
        train_until=400,
    ),
    NarrativeStep(
        "From peaks to people",
        "Decoding: the **peaks** of each confidence map above the *peak threshold* are joint candidates. For each "
        "limb type, every pair of candidates is scored by the **line integral** of that limb's PAF along the "
        "segment between them (10 samples of PAF · direction). A **greedy bipartite matching** takes the best "
        "pairs first, each candidate once; limbs that share a joint are merged into people.\n\n"
        "Move the *PAF score threshold*: at 0.9 only perfect limbs survive and people fall apart; below 0 wrong "
        "joints get connected. **PCK@0.2** counts a joint correct within 0.2 × the person's size; OKS AP is "
        "COCO's measure (pycocotools), which also punishes people found twice or invented.",
        plots=("skeletons", "pck", "confidence", "paf"),
        run_steps=600,
    ),
    NarrativeStep(
        "The book's network",
        "Ogawa's OpenPose (*Network: openpose*, then Reset) is the same idea at full size: VGG-19's first ten "
        "convolutions and two more down to 128 channels, stage 1 with three 3×3 convolutions per branch, stages "
        "2-6 with five 7×7 ones, a 368 px input and 46×46 maps: 52 million parameters, seconds per step on a "
        "CPU, so it is here to look at, not to train. Trained on COCO it finds people in photos; the decoding "
        "is exactly the one above.",
        plots=("skeletons", "stages", "losses", "pck"),
    ),
)
