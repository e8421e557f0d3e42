"""course_utils.train.fit: it learns, it is reproducible, it logs every part of the loss."""

import pytest
import torch

from course_utils import losses, models, recipes, train


def toy_digits(n=256, seed=0):
    """Blurry strokes: a learnable, structured data set that needs no download."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, 28, 28)
    cols = torch.randint(6, 22, (n,), generator=g)
    for i, c in enumerate(cols.tolist()):
        x[i, 0, 4:24, c - 1:c + 2] = 1.0
    return x


def test_fit_lowers_the_loss_and_logs_train_and_test():
    x = toy_digits()
    torch.manual_seed(0)
    ae = models.Autoencoder(2, hidden=(64,), device="cpu")
    hist = train.fit(ae, recipes.autoencoder_loss, x[:200], test_data=x[200:], epochs=8, lr=3e-3,
                     batch_size=32, progress=False)
    assert len(hist["train_loss"]) == 8 and len(hist["test_loss"]) == 8
    assert hist["train_loss"][-1] < 0.6 * hist["train_loss"][0]
    assert hist["test_loss"][-1] < hist["test_loss"][0]


def test_fit_is_reproducible_for_a_seed():
    x = toy_digits(128)

    def run(seed):
        torch.manual_seed(123)
        vae = models.VAE(2, hidden=(32,), device="cpu")
        return train.fit(vae, losses.vae_loss, x, epochs=2, batch_size=32, seed=seed, progress=False)

    a, b, c = run(0), run(0), run(1)
    assert a == b
    assert a["train_loss"] != c["train_loss"]
    assert set(a) == {"train_loss", "train_recon", "train_kl"}
    assert a["train_loss"][0] == pytest.approx(a["train_recon"][0] + a["train_kl"][0], rel=1e-5)


def test_fit_supports_tuples_of_tensors():
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
    lin = torch.nn.Linear(3, 1)
    hist = train.fit(lin, lambda m, xb, yb: (m(xb).squeeze(1) - yb) ** 2, (x, y), epochs=60,
                     lr=0.05, batch_size=16, progress=False)
    assert hist["train_loss"][-1] < 1e-3


def test_fit_stops_with_a_clear_error_when_the_loss_diverges():
    lin = torch.nn.Linear(1, 1)
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        train.fit(lin, lambda m, xb: m(xb).squeeze(1) * float("nan"), torch.ones(4, 1), epochs=1,
                  progress=False)


def test_fit_rejects_a_loss_that_is_not_per_sample():
    lin = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"per-sample \[B\]"):
        train.fit(lin, lambda m, xb: m(xb), torch.ones(4, 2), epochs=1, progress=False)
