"""Is this machine ready for the course? Versions, device, profile, data and cache, in plain words."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sys
from dataclasses import dataclass

import torch
from packaging.version import Version

from .config import cache_dir, data_dir, get_profile, pick_device
from .data.status import dataset_status

# The oldest versions the course is tested against (the floors of pyproject.toml).
MINIMUM_VERSIONS = {"torch": "2.3", "torchvision": "0.18", "matplotlib": "3.7", "ipywidgets": "8.0",
                    "scikit-image": "0.21", "pooch": "1.7", "tqdm": "4.65"}
MINIMUM_PYTHON = (3, 10)
INSTALL_HINT = 'pip install -e ".[test]"  (from the course folder)'


@dataclass(frozen=True)
class Check:
    """One line of the environment report: what was checked, whether it is fine, and what to do if not."""

    name: str
    ok: bool
    detail: str
    advice: str = ""

    def __str__(self) -> str:
        mark = "ok  " if self.ok else "FIX "
        return f"{mark} {self.name:<14} {self.detail}" + (f"\n      -> {self.advice}" if self.advice else "")


def check_package(name: str, minimum: str) -> Check:
    """Is ``name`` installed in at least version ``minimum``?"""
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, "not installed", f"install it: pip install '{name}>={minimum}' or {INSTALL_HINT}")
    if Version(version) < Version(minimum):
        return Check(name, False, f"{version} (need {minimum} or newer)", f"upgrade it: pip install -U '{name}>={minimum}'")
    return Check(name, True, version)


def check_python() -> Check:
    version = platform.python_version()
    if sys.version_info[:2] < MINIMUM_PYTHON:
        return Check("python", False, f"{version} (need 3.10 or newer)", "install Python 3.10+ (or use Colab)")
    return Check("python", True, version)


def check_device() -> Check:
    device = pick_device()
    if device.type == "cuda":
        return Check("device", True, f"CUDA GPU: {torch.cuda.get_device_name(0)}")
    if device.type == "mps":
        return Check("device", True, "Apple GPU (MPS)")
    threads = torch.get_num_threads()
    return Check("device", True, f"CPU, {threads} thread(s), {os.cpu_count()} core(s)",
                 "no GPU: the 'standard' profile is sized for a laptop CPU; on Colab choose a GPU runtime "
                 "for the 'full' profile")


def check_cache() -> Check:
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        return Check("cache", False, f"{folder} is not writable ({error})",
                     "set CNNCOURSE_CACHE to a folder you can write to")
    free_gb = shutil.disk_usage(folder).free / 1e9
    if free_gb < 1:
        return Check("cache", False, f"{folder}: only {free_gb:.1f} GB free", "free some disk space (about 1 GB)")
    return Check("cache", True, f"{folder} ({free_gb:.0f} GB free)")


def check_environment() -> list[Check]:
    """Every check: Python, packages, device, profile, data folder, cache, datasets."""
    checks = [check_python()] + [check_package(name, minimum) for name, minimum in MINIMUM_VERSIONS.items()]
    checks.append(check_device())
    profile = get_profile()
    checks.append(Check("profile", True, f"{profile.name}: {profile.description}"))
    folder = data_dir()
    if folder is None:
        checks.append(Check("data folder", True, "CNNCOURSE_DATA not set: datasets come from the cache or are downloaded"))
    elif not folder.is_dir():
        checks.append(Check("data folder", False, f"CNNCOURSE_DATA={folder} does not exist",
                            "correct the path, or unset CNNCOURSE_DATA to download the data instead"))
    else:
        checks.append(Check("data folder", True, str(folder)))
    checks.append(check_cache())
    for status in dataset_status():
        checks.append(Check(status.key, True, status.state()))
    return checks


def report(checks: list[Check] | None = None) -> str:
    """The checks as text, with a closing sentence."""
    checks = check_environment() if checks is None else checks
    problems = [check for check in checks if not check.ok]
    ending = ("Everything the course needs is in place." if not problems else
              f"{len(problems)} thing(s) to fix: see the lines marked FIX.")
    return "\n".join(map(str, checks)) + "\n\n" + ending
