"""Adebayo et al.'s cascading randomization: the maps change, the inspected network does not."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from visualizer.probes.sanity_check import cascading_randomization, randomization_units, rank_similarity  # noqa: E402


@pytest.fixture(scope="module")
def small_vgg():
    from visualizer.data.shapes import SOURCE_CLASSES, generate_shapes
    from visualizer.models.inspect_torch import from_vgg_features
    from visualizer.models.shapes_pretrained import load_source_model

    model, _ = load_source_model()
    val = generate_shapes(SOURCE_CLASSES, 1, size=32, seed=10_001)
    return from_vgg_features(model, SOURCE_CLASSES, 32, "small VGG"), torch.as_tensor(val.images[:1])


def test_rank_similarity():
    a = np.arange(16.0).reshape(4, 4)
    assert rank_similarity(a, 2 * a + 1) == pytest.approx(1.0)
    assert rank_similarity(a, -a) == pytest.approx(1.0)            # absolute values are compared
    assert np.isnan(rank_similarity(a, np.zeros_like(a)))


def test_units_run_from_the_logits_down_with_their_batch_norm(small_vgg):
    ins, _ = small_vgg
    units = randomization_units(ins.model)
    assert [ins.display_name(n) for n, _ in units][:3] == ["logits", "fc1", "block3_conv2"]
    assert [type(m).__name__ for m in units[2][1]] == ["Conv2d", "BatchNorm2d"]
    assert ins.display_name(units[-1][0]) == "block1_conv1"


def test_randomizing_the_weights_changes_the_maps_and_leaves_the_network_alone(small_vgg):
    ins, x = small_vgg
    before = {k: v.clone() for k, v in ins.model.state_dict().items()}
    with torch.no_grad():
        target = int(ins.model(x).argmax())
    r = cascading_randomization(ins, x, target)
    assert r.depths[0] == "trained" and r.depths[-1] == "block1_conv1" and len(r.depths) == 9
    for method in ("Grad-CAM", "saliency", "integrated gradients"):
        assert r.maps[method].shape == (9, 32, 32)
        assert r.similarity[method][0] == pytest.approx(1.0)
        assert np.nan_to_num(r.similarity[method][-1]) < 0.6, method
    assert all(torch.equal(before[k], v) for k, v in ins.model.state_dict().items())
