"""The explorers' box: the live widget's view and, for a reader without a kernel, its picture, in ipywidgets 7
(Colab's) as in 8."""

import base64

import ipywidgets as widgets

from cnncourse.widgets.explorer_box import ExplorerBox


def test_the_view_names_the_widget_and_the_bundle_carries_the_picture():
    box = ExplorerBox([widgets.Label("a picture")])
    box.saved_picture = lambda: ("image/png", b"\x89PNG fake")
    view = box._widget_view()  # what ipywidgets 7 displays
    assert view["application/vnd.jupyter.widget-view+json"]["model_id"] == box.model_id
    bundle = box._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == box.model_id
    assert base64.b64decode(bundle["image/png"]) == b"\x89PNG fake"


def test_without_a_picture_the_bundle_is_the_widget_alone():
    assert "image/png" not in ExplorerBox([widgets.Label("nothing drawn yet")])._repr_mimebundle_()
