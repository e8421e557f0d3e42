"""course_utils.recipes: the shared models train once, then every notebook loads the same weights; another
tensor or any other setting is another model."""

import pytest
import torch

from course_utils import models, recipes


@pytest.fixture
def x(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x = (torch.rand(128, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.7).float()
    return x.to(next(models.VAE(2, hidden=(8,)).parameters()).device)


def same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_recipes_train_once_and_share_the_cached_model(x, capsys):
    vae_a, hist_a = recipes.vae(2, x, x[:16], hidden=(16,), epochs=2, batch_size=32)
    ae, hist_ae = recipes.autoencoder(2, x, hidden=(16,), epochs=2, batch_size=32)
    capsys.readouterr()
    vae_b, hist_b = recipes.vae(2, x, x[:16], hidden=(16,), epochs=2, batch_size=32)
    assert capsys.readouterr().out.startswith("Loaded the trained 'vae2d' from the cache (vae2d-")
    assert hist_a == hist_b and {"train_recon", "train_kl", "test_loss"} <= set(hist_a)
    assert set(hist_ae) == {"train_loss"} and len(hist_ae["train_loss"]) == 2
    assert same_weights(vae_a, vae_b)
    assert isinstance(ae, models.Autoencoder) and isinstance(vae_a, models.VAE)
    assert ae.hidden == (16,) and ae.latent_dim == 2


def test_two_tensors_of_the_same_size_give_two_models(x, capsys):
    """Issue 25's stale key: the second slice used to load the first slice's model."""
    first, _ = recipes.autoencoder(2, x[:64], epochs=1, hidden=(16,))
    second, _ = recipes.autoencoder(2, x[64:], epochs=1, hidden=(16,))
    assert "Loaded" not in capsys.readouterr().out and not same_weights(first, second)
    again, _ = recipes.autoencoder(2, x[64:].clone(), epochs=1, hidden=(16,))  # same content, another tensor
    assert "Loaded the trained 'ae2d'" in capsys.readouterr().out and same_weights(second, again)


@pytest.mark.parametrize(
    "change",
    [{"lr": 2e-3}, {"batch_size": 64}, {"seed": 1}, {"epochs": 2}, {"hidden": (8,)}, {"test_x": "half"}],
)
def test_changing_any_setting_retrains(x, capsys, change):
    base = {"hidden": (16,), "epochs": 1, "batch_size": 32}
    recipes.vae(2, x, x[:16], **base)
    capsys.readouterr()
    settings = {**base, **change}
    test_x = x[:8] if settings.pop("test_x", None) == "half" else x[:16]
    model, _ = recipes.vae(2, x, test_x, **settings)
    out = capsys.readouterr().out
    assert "Loaded" not in out and out.startswith("Training 'vae2d': no cached model for these settings")


def test_the_default_epochs_and_the_checkpoint_name(x, capsys, monkeypatch):
    monkeypatch.setattr(recipes, "DEFAULT_EPOCHS", 1)
    _, history = recipes.autoencoder(3, x, hidden=(8,), name="mine")
    assert len(history["train_loss"]) == 1
    recipes.autoencoder(3, x, hidden=(8,), epochs=1, name="mine")  # the default, spelled out
    assert "Loaded the trained 'mine'" in capsys.readouterr().out
