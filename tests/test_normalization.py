"""Per-channel statistics, folding normalization into a conv layer, the colour-only task, exercise checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from cnncourse import data, models
from cnncourse.data.colour import EQUAL_LUMA_TINTS, colour_only_task, luma, tint
from cnncourse.data.stats import channel_stats, mean_of_image_stds, standardizer, stats_standard_error
from cnncourse.errors import InputShapeError
from cnncourse.exercises import normalization as ex
from cnncourse.analysis import layer_gradient_norms
from cnncourse.by_hand import fold_normalization
from cnncourse.experiments import Variant, final_losses, train_each
from cnncourse.recipes import Recipe
from cnncourse.train import History


def random_images(n: int = 37, channels: int = 3, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, 8, 8), dtype=torch.uint8, generator=generator)


# --- channel_stats ------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [1, 5, 37, 1000])
def test_channel_stats_matches_numpy_for_any_batch_size(batch_size: int) -> None:
    images = random_images()
    stats = channel_stats(images, batch_size=batch_size)
    x = images.numpy().astype(np.float64) / 255
    np.testing.assert_allclose(stats.mean, x.mean(axis=(0, 2, 3)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(stats.std, x.std(axis=(0, 2, 3)), rtol=0, atol=1e-12)  # population std
    assert stats.count == 37


def test_channel_stats_of_float_images_are_not_rescaled_and_accept_imagedata() -> None:
    images = random_images(channels=1).float() / 255
    stats = channel_stats(images, batch_size=4)
    assert stats.mean[0] == pytest.approx(images.double().mean().item(), abs=1e-9)
    wrapped = data.ImageData(random_images(), torch.zeros(37, dtype=torch.long), ("a",), "train", "toy")
    assert channel_stats(wrapped).mean == channel_stats(wrapped.images).mean


def test_channel_stats_never_converts_more_than_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    images = random_images(n=50)
    seen = []
    original = torch.Tensor.to

    def spy(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if result.is_floating_point() and result.ndim == 4:
            seen.append(len(result))
        return result

    monkeypatch.setattr(torch.Tensor, "to", spy)
    channel_stats(images, batch_size=8)
    assert seen and max(seen) <= 8


def test_channel_stats_after_a_transform_of_each_batch() -> None:
    images = random_images()
    plain = channel_stats(images)
    after = channel_stats(images, batch_size=5, transform=lambda x: data.normalize(x, plain.mean, plain.std))
    np.testing.assert_allclose(after.mean, 0.0, atol=1e-9)
    np.testing.assert_allclose(after.std, 1.0, atol=1e-9)
    doubled = channel_stats(images, transform=lambda x: 2 * x)
    np.testing.assert_allclose(doubled.std, 2 * np.array(plain.std), rtol=1e-12)


def test_channel_stats_rejects_a_single_image() -> None:
    with pytest.raises(InputShapeError, match=r"\(N, C, H, W\)"):
        channel_stats(random_images()[0])


def test_standard_error_shrinks_to_zero_for_the_whole_population_and_matches_theory() -> None:
    generator = torch.Generator().manual_seed(1)
    # 4000 images whose brightness differs from image to image: per-image means have std ~ 30/255
    images = (128 + 30 * torch.randn(4000, 1, 1, 1, generator=generator) + torch.randn(4000, 1, 4, 4, generator=generator))
    images = images.round().clamp(0, 255).to(torch.uint8)
    error = stats_standard_error(images, chunks=20)
    per_image_mean_std = (images.double() / 255).mean(dim=(1, 2, 3)).std().item()
    assert error.mean[0] == pytest.approx(per_image_mean_std / math.sqrt(4000), rel=0.4)
    assert stats_standard_error(images, chunks=20, population=4000).mean[0] == 0.0
    halved = stats_standard_error(images, chunks=20, population=8000).mean[0]
    assert halved == pytest.approx(error.mean[0] * math.sqrt(0.5), rel=1e-9)


def test_standardizer_makes_each_channel_zero_mean_unit_std() -> None:
    images = random_images(n=64)
    x, _ = standardizer(images)(images, torch.zeros(64), False)
    stats = channel_stats(x)
    np.testing.assert_allclose(stats.mean, 0.0, atol=1e-5)
    np.testing.assert_allclose(stats.std, 1.0, atol=1e-5)


def test_mean_of_image_stds_is_smaller_than_the_dataset_std_when_images_differ() -> None:
    dark = torch.full((10, 1, 4, 4), 20, dtype=torch.uint8)
    bright = torch.full((10, 1, 4, 4), 220, dtype=torch.uint8)
    images = torch.cat([dark, bright])
    assert mean_of_image_stds(images)[0] == pytest.approx(0.0)  # every image is flat
    assert channel_stats(images).std[0] == pytest.approx(100 / 255)  # but they differ from each other


def test_cifar10_subset_statistics_match_the_data_readme(needs_data) -> None:
    stats = channel_stats(data.load_cifar10("train"))
    if stats.count == 50_000:
        expected_mean, expected_std = data.CIFAR10_MEAN, data.CIFAR10_STD
    else:  # the 10,000-image subset, whose statistics the data README lists
        expected_mean, expected_std = (0.4936, 0.4832, 0.4470), (0.2478, 0.2448, 0.2626)
    np.testing.assert_allclose(stats.mean, expected_mean, atol=6e-5)
    np.testing.assert_allclose(stats.std, expected_std, atol=6e-5)
    assert str(stats).startswith("mean (0.49")


# --- fold_normalization -------------------------------------------------------------------------

def test_folded_conv_on_raw_input_equals_conv_on_standardized_input() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, 3, padding=0, stride=2)
    x = torch.rand(4, 3, 11, 11)
    standardized = data.normalize(x, data.CIFAR10_MEAN, data.CIFAR10_STD)
    folded = fold_normalization(conv, data.CIFAR10_MEAN, data.CIFAR10_STD)
    torch.testing.assert_close(folded(x), conv(standardized), atol=1e-5, rtol=1e-5)


def test_folding_with_padding_is_exact_inside_and_differs_only_at_the_border() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
    x = torch.rand(2, 3, 10, 10)
    expected = conv(data.normalize(x, data.CIFAR10_MEAN, data.CIFAR10_STD))
    got = fold_normalization(conv, data.CIFAR10_MEAN, data.CIFAR10_STD)(x)
    torch.testing.assert_close(got[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-5, rtol=1e-5)
    assert (got[..., 0, :] - expected[..., 0, :]).abs().max() > 0.01


def test_fold_normalization_checks_the_channel_count() -> None:
    with pytest.raises(ValueError, match="one per input channel"):
        fold_normalization(nn.Conv2d(1, 2, 3), data.CIFAR10_MEAN, data.CIFAR10_STD)


# --- training helpers ---------------------------------------------------------------------------

def test_final_losses_count_a_diverged_run_as_infinitely_bad() -> None:
    runs = {"ok": History(step_loss=[3.0, 2.0, 1.0]), "diverged": History(step_loss=[2.0, float("nan")])}
    losses = final_losses(runs, last_steps=2)
    assert losses == {"ok": 1.5, "diverged": math.inf}


def test_first_layer_gradient_grows_with_the_input_scale() -> None:
    torch.manual_seed(0)
    model = models.small_cnn(widths=(4, 8), batch_norm=False)
    images, labels = random_images(n=16, seed=3).repeat(1, 1, 2, 2), torch.arange(16) % 10
    unit = layer_gradient_norms(model, *data.Preprocess()(images, labels))["features.0"]
    raw = layer_gradient_norms(model, *data.Preprocess(scale=1)(images, labels))["features.0"]
    assert raw > 20 * unit


def test_train_each_starts_every_run_from_the_same_weights_with_its_own_settings() -> None:
    images, labels = random_images(n=32), torch.arange(32) % 2
    starts = []

    def build() -> nn.Module:
        model = models.small_cnn(widths=(4,), num_classes=2, batch_norm=False)
        starts.append(model.features[0].weight.detach().clone())
        return model

    recipe = Recipe(steps=2, batch_size=16, precision="fp32")
    variants = {"a": Variant(build, (images, labels), recipe),
                "b": Variant(build, (images, labels), recipe.but(lr=1e-9), data.Preprocess(scale=1))}
    outcomes = train_each(variants)
    assert list(outcomes) == ["a", "b"] and all(len(o.history.step_loss) == 2 for o in outcomes.values())
    torch.testing.assert_close(starts[0], starts[1])
    assert outcomes["a"].history.label == "a" and outcomes["a"].test_accuracy is None
    assert outcomes["b"].history.step_loss[0] == pytest.approx(outcomes["b"].history.step_loss[1], rel=0.3)


def test_train_each_builds_each_model_for_its_data_and_tests_it() -> None:
    rgb = data.ImageData(random_images(n=40), torch.arange(40) % 2, ("a", "b"), "train", "toy")
    recipe = Recipe(steps=2, batch_size=20, precision="fp32")
    variants = {name: Variant(lambda d=d: models.small_cnn(in_channels=d.images.shape[1], num_classes=2, widths=(4,)),
                              d, recipe, standardizer(d), test=d)
                for name, d in {"rgb": rgb, "gray": rgb.grayscale()}.items()}
    outcomes = train_each(variants)
    assert [o.model.in_channels for o in outcomes.values()] == [3, 1]
    assert all(0.0 <= o.test_accuracy <= 1.0 for o in outcomes.values())
    assert final_losses(outcomes).keys() == {"rgb", "gray"}


# --- colour ---------------------------------------------------------------------------------------

def test_the_two_tints_have_equal_luma_but_different_colours() -> None:
    first, second = EQUAL_LUMA_TINTS.values()
    assert luma(first) == pytest.approx(luma(second), abs=1e-4)
    assert max(abs(a - b) for a, b in zip(first, second)) > 0.5


def test_tint_paints_the_luma_of_each_pixel_in_the_colour() -> None:
    pixel = torch.tensor([200, 100, 50], dtype=torch.uint8).view(1, 3, 1, 1)
    gray = 0.299 * 200 + 0.587 * 100 + 0.114 * 50
    painted = tint(pixel, (1.0, 0.5, 0.0))
    assert painted.dtype == torch.uint8
    assert painted.flatten().tolist() == [round(gray), round(gray / 2), 0]


def test_grayscale_copies_of_the_two_tints_are_almost_identical() -> None:
    images = random_images(n=20)
    first, second = (tint(images, colour) for colour in EQUAL_LUMA_TINTS.values())
    as_data = lambda x: data.ImageData(x, torch.zeros(20, dtype=torch.long), ("a",), "train", "toy")
    gray_difference = (as_data(first).grayscale().images.int() - as_data(second).grayscale().images.int()).abs()
    assert gray_difference.max() <= 1  # rounding only
    assert (first.int() - second.int()).abs().max() > 50  # while the colours differ a lot


def test_colour_only_task_labels_are_the_tints() -> None:
    source = data.ImageData(random_images(n=200), torch.zeros(200, dtype=torch.long), ("a",), "train", "toy")
    task = colour_only_task(source, seed=0)
    assert task.classes == tuple(EQUAL_LUMA_TINTS) and 70 < int(task.labels.sum()) < 130
    for label, colour in enumerate(EQUAL_LUMA_TINTS.values()):
        chosen = task.labels == label
        torch.testing.assert_close(task.images[chosen], tint(source.images[chosen], colour))


# --- exercise checks ----------------------------------------------------------------------------

def test_normalized_pixel_check() -> None:
    pixel = torch.tensor(ex.EXERCISE_PIXEL) / 255
    answer = ((pixel - torch.tensor(data.CIFAR10_MEAN)) / torch.tensor(data.CIFAR10_STD)).tolist()
    assert ex.check_normalized_pixel(answer).passed
    assert not ex.check_normalized_pixel(None).passed
    forgot_scale = ((torch.tensor(ex.EXERCISE_PIXEL) - torch.tensor(data.CIFAR10_MEAN)) / torch.tensor(data.CIFAR10_STD))
    feedback = ex.check_normalized_pixel(forgot_scale)
    assert not feedback.passed and "255" in feedback.message
    multiplied = ((pixel - torch.tensor(data.CIFAR10_MEAN)) * torch.tensor(data.CIFAR10_STD))
    assert "divides" in ex.check_normalized_pixel(multiplied).message
    assert "three numbers" in ex.check_normalized_pixel([1.0, 2.0]).message


def test_channel_stats_check() -> None:
    x = ex.exercise_batch().double() / 255
    mean, std = x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3), correction=0)
    assert ex.check_channel_stats(mean, std).passed
    assert ex.check_channel_stats(*[s for s in (channel_stats(ex.exercise_batch()).mean,
                                                channel_stats(ex.exercise_batch()).std)]).passed
    assert not ex.check_channel_stats(None, None).passed
    assert "0..255" in ex.check_channel_stats(mean * 255, std * 255).message
    assert "one mean per image" in ex.check_channel_stats(x.mean(dim=(2, 3)), std).message
    per_image = x.std(dim=(2, 3), correction=0).mean(0)
    assert "each image's own std" in ex.check_channel_stats(mean, per_image).message


def test_equal_luma_colour_check() -> None:
    assert ex.check_equal_luma_colour(EQUAL_LUMA_TINTS["blue-teal"]).passed
    assert not ex.check_equal_luma_colour(None).passed
    feedback = ex.check_equal_luma_colour((0.2, 0.2, 0.9))  # blue, but much darker than orange
    assert not feedback.passed and "luma" in feedback.message
    assert "almost orange" in ex.check_equal_luma_colour((0.8, 0.4, 0.25)).message
    assert "between 0 and 1" in ex.check_equal_luma_colour((2.0, 0.0, 0.0)).message
