"""The expected-values tables of notebook 7: one source (lab.EXPECTED), printed in the guide, well formed.

The notebook itself claims that every model it trains lands inside its dataset's range (nbval runs it
strict in the suite, on the digits and on Fashion-MNIST).
"""

from pathlib import Path

import pytest

from course_utils import data
from course_utils.ch7_vae_lab import lab

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "teaching.md"
DATASETS = sorted(lab.EXPECTED)


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_guide_holds_the_same_table_as_the_package(dataset):
    assert lab.expected_table_markdown(dataset) in GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_range_is_well_formed_and_says_something(dataset):
    table = lab.EXPECTED[dataset]
    assert list(table) == list(lab.EXPECTED["digits"]), "every dataset's table lists the same models"
    for name, want in table.items():
        assert set(want) in ({"elbo"}, {"elbo", "kl", "active"}), name
        for key, (low, high) in want.items():
            assert low < high, (name, key)
        assert want["elbo"][1] <= 0, f"{name}: a log-probability bound is never positive"
        if "kl" in want:
            assert want["kl"][0] >= 0 and want["active"][0] >= 0 and want["active"][1] <= 20


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_ranges_separate_healthy_from_collapsed_models(dataset):
    """A collapsed model (no active unit, KL about 0) must fall outside the β = 1 model's ranges."""
    healthy = lab.EXPECTED[dataset]["β = 1"]
    assert healthy["active"][0] >= 1 and healthy["kl"][0] > 1
    collapsed = lab.EXPECTED[dataset]["β = 784"]
    assert collapsed["active"][1] <= 1 and collapsed["kl"][1] < healthy["kl"][0]


def _loaded(dataset, is_digits):
    return data.LoadedData("a test", dataset, dataset, is_digits, 10, 10, tuple("abcdefghij"), "x")


def test_each_dataset_gets_its_own_table_and_an_unmeasured_one_none():
    assert lab.expected_values(None) is lab.EXPECTED["digits"]
    assert lab.expected_values(_loaded("mnist", True)) is lab.EXPECTED["digits"]
    for dataset in DATASETS:
        if dataset != "digits":
            assert lab.expected_values(_loaded(dataset, False)) is lab.EXPECTED[dataset]
    assert lab.expected_values(_loaded("an unmeasured set", False)) == {}
