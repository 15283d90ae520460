"""Atomic, checksummed cache files and the converted-tensor cache: nothing half-written or damaged is ever loaded.

A cache file is one header line, ``cnncourse-cache-v1 <sha256 of the rest>``, then ``torch.save``'s bytes.
``torch.load`` alone does not notice a changed byte in an archive; the header does.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from ..config import cache_dir
from ..errors import CacheFileError

CACHE_MAGIC = b"cnncourse-cache-v1"


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
    """``torch.save`` ``obj`` to ``target`` behind a checksum header, through a temporary file."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    payload = buffer.getvalue()
    header = CACHE_MAGIC + b" " + hashlib.sha256(payload).hexdigest().encode() + b"\n"
    with atomic_path(target) as temporary:
        temporary.write_bytes(header + payload)
    return Path(target)


def load_tensors(path: Path) -> Any:
    """Load a file written by ``save_atomic`` (tensors, lists, dicts, numbers, strings only).

    Raises ``CacheFileError`` naming the file if it is empty, truncated, altered or not a course cache file.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise CacheFileError(f"The cache file {path} cannot be read ({error}).") from None
    header, _, payload = raw.partition(b"\n")
    magic, _, digest = header.partition(b" ")
    if magic != CACHE_MAGIC:
        raise CacheFileError(f"The cache file {path} is empty or not a cnncourse cache file.")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        raise CacheFileError(f"The cache file {path} fails its checksum: it is truncated or damaged.")
    try:
        return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as error:  # the checksum held, so the file was written by an incompatible torch
        raise CacheFileError(f"The cache file {path} cannot be loaded by this torch ({error}).") from None


def discard(path: Path, error: CacheFileError) -> None:
    """Delete a cache file that failed to load, saying which and why; the caller rebuilds it."""
    warnings.warn(f"{error} It was deleted and will be rebuilt.", stacklevel=3)
    Path(path).unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, in hex (read in blocks by pooch, which also checks downloads)."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def fingerprint(*parts: object) -> str:
    """A short stable hash of the string forms of ``parts``."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def cached_tensors(name: str, key: str, convert: Callable[[], dict]) -> dict:
    """Load ``name`` from the tensor cache if converted before with this ``key``; else convert and store it."""
    path = cache_dir() / "tensors" / f"{name}-{key}.pt"
    if path.exists():
        try:
            return load_tensors(path)
        except CacheFileError as error:
            discard(path, error)
    converted = convert()
    try:
        save_atomic(converted, path)
    except OSError:  # a read-only cache still lets the course run, only more slowly
        pass
    return converted


def parse_manifest(text: str) -> dict[str, str]:
    """A ``sha256sum``-style manifest ("<sha256>  <relative path>" per line) as {relative path: sha256}."""
    pairs = (line.split(maxsplit=1) for line in text.splitlines() if line.strip())
    return {path.strip(): digest for digest, path in pairs}
