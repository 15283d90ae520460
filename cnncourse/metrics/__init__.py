"""Metrics on model outputs, one module per kind of task."""

from .classification import accuracy, confusion_matrix
