"""The generated scenes (visualizer/data/scenes.py): seeded, with boxes, masks and keypoints that agree."""
import numpy as np
import pytest

from visualizer.data.scenes import KEYPOINTS, LIMBS, SCENE_CLASSES, SKELETON, Scenes, generate_scenes, scene_sets


@pytest.fixture(scope="module")
def scenes():
    return generate_scenes(60, 64, seed=2)


def test_a_scene_depends_only_on_seed_and_index(scenes):
    again = generate_scenes(60, 64, seed=2)
    prefix = generate_scenes(20, 64, seed=2)
    other = generate_scenes(20, 64, seed=3)
    assert np.array_equal(scenes.images, again.images) and np.array_equal(scenes.boxes, again.boxes)
    m = len(prefix.boxes)
    assert np.array_equal(prefix.images, scenes.images[:20]) and np.array_equal(prefix.boxes, scenes.boxes[:m])
    assert np.array_equal(prefix.keypoints, scenes.keypoints[:m])
    assert not np.array_equal(other.images, prefix.images)


def test_arrays_have_the_documented_shapes_and_ranges(scenes):
    n, m = len(scenes), len(scenes.boxes)
    assert scenes.images.shape == (n, 3, 64, 64) and scenes.images.dtype == np.float32
    assert 0.0 <= scenes.images.min() and scenes.images.max() <= 1.0
    assert scenes.class_masks.shape == (n, 64, 64) and scenes.class_masks.dtype == np.int64
    assert scenes.instance_masks.shape == (m, 64, 64) and scenes.keypoints.shape == (m, 18, 3)
    assert scenes.class_names == SCENE_CLASSES and len(KEYPOINTS) == 18 and len(LIMBS) == 19
    assert set(SKELETON) <= set(LIMBS)
    per_image = np.bincount(scenes.box_image, minlength=n)
    assert per_image.min() >= 1 and per_image.max() <= 4
    assert set(np.unique(scenes.box_labels)) == set(range(len(SCENE_CLASSES)))      # every class occurs


def test_boxes_class_masks_and_instance_masks_agree(scenes):
    for j, (box, label, i, mask) in enumerate(zip(scenes.boxes, scenes.box_labels, scenes.box_image,
                                                  scenes.instance_masks)):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert box.tolist() == [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], j       # the visible extent
        assert np.all(scenes.class_masks[i][mask] == label + 1)
    for i in range(len(scenes)):                                   # every labelled pixel belongs to one instance
        inst = scenes.instance_masks[scenes.instances_of(i)]
        assert inst.sum(0).max() <= 1
        assert np.array_equal(inst.any(0), scenes.class_masks[i] > 0)
    sides = np.maximum(scenes.boxes[:, 2] - scenes.boxes[:, 0], scenes.boxes[:, 3] - scenes.boxes[:, 1])
    assert sides.min() < 16 and sides.max() > 32                   # small and large objects


def test_people_have_keypoints_on_their_own_strokes_and_face_the_viewer(scenes):
    person = SCENE_CLASSES.index("person")
    is_person = scenes.box_labels == person
    assert np.all(scenes.keypoints[~is_person] == 0)
    kp = scenes.keypoints[is_person]
    assert len(kp) >= 5 and np.all(kp[:, :, 2] >= 1)
    masks = scenes.instance_masks[is_person]
    for k, mask in zip(kp, masks):
        r, c = k[:, 1].astype(int), k[:, 0].astype(int)
        assert np.array_equal(mask[r, c], k[:, 2] == 2)           # visible exactly where its own pixels show
        assert k[2, 0] < k[5, 0] and k[8, 0] < k[11, 0]            # the right shoulder and hip on the image's left
    assert (kp[:, :, 2] == 2).mean() > 0.8                          # most joints are not hidden


def test_subset_and_people_of_keep_each_images_instances(scenes):
    idx = np.array([5, 1, 5])
    sub = scenes.subset(idx)
    assert len(sub) == 3 and np.array_equal(sub.images[0], scenes.images[5])
    for k, i in enumerate(idx):
        b, l = sub.boxes_of(k)
        b0, l0 = scenes.boxes_of(int(i))
        assert np.array_equal(b, b0) and np.array_equal(l, l0)
        assert np.array_equal(sub.people_of(k), scenes.people_of(int(i)))


def test_train_and_validation_share_no_scene_and_classes_can_be_chosen():
    train, val = scene_sets(10, 10, 48, seed=0, max_objects=2)
    assert not any(np.array_equal(a, b) for a in train.images for b in val.images)
    shapes_only = generate_scenes(10, 48, 0, classes=("square", "circle"))
    assert shapes_only.class_names == ("square", "circle") and np.all(shapes_only.keypoints == 0)


@pytest.mark.parametrize("kw", [dict(n=0), dict(size=16), dict(max_objects=0), dict(min_scale=0.7, max_scale=0.5),
                                dict(person_share=1.5), dict(classes=("circle", "dog")),
                                dict(classes=("circle", "circle"))])
def test_bad_arguments_are_refused_with_a_message(kw):
    args = dict(n=4, size=64) | kw
    with pytest.raises(ValueError, match="need|classes"):
        generate_scenes(**args)


def test_scenes_refuse_arrays_that_disagree(scenes):
    with pytest.raises(ValueError, match="boxes"):
        Scenes(scenes.images, scenes.class_masks, scenes.boxes[:, :3], scenes.box_labels, scenes.box_image,
               scenes.instance_masks, scenes.keypoints, scenes.class_names)
