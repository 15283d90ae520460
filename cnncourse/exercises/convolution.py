"""Checks for the exercises of the multi-channel convolution lesson."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..by_hand import conv_output_size, conv_parameter_count
from ..language import say
from .feedback import Feedback, correct, wrong

# Exercise 1: how many learnable numbers does nn.Conv2d(3, 64, 5) hold?
PARAMETER_LAYER = (3, 64, 5)

# Exercise 2: height of a 32x32 image after nn.Conv2d(..., kernel_size=5, stride=3, padding=2).
OUTPUT_SIZE_INPUT, OUTPUT_SIZE_KERNEL, OUTPUT_SIZE_STRIDE, OUTPUT_SIZE_PADDING = 32, 5, 3, 2


def check_parameter_count(answer: object) -> Feedback:
    """Exercise 1: the parameter count of nn.Conv2d(3, 64, 5)."""
    in_channels, out_channels, k = PARAMETER_LAYER
    expected = conv_parameter_count(in_channels, out_channels, k)
    if answer is None:
        return wrong("set `answer` to the number of parameters of nn.Conv2d(3, 64, 5).")
    if not isinstance(answer, (int, float)) or isinstance(answer, bool) or answer != int(answer):
        return wrong("a parameter count is a whole number; got {answer!r}.", answer=answer)
    answer = int(answer)
    if answer == expected:
        return correct("{out_channels} filters of {in_channels}x{k}x{k} weights plus one bias each: "
                       "{out_channels} * ({weights_per_filter} + 1) = {expected}.", out_channels=out_channels,
                       in_channels=in_channels, k=k, weights_per_filter=in_channels * k * k, expected=expected)
    if answer == conv_parameter_count(in_channels, out_channels, k, bias=False):
        return wrong("{answer} counts the weights only. Each output channel also has one bias.", answer=answer)
    if answer in (conv_parameter_count(1, out_channels, k), conv_parameter_count(1, out_channels, k, bias=False)):
        return wrong("{answer} treats each filter as one {k}x{k} matrix. A filter spans all {in_channels} "
                     "input channels: it is {in_channels}x{k}x{k}.", answer=answer, k=k, in_channels=in_channels)
    if answer in (in_channels * out_channels * k * k + in_channels, in_channels * (out_channels * k * k + 1)):
        return wrong("the bias belongs to each output channel (one per filter), not to each input channel.")
    return wrong("{answer} is not it. Count the weight tensor (C_out, C_in, k, k) and the bias (C_out,).",
                 answer=answer)


def check_output_size(answer: object) -> Feedback:
    """Exercise 2: the height of a 32x32 input after a 5x5 convolution with stride 3 and padding 2."""
    size, k, stride, padding = OUTPUT_SIZE_INPUT, OUTPUT_SIZE_KERNEL, OUTPUT_SIZE_STRIDE, OUTPUT_SIZE_PADDING
    expected = conv_output_size(size, k, padding=padding, stride=stride)
    if answer is None:
        return wrong("set `answer` to the output height (one whole number).")
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return wrong("the output height is one number; got {answer!r}.", answer=answer)
    if answer != int(answer):
        return wrong("{answer} is not a whole number of pixels: the kernel only stops at whole steps, so "
                     "round (size + 2*padding - k) / stride down before adding 1.", answer=answer)
    answer = int(answer)
    if answer == expected:
        return correct("floor(({size} + 2*{padding} - {k}) / {stride}) + 1 = {expected}.",
                       size=size, padding=padding, k=k, stride=stride, expected=expected)
    if answer == conv_output_size(size, k, stride=stride):
        return wrong("{answer} leaves out the padding: it adds {padding} pixel(s) on each side.",
                     answer=answer, padding=padding)
    if answer == conv_output_size(size, k, padding=padding):
        return wrong("{answer} is the size with stride 1; with stride {stride} the kernel moves {stride} "
                     "pixels a step.", answer=answer, stride=stride)
    if answer == -(-(size + 2 * padding - k) // stride) + 1:
        return wrong("{answer} rounds up; a window that does not fit is dropped, so round down.", answer=answer)
    if answer == size // stride:
        return wrong("{answer} only divides by the stride; the kernel size and padding also change the size.",
                     answer=answer)
    return wrong("{answer} is not it. Use floor((size + 2*padding - k) / stride) + 1.", answer=answer)


def _colour_test_images(size: int = 8) -> dict[str, torch.Tensor]:
    """Test images (1, 3, size, size): flat areas, a gray vertical edge and a red|green vertical edge."""
    right = (torch.arange(size) >= size // 2).float().expand(size, size)  # 0 on the left half, 1 on the right
    images = {f"flat {name}": torch.zeros(3, size, size).index_fill_(0, torch.tensor([c]), 1.0)
              for c, name in enumerate(("red", "green", "blue"))}
    images["gray edge"] = right.expand(3, size, size)  # dark left, bright right, the same in R, G and B
    images["red|green edge"] = torch.stack([1 - right, right, torch.zeros(size, size)])  # red left, green right
    return {name: image[None].clone() for name, image in images.items()}


def check_colour_edge_filter(filter_weights: object) -> Feedback:
    """Exercise 3: a filter (3, 3, 3) that finds red|green vertical edges but ignores gray edges and flat areas."""
    if filter_weights is None:
        return wrong("set `filter_weights` to three 3x3 kernels, one for each of R, G and B (shape (3, 3, 3)).")
    try:
        w = torch.as_tensor(filter_weights, dtype=torch.float32)
    except (TypeError, ValueError):
        return wrong("could not read {filter_weights!r} as a (3, 3, 3) array of numbers.",
                     filter_weights=filter_weights)
    if w.shape != (3, 3, 3):
        hint = say(" One 3x3 kernel is not enough: give one for each of R, G and B.") if w.shape == (3, 3) else ""
        return wrong("the filter must have shape (3, 3, 3), one 3x3 kernel per colour channel; got "
                     "{w_shape}.{hint}", w_shape=tuple(w.shape), hint=hint)
    scale = w.abs().sum().item()
    if scale == 0:
        return wrong("an all-zero filter responds to nothing.")
    response = {name: F.conv2d(image, w[None]).abs().max().item() for name, image in _colour_test_images().items()}
    flat = [(name, letter) for name, letter in (("flat red", "R"), ("flat green", "G"), ("flat blue", "B"))
            if response[name] > 1e-3 * scale]
    if flat:
        name, channel = flat[0]
        return wrong("it responds on a flat area lit in {channel} alone ({flat_response:g}), where nothing changes. "
                     "Make each channel's kernel sum to zero.", channel=channel, flat_response=response[name])
    if response["gray edge"] > 1e-3 * scale and response["gray edge"] > 0.1 * response["red|green edge"]:
        return wrong("it responds to a gray edge ({response_gray_edge:g}; red|green edge: "
                     "{response_red_green_edge:g}), where R, G and B change together. The channel responses "
                     "are added, so make them cancel when all channels change alike, e.g. give G the "
                     "negative of R's kernel.",
                     response_gray_edge=response['gray edge'], response_red_green_edge=response['red|green edge'])
    if response["red|green edge"] < 1e-3 * scale:
        return wrong("it gives 0 on a vertical edge between red (left) and green (right). There R falls and G rises "
                     "from left to right: the R and G kernels must compare left with right.")
    return correct("it gives {response_red_green_edge:g} on a red|green edge, {response_gray_edge:g} on a "
                   "gray edge and 0 on flat areas: the channel responses cancel for brightness and add up "
                   "for colour.",
                   response_red_green_edge=response['red|green edge'], response_gray_edge=response['gray edge'])
