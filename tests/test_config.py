"""Profiles, seeds, device choice and folders."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import torch

import cnncourse
from cnncourse import config
from cnncourse.precision import resolve_precision


def test_profiles_are_frozen_and_named():
    assert set(config.PROFILES) == {"smoke", "standard", "full"}
    profile = config.get_profile("smoke")
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.train_per_class = 100


def test_profiles_grow_from_smoke_to_full():
    smoke, standard, full = (config.PROFILES[n] for n in ("smoke", "standard", "full"))
    assert smoke.train_per_class < standard.train_per_class
    assert full.train_per_class is None  # all the data


def test_environment_chooses_profile(monkeypatch):
    config.set_profile(None)
    monkeypatch.setenv("CNNCOURSE_PROFILE", "full")
    assert cnncourse.get_profile().name == "full"
    monkeypatch.setenv("CNNCOURSE_PROFILE", "Smoke ")
    assert cnncourse.get_profile().name == "smoke"


def test_set_profile_overrides_environment(monkeypatch):
    monkeypatch.setenv("CNNCOURSE_PROFILE", "full")
    try:
        assert cnncourse.set_profile("smoke").name == "smoke"
        assert cnncourse.get_profile().name == "smoke"
    finally:
        cnncourse.set_profile(None)
    assert cnncourse.get_profile().name == "full"


def test_default_profile_without_environment(monkeypatch):
    monkeypatch.delenv("CNNCOURSE_PROFILE", raising=False)
    expected = "full" if torch.cuda.is_available() and config.gpu_runs_full() else "standard"
    assert config.default_profile_name() == expected


class FakeGpu(NamedTuple):
    """What torch.cuda.get_device_properties reports, for the fields the course reads."""

    name: str
    major: int
    minor: int
    multi_processor_count: int
    total_memory: int


GPUS = {  # compute capability, multiprocessors and memory as each GPU reports them
    "Tesla T4": FakeGpu("Tesla T4", 7, 5, 40, 15 * 2**30),
    "Tesla V100-SXM2-16GB": FakeGpu("Tesla V100-SXM2-16GB", 7, 0, 80, 16 * 2**30),
    "NVIDIA L4": FakeGpu("NVIDIA L4", 8, 9, 58, 22 * 2**30),
    "NVIDIA GeForce RTX 3060": FakeGpu("NVIDIA GeForce RTX 3060", 8, 6, 28, 12 * 2**30),
    "NVIDIA A100-SXM4-40GB": FakeGpu("NVIDIA A100-SXM4-40GB", 8, 0, 108, 40 * 2**30),
    "NVIDIA H100 80GB HBM3": FakeGpu("NVIDIA H100 80GB HBM3", 9, 0, 132, 80 * 2**30),
}


@pytest.mark.parametrize("gpu, expected", [("Tesla T4", "standard"), ("Tesla V100-SXM2-16GB", "standard"),
                                           ("NVIDIA L4", "standard"), ("NVIDIA GeForce RTX 3060", "standard"),
                                           ("NVIDIA A100-SXM4-40GB", "full"), ("NVIDIA H100 80GB HBM3", "full")])
def test_the_gpu_class_decides_the_default_profile_and_says_why(monkeypatch, gpu, expected):
    monkeypatch.delenv("CNNCOURSE_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index=0: GPUS[gpu])
    assert config.default_profile_name() == expected
    reason = config.profile_reason()
    assert gpu in reason and "compute capability" in reason
    assert ("CNNCOURSE_PROFILE=full" in reason) == (expected == "standard")   # how to ask for more
    monkeypatch.setenv("CNNCOURSE_PROFILE", "smoke")   # the learner's setting always wins
    assert config.default_profile_name() == "smoke" and "CNNCOURSE_PROFILE=smoke" in config.profile_reason()


def test_the_reason_names_set_profile_and_the_cpu_default(monkeypatch):
    monkeypatch.delenv("CNNCOURSE_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "without a CUDA GPU" in config.profile_reason()
    try:
        cnncourse.set_profile("smoke")
        assert "start_lesson(profile='smoke')" in config.profile_reason()
    finally:
        cnncourse.set_profile(None)


def test_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match=r"Unknown profile 'huge'.*'full', 'smoke', 'standard'"):
        cnncourse.set_profile("huge")


def test_choose_picks_value_of_profile():
    assert config.get_profile("standard").choose(smoke=1, standard=2, full=3) == 2
    assert config.get_profile("full").choose(smoke=1, standard=2, full=3) == 3


def test_seed_everything_repeats_random_draws():
    cnncourse.seed_everything(123)
    first = torch.rand(3)
    cnncourse.seed_everything(123)
    assert torch.equal(first, torch.rand(3))


def test_pick_device():
    assert cnncourse.pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert cnncourse.pick_device().type == "cuda"
    else:
        assert cnncourse.pick_device().type in ("cpu", "mps")


def test_an_apple_gpu_is_picked_after_cuda_and_gets_the_cpu_lesson_in_fp32(monkeypatch):
    monkeypatch.delenv("CNNCOURSE_PROFILE", raising=False)
    monkeypatch.delenv("CNNCOURSE_PRECISION", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert cnncourse.pick_device().type == "mps"
    assert config.default_profile_name() == "standard"
    assert resolve_precision("auto", cnncourse.pick_device()) == "fp32"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index=0: GPUS["NVIDIA H100 80GB HBM3"])
    assert cnncourse.pick_device().type == "cuda" and config.default_profile_name() == "full"


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path / "c"))
    assert config.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("CNNCOURSE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / "cnncourse"


def test_thread_setting_from_environment(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("CNNCOURSE_THREADS", "1")
        assert config.apply_thread_setting() == 1
        monkeypatch.setenv("CNNCOURSE_THREADS", "many")
        with pytest.raises(ValueError, match="positive whole number"):
            config.apply_thread_setting()
    finally:
        torch.set_num_threads(before)


def test_shown_path_writes_the_home_folder_as_a_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.shown_path(tmp_path / ".cache" / "cnncourse") == str(Path("~") / ".cache" / "cnncourse")
    assert config.shown_path("/srv/data/cifar10") == str(Path("/srv/data/cifar10"))   # outside home: as it is


def test_importing_the_package_leaves_threads_and_figure_style_alone(tmp_path):
    """Only start_lesson() acts on the session: an import in someone's own script changes nothing outside it."""
    code = ("import matplotlib, torch; before = (torch.get_num_threads(), dict(matplotlib.rcParams)); "
            "import cnncourse, cnncourse.plot, cnncourse.widgets; "
            "assert (torch.get_num_threads(), dict(matplotlib.rcParams)) == before, 'the import changed the session'; "
            "session = cnncourse.start_lesson(seed=3); "
            "assert torch.get_num_threads() == 1 and matplotlib.rcParams['font.size'] == 12; "
            "assert session.seed == 5 and session.threads == 1 and session.profile.name == 'smoke'; "
            "print(session)")
    env = {**os.environ, "CNNCOURSE_THREADS": "1", "CNNCOURSE_SEED": "2", "CNNCOURSE_PROFILE": "smoke",
           "MPLBACKEND": "agg"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "seeds from 5 (CNNCOURSE_SEED shifts them), 1 CPU thread for torch" in result.stdout
