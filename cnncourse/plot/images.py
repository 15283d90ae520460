"""Pictures of images and of what a network makes of them: grids, histograms, feature maps, filters,
segmentation overlays, before/after panels, restored images with their PSNR."""

from __future__ import annotations

import textwrap

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle
from torch import Tensor
from torchvision.utils import draw_segmentation_masks, make_grid

from ..ops import to_float
from ..data.transforms import denormalize
from ..errors import InputShapeError
from ..metrics.image_quality import psnr
from ..validate import describe
from .base import _grid_axes, axes_or_new
from .style import FALSE_MEMBRANE, LABEL_MEMBRANE, MISSED_MEMBRANE, PALETTE, capped_width


CHANNEL_COLOURS = (PALETTE["vermillion"], PALETTE["green"], PALETTE["blue"])   # R, G, B


def as_display_image(image: Tensor, mean: Sequence[float] | None = None, std: Sequence[float] | None = None) -> Tensor:
    """One image (C, H, W) as float (H, W, C) or (H, W) in 0..1 for imshow: uint8 scaled, normalized undone."""
    if not isinstance(image, Tensor) or image.ndim not in (2, 3):
        raise InputShapeError(f"An image must be (C, H, W) or (H, W); got {describe(image)}.")
    x = image.detach().cpu()
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    if mean is not None and std is not None:
        x = denormalize(x, tuple(mean), tuple(std))
    x = x.clamp(0, 1)
    if x.ndim == 3:
        x = x[0] if x.shape[0] == 1 else x.permute(1, 2, 0)
    return x


def show_image(image: Tensor, *, title: str = "", ax: Axes | None = None, mean=None, std=None, cmap: str = "gray") -> Axes:
    """One image, without axis ticks."""
    ax = axes_or_new(ax, (3, 3))
    x = as_display_image(image, mean, std).numpy()
    ax.imshow(x, cmap=cmap if x.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def image_grid(images: Tensor, *, labels: Tensor | None = None, classes: Sequence[str] | None = None,
               mean=None, std=None, columns: int = 8, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """A grid of images (N, C, H, W) with their class names as titles; normalized images are de-normalized."""
    if not isinstance(images, Tensor) or images.ndim != 4:
        raise InputShapeError(f"image_grid expects images (N, C, H, W); got {describe(images)}.")
    grid = _grid_axes(len(images), min(columns, len(images)), axes, size=1.5)
    for index, ax in enumerate(grid):
        if index >= len(images):
            ax.set_axis_off()
            continue
        title = ""
        if labels is not None:
            label = int(labels[index])
            title = classes[label] if classes is not None else str(label)
        show_image(images[index], title=title, ax=ax, mean=mean, std=std)
    return grid


def image_mosaic(images: Tensor, *, columns: int = 8, ax: Axes | None = None, title: str = "") -> Axes:
    """Many images as one picture (torchvision's make_grid), for large batches."""
    x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
    mosaic = make_grid(x.detach().cpu(), nrow=columns, normalize=True, value_range=(0, 1), pad_value=1)
    return show_image(mosaic, title=title, ax=ax)


def channel_histograms(images: Tensor, *, bins: int = 64, ax: Axes | None = None, title: str = "",
                       channel_names: Sequence[str] = ("R", "G", "B")) -> Axes:
    """Histogram of pixel values for each channel of a batch (N, C, H, W), overlaid, as a density.

    Each channel gets ``bins`` bins over its own range, so shifting and stretching a channel moves and scales its
    curve but never changes its shape (shared bins would alias the 256 levels of 8-bit data into a comb).
    """
    if not isinstance(images, Tensor) or images.ndim != 4:
        raise InputShapeError(f"channel_histograms expects images (N, C, H, W); got {describe(images)}.")
    ax = axes_or_new(ax)
    x = images.detach().cpu().double()
    for channel in range(x.shape[1]):
        values = x[:, channel].flatten()
        low, high = values.min().item(), values.max().item()
        high = high if high > low else low + 1  # a constant channel: one bin of width 1
        counts = torch.histc(values, bins=bins, min=low, max=high)
        width = (high - low) / bins
        colour = CHANNEL_COLOURS[channel] if x.shape[1] == 3 else "gray"
        name = channel_names[channel] if channel < len(channel_names) else f"channel {channel}"
        ax.stairs(counts / (counts.sum() * width), torch.linspace(low, high, bins + 1), color=colour, label=name,
                  alpha=0.8)
    ax.set_xlabel("pixel value")
    ax.set_ylabel("density (fraction of pixels per unit)")
    ax.set_title(title)
    ax.legend()
    return ax


def feature_maps(maps: Tensor, *, columns: int = 8, titles: Sequence[str] | None = None,
                 axes: Sequence[Axes] | None = None, cmap: str = "viridis") -> list[Axes]:
    """Each channel of one feature-map stack (C, H, W) as its own image, each scaled to its own range."""
    if not isinstance(maps, Tensor) or maps.ndim != 3:
        raise InputShapeError(f"feature_maps expects one stack (C, H, W); take maps[0] of a batch. Got {describe(maps)}.")
    grid = _grid_axes(len(maps), min(columns, len(maps)), axes, size=1.6)
    for index, ax in enumerate(grid):
        ax.set_axis_off()
        if index < len(maps):
            ax.imshow(maps[index].detach().cpu().float().numpy(), cmap=cmap)
            ax.set_title(titles[index] if titles else f"{index}")
    return grid


def filters(weight: Tensor, *, columns: int = 8, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """First-layer kernels (C_out, C_in, k, k): RGB patches when C_in = 3, else gray; each scaled to 0..1."""
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise InputShapeError(f"filters expects a conv weight (C_out, C_in, k, k); got {describe(weight)}.")
    w = weight.detach().cpu().float()
    low = w.amin(dim=(1, 2, 3), keepdim=True)
    high = w.amax(dim=(1, 2, 3), keepdim=True)
    scaled = (w - low) / (high - low).clamp_min(1e-8)
    grid = _grid_axes(len(w), min(columns, len(w)), axes, size=1.0)
    for index, ax in enumerate(grid):
        ax.set_axis_off()
        if index < len(w):
            image = scaled[index] if w.shape[1] == 3 else scaled[index, :1]
            show_image(image, ax=ax, title=str(index))
    return grid


def segmentation_overlay(image: Tensor, mask: Tensor, *, ax: Axes | None = None, title: str = "",
                         colour: str = LABEL_MEMBRANE, alpha: float = 0.4) -> Axes:
    """An image (1 or 3, H, W) with a boolean mask (H, W) drawn over it in ``colour`` (the palette's green)."""
    if mask.shape[-2:] != image.shape[-2:]:
        raise InputShapeError(f"Mask {tuple(mask.shape)} and image {tuple(image.shape)} must have the same height and width.")
    rgb = image.detach().cpu()
    rgb = rgb if rgb.dtype == torch.uint8 else (rgb.float().clamp(0, 1) * 255).to(torch.uint8)
    rgb = rgb.expand(3, -1, -1) if rgb.shape[0] == 1 else rgb
    drawn = draw_segmentation_masks(rgb, mask.detach().cpu().bool(), alpha=alpha, colors=colour)
    return show_image(drawn, title=title, ax=ax)


def before_after(panels: Mapping[str, Tensor], *, axes: Sequence[Axes] | None = None, cmap: str = "gray") -> list[Axes]:
    """Images side by side with their titles (e.g. clean / noisy / denoised with PSNR in the title)."""
    grid = _grid_axes(len(panels), len(panels), axes, size=2.4)
    for ax, (title, image) in zip(grid, panels.items()):
        show_image(image, title=title, ax=ax, cmap=cmap)
    return grid


def restored_examples(clean: Tensor, estimates: Mapping[str, Tensor], *, count: int = 6, region: Tensor | None = None,
                      axes: Sequence[Axes] | None = None) -> list[Axes]:
    """One row per method (the clean images first), one column per example image, PSNR under each.

    ``region`` (N, 1, H, W), True where an image was hidden (``mask_square``): outlined in every row, and the PSNR
    is measured inside it only.
    """
    clean = (to_float(clean) if clean.dtype == torch.uint8 else clean)[:count]
    rows = {"clean": clean, **{name: x[:count] for name, x in estimates.items()}}
    region = None if region is None else region[:count]   # psnr checks its shape
    if axes is None:
        _, grid = plt.subplots(len(rows), count, figsize=(capped_width(1.3 * count + 1.6), 1.45 * len(rows)),
                               squeeze=False, layout="constrained")
        axes = list(grid.flat)
    for r, (name, images) in enumerate(rows.items()):
        scores = None if name == "clean" else psnr(clean, images, region=region)
        for c in range(count):
            ax = axes[r * count + c]
            ax.imshow(images[c, 0].clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1)
            if region is not None:
                _outline(ax, region[c].reshape(images.shape[-2:]))
            ax.set_xticks([]), ax.set_yticks([])
            if scores is not None:
                ax.set_xlabel(f"{float(scores[c]):.1f} dB", fontsize=10)
            if c == 0:
                ax.set_ylabel(textwrap.fill(name, 16), fontsize=10)   # "median filter\n(size 3x3)": fits a row
    return list(axes)


def _outline(ax: Axes, region: Tensor) -> None:
    """A rectangle around the True pixels of one mask (H, W)."""
    rows, columns = region.nonzero(as_tuple=True)
    if len(rows):
        top, left = rows.min().item() - 0.5, columns.min().item() - 0.5
        ax.add_patch(Rectangle((left, top), columns.max().item() + 0.5 - left, rows.max().item() + 0.5 - top,
                               fill=False, edgecolor=PALETTE["yellow"], linewidth=1.2))


def threshold_panels(panel: Tensor, threshold: float, *, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """A thresholded slice's picture (3, H, 3W) (``threshold_view(...).panel``) as three titled panels: predicted
    membranes, P(interior) with its colour bar, the errors at ``threshold``."""
    width = panel.shape[-1] // 3
    overlay, heat, errors = (panel[..., k * width:(k + 1) * width] for k in range(3))  # (3, H, W) each
    if axes is None:
        axes = plt.subplots(1, 3, figsize=(12, 4.4), layout="constrained")[1]
    show_image(overlay, ax=axes[0], title="predicted membranes (yellow)")
    shown = axes[1].imshow(heat[0].float().numpy() / 255, cmap="gray", vmin=0, vmax=1)
    axes[1].set_axis_off()
    axes[1].set_title("P(cell interior)")
    plt.colorbar(shown, ax=axes[1], shrink=0.8, label="P(interior)")
    show_image(errors, ax=axes[2], title=f"errors at threshold {threshold:g}")
    axes[2].legend(handles=[Patch(color=[c / 255 for c in MISSED_MEMBRANE], label="missed membrane"),
                            Patch(color=[c / 255 for c in FALSE_MEMBRANE], label="false membrane")],
                   loc="lower center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return list(axes)


def value_map(values: Tensor, *, label: str = "", title: str = "", signed: bool | None = None,
              limit: float | None = None, ax: Axes | None = None) -> Axes:
    """A map of numbers (H, W) with a labelled colour bar: signed values in blue-white-red with white at 0,
    non-negative ones in one colour scale. ``limit``: the scale's end (by default the largest |value|); give maps
    that are compared the same one."""
    if not isinstance(values, Tensor) or values.ndim != 2:
        raise InputShapeError(f"value_map expects one map (H, W); got {describe(values)}.")
    ax = axes_or_new(ax, (4.2, 3.6))
    x = values.detach().float().cpu().numpy()
    signed = bool((x < 0).any()) if signed is None else signed
    if limit is not None and not limit > 0:
        raise InputShapeError(f"limit is the colour scale's end, a number above 0; got {limit!r}.")
    limit = limit or float(abs(x).max()) or 1.0
    shown = ax.imshow(x, cmap="RdBu_r" if signed else "viridis", vmin=-limit if signed else 0.0, vmax=limit)
    plt.colorbar(shown, ax=ax, shrink=0.85, label=label)
    ax.set_title(title)
    ax.set_axis_off()
    return ax
