"""course_utils.models and course_utils.device."""

import pytest
import torch

from course_utils import device, models


def test_get_device_prefers_override_and_rejects_missing_cuda(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.get_device() == torch.device("cpu")
    monkeypatch.delenv("COURSE_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert device.get_device().type == "cuda"
    if not torch.cuda.is_available():
        monkeypatch.setenv("COURSE_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            device.get_device()


@pytest.mark.parametrize("shape", [(3, 1, 28, 28), (3, 784)])
def test_autoencoder_accepts_images_and_flat_vectors(shape):
    ae = models.Autoencoder(5, hidden=(16,), device="cpu")
    x = torch.rand(shape)
    z = ae.encode(x)
    assert z.shape == (3, 5)
    assert ae.decode(z).shape == (3, 1, 28, 28)
    assert torch.allclose(ae(x), ae.decode(z))


def test_linear_autoencoder_has_no_nonlinearity():
    ae = models.Autoencoder(3, hidden=(), device="cpu")
    assert [type(m).__name__ for m in ae.encoder] == ["Linear"]
    x1, x2 = torch.rand(1, 784), torch.rand(1, 784)
    # linear (affine) maps: f(a+b) - f(0) = (f(a) - f(0)) + (f(b) - f(0))
    zero = torch.zeros(1, 784)
    lhs = ae.encode(x1 + x2) - ae.encode(zero)
    rhs = ae.encode(x1) - ae.encode(zero) + ae.encode(x2) - ae.encode(zero)
    assert torch.allclose(lhs, rhs, atol=1e-5)


def test_models_reject_wrong_shapes():
    ae = models.Autoencoder(2, device="cpu")
    with pytest.raises(ValueError, match=r"\[B, 1, 28, 28\] or \[B, 784\]"):
        ae.encode(torch.rand(3, 100))


def test_vae_shapes_and_reparameterize_statistics():
    vae = models.VAE(4, hidden=(16,), device="cpu")
    logits, mu, logvar = vae(torch.rand(7, 1, 28, 28))
    assert logits.shape == (7, 1, 28, 28) and mu.shape == (7, 4) and logvar.shape == (7, 4)
    torch.manual_seed(0)
    m = torch.tensor([[1.0, -2.0]]).expand(100_000, 2)
    lv = torch.tensor([[0.0, 2 * torch.log(torch.tensor(3.0))]]).expand(100_000, 2)
    z = models.VAE.reparameterize(m, lv)
    assert torch.allclose(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.05)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 3.0]), atol=0.05)


def test_gradients_reach_mu_and_logvar_through_reparameterize():
    mu = torch.zeros(5, 3, requires_grad=True)
    logvar = torch.zeros(5, 3, requires_grad=True)
    z = models.VAE.reparameterize(mu, logvar)
    (z**2).sum().backward()
    assert mu.grad is not None and logvar.grad is not None
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_latent_codes_is_deterministic_mean_for_vae():
    vae = models.VAE(3, hidden=(16,), device="cpu")
    x = torch.rand(10, 1, 28, 28)
    codes = models.latent_codes(vae, x, batch_size=4)
    # Batches of 4 and of 10 take different BLAS paths, which round differently (~1e-7);
    # a sampled z would be off by about the posterior's spread, far beyond this tolerance.
    assert torch.allclose(codes, vae.encode(x)[0], atol=1e-5)
    assert torch.equal(codes, models.latent_codes(vae, x, batch_size=4))
    imgs = models.decode_images(vae, codes)
    assert imgs.shape == (10, 1, 28, 28) and imgs.min() >= 0 and imgs.max() <= 1
