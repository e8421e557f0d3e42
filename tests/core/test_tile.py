"""plots.tile lays images out as torchvision's make_grid does (the course needs no torchvision for it)."""

import pytest
import torch

from course_utils import plots

make_grid = pytest.importorskip("torchvision.utils").make_grid


@pytest.mark.parametrize("n, nrow", [(1, 10), (3, 10), (10, 10), (11, 10), (25, 8), (7, 3)])
def test_tile_matches_make_grid(n, nrow):
    images = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(n))
    expected = make_grid(images, nrow=nrow, padding=plots.GRID_PADDING, pad_value=plots.GRID_PAD_VALUE)[0]
    got = plots.tile(images, nrow)
    assert got.shape == expected.shape and torch.equal(got, expected)
