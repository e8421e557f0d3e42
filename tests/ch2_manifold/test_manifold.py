"""Notebook 2 (manifold learning): course_utils.ch2_manifold.manifold's measurements and every widget
control."""

import numpy as np
import pytest
import torch
from scipy.integrate import quad

from course_utils import models
from course_utils.ch2_manifold import manifold
from course_utils.ch2_manifold import widgets as manifold_widgets

# ---------------------------------------------------------------------------- measurements


def test_occupied_fraction_counts_cells():
    X = np.array([[0.1, 0.1], [0.15, 0.2], [0.9, 0.9]])  # two of the 4 cells of a 2x2 grid
    assert manifold.occupied_fraction(X, bins=2) == pytest.approx(0.5)
    assert manifold.occupied_fraction(np.array([[1.0, 0.0]]), bins=2) == pytest.approx(
        0.25
    )  # edge stays inside


def test_occupied_fraction_decreases_with_dimension():
    c = manifold.curse_of_dimensionality([1, 2, 4, 6, 8, 12], n_points=500, bins=4)
    assert np.all(np.diff(c["occupied"]) <= 0)
    assert c["occupied"][0] == 1.0 and c["occupied"][-1] < 1e-4


def test_distance_concentration_shrinks_with_dimension():
    c = manifold.curse_of_dimensionality([2, 10, 100], n_points=300)
    assert np.all(np.diff(c["contrast"]) < 0)
    assert c["contrast"][-1] < 1.0 < c["contrast"][0]


def test_relative_contrast_by_hand():
    X = np.array([[0.0], [1.0], [3.0]])  # (far-near)/near: (3-1)/1, (2-1)/1, (3-2)/2
    assert manifold.relative_contrast(X) == pytest.approx((2 + 1 + 0.5) / 3)


def test_pairwise_distances_exact_and_symmetric():
    X = torch.randn(40, 7, dtype=torch.float64)
    D = manifold.pairwise_distances(X)
    assert torch.allclose(D, ((X[:, None] - X[None]) ** 2).sum(-1).sqrt(), atol=1e-12)
    assert torch.equal(D, D.T) and torch.all(D.diagonal() == 0)


def test_geodesic_at_least_euclidean_and_path_is_consistent():
    X, t = manifold.swiss_roll(500, seed=0)
    assert np.all(np.diff(t) >= 0)
    geo, pred = manifold.geodesic_distances(X, n_neighbors=10, return_predecessors=True)
    euclid = manifold.pairwise_distances(X).numpy()
    assert np.isfinite(geo).all()
    assert np.all(geo >= euclid - 1e-9)
    assert geo.max() > 1.5 * euclid.max()  # going around the roll is longer than across it
    path = manifold.geodesic_path(pred, 10, 400)
    assert path[0] == 10 and path[-1] == 400
    steps = sum(np.linalg.norm(X[a] - X[b]) for a, b in zip(path[:-1], path[1:]))
    assert steps == pytest.approx(geo[10, 400])


def test_geodesic_path_disconnected_raises():
    X = np.array([[0.0, 0], [0.1, 0], [10, 0], [10.1, 0]])
    _, pred = manifold.geodesic_distances(X, n_neighbors=1, return_predecessors=True)
    with pytest.raises(ValueError, match="not connected"):
        manifold.geodesic_path(pred, 0, 3)


def test_rank_flip_triple_ranks_differ():
    X, _ = manifold.swiss_roll(800, seed=0)
    geo = manifold.geodesic_distances(X)
    a1 = 800 // 3
    a2, b = manifold.rank_flip_triple(X, geo, a1)
    e = lambda i: np.linalg.norm(X[a1] - X[i])  # noqa: E731
    assert e(b) < e(a2) and geo[a1, a2] < geo[a1, b]


@pytest.mark.parametrize("method", manifold.METHODS)
def test_embed_returns_2d_and_time(method):
    X = np.random.default_rng(0).random((120, 10))
    options = {"max_iter": 250, "perplexity": 10.0} if method == "tsne" else {}
    Z, seconds = manifold.embed(method, torch.as_tensor(X, dtype=torch.float32), **options)
    assert Z.shape == (120, 2) and np.isfinite(Z).all()
    assert isinstance(seconds, float) and seconds > 0


def test_embed_bad_method_names_the_options():
    with pytest.raises(ValueError) as err:
        manifold.embed("umap", np.zeros((5, 3)))
    for name in manifold.METHODS:
        assert name in str(err.value)


def test_knn_accuracy_separated_vs_mixed():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    separated = np.stack([labels * 10.0, np.zeros(200)], 1) + rng.normal(size=(200, 2))
    mixed = rng.normal(size=(200, 2))
    assert manifold.knn_accuracy(separated, labels) == 1.0
    assert manifold.knn_accuracy(mixed, labels) < 0.5


def test_unrolling_score():
    t = np.linspace(0, 1, 50)
    assert manifold.unrolling_score(np.stack([np.sin(t), -t * 3], 1), t) == pytest.approx(1.0)
    assert manifold.unrolling_score(np.random.default_rng(0).random((50, 2)), t) < 0.5


def test_nearest_distance():
    ref = torch.zeros(3, 1, 28, 28)
    ref[1] = 1.0
    q = torch.full((2, 1, 28, 28), 0.25)
    assert torch.allclose(manifold.nearest_distance(q, ref), torch.full((2,), 0.25 * 28))


# ---------------------------------------------------------------------------- widgets


def test_curse_widget_slider_redraws_with_matching_numbers():
    box = manifold_widgets.curse_widget(n_points=200, bins=4, max_dim=20, dim=2)
    before = box.image.value
    assert box.values()["dim"] == 2
    box.controls["dim"].value = 12
    assert box.image.value != before and len(box.image.value) > 1000
    X = manifold.uniform_points(200, 12, 0)
    v = box.values()
    assert v["occupied"] == pytest.approx(manifold.occupied_fraction(X, 4))
    assert v["contrast"] == pytest.approx(manifold.relative_contrast(X))
    assert "d = 12" in box.readout.value and f"{v['contrast']:.3g}" in box.readout.value
    assert list(box.curves["dims"]) == [1, 2, 3, 4, 5, 6, 8, 10, 15, 20]


def test_random_images_button_draws_new_images():
    real = torch.rand(6, 1, 28, 28) * 0.1
    reference = torch.zeros(20, 1, 28, 28)
    box = manifold_widgets.random_images_widget(real, reference, n=4, seed=0)
    generator = torch.Generator().manual_seed(0)  # the widget's draws, in order
    draws = [torch.rand((4, 1, 28, 28), generator=generator) for _ in range(2)]
    first_png = box.image.value
    expected = manifold.nearest_distance(draws[0], reference)
    assert box.values()["random_mean"] == pytest.approx(expected.mean().item())
    box.buttons["draw new random images"].click()
    assert box.image.value != first_png
    expected = manifold.nearest_distance(draws[1], reference)
    v = box.values()
    assert v["random_mean"] == pytest.approx(expected.mean().item())
    assert v["random_min"] == pytest.approx(expected.min().item())
    assert v["real_max"] == pytest.approx(manifold.nearest_distance(real[:4], reference).max().item())
    assert f"{expected.mean():.2f}" in box.readout.value


def test_swiss_roll_widget_sliders_report_both_distances():
    X, t = manifold.swiss_roll(300, seed=0)
    geo, pred = manifold.geodesic_distances(X, return_predecessors=True)
    box = manifold_widgets.swiss_roll_widget(X, t, geo, pred, i=0, j=1)
    for name, value in (("i", 100), ("j", 250)):
        before = box.image.value
        box.controls[name].value = value
        assert box.image.value != before
    v = box.values()
    assert v["euclidean"] == pytest.approx(np.linalg.norm(X[100] - X[250]))
    assert v["geodesic"] == pytest.approx(geo[100, 250])
    assert v["path"][0] == 100 and v["path"][-1] == 250
    assert f"{geo[100, 250]:.2f}" in box.readout.value


def test_interpolation_distance_picker_boxes_and_alpha():
    torch.manual_seed(0)
    model = models.Autoencoder(2, hidden=(16,)).eval()
    images = torch.rand(5, 1, 28, 28)
    reference = torch.rand(10, 1, 28, 28)
    box = manifold_widgets.interpolation_distance_picker(model, images, reference, first=0, second=1)
    alpha, first, second = (box.controls[k] for k in ("alpha", "index0", "index1"))
    assert alpha.value == pytest.approx(0.5)
    pixel_png, readout = box.images[0].value, box.readout.value
    alpha.value = 0.0  # alpha moves both paths and the measurement
    assert box.images[0].value != pixel_png and box.readout.value != readout
    assert box.values()["pixel"] == pytest.approx(float(manifold.nearest_distance(images[:1], reference)[0]))
    second.value = 3  # a new digit B keeps alpha
    assert alpha.value == pytest.approx(0.0) and box.values()["index1"] == 3
    alpha.value = 1.0
    assert box.values()["pixel"] == pytest.approx(float(manifold.nearest_distance(images[3:4], reference)[0]))
    pixel_png = box.images[0].value
    first.value = 2
    alpha.value = 0.0
    assert box.images[0].value != pixel_png
    assert box.values()["pixel"] == pytest.approx(float(manifold.nearest_distance(images[2:3], reference)[0]))
    with torch.no_grad():
        decoded = models.decode_images(model, models.latent_codes(model, images[2:3]))
    assert box.values()["decoded"] == pytest.approx(
        float(manifold.nearest_distance(decoded, reference)[0]), rel=1e-5
    )


# --------------------------------------------------------------------------- exact Swiss-roll geodesic


def test_swiss_roll_geodesic_is_exact_on_simple_pairs_and_checks_its_input():
    t = np.array([5.0, 5.0, 7.0])
    X = np.stack([t * np.cos(t), np.array([0.0, 3.0, 0.0]), t * np.sin(t)], axis=1)
    geo = manifold.swiss_roll_geodesic(X, t)
    assert np.allclose(geo, geo.T) and np.allclose(np.diag(geo), 0)
    assert geo[0, 1] == pytest.approx(3.0)  # same t: straight across the sheet
    arc = quad(lambda u: np.sqrt(1 + u**2), 5.0, 7.0)[0]  # along the spiral, numerically
    assert geo[0, 2] == pytest.approx(arc, rel=1e-8)
    assert geo[0, 2] > np.linalg.norm(X[0] - X[2])  # longer than the chord
    with pytest.raises(ValueError, match="not a noise-free Swiss roll"):
        manifold.swiss_roll_geodesic(X + 0.1, t)
    with pytest.raises(ValueError, match="expected X"):
        manifold.swiss_roll_geodesic(X[:, :2], t)


def test_knn_graph_distance_approximates_the_exact_geodesic_and_too_many_neighbours_shortcut():
    X, t = manifold.swiss_roll(800, seed=0)
    exact = manifold.swiss_roll_geodesic(X, t)
    off = ~np.eye(len(X), dtype=bool)
    ratio = manifold.geodesic_distances(X, n_neighbors=10)[off] / exact[off]
    assert ratio.min() > 0.95 and abs(np.median(ratio) - 1) < 0.1
    shortcut = manifold.geodesic_distances(X, n_neighbors=40)[off] / exact[off]
    assert shortcut.min() < 0.5  # the check in notebook 2 can fail: k = 40 jumps across layers
