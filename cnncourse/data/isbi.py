"""ISBI 2012 EM membranes: the pinned public copy, downloaded with pooch and checked file by file."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ..errors import DataIntegrityError
from .cache import parse_manifest
from .sources import not_found

ISBI_CLASSES = ("membrane", "cell interior")  # mask value 0 and 1
ISBI_URL_ENV = "CNNCOURSE_ISBI_URL"
# The public copy named in the data README: zhixuhao/unet at a fixed commit, folder data/membrane/.
ISBI_BASE_URL = ("https://raw.githubusercontent.com/zhixuhao/unet/"
                 "b45af4d458437d8281cc218a07fd4380818ece4a/data/membrane/")


def read_isbi_manifest() -> dict[str, str]:
    """{relative path: SHA-256} of the 90 ISBI 2012 files, shipped with the package."""
    return parse_manifest(resources.files("cnncourse.data").joinpath("isbi2012.sha256").read_text())


def isbi_files_present(folder: Path) -> bool:
    """True if every one of the 90 files is in ``folder`` (their hashes are checked when read)."""
    return folder.is_dir() and not missing_isbi_files(folder)


def missing_isbi_files(folder: Path) -> list[str]:
    """The files of the manifest that ``folder`` lacks (relative paths)."""
    return [path for path in read_isbi_manifest() if not (folder / path).is_file()]


def _split_files(split: str) -> list[str]:
    wanted = ("train/",) if split == "train" else ("test/",)
    return [path for path in read_isbi_manifest() if path.startswith(wanted)]


def fetch_isbi2012(folder: Path, *, base_url: str | None = None, split: str = "train") -> Path:
    """Download the ISBI 2012 files into ``folder`` with pooch, checking each SHA-256; return ``folder``.

    pooch writes each download to a temporary name and renames it only after its hash matched,
    so a failed or tampered download leaves nothing behind. Both splits are fetched, since the
    folder is only recognised when complete.
    """
    import pooch

    base_url = base_url or os.environ.get(ISBI_URL_ENV) or ISBI_BASE_URL
    registry = {path: f"sha256:{digest}" for path, digest in read_isbi_manifest().items()}
    fetcher = pooch.create(path=folder, base_url=base_url.rstrip("/") + "/", registry=registry)
    for path in registry:
        try:
            fetcher.fetch(path, progressbar=False)
        except ValueError as error:  # pooch: "SHA256 hash of downloaded file ... does not match"
            (folder / path).unlink(missing_ok=True)
            raise DataIntegrityError(
                f"The downloaded ISBI 2012 file {path} from {base_url} fails its SHA-256 check, so it was "
                f"deleted ({error}). The server sent a different file; check the address or try later.") from None
        except OSError as error:  # requests' ConnectionError and HTTPError are OSErrors
            raise not_found("isbi2012", split, f"{type(error).__name__}: {error}") from None
    return folder
