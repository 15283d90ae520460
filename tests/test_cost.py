"""The cost command: a notebook's runs planned at their real length, a few steps timed, GPUs estimated."""

import math
import os

import nbformat
import pytest

from cnncourse import cost, study

TRAINING_CELL = """\
import torch
from cnncourse import models, recipes, train
images = torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8)
labels = torch.arange(40) % 10
history = train.fit(models.small_cnn(widths=(8,)), (images, labels), recipes.Recipe(epochs=5, batch_size=8),
                    val=(images[:16], labels[:16]), label="small", callbacks=())
print(len(history.step_loss))
"""


def test_a_run_is_planned_at_its_full_length_and_trains_only_a_few_timed_steps(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# one run"),
        nbformat.v4.new_code_cell(TRAINING_CELL),
        nbformat.v4.new_code_cell("assert history.step_loss[-1] < 0.01, 'a barely trained net'"),
    ])
    path = tmp_path / "plan.ipynb"
    nbformat.write(notebook, path)
    plans_file = tmp_path / "plans.jsonl"
    env = {**os.environ, "CNNCOURSE_CACHE": str(tmp_path / "cache"), "CNNCOURSE_THREADS": "1"}
    executed = cost.run_notebook(path, env, plans_file, timeout=120)
    [run] = cost.read_plans(plans_file)
    assert (run.label, run.steps, run.batch_size, run.images, run.val_images, run.epochs) == ("small", 25, 8, 40, 16, 5)
    assert executed.cells[2].outputs[0]["text"].strip() == str(1 + cost.TIMED_STEPS)  # trained only the timed steps
    assert run.seconds_per_step > 0 and run.layers == 3  # conv, batch norm, linear
    assert run.flops_per_step > 2 * 8 * 8 * 3 * 9 * 32 * 32  # at least the forward convolution of a batch of 8
    assert cost.failed_cells(executed) == [2]
    text = cost.report("plan.ipynb", "test", executed, [run])
    assert "1 training runs, 25 steps" in text and "stopped early" in text and ": 2" in text
    run_row = next(line.split() for line in text.splitlines() if line.endswith("small"))
    assert run_row[:3] == ["1", "25", "8"]  # found in cell 1, its planned steps and batch


def test_a_gpu_step_takes_the_launch_floor_or_its_flops_whichever_is_longer():
    measured = sorted(cost.H100_STEP_SECONDS.items())
    assert all(math.isclose(cost.launch_floor_seconds(layers), seconds) for layers, seconds in measured)
    gpu = cost.ReferenceGPU("test", "bf16", resnet50_images_per_second=100, source="a test")
    tiny = cost.PlannedRun(0.0, "tiny", steps=10, batch_size=8, images=80, val_images=0, epochs=1,
                           flops_per_step=1.0, layers=39, seconds_per_step=0.1)
    assert math.isclose(cost.gpu_seconds(tiny, gpu, resnet50_training_flops=1e9), 10 * measured[0][1])
    large = cost.PlannedRun(0.0, "large", steps=10, batch_size=8, images=80, val_images=0, epochs=1,
                            flops_per_step=1e12, layers=39, seconds_per_step=0.1)
    assert math.isclose(cost.gpu_seconds(large, gpu, resnet50_training_flops=1e9), 10 * 1e12 / (100 * 1e9))
    assert math.isclose(tiny.seconds_here, 1.0) and tiny.flops == 10.0


def test_resnet50_is_counted_as_a_training_step_is():
    # 4.1 billion multiply-adds forward (He et al. 2016, Table 1: 3.8e9 for v1; torchvision's v1.5 a little more);
    # backward about twice the forward
    assert 2.8 * 2 * 4.0e9 < cost.resnet50_training_flops() < 3.0 * 2 * 4.2e9


@pytest.mark.parametrize("gpu", cost.REFERENCE_GPUS, ids=lambda gpu: gpu.name)
def test_every_reference_gpu_names_its_source(gpu):
    assert gpu.resnet50_images_per_second > 0 and "NVIDIA DeepLearningExamples" in gpu.source
    assert gpu.precision in ("bf16", "fp16")


def test_cifar10_is_sized_as_a_learner_has_it(needs_data):
    from cnncourse import data

    local = data.load_cifar10("train")
    study.learner_sized_cifar10(("train", "test"))
    try:
        assert len(data.load_cifar10("train")) == max(len(local), study.CIFAR10_SIZES["train"])
        assert len(data.load_cifar10("test")) == study.CIFAR10_SIZES["test"]
    finally:
        data.load_cifar10 = data.datasets.load_cifar10
