"""Lesson 03's comparisons: transfer learning against fine-tuning and training from scratch; an ImageNet VGG-16."""

from __future__ import annotations

from functools import partial
from typing import Sequence

from torch import nn

from ..checkpoints import weights_fingerprint
from ..data.containers import ImageData
from ..evaluation import default_prepare, evaluate
from ..loop import Prepare
from ..models.pretrained import ImagenetPrepare, load_imagenet_vgg16
from ..models.transfer import MODES, lr_multipliers_for, transfer_model
from ..recipes import Recipe
from ..train import Task, fit
from .runs import Variant, train_each


def compare_transfer(source: nn.Module, train_pool: ImageData, test_data: ImageData, sizes: Sequence[int],
                     recipe: Recipe, *, seed: int = 0, prepare: Prepare = default_prepare,
                     modes: Sequence[str] = MODES, cache_prefix: str | None = "transfer") -> dict[str, dict[int, float]]:
    """Test accuracy of every mode trained on ``n`` labelled images per class, for each n in ``sizes``.

    The subsets are nested (the 50 images of a class are among its 200), and every mode sees the same images
    for the same number of steps; fine-tuning trains the pretrained body at a tenth of the learning rate.
    """
    cache_name = f"{cache_prefix}-{weights_fingerprint(source)[:8]}" if cache_prefix else None
    results: dict[str, dict[int, float]] = {mode: {} for mode in modes}
    for n in sizes:
        subset = train_pool.subset(n, seed=seed)
        variants = {mode: Variant(partial(transfer_model, source, mode, subset.num_classes), subset,
                                  recipe.but(lr_multipliers=lr_multipliers_for(mode) or ()), prepare, test=test_data)
                    for mode in modes}
        for mode, outcome in train_each(variants, seed=seed, cache_name=cache_name).items():
            results[mode][n] = outcome.test_accuracy
    return results


def fine_tune_imagenet_vgg16(train_data: ImageData, test_data: ImageData, recipe: Recipe, *, download: bool = False,
                             cache_name: str | None = "imagenet-vgg16") -> dict[str, float]:
    """Fine-tune the ImageNet VGG-16 as ``recipe`` says on ``train_data``; its test accuracy before and after."""
    model = load_imagenet_vgg16(train_data.num_classes, download=download)
    prepare = ImagenetPrepare()
    before = evaluate(model, test_data, prepare=prepare, batch_size=recipe.batch_size)["accuracy"]
    fit(model, train_data, recipe, Task(prepare=prepare), cache_name=cache_name, label="ImageNet VGG-16")
    after = evaluate(model, test_data, prepare=prepare, batch_size=recipe.batch_size)["accuracy"]
    return {"accuracy_new_head_untrained": before, "accuracy_fine_tuned": after}
