"""Kernel explorer: a 3x3 kernel applied to the channels of a colour image, and the feature map they sum to.

``explore_kernel`` is the plain, tested function; ``draw_kernel_view`` plots its result; ``kernel_explorer``
wraps both in ipywidgets (a preset menu, nine number boxes, a channel choice, a text line and an image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from torch import Tensor

from ..by_hand import KERNELS, channel_responses, preset_kernel
from ..errors import InputShapeError, InputValueError
from ..language import say
from ..plot.style import SMALL_TEXT, capped_width
from ..validate import describe
from .explorer_box import LABEL_STYLE, ExplorerBox, figure_png, saved_figure

CHANNEL_NAMES = ("R", "G", "B")
CHANNEL_CHOICES = ("R+G+B", "R", "G", "B")  # which input channels the kernel is applied to


@dataclass(frozen=True)
class KernelView:
    """One kernel on one image: each channel's response and the feature map they sum to."""

    kernel: Tensor  # (3, 3)
    channels: str  # one of CHANNEL_CHOICES
    responses: Tensor  # (C, H-2, W-2): channel c filtered by the kernel (zero for channels not used)
    feature_map: Tensor  # (H-2, W-2): the sum of the responses, the output of a conv with one output channel

    @property
    def summary(self) -> str:
        """One line that names the kernel and the feature map's range."""
        rows = "; ".join(" ".join(f"{value:g}" for value in row) for row in self.kernel.tolist())
        height, width = self.feature_map.shape
        return (f"kernel [{rows}] on {self.channels}: feature map {height}x{width}, "
                f"min {self.feature_map.min().item():.3f}, max {self.feature_map.max().item():.3f}")


def as_kernel(kernel: Tensor | Sequence[Sequence[float]] | str) -> Tensor:
    """A 3x3 float kernel from a preset name, nested lists or a tensor."""
    if isinstance(kernel, str):
        return preset_kernel(kernel)
    k = torch.as_tensor(kernel, dtype=torch.float32)
    if k.shape != (3, 3):
        raise InputShapeError(f"The explorer uses 3x3 kernels; got {describe(k)}.")
    return k


def explore_kernel(image: Tensor, kernel: Tensor | Sequence[Sequence[float]] | str, *,
                   channels: str = "R+G+B") -> KernelView:
    """Apply one 3x3 kernel to the chosen channels of ``image`` (3, H, W) and sum them (no padding: H-2 x W-2).

    Without padding there are no artificial edges at the border, so every value comes from the image itself.
    """
    if not isinstance(image, Tensor) or image.ndim != 3 or image.shape[0] != 3:
        raise InputShapeError(f"explore_kernel expects one RGB image (3, H, W); got {describe(image)}.")
    if channels not in CHANNEL_CHOICES:
        raise InputValueError(f"explore_kernel: channels must be one of {CHANNEL_CHOICES}; got {channels!r}.")
    k = as_kernel(kernel)
    x = image.float() / 255 if image.dtype == torch.uint8 else image.float()  # 0..1
    used = torch.tensor([channels in ("R+G+B", name) for name in CHANNEL_NAMES], dtype=torch.float32)
    kernels = k[None] * used[:, None, None]  # (3, 3, 3): the kernel on used channels, zeros elsewhere
    responses = channel_responses(x, kernels)  # (3, H-2, W-2)
    return KernelView(kernel=k, channels=channels, responses=responses, feature_map=responses.sum(0))


def draw_kernel_view(view: KernelView, image: Tensor | None = None, *, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """[image,] R, G and B responses on one colour scale, and their sum on its own, each scale centred on zero.

    The sum can be up to three times a channel's response: on one scale with it, the channels would look faint.
    """
    panels = [(f"{name} response", view.responses[c]) for c, name in enumerate(CHANNEL_NAMES)]
    panels.append(("sum = feature map", view.feature_map))
    count = len(panels) + (image is not None)
    if axes is None:
        _, grid = plt.subplots(1, count, figsize=(capped_width(2.1 * count), 2.4), layout="constrained")
        axes = list(grid)
    axes = list(axes)
    if image is not None:
        shown = image.permute(1, 2, 0).float() / (255 if image.dtype == torch.uint8 else 1)
        axes[0].imshow(shown.clamp(0, 1).numpy())
        axes[0].set_title("image")
        axes[0].set_axis_off()
    channel_axes, sum_axis = axes[count - len(panels):-1], axes[-1]
    channel_limit = max(view.responses.abs().max().item(), 1e-6)
    for ax, (title, values) in zip(channel_axes, panels):
        shown = ax.imshow(values.numpy(), cmap="RdBu_r", vmin=-channel_limit, vmax=channel_limit)  # red +, blue -
        ax.set_title(title)
        ax.set_axis_off()
    sum_axis.figure.colorbar(shown, ax=channel_axes, shrink=0.8, pad=0.02, label="R, G, B responses")
    sum_limit = max(view.feature_map.abs().max().item(), 1e-6)
    shown = sum_axis.imshow(view.feature_map.numpy(), cmap="RdBu_r", vmin=-sum_limit, vmax=sum_limit)
    sum_axis.set_title(panels[-1][0])
    sum_axis.set_axis_off()
    sum_axis.figure.colorbar(shown, ax=sum_axis, shrink=0.8, pad=0.02, label="sum")
    return axes


def view_png(view: KernelView, image: Tensor | None = None, dpi: int = 80) -> bytes:
    """The drawing of ``draw_kernel_view`` as PNG bytes (for an ipywidgets Image)."""
    return figure_png(draw_kernel_view(view, image)[0].figure, dpi=dpi)


class KernelExplorer:
    """The widgets: pick a preset or type nine numbers, choose the channels, read the text line and the image."""

    def __init__(self, image: Tensor, preset: str = "vertical edges (Sobel x)") -> None:
        self.image = image
        self.preset = widgets.Dropdown(options=list(KERNELS), value=preset, description=say("preset"),
                                       style=LABEL_STYLE)
        self.cells = [widgets.FloatText(value=0.0, step=0.5, layout=widgets.Layout(width="70px")) for _ in range(9)]
        self.channels = widgets.ToggleButtons(options=list(CHANNEL_CHOICES), value="R+G+B",
                                              description=say("channels"), style=LABEL_STYLE)
        self.summary = widgets.Label(value="")
        self.summary.add_class("cnncourse-kernel-summary")
        self.picture = widgets.Image(format="png")
        self.picture.add_class("cnncourse-kernel-picture")
        grid = widgets.GridBox(self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 75px)"))
        self.widget = ExplorerBox([self.preset, grid, self.channels, self.summary, self.picture])
        self.widget.saved_picture = self.saved_picture
        self._holding = False
        self._shown: KernelView | None = None  # the view on screen now (set by update)
        self.preset.observe(self._on_preset, names="value")
        for cell in self.cells:
            cell.observe(self._on_change, names="value")
        self.channels.observe(self._on_change, names="value")
        self.set_kernel(preset_kernel(preset))

    def kernel(self) -> Tensor:
        """The kernel typed in the nine boxes, (3, 3)."""
        return torch.tensor([cell.value for cell in self.cells], dtype=torch.float32).view(3, 3)

    def set_kernel(self, kernel: Tensor) -> None:
        """Fill the nine boxes at once and redraw once."""
        self._holding = True
        for cell, value in zip(self.cells, as_kernel(kernel).flatten().tolist()):
            cell.value = round(value, 4)
        self._holding = False
        self.update()

    def update(self) -> KernelView:
        """Recompute the view from the boxes and show its text line and picture."""
        view = explore_kernel(self.image, self.kernel(), channels=self.channels.value)
        self.picture.value = view_png(view, self.image)  # the picture first, so a new text line means a new picture
        self.summary.value = view.summary
        self._shown = view
        return view

    def saved_picture(self) -> tuple[str, bytes]:
        """The view on screen now, at the figures' resolution, under its text line: (MIME type, file bytes)."""
        view = self._shown
        figure = draw_kernel_view(view, self.image)[0].figure
        preset = self.preset.value if torch.equal(self.kernel(), preset_kernel(self.preset.value)) else "your kernel"
        figure.suptitle(f"{preset}: {view.summary}", fontsize=SMALL_TEXT)
        return saved_figure(figure)

    def _on_preset(self, change: dict) -> None:
        self.set_kernel(preset_kernel(change["new"]))

    def _on_change(self, _change: dict) -> None:
        if not self._holding:
            self.update()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def kernel_explorer(image: Tensor, preset: str = "vertical edges (Sobel x)") -> KernelExplorer:
    """The interactive explorer for one RGB image (3, H, W); show it with ``kernel_explorer(image).widget``."""
    return KernelExplorer(image, preset)
