"""Training speed, three loops in one process: the pytorch/examples loop, ``fit``, and the bare loop.

All three train the same 784-400-20 MLP VAE with summed BCE + KL per image (the batch mean is
optimized), Adam 1e-3, batch 128, on the same 60,000 images, one epoch per run, and every run starts
from the same initial weights:

(a) as pytorch/examples vae/main.py does it: torchvision ``MNIST`` with ``ToTensor``, a
    ``DataLoader`` (num_workers=0, as the example on a CPU), a sigmoid output and
    ``F.binary_cross_entropy`` (the example's own model class, sum over the batch);
(b) ``course_utils.train.fit(model, losses.vae_loss, x, epochs=1)`` on an in-memory tensor;
(c) the bare loop: the course model and the same loss written inline, no checks, no logging:
    ``for idx in torch.randperm(N).split(128): x = X[idx]; ...``. It is the limit of this model on
    this machine: what (b) adds to it is the cost of ``fit`` itself.

The runs are interleaved (a b c a b c ...) so that a change in the machine's load hits all three
alike; each is repeated ``--repeats`` times and the median seconds per epoch is reported.

Run: python benchmarks/train_speed.py [--repeats 5] [--device cpu] [--threads N] [--images N]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import datasets, transforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils first

from common import machine, mnist_60k_root  # noqa: E402

from course_utils import losses, models, train  # noqa: E402


class ExampleVAE(nn.Module):
    """pytorch/examples vae/main.py, verbatim in structure."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def example_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def copy_weights(example: ExampleVAE, course: models.VAE) -> None:
    """Give the course model exactly the example model's initial weights."""
    with torch.no_grad():
        enc_out = course.encoder[2]
        course.encoder[0].weight.copy_(example.fc1.weight)
        course.encoder[0].bias.copy_(example.fc1.bias)
        enc_out.weight.copy_(torch.cat([example.fc21.weight, example.fc22.weight]))
        enc_out.bias.copy_(torch.cat([example.fc21.bias, example.fc22.bias]))
        course.decoder[0].weight.copy_(example.fc3.weight)
        course.decoder[0].bias.copy_(example.fc3.bias)
        course.decoder[2].weight.copy_(example.fc4.weight)
        course.decoder[2].bias.copy_(example.fc4.bias)


def dataset_images(dataset) -> torch.Tensor:
    """The raw uint8 images ``[N, 28, 28]`` behind an MNIST dataset or a Subset of one."""
    if isinstance(dataset, torch.utils.data.Subset):
        return dataset.dataset.data[list(dataset.indices)]
    return dataset.data


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_example(start: ExampleVAE, loader, device) -> float:
    """One epoch of (a); returns the mean training loss per image."""
    model = copy.deepcopy(start)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    total = 0.0
    for x, _ in loader:
        x = x.to(device)
        optimizer.zero_grad()
        recon, mu, logvar = model(x)
        loss = example_loss(recon, x, mu, logvar)
        loss.backward()
        total += loss.item()
        optimizer.step()
    return total / len(loader.dataset)


def run_fit(start: models.VAE, x_all: torch.Tensor, device) -> float:
    """One epoch of (b)."""
    model = copy.deepcopy(start)
    return train.fit(
        model, losses.vae_loss, x_all, epochs=1, lr=1e-3, batch_size=128, seed=1, progress=False
    )["train_loss"][-1]


def run_bare(start: models.VAE, x_all: torch.Tensor, device) -> float:
    """One epoch of (c): the course model and loss, inline, nothing else."""
    model = copy.deepcopy(start)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    total = torch.zeros((), device=device)
    for idx in torch.randperm(x_all.shape[0]).to(device).split(128):
        x = x_all[idx]
        logits, mu, logvar = model(x)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
        loss = (recon + kl).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach() * x.shape[0]
    return total.item() / x_all.shape[0]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="one-epoch runs of each loop (default 5)")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: the course's device)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: torch's own choice, one per core)",
    )
    parser.add_argument(
        "--images", type=int, default=60_000, help="train on the first N of the 60,000 images (default: all)"
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if not 128 <= args.images <= 60_000:
        parser.error("--images must lie in [128, 60000]")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    sys.stdout.reconfigure(line_buffering=True)
    if args.device:
        os.environ["COURSE_DEVICE"] = args.device
    device = torch.device(args.device) if args.device else next(models.VAE(20).parameters()).device
    root, description = mnist_60k_root()
    print(f"machine: {machine()}, benchmark device {device}\ndata: {description}")
    print(
        f"load: 1/5/15-minute load average {' / '.join(f'{v:.2f}' for v in os.getloadavg())} "
        f"on {os.cpu_count()} cores at the start"
    )

    torch.manual_seed(0)
    example = ExampleVAE().to(device)
    course = models.VAE(20, hidden=(400,), device=device)
    copy_weights(example, course)

    dataset = datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    if args.images < len(dataset):
        dataset = torch.utils.data.Subset(dataset, range(args.images))
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    start = time.perf_counter()
    x_all = dataset_images(dataset).to(device).float().div_(255).unsqueeze(1)
    sync(device)
    load_s = time.perf_counter() - start

    loops = {
        "(a) pytorch/examples DataLoader loop": lambda: run_example(example, loader, device),
        "(b) course_utils.train.fit": lambda: run_fit(course, x_all, device),
        "(c) bare in-memory loop": lambda: run_bare(course, x_all, device),
    }
    names = list(loops)
    wall = {name: [] for name in loops}
    cpu = {name: [] for name in loops}
    losses_seen = {name: [] for name in loops}
    for rep in range(args.repeats):
        # interleaved, and the order rotates (a b c, b c a, c a b, ...) so that no loop always runs
        # right after the same other one
        for name in names[rep % 3 :] + names[: rep % 3]:
            torch.manual_seed(1 + rep)
            sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            loss = loops[name]()
            sync(device)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            losses_seen[name].append(loss)
        print(
            f"run {rep + 1}/{args.repeats}: "
            + "  ".join(
                f"{name.split()[0]} {wall[name][-1]:.2f} s ({cpu[name][-1]:.2f} s CPU)" for name in names
            )
        )

    def report(label: str, times: dict[str, list[float]]) -> None:
        med = {name: statistics.median(t) for name, t in times.items()}
        a, b, c = (med[name] for name in names)
        print(
            f"\n{label} per epoch (median of {args.repeats} interleaved one-epoch runs, {args.images:,} "
            f"images, batch 128):"
        )
        for name in names:
            print(
                f"  {name:<38} {med[name]:6.2f} s   (range {min(times[name]):.2f}-{max(times[name]):.2f} s)"
            )
        print(f"  fit vs the DataLoader loop: {a / b:.2f}x faster  (a / b)")
        print(
            f"  fit vs the bare loop:       {100 * (b / c - 1):+.1f}%  "
            f"(b / c = {b / c:.3f}; goal: within +5%)"
        )

    report("wall-clock seconds", wall)
    report("CPU seconds of this process (user + system, all threads)", cpu)
    print(
        "\ntrain loss after 1 epoch (median): "
        + "  ".join(f"{name.split()[0]} {statistics.median(losses_seen[name]):.2f}" for name in names)
    )
    print(
        f"(b) builds its in-memory tensor once: +{load_s:.2f} s, not counted above; fit validates an "
        f"unchanged tensor once, so its first run includes that pass and the others do not"
    )
    print(f"load at the end: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
