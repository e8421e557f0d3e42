"""The exercise checkers accept the reference, reject typical mistakes with the right hint, never raise."""

import math

import exercise_cases_ch6
import exercise_cases_ch7
import pytest
import torch
import torch.nn.functional as F

from course_utils import losses
from course_utils.ch3_autoencoders import corruption
from course_utils.ch7_vae_lab import collapse
from course_utils.classroom import exercises
from course_utils.models import VAE

LOG_2PI = math.log(2 * math.pi)


def flat_sum(t):
    return t.flatten(1).sum(1)


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(1)


def elbo(logits, x, mu, logvar):
    return -losses.bernoulli_nll(logits, x) - losses.kl_std_normal(mu, logvar)


def distances(X):
    return ((X[:, None] - X[None]) ** 2).sum(-1).sqrt()


def mask_kept(x, fraction, generator=None):  # keeps `fraction` instead of masking it
    return x * (torch.rand(x.shape, generator=generator) < fraction)


def mask_in_place(x, fraction, generator=None):
    x[torch.rand(x.shape, generator=generator) < fraction] = 0
    return x


def mask_shared(x, fraction, generator=None):  # one mask for the whole batch
    return x * (torch.rand(x.shape[1:], generator=generator) >= fraction)


def noise(x, sigma, generator=None):
    return x + sigma * torch.randn(x.shape, generator=generator)


def not_implemented(*args, **kwargs):
    raise NotImplementedError("Your turn: ...")


CORRECT = {
    "check_gaussian_nll": [
        losses.gaussian_nll,
        lambda m, x: flat_sum(0.5 * (x - m) ** 2 + 0.5 * LOG_2PI),
        lambda m, x: (
            -torch.distributions.Normal(m, 1.0).log_prob(x).sum(dim=(1, 2, 3))
            if x.dim() == 4
            else -torch.distributions.Normal(m, 1.0).log_prob(x).sum(1)
        ),
    ],
    "check_bernoulli_nll": [
        losses.bernoulli_nll,
        lambda lg, x: flat_sum(F.binary_cross_entropy_with_logits(lg, x, reduction="none")),
        lambda lg, x: -flat_sum(x * F.logsigmoid(lg) + (1 - x) * F.logsigmoid(-lg)),
    ],
    "check_kl_std_normal": [losses.kl_std_normal, kl],
    "check_elbo_from_parts": [elbo],
    "check_vae_loss_from_parts": [lambda *a: -elbo(*a)],
    "check_pairwise_distances": [
        distances,
        lambda X: torch.cdist(X, X),
        lambda X: ((X**2).sum(1)[:, None] + (X**2).sum(1)[None] - 2 * X @ X.T).clamp(min=0).sqrt(),
    ],
    "check_masking_noise": [
        corruption.masking_noise,
        lambda x, f, generator=None: x * (torch.rand(x.shape, generator=generator) >= f),
    ],
    "check_gaussian_noise": [corruption.gaussian_noise, noise],
    "check_reparameterize": [
        VAE.reparameterize,
        lambda mu, lv: torch.distributions.Normal(mu, (0.5 * lv).exp()).rsample(),
    ],
}


B, K = losses.bernoulli_nll, losses.kl_std_normal
WRONG = [
    # (checker, wrong implementation, a phrase the hint must contain)
    ("check_gaussian_nll", lambda m, x: flat_sum(0.5 * (x - m) ** 2), "off by a constant"),
    ("check_gaussian_nll", lambda m, x: losses.gaussian_nll(m, x) / x[0].numel(), "mean instead of sum"),
    ("check_gaussian_nll", lambda m, x: ((x - m) ** 2).flatten(1).mean(1), "mean squared error"),
    ("check_gaussian_nll", lambda m, x: -losses.gaussian_nll(m, x), "wrong sign"),
    ("check_gaussian_nll", lambda m, x: flat_sum((x - m) ** 2 + 0.5 * LOG_2PI), "factor 1/2"),
    ("check_gaussian_nll", lambda m, x: losses.gaussian_nll(m, x).mean(), "reduced over the batch"),
    ("check_gaussian_nll", lambda m, x: 0.5 * (x - m) ** 2 + 0.5 * LOG_2PI, "one value per element"),
    ("check_gaussian_nll", lambda m, x: (0.5 * (x - m) ** 2 + 0.5 * LOG_2PI).sum(0), "dim 0 (the batch)"),
    ("check_gaussian_nll", lambda m, x: (0.5 * (x - m) ** 2 + 0.5 * LOG_2PI).sum(-1), "only partly reduced"),
    ("check_gaussian_nll", lambda m, x: losses.gaussian_nll(m, x) + 1.0, "off by a constant"),
    ("check_gaussian_nll", lambda m, x: None, "forget the `return`"),
    ("check_gaussian_nll", lambda m: m, "raised TypeError"),
    ("check_bernoulli_nll", lambda lg, x: B(torch.sigmoid(lg), x), "sigmoid twice"),
    ("check_bernoulli_nll", lambda lg, x: -B(lg, x), "minus sign"),
    ("check_bernoulli_nll", lambda lg, x: B(lg, x) / x[0].numel(), "mean instead of sum"),
    (
        "check_bernoulli_nll",
        lambda lg, x: flat_sum(F.binary_cross_entropy(lg, x, reduction="none")),
        "binary_cross_entropy_with_logits",
    ),
    (
        "check_bernoulli_nll",
        lambda lg, x: (
            -flat_sum(x * torch.log(torch.sigmoid(lg)) + (1 - x) * torch.log(1 - torch.sigmoid(lg)))
        ),
        "logsigmoid",
    ),
    ("check_bernoulli_nll", lambda lg, x: F.binary_cross_entropy_with_logits(lg, x), "single number"),
    ("check_kl_std_normal", lambda m, lv: -kl(m, lv), "wrong sign"),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv.exp() - lv).sum(1), "missing the -1"),
    (
        "check_kl_std_normal",
        lambda m, lv: 0.5 * (m**2 + lv**2 - torch.log(lv**2) - 1).sum(1),
        "used logvar as sigma",
    ),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv - torch.log(lv) - 1).sum(1), "NaN"),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv.exp() - lv - 1).mean(1), "mean over latent dims"),
    (
        "check_kl_std_normal",
        lambda m, lv: 0.5 * (m**2 + lv.exp() + lv - 1).sum(1),
        "sign of the log-variance",
    ),
    ("check_elbo_from_parts", lambda lg, x, m, lv: B(lg, x) + K(m, lv), "returned the loss"),
    ("check_elbo_from_parts", lambda lg, x, m, lv: -B(lg, x) + K(m, lv), "sign of the KL"),
    ("check_elbo_from_parts", lambda lg, x, m, lv: -B(lg, x), "forgot the KL"),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -B(lg, x) / x[0].numel() - K(m, lv),
        "averaged the reconstruction",
    ),
    ("check_elbo_from_parts", lambda lg, x, m, lv: (-B(lg, x) - K(m, lv)).mean(), "reduced over the batch"),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: B(lg, x) - K(m, lv), "sign of the KL"),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: -B(lg, x) - K(m, lv), "returned the ELBO"),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: B(lg, x) / x[0].numel() + K(m, lv),
        "mean over pixels",
    ),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: (B(lg, x) + K(m, lv)).mean(),
        "reduced over the batch",
    ),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: F.binary_cross_entropy_with_logits(lg, x) + K(m, lv),
        "reduction='mean'",
    ),
    ("check_pairwise_distances", lambda X: distances(X) ** 2, "SQUARED distances"),
    ("check_pairwise_distances", lambda X: (X[:, None] - X[None]).abs().sum(-1), "L1"),
    ("check_pairwise_distances", lambda X: torch.pdist(X), "condensed upper triangle"),
    ("check_pairwise_distances", lambda X: X[:, None] - X[None], "SUM over the last dim"),
    (
        "check_pairwise_distances",
        lambda X: ((X**2).sum(1)[:, None] + (X**2).sum(1)[None] - 2 * X @ X.T).sqrt(),
        "clamp(min=0)",
    ),
    ("check_masking_noise", mask_kept, "KEPT fraction"),
    ("check_masking_noise", mask_in_place, "in place"),
    ("check_masking_noise", mask_shared, "same pixels are masked in every image"),
    ("check_masking_noise", lambda x, f, generator=None: x.flatten(1), "wrong shape"),
    ("check_masking_noise", lambda x, f, generator=None: F.dropout(x, f), "like dropout"),
    ("check_masking_noise", lambda x, f: x * (torch.rand(x.shape) >= f), "generator=None"),
    (
        "check_masking_noise",
        lambda x, f, generator=None: x * (torch.rand(x.shape) >= f),
        "same seeded generator",
    ),
    ("check_gaussian_noise", lambda x, s, generator=None: noise(x, s, generator).clamp(0, 1), "clipped"),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s**2 * torch.randn(x.shape, generator=generator),
        "sigma^2",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.rand(x.shape, generator=generator),
        "torch.randn",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape),
        "same seeded generator",
    ),
    ("check_gaussian_noise", lambda x, s, generator=None: noise(x, s, generator)[0], "wrong shape"),
    ("check_reparameterize", lambda mu, lv: mu + lv.exp() * torch.randn_like(mu), "VARIANCE"),
    ("check_reparameterize", lambda mu, lv: mu + lv * torch.randn_like(mu), "used logvar as the std"),
    ("check_reparameterize", lambda mu, lv: torch.normal(mu, (0.5 * lv).exp()), "no gradient"),
    (
        "check_reparameterize",
        lambda mu, lv: torch.distributions.Normal(mu, (0.5 * lv).exp()).sample(),
        "no gradient",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp().detach() * torch.randn_like(mu),
        "gradient does not reach logvar",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[1]),
        "same eps for every sample",
    ),
    ("check_reparameterize", lambda mu, lv: mu, "no randomness"),
    ("check_reparameterize", lambda mu, lv: mu + torch.randn_like(mu), "does not depend on logvar"),
    ("check_reparameterize", lambda mu, lv: (0.5 * lv).exp() * torch.randn_like(mu), "sample mean"),
    ("check_reparameterize", lambda mu, lv: mu[0], "wrong shape"),
]


#: Every notebook's cases: chapters 1-5 above, notebooks 6 and 7 from their own files.
CORRECT_CASES = (
    [(name, fn) for name, fns in CORRECT.items() for fn in fns]
    + exercise_cases_ch6.CORRECT
    + exercise_cases_ch7.CORRECT
)
WRONG_CASES = WRONG + exercise_cases_ch6.WRONG + exercise_cases_ch7.WRONG


@pytest.mark.parametrize("name,fn", CORRECT_CASES)
def test_correct_implementations_pass(name, fn, capsys):
    assert getattr(exercises, name)(fn) is True
    out = capsys.readouterr().out
    assert "passed" in out and "❌" not in out


@pytest.mark.parametrize("name", sorted({name for name, _ in CORRECT_CASES}))
def test_blank_exercise_reports_not_implemented(name, capsys):
    assert getattr(exercises, name)(not_implemented) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


@pytest.mark.parametrize("name,fn,phrase", WRONG_CASES, ids=[f"{n}-{p}" for n, _, p in WRONG_CASES])
def test_typical_mistakes_get_their_hint(name, fn, phrase, capsys):
    assert getattr(exercises, name)(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and phrase in out, out
    assert "Traceback" not in out and "solutions.md" in out


def test_every_checker_is_covered_by_the_tests():
    names = {name for name, _ in CORRECT_CASES}
    assert set(exercises.__all__) == names == {name for name, _, _ in WRONG_CASES}


def test_checker_leaves_global_random_state_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    exercises.check_reparameterize(VAE.reparameterize)
    exercises.check_masking_noise(corruption.masking_noise)
    exercises.check_free_bits(collapse.free_bits_kl)
    exercises.check_active_units(lambda mu: collapse.active_units(mu)[0])
    assert torch.equal(torch.rand(3), expected)


def test_passing_the_result_instead_of_the_function(capsys):
    assert exercises.check_kl_std_normal(losses.kl_std_normal(torch.zeros(2, 2), torch.zeros(2, 2))) is False
    assert "pass your function itself" in capsys.readouterr().out


def test_unexpected_output_type_is_a_hint_not_a_traceback(capsys):
    assert exercises.check_gaussian_nll(lambda m, x: "nll") is False
    assert "expected a torch tensor" in capsys.readouterr().out
