"""Chapter 8's models and losses against independent references (brute force, hand computation)."""

import gzip
import math
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.ch8_beyond_pixels import completion, compression, vaegan
from course_utils.models import IMAGE_SHAPE, N_PIXELS


def _images(n, seed=0, binary=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *IMAGE_SHAPE, generator=g)
    return (x < 0.3).float() if binary else x


def test_split_and_join_are_inverse_and_split_at_the_middle_row():
    x = _images(3, binary=False)
    visible, hidden = completion.split(x)
    assert visible.shape == (3, completion.N_VISIBLE) and hidden.shape == (3, completion.N_HIDDEN)
    assert torch.equal(visible.view(3, completion.VISIBLE_ROWS, -1), x[:, 0, : completion.VISIBLE_ROWS])
    assert torch.equal(completion.join(visible, hidden), x)


def test_completion_loss_counts_hidden_pixels_only_against_a_pixel_loop():
    torch.manual_seed(0)
    model = completion.CompletionCVAE(latent_dim=2, hidden=(16,), device="cpu")
    x = _images(4)
    torch.manual_seed(1)
    parts = completion.completion_loss(model, x)
    torch.manual_seed(1)  # the same z: rebuild the loss pixel by pixel
    visible, hidden = completion.split(x)
    mu, logvar = model.encode(visible, hidden)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    p = torch.sigmoid(model.decode(z, visible))
    for b in range(4):
        nll = 0.0
        for i in range(completion.N_HIDDEN):
            t = hidden[b, i].item()
            nll -= t * math.log(p[b, i].item()) + (1 - t) * math.log(1 - p[b, i].item())
        kl = sum(0.5 * (m**2 + math.exp(lv) - lv - 1) for m, lv in zip(mu[b].tolist(), logvar[b].tolist()))
        assert parts["recon"][b].item() == pytest.approx(nll, rel=1e-4)
        assert parts["loss"][b].item() == pytest.approx(nll + kl, rel=1e-4)
    # changing the visible half's target pixels changes nothing but the input: the hidden half is scored
    flipped = x.clone()
    flipped[:, :, -1] = 1 - flipped[:, :, -1]  # the last row lies in the hidden half
    torch.manual_seed(1)
    assert not torch.allclose(completion.completion_loss(model, flipped)["recon"], parts["recon"])


def test_importance_sampled_likelihood_matches_brute_force_integration_in_one_dimension():
    torch.manual_seed(0)
    model = completion.CompletionCVAE(latent_dim=1, hidden=(8,), device="cpu")
    with torch.no_grad():
        model.decoder[-1].weight.mul_(0.1)  # a smooth likelihood in z, so the grid integral is exact
    x = _images(3, seed=2)
    visible, hidden = completion.split(x)
    grid = torch.linspace(-10, 10, 8001)[:, None]  # [G, 1]
    dz = (grid[1] - grid[0]).item()
    brute = []
    with torch.no_grad():
        for b in range(3):
            logits = model.decode(grid, visible[b].expand(len(grid), -1))
            log_p = -F.binary_cross_entropy_with_logits(
                logits, hidden[b].expand(len(grid), -1), reduction="none"
            ).sum(1)
            log_prior = -0.5 * grid[:, 0] ** 2 - 0.5 * math.log(2 * math.pi)
            brute.append(torch.logsumexp(log_p + log_prior, 0).item() + math.log(dz))
    g = torch.Generator().manual_seed(0)
    estimate = completion.conditional_log_likelihood(model, x, k=4000, chunk=1000, generator=g)
    elbo = completion.log_weights(model, x, 4000, generator=g).mean(0)  # the conditional ELBO
    for b in range(3):
        assert estimate[b].item() == pytest.approx(brute[b], abs=0.05)
        assert elbo[b].item() <= brute[b] + 1e-3


def test_best_of_k_takes_the_smallest_hidden_error_and_ignores_the_visible_half():
    x = _images(2, binary=False)
    good, bad = x.clone(), x.clone()
    bad[:, :, completion.VISIBLE_ROWS :] = 0
    good[:, :, : completion.VISIBLE_ROWS] = 1  # the visible half is not scored
    stack = torch.stack([bad, good])
    assert torch.equal(completion.best_of_k_error(stack, x), torch.zeros(2))
    expected = (x[:, :, completion.VISIBLE_ROWS :] ** 2).flatten(1).sum(1)
    assert torch.allclose(completion.hidden_squared_error(bad, x), expected)


def test_completions_keep_the_visible_half_and_differ_between_draws():
    torch.manual_seed(0)
    model = completion.CompletionCVAE(latent_dim=4, hidden=(16,), device="cpu")
    x = _images(3, binary=False)
    out = completion.complete(model, x, 5, generator=torch.Generator().manual_seed(0))
    assert out.shape == (5, 3, *IMAGE_SHAPE)
    assert torch.equal(
        out[:, :, :, : completion.VISIBLE_ROWS],
        x[None, :, :, : completion.VISIBLE_ROWS].expand(5, -1, -1, -1, -1),
    )
    assert not torch.allclose(out[0], out[1])


def test_feature_reconstruction_loss_against_a_hand_computation():
    features = lambda x: x.flatten(1)[:, :3] * torch.tensor([1.0, 2.0, -1.0])  # noqa: E731
    a, b = torch.zeros(1, *IMAGE_SHAPE), torch.zeros(1, *IMAGE_SHAPE)
    b.view(1, -1)[0, :3] = torch.tensor([1.0, 1.0, 3.0])
    # features(a) = 0; features(b) = (1, 2, -3): 1/2 (1 + 4 + 9) = 7
    assert vaegan.feature_reconstruction_loss(features, a, b).tolist() == [7.0]
    torch.manual_seed(0)
    model = vaegan.VAEGAN(2, hidden=(8,), device="cpu")
    assert torch.allclose(
        vaegan.feature_distance(model, a, b),
        2 * vaegan.feature_reconstruction_loss(model.discriminator.features, a, b),
    )


def test_discriminator_and_generator_loss_signs():
    confident_real, confident_fake = torch.tensor([8.0]), torch.tensor([-8.0])
    # a discriminator that is right costs little, one that is wrong costs much
    assert vaegan.discriminator_loss(confident_real, confident_fake) < 0.01
    assert vaegan.discriminator_loss(confident_fake, confident_real) > 15
    # -log D(x) - log(1 - D(fake)) by hand at logits 0 and 1
    d_real, d_fake = torch.sigmoid(torch.tensor(1.0)), torch.sigmoid(torch.tensor(0.0))
    by_hand = -torch.log(d_real) - torch.log(1 - d_fake)
    assert vaegan.discriminator_loss(torch.tensor([1.0]), torch.tensor([0.0])).item() == pytest.approx(
        by_hand.item()
    )
    # the generator gains by fooling: its loss falls as D(fake) rises, and is -log D(fake)
    assert vaegan.generator_loss(confident_real) < vaegan.generator_loss(confident_fake)
    assert vaegan.generator_loss(torch.tensor([0.0])).item() == pytest.approx(math.log(2))


def test_vaegan_trains_each_network_on_its_own_loss():
    torch.manual_seed(0)
    model = vaegan.VAEGAN(2, hidden=(16,), device="cpu")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    history = vaegan.train_vaegan(model, _images(32, binary=False), epochs=2, batch_size=16)
    assert set(history) == {"train_feature", "train_kl", "train_discriminator"}
    assert all(len(v) == 2 and all(math.isfinite(e) for e in v) for v in history.values())
    after = model.state_dict()
    assert all(not torch.equal(before[k], after[k]) for k in before)


def test_edge_energy_is_lower_for_a_blurred_image():
    x = _images(2)
    blurred = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    assert (vaegan.edge_energy(blurred) < vaegan.edge_energy(x)).all()
    one = torch.zeros(1, 1, 2, 2)
    one[0, 0, 0, 0] = 1.0  # one differing neighbour across, one down
    assert vaegan.edge_energy(one).tolist() == [2.0]


def test_nats_to_bits_and_codec_sizes_against_the_standard_library():
    assert compression.nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert torch.allclose(compression.nats_to_bits(torch.tensor([math.log(256)])), torch.tensor([8.0]))
    x = _images(4)
    bits = compression.codec_bits(x)
    packed = [np.packbits(x[i, 0].numpy().astype(np.uint8)).tobytes() for i in range(4)]
    assert bits["raw"] == N_PIXELS
    assert bits["zlib"] == pytest.approx(8 * np.mean([len(zlib.compress(p, 9)) for p in packed]))
    assert bits["gzip"] == pytest.approx(8 * np.mean([len(gzip.compress(p, 9, mtime=0)) for p in packed]))
    assert bits["zlib, all at once"] == pytest.approx(8 * len(zlib.compress(b"".join(packed), 9)) / 4)
    import io

    from PIL import Image

    png = compression.png_bytes_1bit(x[0, 0].numpy())
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(png))).astype(np.uint8), x[0, 0].numpy().astype(np.uint8)
    )
    with pytest.raises(ValueError, match="binary images"):
        compression.codec_bits(torch.full((1, *IMAGE_SHAPE), 0.5))


def test_kl_weight_scales_only_the_optimised_kl():
    torch.manual_seed(0)
    model = completion.CompletionCVAE(latent_dim=3, hidden=(8,), device="cpu")
    x = torch.rand(4, 1, 28, 28)
    torch.manual_seed(1)
    full = completion.completion_loss(model, x)
    torch.manual_seed(1)
    cheap = completion.completion_loss(model, x, kl_weight=0.3)
    assert torch.allclose(cheap["recon"], full["recon"]) and torch.allclose(cheap["kl"], full["kl"])
    assert torch.allclose(cheap["loss"], full["recon"] + 0.3 * full["kl"])


def test_conv_discriminator_features_and_training_step():
    torch.manual_seed(0)
    model = vaegan.VAEGAN(2, hidden=(16,), conv_channels=4, device="cpu")
    x = torch.rand(5, 1, 28, 28)
    assert model.discriminator.features(x).shape == (5, 4 * 196 + 2 * 4 * 49)  # both layers
    assert model.discriminator(x.flatten(1)).shape == (5,)
    before = [p.clone() for p in model.discriminator.parameters()]
    history = vaegan.train_vaegan(model, torch.rand(16, 1, 28, 28), epochs=1, batch_size=8)
    assert all(len(v) == 1 for v in history.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.discriminator.parameters()))


def test_pixel_weight_adds_the_bce_to_the_reconstruction_only():
    torch.manual_seed(0)
    model = vaegan.VAEGAN(2, hidden=(8,), conv_channels=4, device="cpu")
    x = torch.rand(6, 1, 28, 28)
    parts = {}
    for weight in (0.0, 0.5):
        torch.manual_seed(1)  # the same reparameterisation and prior draws for both
        parts[weight] = vaegan._step_losses(model, x, gamma=0.3, pixel_weight=weight)
    torch.manual_seed(1)
    mu, logvar = model.encode(x)
    logits = model.decode(model.reparameterize(mu, logvar))
    bce = F.binary_cross_entropy_with_logits(logits.flatten(1), x.flatten(1), reduction="none").sum(1).mean()
    (enc0, dec0, dis0, feat0, kl0), (enc1, dec1, dis1, feat1, kl1) = parts[0.0], parts[0.5]
    assert torch.allclose(enc1, enc0 + 0.5 * bce) and torch.allclose(dec1, dec0 + 0.3 * 0.5 * bce)
    # the discriminator, the reported feature loss and the KL do not see the pixel term
    assert torch.equal(dis1, dis0) and torch.equal(feat1, feat0) and torch.equal(kl1, kl0)
