"""The expected-values table of notebook 7: one source (lab.EXPECTED), printed in the guide, well formed.

The notebook itself asserts that every model it trains lands inside its range (nbval runs it in the suite).
"""

from pathlib import Path

from course_utils.ch7_vae_lab import lab

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "teaching.md"


def test_the_guide_holds_the_same_table_as_the_package():
    assert lab.expected_table_markdown() in GUIDE.read_text(encoding="utf-8")


def test_every_range_is_well_formed_and_says_something():
    assert len(lab.EXPECTED) == 18
    for name, want in lab.EXPECTED.items():
        assert set(want) in ({"elbo"}, {"elbo", "kl", "active"}), name
        for key, (low, high) in want.items():
            assert low < high, (name, key)
        assert want["elbo"][1] <= 0, f"{name}: a log-probability bound is never positive"
        if "kl" in want:
            assert want["kl"][0] >= 0 and want["active"][0] >= 0 and want["active"][1] <= 20


def test_the_ranges_separate_healthy_from_collapsed_models():
    """A collapsed model (no active unit, KL about 0) must fall outside the β = 1 model's ranges."""
    healthy = lab.EXPECTED["β = 1"]
    assert healthy["active"][0] >= 1 and healthy["kl"][0] > 1
    collapsed = lab.EXPECTED["β = 784"]
    assert collapsed["active"][1] <= 1 and collapsed["kl"][1] < healthy["kl"][0]
