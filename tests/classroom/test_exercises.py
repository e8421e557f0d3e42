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


def mask_by(x, fraction, shape, generator=None):  # one mask decision per entry of `shape`, broadcast
    return x * (torch.rand(shape, generator=generator) >= fraction)


def mask_half_batch(x, fraction, generator=None):  # two masks, repeated over the batch
    return x * (torch.rand(2, *x.shape[1:], generator=generator) >= fraction).repeat(x.shape[0] // 2, 1, 1, 1)


def noise_half_batch(x, sigma, generator=None):  # two noise images, repeated over the batch
    return x + sigma * torch.randn(2, *x.shape[1:], generator=generator).repeat(x.shape[0] // 2, 1, 1, 1)


def uniform_eps(shape, generator=None):  # mean 0 and std 1, but not Gaussian
    return (torch.rand(shape, generator=generator) - 0.5) * math.sqrt(12)


def nan_at_0(t):
    t = t.clone() if t.is_floating_point() else t.double()
    t.view(-1)[0] = float("nan")
    return t


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
    # shapes and reductions that a hint used to misname (a [B, 1] result was "only partly reduced")
    (
        "check_gaussian_nll",
        lambda m, x: flat_sum(0.5 * (x - m) ** 2 + 0.5 * LOG_2PI)[:, None],
        "keepdim=True",
    ),
    (
        "check_gaussian_nll",
        lambda m, x: (0.5 * (x - m) ** 2 + 0.5 * LOG_2PI).flatten(1).sum(1, keepdim=True),
        "size 1 left over",
    ),
    ("check_gaussian_nll", lambda m, x: flat_sum(0.5 * (x - m) ** 2) + 0.5 * LOG_2PI, "off by a constant"),
    ("check_gaussian_nll", lambda m, x: flat_sum(0.5 * (x - m) ** 2) + 0.5 * LOG_2PI * x.numel(), "constant"),
    ("check_bernoulli_nll", lambda lg, x: B(lg, x.round()), "wrong values"),
    (
        "check_bernoulli_nll",
        lambda lg, x: (
            -flat_sum(
                x * torch.log(torch.sigmoid(lg) + 1e-7) + (1 - x) * torch.log(1 - torch.sigmoid(lg) + 1e-7)
            )
        ),
        "F.logsigmoid",
    ),
    ("check_kl_std_normal", lambda m, lv: -0.5 * torch.sum(1 + lv - m**2 - lv.exp()), "single number"),
    ("check_kl_std_normal", lambda m, lv: kl(m, lv).mean().expand(m.shape[0]), "wrong values"),
    ("check_kl_std_normal", lambda m, lv: 0.5 * (m**2 + lv.exp() - lv - 1).sum(0), "dim 0 (the batch)"),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -B(lg, x) - K(m, lv).mean(),
        "one number for the whole batch",
    ),
    ("check_elbo_from_parts", lambda lg, x, m, lv: -B(lg, x) - K(m, lv).sum(), "KL is summed over the whole"),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -F.binary_cross_entropy_with_logits(lg, x, reduction="sum") - K(m, lv),
        "reduction='sum'",
    ),
    (
        "check_elbo_from_parts",
        lambda lg, x, m, lv: -B(lg, x) - K(m, lv) / m.shape[1],
        "mean over latent dims",
    ),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: B(lg, x) + K(m, lv).mean(),
        "one number for the whole",
    ),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: B(lg, x) + K(m, lv) / m.shape[1], "mean over latent"),
    (
        "check_vae_loss_from_parts",
        lambda lg, x, m, lv: F.binary_cross_entropy_with_logits(lg, x, reduction="sum") + K(m, lv),
        "reduction='sum'",
    ),
    ("check_vae_loss_from_parts", lambda lg, x, m, lv: B(torch.sigmoid(lg), x) + K(m, lv), "wrong values"),
    ("check_pairwise_distances", lambda X: torch.cdist(X.T, X.T), "wrong shape"),
    ("check_pairwise_distances", lambda X: torch.triu(torch.cdist(X, X)), "wrong values"),
    ("check_pairwise_distances", lambda X: torch.cdist(X, X) + 1e-3, "off by a constant"),
    ("check_pairwise_distances", lambda X: distances(X.sub_(X.mean(0))), "in place"),
    # noise shared where it must be independent, or NaN: the hints used to blame torch.rand / the generator
    (
        "check_masking_noise",
        lambda x, f, generator=None: mask_by(x, f, (x.shape[0], 1, 1, 1), generator),
        "one mask",
    ),
    (
        "check_masking_noise",
        lambda x, f, generator=None: mask_by(x, f, (x.shape[0], 1, 28, 1), generator),
        "share",
    ),
    ("check_masking_noise", mask_half_batch, "different images share their mask"),
    (
        "check_masking_noise",
        lambda x, f, generator=None: x.masked_fill(
            torch.rand(x.shape, generator=generator) < f, float("nan")
        ),
        "NaN",
    ),
    (
        "check_masking_noise",
        lambda x, f, generator=None: torch.rand(x.shape, generator=generator) >= f,
        "bool",
    ),
    (
        "check_masking_noise",
        lambda x, f, generator=None: x * (torch.arange(784).reshape(1, 1, 28, 28) >= int(f * 784)),
        "same pixels are masked in every image",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape[1:]),
        "the same noise for every",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape[0], 1, 1, 1),
        "one noise value",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * torch.randn(x.shape[0], 1, 28, 1),
        "pixels of an",
    ),
    ("check_gaussian_noise", noise_half_batch, "different images share their noise"),
    ("check_gaussian_noise", lambda x, s, generator=None: nan_at_0(noise(x, s, generator)), "NaN"),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: noise(x, s, generator).clamp(min=0),
        "clipped at 0",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: noise(x, s, generator).clamp(max=1),
        "clipped at 1",
    ),
    (
        "check_gaussian_noise",
        lambda x, s, generator=None: x + s * uniform_eps(x.shape, generator),
        "torch.randn",
    ),
    # the reparameterisation: one eps shared by the latent dims used to pass (issue 29)
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[0], 1).expand_as(mu),
        "share",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[0], 1),
        "torch.randn(B, 1)",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv).exp() * torch.randn(mu.shape[0] // 2, mu.shape[1]).repeat(2, 1),
        "some samples share the same eps",
    ),
    ("check_reparameterize", lambda mu, lv: mu + (0.5 * lv).exp() * uniform_eps(mu.shape), "0.683"),
    ("check_reparameterize", lambda mu, lv: mu + (0.5 * lv).exp() * torch.rand_like(mu), "sample std"),
    (
        "check_reparameterize",
        lambda mu, lv: mu + (0.5 * lv.mean(0)).exp() * torch.randn_like(mu),
        "own logvar",
    ),
    ("check_reparameterize", lambda mu, lv: mu + (0.5 * lv[0]).exp() * torch.randn_like(mu), "own logvar"),
    ("check_reparameterize", lambda mu, lv: mu.mean(0) + (0.5 * lv).exp() * torch.randn_like(mu), "own mu"),
    (
        "check_reparameterize",
        lambda mu, lv: mu.detach() + (0.5 * lv).exp() * torch.randn_like(mu),
        "no gradient",
    ),
    (
        "check_reparameterize",
        lambda mu, lv: (mu + (0.5 * lv).exp() * torch.randn_like(mu)).double(),
        "z is float64",
    ),
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


def as_half(fn):
    return lambda *a, **k: fn(*a, **k).half()


def as_long(fn):
    return lambda *a, **k: torch.as_tensor(fn(*a, **k)).long()


def with_nan(fn):
    return lambda *a, **k: nan_at_0(torch.as_tensor(fn(*a, **k)))


def with_extra_dim(fn):  # keepdim=True, or [:, None]
    return lambda *a, **k: fn(*a, **k)[..., None]


def changing_input(fn):  # the right result, but the caller's first argument is changed too
    def changed(*a, **k):
        out = fn(*a, **k)
        with torch.no_grad():
            a[0].mul_(0.5)
        return out

    return changed


#: Mistakes any answer can make, applied to each checker's first right answer: (name, make the wrong
#: answer, the phrase its hint must contain, the checkers it applies to (None: all)).
PER_SAMPLE = {"check_gaussian_nll", "check_bernoulli_nll", "check_kl_std_normal", "check_elbo_from_parts"}
PER_SAMPLE |= {"check_vae_loss_from_parts", "check_m2_unlabelled_bound", "check_aae_generator_loss"}
FLOAT_RESULT = set(exercises.__all__) - {"check_active_units"}
GENERIC_MISTAKES = [
    ("float16", as_half, "float16", FLOAT_RESULT),
    ("int64", as_long, "int64", FLOAT_RESULT),
    ("NaN", with_nan, "NaN", set(exercises.__all__)),
    ("in place", changing_input, "in place", set(exercises.__all__)),
    ("keepdim [B, 1]", with_extra_dim, "size 1 left over (keepdim=True", PER_SAMPLE),
    ("keepdim [1]", lambda fn: lambda *a: fn(*a)[None], "a dim left over (keepdim=True", {"check_free_bits"}),
]
FIRST_RIGHT = {}
for _name, _fn in CORRECT_CASES:
    FIRST_RIGHT.setdefault(_name, _fn)
GENERIC_CASES = [
    (name, kind, make, phrase) for kind, make, phrase, names in GENERIC_MISTAKES for name in sorted(names)
]


@pytest.mark.parametrize(
    "name,kind,make,phrase", GENERIC_CASES, ids=[f"{n}-{k}" for n, k, _, _ in GENERIC_CASES]
)
def test_generic_mistakes_fail_with_a_hint_that_names_them(name, kind, make, phrase, capsys):
    """A float16 or integer result, a NaN, a changed input, a [B, 1] result: each fails, and the hint
    names that mistake (not sum versus mean, not the generator, not torch.rand)."""
    assert getattr(exercises, name)(make(FIRST_RIGHT[name])) is False
    out = capsys.readouterr().out
    assert out.startswith("❌") and phrase in out, out


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
