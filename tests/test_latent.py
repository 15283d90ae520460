"""PCA projection of codes (against the covariance eigenvectors), nearest-centroid accuracy, the embedding plot."""

from __future__ import annotations

import torch

from cnncourse.analysis import nearest_centroid_accuracy, pca_2d
from cnncourse.plot import embedding as plot_embedding


def test_pca_matches_the_exact_svd_up_to_sign():
    generator = torch.Generator().manual_seed(0)
    codes = torch.randn(200, 4, 3, 3, generator=generator) * torch.linspace(0.1, 3, 36).view(1, 4, 3, 3)
    points = pca_2d(codes)
    assert points.shape == (200, 2)
    flat = codes.flatten(1)
    centred = flat - flat.mean(0)
    covariance = centred.T @ centred / (len(flat) - 1)
    variances, directions = torch.linalg.eigh(covariance)  # ascending
    exact = centred @ directions[:, [-1, -2]]
    for k in range(2):
        assert torch.allclose(points[:, k].abs(), exact[:, k].abs(), atol=1e-3)
    assert points[:, 0].var() > points[:, 1].var()  # the first component carries the most variance


def test_nearest_centroid_accuracy():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    separated = torch.tensor([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5], [-5, 5], [-5, 5.1]])
    assert nearest_centroid_accuracy(separated, labels) == 1.0
    assert nearest_centroid_accuracy(torch.zeros(6, 2), labels) < 0.34


def test_plot_embedding_draws_one_group_per_class():
    points = torch.randn(30, 2)
    labels = torch.arange(30) % 3
    ax = plot_embedding(points, labels, classes=["zero", "one", "two"])
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.texts] == ["zero", "one", "two"]


def test_plot_embedding_keeps_class_names_that_share_a_centre_apart():
    points = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [10.0, 10.0]])
    labels = torch.tensor([0, 1, 2, 2])  # classes 0 and 1 sit on top of each other
    ax = plot_embedding(points, labels)
    placed = [text.get_position() for text in ax.texts]
    scale = 10.0  # the points' range
    assert abs(placed[0][0] - placed[1][0]) + abs(placed[0][1] - placed[1][1]) >= 0.05 * scale
