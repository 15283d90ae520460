"""The data layer on the real datasets: loading, caching, subsets, and every bad case."""

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from cnncourse import data, errors
from cnncourse.data.cache import atomic_path, cached_tensors
from cnncourse.errors import DataIntegrityError, DataNotFoundError, InputShapeError, InputValueError


@pytest.fixture
def private_cache(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cifar10_train_and_test(needs_data):
    train, test = data.load_cifar10("train"), data.load_cifar10("test")
    assert train.images.dtype == torch.uint8 and train.images.shape[1:] == (3, 32, 32)
    assert train.classes == data.CIFAR10_CLASSES and len(train) == len(train.labels)
    assert set(train.counts().values()) == {1000} or len(train) == 50_000
    assert len(test) in (1000, 10_000)


def test_cifar10_matches_torchvision_image_folder(needs_data):
    reference = torchvision.datasets.ImageFolder(str(needs_data / "cifar10" / "test"))
    test = data.load_cifar10("test")
    for index in (0, 437, len(reference) - 1):
        image, label = reference[index]
        expected = torch.from_numpy(np.array(image)).permute(2, 0, 1)
        assert torch.equal(test.images[index], expected) and test.labels[index] == label


def test_cifar10_training_statistics_match_data_readme(needs_data):
    train = data.load_cifar10("train")
    if len(train) != 10_000:
        pytest.skip("statistics below are those of the 10,000-image subset")
    mean = (train.images.double() / 255).mean(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.tensor([0.4936, 0.4832, 0.4470], dtype=torch.double), atol=1e-4)


def test_mnist_family_matches_torchvision(needs_data):
    for load, dataset_class, first_labels in ((data.load_mnist, torchvision.datasets.MNIST, [5, 0, 4, 1, 9]),
                                              (data.load_fashion_mnist, torchvision.datasets.FashionMNIST, [9, 0, 0, 3, 0])):
        train = load("train")
        reference = dataset_class(str(needs_data), train=True, download=False)
        assert train.images.shape == (60_000, 1, 28, 28)
        assert torch.equal(train.images[:, 0], reference.data)
        assert train.labels[:5].tolist() == first_labels
        assert len(load("test")) == 10_000


def test_isbi2012_train_and_test(needs_data):
    train, test = data.load_isbi2012("train"), data.load_isbi2012("test")
    assert train.images.shape == (30, 1, 512, 512) and train.masks.shape == (30, 512, 512)
    assert set(train.masks.unique().tolist()) == {0, 1}
    assert abs(train.masks.float().mean().item() - 0.7804) < 1e-3  # 78.04 % cell interior (data README)
    assert test.masks is None and test.ids == tuple(range(30))
    assert abs(train.images.float().mean().item() - 126.16) < 0.01


def test_a_tiny_run_keeps_every_class_and_slice_but_few_pixels_and_images(needs_data, monkeypatch):
    full_train, full_isbi = data.load_cifar10("train"), data.load_isbi2012("train")
    monkeypatch.setenv("CNNCOURSE_TINY", "1")
    train, isbi = data.load_cifar10("train"), data.load_isbi2012("train")
    assert torch.bincount(train.labels).tolist() == [20] * 10  # a few images of each class
    assert isbi.ids == full_isbi.ids and isbi.images.shape == (30, 1, 256, 256)  # every slice, cut to a corner
    assert torch.equal(isbi.masks, full_isbi.masks[:, :256, :256]) and len(full_train) > len(train)


def test_second_load_comes_from_the_tensor_cache_quickly(needs_data, private_cache):
    data.load_cifar10("test")
    cached = list((private_cache / "tensors").glob("cifar10-test-*.pt"))
    assert len(cached) == 1
    start = time.perf_counter()
    data.load_cifar10("test")
    data.load_mnist("test")
    assert time.perf_counter() - start < 5  # well under a second on an idle machine; generous under load


def test_subset_is_balanced_and_seeded(needs_data):
    train = data.load_cifar10("train")
    small = train.subset(7, seed=1)
    assert set(small.counts().values()) == {7}
    assert torch.equal(small.images, train.subset(7, seed=1).images)
    assert not torch.equal(small.images, train.subset(7, seed=2).images)
    assert train.subset(None) is train
    with pytest.raises(ValueError, match="1 or more"):
        train.subset(0)


def test_sample_draws_that_many_images_in_their_order_and_keeps_a_smaller_set_whole(needs_data):
    train = data.load_cifar10("train")
    sample = train.sample(500, seed=1)
    assert len(sample) == 500 and torch.equal(sample.images, train.sample(500, seed=1).images)
    positions = [int((train.images == image).flatten(1).all(1).nonzero()[0]) for image in sample.images[:20]]
    assert positions == sorted(positions)  # the original order, so a sample of a sample is one of the source
    assert not torch.equal(sample.labels, train.sample(500, seed=2).labels)
    assert train.sample(len(train)) is train and train.sample(None) is train and sample.sample(10_000) is sample
    with pytest.raises(ValueError, match="1 or more"):
        train.sample(0)


def test_select_classes_relabels_in_given_order(needs_data):
    pets = data.load_cifar10("test").select_classes(["dog", "cat"])
    assert pets.classes == ("dog", "cat")
    assert pets.counts() == {"dog": 86, "cat": 103} or len(data.load_cifar10("test")) == 10_000
    with pytest.raises(ValueError, match="unknown class name"):
        pets.select_classes(["unicorn"])


def test_grayscale_uses_luma_weights():
    images = torch.tensor([255, 0, 0, 0, 255, 0, 0, 0, 255], dtype=torch.uint8).view(3, 3, 1, 1)
    images = images.expand(3, 3, 2, 2).contiguous()
    gray = data.ImageData(images, torch.zeros(3, dtype=torch.long), ("x",), "train", "toy").grayscale()
    assert gray.images.shape == (3, 1, 2, 2)
    assert gray.images[:, 0, 0, 0].tolist() == [76, 150, 29]  # 0.299, 0.587, 0.114 of 255


def test_downscaled_averages_each_block():
    images = torch.tensor([[0, 10, 200, 201], [20, 31, 255, 255], [1, 1, 0, 0], [1, 2, 0, 0]], dtype=torch.uint8)
    toy = data.ImageData(images.view(1, 1, 4, 4), torch.zeros(1, dtype=torch.long), ("x",), "train", "toy")
    small = toy.downscaled(2)
    assert small.images.dtype == torch.uint8
    assert small.images[0, 0].tolist() == [[15, 228], [1, 0]]  # 61/4 = 15.25, 911/4 = 227.75, 5/4 = 1.25
    assert toy.downscaled(1) is toy


@pytest.mark.parametrize("factor, error, named", [(0, InputValueError, "factor"), (2.0, InputValueError, "factor"),
                                                  (3, InputShapeError, "divide")])
def test_downscaled_rejects_a_factor_that_does_not_fit(factor, error, named):
    toy = data.ImageData(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), torch.zeros(1, dtype=torch.long), ("x",),
                         "train", "toy")
    with pytest.raises(error, match=named):
        toy.downscaled(factor)


def test_split_off_is_disjoint_and_complete():
    toy = data.ImageData(torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1), torch.zeros(10, dtype=torch.long),
                         ("x",), "train", "toy")
    rest, held = toy.split_off(0.3, seed=0)
    values = sorted(rest.images.flatten().tolist() + held.images.flatten().tolist())
    assert len(held) == 3 and values == list(range(10))


def test_image_folder_of_your_own_photos(tmp_path, private_cache):
    for name, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for index in range(2):
            Image.new("RGB", (50, 40), colour).save(tmp_path / "photos" / name / f"{index}.jpg" if index else
                                                     tmp_path / "photos" / name / f"{index}.png")
    photos = data.load_image_folder(tmp_path / "photos", size=16)
    assert photos.classes == ("blue", "red") and photos.images.shape == (4, 3, 16, 16)
    assert photos.images[0, 2].float().mean() > 250 and photos.images[0, 0].float().mean() < 5


def test_corrupt_image_is_named(tmp_path, private_cache):
    (tmp_path / "photos" / "cats").mkdir(parents=True)
    (tmp_path / "photos" / "cats" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataIntegrityError, match=r"broken\.png is not a readable image"):
        data.load_image_folder(tmp_path / "photos")


def test_cifar_file_failing_its_manifest_hash_is_rejected(needs_data, tmp_path, monkeypatch, private_cache):
    copy = tmp_path / "data" / "cifar10"
    shutil.copytree(needs_data / "cifar10" / "test", copy / "test")
    shutil.copy(needs_data / "cifar10" / "MANIFEST.sha256", copy)
    victim = copy / "test" / "cat" / "00000.png"
    Image.new("RGB", (32, 32)).save(victim)  # a valid PNG with the wrong pixels
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "data"))
    with pytest.raises(DataIntegrityError, match=r"00000\.png fails its SHA-256 check"):
        data.load_cifar10("test")
    assert not list((private_cache / "tensors").glob("cifar10-test-*"))  # nothing half-written cached


def test_missing_data_without_network_says_where_it_looked_and_how_to_fix(tmp_path, monkeypatch, private_cache):
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError) as caught:
        data.load_mnist("train", download=False)
    message = str(caught.value)
    assert "MNIST (train split) was not found" in message
    assert str(tmp_path / "empty" / "MNIST" / "raw") in message
    assert str(private_cache / "downloads" / "MNIST" / "raw") in message
    assert "Connect to the internet" in message and "CNNCOURSE_DATA" in message


def test_unreachable_download_becomes_a_clear_error(tmp_path, monkeypatch, private_cache):
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError, match=r"ISBI 2012 EM membranes \(train split\) was not found"):
        data.load_isbi2012("train", base_url="http://127.0.0.1:9/")  # port 9: nothing listens
    assert not list(private_cache.rglob("*.png"))


def test_bad_split_name():
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_cifar10("validation")


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "result.pt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("crash while writing")
    assert list(tmp_path.iterdir()) == []


def test_cached_tensors_rebuilds_a_damaged_cache_file(private_cache):
    calls = []

    def convert():
        calls.append(1)
        return {"x": torch.arange(3)}

    assert torch.equal(cached_tensors("toy", "k", convert)["x"], torch.arange(3))
    path = private_cache / "tensors" / "toy-k.pt"
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="toy-k.pt is empty or not a cnncourse cache file"):
        assert torch.equal(cached_tensors("toy", "k", convert)["x"], torch.arange(3))
    raw = path.read_bytes()
    path.write_bytes(raw[:-200] + bytes([raw[-200] ^ 4]) + raw[-199:])  # one bit: torch.load alone would not notice
    with pytest.warns(UserWarning, match="toy-k.pt fails its checksum"):
        assert torch.equal(cached_tensors("toy", "k", convert)["x"], torch.arange(3))
    cached_tensors("toy", "k", convert)
    assert len(calls) == 3


def test_dataset_status_reports_each_dataset(needs_data):
    statuses = {status.key: status for status in data.dataset_status()}
    assert set(statuses) == {"cifar10", "mnist", "fashion_mnist", "isbi2012"}
    assert statuses["isbi2012"].found_at == needs_data / "isbi2012"
    assert "ready" in statuses["mnist"].advice()


@pytest.mark.parametrize("change, message", [
    ("move", r"missing .*00000\.png.*not listed .*dog/00000\.png"),
    ("delete", r"1 file\(s\) listed .* are missing"),
    ("add", r"1 file\(s\) are not listed there .*extra\.png"),
])
def test_cifar_folder_must_agree_with_its_manifest(needs_data, tmp_path, monkeypatch, private_cache, change, message):
    copy = tmp_path / "data" / "cifar10"
    shutil.copytree(needs_data / "cifar10" / "test", copy / "test")
    shutil.copy(needs_data / "cifar10" / "MANIFEST.sha256", copy)
    cat = copy / "test" / "cat" / "00000.png"
    if change == "move":  # a cat filed as a dog: every hash still matches
        shutil.move(cat, copy / "test" / "dog" / "00000.png")
    elif change == "delete":
        cat.unlink()
    else:
        shutil.copy(cat, copy / "test" / "cat" / "extra.png")
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "data"))
    with pytest.raises(DataIntegrityError, match=message):
        data.load_cifar10("test")


def _write_idx(folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """MNIST's four IDX files (torchvision wants both splits present), with ``images`` and ``labels`` in both."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(images)
    for split in ("train", "t10k"):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(
            np.array([2051, n, 28, 28], dtype=">i4").tobytes() + images.astype(np.uint8).tobytes())
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(
            np.array([2049, n], dtype=">i4").tobytes() + labels.astype(np.uint8).tobytes())


def test_damaged_mnist_files_name_the_dataset_and_the_fix(tmp_path, monkeypatch, private_cache):
    raw = tmp_path / "data" / "MNIST" / "raw"
    _write_idx(raw, np.zeros((5, 28, 28)), np.arange(5))
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "data"))
    assert data.load_mnist("test", download=False).labels.tolist() == [0, 1, 2, 3, 4]
    images_file = raw / "t10k-images-idx3-ubyte"
    images_file.write_bytes(images_file.read_bytes()[:-100])  # truncated
    with pytest.raises(DataIntegrityError, match=r"mnist files .*t10k-images-idx3-ubyte.* truncated or damaged"):
        data.load_mnist("test", download=False)


def test_labels_out_of_range_are_refused(tmp_path, monkeypatch, private_cache):
    _write_idx(tmp_path / "data" / "MNIST" / "raw", np.zeros((3, 28, 28)), np.array([1, 12, 3]))
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "data"))
    with pytest.raises(DataIntegrityError, match=r"'mnist' \(test split\) must lie in 0..9.*run from 1 to 12"):
        data.load_mnist("test", download=False)
    with pytest.raises(DataIntegrityError, match="uint8 tensor"):
        data.ImageData(torch.zeros(2, 1, 4, 4), torch.zeros(2, dtype=torch.long), ("a",), "train", "toy")


def test_a_partly_filled_isbi_folder_says_which_files_are_missing(needs_data, tmp_path, monkeypatch, private_cache):
    copy = tmp_path / "data" / "isbi2012"
    shutil.copytree(needs_data / "isbi2012", copy)
    (copy / "train" / "label" / "7.png").unlink()
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "data"))
    with pytest.raises(DataIntegrityError, match=r"incomplete: 1 of 90 files are missing \(e.g. train/label/7.png\)"):
        data.load_isbi2012("train", download=False)


def _tiny_split() -> data.ImageData:
    return data.ImageData(torch.randint(0, 256, (10, 3, 8, 8), dtype=torch.uint8), torch.arange(10) % 2, ("a", "b"),
                          "train", "tiny")


@pytest.mark.parametrize("call, error, name", [
    (lambda d: d.take(torch.tensor([20])), "InputValueError", "index"),
    (lambda d: d.take(torch.tensor([1.0])), "InputTypeError", "index"),
    (lambda d: d.take(torch.ones(5, dtype=torch.bool)), "InputShapeError", "index"),
    (lambda d: d.subset(2.5), "InputTypeError", "per_class"),
    (lambda d: d.subset(0), "InputValueError", "per_class"),
    (lambda d: d.sample(0), "InputValueError", "count"),
    (lambda d: d.select_classes(["zebra"]), "InputValueError", "names"),
    (lambda d: d.split_off(1.5), "InputValueError", "fraction"),
])
def test_a_split_names_the_argument_it_cannot_use(call, error, name):
    with pytest.raises(getattr(errors, error), match=name):
        call(_tiny_split())


def test_take_keeps_positions_from_the_end_and_boolean_masks():
    split = _tiny_split()
    assert split.take(torch.tensor([-1, 0])).labels.tolist() == [1, 0]
    assert len(split.take(split.labels == 1)) == 5
