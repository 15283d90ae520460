"""Overlap-tile inference for U-Nets (Ronneberger et al. 2015, Fig. 2): predict a large image tile by tile,
each tile seeing a margin of context (mirrored at the image border), so the result equals one whole pass."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..ops import mirror_pad
from ..errors import InputShapeError
from ..validate import describe
from .unet import UNet


@dataclass(frozen=True)
class TilePlan:
    """Where overlap tiles go: input tile size, context margin, output size used per tile, tile starts."""

    tile: int
    margin: int
    output: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]

    def padding(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) mirror padding so that every tile lies inside the padded image."""
        return (self.margin, self.rows[-1] + self.tile - self.margin - height,
                self.margin, self.cols[-1] + self.tile - self.margin - width)


def _starts(length: int, output: int, step: int) -> tuple[int, ...]:
    starts = list(range(0, max(length - output, 0) + 1, step))
    if starts[-1] + output < length:
        starts.append(starts[-1] + step)
    return tuple(starts)


def plan_tiles(model: UNet, height: int, width: int, *, tile: int, margin: int | None = None) -> TilePlan:
    """Tiles of ``tile`` input pixels whose central part covers the image; starts aligned to the 2x2 poolings.

    'valid' U-Net: the margin is what the network trims off. 'same' U-Net: ``margin`` pixels of each tile's
    border are discarded (default: the receptive-field radius, rounded up to 2^depth), so every kept pixel
    saw only real or mirrored image, never the zero padding at a tile edge.
    """
    align = 2**model.depth
    model.output_size(tile)  # raises a clear InputShapeError for a tile size the network cannot take
    if model.padding == "valid":
        margin = model.margin(tile)
    elif margin is None:
        margin = -(-model.context_radius() // align) * align
    output = tile - 2 * margin
    step = output // align * align  # tiles start on the pooling grid, so they agree where they overlap
    if step <= 0:
        raise InputShapeError(f"A tile of {tile} pixels with a margin of {margin} leaves no room for output; "
                              f"use tiles of at least {2 * margin + align} pixels.")
    return TilePlan(tile, margin, output, _starts(height, output, step), _starts(width, output, step))


@torch.no_grad()
def predict_tiled(model: UNet, x: Tensor, *, tile: int, margin: int | None = None) -> Tensor:
    """Overlap-tile inference: logits (N, K, H, W) of a whole batch (N, C, H, W), tile by tile, mirror-padded."""
    model.eval()
    device = next(model.parameters()).device
    height, width = x.shape[-2:]
    plan = plan_tiles(model, height, width, tile=tile, margin=margin)
    padded = mirror_pad(x, *plan.padding(height, width))
    crop = 0 if model.padding == "valid" else plan.margin  # where the kept output starts within a tile's output
    covered = (plan.rows[-1] + plan.output, plan.cols[-1] + plan.output)
    logits = torch.zeros(x.shape[0], model.num_classes, *covered)  # (N, K, >= H, >= W), on the CPU
    for row in plan.rows:
        for col in plan.cols:
            out = model(padded[..., row:row + plan.tile, col:col + plan.tile].to(device)).float().cpu()
            logits[..., row:row + plan.output, col:col + plan.output] = out[..., crop:crop + plan.output,
                                                                            crop:crop + plan.output]
    return logits[..., :height, :width]


@torch.no_grad()
def predict_whole(model: UNet, x: Tensor, *, tile: int, margin: int | None = None) -> Tensor:
    """The same prediction in one pass over the whole mirror-padded image (the reference for tiling)."""
    model.eval()
    height, width = x.shape[-2:]
    plan = plan_tiles(model, height, width, tile=tile, margin=margin)
    out = model(mirror_pad(x, *plan.padding(height, width)).to(next(model.parameters()).device)).float().cpu()
    crop = 0 if model.padding == "valid" else plan.margin
    return out[..., crop:crop + height, crop:crop + width]


def interior_probability(model: UNet, images: Tensor, *, prepare, tile: int) -> Tensor:
    """P(cell interior) (N, H, W) for uint8 slices (N, 1, H, W), by overlap-tile inference."""
    x, _ = prepare(images, torch.zeros(len(images)), False)
    return predict_tiled(model, x, tile=tile).softmax(1)[:, 1]
