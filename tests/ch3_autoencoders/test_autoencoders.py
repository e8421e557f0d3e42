"""Tests for notebook 3's modules: corruption (Vincent et al. noise, the denoising demo widget) and
contractive (the Jacobian penalty, code sensitivity), and the latent explorer on an autoencoder."""

import math

import pytest
import torch

from course_utils import models, plots, widgets
from course_utils.ch3_autoencoders import contractive, corruption, exercises
from course_utils.ch3_autoencoders import widgets as autoencoders_widgets


def _images(n=16, seed=0, low=0.1):
    """Pixels in [low, 1]: no zeros, so a masked pixel is visible."""
    g = torch.Generator().manual_seed(seed)
    return low + (1 - low) * torch.rand(n, 1, 28, 28, generator=g)


# --------------------------------------------------------------------------- corruption


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.37, 0.5, 1.0])
def test_masking_sets_exactly_the_fraction_per_image_and_keeps_the_rest(fraction):
    x = _images()
    out = corruption.masking_noise(x, fraction, generator=torch.Generator().manual_seed(1))
    zeroed = (out == 0).flatten(1)
    assert zeroed.sum(dim=1).tolist() == [round(fraction * 784)] * len(x)
    kept = out != 0
    assert torch.equal(out[kept], x[kept])
    assert out.shape == x.shape and out.dtype == x.dtype
    if 0 < fraction < 1:  # different pixels in different images
        assert not (zeroed == zeroed[0]).all()


@pytest.mark.parametrize("fraction", [0.2, 0.6])
def test_salt_and_pepper_fraction_values_and_fair_coin(fraction):
    x = _images(n=64, low=0.2) * 0.6  # pixels in [0.12, 0.6]: neither 0 nor 1
    out = corruption.salt_and_pepper(x, fraction, generator=torch.Generator().manual_seed(2))
    changed = (out != x).flatten(1)
    assert changed.sum(dim=1).tolist() == [round(fraction * 784)] * len(x)
    assert torch.equal(out[out != x].unique(), torch.tensor([0.0, 1.0]))
    assert torch.equal(out[~(out != x)], x[~(out != x)])
    share_of_ones = (out == 1).sum().item() / changed.sum().item()
    assert abs(share_of_ones - 0.5) < 0.02


def test_gaussian_noise_is_unclipped_with_the_right_moments_and_clip_option():
    x = _images(n=64)
    out = corruption.gaussian_noise(x, 0.3, generator=torch.Generator().manual_seed(3))
    noise = out - x
    assert abs(noise.mean().item()) < 0.005
    assert abs(noise.std().item() - 0.3) < 0.005
    assert out.max() > 1 and out.min() < 0  # not clipped by default
    clipped = corruption.gaussian_noise(x, 0.3, generator=torch.Generator().manual_seed(3), clip=True)
    assert torch.equal(clipped, out.clamp(0, 1))
    assert torch.equal(corruption.gaussian_noise(x, 0.0), x)


@pytest.mark.parametrize("kind", corruption.NOISE_TYPES)
def test_reproducible_with_a_generator_and_input_untouched(kind):
    x = _images()
    before = x.clone()
    a = corruption.corrupt(x, kind, 0.3, generator=torch.Generator().manual_seed(5))
    b = corruption.corrupt(x, kind, 0.3, generator=torch.Generator().manual_seed(5))
    c = corruption.corrupt(x, kind, 0.3, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert torch.equal(x, before)
    assert not torch.equal(a, x)


def test_dispatcher_matches_the_functions():
    x = _images()
    for kind, fn in [
        ("gaussian", corruption.gaussian_noise),
        ("masking", corruption.masking_noise),
        ("salt_and_pepper", corruption.salt_and_pepper),
    ]:
        assert torch.equal(
            corruption.corrupt(x, kind, 0.25, generator=torch.Generator().manual_seed(0)),
            fn(x, 0.25, generator=torch.Generator().manual_seed(0)),
        )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: corruption.masking_noise(x, 1.5), "fraction"),
        (lambda x: corruption.masking_noise(x, -0.1), "fraction"),
        (lambda x: corruption.salt_and_pepper(x, float("nan")), "fraction"),
        (lambda x: corruption.salt_and_pepper(x, 0.1, low=1.0, high=0.0), "low < high"),
        (lambda x: corruption.gaussian_noise(x, -1.0), "sigma"),
        (lambda x: corruption.gaussian_noise(x, float("inf")), "sigma"),
        (lambda x: corruption.gaussian_noise(x, "0.1"), "number"),
        (lambda x: corruption.gaussian_noise(x.numpy(), 0.1), "torch.Tensor"),
        (lambda x: corruption.masking_noise((x * 255).to(torch.uint8), 0.1), "floating-point"),
        (lambda x: corruption.masking_noise(x[0, 0, 0], 0.1), "batch"),
        (lambda x: corruption.masking_noise(x, 0.1, generator=0), "generator"),
        (lambda x: corruption.corrupt(x, "speckle", 0.1), "unknown noise type"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(_images(n=2))


def test_the_reference_functions_pass_the_exercise_checkers():
    assert exercises.check_masking_noise(corruption.masking_noise)
    assert exercises.check_gaussian_noise(corruption.gaussian_noise)


# --------------------------------------------------------------------------- denoising widget


def _small_models():
    torch.manual_seed(0)
    return {
        "a": models.Autoencoder(4, hidden=(32,), device="cpu"),
        "b": models.Autoencoder(4, hidden=(32,), device="cpu"),
    }


def test_denoising_explorer_redraws_on_the_dropdown_and_slider_and_reports_true_errors():
    nets = _small_models()
    x = _images(n=5).cpu()
    demo = autoencoders_widgets.denoising_explorer(nets, x, level=0.3, seed=4)
    assert demo.controls["kind"].value == "gaussian"

    def expected(kind, level):
        noisy = corruption.corrupt(x, kind, level, generator=torch.Generator().manual_seed(4))
        return noisy, {k: v.mean().item() for k, v in corruption.denoising_errors(nets, x, noisy).items()}

    seen = {demo.image.value}
    for kind, level in [
        ("gaussian", 0.6),
        ("masking", 0.6),
        ("salt_and_pepper", 0.6),
        ("salt_and_pepper", 0.1),
    ]:
        demo.controls["kind"].value = kind
        demo.controls["level"].value = level
        assert demo.image.value not in seen, (kind, level)  # each change drew something new
        seen.add(demo.image.value)
        noisy, errors = expected(kind, level)
        with torch.no_grad():
            rows = torch.cat([x, noisy.clamp(0, 1), *(torch.sigmoid(net(noisy)) for net in nets.values())])
        assert demo.image.value == widgets.png_bytes(plots.tile(rows, nrow=x.shape[0]), 560)
        for name in nets:
            assert math.isclose(demo.values()["errors"][name], errors[name], rel_tol=1e-6)
            assert f"{errors[name]:.2f}" in demo.readout.value
    demo.controls["kind"].value = "masking"
    demo.controls["level"].value = 0.0
    no_noise = {k: v.mean().item() for k, v in corruption.denoising_errors(nets, x, x).items()}
    assert demo.values()["errors"] == pytest.approx(no_noise, rel=1e-6)  # no noise at level 0


def test_denoising_explorer_rejects_bad_inputs():
    with pytest.raises(ValueError):
        autoencoders_widgets.denoising_explorer({}, _images(n=2))
    with pytest.raises(ValueError):
        autoencoders_widgets.denoising_explorer(_small_models(), _images(n=2), kinds=("blur",))


# --------------------------------------------------------------------------- contractive penalty


def test_jacobian_penalty_equals_brute_force_jacobian_norm():
    torch.manual_seed(0)
    model = models.Autoencoder(3, hidden=(20, 10), device="cpu")
    x = _images(n=4)
    fast = contractive.jacobian_frobenius_sq(model.encode, x)
    brute = torch.stack([torch.autograd.functional.jacobian(model.encode, xi[None]).pow(2).sum() for xi in x])
    assert fast.shape == (4,)
    assert torch.allclose(fast, brute, rtol=1e-5)
    # a linear encoder: the Jacobian is the weight matrix at every x
    linear = models.Autoencoder(2, hidden=(), device="cpu")
    w = linear.encoder[0].weight
    assert torch.allclose(
        contractive.jacobian_frobenius_sq(linear.encode, x), w.pow(2).sum().expand(4), rtol=1e-5
    )


def test_jacobian_penalty_is_differentiable_in_the_parameters():
    torch.manual_seed(1)
    model = models.Autoencoder(2, hidden=(8,), device="cpu")
    model.encoder[1] = torch.nn.Tanh()  # smooth, so second derivatives are not zero
    x = _images(n=3)
    params = [
        model.encoder[0].weight,
        model.encoder[0].bias,
        model.encoder[2].weight,
    ]  # the last bias drops out of J
    got = torch.autograd.grad(contractive.jacobian_frobenius_sq(model.encode, x).sum(), params)

    def brute_total():
        return sum(
            torch.autograd.functional.jacobian(model.encode, xi[None], create_graph=True).pow(2).sum()
            for xi in x
        )

    want = torch.autograd.grad(brute_total(), params)
    for g, w in zip(got, want):
        assert torch.allclose(g, w, rtol=1e-4, atol=1e-7)


def test_code_sensitivity_is_scale_fair_and_matches_the_taylor_limit():
    torch.manual_seed(2)
    model = models.Autoencoder(3, hidden=(), device="cpu")
    x = _images(n=200)
    s1 = contractive.code_sensitivity(model.encode, x, eps=0.01, generator=torch.Generator().manual_seed(0))
    s10 = contractive.code_sensitivity(
        lambda v: 10 * model.encode(v), x, eps=0.01, generator=torch.Generator().manual_seed(0)
    )
    assert math.isclose(s10["displacement"], 10 * s1["displacement"], rel_tol=1e-4)
    assert math.isclose(s10["spread"], 10 * s1["spread"], rel_tol=1e-4)
    assert math.isclose(s10["relative"], s1["relative"], rel_tol=1e-4)  # rescaling codes does not help
    w_norm = model.encoder[0].weight.pow(2).sum().sqrt().item()
    assert math.isclose(s1["jacobian_limit"], 0.01 * w_norm, rel_tol=1e-4)
    assert math.isclose(
        s1["displacement"], s1["jacobian_limit"], rel_tol=0.05
    )  # linear: exact in expectation
    with pytest.raises(ValueError):
        contractive.code_sensitivity(model.encode, x, eps=0.0)
    with pytest.raises(ValueError):
        contractive.code_sensitivity(model.encode, x, n_draws=0)


# --------------------------------------------------------------------------- latent explorer on an AE


def test_latent_explorer_on_an_autoencoder_decodes_the_slider_code():
    torch.manual_seed(3)
    ae = models.Autoencoder(2, hidden=(32,), device="cpu")
    z = models.latent_codes(ae, _images(n=50))
    limit = float(z.abs().max().ceil())
    box = widgets.latent_explorer(ae, limit=limit, step=limit / 100, z0=z[0])
    assert set(box.controls) == {"z1", "z2"}
    assert all(s.min == -limit and s.max == limit for s in box.controls.values())
    for d, value in [(0, 0.5 * limit), (1, -0.75 * limit)]:
        before = box.image.value
        box.controls[f"z{d + 1}"].value = value
        assert box.image.value != before
        code = torch.tensor(box.values()["code"])
        assert math.isclose(code[d].item(), value, abs_tol=1e-6)
        assert box.image.value == widgets.png_bytes(models.decode_images(ae, code[None])[0], 168)
