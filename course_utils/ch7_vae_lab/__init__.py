"""Notebook 7, the VAE lab: β and rate–distortion, posterior collapse, the decoder's likelihood, uses.

- :mod:`.lab`: the lab's one VAE architecture, trained once per objective and cached.
- :mod:`.collapse`: β-VAE objectives, posterior collapse measured (active units) and its two fixes.
- :mod:`.likelihoods`: the decoder's likelihood: Bernoulli, Gaussian (fixed or learned σ), the continuous
  Bernoulli.
- :mod:`.uses`: what autoencoders are for: retrieval by nearest neighbours, anomaly scores, ROC AUC.
- :mod:`.exercises`: the notebook's "Your turn" checkers.
"""

from course_utils.ch7_vae_lab import collapse, likelihoods, uses

__all__ = ["collapse", "likelihoods", "uses"]
