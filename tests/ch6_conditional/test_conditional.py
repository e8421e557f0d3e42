"""Notebook 6's package: CVAE, M2 and AAE against independent references (brute-force sums over the
labels, closed forms, torch's own BCE), the priors' statistics, short training runs, the widgets."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils import losses, models, widgets
from course_utils.ch6_conditional import aae, cvae, m2, trained
from course_utils.ch6_conditional import widgets as conditional_widgets


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ------------------------------------------------------------------ labels and the CVAE


def test_one_hot_checks_its_input():
    assert torch.equal(cvae.one_hot(torch.tensor([0, 3])), torch.eye(10)[[0, 3]])
    oh = torch.eye(10)[[1, 2]]
    assert cvae.one_hot(oh) is oh
    for bad in (
        torch.tensor([10]),
        torch.tensor([-1]),
        torch.tensor([0.5, 1.0]),
        torch.zeros(2, 3, dtype=torch.long),
    ):
        with pytest.raises(ValueError):
            cvae.one_hot(bad)


def test_cvae_loss_is_the_conditional_negative_elbo():
    model = cvae.CVAE(3, hidden=(32,), device="cpu")
    x, y = torch.rand(5, 1, 28, 28), torch.tensor([0, 1, 2, 3, 9])
    torch.manual_seed(1)
    parts = cvae.cvae_loss(model, x, y)
    torch.manual_seed(1)
    h = model.encoder(torch.cat([x.flatten(1), F.one_hot(y, 10).float()], 1))
    mu, logvar = h[:, :3], h[:, 3:]
    z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
    logits = model.decoder(torch.cat([z, F.one_hot(y, 10).float()], 1))
    recon = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)
    kl = 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(1)
    assert parts["loss"].shape == (5,)
    assert torch.allclose(parts["recon"], recon, atol=1e-4) and torch.allclose(parts["kl"], kl, atol=1e-5)
    assert torch.allclose(parts["loss"], recon + kl, atol=1e-4)


def test_the_decoder_listens_to_the_label_and_analogies_decode_every_label():
    model = cvae.CVAE(2, hidden=(32,), device="cpu")
    z = torch.randn(4, 2)
    assert not torch.allclose(
        model.decode(z, torch.zeros(4, dtype=torch.long)), model.decode(z, torch.ones(4, dtype=torch.long))
    )
    x, y = torch.rand(3, 1, 28, 28), torch.tensor([4, 7, 1])
    grid = cvae.analogies(model, x, y)
    assert grid.shape == (3, 10, 1, 28, 28)
    mu, _ = model.encode(x, y)
    for i in range(3):
        for label in (0, int(y[i]), 9):
            expected = torch.sigmoid(model.decode(mu[i : i + 1], torch.tensor([label])))[0]
            assert torch.allclose(grid[i, label], expected, atol=1e-6)
    samples = cvae.generate(model, torch.arange(10), generator=torch.Generator().manual_seed(0))
    assert samples.shape == (10, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1


class _ThresholdClassifier(torch.nn.Module):
    """Says "digit 1" when the mean pixel exceeds 0.5, else "digit 0"."""

    def forward(self, x):
        bright = (x.flatten(1).mean(1) > 0.5).float()
        logits = torch.zeros(len(x), 10)
        logits[:, 0], logits[:, 1] = 1 - bright, bright
        return logits


def test_label_agreement_counts_matches():
    images = torch.cat([torch.zeros(3, 1, 28, 28), torch.ones(1, 1, 28, 28)])
    clf = _ThresholdClassifier()
    assert cvae.predict(clf, images).tolist() == [0, 0, 0, 1]
    assert cvae.label_agreement(clf, images, torch.tensor([0, 1, 0, 1])) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        cvae.label_agreement(clf, images, torch.tensor([0, 1]))


def test_classifier_loss_is_cross_entropy_per_sample():
    clf = cvae.DigitClassifier(hidden=(16,), device="cpu")
    x, y = torch.rand(6, 1, 28, 28), torch.arange(6)
    parts = cvae.classifier_loss(clf, x, y)
    logits = clf(x)
    assert torch.allclose(parts["loss"], -logits.log_softmax(1)[torch.arange(6), y])
    assert torch.equal(parts["error"], (logits.argmax(1) != y).float())


# ------------------------------------------------------------------ M2


def _m2():
    return m2.M2(latent_dim=3, hidden=(32,), device="cpu")


def test_labelled_elbo_written_out():
    model, x, y = _m2(), torch.rand(4, 1, 28, 28), torch.tensor([2, 2, 5, 9])
    eps = torch.randn(4, 3)
    mu, logvar = model.encode(x, y)
    z = mu + (0.5 * logvar).exp() * eps
    log_px = -F.binary_cross_entropy_with_logits(
        model.decode(z, y).flatten(1), x.flatten(1), reduction="none"
    ).sum(1)
    log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1)
    log_qz = torch.distributions.Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(1)
    kl_closed = losses.kl_std_normal(mu, logvar)
    expected = log_px - kl_closed + math.log(0.1)
    assert torch.allclose(m2.labelled_elbo(model, x, y, eps), expected, atol=1e-4)
    # the closed-form KL is the expectation of log q - log p(z): close on average only, but the same sign of
    # error
    assert (log_qz - log_pz).shape == kl_closed.shape


def test_unlabelled_bound_equals_the_brute_force_sum_over_the_ten_labels():
    model, x = _m2(), torch.rand(6, 1, 28, 28)
    eps = torch.randn(6, 10, 3)
    fast = m2.unlabelled_elbo(model, x, eps)
    q = model.classify(x).softmax(1)  # [B, 10]
    brute = torch.zeros(6)
    for label in range(10):
        y = torch.full((6,), label, dtype=torch.long)
        brute += q[:, label] * m2.labelled_elbo(model, x, y, eps[:, label])
    brute += -(q * q.log()).sum(1)  # the entropy H(q(y|x))
    assert fast.shape == (6,)
    assert torch.allclose(fast, brute, atol=1e-3)


def test_unlabelled_bound_from_parts_closed_forms():
    elbos = torch.randn(5, 10) * 20 - 100
    uniform = torch.zeros(5, 10)
    assert torch.allclose(
        m2.unlabelled_bound_from_parts(uniform, elbos), elbos.mean(1) + math.log(10), atol=1e-4
    )
    # maximising over q gives log sum_y exp(ELBO(x, y)), reached at q(y|x) proportional to exp(ELBO(x, y))
    best = torch.logsumexp(elbos, 1)
    assert torch.allclose(m2.unlabelled_bound_from_parts(elbos, elbos), best, atol=1e-3)
    other = m2.unlabelled_bound_from_parts(torch.randn(5, 10), elbos)
    assert (other <= best + 1e-4).all()
    confident = torch.full((5, 10), -1e4)
    confident[:, 3] = 0
    assert torch.allclose(m2.unlabelled_bound_from_parts(confident, elbos), elbos[:, 3], atol=1e-3)


def test_m2_loss_weights_the_classification_term_by_alpha():
    model = _m2()
    xu, xl, yl = torch.rand(4, 1, 28, 28), torch.rand(3, 1, 28, 28), torch.tensor([1, 2, 3])
    torch.manual_seed(5)
    a = m2.m2_loss(model, xu, xl, yl, alpha=0.0)
    torch.manual_seed(5)
    b = m2.m2_loss(model, xu, xl, yl, alpha=7.0)
    assert torch.allclose(b["loss"] - a["loss"], 7.0 * F.cross_entropy(model.classify(xl), yl), atol=1e-3)


def test_labelled_subset_is_balanced_reproducible_and_checked():
    labels = torch.arange(10).repeat(30)
    idx = m2.labelled_subset(labels, 10, seed=1)
    assert len(idx) == 100 and len(set(idx.tolist())) == 100
    assert torch.equal(torch.bincount(labels[idx], minlength=10), torch.full((10,), 10))
    assert torch.equal(idx, m2.labelled_subset(labels, 10, seed=1))
    assert not torch.equal(idx, m2.labelled_subset(labels, 10, seed=2))
    with pytest.raises(ValueError):
        m2.labelled_subset(labels, 31)


def _toy_digits(n_per_class=20):
    """Ten easily told apart 'digits': class c lights up rows 2c..2c+2, plus noise."""
    y = torch.arange(10).repeat_interleave(n_per_class)
    x = 0.1 * torch.rand(len(y), 1, 28, 28)
    for c in range(10):
        x[y == c, 0, 2 * c + 3 : 2 * c + 6] = 0.9
    return x, y


def test_m2_training_learns_toy_classes_from_a_few_labels():
    x, y = _toy_digits()
    labelled = m2.labelled_subset(y, 1)
    model = _m2()
    history = m2.train_m2(model, x, y, labelled, epochs=15, alpha=20.0, batch_size=50, labelled_batch=10)
    assert set(history) == {"loss", "unlabelled", "labelled", "cross_entropy"}
    assert history["loss"][-1] < history["loss"][0]
    assert m2.m2_accuracy(model, x, y) > 0.9


def test_baselines_on_separable_features():
    x, y = _toy_digits(5)
    for method in ("knn", "logistic"):
        assert m2.baseline_accuracy(x, y, x, y, method) == 1.0
    with pytest.raises(ValueError):
        m2.baseline_accuracy(x, y, x, y, "svm")


# ------------------------------------------------------------------ AAE


def test_priors_have_the_documented_shapes_and_statistics():
    g = torch.Generator().manual_seed(0)
    normal = aae.sample_prior("normal", 20_000, generator=g)
    assert normal.shape == (20_000, 2)
    assert normal.mean(0).abs().max() < 0.03 and torch.allclose(torch.cov(normal.T), torch.eye(2), atol=0.05)
    mix = aae.sample_prior("mixture", 20_000, generator=g)
    comp = aae.nearest_component(mix)
    assert (torch.bincount(comp, minlength=10).float() / 20_000 - 0.1).abs().max() < 0.01
    assert (mix - aae.mixture_means()[comp]).std().item() == pytest.approx(aae.MIXTURE_STD, rel=0.05)
    labels = torch.arange(10).repeat(500)
    labelled = aae.sample_prior("labelled mixture", 5000, labels, generator=g)
    assert (aae.nearest_component(labelled) == labels).float().mean() > 0.97
    roll = aae.sample_prior("swiss roll", 20_000, generator=g)
    radius = roll.norm(dim=1)
    lo, hi = aae.SWISS_ROLL_SCALE * 1.5 * math.pi, aae.SWISS_ROLL_SCALE * 4.5 * math.pi
    assert radius.min() > lo - 0.5 and radius.max() < hi + 0.5 and radius.std() > 0.5
    assert torch.equal(aae.nearest_component(aae.mixture_means()), torch.arange(10))
    with pytest.raises(ValueError):
        aae.sample_prior("uniform", 3)
    with pytest.raises(ValueError):
        aae.sample_prior("labelled mixture", 3)


def test_discriminator_loss_sign_and_reference():
    d_prior, d_code = torch.randn(50) * 3, torch.randn(50) * 3
    reference = F.binary_cross_entropy_with_logits(
        d_prior, torch.ones(50), reduction="none"
    ) + F.binary_cross_entropy_with_logits(d_code, torch.zeros(50), reduction="none")
    assert torch.allclose(aae.discriminator_loss(d_prior, d_code), reference, atol=1e-5)
    big = torch.full((3,), 20.0)
    assert aae.discriminator_loss(big, -big).max() < 1e-6  # right on both: no loss
    assert aae.discriminator_loss(-big, big).min() > 39  # wrong on both: about 40 nats
    undecided = aae.discriminator_loss(torch.zeros(1), torch.zeros(1))
    assert undecided.item() == pytest.approx(2 * math.log(2))  # D = 1/2 everywhere: log 4
    assert torch.isfinite(aae.discriminator_loss(torch.tensor([-1e4]), torch.tensor([1e4]))).all()


def test_generator_loss_rewards_fooling_the_discriminator():
    d_code = torch.linspace(-5, 5, 11, requires_grad=True)
    g = aae.generator_loss(d_code)
    assert torch.allclose(g, -F.logsigmoid(d_code))
    assert (g[1:] < g[:-1]).all()  # the more D says "prior", the smaller the loss
    g.sum().backward()
    assert (d_code.grad < 0).all()  # descent raises D's logit on the codes


def test_one_generator_step_raises_the_discriminators_logit_on_the_codes():
    model = aae.AAE(hidden=(32,), disc_hidden=(16,), device="cpu")
    x = torch.rand(64, 1, 28, 28)
    before = model.discriminate(model.encode(x)).mean()
    opt = torch.optim.SGD(model.encoder.parameters(), lr=1e-2)
    aae.generator_loss(model.discriminate(model.encode(x))).mean().backward()
    opt.step()
    assert model.discriminate(model.encode(x)).mean() > before


def test_a_constant_discriminator_scores_one_half():
    model = aae.AAE(hidden=(32,), disc_hidden=(16,), device="cpu")
    last = model.discriminator[-1]
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.constant_(last.bias, 3.0)  # always says "prior"
    codes, prior = torch.randn(100, 2), aae.sample_prior("normal", 100)
    assert aae.discriminator_accuracy(model, codes, prior) == 0.5


def test_label_aware_discriminator_needs_labels_and_training_checks_the_prior():
    model = aae.AAE(hidden=(32,), disc_hidden=(16,), labelled=True, device="cpu")
    with pytest.raises(ValueError):
        model.discriminate(torch.randn(3, 2))
    assert model.discriminate(torch.randn(3, 2), torch.tensor([0, 1, 2])).shape == (3,)
    x, y = torch.rand(8, 1, 28, 28), torch.arange(8)
    with pytest.raises(ValueError):
        aae.train_aae(model, "mixture", x, y, epochs=1)
    with pytest.raises(ValueError):
        aae.train_aae(aae.AAE(hidden=(8,), device="cpu"), "labelled mixture", x, y, epochs=1)
    with pytest.raises(ValueError):
        aae.train_aae(model, "cube", x, y, epochs=1)


def test_aae_training_pulls_toy_codes_towards_the_prior():
    """On the toy digits, a few epochs move the codes' energy distance to the prior far below the
    untrained encoder's, and the history has the three alternating steps."""
    from course_utils.ch4_elbo.prior_map import energy_distance

    x, y = _toy_digits(40)
    model = aae.AAE(hidden=(64,), disc_hidden=(32, 32), device="cpu")
    g = torch.Generator().manual_seed(3)
    prior = aae.sample_prior("mixture", 400, generator=g)
    before = energy_distance(models.latent_codes(model, x), prior).item()
    history = aae.train_aae(model, "mixture", x, y, epochs=30, batch_size=50, adversarial_lr=1e-3)
    assert set(history) == {"recon", "disc", "gen", "disc_accuracy"}
    assert all(len(v) == 30 and all(map(math.isfinite, v)) for v in history.values())
    after = energy_distance(models.latent_codes(model, x), prior).item()
    assert after < 0.3 * before
    assert history["recon"][-1] < history["recon"][0]


# ------------------------------------------------------------------ cached training


def test_recipes_train_once_then_load(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, y = _toy_digits(3)
    first, _ = trained.cvae(2, x, y, hidden=(16,), epochs=1)
    second, _ = trained.cvae(2, x, y, hidden=(16,), epochs=1)
    assert "Loaded" in capsys.readouterr().out
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a.cpu(), b.cpu())
    _, history, labelled = trained.m2(1, x, y, hidden=(16,), latent_dim=2, epochs=1)
    assert len(labelled) == 10 and len(history["loss"]) == 1
    _, history = trained.aae("swiss roll", x, y, hidden=(16,), epochs=1)
    assert len(history["recon"]) == 1
    with pytest.raises(ValueError):
        trained.aae("cube", x, y, epochs=1)


@pytest.mark.parametrize(
    ("function", "default"), [("aae", "lr"), ("aae", "batch_size"), ("m2", "labelled_batch"), ("m2", "lr")]
)
def test_a_training_default_the_old_keys_left_out_retrains(tmp_path, monkeypatch, capsys, function, default):
    """Issue 25: trained.aae's and trained.m2's hand-written keys left these out; now the key binds them."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, y = _toy_digits(3)
    train = trained.aae if function == "aae" else lambda *a, **k: trained.m2(1, *a, latent_dim=2, **k)[:2]
    args = ("swiss roll", x, y) if function == "aae" else (x, y)
    train(*args, hidden=(16,), epochs=1)
    train(*args, hidden=(16,), epochs=1)
    assert "Loaded" in capsys.readouterr().out
    train_fn = aae.train_aae if function == "aae" else m2.train_m2
    changed = {**train_fn.__kwdefaults__, default: train_fn.__kwdefaults__[default] * 2}
    monkeypatch.setattr(train_fn, "__kwdefaults__", changed)
    train(*args, hidden=(16,), epochs=1)
    out = capsys.readouterr().out
    assert "Loaded" not in out and default in out  # "... the cached one differs in lr, ..."


# ------------------------------------------------------------------ widgets


def test_cvae_explorer_redraws_what_the_model_decodes():
    model = cvae.CVAE(2, hidden=(32,), device="cpu")
    box = conditional_widgets.cvae_explorer(model)
    assert set(box.controls) == {"label", "z1", "z2"}
    assert box.controls["z1"].description == "style z1"

    def expected(label, z):
        return widgets.png_bytes(
            torch.sigmoid(model.decode(torch.tensor([z]), torch.tensor([label])))[0].detach()
        )

    assert box.image.value == expected(0, [0.0, 0.0])
    box.controls["label"].value = 7
    assert box.values() == {"label": 7, "z1": 0.0, "z2": 0.0}
    assert box.image.value == expected(7, [0.0, 0.0])
    box.controls["z1"].value = 1.5
    assert box.image.value == expected(7, [1.5, 0.0]) != expected(7, [0.0, 0.0])
    assert "digit 7" in box.readout.value
    with pytest.raises(ValueError):
        conditional_widgets.cvae_explorer(cvae.CVAE(3, hidden=(8,), device="cpu"))


def test_aae_explorer_switches_prior_and_moves_the_cross():
    aaes = {
        name: aae.AAE(hidden=(16,), labelled=name == "labelled mixture", device="cpu") for name in aae.PRIORS
    }
    maps = {}
    for name in aaes:
        labels = torch.arange(10).repeat(20)
        maps[name] = conditional_widgets.code_map(
            torch.randn(200, 2), labels, aae.sample_prior(name, 200, labels), extent=6.0
        )
        assert maps[name].shape == (168, 168, 3)
    box = conditional_widgets.aae_explorer(aaes, maps)
    assert len(box.images) == 2
    first = [im.value for im in box.images]
    box.controls["z1"].value = 2.0
    moved = [im.value for im in box.images]
    assert moved[0] != first[0] and moved[1] != first[1]
    expected = widgets.png_bytes(models.decode_images(aaes["normal"], torch.tensor([[2.0, 0.0]]))[0])
    assert moved[1] == expected
    box.controls["prior"].value = "swiss roll"
    assert box.values()["prior"] == "swiss roll" and box.images[0].value != moved[0]
    with pytest.raises(ValueError):
        conditional_widgets.aae_explorer(aaes, {"normal": maps["normal"]})
