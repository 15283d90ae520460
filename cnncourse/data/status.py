"""Which datasets are present where, and which would be downloaded (for the start-here notebook)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import shown_path
from ..language import say
from .isbi import isbi_files_present
from .sources import DATASETS, candidate_folders


@dataclass(frozen=True)
class DatasetStatus:
    """Where one dataset was found, or what a first load would download."""

    key: str
    title: str
    found_at: Path | None
    download_mb: float
    download_from: str

    def state(self) -> str:
        """Where it is, or what would be downloaded (in the learner's language)."""
        if self.found_at is not None:
            return say("ready, found at {folder}.", folder=shown_path(self.found_at))
        return say("not on this machine yet; the first notebook that needs it downloads about {size_mb:.0f} MB from "
                   "{source}.", size_mb=self.download_mb, source=self.download_from)

    def advice(self) -> str:
        """One plain sentence for the learner."""
        return f"{self.title}: {self.state()}"


def _present(key: str, folder: Path) -> bool:
    if key == "isbi2012":
        return isbi_files_present(folder)
    if folder.name == "cifar10":
        return (folder / "train").is_dir() and (folder / "test").is_dir()
    if folder.name == "cifar-10-batches-py":
        return (folder / "data_batch_1").exists()
    return (folder / "train-images-idx3-ubyte").exists()


def dataset_status() -> list[DatasetStatus]:
    """The status of every dataset the course uses."""
    statuses = []
    for key, info in DATASETS.items():
        found = next((folder for folder in candidate_folders(key) if _present(key, folder)), None)
        statuses.append(DatasetStatus(key, info.title, found, info.download_mb, info.download_from))
    return statuses
