"""The autoencoder as a compressor: nats to bits, and what real codecs spend on the same binary images.

A VAE's rate R = KL(q(z|x) || p(z)) is what an ideal entropy coder under the prior spends on the code,
with bits-back coding (Hinton & van Camp 1993; Townsend et al. 2019, ANS); R + D (distortion
D = -E_q log p(x|z)) is the ideal lossless length of x itself. Real codecs
here: zlib, gzip and PNG, on 1-bit images.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib

import numpy as np
import torch
from PIL import Image as PILImage

LN2 = math.log(2)


def nats_to_bits(nats):
    """Nats -> bits: divide by ln 2 (a nat is log2(e) ~ 1.443 bits). Tensors and floats alike."""
    return nats / LN2


def _binary_pixels(x_bin: torch.Tensor) -> np.ndarray:
    """Binary images ``[B, 1, H, W]`` (values 0/1) -> a uint8 array ``[B, H, W]``, refusing grey values."""
    x = x_bin.detach().cpu()
    if not bool(((x == 0) | (x == 1)).all()):
        raise ValueError("codec sizes are for binary images (0 or 1): binarize them first (data.binarize)")
    return x.reshape(x.shape[0], *x.shape[-2:]).numpy().astype(np.uint8)


def png_bytes_1bit(pixels: np.ndarray) -> bytes:
    """One binary image ``[H, W]`` as a 1-bit PNG, at PIL's strongest compression."""
    buffer = io.BytesIO()
    PILImage.fromarray(pixels.astype(bool)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def codec_bits(x_bin: torch.Tensor) -> dict[str, float]:
    """Bits per image that each codec spends on the binary images ``[B, 1, H, W]``, averaged over them.

    "raw": one bit per pixel; "zlib" and "gzip": each image's packed bits alone, level 9; "PNG": each
    image as a 1-bit PNG file; "zlib, all at once": the whole batch in one stream, divided by B (the
    images share one dictionary, as a coder under one model does)."""
    pixels = _binary_pixels(x_bin)
    packed = [np.packbits(p).tobytes() for p in pixels]
    per_image = {
        "zlib": [len(zlib.compress(p, 9)) for p in packed],
        "gzip": [len(gzip.compress(p, 9, mtime=0)) for p in packed],
        "PNG": [len(png_bytes_1bit(p)) for p in pixels],
    }
    bits = {"raw": float(pixels[0].size)}
    bits |= {name: 8 * float(np.mean(sizes)) for name, sizes in per_image.items()}
    bits["zlib, all at once"] = 8 * len(zlib.compress(b"".join(packed), 9)) / len(packed)
    return bits
