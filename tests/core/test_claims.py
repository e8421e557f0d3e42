"""The claims helper: one line when a claim holds, a note when not (the lesson goes on), an error when strict;
and a real notebook whose claim is made to fail runs to its end without strict mode."""

import os
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient

from course_utils import claims, config, data

ROOT = Path(__file__).resolve().parents[2]


def test_a_claim_that_holds_prints_one_short_line(capsys, monkeypatch):
    monkeypatch.setattr(config, "STRICT", True)
    assert (
        claims.claim(
            torch.tensor(True),
            "the VAE covers more of the prior",
            measured="VAE 59%, AE 27%",
            why="short runs differ",
        )
        is True
    )
    out = capsys.readouterr().out
    assert out == "✓ the VAE covers more of the prior (VAE 59%, AE 27%).\n"


def test_a_failed_claim_shows_a_note_with_what_was_expected_and_measured(capsys, monkeypatch):
    monkeypatch.setattr(config, "STRICT", False)
    held = claims.claim(
        3 < 2,
        "the denoiser beats the plain model",
        measured="0.31 vs 0.29",
        why="a few epochs may not separate them.",
    )
    out = capsys.readouterr().out
    assert held is False
    assert "Not so in this run: the denoiser beats the plain model" in out
    assert "Measured: 0.31 vs 0.29" in out and "a few epochs may not separate them." in out
    assert "The lesson goes on" in out


def test_a_failed_claim_fails_under_strict_mode_with_the_same_message(monkeypatch):
    monkeypatch.setattr(config, "STRICT", True)
    with pytest.raises(
        claims.ClaimFailed,
        match=r"Expected: A beats B\. Measured: 1 vs 2\. Why a run can differ: "
        r"noise\.",
    ) as info:
        claims.claim(False, "A beats B", measured="1 vs 2", why="noise.")
    assert isinstance(info.value, AssertionError)


def test_a_claim_needs_its_measured_numbers_and_a_reason():
    with pytest.raises(ValueError, match="measured numbers"):
        claims.claim(True, "A beats B", measured=" ", why="noise")


def test_a_digits_only_claim_is_skipped_with_one_line_on_another_dataset(capsys, monkeypatch):
    monkeypatch.setattr(config, "STRICT", True)
    clothes = data.LoadedData(
        "Fashion-MNIST", "fashion-mnist", "Fashion-MNIST", False, 10, 5, tuple("abcdefghij"), "f"
    )
    monkeypatch.setattr(data, "loaded", lambda: clothes)
    assert claims.claim(False, "a 1 is the easiest digit", measured="-", why="-", digits_only=True) is False
    out = capsys.readouterr().out
    assert out.startswith("· Not checked on Fashion-MNIST") and "handwritten digits" in out
    assert out.count("\n") == 1


def _notebook_with_a_failing_claim():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from course_utils.claims import claim\n"
            "claim(0.4 > 0.7, 'the judge reads most analogies as the label asked for',\n"
            "      measured='40% (chance: 10%)', why='clothes are harder to tell apart.')"
        ),
        nbformat.v4.new_code_cell("print('the last cell ran')"),
    ]
    return nb


@pytest.mark.parametrize("strict", ["0", "1"])
def test_in_a_students_run_a_failed_claim_shows_its_note_and_the_notebook_runs_to_the_end(
    strict, monkeypatch
):
    monkeypatch.setenv("COURSE_STRICT", strict)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = _notebook_with_a_failing_claim()
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True)
    client.execute()
    first, last = nb.cells[0].outputs, nb.cells[1].outputs
    if strict == "1":
        assert first[-1]["output_type"] == "error" and first[-1]["ename"] == "ClaimFailed"
        assert "Measured: 40% (chance: 10%)" in first[-1]["evalue"]
        return
    assert not any(o["output_type"] == "error" for o in first)
    note = next(o for o in first if o["output_type"] == "display_data")
    assert (
        "Not so in this run" in note["data"]["text/html"]
        and "40% (chance: 10%)" in note["data"]["text/plain"]
    )
    assert last[0]["text"] == "the last cell ran\n"
