"""Classification metrics and the analyses over swept arguments: right where the arguments are valid, and a clear
error of the course's own types, naming what is wrong, where they are not."""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncourse import analysis, models
from cnncourse.errors import CourseError, InputShapeError, InputTypeError, InputValueError
from cnncourse.metrics import accuracy, confusion_matrix


def _raises_naming(error: type[CourseError], name: str, call) -> None:
    with pytest.raises(error) as caught:
        call()
    assert re.search(rf"\b{name}\b", str(caught.value)), f"the message should name {name}: {caught.value}"


@settings(max_examples=50)
@given(n=st.integers(1, 30), classes=st.integers(1, 6), label_shift=st.integers(-3, 3), seed=st.integers(0, 999))
def test_classification_metrics_are_right_or_refuse_labels_outside_the_classes(n, classes, label_shift, seed):
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(n, classes, generator=generator)
    labels = torch.randint(0, classes, (n,), generator=generator) + label_shift
    if labels.min() < 0 or labels.max() >= classes:
        _raises_naming(InputValueError, "accuracy", lambda: accuracy(scores, labels))
        _raises_naming(InputValueError, "confusion_matrix", lambda: confusion_matrix(scores, labels, classes))
        return
    assert accuracy(scores, labels) == pytest.approx((scores.argmax(1) == labels).float().mean().item())
    counts = confusion_matrix(scores, labels, classes)
    assert counts.sum() == n and counts.trace() == (scores.argmax(1) == labels).sum()


def test_confusion_matrix_names_a_class_count_that_disagrees_with_the_scores():
    scores, labels = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    _raises_naming(InputShapeError, "num_classes", lambda: confusion_matrix(scores, labels, 5))
    _raises_naming(InputValueError, "num_classes", lambda: confusion_matrix(scores, labels, 0))
    _raises_naming(InputShapeError, "accuracy", lambda: accuracy(scores, labels.float()))


def test_gradient_norms_refuse_labels_the_model_cannot_score():
    net = models.resnet20(num_classes=3)
    x = torch.randn(4, 3, 32, 32)
    _raises_naming(InputValueError, "layer_gradient_norms",
                   lambda: analysis.layer_gradient_norms(net, x, torch.tensor([0, 1, 2, 7])))
    _raises_naming(InputValueError, "measure", lambda: analysis.layer_gradient_norms(net, x, torch.zeros(4).long(),
                                                                                      measure="size"))
    _raises_naming(InputValueError, "step_sizes",
                   lambda: analysis.landscape_along_gradient(net, x, torch.zeros(4).long(), step_sizes=(0.1, -0.1)))


def test_ablations_refuse_impossible_counts_and_name_them():
    net, test = models.resnet20(), (torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8), torch.arange(4))
    generator = torch.Generator().manual_seed(0)
    _raises_naming(InputValueError, "count", lambda: analysis.random_deletions(net, test, 10, draws=1,
                                                                               generator=generator))
    _raises_naming(InputValueError, "count", lambda: analysis.random_swaps(net, test, 0, draws=1, generator=generator))
    _raises_naming(InputTypeError, "draws", lambda: analysis.random_swaps(net, test, 1, draws=2.0, generator=generator))
    _raises_naming(InputTypeError, "generator", lambda: analysis.random_deletions(net, test, 1, draws=1, generator=0))
    _raises_naming(InputTypeError, "model", lambda: analysis.deletion_sweep(models.small_cnn(), test))
    _raises_naming(InputValueError, "intact", lambda: analysis.kept_skill([0.3], 0.1, chance=0.1))
    _raises_naming(InputValueError, "chance", lambda: analysis.kept_skill([0.3], 0.5, chance=10))
    _raises_naming(InputValueError, "accuracies", lambda: analysis.kept_skill([], 0.5, chance=0.1))


def test_embeddings_need_matching_points_and_labels():
    assert analysis.pca_2d(torch.randn(5, 3, 2)).shape == (5, 2)
    _raises_naming(InputShapeError, "codes", lambda: analysis.pca_2d(torch.randn(1, 4)))
    _raises_naming(InputShapeError, "labels", lambda: analysis.nearest_centroid_accuracy(torch.randn(5, 2),
                                                                                         torch.zeros(4).long()))


@settings(max_examples=40)
@given(accuracies=st.lists(st.floats(-1, 2), min_size=1, max_size=5), intact=st.floats(0.2, 1.5))
def test_kept_skill_is_a_share_of_the_intact_skill_or_refuses_values_outside_0_to_1(accuracies, intact):
    if all(0 <= a <= 1 for a in accuracies) and intact <= 1:
        kept = analysis.kept_skill(accuracies, intact, chance=0.1)
        assert kept == pytest.approx((sum(accuracies) / len(accuracies) - 0.1) / (intact - 0.1))
    else:  # a percentage (30 for 0.3) would give a skill kept of hundreds
        _raises_naming(InputValueError, "accuracies", lambda: analysis.kept_skill(accuracies, intact, chance=0.1))


def test_filter_and_receptive_field_measures_name_what_they_were_given():
    _raises_naming(InputShapeError, "weight", lambda: analysis.colour_share(torch.randn(8, 3, 3)))
    _raises_naming(InputShapeError, "weight", lambda: analysis.colour_share(torch.randn(8, 1, 3, 3)))  # gray: no colour
    _raises_naming(InputShapeError, "weight", lambda: analysis.colour_share([[1.0]]))
    _raises_naming(InputShapeError, "grad_map", lambda: analysis.nonzero_extent(torch.ones(3)))
    _raises_naming(InputValueError, "tolerance", lambda: analysis.nonzero_extent(torch.ones(3, 3), tolerance=-1))
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)
    _raises_naming(InputValueError, "size", lambda: analysis.gradient_receptive_field(conv, in_channels=1, size=0))
    _raises_naming(InputTypeError, "in_channels", lambda: analysis.gradient_receptive_field(conv, in_channels=1.0))
    assert analysis.nonzero_extent(analysis.gradient_receptive_field(conv, in_channels=1, size=9)) == (3, 3)


def test_the_linear_probe_names_labels_and_settings_it_cannot_use():
    labels = torch.tensor([0, 1, 0, 1, 0, 1])
    codes = torch.randn(6, 4, generator=torch.Generator().manual_seed(0)) + 4.0 * labels[:, None]  # apart by class
    probe = analysis.linear_probe_accuracy
    _raises_naming(InputTypeError, "train_labels", lambda: probe(codes, labels.float(), codes, labels))
    _raises_naming(InputValueError, "weight_decay", lambda: probe(codes, labels, codes, labels, weight_decay=-1))
    _raises_naming(InputTypeError, "steps", lambda: probe(codes, labels, codes, labels, steps=10.5))
    assert probe(codes, labels, codes, labels, steps=50) == 1.0  # two classes far apart, scored on themselves
