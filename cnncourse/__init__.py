"""cnncourse: the package behind the course's notebooks.

    from cnncourse import data, models, plot, recipes, train
    print(cnncourse.start_lesson(profile="smoke"))   # threads, figure style, seeds; or CNNCOURSE_PROFILE=smoke
    history = train.fit(models.resnet20(), data.load_cifar10("train"), recipes.get("resnet-cifar"))

The README's "Layout" section lists every module and what it is for.
"""

from .version import __version__

from . import config, data, metrics, models, plot, train
from .config import PROFILES, Profile, cache_dir, get_profile, pick_device, seed_everything, set_profile
from .errors import CourseError, DataIntegrityError, DataNotFoundError, InputShapeError
from .lesson import Session, start_lesson
from .train import History, Task, evaluate, fit, predict
