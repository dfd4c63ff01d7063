"""The story of the ``style_transfer`` lesson (Gatys et al. 2016; Chollet DLwP 2e ch. 12.3; Buduma, neural style;
Ustyuzhaninov et al. 2017), and what it says when the optimization diverges."""
from typing import Any, Mapping

from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Training the picture, not the network",
        "Neural style transfer (Gatys, Ecker & Bethge 2016) turns training around: the network's weights stay "
        "fixed and **the pixels of the image** are the parameters. Adam nudges every pixel to lower\n\n"
        "  L(x) = α · E_content(x, p) + β · E_style(x, a) + γ · TV(x)\n\n"
        "where p is the content photo, a the style picture and x the image on the left.\n\n"
        "**Which network?** Gatys et al. measure content and style with VGG-19, trained on ImageNet. Offline "
        "this lesson uses **random multi-scale convolutions** instead: five stages of random 3×3, 5×5 and 7×7 "
        "filters with ReLUs. Ustyuzhaninov et al. (2017) showed that such random features already capture the "
        "statistics texture synthesis needs, so the style still transfers. With VGG-19's weights (Features: "
        "vgg19) the content layer keeps *objects* rather than pixel layout and the strokes come out sharper. "
        "The notice above says which one runs.\n\n"
        "Press **Next** to start.",
        set_params={"objective": "content + style", "init": "content"},
        plots=("image", "inputs", "losses"),
    ),
    NarrativeStep(
        "Content: what a deep layer remembers",
        "The **content loss** compares the feature maps of one deep layer (VGG-19's conv4_2; layer 3 of the "
        "random network) for x and for the photo: E_c = ‖φ(x) − φ(p)‖² / ‖φ(p)‖².\n\n"
        "This step starts from **grey noise** with the content loss alone. Watch the photo re-appear from its "
        "features: the layout comes back first, fine detail and exact colours later, because pooling has "
        "thrown away the precise positions. (Chollet: deeper layers hold more abstract content.)",
        set_params={"objective": "content only", "init": "noise", "tv_weight": 0.1},
        plots=("image", "inputs", "losses"),
        run_steps=150,
    ),
    NarrativeStep(
        "Style: texture synthesis from Gram matrices",
        "Style is not *where* things are but *which features occur together*. For each layer, the **Gram "
        "matrix** G[c, d] = Σ_p F[c, p] F[d, p] / (H W) averages the product of channels c and d over all "
        "positions p, so it forgets the layout and keeps the texture. The style loss of a layer is "
        "‖G(x) − G(a)‖² / ‖G(a)‖².\n\n"
        "This step starts again from fresh noise (seed 1) with the style loss alone, and the result is **texture "
        "synthesis**: the style picture's colours and strokes spread over the whole canvas without any of "
        "its layout. Compare the two Gram "
        "heat maps: the current image's becomes the style image's.",
        set_params={"objective": "style only", "init": "noise", "tv_weight": 0.1, "seed": 1},
        plots=("image", "style_layers", "gram_style", "gram_image"),
        run_steps=200,
    ),
    NarrativeStep(
        "Both: style transfer",
        "Now both losses count, starting from the photo: the content loss holds the layout, the style loss "
        "repaints its textures. The **style weight β** sets the balance: move it while training runs (it "
        "applies at the next step). Large β: texture wins and the photo dissolves; small β: the photo barely "
        "changes. Gatys et al. report α/β between 1e-3 and 1e-4 for their unnormalized losses; with the "
        "normalized losses here β ≈ 10 is a good start.",
        set_params={"objective": "content + style", "init": "content", "tv_weight": 3.0, "style_weight": 10.0,
                    "seed": 0},
        plots=("image", "inputs", "losses", "style_layers"),
        run_steps=300,
    ),
    NarrativeStep(
        "Total variation: against speckle",
        "Optimizing pixels directly tends to leave high-frequency noise that the features barely see. The "
        "**total variation** TV(x) = mean (x[i+1, j] − x[i, j])² + mean (x[i, j+1] − x[i, j])² penalizes "
        "differences between neighbouring pixels (Mahendran & Vedaldi 2015; Chollet adds it too).\n\n"
        "Drag **Total variation weight γ** to its maximum: the image turns smooth and flat. Drag it to the "
        "minimum: speckle appears. The TV curve in **Losses** follows.",
        plots=("image", "losses"),
        run_steps=200,
    ),
    NarrativeStep(
        "Which layers make the style?",
        "Every layer's style loss is drawn in **Style loss per layer**, chosen or not. Switch layers off with "
        "**Style from layer 1..5**:\n\n"
        "- only layers 1-2: colours and fine grain, small-scale texture;\n"
        "- only layers 4-5: larger motifs and strokes, with the colours less faithful;\n"
        "- all five (Gatys et al.): both.\n\n"
        "The curves of layers you switched off stop falling (or rise): nothing asks them to match any more. "
        "Pick a layer under **Gram matrix of layer** to compare its Gram matrices; a deep layer has many "
        "channels, so only the top-left 32 × 32 block is drawn.",
        plots=("image", "style_layers", "gram_style", "gram_image"),
        run_steps=200,
    ),
    NarrativeStep(
        "Your turn",
        "Things to try:\n\n"
        "- your own pictures: **Style image** file and **Content image** file (any format Pillow reads; "
        "huge photos are resized);\n"
        "- **Image size** 256 px (slower) or 64 px (fast, coarse);\n"
        "- a much larger **learning rate**: the image saturates to pure colours; the pixels are clipped to "
        "[0, 1] after every step;\n"
        "- **Features**: vgg19, if you can download the weights, and compare the same settings.",
        plots=None,
    ),
)


def divergence_text(hp: Mapping[str, Any]) -> str:
    """Why the losses turned NaN or infinite, with the settings the user can change."""
    return (f"The losses became NaN or infinite (learning rate {hp['lr']:g}, weights α {hp['content_weight']:g}, "
            f"β {hp['style_weight']:g}, γ {hp['tv_weight']:g}). Lower the learning rate or the largest weight "
            "and press Reset (R).")
