"""Chapter 3 (notebook 03_autoencoders): the autoencoder and its denoising and contractive variants.

- :mod:`.corruption`: Vincent et al.'s noise types.
- :mod:`.contractive`: the contractive penalty ||J_h(x)||_F^2 and code sensitivity.
- :mod:`.stacked`: the stacked autoencoder, greedy layer-wise pretraining against end-to-end training.
- :mod:`.widgets`: the notebook's live widget (the denoising explorer).
- :mod:`.exercises`: the notebook's "Your turn" checkers.
"""
