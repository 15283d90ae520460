"""Experiment runners: train variants of a model, over seeds, and summarize each result by its spread.

    accuracy = experiments.over_seeds(lambda seed: {"scratch": ..., "transfer": ...})   # {name: Spread}
    print(f"{accuracy['transfer']:.1%}")                      # 64.8% ± 2.1%
    gain = experiments.spread([...])                          # a Spread of per-seed differences
    assert gain.lowest > 0, "better in every seed"

``seeds`` (spreads over seeds), ``runs`` (variants trained from one seed), and the comparisons of lessons 03
(``transfer_learning``) and 06 (``denoising``).
"""

from .denoising import NoiseSweep, average_sweeps, denoise, sweep_noise_levels
from .runs import (Outcome, Variant, final_loss_spreads, final_losses, landscape_along_training, train_each,
                   train_named_model, train_over_seeds)
from .seeds import SEEDS, Spread, below_in_every_seed, over_seeds, spread
from .transfer_learning import compare_transfer, fine_tune_imagenet_vgg16
