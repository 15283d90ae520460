"""Diagrams drawn from the models: layer order and skip position come from running the block, boxes from shapes."""

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Circle, Rectangle
from torch import nn

from cnncourse import models
from cnncourse.models.resnet import BasicBlock, PlainBlock, PreActBlock
from cnncourse.plot import diagrams


def teardown_function():
    plt.close("all")


def test_block_layers_follow_the_call_order_and_find_the_addition():
    x = torch.randn(2, 16, 8, 8)
    plain, plain_add = diagrams.block_layers(PlainBlock(16, 16), x)
    basic, basic_add = diagrams.block_layers(BasicBlock(16, 16), x)
    preact, preact_add = diagrams.block_layers(PreActBlock(16, 16), x)
    assert [text for text, _ in basic] == ["3x3 conv, 16", "batch norm", "ReLU", "3x3 conv, 16", "batch norm", "ReLU"]
    assert plain == basic and plain_add is None and basic_add == 5  # added before the last ReLU
    assert [kind for _, kind in preact][:3] == ["batch norm", "activation", "conv"] and preact_add == 6  # added last
    no_bn, _ = diagrams.block_layers(PlainBlock(16, 32, stride=2, batch_norm=False), x)
    assert [text for text, _ in no_bn] == ["3x3 conv, 32, stride 2", "ReLU", "3x3 conv, 32", "ReLU"]


def test_residual_blocks_draw_one_addition_per_residual_block():
    axes = diagrams.residual_blocks({"plain": PlainBlock(16, 16), "residual": BasicBlock(16, 16)})
    additions = [sum(isinstance(p, Circle) for p in ax.patches) for ax in axes]
    assert additions == [0, 1] and [ax.get_title() for ax in axes] == ["plain", "residual"]


def test_u_shape_draws_a_box_per_stage_and_a_skip_per_level():
    unet = models.unet_small(depth=2, base_width=4)
    stages = unet.stages(torch.zeros(1, 1, 32, 32))
    ax = diagrams.u_shape(stages)
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == len(stages)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2  # one skip connection per level
    assert {"32 x 32", "16 x 16", "8 x 8"} <= {text.get_text() for text in ax.texts}


def test_u_shape_arrows_run_from_box_edge_to_box_edge():
    from matplotlib.patches import FancyArrowPatch

    ax = diagrams.u_shape(models.unet_small(depth=2, base_width=4).stages(torch.zeros(1, 1, 32, 32)))
    boxes = [p.get_bbox() for p in ax.patches if isinstance(p, Rectangle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    starts = [arrow._posA_posB[0] for arrow in arrows]
    inside = [start for start in starts for box in boxes if box.x0 < start[0] < box.x1 and box.y0 < start[1] < box.y1]
    assert arrows and not inside, f"arrows starting inside a box: {inside}"


def test_multichannel_convolution_draws_a_kernel_per_input_and_output_channel():
    conv = nn.Conv2d(3, 2, 3)
    ax = diagrams.multichannel_convolution(conv)
    squares = sum(isinstance(p, Rectangle) for p in ax.patches)
    assert squares == 3 + 2 * (3 + 3 + 1)  # input planes; per output: kernels, responses, feature map
    assert "56 parameters" in ax.get_title()


def test_inception_module_draws_each_branch_from_its_layers():
    from cnncourse.models.inception import GOOGLENET_3A, InceptionModule

    naive = diagrams.inception_module(InceptionModule(192, GOOGLENET_3A, factorized_5x5=False, reductions=False),
                                      in_channels=192)
    reduced = diagrams.inception_module(InceptionModule(192, GOOGLENET_3A, factorized_5x5=False), in_channels=192)
    texts = {text.get_text() for text in reduced.texts}
    assert {"1x1 conv\n192→16", "5x5 conv\n16→32", "15,872\nweights", "concatenate: 256 channels"} <= texts
    assert "5x5 conv\n192→32" in {text.get_text() for text in naive.texts}
    assert "387,072 conv weights" in naive.get_title() and "163,328 conv weights" in reduced.get_title()
    factorized = diagrams.inception_module(InceptionModule(192, GOOGLENET_3A), in_channels=192)
    assert naive.get_ylim() == reduced.get_ylim() == factorized.get_ylim()   # one scale, side by side


def test_padding_and_stride_report_the_output_size_the_layer_returns():
    layers = [nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3, padding=1, stride=2)]
    axes = diagrams.padding_and_stride(layers, size=5)
    assert [ax.get_title().splitlines()[1] for ax in axes] == ["5x5 input → 3x3 output", "5x5 input → 3x3 output"]
    cells = [sum(p.get_linewidth() < 1 for p in ax.patches) for ax in axes]
    assert cells == [25, 49]  # the input alone; with a ring of padding


def test_receptive_field_growth_colours_the_cells_the_top_pixel_depends_on():
    layers = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3))
    ax = diagrams.receptive_field_growth(layers)
    rows: dict[float, int] = {}
    for patch in ax.patches:
        if patch.get_facecolor()[:3] != (1.0, 1.0, 1.0):
            rows[patch.get_y()] = rows.get(patch.get_y(), 0) + 1
    assert [rows[y] for y in sorted(rows)] == [8, 6, 3, 1]  # field 8: input 8, conv 6, pool 3 (jump 2), top 1
    assert "8 input pixels" in ax.get_title()


def test_transfer_modes_colour_each_layer_by_what_its_mode_does_to_it():
    from matplotlib.colors import to_hex

    source = models.vgg_small(num_classes=8)
    ax = diagrams.transfer_modes(source)
    convs = sum(isinstance(m, nn.Conv2d) for m in source.features.modules())
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) == 3 * (convs + 1)   # every conv of the body and the head, in each of the three columns
    fills = [to_hex(box.get_facecolor()).upper() for box in boxes]
    scratch, frozen, slow = fills[:convs], fills[convs + 1:2 * convs + 1], fills[2 * convs + 2:3 * convs + 2]
    assert set(scratch) == {diagrams.TRAINING_FILLS["trained"].upper()}
    assert set(frozen) == {diagrams.TRAINING_FILLS["frozen"].upper()}
    assert set(slow) == {diagrams.TRAINING_FILLS["slow"].upper()}
    assert "pretrained" in next(t.get_text() for t in ax.texts if "frozen" in t.get_text())


def test_u_shape_draws_the_autoencoder_without_skips_and_names_its_steps_as_its_stages_do():
    stages = models.conv_autoencoder().stages(torch.zeros(1, 1, 28, 28))
    ax = diagrams.u_shape(stages)
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == len(stages)
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]  # no skip connection
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["2 x conv3x3", "max-pool 2x2", "upsample x2", "conv3x3 (no activation)"]


def test_resnet_overview_numbers_every_block_and_dashes_the_option_a_skips():
    ax = diagrams.resnet_overview(models.resnet20())
    texts = [text.get_text() for text in ax.texts]
    assert [t for t in texts if t.startswith("block")] == [f"block\n{i}" for i in range(9)]
    assert {"16 channels, 32x32", "32 channels, 16x16", "64 channels, 8x8"} <= set(texts)
    assert "ResNet-20: 19 conv layers and 1 linear layer" in ax.get_title()
    skips = [line.get_linestyle() for line in ax.get_lines() if len(line.get_xdata()) == 3]   # up, over, down
    assert len(skips) == 9 and [i for i, style in enumerate(skips) if style == "--"] == [3, 6]   # option A
    assert sum(isinstance(p, Circle) for p in ax.patches) == 9   # one addition per block
    blocks = [p for p in ax.patches if isinstance(p, Rectangle)][2:11]   # after the input and the stem
    assert [i for i, block in enumerate(blocks) if block.get_hatch()] == [3, 6]   # the shape-changing blocks
    plain = diagrams.resnet_overview(models.plain20())
    assert not any(isinstance(p, Circle) for p in plain.patches) and "plain net-20" in plain.get_title()


def test_unrolled_paths_lists_every_subset_and_counts_paths_by_binomial_coefficients():
    paths_ax, counts_ax = diagrams.unrolled_paths(3, counted_blocks=5)
    lengths = [text.get_text() for text in paths_ax.texts if text.get_text().startswith("length")]
    assert lengths == ["length 0"] + ["length 1"] * 3 + ["length 2"] * 3 + ["length 3"]
    heights = [bar.get_height() * 1e6 for bar in counts_ax.patches]
    assert [round(h) for h in heights] == [1, 5, 10, 10, 5, 1] + [1, 4, 6, 4, 1, 0]


def test_unfold_product_reads_its_shapes_off_the_unfolded_tensors():
    ax = diagrams.unfold_product(nn.Conv2d(2, 3, 3, padding=1), in_size=4)
    texts = {text.get_text() for text in ax.texts}
    assert {"filters as rows\n3 x 18", "windows as columns\n18 x 16", "output\n3 x 16", "= 3 maps\nof 4 x 4"} <= texts
    cells = sum(isinstance(p, Rectangle) for p in ax.patches)
    assert cells == 2 * 4 * 4 + 3 * 18 + 18 * 16 + 3 * 16  # input planes, filters, columns, outputs


def test_overlap_tiles_outlines_the_part_every_tile_keeps():
    from cnncourse.models import tiling

    plan = tiling.plan_tiles(models.unet_small(depth=2, base_width=4), 100, 120, tile=64)
    ax = diagrams.overlap_tiles(torch.rand(100, 120), plan)
    kept = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() == plan.output and not p.get_fill()]
    assert len(kept) == len(plan.rows) * len(plan.cols) > 1
    assert f"keeping {plan.output} px" in ax.get_title()
