"""The package's version: written here only (``pyproject.toml`` reads it), imported without the package's modules."""

__version__ = "0.1.0"
