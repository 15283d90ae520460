"""The course's figure style, set by ``cnncourse.start_lesson()``: one set of text sizes, sharp pictures."""

from __future__ import annotations

import matplotlib

from .inline import send_figures_as_pictures

# 12 inches at 100 dpi are 1,200 pixels; JupyterLab shrinks a wider picture to its cell (about 1,000 pixels on a
# laptop), so 12 pt text on a figure at most this wide is still at least 10 pt as the learner sees it
MAX_FIGURE_WIDTH = 12.0
COURSE_STYLE = {"figure.dpi": 100, "savefig.dpi": 200, "font.size": 12, "axes.titlesize": 12, "axes.labelsize": 12,
                "xtick.labelsize": 11, "ytick.labelsize": 11, "legend.fontsize": 11, "figure.titlesize": 13}
# labels packed between a diagram's boxes or beside a chart's points: one step below the text, as the ticks are
SMALL_TEXT = COURSE_STYLE["xtick.labelsize"]
# Okabe & Ito's colour-blind-safe palette: figures take their colours from it by name, one role per colour in a
# lesson (04: warm colours plain nets, cool ones residual nets, lighter shallower; purple without batch norm)
PALETTE = {"blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
           "orange": "#E69F00", "sky blue": "#56B4E9", "yellow": "#F0E442", "black": "#000000"}
# ten colours for ten classes (digits, CIFAR-10): the palette without yellow (too light on white), then Paul Tol's
# wine, teal and grey, also distinguishable with colour blindness
CLASS_COLOURS = (*(colour for name, colour in PALETTE.items() if name != "yellow"), "#882255", "#44AA99", "#999999")


def tint(colour: str, white: float) -> str:
    """``colour`` (a hex string) mixed with ``white`` parts of white in 1: a light fill from the palette."""
    rgb = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * white):02x}" for c in rgb)


def shades(colour: str, count: int) -> list[str]:
    """``count`` shades of one palette colour, the colour itself first, then lighter: one role (say raw inputs) at
    ordered settings."""
    return [tint(colour, 0.65 * i / max(count - 1, 1)) for i in range(count)]


def series_colour(index: int) -> str:
    """The course's colour for the ``index``-th series of a figure that names no colours: the palette in order."""
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


# one colour per recurring role across lessons: a network given colour images, or grayscale copies (01, 02)
INPUT_COLOURS = {"colour": PALETTE["vermillion"], "grayscale": PALETTE["black"]}
# a membrane as the label draws it (05): green, so that vermillion keeps its meaning of a missed membrane
LABEL_MEMBRANE = PALETTE["green"]
# a segmentation's errors, as 05's pictures paint them (RGB 0..255)
MISSED_MEMBRANE = (213, 94, 0)  # vermillion: labelled membrane, predicted interior
FALSE_MEMBRANE = (86, 180, 233)  # sky blue: labelled interior, predicted membrane
PREDICTED_MEMBRANE = (240, 228, 66)  # yellow overlay of the predicted membranes


def use_course_style() -> None:
    """Set the course's text sizes and colours (the palette in order for series that name none); in a notebook,
    figures are sent at twice their resolution ("retina"), photographs as JPEG (``plot.inline``)."""
    matplotlib.rcParams.update({**COURSE_STYLE, "axes.prop_cycle": matplotlib.cycler(color=CLASS_COLOURS)})
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: no notebook to send figures to
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")  # the inline backend's settings (selecting formats resets them), then ours
        send_figures_as_pictures()


def capped_width(width: float) -> float:
    """A figure width in inches, at most ``MAX_FIGURE_WIDTH`` (more panels get narrower ones)."""
    return min(width, MAX_FIGURE_WIDTH)
