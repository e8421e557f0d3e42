"""Notebook 8's "Your turn" checkers: right answers pass, typical mistakes get their hint."""

import math

import torch
import torch.nn.functional as F
from exercise_harness import assert_fails_naming, assert_passes, assert_reports_not_implemented

from course_utils.ch8_beyond_pixels import exercises


def good_completion(logits, x):
    return (
        F.binary_cross_entropy_with_logits(logits[:, :, 14:], x[:, :, 14:], reduction="none")
        .flatten(1)
        .sum(1)
    )


def test_completion_loss(capsys):
    check = exercises.check_completion_loss
    assert_passes(check, good_completion, capsys)
    assert_reports_not_implemented(check, capsys)
    every_pixel = lambda lg, x: F.binary_cross_entropy_with_logits(lg, x, reduction="none").flatten(1).sum(1)  # noqa: E731
    assert_fails_naming(check, every_pixel, "visible (upper) half is given", capsys)
    upper = lambda lg, x: good_completion(torch.flip(lg, [2]), torch.flip(x, [2]))  # noqa: E731
    assert_fails_naming(check, upper, "hidden half is the lower one", capsys)
    assert_fails_naming(check, lambda lg, x: good_completion(lg, x) / 392, "mean instead of sum", capsys)
    assert_fails_naming(check, lambda lg, x: good_completion(lg, x).mean(), "single number", capsys)


def test_feature_reconstruction_loss(capsys):
    check = exercises.check_feature_reconstruction_loss
    good = lambda f, x, xt: 0.5 * ((f(x) - f(xt)) ** 2).sum(1)  # noqa: E731
    assert_passes(check, good, capsys)
    assert_reports_not_implemented(check, capsys)
    assert_fails_naming(
        check, lambda f, x, xt: 0.5 * ((x - xt) ** 2).flatten(1).sum(1), "you compared pixels", capsys
    )
    assert_fails_naming(check, lambda f, x, xt: ((f(x) - f(xt)) ** 2).sum(1), "factor 1/2", capsys)
    assert_fails_naming(
        check, lambda f, x, xt: 0.5 * ((f(x) - f(xt)) ** 2).mean(1), "mean instead of sum", capsys
    )


def test_nats_to_bits(capsys):
    check = exercises.check_nats_to_bits
    assert_passes(check, lambda n: n / math.log(2), capsys)
    assert_reports_not_implemented(check, capsys)
    assert_fails_naming(check, lambda n: n * math.log(2), "divide", capsys)
    assert_fails_naming(check, lambda n: n / 784 / math.log(2), "bits per image", capsys)


def test_best_single_answer(capsys):
    check = exercises.check_best_single_answer
    assert_passes(check, lambda p: p * 1.0, capsys)
    assert_reports_not_implemented(check, capsys)
    assert_fails_naming(check, lambda p: (p > 0.5).float(), "likelier value", capsys)
    assert_fails_naming(check, lambda p: 1 - p, "swapped", capsys)
