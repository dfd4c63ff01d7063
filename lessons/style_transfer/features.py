"""Which network the ``style_transfer`` lesson measures content and style with (Qt-free; torch on the build
path only): VGG-19 with ImageNet weights when they are in torch's cache (or asked for), else random multi-scale
convolutions (``visualizer.models.random_features_torch``), and what the user is told about it."""
from __future__ import annotations

from visualizer.data.download import DownloadError

FEATURES = ("auto", "random", "vgg19")

RANDOM_NOTICE = (
    "Features: random multi-scale convolutions (no VGG-19 weights in torch's cache). Random filters at several "
    "scales with a ReLU still capture colour, edge and texture statistics in their Gram matrices, which is all "
    "texture synthesis needs (Ustyuzhaninov et al. 2017), so the style transfers. With VGG-19's ImageNet "
    "weights (Features: vgg19 downloads them once, about 550 MB) the content layer keeps objects rather than "
    "pixels and the strokes come out sharper.")
VGG_NOTICE = ("Features: VGG-19 with ImageNet weights, as Gatys et al. (2016): style from conv1_1…conv5_1, content "
              "from conv4_2.")


def build_features(features: str, seed: int, context):
    """The feature network for ``features``: "vgg19" (downloaded once when absent, with progress), "random", or
    "auto" (VGG-19 when its weights are in torch's cache, else random).  A failed download falls back to the
    random network and says so (``context.notice``, ``context.substituted``).  Returns an nn.Module in eval mode
    with ``style_layers``, ``content_layer`` and ``description`` (see ``random_features_torch``)."""
    from visualizer.data.vgg_weights import load_vgg, vgg_weights_present
    from visualizer.models.random_features_torch import RandomFeatures, RandomFeaturesConfig, VGGStyleFeatures

    if features == "vgg19" or (features == "auto" and vgg_weights_present("vgg19")):
        try:
            vgg = load_vgg("vgg19", download=features == "vgg19",
                           progress=lambda done, total: context.progress(
                               "Downloading VGG-19 weights", done / total if total else None))
            net = VGGStyleFeatures(vgg)
            context.notice(VGG_NOTICE)
            return net
        except (DownloadError, OSError, ValueError) as e:
            context.notice(f"VGG-19 weights unavailable ({e}); using random multi-scale features instead.")
            context.substituted("features", "random multi-scale features")
    context.notice(RANDOM_NOTICE)
    return RandomFeatures(RandomFeaturesConfig(seed=seed))
