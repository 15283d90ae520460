"""The real download path, against a local HTTP server on 127.0.0.1 serving the shared data."""

import shutil

import pytest
import torch

from cnncourse import data
from cnncourse.errors import DataIntegrityError, DataNotFoundError

pytestmark = pytest.mark.network


@pytest.fixture
def offline_layout(monkeypatch, tmp_path):
    """No CNNCOURSE_DATA copy of ISBI 2012 and an empty cache, so the loader must download."""
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "no-data"))
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_isbi2012_downloads_and_verifies_every_file(needs_data, serve, offline_layout):
    url = serve(needs_data / "isbi2012")
    train = data.load_isbi2012("train", base_url=url)
    folder = offline_layout / "downloads" / "isbi2012"
    manifest = data.read_isbi_manifest()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png")) == sorted(manifest)
    for path, digest in manifest.items():
        assert data.sha256_of(folder / path) == digest
    assert train.images.shape == (30, 1, 512, 512) and train.masks.float().mean().item() == pytest.approx(0.7804, abs=1e-3)


def test_second_load_uses_the_download_without_network(needs_data, serve, offline_layout):
    url = serve(needs_data / "isbi2012")
    first = data.load_isbi2012("test", base_url=url)
    again = data.load_isbi2012("test", base_url="http://127.0.0.1:9/")  # nothing listens there now
    assert torch.equal(first.images, again.images)


def test_tampered_download_is_rejected_and_deleted(needs_data, serve, offline_layout, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(needs_data / "isbi2012", mirror)
    victim = mirror / "train" / "label" / "7.png"
    victim.write_bytes(victim.read_bytes()[:-10] + b"tampered!!")
    url = serve(mirror)
    with pytest.raises(DataIntegrityError, match=r"train/label/7\.png .* fails its SHA-256 check, so it was deleted"):
        data.load_isbi2012("train", base_url=url)
    folder = offline_layout / "downloads" / "isbi2012"
    assert not (folder / "train" / "label" / "7.png").exists()
    leftovers = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".png"]
    assert leftovers == []  # no temporary files left behind
    assert not list(offline_layout.rglob("isbi2012-train-*.pt"))  # and no converted tensors either


def test_missing_file_on_server_is_reported(needs_data, serve, offline_layout, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(needs_data / "isbi2012", mirror)
    (mirror / "test" / "3.png").unlink()
    url = serve(mirror)
    with pytest.raises(DataNotFoundError, match=r"ISBI 2012 EM membranes \(test split\).*HTTPError.*404"):
        data.load_isbi2012("test", base_url=url)
