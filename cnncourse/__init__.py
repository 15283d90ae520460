"""cnncourse: the package behind the course's notebooks.

    from cnncourse import data, models, plot, train
    profile = cnncourse.set_profile("smoke")   # or CNNCOURSE_PROFILE=smoke
"""

__version__ = "0.1.0"

from . import config, data, metrics, models, plot, train
from .config import PROFILES, Profile, cache_dir, get_profile, pick_device, seed_everything, set_profile
from .errors import CourseError, DataIntegrityError, DataNotFoundError, InputShapeError
from .train import History, evaluate, fit, predict
