"""Is this machine ready for the course? Versions, device, profile, data and cache, in plain words."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sys
from dataclasses import dataclass

import torch
from packaging.requirements import Requirement
from packaging.version import Version

from .config import cache_dir, data_dir, get_profile, gpu_class, pick_device, profile_reason, shown_path
from .data.status import dataset_status
from .language import say

MINIMUM_PYTHON = (3, 10)
INSTALL_HINT = 'pip install -e ".[test]"  (from the course folder)'


def peak_resident_memory_mb() -> float:
    """This process's peak resident memory in MB; NaN where the system does not report it (Windows)."""
    try:
        import resource  # Unix only
    except ImportError:
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # macOS reports bytes, Linux kB


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


def required_packages(distribution: str = "cnncourse") -> dict[str, str] | None:
    """The lowest version of each package the installed course requires (pyproject.toml's floors, read from the
    installed package's metadata; optional extras left out); None where the course is not installed."""
    try:
        lines = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    floors = {}
    for requirement in map(Requirement, lines):
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra (pip install "cnncourse[test]") or another Python's requirement
        lowest = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if lowest:
            floors[requirement.name] = lowest[0]
    return floors


def check_packages() -> list[Check]:
    """Every package the course requires, in at least the version it requires."""
    floors = required_packages()
    if floors is None:
        return [Check("packages", True, say("the course is used from its folder, not installed: versions not checked"),
                      say("to check them: {install}", install=INSTALL_HINT))]
    return [check_package(name, minimum) for name, minimum in floors.items()]


def check_package(name: str, minimum: str) -> Check:
    """Is ``name`` installed in at least version ``minimum``?"""
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, say("not installed"), say("install it: pip install '{name}>={minimum}' or {install}",
                                                             name=name, minimum=minimum, install=INSTALL_HINT))
    if Version(version) < Version(minimum):
        return Check(name, False, say("{version} (need {minimum} or newer)", version=version, minimum=minimum),
                     say("upgrade it: pip install -U '{name}>={minimum}'", name=name, minimum=minimum))
    return Check(name, True, version)


def check_python() -> Check:
    version = platform.python_version()
    if sys.version_info[:2] < MINIMUM_PYTHON:
        return Check("python", False, say("{version} (need {minimum} or newer)", version=version, minimum="3.10"),
                     say("install Python 3.10+ (or use Colab)"))
    return Check("python", True, version)


def check_device() -> Check:
    device = pick_device()
    if device.type == "cuda":
        return Check("device", True, f"CUDA GPU: {gpu_class()}")
    if device.type == "mps":
        return Check("device", True, "Apple GPU (MPS)")
    threads = torch.get_num_threads()
    return Check("device", True,
                 say("CPU, {threads} thread(s), {cores} core(s)", threads=threads, cores=os.cpu_count()),
                 say("no GPU: the 'standard' profile is sized for a laptop CPU; on Colab a GPU runtime (the T4) runs "
                     "it faster"))


def check_cache() -> Check:
    folder = cache_dir()
    shown = shown_path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        return Check("cache", False, say("{folder} is not writable ({error})", folder=shown, error=error),
                     say("set CNNCOURSE_CACHE to a folder you can write to"))
    free_gb = shutil.disk_usage(folder).free / 1e9
    if free_gb < 1:
        return Check("cache", False, say("{folder}: only {free_gb:.1f} GB free", folder=shown, free_gb=free_gb),
                     say("free some disk space (about 1 GB)"))
    return Check("cache", True, say("{folder} ({free_gb:.0f} GB free)", folder=shown, free_gb=free_gb))


def check_environment() -> list[Check]:
    """Every check: Python, packages, device, profile, data folder, cache, datasets."""
    checks = [check_python(), *check_packages()]
    checks.append(check_device())
    profile = get_profile()
    checks.append(Check("profile", True, f"{profile.name}: {profile.describe()}", profile_reason()))
    folder = data_dir()
    if folder is None:
        checks.append(Check("data folder", True,
                            say("CNNCOURSE_DATA not set: datasets come from the cache or are downloaded")))
    elif not folder.is_dir():
        checks.append(Check("data folder", False,
                            say("CNNCOURSE_DATA={folder} does not exist", folder=shown_path(folder)),
                            say("correct the path, or unset CNNCOURSE_DATA to download the data instead")))
    else:
        checks.append(Check("data folder", True, shown_path(folder)))
    checks.append(check_cache())
    for status in dataset_status():
        checks.append(Check(status.key, True, status.state()))
    return checks


def report(checks: list[Check] | None = None) -> str:
    """The checks as text, with a closing sentence."""
    checks = check_environment() if checks is None else checks
    problems = [check for check in checks if not check.ok]
    ending = (say("Everything the course needs is in place.") if not problems else
              say("{count} thing(s) to fix: see the lines marked FIX.", count=len(problems)))
    return "\n".join(map(str, checks)) + "\n\n" + ending
