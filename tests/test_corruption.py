"""Noise on 0..1 images, the 0..255 mistake, masked squares and the prepare functions for training."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncourse.data.corruption import (MaskedPairs, NoisyPairs, add_gaussian_noise, add_noise_before_scaling,
                                       mask_square)
from cnncourse.errors import InputShapeError, InputTypeError, InputValueError


def grey_images(n: int = 32, value: int = 128) -> torch.Tensor:
    return torch.full((n, 1, 28, 28), value, dtype=torch.uint8)


def test_noise_has_the_requested_std_on_the_0_to_1_scale():
    noisy = add_gaussian_noise(grey_images(), 0.1, generator=torch.Generator().manual_seed(0))
    assert noisy.dtype == torch.float32
    assert abs(float((noisy - 128 / 255).std()) - 0.1) < 0.003
    assert abs(float(noisy.mean()) - 128 / 255) < 0.003


def test_noise_is_clipped_to_the_image_range():
    noisy = add_gaussian_noise(torch.zeros(8, 1, 28, 28), 0.5, generator=torch.Generator().manual_seed(0))
    assert float(noisy.min()) == 0.0 and float(noisy.max()) <= 1.0
    assert (noisy == 0).float().mean() > 0.45  # half of the noise on black pixels is negative and clipped


def test_same_generator_seed_gives_the_same_noise():
    a = add_gaussian_noise(grey_images(), 0.2, generator=torch.Generator().manual_seed(3))
    b = add_gaussian_noise(grey_images(), 0.2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_one_noise_level_per_image():
    levels = torch.tensor([0.0, 0.05, 0.2])
    noisy = add_gaussian_noise(grey_images(3), levels, generator=torch.Generator().manual_seed(0))
    measured = (noisy - 128 / 255).flatten(1).std(1)
    assert torch.allclose(measured, levels, atol=0.01)


def test_noise_added_before_scaling_is_255_times_weaker():
    generator = torch.Generator().manual_seed(0)
    wrong = add_noise_before_scaling(grey_images(), 0.1, generator=generator)
    right = add_gaussian_noise(grey_images(), 0.1, generator=torch.Generator().manual_seed(0))
    ratio = float((right - 128 / 255).std() / (wrong - 128 / 255).std())
    assert ratio == pytest.approx(255, rel=0.02)
    with pytest.raises(TypeError, match="uint8"):
        add_noise_before_scaling(torch.rand(1, 1, 28, 28), 0.1)


def test_mask_square_hides_exactly_one_square_per_image():
    images = torch.rand(16, 1, 28, 28)
    masked, mask = mask_square(images, 10, fill=0.5, margin=4, generator=torch.Generator().manual_seed(0))
    assert mask.shape == (16, 1, 28, 28) and mask.dtype == torch.bool
    assert mask.flatten(1).sum(1).tolist() == [100] * 16
    assert torch.all(masked[mask] == 0.5) and torch.equal(masked[~mask], images[~mask])
    rows = mask.any(dim=3).squeeze(1).float().argmax(1)  # first masked row of each image
    assert rows.min() >= 4 and rows.max() <= 28 - 4 - 10
    with pytest.raises(ValueError, match="does not fit"):
        mask_square(images, 24)


def test_prepare_functions_return_corrupted_input_and_clean_target():
    images = (torch.rand(8, 1, 28, 28) * 255).to(torch.uint8)
    labels = torch.arange(8)
    torch.manual_seed(0)
    noisy, clean = NoisyPairs(0.3)(images, labels, True)
    assert torch.equal(clean, images.float() / 255) and not torch.equal(noisy, clean)
    noisy, _ = NoisyPairs((0.0, 0.2))(grey_images(200), torch.zeros(200), True)
    per_image = (noisy - 128 / 255).flatten(1).std(1)  # one level per image, drawn from 0..0.2
    assert float(per_image.min()) < 0.01 and 0.18 < float(per_image.max()) < 0.21
    masked, clean = MaskedPairs(size=6, fill=0.5)(images, labels, True)
    assert ((masked != clean).flatten(1).sum(1) <= 36).all()
    assert "0.3" in repr(NoisyPairs(0.3))  # the settings are part of the training cache key


def test_noise_refuses_what_it_cannot_handle():
    images = torch.zeros(2, 1, 4, 4)
    with pytest.raises(InputValueError, match="noise standard deviation"):
        add_gaussian_noise(images, -0.1)
    with pytest.raises(InputValueError, match="noise standard deviation"):
        add_gaussian_noise(images, float("nan"))
    with pytest.raises(InputShapeError, match="uint8 .* or float"):
        add_gaussian_noise(torch.zeros(2, 1, 4, 4, dtype=torch.int64), 0.1)  # integers are not 0..1 floats
    with pytest.raises(InputValueError, match="0..1"):
        add_gaussian_noise(torch.full((2, 1, 4, 4), 255.0), 0.1)


@pytest.mark.parametrize("level", ["0.3", True, None, [0.1, "a"], torch.tensor([True, False]), 0.3j])
def test_a_noise_level_that_is_not_a_number_is_named(level):
    with pytest.raises(InputTypeError, match="add_gaussian_noise expects a noise standard deviation"):
        add_gaussian_noise(torch.zeros(2, 1, 4, 4), level)


def test_a_noise_level_may_be_a_number_a_list_or_a_tensor():
    for level in (0, 0.2, [0.0, 0.2], (0.0, 0.2), torch.tensor([0.0, 0.2]), torch.tensor([0, 1])):
        assert add_gaussian_noise(torch.full((2, 1, 4, 4), 0.5), level).shape == (2, 1, 4, 4)


def test_noisy_pairs_refuse_a_bad_level_when_built():
    with pytest.raises(InputValueError, match="NoisyPairs"):
        NoisyPairs(-0.2)
    with pytest.raises(InputValueError, match="NoisyPairs"):
        NoisyPairs((0.1, float("nan")))


@settings(max_examples=40)
@given(size=st.integers(-2, 20), margin=st.integers(-2, 8), fill=st.floats(-0.5, 1.5))
def test_mask_square_hides_a_square_that_fits_or_names_the_setting_that_does_not(size, margin, fill):
    images = torch.rand(3, 1, 16, 16)
    fits = size >= 1 and margin >= 0 and 0 <= fill <= 1 and size + 2 * margin <= 16
    if not fits:
        with pytest.raises(InputValueError) as caught:
            mask_square(images, size, margin=margin, fill=fill)
        assert any(name in str(caught.value) for name in ("size", "margin", "fill"))
        return
    masked, mask = mask_square(images, size, margin=margin, fill=fill, generator=torch.Generator().manual_seed(0))
    assert (mask.sum(dim=(1, 2, 3)) == size * size).all() and (masked[mask] == fill).all()
    assert torch.equal(masked[~mask], images[~mask])


def test_corruptions_name_the_argument_they_cannot_use():
    with pytest.raises(InputTypeError, match="size"):
        mask_square(torch.rand(1, 1, 16, 16), 4.5)
    with pytest.raises(InputShapeError, match="mask_square"):
        mask_square(torch.rand(1, 16, 16), 4)
    with pytest.raises(InputValueError, match="size"):
        MaskedPairs(size=0)
    with pytest.raises(InputValueError, match="noise standard deviation"):
        add_noise_before_scaling(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), -1.0)
