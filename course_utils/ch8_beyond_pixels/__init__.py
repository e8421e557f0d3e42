"""Notebook 8, beyond pixels (the lecture's chapter 5 completed): structured output, a learned similarity,
the autoencoder as a compressor.

- :mod:`.completion`: regression as structured output (Sohn et al. 2015): a regressor and a conditional VAE
  complete an image from its upper half; the masked bound and its importance-sampled likelihood.
- :mod:`.vaegan`: the VAE/GAN (Larsen et al. 2016): reconstruction in a discriminator's features, GAN loss.
- :mod:`.compression`: nats to bits, and what zlib, gzip and PNG spend on the same binary images.
- :mod:`.trained`: the notebook's models, trained once and cached.
- :mod:`.widgets`: the completion picker and the shared-z comparison of two decoders.
- :mod:`.exercises`: the "Your turn" checkers: completion loss, feature-space loss, nats to bits.
"""

from course_utils.ch8_beyond_pixels import completion, compression, trained, vaegan

__all__ = ["completion", "compression", "trained", "vaegan"]
