"""Gradients inside a network: per-layer gradient norms and the smoothness of the loss landscape.

- ``layer_gradient_norms``: how large the gradient of each weight layer is, first layer to last
  (vanishing or exploding gradients show up as a slope across depth).
- ``landscape_along_gradient``: Santurkar et al. 2018, "How Does Batch Normalization Help Optimization?":
  step from the current weights along the negative gradient and record how much the loss and the
  gradient change; a smooth landscape changes little, so large steps (learning rates) are safe.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
from torch import Tensor, nn

from ..config import seed_everything
from ..errors import InputValueError
from ..validate import expect_class_labels, is_number


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The convolution and linear layers of ``model`` in the order they were registered (input to output)."""
    return [(name, module) for name, module in model.named_modules() if isinstance(module, (nn.Conv2d, nn.Linear))]


@contextmanager
def probing(model: nn.Module, *, training: bool = True) -> Iterator[nn.Module]:
    """Run ``model`` in the given mode for a measurement, and leave it as it was: its mode and every buffer.

    Training mode (the default) normalizes by the batch's own statistics, as during training, but a forward
    pass in it also moves BN's running statistics towards the batch's. An analysis must not change the net it
    measures (a later evaluation would see other statistics), so the buffers are put back afterwards.
    """
    buffers = {name: buffer.clone() for name, buffer in model.named_buffers()}
    was_training = model.training
    model.train(training)
    try:
        yield model
    finally:
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                buffer.copy_(buffers[name])
        model.train(was_training)


GRADIENT_MEASURES = ("norm", "relative")


def layer_gradient_norms(model: nn.Module, inputs: Tensor, targets: Tensor, *,
                         loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
                         measure: str = "norm", parameter: str = "weight") -> dict[str, float]:
    """The loss gradient of each conv/linear weight, first layer to last: ``"norm"`` ‖g‖, or ``"relative"`` ‖g‖/‖w‖.

    ``parameter="bias"`` measures the layers' biases instead (layers without a bias are left out).

    The raw norm grows with the number of weights (a 16->16 3x3 conv has 2,304, a 64->64 one 36,864), so
    comparing layers of different sizes by it misleads; ‖g‖/‖w‖, the relative change one SGD step makes to the
    layer, does not depend on its size. The model is run in training mode (batch statistics, as during
    training) and left as it was (``probing``); its stored gradients are cleared afterwards.
    """
    if measure not in GRADIENT_MEASURES:
        raise InputValueError(f"measure must be one of {GRADIENT_MEASURES}; got {measure!r}.")
    if parameter not in ("weight", "bias"):
        raise InputValueError(f"parameter must be 'weight' or 'bias'; got {parameter!r}.")
    checked = loss_fn is None  # cross-entropy: the targets must be class labels of the model's outputs
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.zero_grad(set_to_none=True)
    with probing(model), torch.enable_grad():
        outputs = model(inputs)
        if checked:
            expect_class_labels(outputs, targets, who="layer_gradient_norms")
        loss_fn(outputs, targets).backward()
    # summed in float64: a float32 norm of gradients below about 1e-22 reads 0, as their squares underflow float32
    tensors = {name: getattr(module, parameter) for name, module in weight_layers(model)}
    norms = {name: float(tensor.grad.double().norm() / (tensor.detach().double().norm() if measure == "relative" else 1.0))
             for name, tensor in tensors.items() if tensor is not None}
    model.zero_grad(set_to_none=True)
    return norms


def first_over_last_stage(gradients: Sequence[float], *, convs_per_stage: int) -> float:
    """How much more the first stage's convs get than the last stage's: the geometric mean of the ratio.

    ``gradients`` holds one value per weight layer, stem conv first and classifier last (``layer_gradient_norms``'
    order); both are left out, and the first and last ``convs_per_stage`` of the rest are compared.
    """
    if not isinstance(convs_per_stage, int) or isinstance(convs_per_stage, bool) or convs_per_stage < 1:
        raise InputValueError(f"convs_per_stage must be a whole number of at least 1; got {convs_per_stage!r}.")
    values = list(gradients)
    if len(values) < 2 * convs_per_stage + 2 or not all(is_number(v) and v > 0 for v in values):
        raise InputValueError(f"gradients must hold at least {2 * convs_per_stage + 2} positive numbers (the stem, "
                              f"two stages of {convs_per_stage} convs, the classifier); got {len(values)}: "
                              f"{values[:4]}...")
    logs = torch.tensor(values[1:-1], dtype=torch.float64).log()  # the block convs: no stem conv, no classifier
    return float((logs[:convs_per_stage].mean() - logs[-convs_per_stage:].mean()).exp())


def weight_scale_response(build_model: Callable[[float], nn.Module], inputs: Tensor, targets: Tensor, *,
                          scales: Sequence[float] = (0.5, 2.0), seed: int = 0) -> dict[float, float]:
    """How ‖g‖/‖w‖ answers a scaling of the initial weights: for each scale, the median over the layers (the
    classifier, the last, left out) of ‖g‖/‖w‖ in ``build_model(scale)`` over the same in ``build_model(1.0)``,
    every net built from ``seed`` (the same weights up to the scale).

    With batch norm after each conv the answer is 1/scale²: the output does not change, the gradient shrinks
    by the scale and the weight grows by it (Ioffe & Szegedy 2015, sec. 3.3).
    """
    def relative_gradients(scale: float) -> Tensor:
        seed_everything(seed)
        norms = layer_gradient_norms(build_model(scale), inputs, targets, measure="relative")
        return torch.tensor(list(norms.values())[:-1])

    unscaled = relative_gradients(1.0)
    return {scale: (relative_gradients(scale) / unscaled).median().item() for scale in scales}


def _flatten(tensors: Sequence[Tensor]) -> Tensor:
    """One flat vector of all ``tensors`` (reshape, not view: channels_last weights are not contiguous)."""
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def _assign(params: Sequence[Tensor], vector: Tensor) -> None:
    """Copy consecutive pieces of ``vector`` into ``params``, each keeping its memory format."""
    for param, piece in zip(params, vector.split([p.numel() for p in params])):
        param.copy_(piece.view_as(param))


def _flat_gradient(model: nn.Module, params: Sequence[Tensor], inputs: Tensor, targets: Tensor,
                   loss_fn: Callable) -> tuple[float, Tensor]:
    """(loss, gradient as one flat vector) at the current weights."""
    with torch.enable_grad():
        loss = loss_fn(model(inputs), targets)
        grads = torch.autograd.grad(loss, params)
    return float(loss.detach()), _flatten(grads)


@dataclass(frozen=True)
class LandscapeProbe:
    """Loss and gradient measured at points w - eta * g along the negative gradient g of the loss at w."""

    step_sizes: tuple[float, ...]  # eta
    losses: tuple[float, ...]  # L(w - eta g)
    gradient_changes: tuple[float, ...]  # ||grad L(w - eta g) - g||
    gradient_norm: float  # ||g||

    @property
    def loss_range(self) -> float:
        """max - min of the loss along the step: Santurkar et al.'s "variation of the loss"."""
        return max(self.losses) - min(self.losses)

    @property
    def max_gradient_change(self) -> float:
        """The largest change of the gradient along the step ("gradient predictiveness"; smaller is smoother)."""
        return max(self.gradient_changes)

    @property
    def beta_smoothness(self) -> float:
        """max ||grad L(w - eta g) - g|| / ||eta g||: how fast the gradient turns per unit of distance moved."""
        return max(change / (eta * self.gradient_norm) for eta, change in zip(self.step_sizes, self.gradient_changes)
                   if eta > 0)


def landscape_along_gradient(model: nn.Module, inputs: Tensor, targets: Tensor, *,
                             step_sizes: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
                             loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None) -> LandscapeProbe:
    """Probe the loss landscape along the negative gradient (Santurkar et al. 2018, section 3.1).

    The model is evaluated in training mode (batch statistics) on one fixed batch; BN running statistics
    are left untouched and the weights are restored afterwards.
    """
    if not step_sizes or not all(is_number(eta) and eta > 0 for eta in step_sizes):
        raise InputValueError(f"step_sizes must be positive numbers, e.g. (0.05, 0.1); got {tuple(step_sizes)!r}.")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    params = [p for p in model.parameters() if p.requires_grad]
    start = _flatten(params).clone()
    with probing(model):
        try:
            loss0, gradient = _flat_gradient(model, params, inputs, targets, loss_fn)
            losses, changes = [loss0], [0.0]
            for eta in step_sizes:
                with torch.no_grad():
                    _assign(params, start - eta * gradient)
                loss, moved = _flat_gradient(model, params, inputs, targets, loss_fn)
                losses.append(loss)
                changes.append(float((moved - gradient).norm()))
        finally:
            with torch.no_grad():
                _assign(params, start)
    return LandscapeProbe((0.0, *map(float, step_sizes)), tuple(losses), tuple(changes), float(gradient.norm()))
