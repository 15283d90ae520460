"""Recipes and models over swept arguments (hypothesis): a valid setting works, any other is answered with the
course's own error, which names the argument."""

import math
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncourse import models
from cnncourse.errors import CourseError, InputTypeError, InputValueError
from cnncourse.recipes import Recipe
from cnncourse.validate import is_number

ANY_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.booleans(),
                       st.text(max_size=2), st.none())
CLASSIFIERS = ("small_cnn", "vgg_tiny", "inception_small", "resnet20", "plain20")


def _raises_naming(error: type[CourseError], name: str, call) -> None:
    with pytest.raises(error) as caught:
        call()
    assert re.search(rf"\b{name}\b", str(caught.value)), f"the message should name {name}: {caught.value}"


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["lr", "momentum", "weight_decay"]), value=ANY_NUMBER)
def test_a_recipe_takes_finite_numbers_in_range_and_names_any_other(name, value):
    valid = {"lr": lambda v: 0 < v < math.inf, "momentum": lambda v: 0 <= v < 1,
             "weight_decay": lambda v: 0 <= v < math.inf}[name]
    if is_number(value) and valid(value):
        assert getattr(Recipe(steps=10, **{name: value}), name) == value
    else:
        _raises_naming(InputValueError if is_number(value) else InputTypeError, name,
                       lambda: Recipe(steps=10, **{name: value}))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["steps", "batch_size", "min_steps"]), value=ANY_NUMBER.filter(lambda v: v is not None))
def test_a_recipe_counts_in_whole_numbers_and_names_any_other(name, value):
    smallest = 0 if name == "min_steps" else 1
    whole = isinstance(value, int) and not isinstance(value, bool)
    if whole and value >= smallest:
        assert getattr(Recipe(**{"steps": 10, name: value}), name) == value
    else:
        _raises_naming(InputValueError if whole else InputTypeError, name,
                       lambda: Recipe(**{"steps": 10, name: value}))


@pytest.mark.parametrize("name", ["batch_size", "min_steps"])
def test_only_the_length_of_training_may_be_left_unset(name):
    _raises_naming(InputTypeError, name, lambda: Recipe(steps=10, **{name: None}))
    assert Recipe(steps=None, epochs=2).steps is None


@settings(max_examples=25, deadline=None)
@given(builder=st.sampled_from(CLASSIFIERS), num_classes=st.one_of(st.integers(-2, 12), st.booleans(),
                                                                  st.floats(1, 5), st.none()))
def test_every_classifier_builds_for_any_positive_class_count_and_names_any_other(builder, num_classes):
    build = lambda: models.build_model(builder, num_classes=num_classes)  # noqa: E731
    if isinstance(num_classes, int) and not isinstance(num_classes, bool) and num_classes >= 1:
        assert build().eval()(torch.rand(2, 3, 8, 8)).shape == (2, num_classes)
    else:
        whole = isinstance(num_classes, int) and not isinstance(num_classes, bool)
        _raises_naming(InputValueError if whole else InputTypeError, "num_classes", build)


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(-4, 40))
def test_a_cifar_resnet_is_6n_plus_2_layers_deep_or_says_so(depth):
    if depth >= 8 and (depth - 2) % 6 == 0:
        assert models.CifarResNet(depth).depth == depth
    else:
        _raises_naming(InputValueError, "depth", lambda: models.CifarResNet(depth))


@pytest.mark.parametrize("build, name, error", [
    (lambda: models.CifarResNet(20, widths=(16, 0, 64)), "widths", InputValueError),
    (lambda: models.CifarResNet(20, in_channels=0), "in_channels", InputValueError),
    (lambda: models.CifarResNet(20, init_scale=float("nan")), "init_scale", InputValueError),
    (lambda: models.CifarResNet(20.0), "depth", InputTypeError),
    (lambda: models.VGG([8, "X"]), "cfg", InputValueError),
    (lambda: models.VGG(["M"]), "cfg", InputValueError),
    (lambda: models.InceptionNet([], stem_channels=0), "stem_channels", InputValueError),
    (lambda: models.ConvAutoencoder(width=0), "width", InputValueError),
    (lambda: models.ConvAutoencoder(depth=1.5), "depth", InputTypeError),
])
def test_a_model_names_the_setting_it_cannot_build(build, name, error):
    _raises_naming(error, name, build)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["elastic_std", "std", "border", "crop_size", "elastic_grid"]), value=ANY_NUMBER)
def test_segmentation_augmentation_names_a_setting_it_cannot_use(name, value):
    from cnncourse.data.segmentation import SegmentationAugment
    whole = isinstance(value, int) and not isinstance(value, bool)
    valid = {"elastic_std": is_number(value) and 0 <= value < math.inf,
             "std": is_number(value) and 0 < value < math.inf,
             "border": whole and value >= 0, "crop_size": value is None or (whole and value >= 1),
             "elastic_grid": whole and value >= 2}[name]
    if valid:
        assert getattr(SegmentationAugment(**{name: value}), name) == value
    else:
        real = whole if name in ("border", "crop_size", "elastic_grid") else is_number(value)
        _raises_naming(InputValueError if real else InputTypeError, name, lambda: SegmentationAugment(**{name: value}))
