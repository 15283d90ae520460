"""The package is built in floors: a module imports only from floors below its own (or from inside its own
subpackage), so that no import runs back up and no two parts lean on each other. An import inside a function
counts too; one under ``if TYPE_CHECKING:`` (type hints only) does not."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cnncourse"

FLOORS = [
    {"errors"},
    {"code_strings", "language", "text_table", "validate", "version"},
    {"config", "notebook_setup", "ops"},
    {"data", "history", "precision", "recipes"},
    {"by_hand", "losses", "loop", "metrics", "models", "optim"},
    {"baselines", "checkpoints", "evaluation"},
    {"callbacks", "stored_results"},
    {"analysis", "train"},
    {"course_runs", "environment", "experiments", "translation"},
    {"exercises", "plot"},
    {"benchmark", "lesson", "robustness", "study", "widgets"},
    {"cost"},  # the study's cell timing
    {"site", "__init__"},
]
FLOOR = {part: level for level, parts in enumerate(FLOORS) for part in parts}


def part_of(path: Path) -> str:
    """The top-level module or subpackage a file belongs to: 'train', 'data', '__init__'."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    """The package's top-level parts that ``path`` imports (relative imports), type-checking imports left out."""
    tree = ast.parse(path.read_text())
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and ast.unparse(block.test).endswith("TYPE_CHECKING") for node in ast.walk(block)}
    here = path.relative_to(PACKAGE).parent.parts  # the subpackage the file is in; () at the top
    parts = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level or id(node) in type_only:
            continue
        base = list(here[:len(here) - (node.level - 1)])
        target = base + (node.module.split(".") if node.module else [])
        names = [target + [alias.name] for alias in node.names] if not target else [target]
        parts.update(name[0] for name in names)
    return parts


def test_every_part_of_the_package_has_a_floor():
    parts = {part_of(path) for path in PACKAGE.rglob("*.py")}
    assert parts - FLOOR.keys() == set(), "Give each new module or subpackage a floor in FLOORS."


def test_imports_run_only_down_the_floors():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = part_of(path)
        for target in imported_parts(path) - {source}:
            if FLOOR[target] >= FLOOR[source]:
                upward.append(f"{path.relative_to(PACKAGE)} (floor {FLOOR[source]}) imports {target} "
                              f"(floor {FLOOR[target]})")
    assert not upward, "Imports that run up or sideways:\n" + "\n".join(upward)
