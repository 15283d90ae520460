"""In-memory datasets: uint8 image tensors, converted to float only batch by batch."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor

from ..config import seeded_generator
from ..errors import DataIntegrityError, InputShapeError, InputTypeError, InputValueError
from ..validate import describe, expect_whole_number, is_number


LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601: the brightness a gray image keeps of R, G and B


def _expect_index(index: object, length: int) -> None:
    """``index`` picks from ``length`` items: whole-number positions in range, or a boolean mask of that length."""
    if isinstance(index, Tensor) and index.dtype == torch.bool:
        if index.shape != (length,):
            raise InputShapeError(f"index as a boolean mask needs one entry per image, shape ({length},); got "
                                  f"{describe(index)}.")
        return
    if not isinstance(index, Tensor) or index.is_floating_point() or index.is_complex() or index.ndim != 1:
        raise InputTypeError(f"index must be a 1-D tensor of positions (torch.arange, torch.randperm) or a boolean "
                             f"mask; got {describe(index)}.")
    if len(index) and not (-length <= int(index.min()) and int(index.max()) < length):
        raise InputValueError(f"index holds positions from {int(index.min())} to {int(index.max())}, outside the "
                              f"{length} images (0..{length - 1}).")


@dataclass(frozen=True)
class ImageData:
    """A classification split: ``images`` (N, C, H, W) uint8, ``labels`` (N,) int64.

    Images keep the order of their source; read from an ImageFolder that is class by class, so
    ``images[:8]`` may all be airplanes: use ``subset`` or a random ``take`` for a mixed sample.
    """

    images: Tensor
    labels: Tensor
    classes: tuple[str, ...]
    split: str
    name: str

    def __post_init__(self) -> None:
        where = f"{self.name!r} ({self.split} split)"
        if not isinstance(self.images, Tensor) or self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise DataIntegrityError(f"The images of {where} must be a uint8 tensor (N, C, H, W); "
                                     f"got {describe(self.images)}.")
        if (not isinstance(self.labels, Tensor) or self.labels.dtype != torch.int64 or self.labels.ndim != 1
                or len(self.labels) != len(self.images)):
            raise DataIntegrityError(f"The labels of {where} must be an int64 tensor of shape ({len(self.images)},), "
                                     f"one per image; got {describe(self.labels)}.")
        if len(self.labels) and not (0 <= int(self.labels.min()) and int(self.labels.max()) < len(self.classes)):
            raise DataIntegrityError(
                f"The labels of {where} must lie in 0..{len(self.classes) - 1} (one per class of {len(self.classes)}); "
                f"they run from {int(self.labels.min())} to {int(self.labels.max())}. A label file is damaged or "
                "belongs to another dataset: restore it from the original source.")

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        return f"ImageData({self.name!r}, split={self.split!r}, {n} images of {c}x{h}x{w}, {len(self.classes)} classes)"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def counts(self) -> dict[str, int]:
        """Images per class."""
        counts = torch.bincount(self.labels, minlength=self.num_classes).tolist()
        return dict(zip(self.classes, counts))

    def take(self, index: Tensor) -> "ImageData":
        """The images at ``index`` (a tensor of positions or a boolean mask)."""
        _expect_index(index, len(self))
        return replace(self, images=self.images[index], labels=self.labels[index])

    def subset(self, per_class: int | None, *, seed: int = 0) -> "ImageData":
        """A class-balanced random subset with at most ``per_class`` images of each class (None keeps all)."""
        if per_class is None:
            return self
        expect_whole_number(per_class, name="per_class", minimum=1)
        generator = seeded_generator(seed)
        order = torch.randperm(len(self), generator=generator)
        keep = [order[self.labels[order] == c][:per_class] for c in range(self.num_classes)]
        return self.take(torch.cat(keep).sort().values)

    def sample(self, count: int | None, *, seed: int = 0) -> "ImageData":
        """At most ``count`` images drawn at random, kept in their order; None, or ``count`` >= len, keeps all."""
        if count is None:
            return self
        expect_whole_number(count, name="count", minimum=1)
        if count >= len(self):
            return self
        return self.take(torch.randperm(len(self), generator=seeded_generator(seed))[:count].sort().values)

    def select_classes(self, names: list[str] | tuple[str, ...]) -> "ImageData":
        """Only the images of the classes ``names``, relabelled 0..len(names)-1 in that order."""
        unknown = [n for n in names if n not in self.classes]
        if unknown:
            raise InputValueError(f"names holds unknown class name(s) {unknown}; this dataset has {list(self.classes)}.")
        old_ids = torch.tensor([self.classes.index(n) for n in names])
        keep = torch.isin(self.labels, old_ids)
        new_label = torch.full((self.num_classes,), -1, dtype=torch.long)
        new_label[old_ids] = torch.arange(len(names))
        return replace(self, images=self.images[keep], labels=new_label[self.labels[keep]], classes=tuple(names))

    def split_off(self, fraction: float, *, seed: int = 0) -> tuple["ImageData", "ImageData"]:
        """Split into (rest, held_out) with ``fraction`` of the images held out, at random."""
        if not is_number(fraction) or not 0 <= fraction <= 1:
            raise InputValueError(f"fraction is the share of the images held out, a number in 0..1 (0.3 holds out "
                                  f"30%); got {fraction!r}.")
        generator = seeded_generator(seed)
        order = torch.randperm(len(self), generator=generator)
        n_held = int(round(fraction * len(self)))
        held, rest = order[:n_held].sort().values, order[n_held:].sort().values
        return (replace(self.take(rest), split=f"{self.split}-rest"),
                replace(self.take(held), split=f"{self.split}-heldout"))

    def downscaled(self, factor: int) -> "ImageData":
        """The same images ``factor`` times smaller on each side, every pixel the mean of a ``factor`` x ``factor``
        block (rounded, still uint8): CIFAR-10's 32x32 at ``factor=2`` is 16x16, a quarter of the pixels."""
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            raise InputValueError(f"factor must be a whole number of pixels of at least 1 (2 halves each side); "
                                  f"got {factor!r}.")
        height, width = self.images.shape[-2:]
        if height % factor or width % factor:
            raise InputShapeError(f"factor={factor} must divide the images' {height}x{width} pixels; "
                                  "choose a divisor of both sides.")
        if factor == 1:
            return self
        blocks = F.avg_pool2d(self.images.float(), factor)
        return replace(self, images=blocks.round().to(torch.uint8))

    def grayscale(self) -> "ImageData":
        """The same images in one channel (ITU-R 601 luma), still uint8."""
        if self.images.shape[1] == 1:
            return self
        weights = torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)
        gray = (self.images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
        return replace(self, images=gray, name=f"{self.name}-gray")


@dataclass(frozen=True)
class SegmentationData:
    """A segmentation split: ``images`` (N, 1, H, W) uint8, ``masks`` (N, H, W) uint8 or None (unlabelled)."""

    images: Tensor
    masks: Tensor | None
    classes: tuple[str, ...]
    split: str
    name: str
    ids: tuple[int, ...]  # the slice number of each image in the original stack

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        labelled = "with masks" if self.masks is not None else "without masks"
        return f"SegmentationData({self.name!r}, split={self.split!r}, {n} images of {c}x{h}x{w}, {labelled})"

    def take(self, positions: list[int]) -> "SegmentationData":
        """The slices at ``positions`` (positions in this split, not slice ids)."""
        if not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(self) for p in positions):
            raise InputValueError(f"positions must be whole numbers in 0..{len(self) - 1}, positions in this split "
                                  f"of {len(self)} slices; got {list(positions)}.")
        index = torch.tensor(positions, dtype=torch.long)
        masks = None if self.masks is None else self.masks[index]
        return replace(self, images=self.images[index], masks=masks, ids=tuple(self.ids[p] for p in positions))

    def corner(self, size: int) -> "SegmentationData":
        """Every slice cut to its top-left ``size`` x ``size`` pixels."""
        expect_whole_number(size, name="size", minimum=1)
        masks = None if self.masks is None else self.masks[:, :size, :size]
        return replace(self, images=self.images[..., :size, :size], masks=masks)

