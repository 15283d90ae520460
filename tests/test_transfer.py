"""Freezing, fine-tuning learning rates, the checkpoint key, and ImageNet VGG-16 loading (offline)."""

from __future__ import annotations

import dataclasses
import socket

import pytest
import torch
import torchvision
from torch import nn

from cnncourse import checkpoints, experiments, loop, models, optim, train
from cnncourse.analysis import count_parameters
from cnncourse.errors import WeightsUnavailableError
from cnncourse.models import pretrained, transfer
from cnncourse.recipes import Recipe
from cnncourse.data.transforms import Preprocess


def _source() -> models.VGG:
    torch.manual_seed(0)
    return models.vgg_tiny(num_classes=5)


def _tensors(n: int = 24, classes: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8, generator=generator)
    return images, torch.arange(n) % classes


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_counts_of_trainable_parameters_follow_freezing():
    model = _source()
    total = count_parameters(model)
    model.features.requires_grad_(False)
    head = count_parameters(model.head)
    assert (count_parameters(model, trainable_only=True), total) == (head, 5 * 64 + 5 + count_parameters(model.features))
    model.requires_grad_(True)
    assert count_parameters(model, trainable_only=True) == total


@pytest.mark.parametrize("mode", transfer.MODES)
def test_transfer_model_modes(mode):
    source = _source()
    model = transfer.transfer_model(source, mode, num_classes=2)
    assert _same(model.body, source.features) == (mode != "scratch")
    assert model(torch.randn(3, 3, 16, 16)).shape == (3, 2)
    head = 64 * 2 + 2
    trainable = count_parameters(model, trainable_only=True)
    assert trainable == (head if mode == "feature_extraction" else count_parameters(model))
    assert next(source.parameters()).requires_grad  # the source itself is never changed


def test_transfer_model_rejects_unknown_mode_and_source():
    with pytest.raises(ValueError, match="mode must be one of"):
        transfer.transfer_model(_source(), "linear_probe", 2)
    with pytest.raises(ValueError, match=r"\.features and \.head"):
        transfer.transfer_model(nn.Linear(2, 2), "scratch", 2)


def test_frozen_batch_norm_stays_in_eval_mode():
    model = transfer.transfer_model(_source(), "feature_extraction", 2).train()
    norms = [m for m in model.body.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms) and model.head.training
    tuned = transfer.transfer_model(_source(), "fine_tuning", 2).train()
    assert all(m.training for m in tuned.body.modules())


def test_feature_extraction_trains_only_the_head_and_fine_tuning_all(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path))
    data, source = _tensors(), _source()
    frozen = transfer.transfer_model(source, "feature_extraction", 2)
    head_before = [p.clone() for p in frozen.head.parameters()]
    train.fit(frozen, data, Recipe(steps=3, batch_size=8, lr=0.1, precision="fp32"), callbacks=())
    assert _same(frozen.body, source.features)  # weights and running statistics untouched
    assert not all(torch.equal(a, b) for a, b in zip(head_before, frozen.head.parameters()))
    tuned = transfer.transfer_model(source, "fine_tuning", 2)
    train.fit(tuned, data, Recipe(steps=3, batch_size=8, lr=0.1, precision="fp32", lr_multipliers=transfer.lr_multipliers_for("fine_tuning")), callbacks=())
    assert not _same(tuned.body, source.features)


def test_parameter_groups_scale_the_learning_rate_by_name():
    model = transfer.transfer_model(_source(), "fine_tuning", 2)
    groups = optim.parameter_groups(model, 0.2, {"body": 0.1})
    assert sorted(g["lr"] for g in groups) == pytest.approx([0.02, 0.2])
    body_group = next(g for g in groups if g["lr"] == pytest.approx(0.02))
    assert sum(p.numel() for p in body_group["params"]) == sum(p.numel() for p in model.body.parameters())
    assert len(optim.parameter_groups(model, 0.2)) == 1
    with pytest.raises(ValueError, match="no parameters under that name"):
        optim.parameter_groups(model, 0.2, {"features": 0.1})


def test_lr_multiplier_zero_leaves_the_body_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path))
    source = _source()
    model = transfer.transfer_model(source, "fine_tuning", 2)
    train.fit(model, _tensors(), Recipe(steps=3, batch_size=8, lr=0.1, momentum=0.0, weight_decay=0.0, precision="fp32", lr_multipliers={"body": 0.0}, schedule=None), callbacks=())
    conv_weights = [k for k in source.features.state_dict() if k.endswith("weight")]
    assert all(torch.equal(model.body.state_dict()[k], source.features.state_dict()[k]) for k in conv_weights)


def test_checkpoint_key_sees_frozen_parameters_and_lr_multipliers():
    inputs, targets = _tensors()
    run = loop.TrainingRun(Recipe(steps=5, batch_size=8, precision="fp32"), 0, Preprocess(), nn.CrossEntropyLoss())
    model = _source()

    def key(run: loop.TrainingRun) -> str:
        return checkpoints.checkpoint_path("x", checkpoints.checkpoint_description(model, run, inputs, targets))

    plain = key(run)
    assert key(run) == plain  # the key is stable
    assert key(dataclasses.replace(run, recipe=run.recipe.but(lr_multipliers={"features": 0.1}))) != plain
    model.features.requires_grad_(False)
    assert key(run) != plain


def test_compare_transfer_returns_an_accuracy_per_mode_and_size(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path))
    from cnncourse.data.containers import ImageData

    images, labels = _tensors(40)
    pool = ImageData(images, labels, ("cat", "dog"), "train", "toy")
    recipe = Recipe(batch_size=8, epochs=1, min_steps=2)
    results = experiments.compare_transfer(_source(), pool, pool, [4, 8], recipe, prepare=Preprocess())
    assert set(results) == set(transfer.MODES)
    assert all(set(v) == {4, 8} and all(0.0 <= a <= 1.0 for a in v.values()) for v in results.values())
    assert recipe.total_steps(40) == 5 and recipe.total_steps(4) == 2


# --- ImageNet VGG-16, without any network access ------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)  # torch.hub.get_dir() reads TORCH_HOME again
    return tmp_path / "torch"


def test_missing_imagenet_weights_are_explained_not_replaced(torch_home, offline):
    status = pretrained.imagenet_weights_status()
    assert status.path == torch_home / "hub" / "checkpoints" / "vgg16-397923af.pth"
    assert not status.cached and not status.downloadable and not status.usable
    assert "skipped" in status.explain() and "vgg16-397923af.pth" in status.explain()
    with pytest.raises(WeightsUnavailableError, match="not here"):
        pretrained.load_imagenet_vgg16(2)


def test_imagenet_weights_load_from_the_torch_cache(torch_home, offline):
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in torchvision.models.vgg16().state_dict().items()}
    # every tensor a broadcast view of one number: the right keys and shapes in a file of a few kilobytes
    fake = {k: torch.tensor(float(i) / 100).expand(shape) for i, (k, shape) in enumerate(shapes.items())}
    path = torch_home / "hub" / "checkpoints" / "vgg16-397923af.pth"
    path.parent.mkdir(parents=True)
    torch.save(fake, path)
    assert pretrained.imagenet_weights_status().cached
    model = pretrained.load_imagenet_vgg16(num_classes=2)
    state = model.state_dict()
    assert torch.equal(state["features.0.weight"], fake["features.0.weight"])
    assert torch.equal(state["classifier.3.bias"], fake["classifier.3.bias"])
    assert model.classifier[6].out_features == 2 and model.classifier[6].in_features == 4096
    assert not torch.equal(state["classifier.6.bias"], torch.zeros(2) + fake["classifier.6.bias"][0])


def test_imagenet_prepare_resizes_and_standardizes():
    images = torch.full((2, 3, 32, 32), 124, dtype=torch.uint8)  # 124 / 255 is about the ImageNet red mean
    x, y = pretrained.ImagenetPrepare()(images, torch.tensor([0, 1]), True)
    assert x.shape == (2, 3, 224, 224) and torch.equal(y, torch.tensor([0, 1]))
    assert x[:, 0].abs().max() < 0.01
    assert x[:, 2].mean() == pytest.approx((124 / 255 - 0.406) / 0.225, abs=1e-3)


# --- exercise checks ------------------------------------------------------------------------------------------


def test_exercise_stacked_weights():
    from cnncourse.exercises import vgg_transfer as ex

    assert not ex.check_stacked_weights(None) and "Not yet" in str(ex.check_stacked_weights(None))
    assert ex.check_stacked_weights((110_592, 200_704))
    assert "three layers" in ex.check_stacked_weights((36_864, 200_704)).message
    assert "C x C" in ex.check_stacked_weights((1_728, 3_136)).message


def test_exercise_receptive_field():
    from cnncourse.exercises import vgg_transfer as ex

    assert ex.check_receptive_field(14) and not ex.check_receptive_field(None)
    assert "(3 - 1) x 2" in ex.check_receptive_field(10).message


def test_exercise_feature_extractor():
    from cnncourse.exercises import vgg_transfer as ex

    source = _source()
    assert ex.check_feature_extractor(transfer.transfer_model(source, "feature_extraction", 2), source)
    fine_tuned = transfer.transfer_model(source, "fine_tuning", 2)
    assert "fine-tuning" in ex.check_feature_extractor(fine_tuned, source).message
    everything_frozen = transfer.transfer_model(source, "feature_extraction", 2).requires_grad_(False)
    assert "everything is frozen" in ex.check_feature_extractor(everything_frozen, source).message
    random_body = transfer.transfer_model(source, "scratch", 2)
    random_body.body.requires_grad_(False)
    assert "source model's weights" in ex.check_feature_extractor(random_body, source).message
    assert not ex.check_feature_extractor(None, source)
