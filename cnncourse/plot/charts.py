"""Charts of results: training curves, quality against noise level, gradient norms across depth, 2-D codes,
metrics against a setting (a threshold, a number of training images), bars, seeds, histograms, tables, and scores
as dots."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from ..errors import InputValueError
from ..history import History

from .base import axes_or_new, compact_number, log_scale
from .style import PALETTE, SMALL_TEXT, capped_width, series_colour

if TYPE_CHECKING:
    from ..baselines import TunedFilter
    from ..experiments import NoiseSweep, Outcome


def training_curves(histories: Mapping[str, History | Outcome | Sequence[History | Outcome]] | History, *,
                    metric: str = "train_loss", per: str = "step", smooth: int = 1, ax: Axes | None = None,
                    title: str = "", logy: bool = False, colours: Mapping[str, str] | None = None,
                    linestyles: Mapping[str, str] | None = None, chance: float | None = None) -> Axes:
    """One curve per run on the same axes: the loss per step, or any metric per epoch.

    A run given as a list of runs (one per seed) is drawn as their median (a seed that diverged to NaN left out:
    one exploding seed would swamp a mean), with a band from the lowest to the highest seed. ``colours`` and
    ``linestyles`` map run names to a colour and a line style (runs not named keep the defaults); ``chance`` draws
    the value of always guessing (a loss of ln 10 for ten classes) as a thin solid grey line behind the curves.
    """
    ax = axes_or_new(ax)
    runs = {histories.label or "run": histories} if isinstance(histories, History) else histories
    seed_counts = {len(run) if isinstance(run, Sequence) else 1 for run in runs.values()}
    shared = seed_counts.pop() if len(seed_counts) == 1 else None   # said once, in the legend's title
    for name, run in runs.items():
        seeds = [getattr(each, "history", each) for each in (run if isinstance(run, Sequence) else [run])]
        style = {"color": colours[name]} if colours and name in colours else {}
        if linestyles and name in linestyles:
            style["linestyle"] = linestyles[name]
        if per == "step":
            curves = np.array([h.smoothed_loss(smooth) if smooth > 1 else h.step_loss for h in seeds])  # (seeds, points)
            last_step = len(seeds[0].step_loss)  # each window's mean is drawn at its last step
            steps = np.arange(last_step - curves.shape[1] + 1, last_step + 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            curves = np.array([h.epochs[metric] for h in seeds])  # (seeds, epochs)
            steps = np.arange(1, curves.shape[1] + 1)
            style["marker"] = "o"
        with warnings.catch_warnings():  # a step where every seed is NaN has no median: left as a gap
            warnings.simplefilter("ignore", RuntimeWarning)
            middle, low, high = np.nanmedian(curves, 0), np.nanmin(curves, 0), np.nanmax(curves, 0)
        label = name + (f" (median of {len(seeds)} seeds)" if len(seeds) > 1 and shared is None else "")
        line, = ax.plot(steps, middle, label=label, **style)
        if len(seeds) > 1:
            ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set_xlabel("training step" if per == "step" else "epoch")
    if chance is not None:
        ax.axhline(chance, color="0.5", linewidth=1.2, zorder=1, label=f"chance ({chance:.2f})")
    ax.set_ylabel("training loss" if per == "step" else metric.replace("_", " "))
    if logy:
        log_scale(ax, "y")
    ax.set_title(title)
    ax.legend(title=f"median of {shared} seeds, band: their range" if shared and shared > 1 else None)
    return ax


def error_curves(runs: Mapping[str, Sequence[History]], *, band: Mapping[str, Sequence[History]] | None = None,
                 colours: Mapping[str, str] | None = None, ax: Axes | None = None, title: str = "") -> Axes:
    """Training error (thin) and test error (bold) in % against epochs, as in He et al.'s Figure 6.

    The training error is the running mean over an epoch's batches, so it is drawn at the epoch's middle; the
    test error is measured at the epoch's end. ``runs`` holds one History per seed for each net; the lines are the
    mean over seeds. The bands are the range over ``band``'s histories of the same net where given (the course's
    own seeds behind a learner's run), else over ``runs``: filled behind the test error, hatched behind the training
    error, so that the two bands of one net (one colour) stay apart.
    """
    ax = axes_or_new(ax, (6, 4))
    banded = False
    for index, (name, histories) in enumerate(runs.items()):
        colour = (colours or {}).get(name, series_colour(index))
        spread = (band or {}).get(name) or histories
        for metric, width, kind, shift, fill in (("train_accuracy", 1.0, "training (epoch mean)", 0.5, False),
                                                 ("val_accuracy", 2.5, "test", 0.0, True)):
            errors = 100 * (1 - np.array([h.epochs[metric] for h in histories]))  # (seeds, epochs)
            epochs = np.arange(1, errors.shape[1] + 1) - shift
            ax.plot(epochs, errors.mean(0), color=colour, linewidth=width, label=f"{name}, {kind}")
            if len(spread) > 1:
                banded = True
                spread_errors = 100 * (1 - np.array([h.epochs[metric] for h in spread]))
                ax.fill_between(np.arange(1, spread_errors.shape[1] + 1) - shift, spread_errors.min(0),
                                spread_errors.max(0), facecolor=to_rgba(colour, 0.15 if fill else 0.0),
                                edgecolor=to_rgba(colour, 0.0 if fill else 0.45), hatch=None if fill else "////",
                                linewidth=0)
    ax.set(xlabel="epoch", ylabel="error (%)", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only: no tick at epoch 2.5
    ax.legend(title="bands: test filled, training hatched" if banded else None)
    return ax


def noise_sweep(sweep: "NoiseSweep", *, trained_at: Mapping[str, float | Sequence[float]] | None = None,
                colours: Mapping[str, str] | None = None, ax: Axes | None = None, title: str = "") -> Axes:
    """PSNR against noise level, one line per method (± one std across seeds as a band, where averaged).

    ``trained_at`` marks, in a model's own colour, the noise it was trained on: a level as a dashed line, a range
    (low, high) as a bar along the bottom of the axes. ``colours`` fixes a method's colour across figures.
    """
    ax = axes_or_new(ax, (9.5, 4))   # the legend goes right of the axes: the curves fill the whole plot
    fixed = {"noisy input": "gray", **(colours or {})}
    colours = {}
    for name, values in sweep.psnr.items():
        style = {"linestyle": ":"} if name == "noisy input" else {}
        if name in fixed:
            style["color"] = fixed[name]
        line, = ax.plot(sweep.noise_levels, values, marker="o", label=name, **style)
        colours[name] = line.get_color()
        if name in sweep.psnr_std and name != "noisy input":  # ± one standard deviation across seeds
            low = [m - s for m, s in zip(values, sweep.psnr_std[name])]
            high = [m + s for m, s in zip(values, sweep.psnr_std[name])]
            ax.fill_between(sweep.noise_levels, low, high, color=line.get_color(), alpha=0.25, linewidth=0)
    for position, (name, noise) in enumerate((trained_at or {}).items()):
        if np.isscalar(noise):
            ax.axvline(noise, color=colours[name], linewidth=1.2, linestyle="--", label=f"{name}: its level")
        else:  # a bar in the bottom strip of the axes, one row per model
            ax.axvspan(*noise, ymin=0.02 + 0.05 * position, ymax=0.05 + 0.05 * position, color=colours[name],
                       alpha=0.8, label=f"{name}: its range")
    ax.set_xlabel("noise standard deviation (images in 0..1)")
    ax.set_ylabel("mean PSNR on test images (dB)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    return ax


def embedding(points: Tensor, labels: Tensor, *, classes: Sequence[str] | None = None, ax: Axes | None = None,
              title: str = "") -> Axes:
    """A scatter plot of 2-D points (N, 2), one colour per class, with each class's name at its centre (names that
    would cover each other are pushed apart, with a line to the centre they name)."""
    ax = axes_or_new(ax, (6, 5))
    points, labels = points.detach().cpu().numpy(), labels.cpu().numpy()
    present = sorted(set(labels.tolist()))
    centres = []
    for c in present:
        chosen = points[labels == c]  # (n_c, 2)
        ax.scatter(chosen[:, 0], chosen[:, 1], s=6, alpha=0.6, color=series_colour(c),
                   label=classes[c] if classes is not None else str(c))
        centres.append(chosen.mean(0))
    centres = np.array(centres)  # (classes, 2)
    for c, centre, place in zip(present, centres, _spread_apart(centres, points)):
        name = classes[c] if classes is not None else str(c)
        moved = not np.allclose(centre, place)
        ax.annotate(name, tuple(centre), xytext=tuple(place), fontsize=SMALL_TEXT, weight="bold", ha="center",
                    va="center",
                    bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": series_colour(c), "alpha": 0.85},
                    arrowprops={"arrowstyle": "-", "color": series_colour(c)} if moved else None)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(title)   # no legend: each class is named at its centre
    return ax


def _spread_apart(centres: np.ndarray, points: np.ndarray, gap: float = 0.07, rounds: int = 200) -> np.ndarray:
    """Label positions near ``centres`` (k, 2) at least ``gap`` apart, in units of the points' range."""
    scale = np.ptp(points, axis=0) + 1e-12
    place = centres / scale
    for _ in range(rounds):
        moved = False
        for i in range(len(place)):
            for j in range(i + 1, len(place)):
                offset = place[j] - place[i]
                distance = float(np.hypot(*offset))
                if distance < gap:
                    direction = offset / distance if distance > 1e-9 else np.array([0.0, 1.0])
                    push = (gap - distance) / 2 * direction
                    place[i] -= push
                    place[j] += push
                    moved = True
        if not moved:
            break
    return place * scale


def gradient_norms(norms: Mapping[str, Sequence[float]], *, ax: Axes | None = None, title: str = "",
                   ylabel: str = "gradient norm ‖g‖", styles: Mapping[str, Mapping[str, object]] | None = None) -> Axes:
    """One line per network: a gradient measure of each weight layer, first layer to last, on a log scale.

    ``styles`` gives a network's line its colour and style
    (``{"plain-56": {"color": plot.PALETTE["vermillion"], "linestyle": "-"}}``), so that a network looks the
    same in every figure.
    """
    ax = axes_or_new(ax, (7, 4))
    for label, values in norms.items():
        ax.semilogy(range(1, len(values) + 1), list(values), label=label, **(styles or {}).get(label, {}))
    ax.set(xlabel="weight layer (1 = first conv, last = classifier)", ylabel=ylabel, title=title)
    ax.legend()
    return ax


def layer_percentiles(outputs: Sequence[Tensor], *, colour: str = PALETTE["blue"], ax: Axes | None = None,
                      title: str = "", ylabel: str = "output value") -> Axes:
    """The distribution of each layer's (or block's) outputs, first to last: the median, the middle 50% and 90%."""
    ax = axes_or_new(ax, (5, 3.5))
    levels = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95])
    quantiles = torch.stack([torch.quantile(_sample(output), levels) for output in outputs]).numpy()  # (layers, 5)
    layers = np.arange(1, len(outputs) + 1)
    ax.fill_between(layers, quantiles[:, 0], quantiles[:, 4], color=colour, alpha=0.15, linewidth=0,
                    label="5-95%")
    ax.fill_between(layers, quantiles[:, 1], quantiles[:, 3], color=colour, alpha=0.35, linewidth=0,
                    label="25-75%")
    ax.plot(layers, quantiles[:, 2], color=colour, label="median")
    ax.set(xlabel="block (1 = first)", ylabel=ylabel, title=title)
    ax.legend()
    return ax


def _sample(values: Tensor, size: int = 1_000_000) -> Tensor:
    """At most ``size`` of the values, evenly spaced (torch.quantile takes at most 16M), as float32."""
    flat = values.detach().flatten().float()
    return flat[:: max(1, len(flat) // size)]


def metric_curves(xs: Sequence[float], curves: Mapping[str, Mapping[str, Sequence[float]]], *, xlabel: str,
                  marks: Mapping[str, float] | None = None, references: Mapping[str, Mapping[str, float]] | None = None,
                  band: Mapping[str, Sequence[Mapping[str, Sequence[float]]]] | None = None,
                  logx: bool = False, colours: Mapping[str, str] | None = None,
                  axes: Sequence[Axes] | None = None) -> list[Axes]:
    """One panel per metric against ``xs``, one line per run (same colour in every panel), one legend below them.

    ``marks`` are x positions drawn dotted ({label: x}); ``references`` are levels drawn in gray, each label in its
    own dashes, {metric: {label: value}}, e.g. a baseline's score; a level far outside a panel's curves is written
    at the panel's top or bottom edge instead, with its value, so that it does not squash the curves into a strip.
    ``band`` {run: [curves of each seed]} shades the range of other seeds' curves behind a run's line; ``colours``
    {run: colour} give each run its role's colour.
    """
    metrics = list(next(iter(curves.values())))
    levels = sorted({label for by_label in (references or {}).values() for label in by_label})
    level_styles = dict(zip(levels, ("--", "-.", (0, (6, 2, 1, 2, 1, 2)))))   # by name: the same across figures
    if axes is None:
        axes = plt.subplots(1, len(metrics), figsize=(capped_width(4.2 * len(metrics)), 3.6), layout="constrained",
                            squeeze=False)[1][0]
    for ax, metric in zip(axes, metrics):
        for index, (name, scores) in enumerate(curves.items()):
            colour = (colours or {}).get(name, series_colour(index))
            ax.plot(xs, scores[metric], marker="o", color=colour, label=name)
            seeds = np.array([curve[metric] for curve in (band or {}).get(name, [])], dtype=float)
            if len(seeds):   # edged in its colour (a black band's tint is gray); its own legend entry
                ax.fill_between(xs, seeds.min(0), seeds.max(0), facecolor=to_rgba(colour, 0.15),
                                edgecolor=to_rgba(colour, 0.5), linewidth=0.8,
                                label=f"{name}: range of {len(seeds)} seeds")
        for label, value in (marks or {}).items():
            ax.axvline(value, color="gray", linestyle=":", linewidth=1)
            ax.annotate(f" {label}", (value, 0.98), xycoords=("data", "axes fraction"), fontsize=10, va="top",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1}, zorder=4)   # over a level
        _reference_levels(ax, (references or {}).get(metric, {}), level_styles)
        ax.set(xlabel=xlabel, ylabel=metric, title=metric, xscale="log" if logx else "linear")
        if logx:
            ax.minorticks_off()
            ax.set_xticks(list(xs), [f"{x:g}" for x in xs])
    entries = {label: handle for ax in axes for handle, label in zip(*ax.get_legend_handles_labels())}
    columns = len(curves) if band else min(len(entries), 3)   # with bands: each run above its band
    axes[0].figure.legend(entries.values(), entries.keys(), loc="outside lower center", ncol=columns)
    return list(axes)


def _reference_levels(ax: Axes, levels: Mapping[str, float], styles: Mapping[str, str | tuple]) -> None:
    """Each level as a gray line in its own dashes; a level more than the curves' own span away from them as its
    label and value at the top (or bottom) edge of the panel, so that it does not squash the curves."""
    low, high = ax.dataLim.y0, ax.dataLim.y1   # the curves and bands drawn so far
    span = max(high - low, 1e-12)
    above, below = [], []
    for label, value in levels.items():
        if value > high + span:
            above.append(f"{label}: {value:.3g}")
        elif value < low - span:
            below.append(f"{label}: {value:.3g}")
        else:
            ax.axhline(value, color="gray", linestyle=styles.get(label, "--"), linewidth=1.2, label=label)
    if not (above or below):
        return
    bottom, top = ax.get_ylim()
    room = {"top": 0.18 + 0.1 * len(above), "bottom": 0.18 + 0.1 * len(below)}   # axes fractions for the notes
    height = (top - bottom) / (1 - (room["top"] if above else 0) - (room["bottom"] if below else 0))
    bottom = bottom - room["bottom"] * height if below else bottom
    ax.set_ylim(bottom, bottom + height)   # the curves keep their place below (or above) the notes
    for lines, (y, align, where) in ((above, (0.98, "top", "above")), (below, (0.02, "bottom", "below"))):
        if lines:
            ax.text(0.98, y, "\n".join([f"off the scale, {where}:", *lines]), transform=ax.transAxes, ha="right", va=align, fontsize=SMALL_TEXT,
                    color="0.3", bbox={"facecolor": "white", "edgecolor": "0.7", "pad": 3}, zorder=4)


def bars(values: Mapping[str, float], *, errors: Mapping[str, float] | None = None,
         references: Mapping[str, float] | None = None, colours: Mapping[str, str] | None = None,
         ylabel: str = "", title: str = "", logy: bool = False, ax: Axes | None = None) -> Axes:
    """One bar per name with its value written on it; ``errors`` as ± error bars, ``references`` as dashed levels.
    With ``logy`` each value is a dot: a bar's length on a log axis depends on where the axis starts, so it would
    show a 44x ratio as a small difference."""
    ax = axes_or_new(ax, (capped_width(1.3 * len(values) + 2.5), 3.4))
    names = list(values)
    heights = [values[name] for name in names]
    colour = [(colours or {}).get(name, series_colour(index)) for index, name in enumerate(names)]
    yerr = [(errors or {}).get(name, 0.0) for name in names] if errors else None
    labels = [compact_number(value) for value in heights]
    if logy:
        ax.errorbar(names, heights, yerr=yerr, fmt="none", ecolor="black", capsize=4)
        ax.scatter(names, heights, color=colour, s=80, zorder=3)
        for name, height, label in zip(names, heights, labels):
            ax.annotate(label, (name, height), xytext=(9, 0), textcoords="offset points", va="center", fontsize=10)
        ax.margins(x=0.25)  # room for the last value, written to the right of its dot
    else:
        drawn = ax.bar(names, heights, color=colour, yerr=yerr, capsize=4, alpha=0.85)
        ax.bar_label(drawn, labels=labels, padding=2, fontsize=10)
    for label, level in (references or {}).items():
        ax.axhline(level, color="gray", linestyle="--", linewidth=1, label=label)
    if references:
        ax.legend()
    if logy:
        log_scale(ax, "y")
    ax.margins(y=0.15)  # room for the values written above the bars
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", labelsize=10, rotation=45 if len(values) > 8 else 0)
    return ax


def seed_points(values: Mapping[str, Sequence[float]], *, ylabel: str = "", title: str = "",
                colours: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Each run's value as a dot (one per seed) and their mean as a bar across, one column per name (left empty for
    a name without runs, for a caller to draw on)."""
    ax = axes_or_new(ax, (1.6 * len(values) + 2.5, 3.6))
    for index, (name, runs) in enumerate(values.items()):
        colour = (colours or {}).get(name, series_colour(index))
        if not runs:
            continue
        offsets = np.linspace(-0.12, 0.12, len(runs)) if len(runs) > 1 else np.zeros(1)
        ax.scatter(index + offsets, runs, color=colour, s=36, zorder=3, label=f"{name}: one dot per seed")
        mean = float(np.mean(runs))
        ax.hlines(mean, index - 0.3, index + 0.3, color=colour, linewidth=2.5)
        ax.annotate(f"mean {mean:.3g}", (index + 0.32, mean), va="center", fontsize=10)
    ax.set_xticks(range(len(values)), list(values))
    ax.set_xlim(-0.6, len(values) - 0.1)
    ax.margins(y=0.25)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def histograms(values: Mapping[str, Tensor | Sequence[float]], *, bins: int = 16, xlabel: str = "",
               title: str = "", colours: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Overlaid histograms over shared bins, each an outline in its colour (filled ones would mix where they
    overlap, into a colour no legend names), with its mean marked by a dashed line."""
    ax = axes_or_new(ax, (6, 3.4))
    arrays = {name: np.asarray(torch.as_tensor(v, dtype=torch.float64).flatten()) for name, v in values.items()}
    edges = np.histogram_bin_edges(np.concatenate(list(arrays.values())), bins=bins)
    for index, (name, array) in enumerate(arrays.items()):
        colour = (colours or {}).get(name, series_colour(index))
        ax.hist(array, bins=edges, histtype="step", linewidth=2.2, color=colour,
                label=f"{name} (mean {array.mean():.2f})")
        ax.axvline(array.mean(), color=colour, linestyle="--", linewidth=1.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.set_title(title)
    ax.legend()
    return ax


def tuning_curves(tuned: Sequence["TunedFilter"], *, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """Each tuned filter's validation PSNR against its parameter, one panel per filter, the chosen one starred."""
    if axes is None:
        axes = plt.subplots(1, len(tuned), figsize=(capped_width(4.4 * len(tuned)), 3.3), layout="constrained",
                            sharey=True)[1]
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    colours = [PALETTE["green"], PALETTE["purple"], PALETTE["orange"]]   # blue and vermillion are 06's two models
    for index, (ax, one) in enumerate(zip(axes, tuned)):
        parameters = list(one.validation_psnr)
        ax.plot(parameters, list(one.validation_psnr.values()), marker="o", color=colours[index % len(colours)])
        best = (one.parameter, one.validation_psnr[one.parameter])
        ax.plot(*best, marker="*", markersize=16, color="black", linestyle="none")
        # named above the star (the highest point: nothing is drawn there), aligned to stay inside the panel
        align = "left" if one.parameter == parameters[0] else "right" if one.parameter == parameters[-1] else "center"
        ax.annotate(f"chosen: {one.label.removeprefix(one.name).strip(' ()')}", best, xytext=(0, 12),
                    textcoords="offset points", ha=align, va="bottom", fontsize=SMALL_TEXT)
        ax.margins(y=0.2)
        ax.set(xlabel="sigma (px)" if one.name == "Gaussian blur" else "window size (px)", title=one.name)
        if len(parameters) <= 6:
            ax.set_xticks(parameters, [f"{p:g}" for p in parameters])
    axes[0].set_ylabel("mean validation PSNR (dB)")
    return axes


def receptive_field_curve(steps: Sequence, *, input_size: int | None = None, ax: Axes | None = None,
                          title: str = "") -> Axes:
    """The receptive field after each conv or pool of a chain (``analysis.receptive_fields``), pools dotted."""
    ax = axes_or_new(ax, (8, 3.4))
    positions = range(1, len(steps) + 1)
    ax.plot(positions, [step.receptive_field for step in steps], marker="o", label="receptive field")
    pools = [index for index, step in zip(positions, steps) if "Pool" in step.layer]
    for index in pools:
        ax.axvline(index, color=PALETTE["vermillion"], linestyle=":", linewidth=1.2,
                   label="pool" if index == pools[0] else None)
    if input_size is not None:
        ax.axhline(input_size, color="gray", linestyle="--", linewidth=1, label=f"input size ({input_size} px)")
    ax.set(xlabel="layer (convolutions and pools, in order)", ylabel="input pixels across", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return ax


def value_table(rows: Mapping[str, Mapping[str, float]], *, label: str = "", title: str = "",
                reference: float | None = None, number_format: str = ".3g", ax: Axes | None = None) -> Axes:
    """A table of numbers drawn as a heat map, each value written in its cell ("diverged" where not finite).

    Rows and columns keep the order given; ``reference`` (for example chance) is marked on the colour bar;
    ``number_format`` formats each value (".2f" keeps a column of similar numbers aligned: 2.00, not 2).
    """
    columns = list(dict.fromkeys(column for row in rows.values() for column in row))
    values = np.array([[rows[row].get(column, np.nan) for column in columns] for row in rows], dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        raise InputValueError("value_table: rows hold no finite value (all missing or NaN); give it numbers.")
    ax = axes_or_new(ax, (1.5 * len(columns) + 2.5, 0.8 * len(rows) + 1.6))
    low, high = float(values[finite].min()), float(values[finite].max())
    if reference is not None:
        low, high = min(low, reference), max(high, reference)
    shown = ax.imshow(np.where(finite, values, high), cmap="viridis_r", vmin=low, vmax=high, aspect="auto")
    bar = plt.colorbar(shown, ax=ax, label=label)
    if reference is not None:  # white under black: visible on the dark end of the scale as on the light one
        bar.ax.axhline(reference, color="white", linewidth=5)
        bar.ax.axhline(reference, color="black", linewidth=2)
    for (r, c), value in np.ndenumerate(values):
        text = format(value, number_format) if np.isfinite(value) else "diverged"
        light_cell = np.isfinite(value) and (value - low) < 0.5 * (high - low)   # viridis_r is light at the low end
        ax.text(c, r, text, ha="center", va="center", fontsize=10, color="black" if light_cell else "white")
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), list(rows))
    ax.tick_params(length=0)
    ax.set_title(title)
    return ax


def _inward(value: float, low: float, high: float) -> str:
    """How to align a value's label so that it stays inside the panel: away from the nearer edge."""
    position = 0.5 if high == low else (value - low) / (high - low)
    return "left" if position < 0.2 else "right" if position > 0.8 else "center"


def score_dots(rows: Mapping[str, Mapping[str, float]], *, colours: Mapping[str, str] | None = None,
               references: Mapping[str, Mapping[str, float]] | None = None, title: str = "",
               axes: Sequence[Axes] | None = None) -> list[Axes]:
    """A table of scores as dots: one panel per metric (its own scale), one row per method, each value written
    beside its dot. Easier to compare than the printed table, row against row. ``references`` are values drawn
    as gray dashed lines across a metric's panel, {metric: {label: value}}, e.g. what the labels themselves score."""
    metrics = list(dict.fromkeys(metric for scores in rows.values() for metric in scores))
    names = list(rows)
    if axes is None:
        size = (capped_width(2.6 * len(metrics) + 2.0), 0.5 * len(names) + 1.5)
        axes = plt.subplots(1, len(metrics), figsize=size, sharey=True, layout="constrained")[1]
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    for ax, metric in zip(axes, metrics):
        values = [rows[name][metric] for name in names if metric in rows[name]]
        low, high = min(values), max(values)
        for row, name in enumerate(names):
            if metric not in rows[name]:
                continue
            value = rows[name][metric]
            ax.scatter(value, row, s=60, zorder=3, color=(colours or {}).get(name, series_colour(row)))
            ax.annotate(f"{value:.4f}", (value, row), xytext=(0, 8), textcoords="offset points", zorder=4,
                        ha=_inward(value, low, high), fontsize=SMALL_TEXT,
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85))   # over a reference line
        for label, value in (references or {}).get(metric, {}).items():
            ax.axvline(value, color="gray", linestyle="--", linewidth=1.2, zorder=1)
            ax.annotate(f"{label} ", (value, 0.02), xycoords=("data", "axes fraction"), ha="right",
                        va="bottom", fontsize=SMALL_TEXT, color="dimgray")   # left of the line: inside the panel
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.margins(x=0.2, y=0.3)
        ax.set_title(metric)
    axes[0].set_yticks(range(len(names)), names)
    axes[0].invert_yaxis()   # the first method on top, as in the printed table
    if title:
        axes[0].figure.suptitle(title)
    return axes
