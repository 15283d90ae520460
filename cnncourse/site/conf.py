"""Sphinx settings of the course website (see cnncourse.site): the notebooks as they are, offline maths."""

from pathlib import Path

import jupyter_server_mathjax

from cnncourse.notebook_setup import REPOSITORY

project = "cnncourse"
author = "cnncourse"
extensions = ["myst_nb"]
exclude_patterns = ["README.md"]  # only included, in parts, by the home page
nb_execution_mode = "off"  # the committed outputs of a standard run, never re-executed
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# MathJax from the jupyter-server-mathjax package, shipped with the site: maths typeset without the internet
html_static_path = [str(Path(jupyter_server_mathjax.__file__).parent / "static"), str(Path(__file__).parent / "static")]
html_css_files = ["course.css"]  # code wraps at the column's edge
html_js_files = ["course.js"]  # notebook links download the file
mathjax_path = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
# The packaged MathJax 2 carries the STIX-Web fonts only (as classic Jupyter configured it). myst-nb marks each
# notebook "tex2jax_ignore" (it finds the $...$ itself) and tells MathJax 3, not 2, which classes to typeset.
mathjax2_config = {"HTML-CSS": {"availableFonts": [], "preferredFont": None, "imageFont": None, "webFont": "STIX-Web"},
                   "tex2jax": {"processClass": "tex2jax_process|mathjax_process|math|output_area"}}

html_theme = "sphinx_book_theme"
html_title = "cnncourse"
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "notebooks",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
}
html_show_sourcelink = False

TITLES = {"ko": "cnncourse 한국어판"}


def localize(app, config) -> None:
    """A translation's site (``-D language=ko``): its lessons' notebooks are those of notebooks/<language>."""
    if config.language != "en":
        config.html_theme_options = {**config.html_theme_options, "path_to_docs": f"notebooks/{config.language}"}
        config.html_title = TITLES.get(config.language, f"cnncourse ({config.language})")


def setup(app) -> None:
    app.connect("config-inited", localize)
