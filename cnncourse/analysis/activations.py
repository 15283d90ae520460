"""What each block or layer of a network passes on or takes in on one batch, collected with forward hooks."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .gradients import weight_layers


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


def layer_input_rms(model: nn.Module, inputs: Tensor) -> dict[str, float]:
    """The root mean square of what each conv/linear layer takes in on ``inputs``, first layer to last.

    The model runs in evaluation mode (no batch statistics to update) and is left in its mode.
    """
    rms: dict[str, float] = {}
    hooks = [layer.register_forward_hook(
                 lambda _module, layer_inputs, _output, name=name: rms.__setitem__(
                     name, float(layer_inputs[0].detach().double().pow(2).mean().sqrt())))
             for name, layer in weight_layers(model)]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(inputs)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return rms
