"""The exercise engine (course_utils.exercises) on a checker of its own: a pass, each kind of hint, a
function that raises or returns the wrong thing, and the notebook's random state left alone."""

import torch

from course_utils import exercises
from course_utils.exercises import Case, Hint, call, checker, compare, seeded_generator, sum_per_sample


@checker
def check_row_sums(fn) -> str:
    """``fn(x) -> [B]``: each row's sum, on random inputs drawn from the global generator."""
    x = torch.randn(4, 3)
    cases = [Case("4 rows of 3", (x,)), Case("one row", (torch.randn(1, 5, generator=seeded_generator(1)),))]
    mistakes = [("mean instead of sum over the pixels.", lambda t: t.mean(1))]
    return compare(fn, sum_per_sample, cases, mistakes)


@checker
def check_positive(fn) -> str:
    if not (call(fn, torch.ones(2)) > 0).all():
        raise Hint("the result must be positive.")
    return "positive."


def test_a_right_answer_passes_and_says_so(capsys):
    assert check_row_sums(lambda t: t.sum(1)) is True
    assert capsys.readouterr().out.startswith("✅ check_row_sums: passed - matches the reference on 2 cases")


def test_a_known_mistake_gets_its_hint_and_the_pointer_to_the_solutions(capsys):
    assert check_row_sums(lambda t: t.mean(1)) is False
    out = capsys.readouterr().out
    assert out.startswith("❌ check_row_sums: on 4 rows of 3") and "mean instead of sum" in out
    assert exercises.STUCK in out


def test_unknown_mistakes_are_described(capsys):
    assert check_row_sums(lambda t: t.sum(1) + 2.0) is False
    assert "off by a constant: yours = reference +2" in capsys.readouterr().out
    assert check_row_sums(lambda t: 3 * t.sum(1)) is False
    assert "off by a factor: yours = 3 x reference" in capsys.readouterr().out
    assert check_row_sums(lambda t: t.sum(1).mean()) is False
    assert "you returned a single number" in capsys.readouterr().out


def test_a_raised_error_a_blank_exercise_and_a_missing_return_are_hints(capsys):
    def blank(t):
        raise NotImplementedError("Your turn: ...")

    assert check_row_sums(blank) is False
    assert "not implemented yet" in capsys.readouterr().out
    assert check_row_sums(lambda t: t.sum(1, 2, 3)) is False
    assert "your function raised TypeError" in capsys.readouterr().out
    assert check_row_sums(lambda t: None) is False
    assert "forget the `return`" in capsys.readouterr().out
    assert check_positive(lambda t: -t) is False
    assert "the result must be positive." in capsys.readouterr().out


def test_the_result_instead_of_the_function_and_a_non_tensor_are_named(capsys):
    assert check_row_sums(torch.zeros(4)) is False
    assert "pass your function itself" in capsys.readouterr().out
    assert check_row_sums(lambda t: "sums") is False
    assert "expected a torch tensor" in capsys.readouterr().out


def test_a_checker_leaves_the_global_random_state_alone(capsys):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    check_row_sums(lambda t: t.sum(1))
    assert torch.equal(torch.rand(3), expected)
