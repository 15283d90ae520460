"""analysis: gradient norms per layer, the loss landscape along the gradient, block deletion, multiply-adds."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnncourse import analysis, models
from cnncourse.analysis import embedding
from cnncourse.config import seed_everything
from cnncourse.errors import InputTypeError, InputValueError
from cnncourse.models.resnet import CifarResNet


def tiny_batch(n: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 16, 16, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def test_weight_layers_are_listed_input_to_output() -> None:
    names = [name for name, _ in analysis.weight_layers(models.resnet20())]
    assert len(names) == 20
    assert names[0] == "stem.0" and names[1] == "blocks.0.conv1" and names[-1] == "head.2"


def test_layer_gradient_norms_match_autograd_and_leave_no_gradients() -> None:
    torch.manual_seed(0)
    model = CifarResNet(8).eval()
    x, y = tiny_batch()
    norms = analysis.layer_gradient_norms(model, x, y)
    assert not model.training and all(p.grad is None for p in model.parameters())
    model.train()
    nn.functional.cross_entropy(model(x), y).backward()
    assert list(norms) == [name for name, _ in analysis.weight_layers(model)]
    assert norms["blocks.1.conv2"] == pytest.approx(float(model.blocks[1].conv2.weight.grad.norm()), rel=1e-5)
    assert norms["head.2"] == pytest.approx(float(model.head[2].weight.grad.norm()), rel=1e-5)
    relative = analysis.layer_gradient_norms(model, x, y, measure="relative")
    weight = model.blocks[1].conv2.weight
    assert relative["blocks.1.conv2"] == pytest.approx(norms["blocks.1.conv2"] / float(weight.norm()), rel=1e-5)
    with pytest.raises(ValueError, match="measure"):
        analysis.layer_gradient_norms(model, x, y, measure="rms")


def test_bias_gradients_and_layer_inputs_match_autograd_and_hooks() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10, bias=False))
    x, y = tiny_batch()
    model(x)
    biases = analysis.layer_gradient_norms(model, x, y, parameter="bias")
    nn.functional.cross_entropy(model(x), y).backward()
    assert list(biases) == ["0"]   # the linear layer has no bias
    assert biases["0"] == pytest.approx(float(model[0].bias.grad.norm()), rel=1e-5)
    rms = analysis.layer_input_rms(model.train(), x)
    hidden = model[2](model[1](model[0](x)))
    assert rms["0"] == pytest.approx(float(x.pow(2).mean().sqrt()), rel=1e-5)
    assert rms["3"] == pytest.approx(float(hidden.pow(2).mean().sqrt()), rel=1e-5)
    assert model.training   # left in its mode
    with pytest.raises(ValueError, match="parameter"):
        analysis.layer_gradient_norms(model, x, y, parameter="gamma")


def test_analyses_leave_the_model_as_they_found_it() -> None:
    """A forward pass in training mode moves BN's running statistics: a measurement must put them back."""
    torch.manual_seed(0)
    model = CifarResNet(8).eval()
    x, y = tiny_batch()
    before = {name: buffer.clone() for name, buffer in model.named_buffers()}
    analysis.layer_gradient_norms(model, x, y)
    analysis.block_outputs(model, x)
    analysis.layer_input_rms(model, x)
    analysis.landscape_along_gradient(model, x, y, step_sizes=(0.1,))
    assert not model.training
    for name, buffer in model.named_buffers():
        assert torch.equal(buffer, before[name]), name
    model.train()(x)   # the same pass outside an analysis does move them
    assert not torch.equal(model.blocks[0].bn1.running_mean, before["blocks.0.bn1.running_mean"])


def test_tiny_gradients_are_measured_not_read_as_zero() -> None:
    assert float(torch.full((2304,), 1e-23).norm()) == 0.0   # in float32 the squares underflow
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(10))
    x, y = tiny_batch()
    model(x)
    tiny_loss = lambda outputs, targets: 1e-25 * nn.functional.cross_entropy(outputs, targets)  # gradients ~1e-26
    norms = analysis.layer_gradient_norms(model, x, y, loss_fn=tiny_loss)
    reference = analysis.layer_gradient_norms(model, x, y)
    for name, norm in norms.items():
        assert norm == pytest.approx(1e-25 * reference[name], rel=1e-3), name


def test_gradients_vanish_in_a_deep_plain_net_without_batch_norm_but_not_with_skips() -> None:
    x, y = tiny_batch(32)
    ratios = {}
    for name, kwargs in {"plain": dict(block=models.PlainBlock, batch_norm=False), "residual": dict(block=models.BasicBlock)}.items():
        torch.manual_seed(0)
        norms = list(analysis.layer_gradient_norms(CifarResNet(32, init_scale=0.8, **kwargs), x, y).values())
        ratios[name] = norms[0] / norms[-2]  # first conv over last conv
    assert ratios["plain"] < 1e-3 < 0.1 < ratios["residual"]


def test_weight_scale_response_is_one_over_scale_squared_with_batch_norm_and_matches_a_hand_count() -> None:
    x, y = tiny_batch(16)
    build = lambda batch_norm: lambda scale: CifarResNet(8, block=models.PlainBlock, batch_norm=batch_norm,  # noqa: E731
                                                          init_scale=scale)
    with_bn = analysis.weight_scale_response(build(True), x, y, scales=(0.5, 2.0))
    assert with_bn == pytest.approx({0.5: 4.0, 2.0: 0.25}, rel=0.02)   # Ioffe & Szegedy sec. 3.3
    without = analysis.weight_scale_response(build(False), x, y, scales=(2.0,))

    def relative(scale: float) -> torch.Tensor:   # the same count by hand, seed 0 as the function's
        seed_everything(0)
        norms = analysis.layer_gradient_norms(build(False)(scale), x, y, measure="relative")
        return torch.tensor(list(norms.values())[:-1])
    assert without[2.0] == pytest.approx((relative(2.0) / relative(1.0)).median().item())
    assert abs(without[2.0] * 4 - 1) > 0.1   # without batch norm the scale changes what the net computes


def test_landscape_probe_on_a_quadratic_matches_the_formula() -> None:
    # loss = 0.5 * a * w^2 (mean over a batch of identical points): gradient a w, after a step w (1 - eta a)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(2.0)
    a = 3.0
    loss_fn = lambda out, target: 0.5 * a * (out ** 2).mean()  # noqa: E731 (a loss on the output only)
    x, y = torch.ones(4, 1), torch.zeros(4)
    probe = analysis.landscape_along_gradient(model, x, y, step_sizes=(0.1, 0.2), loss_fn=loss_fn)
    g = a * 2.0
    expected_w = [2.0, 2.0 - 0.1 * g, 2.0 - 0.2 * g]
    assert probe.step_sizes == (0.0, 0.1, 0.2)
    assert probe.losses == pytest.approx([0.5 * a * w * w for w in expected_w])
    assert probe.gradient_changes == pytest.approx([abs(a * w - g) for w in expected_w])
    assert probe.loss_range == pytest.approx(max(probe.losses) - min(probe.losses))
    assert probe.max_gradient_change == pytest.approx(a * 0.2 * g)
    assert probe.gradient_norm == pytest.approx(g)
    assert probe.beta_smoothness == pytest.approx(a)  # a quadratic's curvature: the gradient turns at rate a
    assert float(model.weight.detach()) == 2.0  # weights restored


def test_landscape_probe_restores_weights_and_batch_norm_statistics() -> None:
    torch.manual_seed(0)
    model = CifarResNet(8).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = tiny_batch()
    probe = analysis.landscape_along_gradient(model, x, y, step_sizes=(0.01, 0.1))
    assert len(probe.losses) == 3 and probe.losses[1] < probe.losses[0]  # a small step downhill lowers the loss
    assert not model.training
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, before[key])


def test_deletion_sweep_gives_one_accuracy_per_block_matching_evaluate() -> None:
    from cnncourse.data import ImageData
    from cnncourse.train import evaluate
    torch.manual_seed(0)
    model = CifarResNet(8).eval()  # 3 blocks
    generator = torch.Generator().manual_seed(0)
    test = ImageData(torch.randint(0, 256, (20, 3, 16, 16), dtype=torch.uint8, generator=generator),
                     torch.randint(0, 10, (20,), generator=generator), tuple("abcdefghij"), "test", "random")
    accuracies = analysis.deletion_sweep(model, test)
    assert len(accuracies) == 3
    assert accuracies[1] == evaluate(model.without_block(1), test)["accuracy"]
    with pytest.raises(TypeError, match="without_block"):
        analysis.deletion_sweep(nn.Linear(2, 2), test)


def test_multiply_adds_of_one_convolution_and_of_resnet18() -> None:
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert analysis.multiply_adds(conv, (1, 3, 10, 10)) == 8 * 10 * 10 * 3 * 3 * 3
    linear = nn.Sequential(nn.Flatten(), nn.Linear(12, 5))
    assert analysis.multiply_adds(linear, (1, 3, 2, 2)) == 60
    from torchvision.models import resnet18
    with torch.device("meta"):
        net = resnet18()
    assert round(analysis.multiply_adds(net, (1, 3, 224, 224)) / 1e9, 2) == 1.81  # 1.8 GFLOPs in He et al. 2015


def test_forward_seconds_times_passes_after_a_warm_up_without_autograd() -> None:
    calls = []

    class Recorder(nn.Linear):
        def forward(self, x):
            calls.append(torch.is_grad_enabled())
            return super().forward(x)

    seconds = analysis.forward_seconds(Recorder(4, 2), (3, 4), min_run_time=0.01)
    assert isinstance(seconds, float) and seconds > 0   # a measurement: its size is the machine's, not a claim
    assert len(calls) > 2 and not any(calls)   # warm-up and timed passes, none of them recording gradients
    for wrong, error in ((0, InputValueError), (-1.0, InputValueError), ("0.2", InputTypeError)):
        with pytest.raises(error, match="min_run_time"):
            analysis.forward_seconds(nn.Linear(4, 2), (3, 4), min_run_time=wrong)
    with pytest.raises(InputTypeError, match="torch.nn.Module"):
        analysis.forward_seconds(lambda x: x, (3, 4))


def test_random_deletions_and_swaps_evaluate_that_many_changed_nets() -> None:
    from cnncourse.data import ImageData
    from cnncourse.train import evaluate
    torch.manual_seed(0)
    model = CifarResNet(20).eval()  # 9 blocks; pairs that can swap: (0, 1), (1, 2), (4, 5), (7, 8)
    generator = torch.Generator().manual_seed(0)
    test = ImageData(torch.randint(0, 256, (20, 3, 16, 16), dtype=torch.uint8, generator=generator),
                     torch.randint(0, 10, (20,), generator=generator), tuple("abcdefghij"), "test", "random")
    deletions = analysis.random_deletions(model, test, 2, draws=3, generator=torch.Generator().manual_seed(1))
    chosen = torch.randperm(9, generator=torch.Generator().manual_seed(1))[:2].tolist()
    assert len(deletions) == 3
    assert deletions[0] == evaluate(model.without_block(chosen[0]).without_block(chosen[1]), test)["accuracy"]
    swaps = analysis.random_swaps(model, test, 4, draws=2, generator=torch.Generator().manual_seed(1))
    assert len(swaps) == 2  # four distinct pairs: never a swap undone by the same swap
    with pytest.raises(TypeError, match="with_blocks_swapped"):
        analysis.random_swaps(nn.Linear(2, 2), test, 1, draws=1, generator=generator)


def test_kept_skill_is_one_when_unharmed_and_zero_at_chance():
    assert analysis.kept_skill([0.8, 0.8], 0.8, chance=0.1) == pytest.approx(1.0)
    assert analysis.kept_skill([0.1, 0.1], 0.8, chance=0.1) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="no better than chance"):
        analysis.kept_skill([0.1], 0.1, chance=0.1)


def test_kept_skill_by_count_is_kept_skill_row_by_row():
    accuracies = torch.tensor([[0.8, 0.6, 0.7], [0.1, 0.2, 0.15]])  # (changes, draws)
    by_count = analysis.kept_skill_by_count(accuracies, 0.8, chance=0.1)
    assert by_count.tolist() == pytest.approx([analysis.kept_skill(row.tolist(), 0.8, chance=0.1)
                                               for row in accuracies])
    with pytest.raises(ValueError, match="changes, draws"):
        analysis.kept_skill_by_count(accuracies[0], 0.8, chance=0.1)
    with pytest.raises(ValueError, match="accuracies"):
        analysis.kept_skill_by_count(accuracies * 100, 0.8, chance=0.1)   # percentages


def test_first_over_last_stage_is_the_geometric_mean_ratio_without_stem_and_classifier():
    gradients = [100.0, 8.0, 2.0, 5.0, 5.0, 1.0, 4.0, 1000.0]   # stem, stages of 2 convs, classifier
    assert analysis.first_over_last_stage(gradients, convs_per_stage=2) == pytest.approx((8 * 2 / (1 * 4)) ** 0.5)
    with pytest.raises(ValueError, match="at least 8 positive numbers"):
        analysis.first_over_last_stage(gradients[:-1], convs_per_stage=3)
    with pytest.raises(ValueError, match="positive"):
        analysis.first_over_last_stage([0.0] * 8, convs_per_stage=2)
    with pytest.raises(ValueError, match="convs_per_stage"):
        analysis.first_over_last_stage(gradients, convs_per_stage=0)


def test_landscape_probe_restores_channels_last_weights_exactly():
    torch.manual_seed(0)
    model = models.resnet20().to(memory_format=torch.channels_last)  # as fit leaves a trained model
    before = {name: t.clone() for name, t in model.state_dict().items()}
    analysis.landscape_along_gradient(model, torch.randn(8, 3, 32, 32), torch.arange(8) % 10)
    assert all(torch.equal(before[name], t) for name, t in model.state_dict().items())
    assert model.stem[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_block_outputs_are_what_each_block_passes_on_and_leave_no_hooks():
    torch.manual_seed(0)
    model = CifarResNet(20).eval()
    x = torch.randn(4, 3, 32, 32)
    outputs = analysis.block_outputs(model, x)
    assert not model.training and not model.blocks[0]._forward_hooks  # its mode restored, no hook left
    assert [tuple(o.shape[1:]) for o in outputs] == [(16, 32, 32)] * 3 + [(32, 16, 16)] * 3 + [(64, 8, 8)] * 3
    model.train()  # block_outputs runs in training mode (batch statistics)
    with torch.no_grad():
        expected = model.blocks[:2](model.stem(x))
    torch.testing.assert_close(outputs[1], expected)


def test_linear_probe_reads_what_a_code_lays_out_linearly() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (300,), generator=generator)
    centres = torch.randn(3, 20, generator=generator) * 3
    codes = centres[labels] + torch.randn(300, 20, generator=generator)   # three separable clouds
    readable = analysis.linear_probe_accuracy(codes[:200], labels[:200], codes[200:], labels[200:])
    scrambled = analysis.linear_probe_accuracy(codes[:200], labels[torch.randperm(200, generator=generator)],
                                               codes[200:], labels[200:])
    assert readable > 0.95 and scrambled < 0.6
    assert analysis.linear_probe_accuracy(codes[:200], labels[:200], codes[200:], labels[200:]) == readable  # no seed
    with pytest.raises(ValueError, match="codes"):
        analysis.linear_probe_accuracy(codes[:200], labels[:100], codes[200:], labels[200:])


def test_a_stored_linear_probe_is_reused_only_for_the_same_codes(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path))
    generator = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 2, (60,), generator=generator)
    codes = labels[:, None] * 2.0 + torch.randn(60, 5, generator=generator)
    fitted = analysis.linear_probe_accuracy(codes[:40], labels[:40], codes[40:], labels[40:], cache_name="probe")
    assert len(list((tmp_path / "results").glob("probe-*.pt"))) == 1
    calls = []
    monkeypatch.setattr(embedding, "_fit_linear_probe", lambda *args: calls.append(args) or 0.0)
    assert analysis.linear_probe_accuracy(codes[:40], labels[:40], codes[40:], labels[40:], cache_name="probe") == fitted
    assert not calls  # loaded, not fitted again
    analysis.linear_probe_accuracy(-codes[:40], labels[:40], -codes[40:], labels[40:], cache_name="probe")
    assert len(calls) == 1  # other codes: fitted
