"""The course's own errors: each says what was wrong and how to fix it."""


class CourseError(Exception):
    """Base class of every error the course raises on purpose."""


class DataNotFoundError(CourseError, FileNotFoundError):
    """A dataset is in none of the places looked and could not be downloaded."""


class DataIntegrityError(CourseError, ValueError):
    """A data file fails its SHA-256 check or cannot be decoded."""


class InputShapeError(CourseError, ValueError):
    """A model, metric or plot received a tensor of the wrong shape or type."""


class InputValueError(CourseError, ValueError):
    """A function received values it cannot use: NaN, a negative noise level, images outside 0..1."""


class InputTypeError(CourseError, TypeError):
    """A function or setting received a value of the wrong kind: text where a number belongs, a tuple for a flag."""


class CacheFileError(CourseError, OSError):
    """A cache file (checkpoint or converted tensors) is empty, truncated, damaged or unreadable."""


class UndescribableError(CourseError, TypeError):
    """A function given to training cannot describe its settings, so no safe checkpoint key can be made."""


class WeightsUnavailableError(CourseError, FileNotFoundError):
    """Pretrained weights are neither in the local cache nor allowed to be downloaded."""


class TranslationError(CourseError, ValueError):
    """A translation catalog cannot translate its notebook: a message missing, untranslated or out of date."""
