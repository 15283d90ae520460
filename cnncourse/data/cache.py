"""Atomic writes and the converted-tensor cache: nothing half-written is ever left behind."""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from ..config import cache_dir


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it to ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def save_atomic(obj: Any, target: Path) -> Path:
    """``torch.save`` to ``target`` through a temporary file."""
    with atomic_path(target) as temporary:
        torch.save(obj, temporary)
    return Path(target)


def load_tensors(path: Path) -> Any:
    """Load a file written by ``save_atomic`` (tensors, lists, dicts, numbers, strings only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(*parts: object) -> str:
    """A short stable hash of the string forms of ``parts``."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def cached_tensors(name: str, key: str, convert: Callable[[], dict]) -> dict:
    """Load ``name`` from the tensor cache if converted before with this ``key``; else convert and store it."""
    path = cache_dir() / "tensors" / f"{name}-{key}.pt"
    if path.exists():
        try:
            return load_tensors(path)
        except Exception:  # a cache file from an older torch or a crashed disk: rebuild it
            path.unlink(missing_ok=True)
    converted = convert()
    try:
        save_atomic(converted, path)
    except OSError:  # a read-only cache still lets the course run, only more slowly
        pass
    return converted
