"""torchvision's download path for CIFAR-10, MNIST and Fashion-MNIST, against a local HTTP server on 127.0.0.1.

The archives are built here in torchvision's own formats (a tar.gz of pickled batches, gzip'd IDX files),
and torchvision's URLs and MD5s are pointed at them, so the whole path runs offline in a few seconds.
"""

import gzip
import hashlib
import io
import pickle
import re
import socket
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from cnncourse import data
from cnncourse.errors import DataIntegrityError, DataNotFoundError

pytestmark = pytest.mark.network

CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")  # torchvision's order
LOADERS = {"cifar10": data.load_cifar10, "mnist": data.load_mnist, "fashion_mnist": data.load_fashion_mnist}
CLASSES = {"cifar10": data.CIFAR10_CLASSES, "mnist": data.MNIST_CLASSES, "fashion_mnist": data.FASHION_MNIST_CLASSES}
# The file a damage test spoils: for the MNISTs the second one, so that the first is already unpacked.
DAMAGED = {"cifar10": CIFAR_ARCHIVE, "mnist": "mnist/train-labels-idx1-ubyte.gz",
           "fashion_mnist": "fashion_mnist/train-labels-idx1-ubyte.gz"}


@pytest.fixture
def downloads(monkeypatch, tmp_path) -> Path:
    """No CNNCOURSE_DATA and an empty cache, so every loader must download; the download folder."""
    monkeypatch.delenv("CNNCOURSE_DATA", raising=False)
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "downloads"


@dataclass
class Mirror:
    """A folder laid out like the original servers, the MD5 of every file torchvision checks, the expected data."""

    folder: Path
    md5: dict[str, str]  # archive path relative to folder, or CIFAR batch name -> MD5
    expected: dict[tuple[str, str], tuple[torch.Tensor, torch.Tensor]]  # (dataset, split) -> (images, labels)


def _md5(raw: bytes) -> str:
    return hashlib.md5(raw).hexdigest()


def _add_to_tar(tar: tarfile.TarFile, name: str, raw: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(raw)
    tar.addfile(info, io.BytesIO(raw))


def _write_cifar(folder: Path, rng: np.random.Generator, mirror: Mirror) -> None:
    """CIFAR-10's tar.gz: cifar-10-batches-py/ with five train batches, a test batch and batches.meta.

    Each batch is a protocol-2 pickle of {'batch_label', 'labels', 'data': (N, 3072) uint8, 'filenames'}, rows
    holding the red, green and blue 32x32 planes in turn; torchvision reads it with encoding='latin1'.
    """
    batches = {f"data_batch_{i}": [2 * (i - 1), 2 * (i - 1) + 1] for i in range(1, 6)}  # labels 0..9 in all
    batches["test_batch"] = [3, 8, 0]
    rows = {}
    with tarfile.open(folder / CIFAR_ARCHIVE, "w:gz") as tar:
        for name, labels in batches.items():
            rows[name] = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
            raw = pickle.dumps({"batch_label": name, "labels": labels, "data": rows[name],
                                "filenames": [f"{name}_{i}.png" for i in range(len(labels))]}, protocol=2)
            _add_to_tar(tar, f"cifar-10-batches-py/{name}", raw)
            mirror.md5[name] = _md5(raw)
        raw = pickle.dumps({"num_cases_per_batch": 2, "label_names": list(data.CIFAR10_CLASSES), "num_vis": 3072},
                           protocol=2)
        _add_to_tar(tar, "cifar-10-batches-py/batches.meta", raw)
        mirror.md5["batches.meta"] = _md5(raw)
    mirror.md5[CIFAR_ARCHIVE] = _md5((folder / CIFAR_ARCHIVE).read_bytes())
    for split, names in (("train", [f"data_batch_{i}" for i in range(1, 6)]), ("test", ["test_batch"])):
        images = torch.from_numpy(np.concatenate([rows[n] for n in names])).reshape(-1, 3, 32, 32)  # (N, 3, 32, 32)
        labels = torch.tensor([label for n in names for label in batches[n]])
        mirror.expected["cifar10", split] = images, labels


def _write_idx(folder: Path, key: str, rng: np.random.Generator, mirror: Mirror) -> None:
    """The four gzip'd IDX files: a big-endian header (magic 2051 or 2049, then the sizes), then uint8 values."""
    (folder / key).mkdir()
    for prefix, split, labels in (("train", "train", [5, 0, 4, 1, 9, 2]), ("t10k", "test", [7, 2, 1, 0])):
        images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
        files = {f"{prefix}-images-idx3-ubyte.gz": np.array([2051, len(labels), 28, 28], ">i4").tobytes()
                 + images.tobytes(),
                 f"{prefix}-labels-idx1-ubyte.gz": np.array([2049, len(labels)], ">i4").tobytes()
                 + np.array(labels, np.uint8).tobytes()}
        for name, raw in files.items():
            packed = gzip.compress(raw, mtime=0)
            (folder / key / name).write_bytes(packed)
            mirror.md5[f"{key}/{name}"] = _md5(packed)
        mirror.expected[key, split] = torch.from_numpy(images).unsqueeze(1), torch.tensor(labels)  # (N, 1, 28, 28)


@pytest.fixture
def mirror(tmp_path) -> Mirror:
    """The three datasets' archives in torchvision's formats, in one folder to serve as it is."""
    rng = np.random.default_rng(0)
    result = Mirror(tmp_path / "mirror", {}, {})
    result.folder.mkdir()
    _write_cifar(result.folder, rng, result)
    for key in ("mnist", "fashion_mnist"):
        _write_idx(result.folder, key, rng, result)
    return result


def point_torchvision_at(monkeypatch, base_url: str, md5: dict[str, str]) -> None:
    """Make torchvision's CIFAR10, MNIST and FashionMNIST download from ``base_url`` and expect these MD5s."""
    cifar = torchvision.datasets.CIFAR10
    monkeypatch.setattr(cifar, "url", base_url + CIFAR_ARCHIVE)
    monkeypatch.setattr(cifar, "tgz_md5", md5[CIFAR_ARCHIVE])
    monkeypatch.setattr(cifar, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(cifar, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(cifar, "meta", {**cifar.meta, "md5": md5["batches.meta"]})
    mnists = {"mnist": torchvision.datasets.MNIST, "fashion_mnist": torchvision.datasets.FashionMNIST}
    for key, dataset_class in mnists.items():
        monkeypatch.setattr(dataset_class, "mirrors", [f"{base_url}{key}/"])
        monkeypatch.setattr(dataset_class, "resources", [(name, md5[f"{key}/{name}"]) for name in IDX_FILES])


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_exact(loaded: data.ImageData, mirror: Mirror, key: str, split: str) -> None:
    images, labels = mirror.expected[key, split]
    assert loaded.images.dtype == torch.uint8 and loaded.images.shape == images.shape
    assert torch.equal(loaded.images, images) and torch.equal(loaded.labels, labels)
    assert loaded.classes == CLASSES[key] and loaded.split == split


def test_cifar10_downloads_once_with_the_exact_pixels_and_labels(mirror, serve, downloads, monkeypatch):
    point_torchvision_at(monkeypatch, serve(mirror.folder), mirror.md5)
    assert_exact(data.load_cifar10("train"), mirror, "cifar10", "train")
    point_torchvision_at(monkeypatch, f"http://127.0.0.1:{closed_port()}/", mirror.md5)
    assert_exact(data.load_cifar10("test"), mirror, "cifar10", "test")  # from the first download
    assert sorted(p.name for p in downloads.iterdir()) == ["cifar-10-batches-py"]  # no archive, no staging folder
    assert sorted(p.name for p in (downloads / "cifar-10-batches-py").iterdir()) == sorted(
        ["batches.meta", "test_batch"] + [f"data_batch_{i}" for i in range(1, 6)])


@pytest.mark.parametrize("key, folder_name", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_family_downloads_once_with_the_exact_pixels_and_labels(key, folder_name, mirror, serve, downloads,
                                                                      monkeypatch):
    point_torchvision_at(monkeypatch, serve(mirror.folder), mirror.md5)
    assert_exact(LOADERS[key]("train"), mirror, key, "train")
    point_torchvision_at(monkeypatch, f"http://127.0.0.1:{closed_port()}/", mirror.md5)
    assert_exact(LOADERS[key]("test"), mirror, key, "test")  # from the first download
    assert sorted(p.name for p in downloads.iterdir()) == [folder_name]
    unpacked = sorted(p.name for p in (downloads / folder_name / "raw").iterdir() if p.suffix != ".gz")
    assert unpacked == sorted(name.removesuffix(".gz") for name in IDX_FILES)


@pytest.mark.parametrize("damage", ["flipped bytes", "broken connection"])
@pytest.mark.parametrize("key", ["cifar10", "mnist", "fashion_mnist"])
def test_damaged_download_is_rejected_leaves_nothing_and_a_retry_succeeds(key, damage, mirror, serve, downloads,
                                                                         monkeypatch):
    victim = mirror.folder / DAMAGED[key]
    intact = victim.read_bytes()
    if damage == "flipped bytes":
        middle = len(intact) // 2
        victim.write_bytes(intact[:middle] + bytes([intact[middle] ^ 0xFF]) + intact[middle + 1:])
        url = serve(mirror.folder)
    else:
        url = serve(mirror.folder, cut=(DAMAGED[key],))
    point_torchvision_at(monkeypatch, url, mirror.md5)
    name = Path(DAMAGED[key]).name
    with pytest.raises(DataIntegrityError, match=rf"{re.escape(name)} .*fails its MD5 check.*deleted.*Run again"):
        LOADERS[key]("train")
    assert list(downloads.rglob("*")) == []  # no archive, nothing unpacked, no staging folder
    assert not list(downloads.parent.rglob(f"{key}-train-*"))  # and no converted tensors

    victim.write_bytes(intact)
    point_torchvision_at(monkeypatch, serve(mirror.folder), mirror.md5)
    assert_exact(LOADERS[key]("train"), mirror, key, "train")


def test_an_incomplete_earlier_download_is_replaced(mirror, serve, downloads, monkeypatch):
    raw = downloads / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"left by an older download")  # no train files: must download
    point_torchvision_at(monkeypatch, serve(mirror.folder), mirror.md5)
    assert_exact(data.load_mnist("train"), mirror, "mnist", "train")
    assert_exact(data.load_mnist("test"), mirror, "mnist", "test")
    assert sorted(p.name for p in downloads.iterdir()) == ["MNIST"]


@pytest.mark.parametrize("key, title, folder_name", [("cifar10", "CIFAR-10", "cifar-10-batches-py"),
                                                     ("mnist", "MNIST", "MNIST/raw"),
                                                     ("fashion_mnist", "Fashion-MNIST", "FashionMNIST/raw")])
def test_unreachable_server_says_where_it_looked_and_leaves_nothing(key, title, folder_name, mirror, downloads,
                                                                   monkeypatch, capsys):
    point_torchvision_at(monkeypatch, f"http://127.0.0.1:{closed_port()}/", mirror.md5)
    with pytest.raises(DataNotFoundError) as caught:
        LOADERS[key]("test")
    message = str(caught.value)
    assert f"{title} (test split) was not found, and downloading it failed" in message
    # The learner reads why: in the message, or (MNIST in older torchvision, 0.18 for one) printed just above it
    assert "Connection refused" in message + capsys.readouterr().out
    assert "Looked in:" in message and f"  - {downloads / folder_name}\n" in message
    assert "$CNNCOURSE_DATA is not set" in message and "Connect to the internet" in message
    assert list(downloads.rglob("*")) == []
