"""Classical filters against scikit-image, tuning on validation images, the noise sweep."""

from __future__ import annotations

import math
import matplotlib
import numpy as np
import pytest
import torch
from skimage.filters import gaussian, median
from torch import nn

from cnncourse.baselines import TunedFilter, gaussian_blur, median_filter, tune_filter
from cnncourse.data.corruption import noisy_version
from cnncourse.errors import InputValueError
from cnncourse.experiments import NoiseSweep, average_sweeps, denoise as denoise_with_model, sweep_noise_levels
from cnncourse.metrics.image_quality import quality_table
from cnncourse.plot import noise_sweep as plot_noise_sweep, restored_examples as plot_examples
from cnncourse.metrics.image_quality import psnr


def digit_like_images(n: int = 12) -> torch.Tensor:
    """Bright bars on black, as uint8 (N, 1, 28, 28)."""
    images = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    for i in range(n):
        images[i, 0, 6:22, 8 + i % 10:12 + i % 10] = 255
    return images


def test_gaussian_blur_matches_scikit_image():
    x = torch.rand(3, 1, 28, 28)
    ours = gaussian_blur(x, 1.2)
    reference = gaussian(x[1, 0].double().numpy(), sigma=1.2, preserve_range=True)  # mode 'nearest', truncate 4
    assert np.allclose(ours[1, 0].numpy(), reference, atol=1e-6)


def test_median_filter_matches_scikit_image():
    x = (torch.rand(2, 1, 28, 28) * 255).round() / 255
    ours = median_filter(x, 3)
    reference = median(x[0, 0].numpy(), np.ones((3, 3)), mode="reflect")
    assert np.allclose(ours[0, 0].numpy(), reference)


def test_tuning_picks_the_parameter_with_the_best_validation_psnr():
    clean = digit_like_images()
    noisy = noisy_version(clean, 0.3, seed=0)
    tuned = tune_filter("Gaussian blur", noisy, clean, parameters=(0.3, 1.0, 4.0))
    assert tuned.parameter == max(tuned.validation_psnr, key=tuned.validation_psnr.get)
    assert tuned.parameter == 1.0  # neither barely blurring nor wiping out the bars
    assert tuned.label == "Gaussian blur (sigma 1)"
    assert tune_filter("median filter", noisy, clean, parameters=(3,)).label == "median filter (size 3x3)"
    with pytest.raises(InputValueError, match="unknown filter name"):
        tune_filter("wiener", noisy, clean)


def test_noisy_version_is_reproducible_and_in_range():
    clean = digit_like_images()
    assert torch.equal(noisy_version(clean, 0.2, seed=5), noisy_version(clean, 0.2, seed=5))
    assert not torch.equal(noisy_version(clean, 0.2, seed=5), noisy_version(clean, 0.2, seed=6))
    x = noisy_version(clean, 0.5)
    assert float(x.min()) >= 0 and float(x.max()) <= 1


class Identity(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + 0.5  # leaves 0..1 on purpose


def test_model_output_is_clipped_to_the_image_range():
    out = denoise_with_model(Identity(), torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 1, 28, 28) and float(out.max()) == 1.0 and float(out.min()) >= 0.5


def test_sweep_measures_every_method_at_every_level():
    images = digit_like_images()
    sweep = sweep_noise_levels(images, images, [0.1, 0.4], {"identity": Identity()})
    assert list(sweep.psnr) == ["noisy input", "Gaussian blur", "median filter", "identity"]
    assert all(len(values) == 2 for values in sweep.psnr.values())
    noisy_psnr = sweep.psnr["noisy input"]
    assert noisy_psnr[0] > noisy_psnr[1] + 8  # 0.1 vs 0.4: about 20 log10(4) = 12 dB apart
    assert sweep.at(0.4)["noisy input"] == noisy_psnr[1]
    assert set(sweep.parameters) == {"Gaussian blur", "median filter"}
    best = sweep.best_filters()
    assert list(best) == [0.1, 0.4] and all(isinstance(f, TunedFilter) for f in best.values())
    assert "noise std" in sweep.table() and len(sweep.table().splitlines()) == 3
    ax = plot_noise_sweep(sweep, trained_at={"identity": 0.4})
    assert len(ax.get_lines()) == 5  # four methods and the training level, in the model's colour
    assert ax.get_lines()[-1].get_color() == ax.get_lines()[3].get_color()


@pytest.mark.filterwarnings("ignore:divide by zero")  # a perfect estimate has an infinite PSNR
def test_quality_table_reports_psnr_and_ssim():
    clean = digit_like_images()
    table = quality_table(clean, {"perfect": clean.float() / 255, "noisy": noisy_version(clean, 0.3)})
    assert table["perfect"]["ssim"] == pytest.approx(1.0)
    assert table["noisy"]["psnr"] < 20 and table["noisy"]["ssim"] < 0.9


def test_noise_sweep_at_picks_the_nearest_level():
    sweep = NoiseSweep([0.1, 0.2], {"a": [1.0, 2.0]}, {})
    assert sweep.at(0.19) == {"a": 2.0}


def test_average_sweeps_gives_mean_and_spread_across_seeds():
    first = NoiseSweep([0.1, 0.4], {"noisy input": [20.0, 8.0], "model": [21.0, 15.0]}, {})
    second = NoiseSweep([0.1, 0.4], {"noisy input": [20.0, 8.0], "model": [23.0, 16.0]}, {})
    mean = average_sweeps([first, second])
    assert mean.psnr["model"] == [22.0, 15.5]
    assert mean.psnr_std["model"] == pytest.approx([2 ** 0.5, 0.5 ** 0.5])
    assert "22.00 ± 1.41" in mean.table()
    ax = plot_noise_sweep(mean, trained_at={"model": (0.1, 0.3)}, colours={"model": "tab:green"})
    assert ax.get_lines()[1].get_color() == "tab:green" and ax.patches[-1].get_facecolor()[:3] == (
        matplotlib.colors.to_rgb("tab:green"))
    assert len(ax.collections) == 1  # one band, for the model (the noisy input does not vary with the seed)
    bar = ax.patches[-1]  # the training range, as a bar from 0.1 to 0.3 (a Polygon before matplotlib 3.9)
    corners = bar.get_patch_transform().transform(bar.get_path().vertices)
    assert (corners[:, 0].min(), corners[:, 0].max()) == pytest.approx((0.1, 0.3))
    with pytest.raises(ValueError, match="same noise levels"):
        average_sweeps([first, NoiseSweep([0.2, 0.4], first.psnr, {})])


def test_plot_examples_shows_psnr_under_each_restored_image():
    clean = digit_like_images(4)
    noisy = noisy_version(clean, 0.3)
    axes = plot_examples(clean, {"noisy": noisy}, count=3)
    assert len(axes) == 6
    expected = float(psnr(clean.float() / 255, noisy)[1])
    assert axes[4].get_xlabel() == f"{expected:.1f} dB" and axes[3].get_ylabel() == "noisy"


def test_plot_examples_outline_a_hidden_square_and_score_inside_it():
    from cnncourse.data.corruption import mask_square
    clean = digit_like_images(3)
    masked, hidden = mask_square(clean, 6, generator=torch.Generator().manual_seed(0))
    axes = plot_examples(clean, {"masked": masked}, count=3, region=hidden)
    outline = axes[4].patches[0]   # the square of image 1 in the masked row
    rows, columns = hidden[1, 0].nonzero(as_tuple=True)
    assert (outline.get_x(), outline.get_y()) == (columns.min().item() - 0.5, rows.min().item() - 0.5)
    assert outline.get_width() == outline.get_height() == 6 and len(axes[1].patches) == 1   # the clean row too
    error = ((masked[1, 0] - clean[1, 0].float() / 255)[hidden[1, 0]] ** 2).mean().item()
    assert axes[4].get_xlabel() == f"{10 * math.log10(1 / error):.1f} dB"
    with pytest.raises(ValueError, match="region"):
        plot_examples(clean, {"masked": masked}, count=3, region=hidden.float())
