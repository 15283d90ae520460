"""What each block or layer of a network passes on or takes in on one batch, collected with forward hooks."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from .gradients import probing, weight_layers


def _forward_with_hooks(model: nn.Module, inputs: Tensor, hooks: list[tuple[nn.Module, Callable]], *,
                        training: bool) -> None:
    """One pass of ``model`` on ``inputs`` without gradients, each hook on its module; the model is left as it was."""
    handles = [module.register_forward_hook(hook) for module, hook in hooks]
    try:
        with probing(model, training=training), torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()


def block_outputs(model: nn.Module, inputs: Tensor) -> list[Tensor]:
    """The output of each of ``model.blocks`` on ``inputs``, first to last, detached.

    The model runs in training mode, as in ``layer_gradient_norms`` (batch statistics), and is left as it was.
    """
    outputs: list[Tensor] = []
    _forward_with_hooks(model, inputs, [(block, lambda _module, _inputs, output: outputs.append(output.detach()))
                                        for block in model.blocks], training=True)
    return outputs


def layer_input_rms(model: nn.Module, inputs: Tensor) -> dict[str, float]:
    """The root mean square of what each conv/linear layer takes in on ``inputs``, first layer to last.

    The model runs in evaluation mode (no batch statistics to update) and is left in its mode.
    """
    rms: dict[str, float] = {}

    def record(name: str) -> Callable:
        return lambda _module, layer_inputs, _output: rms.__setitem__(
            name, float(layer_inputs[0].detach().double().pow(2).mean().sqrt()))

    _forward_with_hooks(model, inputs, [(layer, record(name)) for name, layer in weight_layers(model)], training=False)
    return rms
