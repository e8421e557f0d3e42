"""Tests for the stacked autoencoder and greedy layer-wise pretraining
(course_utils.ch3_autoencoders.stacked)."""

import pytest
import torch

from course_utils import data, losses, models, recipes, train
from course_utils.ch3_autoencoders import stacked


@pytest.fixture(scope="module")
def digits():
    x_train, _ = data.load(train=True, device="cpu")
    x_test, _ = data.load(train=False, device="cpu")
    return x_train[:512], x_test[:256]


def _deep(seed=0, hidden=(64, 16), latent=4):
    torch.manual_seed(seed)
    return models.Autoencoder(latent, hidden=hidden, device="cpu")


def test_layer_pairs_are_the_models_own_layers_outermost_first():
    model = _deep()
    pairs = stacked.layer_pairs(model)
    shapes = [((e.in_features, e.out_features), (d.in_features, d.out_features)) for e, d in pairs]
    assert shapes == [((784, 64), (64, 784)), ((64, 16), (16, 64)), ((16, 4), (4, 16))]
    assert pairs[0][0] is model.encoder[0] and pairs[0][1] is model.decoder[-1]
    with pytest.raises(ValueError, match="hidden layer"):
        stacked.layer_pairs(models.Autoencoder(3, hidden=(), device="cpu"))


def test_layer_inputs_are_the_frozen_relu_codes_of_the_layers_before(digits):
    model = _deep()
    x = digits[0][:8]
    assert torch.equal(stacked.layer_inputs(model, x, 0), x.reshape(8, 784))
    h1 = torch.relu(model.encoder[0](x.reshape(8, 784)))
    assert torch.allclose(stacked.layer_inputs(model, x, 1), h1)
    assert torch.allclose(stacked.layer_inputs(model, x, 2), torch.relu(model.encoder[2](h1)))
    assert not stacked.layer_inputs(model, x, 2).requires_grad
    with pytest.raises(ValueError, match="layer must be in 0..2"):
        stacked.layer_inputs(model, x, 3)


def test_layer_loss_bernoulli_outside_gaussian_inside_linear_code_innermost():
    torch.manual_seed(1)
    enc, dec = torch.nn.Linear(10, 3), torch.nn.Linear(3, 10)
    h = torch.rand(5, 10)
    outer = stacked.layer_loss(enc, dec, h, innermost=False, outermost=True)
    assert torch.allclose(outer, losses.bernoulli_nll(dec(torch.relu(enc(h))), h))
    inner = stacked.layer_loss(enc, dec, h, innermost=False, outermost=False)
    assert torch.allclose(inner, losses.gaussian_nll(dec(torch.relu(enc(h))), h))
    innermost = stacked.layer_loss(enc, dec, h, innermost=True, outermost=False)
    assert torch.allclose(innermost, losses.gaussian_nll(dec(enc(h)), h))  # the code z has no ReLU
    assert not torch.allclose(innermost, inner)
    assert outer.shape == inner.shape == (5,)


def test_pretraining_trains_every_layer_and_leaves_a_working_autoencoder(digits):
    x_train, x_test = digits
    model = _deep()
    before = train.evaluate(model, recipes.autoencoder_loss, x_test)["loss"]
    history = stacked.pretrain_layerwise(model, x_train, epochs_per_layer=3, lr=3e-3, batch_size=32)
    assert sorted(history) == ["layer1_train_loss", "layer2_train_loss", "layer3_train_loss"]
    for name, losses_by_epoch in history.items():
        assert len(losses_by_epoch) == 3 and losses_by_epoch[-1] < losses_by_epoch[0], (name, losses_by_epoch)
    after = train.evaluate(model, recipes.autoencoder_loss, x_test)["loss"]
    assert after < 0.75 * before, (before, after)  # the stack, never trained as a whole, reconstructs
    with pytest.raises(ValueError, match="epochs_per_layer"):
        stacked.pretrain_layerwise(model, x_train, epochs_per_layer=0)


def test_pretraining_a_layer_leaves_the_layers_before_it_unchanged(digits):
    model = _deep()
    first = {k: v.clone() for k, v in model.state_dict().items()}
    stacked.pretrain_layerwise(model, digits[0][:128], epochs_per_layer=1, batch_size=64)
    # every layer changed (each was trained once) ...
    assert all(not torch.equal(first[k], v) for k, v in model.state_dict().items())
    # ... and re-running pretraining of layer 2 alone cannot reach layer 1: layer_inputs is detached
    model.zero_grad(set_to_none=True)
    h1 = stacked.layer_inputs(model, digits[0][:16], 1)
    stacked.layer_loss(
        model.encoder[2], model.decoder[2], h1, innermost=False, outermost=False
    ).mean().backward()
    assert model.encoder[0].weight.grad is None and model.decoder[-1].weight.grad is None
    assert model.encoder[2].weight.grad is not None


def test_stacked_recipe_same_budget_same_start_and_cached(digits, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x_train, x_test = digits
    kwargs = {"hidden": (32, 8), "epochs": 5, "pretrain_epochs_per_layer": 1, "batch_size": 64}
    runs = stacked.stacked_autoencoder(4, x_train[:256], x_test, **kwargs)
    assert len(runs["end_to_end"][1]["test_loss"]) == 5
    assert len(runs["fine_tuned"][1]["test_loss"]) == 5 - 3 * 1  # the rest of the budget
    assert sorted(runs["pretrained"][1]) == [
        "layer1_train_loss",
        "layer2_train_loss",
        "layer3_train_loss",
        "test_loss",
    ]
    pre_loss = runs["pretrained"][1]["test_loss"][0]
    assert pre_loss == pytest.approx(
        train.evaluate(runs["pretrained"][0], recipes.autoencoder_loss, x_test)["loss"], rel=1e-5
    )
    # both start from the weights of torch.manual_seed(0): the end-to-end recipe builds exactly that model
    torch.manual_seed(0)
    start = models.Autoencoder(4, hidden=(32, 8))
    e2e_again, _ = recipes.autoencoder(
        4, x_train[:256], x_test, hidden=(32, 8), epochs=0, batch_size=64, name="start-check"
    )
    assert all(
        torch.equal(a, b) for a, b in zip(start.state_dict().values(), e2e_again.state_dict().values())
    )
    capsys.readouterr()
    again = stacked.stacked_autoencoder(4, x_train[:256], x_test, **kwargs)
    assert capsys.readouterr().out.count("Loaded the trained") == 3
    for key in runs:
        assert all(
            torch.equal(a, b)
            for a, b in zip(runs[key][0].state_dict().values(), again[key][0].state_dict().values())
        )
    with pytest.raises(ValueError, match="epochs"):
        stacked.stacked_autoencoder(4, x_train, x_test, hidden=(32, 8), epochs=3, pretrain_epochs_per_layer=1)
