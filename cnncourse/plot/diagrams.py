"""Diagrams drawn from the models themselves: a block's layers in the order it calls them, a U-Net's "U" from the
shapes its stages report, a convolution from its weight tensor. Change a model and its picture follows."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle
from matplotlib.patheffects import withStroke
from torch import Tensor, nn

from ..analysis import receptive_fields
from ..models.resnet import BasicBlock
from ..models.transfer import MODES, lr_multipliers_for, transfer_model
from ..ops import mirror_pad
from .base import axes_or_new
from .images import CHANNEL_COLOURS
from .style import PALETTE, SMALL_TEXT, capped_width, series_colour, tint

if TYPE_CHECKING:
    from ..models.tiling import TilePlan

# each kind of layer filled with a light tint of its palette colour, the same in every diagram: convs sky blue,
# 1x1 convs purple, pooling vermillion (as the U-Net's pooling arrows), batch norm orange, activations green
LAYER_COLOURS = {kind: tint(PALETTE[colour], 0.55) for kind, colour in (
    ("conv", "sky blue"), ("1x1", "purple"), ("pool", "vermillion"), ("batch norm", "orange"), ("activation", "green"))}
STEP_COLOURS = {"conv": PALETTE["blue"], "pool": PALETTE["vermillion"], "up": PALETTE["green"], "skip": "gray",
                "join": "black", "head": PALETTE["purple"]}


def _called_children(module: nn.Module, run: Callable[[], Tensor]) -> tuple[list[nn.Module], Tensor]:
    """The direct children of ``module`` in the order ``run()`` calls them (forward hooks, removed after), and what
    ``run()`` returned."""
    called: list[nn.Module] = []
    handles = [child.register_forward_hook(lambda child, inputs, output: called.append(child))
               for child in module.children()]
    try:
        with torch.no_grad():
            output = run()
    finally:
        for handle in handles:
            handle.remove()
    return called, output


def _layer_label(layer: nn.Module) -> tuple[str, str]:
    """(text, kind) of one layer of a block: '3x3 conv, 16', 'batch norm', 'ReLU'."""
    if isinstance(layer, nn.Conv2d):
        stride = f", stride {layer.stride[0]}" if layer.stride[0] > 1 else ""
        return f"{layer.kernel_size[0]}x{layer.kernel_size[1]} conv, {layer.out_channels}{stride}", "conv"
    if isinstance(layer, nn.BatchNorm2d):
        return "batch norm", "batch norm"
    return type(layer).__name__, "activation"


def block_layers(block: nn.Module, x: Tensor) -> tuple[list[tuple[str, str]], int | None]:
    """The layers a CIFAR ResNet block calls on ``x``, in order, as (text, kind); and after how many of them its
    skip connection is added (None: a plain block, whose output is the activation of its two weight layers)."""
    block.eval()
    called, output = _called_children(block, lambda: block(x))
    in_residual, residual = _called_children(block, lambda: block.residual(x))
    with torch.no_grad():
        plain = torch.equal(output, block.activation(residual))
    layers = [layer for layer in called if not isinstance(layer, nn.Identity)]
    add_after = sum(not isinstance(layer, nn.Identity) for layer in in_residual)
    return [_layer_label(layer) for layer in layers], None if plain else add_after


def _box(ax: Axes, x: float, y: float, text: str, colour: str, width: float = 2.2, height: float = 0.55,
         fontsize: float = 10, hatch: str | None = None) -> None:
    ax.add_patch(Rectangle((x - width / 2, y - height / 2), width, height, facecolor=colour, edgecolor="black",
                           linewidth=0.8, hatch=hatch))
    halo = [withStroke(linewidth=4, foreground=colour)] if hatch else None   # the letters stay clear of a hatch
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, path_effects=halo)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], colour: str = "black",
           style: str = "-|>", **kwargs) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=colour, linewidth=1.2,
                                 shrinkA=0, shrinkB=0, **kwargs))


def residual_blocks(blocks: dict[str, nn.Module], *, in_shape: Sequence[int] = (1, 16, 8, 8),
                    axes: Sequence[Axes] | None = None) -> list[Axes]:
    """Each block as a column of its layers, top to bottom, with its skip connection (if any) drawn beside it.

    ``blocks`` maps a title to a block (``PlainBlock(16, 16)``, ``BasicBlock(16, 16)``, ...); the layers and the
    place of the addition come from running the block on a random input of ``in_shape``.
    """
    if axes is None:
        axes = plt.subplots(1, len(blocks), figsize=(capped_width(3.4 * len(blocks)), 5.2), layout="constrained")[1]
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    x = torch.randn(*in_shape, generator=torch.Generator().manual_seed(0))
    for ax, (title, block) in zip(axes, blocks.items()):
        layers, add_after = block_layers(block, x)
        rows = ["x"] + [text for text, _ in layers] + ["output"]
        kinds = [None] + [kind for _, kind in layers] + [None]
        if add_after is not None:  # the addition is a row of its own
            rows.insert(add_after + 1, "+")
            kinds.insert(add_after + 1, "add")
        ys = [-1.0 * i for i in range(len(rows))]
        for row, (text, kind, y) in enumerate(zip(rows, kinds, ys)):
            if kind == "add":
                ax.add_patch(Circle((0, y), 0.22, facecolor="white", edgecolor="black", linewidth=1.0))
                ax.text(0, y, "+", ha="center", va="center", fontsize=13)
            elif kind is None:
                ax.text(0, y, text, ha="center", va="center", fontsize=SMALL_TEXT, style="italic")
            else:
                _box(ax, 0, y, text, LAYER_COLOURS[kind])
            if row:
                _arrow(ax, (0, ys[row - 1] - 0.3), (0, y + 0.3))
        if add_after is not None:
            plus = ys[add_after + 1]  # the skip: out to the right of the layers, down, and into the addition
            ax.plot([0.2, 1.45, 1.45], [ys[0], ys[0], plus], color="black", linewidth=1.4)   # black, as every skip
            _arrow(ax, (1.45, plus), (0.24, plus))
            ax.text(1.55, (ys[0] + plus) / 2, "identity\n(skip)", fontsize=10, va="center")
        ax.set_xlim(-1.3, 2.5)
        ax.set_ylim(ys[-1] - 0.6, 0.6)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(title)
    bottom = min(ax.get_ylim()[0] for ax in axes)
    for ax in axes:   # one scale: a shorter block is drawn as large as the others, with room below
        ax.set_ylim(bottom, 0.6)
    return axes


def _step_kind(name: str) -> str:
    """The kind of step that produced the stage ``name`` ("down 1: max-pool 2x2", "decoder: upsample x2", ...)."""
    for key, step in (("max-pool", "pool"), ("up-conv", "up"), ("upsample", "up"), ("concatenate", "join"),
                      ("head", "head"), ("output", "head")):
        if key in name:
            return step
    return "conv"


def u_shape(stages: Sequence[tuple[str, tuple[int, ...]]], *, title: str = "", widest: int | None = None,
            ax: Axes | None = None) -> Axes:
    """The "U" of an encoder-decoder from its stages (``UNet.stages``, ``ConvAutoencoder.stages``): a box per feature
    map, as wide as its channels, one row per resolution; pooling down the left, upsampling up the right, skip
    connections (where stages concatenate one) across. The legend names each kind of step as the stages do.
    ``widest``: the channel count drawn at full width (the stages' largest by default; give two diagrams one scale)."""
    ax = axes_or_new(ax, (11, 4.6))
    sizes = sorted({shape[-1] for _, shape in stages}, reverse=True)
    widest = widest or max(shape[1] for _, shape in stages)
    position: dict[str, tuple[float, float]] = {}
    step_labels: dict[str, str] = {}
    previous = None
    for index, (name, shape) in enumerate(stages):
        x, y = float(index), -float(sizes.index(shape[-1]))
        width = 0.15 + 0.6 * shape[1] / widest
        concatenated = "concatenate" in name
        fill = "white" if concatenated else LAYER_COLOURS["conv"]
        ax.add_patch(Rectangle((x - width / 2, y - 0.3), width, 0.6, facecolor=fill, edgecolor="black", linewidth=0.8,
                               hatch="//" if concatenated else None))
        ax.text(x, y + 0.38, str(shape[1]), ha="center", va="bottom", fontsize=SMALL_TEXT)
        if previous is not None:  # from the right edge of the box before to the left edge of this one
            step = _step_kind(name)
            step_labels.setdefault(step, name.split(": ", 1)[-1])
            _arrow(ax, (previous[0] + previous[2] / 2 + 0.02, previous[1]), (x - width / 2 - 0.02, y),
                   colour=STEP_COLOURS[step])
        previous = (x, y, width)
        position[name] = (x, y)
    for name, (x, y) in position.items():  # skip connections, routed under the row: encoder output -> concatenation
        if "concatenate" in name:
            level = name.split(":")[0].replace("up", "down")
            start = position[f"{level}: 2 x conv3x3"]
            ax.plot([start[0], start[0], x], [y - 0.3, y - 0.38, y - 0.38], color=STEP_COLOURS["skip"],
                    linestyle="--", linewidth=1.2)  # just under the row: clear of the next row's channel counts
            _arrow(ax, (x, y - 0.38), (x, y - 0.3), colour=STEP_COLOURS["skip"])
            step_labels.setdefault("skip", "copy (skip connection)")
    for row, size in enumerate(sizes):
        ax.text(-1.0, -row, f"{size} x {size}", ha="right", va="center", fontsize=SMALL_TEXT)
    handles = [plt.Line2D([], [], color=STEP_COLOURS[step], linestyle="--" if step == "skip" else "-", label=label)
               for step, label in step_labels.items()]
    wide = ax.figure.get_figwidth() * ax.get_position().width > 8  # room for three legend columns
    ax.legend(handles=handles, loc="lower center", ncol=3 if wide else 2, frameon=False, bbox_to_anchor=(0.5, -0.2))
    ax.set_xlim(-2.2, len(stages))
    ax.set_ylim(-len(sizes) + 0.3, 0.9)
    ax.set_axis_off()
    ax.set_title(title or "stages: channels above each box, image size per row"
                 + ("; hatched: after concatenating the copy" if any("concatenate" in name for name, _ in stages) else ""))
    return ax


def multichannel_convolution(conv: nn.Conv2d, *, ax: Axes | None = None) -> Axes:
    """What ``conv`` computes, drawn from its weight tensor (C_out, C_in, k, k): every output channel has one kernel
    per input channel; each kernel filters its own input plane, and the responses are summed (plus a bias)."""
    ax = axes_or_new(ax, (11, 1.6 + 1.3 * conv.out_channels))
    out_channels, in_channels, k, _ = conv.weight.shape
    plane = 1.0

    def square(x: float, y: float, size: float, colour: str, text: str = "") -> None:
        ax.add_patch(Rectangle((x, y), size, size, facecolor=colour, edgecolor="black", linewidth=0.8, alpha=0.55))
        if text:
            ax.text(x + size / 2, y - 0.12, text, ha="center", va="top", fontsize=SMALL_TEXT)

    colours = CHANNEL_COLOURS if in_channels == 3 else ["gray"] * in_channels
    names = ("R", "G", "B") if in_channels == 3 else [f"in {c}" for c in range(in_channels)]
    top = 1.3 * (out_channels - 1)
    for c in range(in_channels):  # the input planes, stacked at the left
        square(0.25 * c, top - 0.25 * c, plane, colours[c])
    ax.text(0.5, top + plane + 0.35, f"input: {in_channels} planes", ha="center", fontsize=SMALL_TEXT)
    kernel = 0.45 * plane * k / 3
    right = 4.6 + 1.0 * in_channels  # where the responses end
    for o in range(out_channels):
        y = 1.3 * (out_channels - 1 - o)
        last = o == out_channels - 1
        _arrow(ax, (1.7, y + 0.5), (2.1, y + 0.5))
        for c in range(in_channels):  # one k x k kernel per input plane
            square(2.2 + 0.7 * c, y + 0.27, kernel, colours[c], names[c] if last else "")
        ax.text(2.2 + 0.35 * in_channels, y + 1.0, f"output {o}: {in_channels} kernels of {k}x{k}", ha="center",
                fontsize=SMALL_TEXT)
        _arrow(ax, (2.25 + 0.7 * in_channels, y + 0.5), (4.5, y + 0.5))
        for c in range(in_channels):  # each kernel's response to its own plane, summed
            square(4.6 + 1.0 * c, y + 0.15, 0.7 * plane, colours[c])
            ax.text(4.6 + 1.0 * c + 0.85, y + 0.5, "+" if c < in_channels - 1 else "+ bias", va="center",
                    fontsize=SMALL_TEXT)
        if o == 0:
            ax.text(4.5 + 0.5 * in_channels, y + 1.0, "responses, summed", ha="center", fontsize=SMALL_TEXT)
        _arrow(ax, (right + 0.45, y + 0.5), (right + 0.85, y + 0.5))
        square(right + 0.95, y + 0.15, 0.7 * plane, "0.6", f"feature map {o}" if last else "")
        if not last:
            ax.text(right + 1.3, y - 0.12, f"feature map {o}", ha="center", va="top", fontsize=SMALL_TEXT)
    ax.set_xlim(-0.3, right + 2.0)
    ax.set_ylim(-0.7, top + plane + 0.8)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"nn.Conv2d({in_channels}, {out_channels}, {k}): weight {tuple(conv.weight.shape)}, "
                 f"{conv.weight.numel() + (conv.bias.numel() if conv.bias is not None else 0)} parameters")
    return ax


def _branch_layers(branch: nn.Module, in_channels: int) -> list[tuple[str, str]]:
    """(text, kind) of the convolutions and pools of one Inception branch, in order, each with its channels."""
    layers, channels = [], in_channels
    for layer in branch.modules():
        if isinstance(layer, nn.Conv2d):
            k, channels = layer.kernel_size[0], layer.out_channels
            layers.append((f"{k}x{k} conv\n{layer.in_channels}→{channels}", "1x1" if k == 1 else "conv"))
        elif isinstance(layer, nn.MaxPool2d):   # pooling keeps the channels
            layers.append((f"{layer.kernel_size}x{layer.kernel_size} max-pool\n{channels}→{channels}", "pool"))
    return layers


INCEPTION_ROWS = 3  # layers in the deepest branch of the modules the course draws (1x1, 3x3, 3x3)


def inception_module(module: nn.Module, *, in_channels: int, title: str = "", ax: Axes | None = None) -> Axes:
    """An Inception module as its four branches side by side, each layer with its channels, the concatenation that
    joins them, and each branch's conv weights under it (drawn from the module's own layers)."""
    ax = axes_or_new(ax, (7, 4.5))
    branches = [module.branch1, module.branch3, module.branch5, module.branch_pool]
    columns = [_branch_layers(branch, in_channels) for branch in branches]
    depth = max(len(layers) for layers in columns)
    rows = max(depth, INCEPTION_ROWS)   # one scale for every module drawn beside another
    _box(ax, 3.3, 0, f"input: {in_channels} channels", "white", width=4.0)
    bottom = -1.0 * (depth + 1)
    for column, (branch, layers) in enumerate(zip(branches, columns)):
        x = 2.2 * column
        previous = (3.3, -0.3)
        for row, (text, kind) in enumerate(layers, start=1):
            y = -1.0 * row
            _arrow(ax, previous, (x, y + 0.36))
            _box(ax, x, y, text, LAYER_COLOURS[kind], width=2.0, height=0.72, fontsize=SMALL_TEXT)   # what; channels
            previous = (x, y - 0.36)
        _arrow(ax, previous, (x, bottom + 0.3))
        weights = sum(conv.weight.numel() for conv in branch.modules() if isinstance(conv, nn.Conv2d))
        ax.text(x, bottom - 0.45, f"{weights:,}\nweights", fontsize=SMALL_TEXT, color="dimgray", ha="center", va="top")
    _box(ax, 3.3, bottom, f"concatenate: {module.out_channels} channels", "white", width=8.6)
    total = sum(conv.weight.numel() for conv in module.modules() if isinstance(conv, nn.Conv2d))
    ax.set_title(f"{title}\n{total:,} conv weights" if title else f"{total:,} conv weights")
    ax.set_xlim(-1.2, 7.8)
    ax.set_ylim(-1.0 * (rows + 1) - 1.3, 0.5)
    ax.set_axis_off()
    return ax


def padding_and_stride(layers: Sequence[nn.Conv2d], *, size: int = 5, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """Where each layer's kernel lands on a ``size`` x ``size`` input: the input cells (gray), the zero padding
    (dashed), the first two kernel positions along a row (blue, then orange), and the output size the layer
    returns when run on such an input."""
    if axes is None:
        axes = plt.subplots(1, len(layers), figsize=(capped_width(3.3 * len(layers)), 3.8), layout="constrained")[1]
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    widest = max(size + 2 * layer.padding[0] for layer in layers)  # one scale for every panel
    for ax, layer in zip(axes, layers):
        (k, _), (stride, _), (pad, _) = layer.kernel_size, layer.stride, layer.padding
        with torch.no_grad():
            out = layer(torch.zeros(1, layer.in_channels, size, size)).shape[-1]
        full = size + 2 * pad
        for row in range(full):
            for col in range(full):
                inside = pad <= row < pad + size and pad <= col < pad + size
                ax.add_patch(Rectangle((col, full - 1 - row), 1, 1, facecolor="0.85" if inside else "white",
                                       edgecolor="0.4", linewidth=0.6, linestyle="-" if inside else "--"))
        for step, colour in ((0, PALETTE["blue"]), (1, PALETTE["orange"])):  # the first two positions along the top row
            left = step * stride
            if left + k <= full:
                ax.add_patch(Rectangle((left + 0.06 * step, full - k - 0.06 * step), k, k, fill=False,
                                       edgecolor=colour, linewidth=2.2))
        margin = (widest - full) / 2
        ax.set_xlim(-margin - 0.3, full + margin + 0.3)
        ax.set_ylim(-margin - 0.3, full + margin + 0.3)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(f"{k}x{k}, padding {pad}, stride {stride}\n{size}x{size} input → {out}x{out} output")
    return axes


def receptive_field_growth(layers: nn.Module, *, title: str = "", ax: Axes | None = None) -> Axes:
    """In one dimension, which cells of every layer one output pixel of ``layers`` depends on (a chain of convs and
    pools, ``analysis.receptive_fields``): cells are as wide as the layer's jump, the covered ones coloured."""
    steps = receptive_fields(layers)
    fields = [1] + [step.receptive_field for step in steps]  # input pixels across, level by level
    jumps = [1] + [step.jump for step in steps]
    names = ["input"] + [f"{step.layer} {index}: field {step.receptive_field}" for index, step in
                         enumerate(steps, start=1)]
    top = fields[-1]
    width = top + 4  # input pixels drawn: the field and two on each side
    ax = axes_or_new(ax, (0.45 * width + 2.5, 0.8 * len(fields) + 0.8))
    for level, (field, jump) in enumerate(zip(fields, jumps)):
        covered = (top - field) // jump + 1  # cells of this level the top pixel depends on
        first = 2 + (field - jump) / 2  # the first covered cell, drawn centred on the input pixels it sees
        x = first - jump * math.ceil(first / jump)
        while x < width:
            inside = first - 1e-9 <= x <= first + (covered - 1) * jump + 1e-9
            ax.add_patch(Rectangle((x, level * 1.2), jump, 0.8, facecolor=PALETTE["blue"] if inside else "white",
                                   alpha=0.35 + 0.5 * level / len(fields) if inside else 1, edgecolor="0.4",
                                   linewidth=0.7))
            x += jump
        ax.text(-0.5, level * 1.2 + 0.4, names[level], ha="right", va="center", fontsize=10)
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-0.3, 1.2 * len(fields))
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title or f"one output pixel depends on {top} input pixels across")
    return ax


# what training does to a layer: left alone, adjusted slowly, trained from its start
TRAINING_FILLS = {"frozen": "#dddddd", "slow": "#F0E442", "trained": "#E69F00"}


def transfer_modes(source: nn.Module, *, num_classes: int = 2, ax: Axes | None = None) -> Axes:
    """The three ways to train for a new task (``transfer.MODES``), one column each: every conv of the body and the
    new head, read off the models that ``transfer_model`` builds (pretrained or random weights, frozen or trained,
    and at what learning rate)."""
    ax = axes_or_new(ax, (12, 5))
    source_convs = [m for m in source.features.modules() if isinstance(m, nn.Conv2d)]
    for column, mode in enumerate(MODES):
        model = transfer_model(source, mode, num_classes)
        factor = (lr_multipliers_for(mode) or {}).get("body", 1.0)
        convs = [m for m in model.body.modules() if isinstance(m, nn.Conv2d)]
        x = 4.0 * column
        for row, (conv, original) in enumerate(zip(convs, source_convs)):
            start = "pretrained" if torch.equal(conv.weight, original.weight) else "random"
            state = "frozen" if not conv.weight.requires_grad else "slow" if factor != 1 else "trained"
            how = {"frozen": "frozen", "slow": f"{factor:g}x lr", "trained": "trained"}[state]
            _box(ax, x, -0.7 * row, f"conv {conv.in_channels}→{conv.out_channels}: {start}, {how}",
                 TRAINING_FILLS[state], width=3.6)
        _box(ax, x, -0.7 * len(convs) - 0.2, f"new head → {num_classes} classes: trained", TRAINING_FILLS["trained"],
             width=3.6)
        ax.text(x, 0.6, mode.replace("_", " "), ha="center", va="bottom", fontsize=12, weight="bold")
    slow = lr_multipliers_for("fine_tuning")["body"]
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=fill, edgecolor="black", label=label) for label, fill in
               (("frozen: not trained", TRAINING_FILLS["frozen"]), (f"trained at {slow:g}x the lr", TRAINING_FILLS["slow"]),
                ("trained at the full lr", TRAINING_FILLS["trained"]))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    ax.set_xlim(-2.0, 4.0 * (len(MODES) - 1) + 2.0)
    ax.set_ylim(-0.7 * len(source_convs) - 0.6, 1.1)
    ax.set_axis_off()
    return ax


def _block_shapes(net: nn.Module, x: Tensor) -> list[tuple[int, ...]]:
    """The output shape of each of ``net.blocks`` on ``x`` (the net in eval mode for the pass, then as it was)."""
    shapes: list[tuple[int, ...]] = []
    handles = [block.register_forward_hook(lambda block, inputs, output: shapes.append(tuple(output.shape)))
               for block in net.blocks]
    was_training = net.training
    try:
        with torch.no_grad():
            net.eval()(x)
    finally:
        net.train(was_training)
        for handle in handles:
            handle.remove()
    return shapes


SHAPE_CHANGE_HATCH = "///"  # a block that changes the shape: a conv block like the others, hatched


def resnet_overview(net: nn.Module, *, in_shape: Sequence[int] = (1, 3, 32, 32), ax: Axes | None = None) -> Axes:
    """A whole CIFAR ResNet (``models.CifarResNet``) left to right: the stem, every block numbered from 0 (the
    channels and image size of each stage read off a forward pass on zeros of ``in_shape``), the skip path of each
    residual block into its addition (the identity, or option A where the shape changes: those blocks are hatched),
    pooling and the classifier."""
    shapes = _block_shapes(net, torch.zeros(*in_shape))
    residual = issubclass(net.block, BasicBlock)   # PreActBlock derives from it: both have a skip path
    ax = axes_or_new(ax, (12, 4))
    text = dict(fontsize=12)
    step, wide = 1.45, 1.45  # block spacing; the width of the stem's and the head's boxes
    _box(ax, 0, 0, f"input\n{in_shape[1]}x{in_shape[2]}x{in_shape[3]}", "white", width=1.8, height=1.0, **text)
    stem = next(m for m in net.stem.modules() if isinstance(m, nn.Conv2d))
    _box(ax, 2.1, 0, f"3x3 conv\n{stem.out_channels}", LAYER_COLOURS["conv"], width=wide, height=1.0,
         fontsize=SMALL_TEXT)
    _arrow(ax, (0.9, 0), (2.1 - wide / 2, 0))
    previous_channels, x = stem.out_channels, 2.1
    for index, (block, shape) in enumerate(zip(net.blocks, shapes)):
        start, x = x + (wide if index == 0 else 0.85) / 2 + 0.05, x + step + (0.2 if index == 0 else 0)
        changes_shape = block.stride > 1 or shape[1] != previous_channels
        _arrow(ax, (start, 0), (x - 0.45, 0))
        _box(ax, x, 0, f"block\n{index}", LAYER_COLOURS["conv"], width=0.85, height=1.0,
             hatch=SHAPE_CHANGE_HATCH if changes_shape else None, **text)
        if residual:  # the skip path: over the block, from its input into the addition after it
            plus = x + 0.62
            ax.add_patch(Circle((plus, 0), 0.13, facecolor="white", edgecolor="black", linewidth=1.0))
            ax.text(plus, 0, "+", ha="center", va="center", fontsize=11)
            style = "--" if changes_shape else "-"
            ax.plot([x - 0.6, x - 0.6, plus], [0, 0.75, 0.75], color="black", linewidth=1.2, linestyle=style)
            _arrow(ax, (plus, 0.75), (plus, 0.13), linestyle=style)
            x = plus - 0.3  # the next arrow starts after the addition
        previous_channels = shape[1]
    head_x = x + step + 0.1
    _arrow(ax, (x + 0.5, 0), (head_x - wide / 2, 0))
    _box(ax, head_x, 0, "global\navg pool", "white", width=wide, height=1.0, **text)
    _arrow(ax, (head_x + wide / 2, 0), (head_x + wide / 2 + 0.25, 0))
    _box(ax, head_x + wide + 0.25, 0, f"linear\n{net.head[-1].out_features}", "white", width=wide,
         height=1.0, **text)
    blocks_x = [patch.get_x() for patch in ax.patches if isinstance(patch, Rectangle)][2:2 + len(shapes)]
    per_stage = len(shapes) // 3
    for stage_start in range(0, len(shapes), per_stage):  # a bracket under each stage: channels, image size
        first, last = blocks_x[stage_start], blocks_x[stage_start + per_stage - 1] + 0.85
        channels, size = shapes[stage_start][1], shapes[stage_start][2:]
        ax.plot([first, first, last, last], [-0.6, -0.7, -0.7, -0.6], color="black", linewidth=1)
        ax.text((first + last) / 2, -0.8, f"{channels} channels, {size[0]}x{size[1]}", ha="center", va="top", **text)
    convs = sum(isinstance(m, nn.Conv2d) for m in net.modules())
    ax.set_title(f"CIFAR {'ResNet' if residual else 'plain net'}-{net.depth}: {convs} conv layers and 1 linear layer "
                 f"(each block: two 3x3 convs with batch norm)")
    skip = ([plt.Line2D([], [], color="black", label="skip: identity"),
             plt.Line2D([], [], color="black", linestyle="--", label="skip: option A (subsample, zero-pad)")]
            if residual else [])
    handles = [*skip, plt.Rectangle((0, 0), 1, 1, facecolor=LAYER_COLOURS["conv"], edgecolor="black",
                                    hatch=SHAPE_CHANGE_HATCH,
                                    label="block that changes the shape (stride 2, twice the channels)")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), frameon=False)
    ax.set_xlim(-1.0, head_x + 1.5 * wide + 0.3)
    ax.set_ylim(-1.4, 1.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def unrolled_paths(num_blocks: int = 3, *, counted_blocks: int = 27, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """Veit et al. 2016's unravelled view: ``num_blocks`` residual blocks in a row are 2^n paths from input to
    output, each through a subset of the blocks (left); and how many paths of each length ``counted_blocks``
    blocks hold, before and after one block is deleted (right: the lengths follow a binomial distribution)."""
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained", width_ratios=(1, 1.2))[1]
    paths_ax, counts_ax = axes
    subsets = sorted(range(2 ** num_blocks), key=lambda s: (bin(s).count("1"), [-(s >> i & 1) for i in range(num_blocks)]))
    for row, subset in enumerate(subsets):
        y = -0.7 * row
        _arrow(paths_ax, (0.35, y), (num_blocks + 0.65, y))
        for block in range(num_blocks):
            if subset >> block & 1:
                _box(paths_ax, block + 1, y, f"f{block + 1}", LAYER_COLOURS["conv"], width=0.6, height=0.45,
                     fontsize=SMALL_TEXT + 1)
        paths_ax.text(num_blocks + 1.0, y, f"length {bin(subset).count('1')}", va="center", fontsize=SMALL_TEXT)
    paths_ax.text(0.35, 0.45, "input", ha="center", fontsize=SMALL_TEXT, style="italic")
    paths_ax.text(num_blocks + 0.65, 0.45, "output", ha="center", fontsize=SMALL_TEXT, style="italic")
    paths_ax.set_xlim(-0.6, num_blocks + 2.2)
    paths_ax.set_ylim(-0.7 * len(subsets) + 0.2, 0.9)
    paths_ax.set_axis_off()
    paths_ax.set_title(f"{num_blocks} residual blocks, unrolled: $2^{{{num_blocks}}}$ = {2 ** num_blocks} paths")
    lengths = range(counted_blocks + 1)
    for blocks, label, colour, offset in ((counted_blocks, f"all {counted_blocks} blocks", PALETTE["blue"], -0.2),
                                          (counted_blocks - 1, "one block deleted", PALETTE["sky blue"], 0.2)):
        counts_ax.bar([k + offset for k in lengths], [math.comb(blocks, k) / 1e6 for k in lengths], width=0.4,
                      color=colour, label=f"{label}: {2 ** blocks / 1e6:,.0f} million paths")
    counts_ax.set(xlabel="path length (blocks passed through)", ylabel="paths (millions)",
                  title=f"ResNet-{2 * counted_blocks + 2}'s {counted_blocks} blocks: paths by length\n"
                        "(a count of paths, not of the gradient through them)")
    spread = 3 * math.sqrt(counted_blocks) / 2  # three standard deviations of the binomial either side of its mean
    counts_ax.set_xlim(max(-0.5, counted_blocks / 2 - spread - 1), min(counted_blocks + 0.5, counted_blocks / 2 + spread + 1))
    counts_ax.set_ylim(0, 1.35 * math.comb(counted_blocks, counted_blocks // 2) / 1e6)  # room for the legend
    counts_ax.legend(loc="upper left")
    return [paths_ax, counts_ax]


def overlap_tiles(image: Tensor, plan: "TilePlan", *, ax: Axes | None = None) -> Axes:
    """Ronneberger et al.'s overlap-tile strategy (their Fig. 2) on a real ``image`` (H, W), laid out by ``plan``
    (``tiling.plan_tiles``): the image mirror-padded, the part each tile keeps, and the first tile's whole input."""
    height, width = image.shape[-2:]
    top, bottom, left, right = plan.padding(height, width)
    padded = mirror_pad(image.reshape(1, 1, height, width).float(), top, bottom, left, right)[0, 0]
    ax = axes_or_new(ax, (6, 6))
    ax.imshow(padded.numpy(), cmap="gray")
    full_height, full_width = padded.shape
    for x0, y0, w, h in ((0, 0, full_width, top), (0, top + height, full_width, bottom),
                         (0, top, left, height), (left + width, top, right, height)):  # fade the mirrored margins
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), w, h, facecolor="white", alpha=0.55, edgecolor="none"))
    kept = PALETTE["orange"]
    for row in plan.rows:
        for col in plan.cols:
            ax.add_patch(Rectangle((col + plan.margin - 0.5, row + plan.margin - 0.5), plan.output, plan.output,
                                   fill=False, edgecolor=kept, linewidth=1.2))
    first_row, first_col = plan.rows[0], plan.cols[0]
    ax.add_patch(Rectangle((first_col + plan.margin - 0.5, first_row + plan.margin - 0.5), plan.output, plan.output,
                           facecolor=kept, alpha=0.35, edgecolor=kept, linewidth=2))
    ax.add_patch(Rectangle((first_col - 0.5, first_row - 0.5), plan.tile, plan.tile, fill=False, clip_on=False,
                           edgecolor=PALETTE["sky blue"], linewidth=2.5, linestyle="--"))
    ax.annotate("", xy=(first_col + plan.margin - 0.5, first_row + plan.tile * 0.75),
                xytext=(first_col - 0.5, first_row + plan.tile * 0.75),
                arrowprops=dict(arrowstyle="<->", color="black", linewidth=1.5))
    ax.text(first_col + plan.margin / 2, first_row + plan.tile * 0.75 - 8, f"margin\n{plan.margin} px", ha="center",
            va="bottom", fontsize=SMALL_TEXT, bbox=dict(facecolor="white", alpha=0.8, edgecolor="none", pad=1))
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor="#bbbbbb",
                             label=f"faded: the {height} x {width} image mirrored beyond its border"),
               plt.Line2D([], [], color=PALETTE["sky blue"], linewidth=2.5, linestyle="--",
                          label=f"one tile's input ({plan.tile} px)"),
               plt.Rectangle((0, 0), 1, 1, facecolor=kept, alpha=0.6, label=f"the part it keeps ({plan.output} px)"),
               plt.Rectangle((0, 0), 1, 1, fill=False, edgecolor=kept, linewidth=1.2, label="the other tiles' kept parts")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=1, frameon=False)
    ax.set_axis_off()
    ax.set_title(f"{len(plan.rows) * len(plan.cols)} tiles of {plan.tile} px, keeping {plan.output} px each")
    return ax


def unfold_product(conv: nn.Conv2d, *, in_size: int = 4, ax: Axes | None = None) -> Axes:
    """``conv`` as one matrix product (what ``F.unfold`` sets up), with shapes read off the real tensors: every k x k
    window of every input channel becomes a column; every filter a row; the product holds one output per (filter,
    position). The first window, its column and the outputs it gives are coloured."""
    k = conv.kernel_size[0]
    x = torch.zeros(1, conv.in_channels, in_size, in_size)
    columns = torch.nn.functional.unfold(x, conv.kernel_size, padding=conv.padding, stride=conv.stride)[0]
    with torch.no_grad():
        out_size = conv(x).shape[-1]
    rows, positions = columns.shape  # (C_in*k*k, windows)
    ax = axes_or_new(ax, (12, 5))
    cell, window, empty = 0.22, PALETTE["yellow"], "#eeeeee"
    filter_colours = [series_colour(index) for index in range(conv.out_channels)]

    def grid(x0: float, y0: float, n_rows: int, n_cols: int, fill: Callable[[int, int], str]) -> None:
        for r in range(n_rows):
            for c in range(n_cols):
                ax.add_patch(Rectangle((x0 + c * cell, y0 - (r + 1) * cell), cell, cell, facecolor=fill(r, c),
                                       edgecolor="gray", linewidth=0.5))

    def label(x0: float, width: float, text: str) -> None:
        ax.text(x0 + width / 2, 0.15, text, ha="center", va="bottom", fontsize=SMALL_TEXT)

    plane_gap = in_size * cell + 0.35
    for channel in range(conv.in_channels):  # the input planes, one under the other, the first window marked
        grid(0, -plane_gap * channel, in_size, in_size, lambda r, c: window if r < k and c < k else "white")
        ax.text(in_size * cell + 0.1, -plane_gap * channel - in_size * cell / 2, f"channel {channel + 1}",
                va="center", fontsize=SMALL_TEXT)
    label(0, in_size * cell, f"input\n{conv.in_channels} x {in_size} x {in_size}")
    left = in_size * cell + 2.6
    grid(left, 0, conv.out_channels, rows, lambda r, c: filter_colours[r])
    for channel in range(1, conv.in_channels):  # where one input channel's kernel ends and the next one's starts
        ax.plot([left + channel * k * k * cell] * 2, [0.05, -conv.out_channels * cell - 0.05], color="black")
    for channel in range(conv.in_channels):
        ax.text(left + (channel + 0.5) * k * k * cell, -conv.out_channels * cell - 0.1, f"channel {channel + 1}",
                ha="center", va="top", fontsize=SMALL_TEXT)
    for row in range(conv.out_channels):
        ax.text(left - 0.1, -(row + 0.5) * cell, f"filter {row + 1}", ha="right", va="center", fontsize=SMALL_TEXT)
    label(left, rows * cell, f"filters as rows\n{conv.out_channels} x {rows}")
    ax.text(left + rows * cell + 0.3, -conv.out_channels * cell / 2, "×", ha="center", va="center", fontsize=18)
    middle = left + rows * cell + 0.6
    grid(middle, 0, rows, positions, lambda r, c: window if c == 0 else empty)
    for channel in range(conv.in_channels):
        if channel:
            ax.plot([middle - 0.05, middle + positions * cell + 0.05], [-channel * k * k * cell] * 2, color="black")
        ax.text(middle - 0.1, -(channel + 0.5) * k * k * cell, f"channel {channel + 1}", ha="right", va="center",
                fontsize=SMALL_TEXT, rotation=90)
    label(middle, positions * cell, f"windows as columns\n{rows} x {positions}")
    ax.text(middle + positions * cell + 0.3, -conv.out_channels * cell / 2, "=", ha="center", va="center",
            fontsize=18)
    right = middle + positions * cell + 0.6
    grid(right, 0, conv.out_channels, positions, lambda r, c: filter_colours[r] if c == 0 else empty)
    ax.text(right + positions * cell + 0.15, -conv.out_channels * cell / 2,
            f"= {conv.out_channels} maps\nof {out_size} x {out_size}", va="center", fontsize=SMALL_TEXT)
    label(right, positions * cell, f"output\n{conv.out_channels} x {positions}")
    ax.set_xlim(-0.2, right + positions * cell + 1.6)
    ax.set_ylim(-max(rows * cell, plane_gap * conv.in_channels) - 0.2, 0.9)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax
