"""Plot helpers return what they drew on, accept an ax, and reject wrong shapes clearly."""

import base64
import json
import re
import struct
from pathlib import Path

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt
import pytest
import torch

from cnncourse import plot
from cnncourse.errors import InputShapeError, InputValueError
from cnncourse.train import History

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def teardown_function():
    plt.close("all")


def test_as_display_image_undoes_normalization():
    image = torch.tensor([0.2, 0.4, 0.6]).view(3, 1, 1).expand(3, 2, 2)
    normalized = (image - 0.5) / 0.25
    shown = plot.as_display_image(normalized, mean=(0.5,) * 3, std=(0.25,) * 3)
    assert shown.shape == (2, 2, 3) and torch.allclose(shown[0, 0], torch.tensor([0.2, 0.4, 0.6]))
    assert plot.as_display_image(torch.full((1, 4, 4), 255, dtype=torch.uint8)).shape == (4, 4)


def test_image_grid_titles_are_class_names():
    _, ax = plt.subplots(1, 2)
    axes = plot.image_grid(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), labels=torch.tensor([1, 0]),
                           classes=["cat", "dog"], axes=ax)
    assert [a.get_title() for a in axes] == ["dog", "cat"]


def test_channel_histograms_draws_one_curve_per_channel():
    ax = plot.channel_histograms(torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["R", "G", "B"]
    with pytest.raises(InputShapeError, match=r"\(N, C, H, W\)"):
        plot.channel_histograms(torch.zeros(3, 8, 8))


def test_channel_histograms_keep_their_shape_when_a_channel_is_standardized():
    images = torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8).float() / 255
    standardized = (images - torch.tensor([0.49, 0.48, 0.45]).view(1, 3, 1, 1)) / torch.tensor([0.25, 0.24, 0.26]).view(1, 3, 1, 1)
    before, after = plot.channel_histograms(images).patches, plot.channel_histograms(standardized).patches
    for raw, moved, scale in zip(before, after, (0.25, 0.24, 0.26)):  # the same counts, densities scaled by std
        assert torch.allclose(torch.tensor(moved.get_path().vertices[:, 1]) * (1 / scale),
                              torch.tensor(raw.get_path().vertices[:, 1]), rtol=1e-4)


def test_training_curves_one_line_per_run():
    runs = {"a": History(step_loss=[3, 2, 1]), "b": History(step_loss=[3, 3, 3])}
    _, ax = plt.subplots()
    assert plot.training_curves(runs, ax=ax) is ax
    assert len(ax.get_lines()) == 2 and ax.get_lines()[0].get_ydata().tolist() == [3, 2, 1]
    coloured = plot.training_curves(runs, colours={"b": "tab:red"})
    assert coloured.get_lines()[1].get_color() == "tab:red"
    styled = plot.training_curves(runs, linestyles={"a": "--"})
    assert [line.get_linestyle() for line in styled.get_lines()] == ["--", "-"]


def test_training_curves_of_several_seeds_draw_the_median_and_the_range():
    nan = float("nan")
    runs = {"a": [History(step_loss=[3, 2, 1]), History(step_loss=[5, 2, 3]), History(step_loss=[4, 1e30, nan])],
            "b": History(step_loss=[1, 1, 1])}
    ax = plot.training_curves(runs)
    middle, single = ax.get_lines()   # the median: one exploding or diverged seed does not swamp it
    assert middle.get_ydata().tolist() == [4, 2, 2] and middle.get_label() == "a (median of 3 seeds)"
    assert single.get_label() == "b"   # runs with different seed counts: each line says its own
    shared = plot.training_curves({"a": runs["a"], "c": runs["a"][:2]}, ax=plt.figure().gca())
    assert shared.get_legend().get_title().get_text() == ""
    same = plot.training_curves({"a": runs["a"], "c": runs["a"]}, ax=plt.figure().gca())
    assert [line.get_label() for line in same.get_lines()] == ["a", "c"]   # said once, in the legend's title
    assert same.get_legend().get_title().get_text() == "median of 3 seeds, band: their range"
    (band,) = ax.collections   # one band, for the run with seeds: from its lowest to its highest seed
    vertices = band.get_paths()[0].vertices
    assert {tuple(v) for v in vertices} >= {(1, 3), (1, 5), (2, 1e30), (3, 1), (3, 3)}


def test_smoothed_training_curves_stay_aligned_with_their_steps():
    ax = plot.training_curves({"a": History(step_loss=[4, 2, 0, 2, 4])}, smooth=3)
    line = ax.get_lines()[0]  # means of steps 1-3, 2-4, 3-5, each drawn at its window's last step
    assert line.get_xdata().tolist() == [3, 4, 5] and line.get_ydata() == pytest.approx([2, 4 / 3, 2])


def test_a_short_log_axis_keeps_enough_labels():
    ax = plot.training_curves({"a": History(step_loss=[3000.0, 8.0, 2.5, 1.2])}, logy=True)
    ax.set_ylim(1, 30)  # a short view of a long range: still labelled at 1, 2 and 5
    ax.figure.canvas.draw()
    labels = [tick.get_text() for tick in ax.get_yticklabels() if tick.get_text()]
    assert {"1", "2", "5", "10", "20"} <= set(labels)  # plain numbers at 1, 2, 5 x 10^k, not only "10^0, 10^1"


def test_error_curves_draw_the_seed_mean_thin_for_training_bold_for_test():
    seeds = [History(epochs={"train_accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]}),
             History(epochs={"train_accuracy": [0.7, 0.9], "val_accuracy": [0.6, 0.8]})]
    ax = plot.error_curves({"net": seeds}, colours={"net": "red"})
    training, test = ax.get_lines()
    assert training.get_ydata() == pytest.approx([40, 20]) and test.get_ydata() == pytest.approx([50, 30])
    assert training.get_linewidth() < test.get_linewidth() and training.get_color() == "red"
    assert len(ax.collections) == 2  # a band per error: the range over seeds
    training_band, test_band = ax.collections   # one colour for both: the training band hatched, the test one filled
    assert training_band.get_hatch() and not test_band.get_hatch() and test_band.get_facecolor()[0][3] > 0
    assert ax.get_legend().get_title().get_text() == "bands: test filled, training hatched"
    ax.figure.canvas.draw()
    assert all(tick == int(tick) for tick in ax.get_xticks())  # whole epochs


def test_layer_percentiles_draw_the_median_inside_its_bands():
    outputs = [torch.arange(101.0), 10 * torch.arange(101.0)]  # percentiles are the values themselves
    ax = plot.layer_percentiles(outputs, colour="green")
    median, = ax.get_lines()
    assert median.get_ydata() == pytest.approx([50, 500]) and median.get_color() == "green"
    assert len(ax.collections) == 2  # the middle 90% and 50%


def test_gradient_norms_keep_each_network_in_its_style():
    styles = {"plain": {"color": "red", "linestyle": ":"}}
    ax = plot.gradient_norms({"plain": [1.0, 0.1], "residual": [1.0, 1.0]}, styles=styles)
    plain, residual = ax.get_lines()
    assert plain.get_color() == "red" and plain.get_linestyle() == ":" and residual.get_linestyle() == "-"
    assert ax.get_yscale() == "log"


def test_feature_maps_filters_overlay_and_panels():
    assert len(plot.feature_maps(torch.randn(5, 6, 6), columns=5)) == 5
    assert len(plot.filters(torch.randn(4, 3, 3, 3), columns=4)) == 4
    with pytest.raises(InputShapeError, match="maps\\[0\\]"):
        plot.feature_maps(torch.randn(1, 5, 6, 6))
    ax = plot.segmentation_overlay(torch.zeros(1, 8, 8, dtype=torch.uint8), torch.ones(8, 8, dtype=torch.bool))
    assert ax.get_images()[0].get_array()[0, 0].argmax() == 1  # the label's green drawn over black
    with pytest.raises(InputShapeError, match="same height and width"):
        plot.segmentation_overlay(torch.zeros(1, 8, 8), torch.ones(4, 4))
    panels = plot.before_after({"clean": torch.rand(1, 8, 8), "noisy, PSNR 20.0 dB": torch.rand(1, 8, 8)})
    assert [a.get_title() for a in panels] == ["clean", "noisy, PSNR 20.0 dB"]
    assert plot.figure_of(panels) is panels[0].figure


def test_metric_curves_draw_one_panel_per_metric_and_keep_each_runs_colour():
    curves = {"plain": {"pixel error": [0.2, 0.1], "Rand error": [0.5, 0.4]},
              "weighted": {"pixel error": [0.3, 0.2], "Rand error": [0.6, 0.3]}}
    axes = plot.metric_curves([0.3, 0.5], curves, xlabel="threshold", marks={"0.5": 0.5})
    assert [ax.get_title() for ax in axes] == ["pixel error", "Rand error"]
    assert [line.get_color() for line in axes[0].lines[:2]] == [line.get_color() for line in axes[1].lines[:2]]
    legends = axes[0].figure.legends   # one legend for all panels, below them: none inside covers a curve
    assert len(legends) == 1 and [t.get_text() for t in legends[0].get_texts()] == ["plain", "weighted"]
    named = plot.metric_curves([0.3, 0.5], curves, xlabel="threshold", colours={"weighted": "#D55E00"})
    assert [line.get_color() for line in named[1].lines[:2]] == [plot.PALETTE["blue"], "#D55E00"]
    plt.close("all")


def test_metric_curves_shade_the_range_of_the_seeds_behind_each_run():
    curves = {"elastic": {"pixel error": [0.10, 0.09]}, "none": {"pixel error": [0.12, 0.08]}}
    band = {"elastic": [{"pixel error": [0.11, 0.08]}, {"pixel error": [0.09, 0.10]}]}
    (ax,) = plot.metric_curves([2, 25], curves, xlabel="slices", band=band)
    (shaded,) = ax.collections   # only "elastic" has seeds
    top = shaded.get_paths()[0].vertices[:, 1]
    assert top.max() == pytest.approx(0.11) and top.min() == pytest.approx(0.08)
    labels = [text.get_text() for text in ax.figure.legends[0].get_texts()]
    assert "elastic: range of 2 seeds" in labels   # each band named by its run: a black run's band looks gray
    plt.close("all")


def test_metric_curves_write_a_far_reference_at_the_edge_instead_of_squashing_the_curves():
    curves = {"plain": {"pixel error": [0.10, 0.09]}}
    levels = {"pixel error": {"trivial": 0.20, "threshold": 0.095}}   # 0.20: ten times the curves' span away
    (ax,) = plot.metric_curves([2, 25], curves, xlabel="slices", references=levels)
    drawn = [line for line in ax.lines if line.get_label() == "threshold"]
    assert len(drawn) == 1 and not [line for line in ax.lines if line.get_label() == "trivial"]
    assert [text.get_text() for text in ax.texts] == ["off the scale, above:\ntrivial: 0.2"]
    assert ax.get_ylim()[1] < 0.15   # the axis stays near the curves
    plt.close("all")


def test_training_curves_draw_chance_as_a_solid_light_line_behind_the_curves():
    ax = plot.training_curves({"a": History(step_loss=[2.4, 2.2])}, linestyles={"a": ":"}, chance=2.3)
    curve, chance = ax.get_lines()
    assert chance.get_linestyle() == "-" and chance.get_zorder() < curve.get_zorder()   # not a second dotted line
    assert chance.get_label() == "chance (2.30)"
    plt.close("all")


def test_bars_write_each_value_and_draw_errors_and_references():
    ax = plot.bars({"RGB": 0.59, "grayscale": 0.579}, errors={"RGB": 0.016, "grayscale": 0.016},
                   references={"chance": 0.1})
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.59, 0.579]
    assert {text.get_text() for text in ax.texts} == {"0.59", "0.579"}
    assert len(ax.lines) >= 1 and ax.get_legend().get_texts()[0].get_text() == "chance"


def test_bars_on_a_log_axis_are_dots_with_their_values():
    ax = plot.bars({"0-1": 0.02, "raw": 44.0}, logy=True)
    from matplotlib.collections import PathCollection

    assert not ax.patches and ax.get_yscale() == "log"
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 1 and dots[0].get_offsets()[:, 1].tolist() == [0.02, 44.0]
    assert {text.get_text() for text in ax.texts} == {"0.02", "44"}


def test_score_dots_draw_one_panel_per_metric_and_one_row_per_method():
    rows = {"threshold": {"pixel error": 0.18, "Dice": 0.89}, "U-Net": {"pixel error": 0.09, "Dice": 0.95}}
    axes = plot.score_dots(rows, colours={"U-Net": plot.PALETTE["blue"]})
    assert [ax.get_title() for ax in axes] == ["pixel error", "Dice"]
    assert [tick.get_text() for tick in axes[0].get_yticklabels()] == ["threshold", "U-Net"]
    assert [text.get_text() for text in axes[1].texts] == ["0.8900", "0.9500"]
    u_net = axes[0].collections[1]
    assert u_net.get_offsets()[0].tolist() == [0.09, 1.0]
    assert matplotlib.colors.to_hex(u_net.get_facecolor()[0]) == plot.PALETTE["blue"].lower()


def test_score_dots_draw_a_reference_across_its_metric_panel_only():
    rows = {"threshold": {"pixel error": 0.18, "membrane share": 0.31}, "U-Net": {"pixel error": 0.09,
                                                                                  "membrane share": 0.24}}
    axes = plot.score_dots(rows, references={"membrane share": {"labels": 0.22}})
    assert not axes[0].lines and [line.get_xdata()[0] for line in axes[1].lines] == [0.22]
    assert "labels " in [text.get_text() for text in axes[1].texts]


def test_seed_points_draw_a_dot_per_seed_and_the_mean():
    ax = plot.seed_points({"gray": [0.56, 0.54, 0.53], "colour": [0.55, 0.53, 0.54]})
    from matplotlib.collections import PathCollection

    assert [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)] == [3, 3]
    assert any(text.get_text() == "mean 0.543" for text in ax.texts)
    empty = plot.seed_points({"course": [], "yours": [0.5]})   # a name without runs keeps its column, empty
    assert [tick.get_text() for tick in empty.get_xticklabels()] == ["course", "yours"]
    assert [len(c.get_offsets()) for c in empty.collections if isinstance(c, PathCollection)] == [1]


def test_histograms_share_their_bins_and_mark_each_mean():
    ax = plot.histograms({"start": torch.tensor([0.6, 0.7, 0.8]), "trained": torch.tensor([0.2, 0.5])}, bins=4)
    first, second = (patch.get_xy()[:, 0] for patch in ax.patches)   # each an outline
    assert first.tolist() == second.tolist()  # the same bins
    assert [line.get_xdata()[0] for line in ax.get_lines()] == pytest.approx([0.7, 0.35])


def test_tuning_curves_star_the_chosen_parameter():
    from cnncourse.baselines import TunedFilter

    tuned = [TunedFilter("Gaussian blur", 0.7, {0.5: 12.9, 0.7: 13.7, 1.0: 13.4}),
             TunedFilter("median filter", 3, {3: 15.5, 5: 14.5})]
    axes = plot.tuning_curves(tuned)
    star = axes[0].get_lines()[1]
    assert star.get_xdata().tolist() == [0.7] and star.get_ydata().tolist() == [13.7]
    assert [ax.get_title() for ax in axes] == ["Gaussian blur", "median filter"]


def test_value_map_centres_signed_values_on_white_and_labels_its_colour_bar():
    ax = plot.value_map(torch.tensor([[-2.0, 1.0], [0.0, 0.5]]), label="response")
    image = ax.get_images()[0]
    assert image.get_clim() == (-2.0, 2.0) and image.get_cmap().name == "RdBu_r"
    assert ax.figure.axes[-1].get_ylabel() == "response"
    unsigned = plot.value_map(torch.tensor([[0.0, 3.0]]))
    assert unsigned.get_images()[0].get_clim() == (0.0, 3.0)
    with pytest.raises(InputShapeError, match="one map"):
        plot.value_map(torch.zeros(1, 2, 2))


def test_receptive_field_curve_marks_the_pools():
    from torch import nn

    from cnncourse import analysis

    steps = analysis.receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)))
    ax = plot.receptive_field_curve(steps, input_size=32)
    assert ax.get_lines()[0].get_ydata().tolist() == [3, 4, 8]
    assert [line.get_xdata()[0] for line in ax.get_lines()[1:2]] == [2]  # the pool, dotted


def test_metric_curves_with_a_single_metric():
    axes = plot.metric_curves([20, 56], {"ours": {"parameters": [0.27, 0.85]}, "paper": {"parameters": [0.27, 0.85]}},
                              xlabel="depth")
    assert len(axes) == 1 and len(axes[0].get_lines()) == 2


def test_value_table_writes_every_cell_and_marks_diverged_runs():
    rows = {"with BN": {"lr 0.02": 1.5, "lr 0.5": 1.2}, "without BN": {"lr 0.02": 1.9, "lr 0.5": float("inf")}}
    ax = plot.value_table(rows, label="final loss", reference=2.303)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1.5", "1.2", "1.9", "diverged"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["with BN", "without BN"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lr 0.02", "lr 0.5"]
    bar = ax.figure.axes[-1]   # the reference on the colour bar: black on white, seen at either end of the scale
    assert [(line.get_color(), line.get_ydata()[0]) for line in bar.get_lines()] == [("white", 2.303), ("black", 2.303)]
    aligned = plot.value_table(rows, number_format=".2f")
    assert [t.get_text() for t in aligned.texts] == ["1.50", "1.20", "1.90", "diverged"]
    plt.close("all")
    with pytest.raises(InputValueError, match="finite"):
        plot.value_table({"a": {"b": float("nan")}})


def test_the_course_style_sets_its_text_sizes():
    with matplotlib.rc_context():
        plot.use_course_style()
        assert matplotlib.rcParams["font.size"] == plot.style.COURSE_STYLE["font.size"] == 12
        assert min(matplotlib.rcParams[key] for key in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize")) >= 11


def test_figures_are_at_most_the_course_width():
    ten_columns = plot.image_grid(torch.zeros(20, 3, 8, 8, dtype=torch.uint8), columns=10)
    assert plot.figure_of(ten_columns).get_figwidth() == pytest.approx(plot.MAX_FIGURE_WIDTH)
    assert plot.style.capped_width(20.0) == plot.MAX_FIGURE_WIDTH and plot.style.capped_width(5.0) == 5.0
    sources = "".join("".join(cell["source"]) for path in sorted(NOTEBOOKS.glob("*.ipynb"))
                      for cell in json.loads(path.read_text())["cells"])
    widths = [float(width) for width in re.findall(r"figsize=\(([\d.]+),", sources)]
    assert widths and max(widths) <= plot.MAX_FIGURE_WIDTH  # wider, and JupyterLab shrinks its text below 10 pt



def test_no_figure_text_is_set_below_10_pt():
    """A size written into a plotting function overrides the course style: none may be smaller than 10 pt."""
    package = Path(plot.__file__).resolve().parents[1]
    sources = {path.name: path.read_text() for folder in ("plot", "widgets") for path in (package / folder).glob("*.py")}
    sources["notebooks"] = "".join("".join(cell["source"]) for path in sorted(NOTEBOOKS.glob("*.ipynb"))
                                   for cell in json.loads(path.read_text())["cells"])
    small = {name: found for name, text in sources.items()
             if (found := re.findall(r"\b(?:fontsize|labelsize)=([0-9.]+)", text))
             and min(map(float, found)) < 10}
    assert not small, f"text sizes below 10 pt: {small}"

def test_a_notebook_gets_figures_at_twice_their_resolution():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        plot.use_course_style()
        figure, _ = plt.subplots(figsize=(4, 2))
        png, metadata = shell.display_formatter.formatters["image/png"](figure)
    finally:
        InteractiveShell.clear_instance()
    pixel_width = struct.unpack(">I", base64.b64decode(png)[16:20])[0]  # the PNG header's width
    assert 350 < metadata["width"] <= 400 and pixel_width == 2 * metadata["width"]  # about 4 in x 100 dpi, drawn at 2x


def test_error_curves_draw_a_single_run_over_the_band_of_other_seeds():
    yours = [History(epochs={"train_accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]})]
    course = {"net": [History(epochs={"train_accuracy": [0.5, 0.6], "val_accuracy": [0.3, 0.5]}),
                      History(epochs={"train_accuracy": [0.7, 0.9], "val_accuracy": [0.5, 0.9]})]}
    ax = plot.error_curves({"net": yours}, band=course)
    training, test = ax.get_lines()
    assert training.get_ydata() == pytest.approx([50, 30])  # the line is your run, not the band's mean
    band = ax.collections[1].get_paths()[0].vertices[:, 1]   # the test error's band: from 70/50 down to 50/10
    assert band.max() == pytest.approx(70) and band.min() == pytest.approx(10)
    assert len(plot.error_curves({"net": yours}).collections) == 0  # one run and no band: nothing to shade


def test_every_colour_comes_from_the_course_palette():
    """No matplotlib default colours ("C0"-"C9", "tab:...") in the figures' code, the widgets or the notebooks:
    each role keeps its palette colour across lessons."""
    root = Path(__file__).resolve().parents[1]
    sources = [*(root / "cnncourse" / "plot").glob("*.py"), *(root / "cnncourse" / "widgets").glob("*.py"),
               *(root / "notebooks").glob("*.ipynb")]
    default_colour = re.compile(r"""["'](?:C\d|tab:[a-z]+)["']|f["']C\{""")
    found = [f"{path.name}: {match.group()}" for path in sources for match in default_colour.finditer(path.read_text())]
    assert not found, found


def test_series_without_a_named_colour_take_the_palette_in_order():
    assert plot.style.series_colour(0) == plot.PALETTE["blue"]
    assert len(set(plot.style.CLASS_COLOURS)) == 10 and plot.PALETTE["yellow"] not in plot.style.CLASS_COLOURS
    assert plot.style.series_colour(10) == plot.style.series_colour(0)


def test_a_photograph_is_sent_as_jpeg_and_a_chart_or_a_small_image_as_png():
    import io

    from PIL import Image

    from cnncourse.plot import inline

    photo, axes = plt.subplots(1, 2, figsize=(6, 3))
    axes[0].imshow(torch.rand(300, 300).numpy(), cmap="gray")
    axes[1].plot([0, 1], [1, 0])
    chart, ax = plt.subplots(figsize=(4, 3))
    ax.imshow(torch.rand(32, 32).numpy())   # a CIFAR-sized image: its square pixels stay sharp in a PNG
    assert inline.is_photo(photo) and not inline.is_photo(chart)
    kind, data = inline.picture(photo, dpi=100, tight=False)
    assert kind == "image/jpeg" and Image.open(io.BytesIO(data)).format == "JPEG"
    assert Image.open(io.BytesIO(data)).size == (600, 300)
    kind, data = inline.picture(chart)
    assert kind == "image/png" and Image.open(io.BytesIO(data)).format == "PNG"
    assert inline._as_notebook_output(photo, "image/png") is None   # one figure, one output type
    encoded, size = inline._as_notebook_output(photo, "image/jpeg")   # twice the pixels, shown at the figure's size
    width, height = Image.open(io.BytesIO(base64.b64decode(encoded))).size
    assert size == {"width": width // 2, "height": height // 2} and width > 1000


def test_score_dots_keep_every_value_label_inside_its_panel():
    scores = {"plain": (0.0864, 0.8989, 0.9468, 0.4735, 0.1782), "weighted": (0.1573, 0.8076, 0.8936, 0.4446, 0.3227),
              "weighted, threshold 0.22": (0.1077, 0.8714, 0.9313, 0.4051, 0.2338),
              "everything interior": (0.1990, 0.8010, 0.8895, 0.9073, 0.0)}   # 05's five panels
    metrics = ("pixel error", "foreground IoU", "Dice", "Rand error", "membrane share")
    rows = {name: dict(zip(metrics, values)) for name, values in scores.items()}
    axes = plot.score_dots(rows, references={"membrane share": {"labels": 0.199}})
    figure = axes[0].figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for ax in axes:
        panel = ax.get_window_extent(renderer)
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            assert panel.x0 <= box.x0 and box.x1 <= panel.x1, f"{text.get_text()!r} runs over its panel's edge"
    plt.close(figure)
