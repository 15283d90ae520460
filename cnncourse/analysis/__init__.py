"""Looking at networks: sizes and multiply-adds, receptive fields, gradients, activations, ablations, codes, filters."""

from .ablation import (DAMAGES, deletion_sweep, kept_skill, kept_skill_by_count, random_damage, random_deletions,
                       random_swaps)
from .activations import block_outputs, layer_input_rms
from .embedding import linear_probe_accuracy, nearest_centroid_accuracy, pca_2d
from .filters import colour_share
from .gradients import (LandscapeProbe, first_over_last_stage, landscape_along_gradient, layer_gradient_norms,
                        weight_layers, weight_scale_response)
from .receptive_field import FieldStep, gradient_receptive_field, nonzero_extent, receptive_field, receptive_fields
from .sizes import conv_weight_count, count_parameters, forward_seconds, multiply_adds, parameters_by_child
