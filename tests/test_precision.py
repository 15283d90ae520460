"""The precision policy: what the hardware computes fast, never emulated bf16; fp16 trains with a gradient scaler."""

import pytest
import torch
from torch import nn

from cnncourse import loop, precision, train
from cnncourse.data.transforms import Preprocess
from cnncourse.history import History
from cnncourse.models import small_cnn
from cnncourse.recipes import Recipe

CUDA = torch.device("cuda")


@pytest.mark.parametrize("gpu, capability, expected", [
    ("Tesla T4 (Colab's free GPU)", (7, 5), "fp16"),
    ("Tesla V100", (7, 0), "fp16"),
    ("Tesla P100", (6, 0), "fp32"),
    ("A100", (8, 0), "bf16"),
    ("H100", (9, 0), "bf16"),
])
def test_the_automatic_choice_on_each_gpu_never_emulates_bf16(monkeypatch, gpu, capability, expected):
    monkeypatch.delenv("CNNCOURSE_PRECISION", raising=False)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)  # as a T4 answers
    assert precision.resolve_precision("auto", CUDA) == expected, gpu
    monkeypatch.setenv("CNNCOURSE_PRECISION", "fp32")
    assert precision.resolve_precision("auto", CUDA) == "fp32"  # the learner's setting wins


def test_cpus_and_apple_gpus_keep_bf16_or_fp32(monkeypatch):
    monkeypatch.delenv("CNNCOURSE_PRECISION", raising=False)
    cpu = precision.resolve_precision("auto", torch.device("cpu"))
    assert cpu == ("bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32")
    assert precision.resolve_precision("auto", torch.device("mps")) == "fp32"
    monkeypatch.setenv("CNNCOURSE_PRECISION", "fp16")
    assert precision.resolve_precision("auto", torch.device("cpu")) == "fp16"


def test_only_fp16_gets_an_active_scaler():
    cpu = torch.device("cpu")
    assert precision.gradient_scaler(cpu, "fp16").is_enabled()
    assert not any(precision.gradient_scaler(cpu, p).is_enabled() for p in ("fp32", "bf16"))


def _toy_batch(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (n,), generator=generator)
    images = torch.randint(0, 60, (n, 3, 8, 8), generator=generator, dtype=torch.uint8)
    images[labels == 1, :, :, 4:] += 150
    return images, labels


def test_fp16_training_runs_the_scaled_path_and_learns():
    images, labels = _toy_batch()
    torch.manual_seed(0)
    history = train.fit(small_cnn(num_classes=2, widths=(8,)), (images, labels),
                        Recipe(steps=16, batch_size=16, precision="fp16"), callbacks=())
    losses = torch.tensor(history.step_loss)
    assert losses.isfinite().all() and losses[-4:].mean() < losses[:4].mean()


def test_an_overflowing_fp16_step_is_skipped_not_applied():
    """A loss scaled past fp16's range (65,504) gives inf gradients: the step is skipped and the scale halved."""
    images, labels = _toy_batch(16)
    torch.manual_seed(0)
    model = small_cnn(num_classes=2, widths=(8,))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    cpu, recipe = torch.device("cpu"), Recipe(steps=1, batch_size=16, precision="fp16")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 40)
    state = loop.LoopState(model, optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0),
                           torch.Generator().manual_seed(0), scaler, History())
    run = loop.TrainingRun(recipe, 0, Preprocess(), nn.CrossEntropyLoss())
    loop.train_epoch(state, images, labels, run, total_steps=1, device=cpu)
    assert scaler.get_scale() == 2.0 ** 39
    assert all(torch.equal(before[name], p) for name, p in model.named_parameters())  # BN statistics do move
