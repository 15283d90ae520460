"""The result cache: an analysis that trains nothing (deletions, swaps, probes of trained nets) is computed once.

A re-run of a notebook loads its trainings from the checkpoint cache; this cache does the same for the slow
analyses of those trained nets. A result is stored under a text of everything that decides it (the analysis,
the weights of every model it looks at, every byte of its data, its settings, the precision, torch and the
course's code), compared on load like a checkpoint's, and written atomically (``data.cache``).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Callable, Mapping, TypeVar

import torch
from torch import nn

from .checkpoints import TRAINING_CODE, describe_settings, describe_value, source_fingerprint, weights_fingerprint
from .config import cache_dir, pick_device
from .data.cache import discard, fingerprint, load_tensors, save_atomic
from .errors import CacheFileError, InputTypeError
from .precision import resolve_precision
from .version import __version__

T = TypeVar("T")
RESULT_FORMAT = 1  # the layout of a result's description; a new layout leaves every stored result unused
ANALYSIS_CODE = TRAINING_CODE + ("analysis",)  # what an analysis of a trained model executes


def describe_input(value: object) -> str:
    """A model by its class, layout and weights; a dataset by its tensors; settings as the checkpoint cache does."""
    if isinstance(value, nn.Module):
        return f"{type(value).__qualname__}:{value!r}:{weights_fingerprint(value)}"
    if isinstance(value, Mapping):  # e.g. {name: model}
        return "{" + ", ".join(f"{key!r}: {describe_input(item)}" for key, item in value.items()) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a dataset: its fields, tensors by hash
        return describe_settings(value)
    return describe_value(value)


@functools.lru_cache(maxsize=1)
def analysis_code_fingerprint() -> str:
    """A hash of the code an analysis of a trained model runs: results of other code are not reused."""
    return fingerprint(__version__, source_fingerprint(Path(__file__).resolve().parent, ANALYSIS_CODE))


def result_description(name: str, inputs: tuple) -> str:
    """Everything that decides an analysis' result, as text: stored with the result and checked on load."""
    parts = [("format", RESULT_FORMAT), ("analysis", name), ("inputs", [describe_input(v) for v in inputs]),
             ("precision", resolve_precision("auto", pick_device())), ("torch", torch.__version__.split("+")[0]),
             ("code", analysis_code_fingerprint())]
    return "\n".join(map(str, parts))


def stored_result(name: str | None, compute: Callable[[], T], *inputs: object) -> T:
    """``compute()``, or the result an earlier run stored for the same ``inputs``; ``name=None`` always computes.

    ``inputs`` are everything ``compute`` depends on (models, datasets, tensors, settings); the result may hold
    tensors, numbers, strings, lists, tuples and dicts of them.
    """
    if name is None:
        return compute()
    if not isinstance(name, str) or not name:
        raise InputTypeError(f"name must be a non-empty string naming the analysis, or None; got {name!r}.")
    description = result_description(name, inputs)
    path = cache_dir() / "results" / f"{name}-{fingerprint(description)}.pt"
    if path.exists():
        try:
            stored = load_tensors(path)
            if stored["description"] == description:
                return stored["result"]
        except CacheFileError as error:
            discard(path, error)
    result = compute()
    try:
        save_atomic({"description": description, "result": result}, path)
    except OSError:  # a read-only cache still lets the course run, only more slowly
        pass
    return result
