"""Metrics on model outputs, one module per kind of task."""

from .classification import accuracy, confusion_matrix
from .image_quality import image_quality, psnr, quality_table, ssim
from .segmentation import (PAPER_ISBI2012, dice, error_breakdown, foreground_iou, format_scores, pixel_error,
                           rand_error, rand_error_of_cells, scores_by_threshold, segmentation_scores,
                           threshold_probabilities)
