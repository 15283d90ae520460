"""Where each dataset can come from, and the error that lists every place looked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import DATA_ENV, cache_dir, data_dir
from ..errors import DataNotFoundError


@dataclass(frozen=True)
class DatasetInfo:
    """What the course knows about one dataset: its folder layouts and its download."""

    key: str
    title: str
    folders: tuple[str, ...]  # layouts accepted under CNNCOURSE_DATA or the cache, relative paths
    layout_hint: str  # what a learner should put in CNNCOURSE_DATA
    download_mb: float
    download_from: str


DATASETS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo(
        "cifar10", "CIFAR-10", ("cifar10", "cifar-10-batches-py"),
        "cifar10/train/<class>/*.png and cifar10/test/<class>/*.png (an ImageFolder), "
        "or torchvision's cifar-10-batches-py folder",
        170.5, "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (torchvision)"),
    "mnist": DatasetInfo(
        "mnist", "MNIST", ("MNIST/raw",),
        "MNIST/raw/train-images-idx3-ubyte and the three other IDX files (torchvision's raw layout)",
        11.6, "torchvision's MNIST mirrors"),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", "Fashion-MNIST", ("FashionMNIST/raw",),
        "FashionMNIST/raw/train-images-idx3-ubyte and the three other IDX files (torchvision's raw layout)",
        30.9, "torchvision's Fashion-MNIST mirrors"),
    "isbi2012": DatasetInfo(
        "isbi2012", "ISBI 2012 EM membranes", ("isbi2012",),
        "isbi2012/train/image/{0..29}.png, isbi2012/train/label/{0..29}.png, isbi2012/test/{0..29}.png",
        13.0, "https://raw.githubusercontent.com/zhixuhao/unet/ (pinned commit, SHA-256 of every file checked)"),
}


def download_root() -> Path:
    """The folder downloads go to: ``<cache>/downloads``."""
    return cache_dir() / "downloads"


def candidate_folders(key: str) -> list[Path]:
    """Every folder where dataset ``key`` may already be, in the order they are tried."""
    info = DATASETS[key]
    roots = [root for root in (data_dir(), download_root()) if root is not None]
    return [root / folder for root in roots for folder in info.folders]


def not_found(key: str, split: str, reason: str) -> DataNotFoundError:
    """The error for a dataset in no place looked and not downloadable: every place, and the two fixes."""
    info = DATASETS[key]
    looked = "\n".join(f"  - {path}" for path in candidate_folders(key))
    if data_dir() is None:
        looked += f"\n  - (${DATA_ENV} is not set, so no data folder of yours was searched)"
    return DataNotFoundError(
        f"{info.title} ({split} split) was not found, and downloading it failed: {reason}\n"
        f"Looked in:\n{looked}\n"
        "Fix it in one of two ways:\n"
        f"  1. Connect to the internet and run again: the course downloads about {info.download_mb:.0f} MB "
        f"from {info.download_from} into {download_root()}.\n"
        f"  2. Copy the data to a folder that holds {info.layout_hint}, and point {DATA_ENV} at that folder "
        f"(in a notebook: import os; os.environ['{DATA_ENV}'] = '/path/to/folder')."
    )
