"""Real datasets, verified and cached, as uint8 tensors; batch transforms on tensors."""

from .cache import atomic_path, cached_tensors, load_tensors, save_atomic, sha256_of
from .colour import EQUAL_LUMA_TINTS, colour_only_task, luma, tint
from ..ops import to_float
from .containers import ImageData, SegmentationData
from .datasets import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    load_cifar10,
    load_fashion_mnist,
    load_image_folder,
    load_isbi2012,
    load_mnist,
)
from .isbi import ISBI_BASE_URL, ISBI_CLASSES, fetch_isbi2012, read_isbi_manifest
from .sources import DATASETS, DatasetInfo, candidate_folders, download_root
from .status import DatasetStatus, dataset_status
from .stats import ChannelStats, channel_stats, mean_of_image_stds, standardizer, stats_standard_error
from .transforms import CIFAR10_MEAN, CIFAR10_STD, Preprocess, denormalize, normalize, random_crop, random_hflip
