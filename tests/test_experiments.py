"""experiments: spreads over seeds and the runner over seeds."""

import statistics

import pytest
import torch
from torch import nn

from cnncourse import analysis, experiments, train
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


def test_train_over_seeds_is_train_each_once_per_seed():
    images, labels = torch.randn(16, 1, 8, 8), torch.randint(0, 2, (16,))
    build = lambda: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    variants = {"linear": experiments.Variant(build, (images, labels), Recipe(steps=3, batch_size=8))}
    runs = experiments.train_over_seeds(variants, seeds=(0, 1))
    assert list(runs) == ["linear"] and len(runs["linear"]) == 2
    for seed, outcome in zip((0, 1), runs["linear"]):
        assert outcome.history.step_loss == experiments.train_each(variants, seed=seed)["linear"].history.step_loss
    assert runs["linear"][0].history.step_loss != runs["linear"][1].history.step_loss
    finals = experiments.final_loss_spreads(runs, last_steps=2)["linear"]
    assert finals.values == tuple(pytest.approx(sum(o.history.step_loss[-2:]) / 2) for o in runs["linear"])


def test_train_named_model_builds_the_registered_model_from_the_seed_and_scores_it_every_epoch():
    from cnncourse import models
    from cnncourse.data import ImageData, Preprocess

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (24, 3, 8, 8), dtype=torch.uint8, generator=generator)
    data = ImageData(images, torch.randint(0, 10, (24,), generator=generator), tuple("abcdefghij"), "train", "tiny")
    recipe = Recipe(epochs=2, batch_size=8)
    model, history = experiments.train_named_model("resnet20", data, recipe, Preprocess(), val=data, seed=1)
    assert type(model) is type(models.resnet20()) and len(history.epochs["val_accuracy"]) == 2
    seed_everything(1)
    same = models.resnet20()
    train.fit(same, data, recipe, train.Task(prepare=Preprocess()), val=data, seed=1, callbacks=())
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), same.state_dict().values()))
    with pytest.raises(ValueError, match="resnet2"):
        experiments.train_named_model("resnet2", data, recipe, Preprocess())


def test_a_diverged_seed_counts_as_infinitely_bad():
    from cnncourse.train import History

    finals = experiments.final_loss_spreads({"run": [History(step_loss=[1.0, 2.0]), History(step_loss=[1.0, float("nan")])]},
                                            last_steps=1)["run"]
    assert finals.values == (2.0, float("inf")) and f"{finals:.3f}" == "diverged in 1 of 2 seeds"


def test_below_in_every_seed_compares_seed_by_seed():
    assert experiments.below_in_every_seed(experiments.spread([1, 2, 3]), experiments.spread([2, 3, 4]))
    assert not experiments.below_in_every_seed(experiments.spread([1, 5]), experiments.spread([2, 3]))
    with pytest.raises(ValueError, match="same seeds"):
        experiments.below_in_every_seed(experiments.spread([1, 2]), experiments.spread([2]))
