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
        x[i, 0, 4:24, c - 1 : c + 2] = 1.0
    return x


def test_fit_lowers_the_loss_and_logs_train_and_test():
    x = toy_digits()
    torch.manual_seed(0)
    ae = models.Autoencoder(2, hidden=(64,), device="cpu")
    hist = train.fit(
        ae,
        recipes.autoencoder_loss,
        x[:200],
        test_data=x[200:],
        epochs=8,
        lr=3e-3,
        batch_size=32,
        progress=False,
    )
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
    hist = train.fit(
        lin,
        lambda m, xb, yb: (m(xb).squeeze(1) - yb) ** 2,
        (x, y),
        epochs=60,
        lr=0.05,
        batch_size=16,
        progress=False,
    )
    assert hist["train_loss"][-1] < 1e-3


def test_fit_stops_with_a_clear_error_when_the_loss_diverges():
    lin = torch.nn.Linear(1, 1)
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        train.fit(
            lin, lambda m, xb: m(xb).squeeze(1) * float("nan"), torch.ones(4, 1), epochs=1, progress=False
        )


def test_fit_rejects_a_loss_that_is_not_per_sample():
    lin = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"per-sample \[B\]"):
        train.fit(lin, lambda m, xb: m(xb), torch.ones(4, 2), epochs=1, progress=False)


def test_fit_names_the_epoch_and_batch_where_the_loss_diverged():
    calls = []

    def loss_fn(m, xb):  # finite for the probe and 11 training batches, then NaN
        calls.append(1)
        out = (m(xb).squeeze(1) - 1) ** 2
        return out * float("nan") if len(calls) > 12 else out

    lin = torch.nn.Linear(1, 1)
    # 8 batches per epoch: the 12th training batch is epoch 2, batch 4
    with pytest.raises(FloatingPointError, match=r"\(epoch 2, batch 4\); try a smaller learning rate"):
        train.fit(lin, loss_fn, torch.ones(64, 1), epochs=3, batch_size=8, progress=False)


def test_fit_rejects_bad_data_anywhere_in_it_before_training():
    x = toy_digits(256)
    ae = models.Autoencoder(2, hidden=(16,), device="cpu")
    before = [p.detach().clone() for p in ae.parameters()]
    bad = x.clone()
    bad[200, 0, 3, 3] = 1.5  # far from the first batch: the probe of the extreme rows finds it
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        train.fit(ae, recipes.autoencoder_loss, bad, epochs=1, batch_size=32, progress=False)
    bad[200, 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="train_data contains NaN"):
        train.fit(ae, recipes.autoencoder_loss, bad, epochs=1, batch_size=32, progress=False)
    with pytest.raises(ValueError, match="test_data contains NaN"):
        train.fit(ae, recipes.autoencoder_loss, x, test_data=bad, epochs=1, progress=False)
    with pytest.raises(ValueError, match="same first dimension"):
        train.fit(ae, lambda m, a, b: recipes.autoencoder_loss(m, a), (x, x[:10]), epochs=1, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, ae.parameters()))  # nothing was trained


def test_batches_draw_the_order_on_the_generator_and_index_data_on_another_device():
    from course_utils.data import batches

    x = torch.arange(10.0, device="meta")  # stands in for a GPU: the order moves to the data's device
    got = list(batches(x, batch_size=4, generator=torch.Generator().manual_seed(0)))
    assert [b[0].shape[0] for b in got] == [4, 4, 2] and got[0][0].device.type == "meta"
    cpu = torch.arange(10.0)
    expected = torch.randperm(10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(
        torch.cat([b[0] for b in batches(cpu, batch_size=4, generator=torch.Generator().manual_seed(0))]),
        expected.float(),
    )
    with pytest.raises(ValueError, match="one device"):
        list(batches(cpu, x, batch_size=4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_does_not_sync_with_the_gpu_once_per_batch():
    import warnings

    x = toy_digits(600).cuda()
    vae = models.VAE(2, hidden=(32,), device="cuda")
    n_batches = 2 * 75

    def plain_loss(model, x):  # the loop's own syncs, without the losses' value checks (one read each)
        logits, mu, logvar = model(x)
        recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
        return recon.flatten(1).sum(1) + 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(1)

    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train.fit(vae, plain_loss, x, epochs=2, batch_size=8, progress=False)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert len(syncs) < n_batches / 3, f"{len(syncs)} device syncs in {n_batches} batches"


def test_fit_checks_its_data_on_every_call():
    x = toy_digits(64)
    ae = models.Autoencoder(2, hidden=(16,), device="cpu")
    train.fit(ae, recipes.autoencoder_loss, x, epochs=1, batch_size=32, progress=False)
    x[40, 0, 0, 0] = float("nan")  # in place, after a first call
    with pytest.raises(ValueError, match="train_data contains NaN"):
        train.fit(ae, recipes.autoencoder_loss, x, epochs=1, batch_size=32, progress=False)
    x[40, 0, 0, 0] = 2.0
    with pytest.raises(ValueError, match=r"train_data \[64, 1, 28, 28\] .* targets must lie in \[0, 1\]"):
        train.fit(ae, recipes.autoencoder_loss, x, epochs=1, batch_size=32, progress=False)


def test_fit_logs_a_part_computed_on_part_of_the_batch():
    """A loss may log a part over a sub-batch (notebook 3's contractive penalty on 16 of 64 images):
    its history is the mean of the part, not an error."""
    model = models.Autoencoder(2, hidden=(8,))
    x = torch.rand(64, 1, 28, 28)

    def loss(model, x):
        recon = losses.bernoulli_nll(model(x), x)
        penalty = recon[:16] * 0 + 1.0  # [16], not [B]
        return {"loss": recon + penalty.mean(), "recon": recon, "penalty": penalty}

    history = train.fit(model, loss, x, epochs=1, batch_size=64, progress=False)
    assert history["train_penalty"] == [pytest.approx(1.0)]
    assert history["train_loss"][0] == pytest.approx(history["train_recon"][0] + 1.0, rel=1e-5)


def _ae():
    return models.Autoencoder(2, hidden=(16,), device="cpu")


def test_a_float64_numpy_array_trains_as_its_float32_tensor():
    x = toy_digits(64)
    runs = []
    for data in (x, x.double().numpy()):
        torch.manual_seed(0)
        ae = _ae()
        runs.append(train.fit(ae, recipes.autoencoder_loss, data, epochs=2, batch_size=32, progress=False))
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "data, message",
    [
        (
            (toy_digits(8) * 255).to(torch.uint8),
            r"train_data is uint8 \[8, 1, 28, 28\] with values in \[0, 255\] \(raw pixels\); "
            r"images are floats in \[0, 1\]: pass train_data.float\(\) / 255",
        ),
        (toy_digits(8) > 0.5, r"train_data is a bool tensor; pass train_data.float\(\)"),
        (torch.zeros(0, 1, 28, 28), r"train_data \[0, 1, 28, 28\] is empty: no samples to train on"),
        ("digits.npy", "train_data must be a torch tensor, got str"),
        (
            toy_digits(8).permute(0, 2, 3, 1),
            r"train_data \[8, 28, 28, 1\] does not fit the model and loss_fn: expected x of shape "
            r"\[B, 1, 28, 28\] or \[B, 784\]; each of its rows is \[28, 28, 1\]; channels last\? "
            r"pass x.permute\(0, 3, 1, 2\)$",
        ),
        (toy_digits(1)[0, 0], r"train_data \[28, 28\] does not fit .* each of its rows is \[28\]$"),
    ],
)
def test_fit_names_the_students_data_and_the_fix(data, message):
    with pytest.raises((ValueError, TypeError), match=message):
        train.fit(_ae(), recipes.autoencoder_loss, data, epochs=1, progress=False)


def test_fit_takes_labels_of_any_integer_type_for_one_hot():
    x, y = toy_digits(32), torch.arange(32) % 10

    def loss(model, xb, yb):  # F.one_hot needs int64
        return recipes.autoencoder_loss(model, xb) + 0 * torch.nn.functional.one_hot(yb, 10).sum(1)

    for labels in (y.int(), y.short(), y.to(torch.uint8), y.numpy().astype("int32")):
        train.fit(_ae(), loss, (x, labels), epochs=1, batch_size=16, progress=False)
    train.fit(_ae(), loss, [x.numpy(), y.numpy()], epochs=1, batch_size=16, progress=False)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"epochs": 2.5}, "epochs must be a whole number, got 2.5"),
        ({"epochs": -1}, "epochs must be >= 0, got -1"),
        ({"epochs": 1, "batch_size": 64.0}, "batch_size must be a whole number, got 64.0"),
        ({"epochs": 1, "batch_size": 0}, "batch_size must be >= 1, got 0"),
        ({"epochs": 1, "lr": float("nan")}, "lr must be positive, got nan"),
    ],
)
def test_fit_names_a_bad_setting(settings, message):
    with pytest.raises(ValueError, match=message):
        train.fit(_ae(), recipes.autoencoder_loss, toy_digits(8), progress=False, **settings)
