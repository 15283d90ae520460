"""Segmentation augmentation: random crops, flips and elastic deformations applied identically to an image and
its targets (the mask and the loss weights of ``weight_maps``, stacked as (K, H, W)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torchvision import tv_tensors
from torchvision.transforms import v2

from ..errors import InputShapeError
from ..ops import mirror_pad
from ..errors import InputTypeError
from ..validate import describe, expect_finite_number, expect_whole_number

ISBI2012_MEAN = 0.4948  # mean and std of the 30 training slices on a 0..1 scale
ISBI2012_STD = 0.1726


def elastic_displacement(size: tuple[int, int], std: float, grid: int = 3, limit: float | None = None,
                         device: torch.device | str = "cpu") -> Tensor:
    """A smooth random displacement field for ``v2.functional.elastic``: (1, H, W, 2) in its -1..1 units.

    As in the U-Net paper: Gaussian displacement vectors (``std`` pixels) on a coarse ``grid`` x ``grid``
    lattice, interpolated bicubically to every pixel; no pixel moves farther than ``limit`` (default 3 std).
    """
    height, width = size
    coarse = (torch.randn(1, 2, grid, grid) * std).to(device)  # (1, 2, grid, grid) in pixels
    field = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)
    limit = 3 * std if limit is None else limit
    field = field.clamp(-limit, limit)  # (1, 2, H, W)
    scale = torch.tensor([2.0 / width, 2.0 / height], device=device).view(1, 2, 1, 1)  # pixels -> grid_sample units
    return (field * scale).permute(0, 2, 3, 1)  # (1, H, W, 2)


@dataclass(frozen=True)
class SegmentationAugment:
    """``prepare`` for segmentation: standardize, and when training cut a random crop, flip and warp it.

    Image and targets receive exactly the same crop, flips and elastic deformation (torchvision
    ``transforms.v2`` treats the targets as ``tv_tensors.Mask``: nearest-neighbour, never blended).
    The crop is cut with a ``border`` around it that the deformation may pull in, then trimmed off,
    so no empty fill enters the training crops. ``crop_size=None`` keeps whole images.
    """

    crop_size: int | None = 128
    flips: bool = True
    elastic_std: float = 10.0  # px; the paper: random displacements on a coarse 3x3 grid with std 10 px
    elastic_grid: int = 3
    border: int = 32  # >= the largest displacement (3 std), so the deformation never pulls in empty fill
    mean: float = ISBI2012_MEAN
    std: float = ISBI2012_STD

    def __post_init__(self) -> None:
        if self.crop_size is not None:
            expect_whole_number(self.crop_size, name="crop_size", minimum=1)
        if not isinstance(self.flips, bool):
            raise InputTypeError(f"flips must be True or False; got {self.flips!r}.")
        expect_finite_number(self.elastic_std, name="elastic_std")
        expect_whole_number(self.elastic_grid, name="elastic_grid", minimum=2)
        expect_whole_number(self.border, name="border", minimum=0)
        expect_finite_number(self.mean, name="mean", minimum=-float("inf"))
        expect_finite_number(self.std, name="std", strictly=True)

    def flip(self) -> v2.Compose:
        """Random left-right and up-down flips (the same for every tensor passed in one call)."""
        return v2.Compose([v2.RandomHorizontalFlip(), v2.RandomVerticalFlip()] if self.flips else [])

    def augment(self, image: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """One image (1, H, W) float and its targets (K, H, W): a random crop, flipped and deformed identically."""
        size = self.crop_size
        if size is not None:
            image, target = self._mirror_border_if_short(image, target, size)
            span = size + 2 * self.border
            top = int(torch.randint(0, image.shape[-2] - span + 1, ()))
            left = int(torch.randint(0, image.shape[-1] - span + 1, ()))
            image = image[:, top:top + span, left:left + span]
            target = target[:, top:top + span, left:left + span]
        image, target = self.flip()(tv_tensors.Image(image), tv_tensors.Mask(target))
        if self.elastic_std > 0:
            displacement = elastic_displacement(image.shape[-2:], self.elastic_std, self.elastic_grid,
                                                limit=self.border if size is not None else None, device=image.device)
            image = v2.functional.elastic(image, displacement)  # bilinear for the image
            target = v2.functional.elastic(target, displacement)  # nearest neighbour for a Mask
        if size is not None:
            image = image[:, self.border:self.border + size, self.border:self.border + size]
            target = target[:, self.border:self.border + size, self.border:self.border + size]
        return image.as_subclass(Tensor), target.as_subclass(Tensor)

    def _mirror_border_if_short(self, image: Tensor, target: Tensor, size: int) -> tuple[Tensor, Tensor]:
        """An image smaller than a crop plus its border gets the missing border mirrored on every side."""
        if min(image.shape[-2:]) < size:
            raise InputShapeError(f"Training crops of {size} px need images at least that large; got "
                                  f"{describe(image)}. Use a smaller crop_size.")
        short = max(0, size + 2 * self.border - min(image.shape[-2:]))
        if not short:
            return image, target
        pad = (short // 2, short - short // 2) * 2  # (top, bottom, left, right)
        return mirror_pad(image[None], *pad)[0], mirror_pad(target[None], *pad)[0]

    def __call__(self, images: Tensor, targets: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
        x = images.float() / 255.0  # (B, 1, H, W)
        if train:
            stacked = targets if targets.ndim == 4 else targets[:, None]
            pairs = [self.augment(image, target.float()) for image, target in zip(x, stacked)]
            x = torch.stack([image for image, _ in pairs])  # (B, 1, crop, crop)
            augmented = torch.stack([target for _, target in pairs])  # (B, K, crop, crop)
            targets = augmented if targets.ndim == 4 else augmented[:, 0].to(targets.dtype)
        return (x - self.mean) / self.std, targets
