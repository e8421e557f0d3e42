"""course_utils.recipes: the shared models train once, then every notebook loads the same weights."""

import torch

from course_utils import recipes


def test_recipes_train_once_and_share_the_cached_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x = (torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.7).float()
    x = x.to(next(recipes.models.VAE(2, hidden=(8,)).parameters()).device)
    vae_a, hist_a = recipes.vae(2, x, x[:16], hidden=(16,), epochs=2, batch_size=32)
    ae, hist_ae = recipes.autoencoder(2, x, hidden=(16,), epochs=2, batch_size=32)
    capsys.readouterr()
    vae_b, hist_b = recipes.vae(2, x, x[:16], hidden=(16,), epochs=2, batch_size=32)
    assert "Loaded the trained 'vae2d'" in capsys.readouterr().out
    assert hist_a == hist_b and {"train_recon", "train_kl", "test_loss"} <= set(hist_a)
    assert set(hist_ae) == {"train_loss"} and len(hist_ae["train_loss"]) == 2
    for a, b in zip(vae_a.state_dict().values(), vae_b.state_dict().values()):
        assert torch.equal(a, b)
    assert isinstance(ae, recipes.models.Autoencoder) and isinstance(vae_a, recipes.models.VAE)
    # another setting is another model
    recipes.vae(2, x, x[:16], hidden=(16,), epochs=1, batch_size=32)
    assert "Loaded" not in capsys.readouterr().out


def test_a_recipe_names_its_checkpoint_and_its_settings():
    import pytest

    recipe = recipes.Recipe("vae", 20, hidden=[64, 32], epochs=3)
    assert recipe.hidden == (64, 32) and recipe.checkpoint_name() == "vae20d"
    assert recipe.settings(100) == {
        "kind": "vae",
        "latent_dim": 20,
        "hidden": [64, 32],
        "epochs": 3,
        "lr": 1e-3,
        "batch_size": 128,
        "seed": 0,
        "n_train": 100,
    }
    assert recipes.Recipe("autoencoder", 2).epochs == recipes.DEFAULT_EPOCHS
    assert recipes.Recipe("autoencoder", 2, name="mine").checkpoint_name() == "mine"
    with pytest.raises(ValueError, match="unknown recipe kind"):
        recipes.Recipe("gan", 2)
