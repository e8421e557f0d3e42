"""Model quality: the notebook-5 VAEs with their default settings, on dynamically binarized test digits.

Prints the test ELBO and the IWAE log-likelihood estimate (k = 5,000) in nats per image, with the
data source. Run without COURSE_FAST for the classroom models: python benchmarks/model_quality.py
"""

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils first

from common import machine  # noqa: E402

from course_utils import config, data, losses, recipes  # noqa: E402


@torch.no_grad()
def evaluate(model, xb, k, chunk=500):
    elbo = losses.elbo(model, xb, n_samples=1).mean().item()
    torch.manual_seed(0)
    ll = (
        torch.cat([losses.iwae_bound(model, xb[i : i + 50], k=k, chunk=chunk) for i in range(0, len(xb), 50)])
        .mean()
        .item()
    )
    return elbo, ll


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {machine()}; fast mode: {config.FAST}")
    x, _ = data.load(train=True)
    xt, _ = data.load(train=False)
    print(
        f"data: {data.loaded().dataset_title} from {data.loaded().source}; "
        f"training on {min(len(x), config.TRAIN_SIZE):,} images, "
        f"{recipes.DEFAULT_EPOCHS} epochs"
    )
    xb = data.binarize(xt[: args.n_test], generator=torch.Generator(device=xt.device).manual_seed(0))
    for dim in (2, 20):
        start = time.perf_counter()
        model, hist = recipes.vae(dim, x[: config.TRAIN_SIZE], xt)
        trained = time.perf_counter() - start
        start = time.perf_counter()
        elbo, ll = evaluate(model, xb, args.k)
        print(
            f"{dim:>2}-D VAE: test ELBO {elbo:.2f}, IWAE (k={args.k}) log-likelihood {ll:.2f} nats "
            f"on {len(xb)} binarized test digits (train/load {trained:.0f} s, evaluation "
            f"{time.perf_counter() - start:.0f} s)"
        )


if __name__ == "__main__":
    main()
