"""Training speed: the well-known PyTorch VAE example's loop vs course_utils.train.fit.

Both train the same 784-400-20 MLP VAE with summed BCE + KL, Adam 1e-3, batch 128, on the same
60,000 images, for the same number of epochs, starting from the same weights:

(a) as pytorch/examples vae/main.py does it: torchvision ``MNIST`` with ``ToTensor``, a
    ``DataLoader``, a sigmoid output and ``F.binary_cross_entropy`` (num_workers=0 on the CPU, as
    the example);
(b) ``course_utils.train.fit`` on in-memory tensors with ``losses.vae_loss`` (logits).

Run: python benchmarks/train_speed.py [--epochs 2]
"""

import argparse
import time

import torch
import torch.nn.functional as F
from common import machine, mnist_60k_root
from torch import nn
from torchvision import datasets, transforms

from course_utils import losses, models, train


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    root, description = mnist_60k_root()
    print(f"machine: {machine()}\ndata: {description}")
    device = next(models.VAE(20, device=None).parameters()).device

    torch.manual_seed(0)
    example = ExampleVAE().to(device)
    course = models.VAE(20, hidden=(400,))
    copy_weights(example, course)

    # (a) the example's loop
    dataset = datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    optimizer = torch.optim.Adam(example.parameters(), lr=1e-3)
    torch.manual_seed(1)
    times_a, loss_a = [], None
    for _ in range(args.epochs):
        start, total = time.perf_counter(), 0.0
        for x, _ in loader:
            x = x.to(device)
            optimizer.zero_grad()
            recon, mu, logvar = example(x)
            loss = example_loss(recon, x, mu, logvar)
            loss.backward()
            total += loss.item()
            optimizer.step()
        times_a.append(time.perf_counter() - start)
        loss_a = total / len(dataset)
        print(f"(a) DataLoader + ToTensor: epoch {len(times_a)}: {times_a[-1]:.2f} s, loss {loss_a:.2f}")

    # (b) course_utils.train.fit on in-memory tensors; building the tensor is timed separately
    start = time.perf_counter()
    x_all = dataset.data.to(device).float().div_(255).unsqueeze(1)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    hist = train.fit(course, losses.vae_loss, x_all, epochs=args.epochs, lr=1e-3, batch_size=128,
                     seed=1, progress=False)
    per_epoch_b = (time.perf_counter() - start) / args.epochs
    loss_b = hist["train_loss"][-1]
    print(f"(b) course_utils.train.fit: {per_epoch_b:.2f} s per epoch (+{load_s:.2f} s once to build "
          f"the in-memory tensor), loss {loss_b:.2f}")

    per_epoch_a = sum(times_a) / len(times_a)
    print(f"\nseconds per epoch: (a) {per_epoch_a:.2f}  (b) {per_epoch_b:.2f}  "
          f"speed-up {per_epoch_a / per_epoch_b:.2f}x")
    print(f"train loss after {args.epochs} epochs (summed BCE + KL per image): "
        f"(a) {loss_a:.2f}  (b) {loss_b:.2f}")


if __name__ == "__main__":
    main()
