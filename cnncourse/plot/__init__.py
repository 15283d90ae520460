"""Plots for every lesson. Each takes ``ax=None`` (or ``axes``) and returns what it drew on.

The course's figure style is set by ``cnncourse.start_lesson()`` (``style.use_course_style``).
"""

from . import diagrams
from .base import axes_or_new, figure_of, log_scale
from .charts import (bars, embedding, error_curves, gradient_norms, histograms, layer_percentiles, metric_curves,
                     noise_sweep, receptive_field_curve, score_dots, seed_points, training_curves, tuning_curves,
                     value_table)
from .images import (CHANNEL_COLOURS, as_display_image, before_after, channel_histograms, feature_maps, filters,
                     image_grid, image_mosaic, restored_examples, segmentation_overlay, show_image, threshold_panels,
                     value_map)
from .style import INPUT_COLOURS, MAX_FIGURE_WIDTH, PALETTE, shades, tint, use_course_style
