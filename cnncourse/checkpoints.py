"""The checkpoint cache: a trained model is stored under a text that says everything that decided it.

The text (model, profile, recipe, seed, every byte of the data, the loss and ``prepare`` with their settings,
the starting weights, torch version and the source of the training code) is stored inside the checkpoint and compared
on load, so a checkpoint is reused only for exactly the same run. Files are checksummed and written
atomically (``data.cache``): a damaged one is named in a warning, deleted and trained again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import types
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from .config import cache_dir, get_profile
from .data.cache import atomic_path, discard, fingerprint, load_tensors, save_atomic
from .errors import CacheFileError, UndescribableError
from .language import say
from .version import __version__


def describe_settings(function: object) -> str:
    """A stable text of a callable and of every setting that changes what it computes.

    Dataclasses (``Preprocess``, ``NoisyPairs``, ...) by their fields, modules (``nn.CrossEntropyLoss(
    label_smoothing=0.1)``) by their attributes and tensors, ``functools.partial`` by its arguments, plain
    functions by their code, classes by their name. A closure or a lambda that captures values cannot say what it captured:
    it is refused, so two different runs can never share a checkpoint.
    """
    if dataclasses.is_dataclass(function) and not isinstance(function, type):
        fields = (f"{f.name}={describe_value(getattr(function, f.name))}" for f in dataclasses.fields(function))
        return f"{_qualified_name(type(function))}({', '.join(fields)})"
    if isinstance(function, nn.Module):
        settings = sorted((k, describe_value(v)) for k, v in vars(function).items()
                          if not k.startswith("_") and k != "training")
        tensors = sorted((k, describe_value(v)) for k, v in function.state_dict().items())
        return f"{_qualified_name(type(function))}({settings}, {tensors})"
    if isinstance(function, type):  # a class, e.g. the model class a functools.partial builds
        return _qualified_name(function)
    if isinstance(function, functools.partial):
        return (f"partial({describe_settings(function.func)}, {[describe_value(a) for a in function.args]}, "
                f"{sorted((k, describe_value(v)) for k, v in function.keywords.items())})")
    if isinstance(function, types.FunctionType):
        if function.__closure__:
            raise UndescribableError(
                f"{function.__qualname__} captures variables from the code around it, so the checkpoint cache "
                "cannot tell two versions of it apart. Use a dataclass with the values as fields, a "
                "functools.partial, or a function at the top level of a module.")
        code = function.__code__
        return f"{_qualified_name(function)}@{fingerprint(code.co_code, code.co_consts, code.co_names)}"
    raise UndescribableError(
        f"{type(function).__name__} cannot describe its settings for the checkpoint cache; use a dataclass, "
        "an nn.Module, a functools.partial or a top-level function.")


def _qualified_name(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def describe_value(value: object) -> str:
    """A stable text of a setting's value: tensors by their bytes' hash, containers item by item, callables as above."""
    if isinstance(value, Tensor):
        return f"tensor{tuple(value.shape)}:{value.dtype}:{tensor_sha256(value)[:16]}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(describe_value(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {describe_value(v)}" for k, v in sorted(value.items())) + "}"
    if callable(value) and not isinstance(value, type):
        return describe_settings(value)
    return repr(value)


def tensor_sha256(tensor: Tensor) -> str:
    """The SHA-256 of a tensor's bytes (about 1 GB/s: every byte of the data counts, not a sample)."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return hashlib.sha256(flat.view(torch.uint8).numpy()).hexdigest() if flat.numel() else hashlib.sha256().hexdigest()


# The package's modules that a training run executes. Figures, analyses, widgets and exercises are not among
# them, so editing those keeps every checkpoint valid.
TRAINING_CODE = ("__init__.py", "callbacks.py", "checkpoints.py", "config.py", "evaluation.py", "experiments",
                 "history.py", "loop.py", "losses.py", "ops.py", "optim.py", "precision.py", "recipes.py", "train.py",
                 "data", "metrics", "models")


def source_fingerprint(root: Path, parts: tuple[str, ...] = TRAINING_CODE) -> str:
    """A hash of every ``.py`` file under ``root`` among ``parts`` (files or folders), with its path."""
    files = sorted(path for part in parts
                   for path in ([root / part] if part.endswith(".py") else (root / part).rglob("*.py")))
    return fingerprint(*(fingerprint(path.relative_to(root).as_posix(), path.read_bytes()) for path in files))


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the training code: checkpoints made by another version of it are not reused."""
    return fingerprint(__version__, source_fingerprint(Path(__file__).resolve().parent))


def weights_fingerprint(model: nn.Module) -> str:
    """The SHA-256 of every tensor a model holds (weights and buffers): another seed or source, another key."""
    return fingerprint(*((name, tensor_sha256(t)) for name, t in model.state_dict().items()))


KEY_FORMAT = 2  # the layout of a checkpoint's description; a new layout leaves every stored checkpoint unused
_folders_checked: set[Path] = set()


def checkpoint_description(model: nn.Module, run: object, inputs: Tensor, targets: Tensor) -> str:
    """Everything that decides a trained model, as text: stored in its checkpoint and checked on load.

    ``run`` holds the rest (recipe, seed, loss, ``prepare``): a dataclass, described field by field.
    """
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    parts = [("format", KEY_FORMAT), ("model", _qualified_name(type(model)), repr(model)),
             ("profile", get_profile().name),
             ("run", describe_settings(run)),
             ("inputs", tuple(inputs.shape), str(inputs.dtype), tensor_sha256(inputs)),
             ("targets", tuple(targets.shape), str(targets.dtype), tensor_sha256(targets)),
             ("frozen", frozen), ("start", weights_fingerprint(model)),
             ("torch", torch.__version__.split("+")[0]), ("code", code_fingerprint())]
    return "\n".join(map(str, parts))


def checkpoint_path(name: str, description: str) -> Path:
    """Where the checkpoint of the run described by ``description`` lives."""
    folder = cache_dir() / "checkpoints"
    if folder not in _folders_checked:
        _folders_checked.add(folder)
        note_other_code(folder)
    return folder / f"{name}-{fingerprint(description)}.pt"


def note_other_code(folder: Path) -> None:
    """Say once when ``folder`` holds checkpoints of other training code (they are never reused); then mark it as
    this code's."""
    marker, current = folder / "training-code.txt", f"format {KEY_FORMAT}, code {code_fingerprint()}\n"
    if marker.exists() and marker.read_text() == current:
        return
    others = list(folder.glob("*.pt"))  # no marker: written before markers existed, by other code too
    if others:
        size = sum(path.stat().st_size for path in others) / 1e6
        warnings.warn(say("The {count} checkpoints in {folder} ({size_mb:.0f} MB) were trained by another version of "
                          "the course's training code: they are not reused, and models train anew. Delete them to "
                          "free the space.", count=len(others), folder=folder, size_mb=size), stacklevel=3)
    with atomic_path(marker) as temporary:
        temporary.write_text(current)


def save_checkpoint(path: Path, model: nn.Module, description: str, **extra: object) -> None:
    """Store the weights of ``model`` (on the CPU) with ``description`` and ``extra`` entries, atomically."""
    state = {k: v.cpu() for k, v in model.state_dict().items()}
    save_atomic({"state_dict": state, "description": description, **extra}, path)


def load_checkpoint(model: nn.Module, path: Path, description: str) -> dict | None:
    """The stored entries of the run ``description``, its weights loaded into ``model``; None if there is none.

    A damaged file, or one stored for another run under the same hash, is deleted with a warning.
    """
    if not path.exists():
        return None
    try:
        saved = load_tensors(path)
    except CacheFileError as error:
        discard(path, error)
        return None
    if saved.get("description") != description:  # same hash, other run: never load it
        discard(path, CacheFileError(f"The checkpoint {path} was stored for other settings."))
        return None
    model.load_state_dict(saved["state_dict"])
    return saved
