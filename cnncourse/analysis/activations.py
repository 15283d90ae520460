"""What each block of a network passes on: its outputs on one batch, collected with forward hooks."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def block_outputs(model: nn.Module, inputs: Tensor) -> list[Tensor]:
    """The output of each of ``model.blocks`` on ``inputs``, first to last, detached.

    The model runs in training mode, as in ``layer_gradient_norms`` (batch statistics), and is left in its mode.
    """
    outputs: list[Tensor] = []
    hooks = [block.register_forward_hook(lambda _module, _inputs, output: outputs.append(output.detach()))
             for block in model.blocks]
    was_training = model.training
    try:
        model.train()
        with torch.no_grad():
            model(inputs)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return outputs
