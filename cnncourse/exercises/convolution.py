"""Checks for the exercises of the multi-channel convolution lesson."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..convolution import conv_output_size, conv_parameter_count
from .feedback import Feedback, correct, wrong

# Exercise 1: how many learnable numbers does nn.Conv2d(3, 64, 5) hold?
PARAMETER_LAYER = (3, 64, 5)

# Exercise 2: height of a 32x32 image after nn.Conv2d(..., kernel_size=5, stride=2, padding=1).
OUTPUT_SIZE_INPUT, OUTPUT_SIZE_KERNEL, OUTPUT_SIZE_STRIDE, OUTPUT_SIZE_PADDING = 32, 5, 2, 1


def check_parameter_count(answer: object) -> Feedback:
    """Exercise 1: the parameter count of nn.Conv2d(3, 64, 5)."""
    in_channels, out_channels, k = PARAMETER_LAYER
    expected = conv_parameter_count(in_channels, out_channels, k)
    if answer is None:
        return wrong("set `answer` to the number of parameters of nn.Conv2d(3, 64, 5).")
    if not isinstance(answer, (int, float)) or isinstance(answer, bool) or answer != int(answer):
        return wrong(f"a parameter count is a whole number; got {answer!r}.")
    answer = int(answer)
    if answer == expected:
        return correct(f"{out_channels} filters of {in_channels}x{k}x{k} weights plus one bias each: "
                       f"{out_channels} * ({in_channels * k * k} + 1) = {expected}.")
    if answer == conv_parameter_count(in_channels, out_channels, k, bias=False):
        return wrong(f"{answer} counts the weights only. Each output channel also has one bias.")
    if answer in (conv_parameter_count(1, out_channels, k), conv_parameter_count(1, out_channels, k, bias=False)):
        return wrong(f"{answer} treats each filter as one {k}x{k} matrix. A filter spans all "
                     f"{in_channels} input channels: it is {in_channels}x{k}x{k}.")
    if answer in (in_channels * out_channels * k * k + in_channels, in_channels * (out_channels * k * k + 1)):
        return wrong("the bias belongs to each output channel (one per filter), not to each input channel.")
    return wrong(f"{answer} is not it. Count the weight tensor (C_out, C_in, k, k) and the bias (C_out,).")


def check_output_size(answer: object) -> Feedback:
    """Exercise 2: the height of a 32x32 input after a 5x5 convolution with stride 2 and padding 1."""
    size, k, stride, padding = OUTPUT_SIZE_INPUT, OUTPUT_SIZE_KERNEL, OUTPUT_SIZE_STRIDE, OUTPUT_SIZE_PADDING
    expected = conv_output_size(size, k, padding=padding, stride=stride)
    if answer is None:
        return wrong("set `answer` to the output height (one whole number).")
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return wrong(f"the output height is one number; got {answer!r}.")
    if answer != int(answer):
        return wrong(f"{answer} is not a whole number of pixels: the kernel only stops at whole steps, so round "
                     "(size + 2*padding - k) / stride down before adding 1.")
    answer = int(answer)
    if answer == expected:
        return correct(f"floor(({size} + 2*{padding} - {k}) / {stride}) + 1 = {expected}.")
    if answer == conv_output_size(size, k, stride=stride):
        return wrong(f"{answer} leaves out the padding: it adds {padding} pixel(s) on each side.")
    if answer == conv_output_size(size, k, padding=padding):
        return wrong(f"{answer} is the size with stride 1; with stride {stride} the kernel moves {stride} pixels a step.")
    if answer == -(-(size + 2 * padding - k) // stride) + 1:
        return wrong(f"{answer} rounds up; a window that does not fit is dropped, so round down.")
    if answer == size // stride:
        return wrong(f"{answer} only divides by the stride; the kernel size and padding also change the size.")
    return wrong(f"{answer} is not it. Use floor((size + 2*padding - k) / stride) + 1.")


def _vertical_and_horizontal_steps(size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Two test images (1, 1, size, size): dark left / bright right, and dark top / bright bottom."""
    step = (torch.arange(size) >= size // 2).float()
    return step.expand(size, size)[None, None].clone(), step[:, None].expand(size, size)[None, None].clone()


def check_vertical_edge_kernel(kernel: object) -> Feedback:
    """Exercise 3: a 3x3 kernel that responds to vertical edges, not to horizontal edges or flat areas."""
    if kernel is None:
        return wrong("set `kernel` to a 3x3 list of numbers or a (3, 3) tensor.")
    try:
        k = torch.as_tensor(kernel, dtype=torch.float32)
    except (TypeError, ValueError):
        return wrong(f"could not read {kernel!r} as a 3x3 array of numbers.")
    if k.shape != (3, 3):
        return wrong(f"the kernel must be 3x3; got shape {tuple(k.shape)}.")
    scale = k.abs().sum().item()
    if scale == 0:
        return wrong("an all-zero kernel responds to nothing.")
    vertical, horizontal = _vertical_and_horizontal_steps()
    flat_response = abs(k.sum().item())  # the response on a region of constant brightness 1
    vertical_response = F.conv2d(vertical, k[None, None]).abs().max().item()
    horizontal_response = F.conv2d(horizontal, k[None, None]).abs().max().item()
    if flat_response > 1e-3 * scale:
        return wrong(f"on a flat area of brightness 1 the kernel gives {k.sum().item():g} (the sum of its entries). "
                     "An edge detector should give 0 where nothing changes: make the entries sum to zero.")
    if vertical_response < 1e-3 * scale and horizontal_response >= 1e-3 * scale:
        return wrong("the kernel responds to horizontal edges (dark top, bright bottom) and gives 0 on vertical ones: "
                     "it compares top with bottom. Turn it by 90 degrees so that it compares left with right.")
    if vertical_response < 1e-3 * scale:
        return wrong("the kernel gives 0 on a vertical edge (dark left, bright right). "
                     "Compare the left column with the right column.")
    if horizontal_response > 0.1 * vertical_response:
        return wrong(f"the kernel also responds to a horizontal edge ({horizontal_response:g} versus "
                     f"{vertical_response:g} on a vertical one). Make each row of the kernel compare left with right, "
                     "and keep the columns free of top-versus-bottom differences.")
    return correct(f"it gives {vertical_response:g} on a vertical edge, {horizontal_response:g} on a horizontal "
                   "edge and 0 on a flat area.")
