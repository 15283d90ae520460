"""The start-here checks say what is wrong and what to do."""

import importlib.metadata

from cnncourse import environment


def test_local_build_tags_and_pre_releases_compare_as_versions(monkeypatch):
    versions = {"torch": "2.14.1+cu130", "ipywidgets": "8.0.0rc1"}
    monkeypatch.setattr(importlib.metadata, "version", versions.__getitem__)
    assert environment.check_package("torch", "2.14").ok  # a local build tag is not a lower version
    assert not environment.check_package("ipywidgets", "8.0").ok  # a release candidate comes before the release


def test_installed_packages_pass():
    check = environment.check_package("torch", "2.3")
    assert check.ok and check.detail == importlib.metadata.version("torch")


def test_old_and_missing_packages_get_advice():
    old = environment.check_package("torch", "99.0")
    assert not old.ok and "need 99.0 or newer" in old.detail and "pip install -U 'torch>=99.0'" in old.advice
    missing = environment.check_package("no-such-package-xyz", "1.0")
    assert not missing.ok and missing.detail == "not installed" and "pip install" in missing.advice


def test_report_lists_every_dataset_and_flags_a_bad_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path / "cache"))
    checks = environment.check_environment()
    names = [check.name for check in checks]
    assert {"cifar10", "mnist", "fashion_mnist", "isbi2012", "device", "profile", "python"} <= set(names)
    bad = next(check for check in checks if check.name == "data folder")
    assert not bad.ok and "does not exist" in bad.detail
    text = environment.report(checks)
    assert "FIX" in text and "thing(s) to fix" in text
    assert "downloads about 170 MB" in text  # CIFAR-10 would be downloaded


def test_unwritable_cache_is_reported(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CNNCOURSE_CACHE", str(blocker / "cache"))
    check = environment.check_cache()
    assert not check.ok and "CNNCOURSE_CACHE" in check.advice


def test_required_packages_leave_out_extras_and_say_when_the_course_is_not_installed(monkeypatch):
    lines = ["torch>=2.3", "numpy>=1.24", 'pytest>=7.4; extra == "test"', 'tomli>=2.0; python_version < "3.0"']
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: lines)
    assert environment.required_packages() == {"torch": "2.3", "numpy": "1.24"}

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "requires", not_installed)
    assert environment.required_packages() is None
    (check,) = environment.check_packages()
    assert check.ok and "not installed" in check.detail and "pip install" in check.advice
