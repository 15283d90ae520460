"""Profiles, seeds, device choice and folders."""

import dataclasses

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
    expected = "full" if torch.cuda.is_available() else "standard"
    assert config.default_profile_name() == expected


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
