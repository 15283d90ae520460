"""Checks for the notebooks' exercises: each says what is right or wrong in an answer."""

from .feedback import Feedback
