"""experiments: spreads over seeds and the runner over seeds."""

import statistics

import pytest
import torch
from torch import nn

from cnncourse import analysis, experiments
from cnncourse.config import seed_everything
from cnncourse.recipes import Recipe


def test_spread_matches_statistics_module():
    values = [1.0, 2.5, 4.0, 3.5]
    s = experiments.spread(values)
    assert s.mean == pytest.approx(statistics.mean(values))
    assert s.std == pytest.approx(statistics.stdev(values))
    assert (s.lowest, s.highest) == (1.0, 4.0)
    assert f"{s:.2f}" == "2.75 ± 1.32"
    assert f"{experiments.spread([-0.5, 0.5]):+.1f}" == "+0.0 ± 0.7"


def test_single_seed_has_no_spread_and_empty_is_refused():
    assert experiments.spread([3.0]).std == 0.0
    with pytest.raises(ValueError, match="at least one"):
        experiments.spread([])


def test_over_seeds_collects_each_name_across_seeds():
    result = experiments.over_seeds(lambda seed: {"a": seed, "b": 10 * seed}, seeds=(1, 2, 3))
    assert result["a"].values == (1.0, 2.0, 3.0) and result["b"].mean == 20.0


def _tiny_classifier():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(4, 10))


def _tiny_images(n: int = 32):
    generator = torch.Generator().manual_seed(0)
    return torch.rand(n, 3, 8, 8, generator=generator), torch.arange(n) % 10


def test_landscape_along_training_probes_at_each_step_and_trains_between():
    images, labels = _tiny_images()
    recipe = Recipe(steps=1, batch_size=8, lr=0.1, schedule=None)
    probes = experiments.landscape_along_training(_tiny_classifier, (images, labels), recipe, (0, 3, 6),
                                                  (images[:8], labels[:8]), seed=0)
    assert list(probes) == [0, 3, 6]
    seed_everything(0)
    untrained = analysis.landscape_along_gradient(_tiny_classifier(), images[:8], labels[:8])
    assert probes[0].losses == pytest.approx(untrained.losses)   # step 0: the model as built
    assert probes[3].losses[0] != pytest.approx(probes[0].losses[0])   # then it trained


def test_landscape_along_training_refuses_a_schedule_and_negative_steps():
    images, labels = _tiny_images()
    with pytest.raises(ValueError, match="constant learning rate"):
        experiments.landscape_along_training(_tiny_classifier, (images, labels), Recipe(steps=1, schedule="cosine"),
                                             (0, 2), (images, labels))
    with pytest.raises(ValueError, match="0 or more"):
        experiments.landscape_along_training(_tiny_classifier, (images, labels), Recipe(steps=1, schedule=None),
                                             (-1, 2), (images, labels))
