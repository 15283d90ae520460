"""Convolution written out by hand: output sizes, parameter counts, loops, ``unfold``, hand-set kernels,
and a normalization folded into a convolution's weights.

Everything here computes what ``torch.nn.Conv2d`` computes (a cross-correlation: the kernel is not
flipped), written so that it can be read: first as plain loops, then as one matrix product with ``unfold``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .errors import InputShapeError, InputTypeError, InputValueError
from .validate import describe, expect_float_tensor, expect_whole_number


KERNELS: dict[str, tuple[tuple[float, ...], ...]] = {
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
    "box blur": ((1 / 9,) * 3,) * 3,
    "Gaussian blur": ((1 / 16, 2 / 16, 1 / 16), (2 / 16, 4 / 16, 2 / 16), (1 / 16, 2 / 16, 1 / 16)),
    "vertical edges (Sobel x)": ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),  # brighter to the right -> positive
    "horizontal edges (Sobel y)": ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),  # brighter below -> positive
    "outline (Laplacian)": ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
}


def preset_kernel(name: str) -> Tensor:
    """One of the hand-set 3x3 kernels in ``KERNELS`` as a float tensor (3, 3)."""
    if name not in KERNELS:
        raise InputValueError(f"Unknown kernel {name!r}; choose one of {list(KERNELS)}.")
    return torch.tensor(KERNELS[name], dtype=torch.float32)


def conv_output_size(size: int, kernel_size: int, *, padding: int = 0, stride: int = 1) -> int:
    """Height (or width) after a convolution: floor((size + 2*padding - kernel_size) / stride) + 1."""
    _check_sizes(size=(size, 1), kernel_size=(kernel_size, 1), padding=(padding, 0), stride=(stride, 1))
    span = size + 2 * padding - kernel_size
    if span < 0:
        raise InputValueError(f"A {kernel_size}x{kernel_size} kernel does not fit in {size} pixels with padding "
                              f"{padding}: use a smaller kernel_size or more padding.")
    return span // stride + 1


def conv_parameter_count(in_channels: int, out_channels: int, kernel_size: int, *, bias: bool = True) -> int:
    """Learnable numbers in ``nn.Conv2d(in_channels, out_channels, kernel_size)``: C_out * (C_in * k * k + 1)."""
    _check_sizes(in_channels=(in_channels, 1), out_channels=(out_channels, 1), kernel_size=(kernel_size, 1))
    if not isinstance(bias, bool):
        raise InputTypeError(f"bias must be True or False; got {bias!r}.")
    return out_channels * (in_channels * kernel_size * kernel_size + int(bias))


def _check_sizes(**values: tuple[object, int]) -> None:
    """Each named value a whole number of at least its minimum: ``_check_sizes(stride=(stride, 1))``."""
    for name, (value, minimum) in values.items():
        expect_whole_number(value, name=name, minimum=minimum)


def _check_conv_inputs(x: Tensor, weight: Tensor, bias: Tensor | None, stride: int, padding: int) -> None:
    _check_sizes(stride=(stride, 1), padding=(padding, 0))
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise InputShapeError(f"x must be an image batch (N, C_in, H, W); got {describe(x)}.")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise InputShapeError(f"weight must be (C_out, C_in, k, k); got {describe(weight)}.")
    if weight.shape[1] != x.shape[1]:
        raise InputShapeError(f"weight expects {weight.shape[1]} input channel(s) but x has {x.shape[1]}: "
                              f"x is {describe(x)}, weight is {describe(weight)}.")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise InputShapeError(f"bias must hold one number per output channel, shape ({weight.shape[0]},); "
                              f"got {describe(bias)}.")
    for name, tensor in (("x", x), ("weight", weight), ("bias", bias)):
        if tensor is not None:
            expect_float_tensor(tensor, name=name)


def conv2d_loops(x: Tensor, weight: Tensor, bias: Tensor | None = None, *, stride: int = 1,
                 padding: int = 0) -> Tensor:
    """nn.Conv2d's output written as loops: every output channel, every position, every input channel."""
    _check_conv_inputs(x, weight, bias, stride, padding)
    x = F.pad(x, (padding, padding, padding, padding))  # zeros around the border: (N, C_in, H+2p, W+2p)
    batch, in_channels, height, width = x.shape
    out_channels, _, k_h, k_w = weight.shape
    out_h = conv_output_size(height, k_h, stride=stride)
    out_w = conv_output_size(width, k_w, stride=stride)
    y = x.new_zeros(batch, out_channels, out_h, out_w)
    for o in range(out_channels):  # each output channel has its own filter weight[o]: (C_in, k, k)
        for i in range(out_h):
            for j in range(out_w):
                top, left = i * stride, j * stride
                total = x.new_zeros(batch)
                for c in range(in_channels):  # every input channel adds the response of its own kernel
                    window = x[:, c, top:top + k_h, left:left + k_w]  # (N, k, k)
                    total += (window * weight[o, c]).sum(dim=(1, 2))
                y[:, o, i, j] = total + (bias[o] if bias is not None else 0.0)
    return y  # (N, C_out, out_h, out_w)


def conv2d_unfold(x: Tensor, weight: Tensor, bias: Tensor | None = None, *, stride: int = 1,
                  padding: int = 0) -> Tensor:
    """The same convolution as one matrix product: unfold every window into a column, multiply by the filters."""
    _check_conv_inputs(x, weight, bias, stride, padding)
    batch, _, height, width = x.shape
    out_channels, _, k_h, k_w = weight.shape
    out_h = conv_output_size(height, k_h, padding=padding, stride=stride)
    out_w = conv_output_size(width, k_w, padding=padding, stride=stride)
    columns = F.unfold(x, (k_h, k_w), padding=padding, stride=stride)  # (N, C_in*k*k, out_h*out_w)
    filters = weight.reshape(out_channels, -1)  # (C_out, C_in*k*k): one row per filter
    y = filters @ columns  # (N, C_out, out_h*out_w)
    if bias is not None:
        y = y + bias[:, None]
    return y.reshape(batch, out_channels, out_h, out_w)


def channel_responses(image: Tensor, kernels: Tensor, *, padding: int = 0, stride: int = 1) -> Tensor:
    """What each input channel contributes to one output map: channel c filtered by kernels[c].

    ``image`` (C, H, W) and ``kernels`` (C, k, k), the filter of one output channel; the result is
    (C, H', W'), and its sum over channels is that output channel's feature map (without bias).
    """
    _check_sizes(stride=(stride, 1), padding=(padding, 0))
    if not (isinstance(image, Tensor) and isinstance(kernels, Tensor) and image.ndim == 3 and kernels.ndim == 3
            and image.shape[0] == kernels.shape[0]):
        raise InputShapeError(f"Need an image (C, H, W) and one k x k kernel per channel (C, k, k); "
                              f"got image {describe(image)} and kernels {describe(kernels)}.")
    conv_output_size(min(image.shape[1:]), max(kernels.shape[1:]), padding=padding, stride=stride)  # it fits
    x = image[None].float()  # (1, C, H, W)
    per_channel = F.conv2d(x, kernels[:, None].float(), padding=padding, stride=stride, groups=image.shape[0])
    return per_channel[0]  # (C, H', W')


def same_kernel_on_every_channel(kernel: Tensor, in_channels: int = 3) -> Tensor:
    """A conv weight (1, in_channels, k, k) that applies one 2-D kernel to every input channel."""
    _check_sizes(in_channels=(in_channels, 1))
    if not isinstance(kernel, Tensor) or kernel.ndim != 2:
        raise InputShapeError(f"kernel must be one k x k matrix; got {describe(kernel)}.")
    return kernel.float().expand(1, in_channels, *kernel.shape).clone()


def fold_normalization(conv: nn.Conv2d, mean: tuple[float, ...], std: tuple[float, ...]) -> nn.Conv2d:
    """A conv layer that gives on 0..1 input what ``conv`` gives on per-channel standardized input.

    conv((x - m) / s) = sum W · (x - m) / s + b = sum (W / s) · x + (b - sum W · m / s):
    new weights W / s, new bias b - sum W · m / s. Exact away from the border; at the border the
    zero padding differs (zero in standardized units is the mean colour, in 0..1 units it is black).
    """
    if not isinstance(conv, nn.Conv2d):
        raise InputTypeError(f"conv must be an nn.Conv2d layer; got {describe(conv)}.")
    try:
        mean_t = torch.as_tensor(mean, dtype=conv.weight.dtype).view(1, -1, 1, 1)  # (1, C_in, 1, 1)
        std_t = torch.as_tensor(std, dtype=conv.weight.dtype).view(1, -1, 1, 1)
    except (TypeError, ValueError, RuntimeError):
        raise InputTypeError(f"mean and std must be sequences of numbers, one per input channel; got mean={mean!r}, "
                             f"std={std!r}.") from None
    if mean_t.shape[1] != conv.in_channels or std_t.shape[1] != conv.in_channels:
        raise InputValueError(f"mean and std need {conv.in_channels} values, one per input channel of the conv "
                              f"layer; got {len(mean_t.flatten())} and {len(std_t.flatten())}.")
    if not (torch.isfinite(mean_t).all() and torch.isfinite(std_t).all() and (std_t > 0).all()):
        raise InputValueError(f"mean must be finite and std positive (it divides the weights); got mean={mean!r}, "
                              f"std={std!r}.")
    if conv.groups != 1:
        raise InputValueError("fold_normalization handles ordinary convolutions (groups=1) only.")
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                       padding=conv.padding, dilation=conv.dilation, bias=True)
    with torch.no_grad():
        weight = conv.weight / std_t  # (C_out, C_in, k, k)
        bias = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
        folded.weight.copy_(weight)
        folded.bias.copy_(bias - (weight * mean_t).sum(dim=(1, 2, 3)))
    return folded
