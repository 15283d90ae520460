"""One call per dataset: ``load_cifar10('train')`` returns uint8 tensors, labels and class names.

Sources are tried in order: the folder ``CNNCOURSE_DATA``, the user cache, then a download
(torchvision for CIFAR-10 and the MNISTs, pooch with SHA-256 checks for ISBI 2012). The first
load converts the files to one tensor file in the cache, so later loads take a fraction of a second.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image, UnidentifiedImageError
from torchvision.datasets.utils import check_integrity

from ..config import DATA_ENV, data_dir, tiny_run
from ..errors import DataIntegrityError, InputValueError
from .cache import cached_tensors, fingerprint, parse_manifest
from .containers import ImageData, SegmentationData
from .isbi import ISBI_CLASSES, fetch_isbi2012, isbi_files_present, missing_isbi_files, read_isbi_manifest
from .sources import DATASETS, candidate_folders, download_root, not_found

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
TINY_PER_CLASS = {"train": 20, "test": 10}  # images per class in a tiny run
# Pixels per side of every segmentation slice in a tiny run: all slices stay (notebooks pick them by number), each
# cut to its corner, as large as `full`'s training crops (a single tile of its inference).
TINY_SLICE_SIZE = 256
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def _check_split(split: str, allowed: tuple[str, ...] = ("train", "test")) -> str:
    if split not in allowed:
        raise InputValueError(f"split must be one of {allowed}, not {split!r}.")
    return split


def decode_file(path: Path, mode: str = "RGB", expected_sha256: str | None = None,
                size: int | None = None) -> torch.Tensor:
    """Decode one image file to a (C, H, W) uint8 tensor in PIL ``mode`` ('RGB' or 'L'), checking its SHA-256."""
    raw = Path(path).read_bytes()
    if expected_sha256 is not None and hashlib.sha256(raw).hexdigest() != expected_sha256:
        raise DataIntegrityError(
            f"{path} fails its SHA-256 check: the file is damaged or not the original. "
            "Delete it and restore it from the original source (or let the course download it again).")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image = image.convert(mode)
            if size is not None:
                image = image.resize((size, size), Image.Resampling.BILINEAR)
            pixels = np.array(image)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DataIntegrityError(f"{path} is not a readable image ({error}). Delete it or replace it with "
                                 "a valid image file.") from None
    pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels  # (H, W) -> (H, W, 1)
    return torch.from_numpy(pixels).permute(2, 0, 1).contiguous()  # (H, W, C) -> (C, H, W)


def _read_manifest(folder: Path) -> dict[str, str]:
    """``MANIFEST.sha256`` of a folder as {relative path: sha256}, or {} if there is none."""
    manifest = folder / "MANIFEST.sha256"
    if not manifest.exists():
        return {}
    return parse_manifest(manifest.read_text())


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _check_against_manifest(root: Path, manifest: dict[str, str], manifest_root: Path) -> None:
    """The image files under ``root`` must be exactly the manifest's entries there: none missing, none extra."""
    prefix = root.relative_to(manifest_root).as_posix() + "/"
    listed = {path for path in manifest if path.startswith(prefix)}
    present = {path.relative_to(manifest_root).as_posix() for path in root.rglob("*")
               if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES}
    missing, unlisted = sorted(listed - present), sorted(present - listed)
    if missing or unlisted:
        problems = [f"{len(missing)} file(s) listed in {manifest_root / 'MANIFEST.sha256'} are missing"
                    f" (e.g. {', '.join(missing[:3])})" if missing else "",
                    f"{len(unlisted)} file(s) are not listed there (e.g. {', '.join(unlisted[:3])})"
                    if unlisted else ""]
        raise DataIntegrityError(
            f"The folder {root} does not agree with its manifest: {'; '.join(p for p in problems if p)}. "
            "A file moved into another class folder would be loaded with the wrong label. Restore the folder "
            "from the original source so that it holds exactly the files of its manifest.")


def _read_image_folder(root: Path, classes: tuple[str, ...] | None, size: int | None,
                       manifest: dict[str, str], manifest_root: Path) -> dict:
    """Decode ``root/<class>/*`` into one uint8 tensor (all images must share one size unless ``size`` is set)."""
    if manifest:
        _check_against_manifest(root, manifest, manifest_root)
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir())
    names = classes if classes is not None else tuple(d.name for d in class_dirs)
    images, labels = [], []
    for label, name in enumerate(names):
        folder = root / name
        if not folder.is_dir():
            raise DataIntegrityError(f"Class folder {folder} is missing; expected one folder per class: {list(names)}.")
        for path in _image_files(folder):
            digest = manifest.get(path.relative_to(manifest_root).as_posix())
            images.append(decode_file(path, "RGB", digest, size))
            labels.append(label)
    if not images:
        raise DataIntegrityError(f"No image files ({', '.join(IMAGE_SUFFIXES)}) were found under {root}/<class>/.")
    shapes = {tuple(image.shape) for image in images}
    if len(shapes) > 1:
        raise DataIntegrityError(f"The images under {root} have different sizes {sorted(shapes)[:3]}...; "
                                 "pass size=... to resize them all to one square size.")
    return {"images": torch.stack(images), "labels": torch.tensor(labels), "classes": list(names)}


def _folder_key(root: Path) -> str:
    """A cache key that changes when the files of an image folder change."""
    entries = []
    for path in sorted(root.rglob("*")):
        status = path.stat()  # one system call per file: this runs on every load
        if stat.S_ISREG(status.st_mode):
            entries.append((path.relative_to(root).as_posix(), status.st_size, status.st_mtime_ns))
    return fingerprint(root.resolve(), len(entries), fingerprint(*entries))


def _folder_key_of_file(path: Path) -> str:
    """A cache key that changes when one file changes (or appears, or goes)."""
    if not path.exists():
        return "absent"
    status = path.stat()
    return fingerprint(path.resolve(), status.st_size, status.st_mtime_ns)


def load_image_folder(path: str | os.PathLike, *, split: str = "train", name: str | None = None,
                      size: int | None = None) -> ImageData:
    """Your own photos as a classification dataset: ``path/<class name>/<image files>`` (resized to ``size``)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder. Expected a folder with one sub-folder of images per class.")
    label = name or root.name
    tensors = cached_tensors(f"folder-{label}-{split}", fingerprint(_folder_key(root), size),
                             lambda: _read_image_folder(root, None, size, {}, root))
    return ImageData(tensors["images"], tensors["labels"], tuple(tensors["classes"]), split, label)


# --- CIFAR-10 -------------------------------------------------------------------------------------

def _cifar_from_folder(folder: Path, split: str) -> dict:
    if folder.name == "cifar10":  # ImageFolder of PNGs, hashes in MANIFEST.sha256
        return _read_image_folder(folder / split, CIFAR10_CLASSES, None, _read_manifest(folder), folder)
    dataset = torchvision.datasets.CIFAR10(folder.parent, train=split == "train", download=False)
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()  # (N, 32, 32, 3) -> (N, 3, 32, 32)
    return {"images": images, "labels": torch.tensor(dataset.targets), "classes": list(CIFAR10_CLASSES)}


def _cifar_present(folder: Path, split: str) -> bool:
    if folder.name == "cifar10":
        return (folder / split).is_dir()
    return (folder / ("data_batch_1" if split == "train" else "test_batch")).exists()


def load_cifar10(split: str = "train", *, download: bool = True) -> ImageData:
    """CIFAR-10 ``split`` ('train' or 'test') as uint8 images (N, 3, 32, 32) with labels and class names."""
    _check_split(split)
    folder = next((f for f in candidate_folders("cifar10") if _cifar_present(f, split)), None)
    if folder is None:
        folder = _download_torchvision("cifar10", torchvision.datasets.CIFAR10, split, download) / "cifar-10-batches-py"
    key = (fingerprint(_folder_key(folder / split), _folder_key_of_file(folder / "MANIFEST.sha256"))
           if folder.name == "cifar10" else _folder_key(folder))
    tensors = cached_tensors(f"cifar10-{split}", key, lambda: _cifar_from_folder(folder, split))
    return _cut_if_tiny(ImageData(tensors["images"], tensors["labels"], CIFAR10_CLASSES, split, "cifar10"))


def _cut_if_tiny(dataset: ImageData) -> ImageData:
    """The dataset, or in a tiny run (``CNNCOURSE_TINY=1``) a few images of each class of it."""
    return dataset.subset(TINY_PER_CLASS[dataset.split]) if tiny_run() else dataset


def _download_torchvision(key: str, dataset_class: type, split: str, download: bool) -> Path:
    """Download with torchvision into the cache, keeping nothing unless all of it passed; a clear error if not."""
    if not download:
        raise not_found(key, split, "downloading was switched off (download=False).")
    root = download_root()
    root.mkdir(parents=True, exist_ok=True)
    # torchvision unpacks each file as it arrives, so a failure half way would leave files that look like data
    # (MNIST/raw/train-images-idx3-ubyte without its labels): download into a staging folder, rename when done.
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", suffix=".part", dir=root))
    try:
        try:
            dataset_class(staging, train=split == "train", download=True)  # checks each file's MD5
        except (OSError, RuntimeError) as error:  # URLError is an OSError
            damaged = _damaged_archives(dataset_class, staging)
            if damaged:
                info = DATASETS[key]
                source = getattr(dataset_class, "url", None) or " or ".join(dataset_class.mirrors)
                raise DataIntegrityError(
                    f"The downloaded {info.title} file {', '.join(damaged)} (from {source}) fails its MD5 check: "
                    f"the connection broke or the server sent a different file. It was deleted, and nothing of this "
                    f"download was kept in {root}. Run again to download it afresh, or point {DATA_ENV} at a "
                    f"folder that holds {info.layout_hint}.") from None
            raise not_found(key, split, f"{type(error).__name__}: {error}") from None
        folder = getattr(dataset_class, "base_folder", dataset_class.__name__)  # cifar-10-batches-py, MNIST, ...
        if (root / folder).exists():  # an incomplete earlier copy: into staging, deleted with it
            os.replace(root / folder, staging / "replaced")
        os.replace(staging / folder, root / folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def _damaged_archives(dataset_class: type, staging: Path) -> list[str]:
    """The files torchvision downloaded into ``staging`` whose MD5 is not the one it expects."""
    expected = (dict(dataset_class.resources) if hasattr(dataset_class, "resources")
                else {dataset_class.filename: dataset_class.tgz_md5})
    return sorted(path.name for path in staging.rglob("*")
                  if path.name in expected and not check_integrity(path, expected[path.name]))


# --- MNIST and Fashion-MNIST -----------------------------------------------------------------------

def _load_mnist_family(key: str, dataset_class: type, classes: tuple[str, ...], split: str, download: bool) -> ImageData:
    _check_split(split)
    prefix = "train" if split == "train" else "t10k"
    raw = next((f for f in candidate_folders(key) if (f / f"{prefix}-images-idx3-ubyte").exists()), None)
    if raw is None:
        raw = _download_torchvision(key, dataset_class, split, download) / dataset_class.__name__ / "raw"

    key_files = [raw / f"{prefix}-{kind}-idx{dims}-ubyte" for kind, dims in (("images", 3), ("labels", 1))]

    def convert() -> dict:
        try:
            dataset = dataset_class(raw.parent.parent, train=split == "train", download=False)
            images, labels = dataset.data, dataset.targets.long()
        except (RuntimeError, AssertionError, ValueError, OSError) as error:
            raise DataIntegrityError(
                f"The {key} files {', '.join(str(p) for p in key_files)} cannot be read as IDX files "
                f"({type(error).__name__}: {error}): they are truncated or damaged. Delete them and run again "
                "to download them, or copy intact files from the original source.") from None
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise DataIntegrityError(f"The {key} files {', '.join(str(p) for p in key_files)} hold "
                                     f"{len(images)} images of {tuple(images.shape[1:])} and {len(labels)} labels; "
                                     "expected as many 28x28 images as labels. Restore them from the original source.")
        return {"images": images.unsqueeze(1).contiguous(), "labels": labels}  # (N, 1, 28, 28)

    cache_key = fingerprint(*[_folder_key_of_file(p) for p in key_files])
    tensors = cached_tensors(f"{key}-{split}", cache_key, convert)
    return _cut_if_tiny(ImageData(tensors["images"], tensors["labels"], classes, split, key))


def load_mnist(split: str = "train", *, download: bool = True) -> ImageData:
    """MNIST digits ``split`` ('train' or 'test') as uint8 images (N, 1, 28, 28) with labels."""
    return _load_mnist_family("mnist", torchvision.datasets.MNIST, MNIST_CLASSES, split, download)


def load_fashion_mnist(split: str = "train", *, download: bool = True) -> ImageData:
    """Fashion-MNIST ``split`` ('train' or 'test') as uint8 images (N, 1, 28, 28) with labels."""
    return _load_mnist_family("fashion_mnist", torchvision.datasets.FashionMNIST, FASHION_MNIST_CLASSES, split, download)


# --- ISBI 2012 -------------------------------------------------------------------------------------

def _read_isbi(folder: Path, split: str) -> dict:
    manifest = read_isbi_manifest()
    ids = list(range(30))
    image_paths = [f"train/image/{i}.png" if split == "train" else f"test/{i}.png" for i in ids]
    images = [decode_file(folder / p, "L", manifest[p]) for p in image_paths]
    tensors = {"images": torch.stack(images), "ids": ids}  # (30, 1, 512, 512)
    if split == "train":
        labels = [decode_file(folder / f"train/label/{i}.png", "L", manifest[f"train/label/{i}.png"])
                  for i in ids]
        tensors["masks"] = (torch.stack(labels)[:, 0] > 127).to(torch.uint8)  # (30, 512, 512), 1 = cell interior
    return tensors


def load_isbi2012(split: str = "train", *, download: bool = True, base_url: str | None = None) -> SegmentationData:
    """ISBI 2012 EM slices: 'train' (30 images with masks, 1 = cell interior, 0 = membrane) or 'test' (no masks)."""
    _check_split(split)
    folder = next((f for f in candidate_folders("isbi2012") if isbi_files_present(f)), None)
    yours = data_dir() / "isbi2012" if data_dir() is not None else None
    if folder is None and yours is not None and yours.is_dir():  # a folder of the learner's, partly filled
        missing = missing_isbi_files(yours)
        raise DataIntegrityError(f"The ISBI 2012 folder {yours} is incomplete: {len(missing)} of "
                                 f"{len(read_isbi_manifest())} files are missing (e.g. {', '.join(missing[:3])}). "
                                 "Copy the missing files into it, or remove the folder to let the course download them.")
    if folder is None:
        if not download:
            raise not_found("isbi2012", split, "downloading was switched off (download=False).")
        folder = fetch_isbi2012(download_root() / "isbi2012", base_url=base_url, split=split)
    tensors = cached_tensors(f"isbi2012-{split}", fingerprint(folder.resolve(), *sorted(read_isbi_manifest().values())),
                             lambda: _read_isbi(folder, split))
    dataset = SegmentationData(tensors["images"], tensors.get("masks"), ISBI_CLASSES, split, "isbi2012",
                               tuple(tensors["ids"]))
    return dataset.corner(TINY_SLICE_SIZE) if tiny_run() else dataset
