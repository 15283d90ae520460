"""The autoencoder lesson's exercise checks accept right answers and explain typical wrong ones."""

from __future__ import annotations

import torch

from cnncourse.exercises.autoencoder import check_add_noise, check_bottleneck_size, check_psnr_of_noise
from cnncourse.models import ConvAutoencoder


def right_noise(images: torch.Tensor, noise_std: float) -> torch.Tensor:
    x = images.float() / 255
    return (x + noise_std * torch.randn_like(x)).clamp(0, 1)


def test_add_noise_check():
    assert check_add_noise(right_noise)
    assert "Not yet" in str(check_add_noise(None))
    before_scaling = check_add_noise(lambda x, s: ((x.float() + s * torch.randn_like(x.float())) / 255).clamp(0, 1))
    assert not before_scaling and "0..255" in before_scaling.message
    unclipped = check_add_noise(lambda x, s: x.float() / 255 + s * torch.randn_like(x.float()))
    assert not unclipped and "clip" in unclipped.message
    variance_for_std = check_add_noise(lambda x, s: (x.float() / 255 + s ** 2 * torch.randn_like(x.float())).clamp(0, 1))
    assert not variance_for_std and "std" in variance_for_std.message
    crashing = check_add_noise(lambda x, s: x + "noise")
    assert not crashing and "raised TypeError" in crashing.message
    assert "0..255" in check_add_noise(lambda x, s: x.float() + s).message


def test_bottleneck_size_check():
    code = ConvAutoencoder(width=32, depth=3).encode(torch.zeros(1, 1, 32, 32))
    assert check_bottleneck_size(code[0].numel()) and "512" in check_bottleneck_size(512).message
    assert "32 channels" in check_bottleneck_size(16).message
    assert "map" in check_bottleneck_size(32).message
    assert "poolings" in check_bottleneck_size(32 * 8 * 8).message
    assert "lesson's model" in check_bottleneck_size(784).message
    assert not check_bottleneck_size(None)


def test_psnr_of_noise_check():
    assert check_psnr_of_noise(20.0) and check_psnr_of_noise(20.04)
    assert "squared" in check_psnr_of_noise(10).message
    assert "255" in check_psnr_of_noise(68.13).message
    assert not check_psnr_of_noise(None) and not check_psnr_of_noise("twenty")
