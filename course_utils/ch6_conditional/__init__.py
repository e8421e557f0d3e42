"""Chapter 4, beyond the plain VAE (notebook 06_cvae_and_aae): labels and adversaries.

- :mod:`.cvae`: the conditional VAE (조건부 VAE) and a small digit classifier that judges its samples.
- :mod:`.m2`: Kingma et al.'s semi-supervised model M2 (준지도 학습) and baselines on the same labels.
- :mod:`.aae`: the adversarial autoencoder (적대적 오토인코더), its priors and its alternating training.
- :mod:`.trained`: the chapter's trained models, cached with ``checkpoints.train_once``.
- :mod:`.widgets`: the notebook's live widgets.
- :mod:`.exercises`: the notebook's "Your turn" checkers.
"""
