"""Claims a notebook makes about its measured results: a short line when they hold, a note when not.

A *claim* is a statement about numbers a run measured ("the VAE's codes cover more of the prior than the
autoencoder's"). Trained models and data differ from run to run and from dataset to dataset, so a claim
that fails in a student's run must not stop the lesson: it shows a note that says what was expected,
what was measured and why a run can differ, and the notebook goes on. With ``COURSE_STRICT=1`` (the test
suite sets it) a failed claim raises :class:`ClaimFailed` with the same message, so that the course's
own runs catch a claim that no longer holds.

Identity checks ("this hand-written line equals the package's reference") are not claims: they stay
plain ``assert``\\ s, a hard error on every run.

    from course_utils.claims import claim
    claim(vae_cover > ae_cover, "the VAE's codes cover more of the prior than the autoencoder's",
          measured=f"VAE {vae_cover:.0%}, AE {ae_cover:.0%}",
          why="a short training run can leave the VAE's codes less spread out")

A claim about handwritten digits alone takes ``digits_only=True``: on another dataset (Fashion-MNIST,
KMNIST) it is skipped with one line that says so.
"""

from __future__ import annotations

import html

from course_utils import config, data, i18n
from course_utils.i18n import tr

#: The mark before a claim that held, one that was skipped, and one that did not hold.
HELD, SKIPPED, NOT_HELD = "✓", "·", "⚠"


class ClaimFailed(AssertionError):
    """A measured claim that did not hold, raised only under ``COURSE_STRICT=1``."""


def _dataset_is_digits() -> tuple[bool, str]:
    """(whether the images loaded last are handwritten digits, the dataset's name for a message)."""
    loaded = data.loaded()
    if loaded is None:
        return True, "digits"
    return loaded.is_digits, loaded.dataset_title


def claim(holds, statement: str, *, measured: str, why: str, digits_only: bool = False) -> bool:
    """Report whether ``statement`` held in this run; return ``holds`` as a bool.

    ``holds``: the measured condition (a bool, or a one-element tensor). ``measured``: the numbers behind
    it, as the reader should see them. ``why``: one sentence on why a run can differ (shown only when
    the claim fails). Held: prints one line ``✓ statement (measured)``. Not held: a visible note, or
    :class:`ClaimFailed` under ``COURSE_STRICT=1``. ``digits_only``: skipped on a dataset that is not
    handwritten digits.
    """
    if not statement.strip() or not measured.strip() or not why.strip():
        raise ValueError("claim() needs a statement, the measured numbers and a sentence on why runs differ")
    statement, why = i18n.translate(statement), i18n.translate(why)  # written in English in the notebook
    if digits_only:
        is_digits, dataset = _dataset_is_digits()
        if not is_digits:
            print(
                tr(
                    "{mark} Not checked on {dataset}: {statement} is a claim about handwritten digits.",
                    mark=SKIPPED,
                    dataset=dataset,
                    statement=statement,
                )
            )
            return False
    held = bool(holds)
    if held:
        print(tr("{mark} {statement} ({measured}).", mark=HELD, statement=statement, measured=measured))
        return True
    message = tr(
        "Expected: {statement}. Measured: {measured}. Why a run can differ: {why}",
        statement=statement,
        measured=measured,
        why=why,
    )
    if config.STRICT:
        raise ClaimFailed(message)
    _show_note(statement, measured, why)
    return False


def _show_note(statement: str, measured: str, why: str) -> None:
    """A note that stands out in a notebook (HTML), and the same text as plain lines elsewhere."""
    heads = [
        tr("Not so in this run:"),
        tr("Measured:"),
        tr("Why a run can differ:"),
        tr("The lesson goes on."),
    ]
    text = f"{NOT_HELD} {heads[0]} {statement}.\n   {heads[1]} {measured}.\n   {heads[2]} {why} {heads[3]}"
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(text)
        return
    note = (
        '<div style="border-left:4px solid #E69F00;padding:4px 10px;margin:4px 0">'
        f"<b>{NOT_HELD} {heads[0]}</b> {html.escape(statement)}.<br>"
        f"<b>{heads[1]}</b> {html.escape(measured)}.<br>"
        f"<b>{heads[2]}</b> {html.escape(why)} {heads[3]}</div>"
    )
    display({"text/html": note, "text/plain": text}, raw=True)
